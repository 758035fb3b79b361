/**
 * zgrad used from outside its folder: a program in an empty temporary folder (no deno.json, no
 * node_modules) imports `mod.ts` and `stats.ts` by `http://` URL from a server of this
 * repository, or by absolute path, with no permission but `--allow-import` for that server. It
 * takes a gradient, fits a pyhf-style model, runs a jitted kernel split across worker threads
 * and, where there is a WebGPU adapter, a WebGPU kernel; it prints what it got as JSON.
 */
import assert from "node:assert/strict";
import { ROOT, runDeno, serveFolder } from "./_serve.ts";

/** The user's program, importing zgrad from `base` (a URL or a folder path ending in "/"). */
const program = (base: string) => `
import {
  array, configureCpuParallel, exp, grad, initDevice, jit, memoryStats, sin,
} from "${base}mod.ts";
import { fit, uncorrelatedBackground } from "${base}stats.ts";

const out = {};
out.grad = Array.from(await grad((x) => sin(x).sum())(array([0, 1], "float64")).data());
const model = uncorrelatedBackground([5], [50], [5]);
out.mu = fit(model.data(array([52], "float64")), model).bestfitByName.mu[0];

configureCpuParallel({ threads: 2, minWork: 0 });
const x = array(Array.from({ length: 100_000 }, (_, i) => i / 1e5), "float64");
const f = jit((v) => exp(v).mul(v).sum());
const chunks = () => memoryStats().cpuThreads.workerChunks.reduce((a, b) => a + b, 0);
// Workers start while the main thread runs kernels: allow them some runs to take a chunk.
for (let r = 0; r < 2000 && chunks() === 0; r++) f(x);
out.sum = (await f(x).data())[0];
out.threads = memoryStats().cpuThreads;
out.inspect = f.inspect(x).toString().split("=== threads\\n")[1]?.split("\\n")[0];

const gpu = await initDevice("webgpu");
out.webgpu = gpu ? Array.from(await jit((v) => exp(v), { device: "webgpu" })(array([0, 1])).data()) : null;
console.log(JSON.stringify(out));
`;

async function hasWebGpu(): Promise<boolean> {
  return (await navigator.gpu?.requestAdapter()) != null;
}

async function runFrom(base: string, args: string[]) {
  const dir = await Deno.makeTempDir({ prefix: "zgrad_user_" });
  try {
    await Deno.writeTextFile(`${dir}/main.js`, program(base));
    const r = await runDeno(["run", ...args, "main.js"], dir);
    assert.equal(r.code, 0, `deno run failed:\n${r.stderr}`);
    const files = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(files, ["main.js"], "nothing written to the user's folder");
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function checkResult(
  out: {
    grad: number[];
    mu: number;
    sum: number;
    threads: { running: number; workerChunks: number[]; unavailable: string | null };
    inspect: string;
    webgpu: number[] | null;
  },
) {
  assert.deepEqual(out.grad, [1, Math.cos(1)], "grad of sum(sin(x)) is cos(x)");
  assert.ok(Math.abs(out.mu - 0.4) < 1e-6, `fit's mu ${out.mu} ≈ 0.4`);
  // Σ_i exp(x_i)·x_i over x_i = i/1e5: the integral of x·e^x on [0, 1] is 1, times 1e5 points.
  assert.ok(Math.abs(out.sum / 1e5 - 1) < 1e-4, `sum ${out.sum}`);
  assert.equal(out.threads.unavailable, null, "worker threads are available");
  assert.ok(out.threads.running >= 1, `a worker thread started: ${JSON.stringify(out.threads)}`);
  assert.ok(out.threads.workerChunks.some((c) => c > 0), "a worker thread ran chunks");
  assert.match(out.inspect, /up to 2 threads; [1-9]\d* of \d+ worker\(s\) running/);
  if (await hasWebGpu()) {
    assert.ok(out.webgpu !== null, "WebGPU ran (this machine has an adapter)");
    assert.ok(Math.abs(out.webgpu[1] - Math.E) < 1e-6, `exp on WebGPU: ${out.webgpu}`);
  }
}

Deno.test("packaging: zgrad imported by http:// URL from an empty folder", async () => {
  const server = serveFolder(ROOT);
  try {
    const out = await runFrom(`${server.url}/`, [`--allow-import=127.0.0.1:${server.port}`]);
    await checkResult(out);
  } finally {
    await server.close();
  }
});

Deno.test("packaging: zgrad imported by path from another folder, without --allow-read", async () => {
  await checkResult(await runFrom(ROOT, []));
});

Deno.test("packaging: deno bundle of { array, grad, jit } from a user's folder has no stats code", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zgrad_bundle_" });
  try {
    await Deno.writeTextFile(
      `${dir}/main.js`,
      `import { array, grad, jit } from "${ROOT}mod.ts";\n` +
        `console.log(jit(grad((x) => x.mul(x).sum()))(array([1, 2])).toString());\n`,
    );
    await Deno.writeTextFile(`${dir}/fit.js`, `export * from "${ROOT}stats.ts";\n`);
    for (const [entry, out] of [["main.js", "main.bundle.js"], ["fit.js", "fit.bundle.js"]]) {
      const r = await runDeno(["bundle", "--quiet", "-o", out, entry], dir);
      assert.equal(r.code, 0, `deno bundle ${entry} failed:\n${r.stderr}`);
    }
    const core = await Deno.readTextFile(`${dir}/main.bundle.js`);
    assert.ok(
      !/zod|\bfromPyhf\b|stats\/workspace/.test(core),
      "no zod or stats code in the bundle",
    );
    assert.ok(/\bfromPyhf\b/.test(await Deno.readTextFile(`${dir}/fit.bundle.js`)));
    const run = await runDeno(["run", "main.bundle.js"], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), "[2., 4.]");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
