/**
 * Workload W1 (`../shared/bench/W1.md`): soft cuts → KDE histogram → Asimov significance, value and
 * gradient with respect to (metCut, btagCut), for N = 1e5 and 1e6 events.
 *
 * Every implementation runs in the same process on the same data: zgrad eager, zgrad `jit` on the
 * CPU (default `fast` precision, and `precision: "exact"`), each with kernels on one thread and
 * split across the worker pool (`jit/cpu/parallel.ts`, `navigator.hardwareConcurrency` threads),
 * zgrad `jit` in float64, and hand-written TypeScript baselines (a fused forward loop plus an
 * analytic backward loop over typed arrays, in double-precision arithmetic; with the eager `erfc`
 * and with the float32-accurate `erfcF32`; on one thread, and on two: main thread + one Worker,
 * W1.md's "2 Workers" rows). For each: the first call (trace + compile + run; for the pool rows of
 * an already compiled function, the first split run, which starts the workers), then
 * median/min/max of the following calls, and the ratio of medians zgrad / baseline (1-thread rows
 * against the 1-thread baseline, pool rows against the 2-thread baseline), and the best CPU rows
 * against W1.md's peer figures. On WebGPU: the two hand-written WGSL baselines (4 kernels forward +
 * backward, and W1.md's limit, 2 kernels with fused forward tangents) and zgrad `jit` for both
 * ways users write the histogram (the "sum" form and the "matmul" form, `(w·isSig) @ frac`), with
 * the ratios to the fused-tangent kernel and the first call's time (issue 14's targets). All results are read back to the host and checked to agree (1e-3
 * relative in float32, 1e-9 in float64).
 *
 * The machine may be shared: W1.md's figures are for an idle machine, so compare ratios measured
 * in one run rather than absolute times across runs.
 *
 * Run: `deno task bench` (all sizes), or
 * `deno run --allow-read --allow-env bench/w1_bench.ts --sizes=1e5 --reps=5 --skip=eager`.
 *
 * @module
 */
import * as zg from "../mod.ts";
import type { Array } from "../mod.ts";
import { erfc } from "../core/special.ts";
import { erfcF32 } from "../jit/f32math.ts";
import { devicePut, initDevice } from "../jit/device.ts";
import type { WebGpuContext } from "../jit/webgpu/device.ts";
import { configureCpuParallel } from "../jit/cpu/parallel.ts";
import { W1Wgsl } from "./w1_wgsl_baseline.ts";
import { measure, measureInterleaved, type Result, type Row } from "./w1_measure.ts";
import {
  B,
  type Columns,
  EDGES,
  w1Data,
  w1MatmulSignificance as matmulSignificance,
  w1Significance as significance,
} from "./w1_workload.ts";

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

const argv = new Map(
  Deno.args.map((a) => a.replace(/^--/, "").split("=")).map(([k, v]) => [k, v ?? "1"]),
);
const SIZES = (argv.get("sizes") ?? "1e5,1e6").split(",").map(Number);
const REPS = Number(argv.get("reps") ?? 20);
const SKIP = new Set((argv.get("skip") ?? "").split(",").filter(Boolean));
/** Eager execution at 1e6 takes seconds per call: fewer repetitions there unless asked. */
const EAGER_REPS = Number(argv.get("eager-reps") ?? 5);

// ---------------------------------------------------------------------------
// Data (zgrad's PRNG; W1.md's distributions)
// ---------------------------------------------------------------------------

function makeData(n: number): { arrays: Columns<Array>; typed: Columns<Float32Array> } {
  const arrays = w1Data(n);
  return { arrays, typed: mapColumns(arrays, float32Data) };
}

/** `f` applied to every column. */
function mapColumns<T, U>(c: Columns<T>, f: (v: T) => U): Columns<U> {
  return { mtt: f(c.mtt), met: f(c.met), btag: f(c.btag), wgt: f(c.wgt), sig: f(c.sig) };
}

/** The data of a float32 array. */
function float32Data(a: Array): Float32Array {
  const v = a.dataSync();
  if (!(v instanceof Float32Array)) throw new Error(`expected float32 data, got ${a.dtype}`);
  return v;
}

/** The data of a float64 array. */
function float64Data(a: Array): Float64Array {
  const v = a.dataSync();
  if (!(v instanceof Float64Array)) throw new Error(`expected float64 data, got ${a.dtype}`);
  return v;
}

// ---------------------------------------------------------------------------
// Hand-written baselines: forward loop + analytic backward loop over typed arrays, on one thread
// and on two (W1.md's "2 Workers" rows: the event range split in two, the main thread computing
// one half while a Worker computes the other).
// ---------------------------------------------------------------------------

type Cols = Columns<Float32Array | Float64Array>;

/** Forward loop over events [lo, hi): per-event weight, KDE row, histograms of signal and background. */
function forwardRange(
  erfcFn: (x: number) => number,
  d: Cols,
  theta: [number, number],
  lo: number,
  hi: number,
): { s: Float64Array; b: Float64Array } {
  const { mtt, met, btag, wgt, sig } = d;
  const [metCut, btagCut] = theta;
  const nb = EDGES.length - 1;
  const s = new Float64Array(nb), b = new Float64Array(nb), row = new Float64Array(nb + 1);
  const c = -Math.SQRT1_2 / 60;
  const sg = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
  for (let i = lo; i < hi; i++) {
    const x = mtt[i];
    const w = wgt[i] * sg((met[i] - metCut) / 25) * sg((btag[i] - btagCut) * 10);
    const ws = w * sig[i], wb = w - ws;
    for (let j = 0; j <= nb; j++) row[j] = 0.5 * erfcFn((EDGES[j] - x) * c);
    for (let j = 0; j < nb; j++) {
      const k = row[j + 1] - row[j];
      s[j] += k * ws;
      b[j] += k * wb;
    }
  }
  return { s, b };
}

/** Backward loop over events [lo, hi): recompute each KDE row, chain rule to the cuts. */
function backwardRange(
  erfcFn: (x: number) => number,
  d: Cols,
  theta: [number, number],
  lo: number,
  hi: number,
  dqs: Float64Array,
  dqb: Float64Array,
): [number, number] {
  const { mtt, met, btag, wgt, sig } = d;
  const [metCut, btagCut] = theta;
  const nb = EDGES.length - 1;
  const row = new Float64Array(nb + 1);
  const c = -Math.SQRT1_2 / 60;
  const sg = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
  let gm = 0, gb = 0;
  for (let i = lo; i < hi; i++) {
    const x = mtt[i];
    const s1 = sg((met[i] - metCut) / 25), s2 = sg((btag[i] - btagCut) * 10);
    const w = wgt[i] * s1 * s2;
    for (let j = 0; j <= nb; j++) row[j] = 0.5 * erfcFn((EDGES[j] - x) * c);
    let ds = 0, db = 0;
    for (let j = 0; j < nb; j++) {
      const k = row[j + 1] - row[j];
      ds += k * dqs[j];
      db += k * dqb[j];
    }
    const si = sig[i];
    const dw = si * ds + (1 - si) * db;
    gm += dw * w * -(1 - s1) / 25;
    gb += dw * w * -(1 - s2) * 10;
  }
  return [gm, gb];
}

/** Z and its derivatives with respect to the bin contents, from the histograms. */
function zAndBinGradients(s: Float64Array, b: Float64Array) {
  let q = 0;
  const dqs = new Float64Array(B), dqb = new Float64Array(B);
  for (let j = 0; j < B; j++) {
    const bc = Math.max(b[j], 1e-3), r = s[j] / bc, l = Math.log1p(r);
    q += 2 * ((s[j] + bc) * l - s[j]);
    dqs[j] = 2 * l;
    dqb[j] = b[j] > 1e-3 ? 2 * (l - r) : b[j] === 1e-3 ? (l - r) : 0;
  }
  const z = Math.sqrt(q), dzdq = 0.5 / z;
  for (let j = 0; j < B; j++) dqs[j] *= dzdq, dqb[j] *= dzdq;
  return { z, dqs, dqb };
}

/**
 * Own copies of the two loops. Each baseline variant gets its own, so each has its own type
 * feedback: V8 then inlines `erfcFn` (one shared function called with two different `erfc`s would
 * make the call site polymorphic and the baseline slower than it should be).
 */
const ownLoops = () => ({
  fwd: new Function("EDGES", `return ${forwardRange}`)(EDGES) as typeof forwardRange,
  bwd: new Function("EDGES", `return ${backwardRange}`)(EDGES) as typeof backwardRange,
});

/** The one-thread baseline for one `erfc`. */
const makeBaseline = (erfcFn: (x: number) => number) => {
  const own = ownLoops();
  return function baseline(d: Cols, theta: [number, number]): Result {
    const n = d.mtt.length;
    const { s, b } = own.fwd(erfcFn, d, theta, 0, n);
    const { z, dqs, dqb } = zAndBinGradients(s, b);
    return { z, g: own.bwd(erfcFn, d, theta, 0, n, dqs, dqb) };
  };
};
const baselineEagerErfc = makeBaseline(erfc);
const baselineF32Erfc = makeBaseline(erfcF32);
const baseline64 = makeBaseline(erfc);

/**
 * The two-thread hand baseline: one Worker (a module from a Blob, importing the same `erfc`) holds
 * the columns in shared memory; each call posts the cut values, computes the first half of the
 * events on the main thread and awaits the second half, for the forward and the backward pass.
 */
class Baseline2 {
  #worker: Worker;
  #cols: Cols;
  #n: number;
  #own: { fwd: typeof forwardRange; bwd: typeof backwardRange };
  #erfcFn: (x: number) => number;

  constructor(typed: Columns<Float32Array>, which: "erfc" | "erfcF32") {
    const shared = (a: Float32Array) => {
      const v = new Float32Array(new SharedArrayBuffer(a.byteLength));
      v.set(a);
      return v;
    };
    this.#cols = mapColumns(typed, shared);
    this.#n = typed.mtt.length;
    this.#erfcFn = which === "erfc" ? erfc : erfcF32;
    this.#own = ownLoops();
    const special = new URL("../core/special.ts", import.meta.url).href;
    const f32math = new URL("../jit/f32math.ts", import.meta.url).href;
    const src = `
      import { erfc } from ${JSON.stringify(special)};
      import { erfcF32 } from ${JSON.stringify(f32math)};
      const EDGES = new Float64Array(${JSON.stringify([...EDGES])});
      const erfcFn = ${which};
      const forwardRange = ${forwardRange};
      const backwardRange = ${backwardRange};
      let cols;
      self.onmessage = ({ data: m }) => {
        if (m.cols) { cols = m.cols; return; }
        if (m.dqs) postMessage(backwardRange(erfcFn, cols, m.theta, m.lo, m.hi, m.dqs, m.dqb));
        else postMessage(forwardRange(erfcFn, cols, m.theta, m.lo, m.hi));
      };`;
    const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
    this.#worker = new Worker(url, { type: "module" });
    this.#worker.postMessage({ cols: this.#cols });
  }

  #ask<T>(msg: unknown): Promise<T> {
    return new Promise((resolve) => {
      this.#worker.onmessage = (e) => resolve(e.data as T);
      this.#worker.postMessage(msg);
    });
  }

  async run(theta: [number, number]): Promise<Result> {
    const half = this.#n >> 1, n = this.#n, d = this.#cols, f = this.#erfcFn;
    const other = this.#ask<{ s: Float64Array; b: Float64Array }>({ theta, lo: half, hi: n });
    const mine = this.#own.fwd(f, d, theta, 0, half);
    const theirs = await other;
    const s = mine.s.map((v, j) => v + theirs.s[j]), b = mine.b.map((v, j) => v + theirs.b[j]);
    const { z, dqs, dqb } = zAndBinGradients(s, b);
    const otherG = this.#ask<[number, number]>({ theta, lo: half, hi: n, dqs, dqb });
    const [gm, gb] = this.#own.bwd(f, d, theta, 0, half, dqs, dqb);
    const [gm2, gb2] = await otherG;
    return { z, g: [gm + gm2, gb + gb2] };
  }

  /** Ends the worker. */
  close(): void {
    this.#worker.terminate();
  }
}

// ---------------------------------------------------------------------------
// Measurement
// ---------------------------------------------------------------------------

function zgradRunner(
  f: (theta: Array, d: Columns<Array>) => unknown,
  theta: Array,
  d: Columns<Array>,
): () => Result {
  return () => {
    const [z, g] = f(theta, d) as [Array, Array];
    const gv = g.dataSync();
    return { z: z.item(), g: [gv[0], gv[1]] };
  };
}

/** Runs `f` with the CPU pool limited to `threads` (1: kernels never split). */
function withThreads<T>(threads: number, f: () => T): () => T {
  return () => {
    const before = configureCpuParallel({ threads });
    try {
      return f();
    } finally {
      configureCpuParallel(before);
    }
  };
}

/** W1.md's reference medians (2 cores, idle machine) of the peers zgrad's CPU backend must beat. */
const PEERS: Record<number, [string, number][]> = {
  1e5: [["PyTorch", 55], ["jax-js wasm", 54], ["hand TS fwd+bwd 2 Workers", 81]],
  1e6: [["PyTorch", 544], ["jax-js wasm", 593], ["hand TS fwd+bwd 2 Workers", 815]],
};

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)).padStart(7);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

/** The measured rows of every size, each printed as it is added (with its ratio to its base). */
class Report {
  /** Every row so far. */
  readonly rows: Row[] = [];

  /** Adds and prints a row. */
  add(r: Row): void {
    this.rows.push(r);
    const ratio = r.base ? this.find(r.n, r.base) : undefined;
    console.log(
      `  ${r.name.padEnd(40)} first ${fmt(r.first)}  median ${fmt(r.median)}  min ${
        fmt(r.min)
      }  max ${fmt(r.max)}` +
        (ratio ? `  ratio ${(r.median / ratio.median).toFixed(2)}× ${r.base}` : ""),
    );
  }

  /** The row of `name` at size `n`, if measured. */
  find(n: number, name: string): Row | undefined {
    return this.rows.find((x) => x.name === name && x.n === n);
  }

  /** The rows at size `n`. */
  at(n: number): Row[] {
    return this.rows.filter((x) => x.n === n);
  }
}

// ---------------------------------------------------------------------------
// One size: the data, then each group of rows
// ---------------------------------------------------------------------------

/** W1's columns and θ at one size, in every form the implementations take. */
interface SizeInputs {
  /** Number of events. */
  n: number;
  /** float32 zgrad arrays (on the CPU). */
  arrays: Columns<Array>;
  /** The same columns as typed arrays (the hand-written baselines'). */
  typed: Columns<Float32Array>;
  /** float64 zgrad arrays. */
  d64: Columns<Array>;
  /** The float64 columns as typed arrays. */
  typed64: Cols;
  /** θ = (50, 0.5) as a float32 array. */
  theta32: Array;
  /** θ as a float64 array. */
  theta64: Array;
  /** θ as numbers for the baselines (0.5 rounded to float32, as in θ32). */
  th: [number, number];
}

/** The inputs at size `n` (printing how long the data took). */
function sizeInputs(n: number): SizeInputs {
  const t0 = performance.now();
  const { arrays, typed } = makeData(n);
  const d64 = mapColumns(arrays, (v) => v.astype("float64"));
  const typed64 = mapColumns(d64, float64Data);
  console.log(`N = ${n}: data generated in ${(performance.now() - t0).toFixed(0)} ms`);
  return {
    n,
    arrays,
    typed,
    d64,
    typed64,
    theta32: zg.array([50, 0.5], "float32"),
    theta64: zg.array([50, 0.5], "float64"),
    th: [50, Math.fround(0.5)],
  };
}

/** The hand-written TypeScript baselines: one thread (two `erfc`s, float64), then two threads. */
async function measureBaselines(report: Report, s: SizeInputs): Promise<void> {
  const { n, typed, typed64, th } = s;
  report.add(
    await measure("baseline TS (eager erfc)", n, REPS, () => baselineEagerErfc(typed, th)),
  );
  report.add(
    await measure("baseline TS (float32 erfc)", n, REPS, () => baselineF32Erfc(typed, th)),
  );
  report.add(await measure("baseline TS float64", n, REPS, () => baseline64(typed64, [50, 0.5])));
  for (const which of ["erfc", "erfcF32"] as const) {
    const b2 = new Baseline2(typed, which);
    const name = `baseline TS 2 threads (${which === "erfc" ? "eager" : "float32"} erfc)`;
    report.add(await measure(name, n, REPS, () => b2.run(th)));
    b2.close();
  }
}

/**
 * zgrad `jit` on the CPU: both precisions on one thread and on the pool, the matmul form, and
 * float64. Returns the name of the matmul form's row.
 */
async function measureCpuJit(report: Report, s: SizeInputs): Promise<string> {
  const { n, arrays, theta32, theta64, d64 } = s;
  const vg = zg.valueAndGrad(significance);
  const pool = navigator.hardwareConcurrency;
  const variants = [
    ["exact", zg.jit(vg, { precision: "exact" }), "eager"],
    ["default", zg.jit(vg), "float32"],
  ] as const;
  for (const [precision, f, erfcName] of variants) {
    const run = zgradRunner(f, theta32, arrays);
    const one = `zgrad jit cpu (${precision}, 1 thread)`;
    const base1 = `baseline TS (${erfcName} erfc)`,
      base2 = `baseline TS 2 threads (${erfcName} erfc)`;
    report.add(await measure(one, n, REPS, withThreads(1, run), base1));
    report.add(await measure(`zgrad jit cpu (${precision}, ${pool} threads)`, n, REPS, run, base2));
  }
  // The matmul form ((w·isSig) @ frac), default options, on the pool.
  const cpuMatmul = `zgrad jit cpu (default, matmul form, ${pool} threads)`;
  report.add(
    await measure(
      cpuMatmul,
      n,
      REPS,
      zgradRunner(zg.jit(zg.valueAndGrad(matmulSignificance)), theta32, arrays),
      "baseline TS 2 threads (float32 erfc)",
    ),
  );
  report.add(
    await measure(
      "zgrad jit cpu float64",
      n,
      REPS,
      zgradRunner(zg.jit(vg), theta64, d64),
      "baseline TS float64",
    ),
  );
  return cpuMatmul;
}

/** W1.md's peers on this machine (2 cores idle / 1 core): zgrad's best CPU row against them. */
function printPeerComparison(report: Report, n: number, cpuMatmul: string): void {
  const peers = PEERS[n];
  if (!peers) return;
  const mine = report.at(n).filter((r) => r.name.startsWith("zgrad jit cpu ("));
  const best = (tag: string) =>
    mine.filter((r) => r.name.includes(tag)).reduce((a, r) => (r.median < a.median ? r : a));
  for (const tag of ["exact", "default"]) {
    const r = best(tag);
    console.log(
      `    ${r.name} vs W1.md peers: ` +
        peers.map(([p, ms]) => `${p} ${ms} ms → ${(r.median / ms).toFixed(2)}×`).join(", "),
    );
  }
  // Issue 14's CPU targets: with default options on the pool, the faster form ≤ 0.5× PyTorch
  // (2 cores, W1.md), the slower ≤ 1.0×.
  const torch = peers.find(([p]) => p === "PyTorch")![1];
  const pool = navigator.hardwareConcurrency;
  const [fast, slow] = [`zgrad jit cpu (default, ${pool} threads)`, cpuMatmul]
    .map((name) => report.find(n, name)!)
    .sort((a, b) => a.median - b.median);
  console.log(
    `    CPU default vs PyTorch ${torch} ms: faster form ${
      (fast.median / torch).toFixed(2)
    }× (target ≤ 0.5×), slower form ${(slow.median / torch).toFixed(2)}× (target ≤ 1.0×)`,
  );
}

/**
 * WebGPU: the two hand-written WGSL baselines and zgrad `jit` in both forms, interleaved, with
 * issue 14's targets.
 */
async function measureWebGpu(report: Report, s: SizeInputs, gpu: WebGpuContext): Promise<void> {
  const { n, arrays, typed, theta32, th } = s;
  // Columns are put on the device once; each call reads Z and the gradient back.
  const dg = mapColumns(arrays, (v) => devicePut(v, "webgpu"));
  const hand = new W1Wgsl(gpu.device, typed);
  const tangent = new W1Wgsl(gpu.device, typed, "tangent");
  const four = "baseline WGSL (4 kernels)", limit = "baseline WGSL fused tangent (2 kernels)";
  const zgradRun = (fn: typeof significance) => {
    const fg = zg.jit(zg.valueAndGrad(fn), { device: "webgpu" });
    return async (): Promise<Result> => {
      const [z, g] = fg(theta32, dg) as [Array, Array];
      const [zv, gv] = await Promise.all([z.data(), g.data()]);
      z.dispose();
      g.dispose();
      return { z: zv[0], g: [gv[0], gv[1]] };
    };
  };
  // Both user formulations compile to the same kernels: the form measured second reuses the
  // pipelines of the first, so only the sum form's "first" is a cold compile. The calls are
  // interleaved, so load from other processes hits every row alike.
  const forms = [["sum", significance], ["matmul", matmulSignificance]] as const;
  const gpuRows = await measureInterleaved(n, REPS, [
    { name: four, run: () => hand.run(th) },
    { name: limit, run: () => tangent.run(th) },
    ...forms.map(([form, fn]) => ({
      name: `zgrad jit webgpu (${form} form)`,
      run: zgradRun(fn),
      base: limit,
    })),
  ]);
  for (const r of gpuRows) report.add(r);
  const row = (name: string) => report.find(n, name)!;
  const lim = row(limit).median;
  console.log(
    `    targets: WebGPU value+grad ≤ 1.3× the fused-tangent WGSL: ` +
      forms.map(([f]) => `${f} ${(row(`zgrad jit webgpu (${f} form)`).median / lim).toFixed(2)}×`)
        .join(", ") +
      ` (4-kernel WGSL ${(row(four).median / lim).toFixed(2)}×); first WebGPU call ` +
      `${row("zgrad jit webgpu (sum form)").first.toFixed(0)} ms` +
      (n === 1e5 ? " (target ≤ 1500 ms)" : ""),
  );
  tangent.destroy();
  hand.destroy();
  for (const v of Object.values(dg)) v.dispose();
}

/** zgrad eager (no `jit`): slow at 1e6, so fewer repetitions. */
async function measureEager(report: Report, s: SizeInputs): Promise<void> {
  const vg = zg.valueAndGrad(significance);
  report.add(
    await measure(
      "zgrad eager cpu",
      s.n,
      EAGER_REPS,
      zgradRunner(vg, s.theta32, s.arrays),
      "baseline TS (eager erfc)",
    ),
  );
}

/**
 * Agreement: float32 implementations with the float64 jit result to 1e-3, float64 to 1e-9.
 * Prints the reference and returns a line per row that disagrees.
 */
function checkAgreement(report: Report, n: number): string[] {
  const problems: string[] = [];
  const ref = report.find(n, "zgrad jit cpu float64")!.result;
  // (Gradient components relative to the gradient's largest component: one of them can be ~0.)
  const gscale = Math.max(Math.abs(ref.g[0]), Math.abs(ref.g[1]));
  for (const r of report.at(n)) {
    const tol = r.name.includes("float64") ? 1e-9 : 1e-3;
    const gerr = (k: 0 | 1) => Math.abs(r.result.g[k] - ref.g[k]) / gscale;
    const worst = Math.max(rel(r.result.z, ref.z), gerr(0), gerr(1));
    if (!(worst <= tol)) problems.push(`${r.name} at N=${n}: relative difference ${worst}`);
  }
  console.log(
    `  Z = ${ref.z.toPrecision(8)}, dZ/dmetCut = ${ref.g[0].toPrecision(7)}, ` +
      `dZ/dbtagCut = ${ref.g[1].toPrecision(7)} (float64)\n`,
  );
  return problems;
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

/** The WebGPU device (unless skipped or absent), after printing what runs. */
async function start(): Promise<WebGpuContext | null> {
  const gpu = SKIP.has("webgpu") ? null : await initDevice("webgpu");
  if (gpu) {
    console.log(
      `WebGPU adapter: ${gpu.description}${gpu.isFallbackAdapter ? " (software fallback)" : ""}` +
        `; MESA_SHADER_CACHE_DISABLE=${Deno.env.get("MESA_SHADER_CACHE_DISABLE") ?? "unset"}`,
    );
  } else if (!SKIP.has("webgpu")) console.log("No WebGPU adapter: WebGPU rows skipped.");
  console.log(
    `W1 benchmark: value and gradient of the Asimov significance, ${REPS} timed calls after the ` +
      `first (eager: ${EAGER_REPS}); times in ms; ${navigator.hardwareConcurrency} logical CPUs\n`,
  );
  return gpu;
}

async function main() {
  const report = new Report();
  const problems: string[] = [];
  const gpu = await start();
  for (const n of SIZES) {
    const s = sizeInputs(n);
    await measureBaselines(report, s);
    const cpuMatmul = await measureCpuJit(report, s);
    printPeerComparison(report, n, cpuMatmul);
    if (gpu) await measureWebGpu(report, s, gpu);
    if (!SKIP.has("eager")) await measureEager(report, s);
    problems.push(...checkAgreement(report, n));
  }
  if (problems.length) {
    console.log("DISAGREEMENT:\n  " + problems.join("\n  "));
    Deno.exitCode = 1;
  } else {
    console.log("All implementations agree (1e-3 relative in float32, 1e-9 in float64).");
  }
}

await main();
