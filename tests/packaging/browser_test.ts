/**
 * zgrad in a browser: headless Chromium loads a bundle of mod.ts (npm:esbuild) from 127.0.0.1.
 *
 * - A page that is not cross-origin isolated has no SharedArrayBuffer: a large jitted kernel
 *   runs on one thread, quietly, and `memoryStats().cpuThreads.unavailable` says why.
 * - A cross-origin isolated page's main thread may not block: the same, with that reason; in a
 *   module Worker of that page, worker threads (web Workers from a blob: URL) take chunks.
 * - WebGPU (`--enable-unsafe-webgpu`): eager and jitted ops resolve, and a lost device makes
 *   `data()` reject with the reason instead of never settling.
 *
 * Skips, saying so, when Chromium is absent (`apt-get install chromium`; CI installs it).
 */
import assert from "node:assert/strict";
import { CHROMIUM, chromiumAvailable, ROOT, runDeno, serveFolder } from "./_serve.ts";

const hasChromium = chromiumAvailable("browser tests");

/** The page's helpers: `z` is the bundle, `T` reads an array's data with a time limit. */
const PRELUDE = `
const z = await import("/zgrad.js");
const T = (p, ms = 15000) => Promise.race([
  p.then((d) => Array.from(d)),
  new Promise((_, rej) => setTimeout(() => rej(new Error("TIMEOUT: data() did not settle")), ms)),
]);
const big = () => z.array(Array.from({ length: 100000 }, (_, i) => i / 1e5), "float64");
const threadsRun = () => {
  z.configureCpuParallel({ threads: 2, minWork: 0 });
  const f = z.jit((v) => z.exp(v).mul(v).sum());
  return { sum: f(big()).dataSync()[0], threads: z.memoryStats().cpuThreads };
};
`;

/** A module Worker of the page: threads from a Worker, yielding so that its workers can start. */
const RUNNER = `
${PRELUDE}
z.configureCpuParallel({ threads: 2, minWork: 0 });
const f = z.jit((v) => z.exp(v).mul(v).sum());
const x = big();
const chunks = () => z.memoryStats().cpuThreads.workerChunks.reduce((a, b) => a + b, 0);
// A browser starts a worker only once its creator's thread returns to its event loop.
for (let r = 0; r < 2000 && chunks() === 0; r++) {
  f(x);
  if (r % 10 === 9) await new Promise((res) => setTimeout(res, 5));
}
postMessage({ sum: f(x).dataSync()[0], threads: z.memoryStats().cpuThreads });
`;

/** Σ x·e^x over the 1e5 points of `big()`, in float64. */
const EXPECTED = (() => {
  let s = 0;
  for (let i = 0; i < 100000; i++) s += Math.exp(i / 1e5) * (i / 1e5);
  return s;
})();

interface ThreadsResult {
  sum: number;
  threads: { workers: number; running: number; workerChunks: number[]; unavailable: string | null };
}

interface JobResult {
  value?: unknown;
  error?: string;
  pageErrors: string[];
}

/** Runs page jobs in Chromium (tests/packaging/_browser_driver.ts, a process of its own). */
async function runPages(jobs: { url: string; body: string }[], dir: string): Promise<unknown[]> {
  await Deno.writeTextFile(`${dir}/jobs.json`, JSON.stringify({ chromium: CHROMIUM, jobs }));
  const r = await runDeno(
    ["run", "-A", `${ROOT}tests/packaging/_browser_driver.ts`, `${dir}/jobs.json`],
    ROOT,
    90_000,
  );
  assert.equal(r.code, 0, `the browser driver failed:\n${r.stderr}`);
  const results: JobResult[] = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  return results.map((res, i) => {
    assert.equal(res.error, undefined, `page job ${i} failed: ${res.error}`);
    assert.deepEqual(res.pageErrors, [], `page job ${i}: no uncaught errors in the page`);
    return res.value;
  });
}

const WORKER_JOB = `
const w = new Worker("/runner.js", { type: "module" });
return await new Promise((res) => {
  w.onmessage = (e) => res(e.data);
  w.onerror = (e) => res("worker error: " + e.message);
  setTimeout(() => res("TIMEOUT"), 30000);
});`;

const WEBGPU_JOB = `
const ctx = await z.initDevice("webgpu");
if (!ctx) return { adapter: null };
const x = z.devicePut(z.array([0, 1]), "webgpu");
const exp = await T(z.exp(x).data());
const g = z.jit(z.grad((p) => z.tanh(p).mul(p).sum()), { device: "webgpu" });
const grad = await T(g(z.array([0.5, -1, 2])).data());
const pending = z.exp(x.add(1));
ctx.device.destroy();
await new Promise((res) => setTimeout(res, 100));
const lost = await T(pending.data()).then((d) => "resolved " + d, (e) => e.message);
return { adapter: ctx.description, exp, grad, lost };`;

Deno.test({
  name: "packaging: zgrad in headless Chromium (bundle; threads fallback; WebGPU)",
  ignore: !hasChromium,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "zgrad_browser_" });
    const plain = serveFolder(dir);
    const isolated = serveFolder(dir, {
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
    });
    try {
      const { build, stop } = await import("npm:esbuild@0.28.2");
      try {
        await build({
          entryPoints: [`${ROOT}mod.ts`],
          bundle: true,
          format: "esm",
          platform: "browser",
          outfile: `${dir}/zgrad.js`,
          logLevel: "error",
        });
      } finally {
        await stop();
      }
      await Deno.writeTextFile(`${dir}/index.html`, "<!doctype html><title>zgrad</title>");
      await Deno.writeTextFile(`${dir}/runner.js`, RUNNER);
      const page = (base: string, body: string) => ({
        url: `${base}/index.html`,
        body: `${PRELUDE}\n${body}`,
      });
      const [noSab, isoMain, isoWorker, gpu] = await runPages([
        page(plain.url, "return { sab: typeof SharedArrayBuffer, ...threadsRun() };"),
        page(isolated.url, "return threadsRun();"),
        page(isolated.url, WORKER_JOB),
        page(plain.url, WEBGPU_JOB),
      ], dir);

      // Not cross-origin isolated: one thread, quietly, and why.
      const r = noSab as ThreadsResult & { sab: string };
      assert.equal(r.sab, "undefined");
      assert.ok(Math.abs(r.sum / EXPECTED - 1) < 1e-12, `sum ${r.sum} vs ${EXPECTED}`);
      assert.equal(r.threads.workers, 0);
      assert.match(r.threads.unavailable ?? "", /SharedArrayBuffer is not available/);

      // Cross-origin isolated: the main thread may not block, so one thread there...
      const m = isoMain as ThreadsResult;
      assert.ok(Math.abs(m.sum / EXPECTED - 1) < 1e-12, `sum ${m.sum}`);
      assert.match(m.threads.unavailable ?? "", /may not block in Atomics\.wait/);
      // ... while in a module Worker, worker threads (web Workers from a blob: URL) take chunks.
      assert.ok(typeof isoWorker === "object", `the Worker reported: ${isoWorker}`);
      const w = isoWorker as ThreadsResult;
      assert.ok(Math.abs(w.sum / EXPECTED - 1) < 1e-12, `sum ${w.sum}`);
      assert.equal(w.threads.unavailable, null);
      assert.ok(w.threads.running >= 1, JSON.stringify(w.threads));
      assert.ok(w.threads.workerChunks.some((c) => c > 0), "a worker thread ran chunks");

      // WebGPU: ops resolve; a lost device rejects data() instead of leaving it pending.
      const g = gpu as { adapter: string | null; exp: number[]; grad: number[]; lost: string };
      assert.ok(g.adapter !== null, "Chromium with --enable-unsafe-webgpu has an adapter");
      assert.ok(Math.abs(g.exp[1] - Math.E) < 1e-6, `exp: ${g.exp}`);
      // d/dp Σ tanh(p)·p = tanh(p) + p·(1 − tanh²(p))
      const want = [0.5, -1, 2].map((p) => Math.tanh(p) + p * (1 - Math.tanh(p) ** 2));
      g.grad.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `grad: ${g.grad}`));
      assert.match(g.lost, /the device was lost/);
    } finally {
      await plain.close();
      await isolated.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
