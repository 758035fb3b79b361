/**
 * Parallel CPU kernels (jit/cpu/parallel.ts): kernels split across the worker pool give the
 * single-thread results bit for bit (float sums over the split axis in `fast` precision are
 * added in fixed blocks on one thread too; within rounding of the eager order), a busy worker
 * never makes a call wait, the pool is reused, and the exact float32 `erfc` fast path rounds
 * like the eager `erfc`.
 *
 * Splitting is forced with `parallelMinWork: 0` (or `configureCpuParallel({ minWork: 0 })` for
 * `jit`), so small kernels exercise every chunk boundary.
 */
import assert from "node:assert/strict";
import { w1Significance } from "../../bench/w1_workload.ts";
import { type Array, array, hessian, jacfwd, jit, valueAndGrad } from "../../mod.ts";
import { erfc } from "../../core/special.ts";
import {
  compileKernel,
  CPU_HELPERS,
  type CpuCodegenOptions,
  erfcExact32,
  erfcExact32F,
} from "../../jit/cpu/codegen.ts";
import {
  chunkCount,
  configureCpuParallel,
  cpuPoolStats,
  describeCpuThreads,
  type KernelFn,
  runSplit,
} from "../../jit/cpu/parallel.ts";
import { getPool } from "../../jit/cpu/pool.ts";
import { CTL } from "../../jit/cpu/worker_loop.ts";
import type { DType, TypedArray } from "../../core/dtype.ts";
import type { Kernel, KNode, ReduceOp } from "../../jit/kernel_ir.ts";
import { assertClose, assertSameBits, forEachThreadCount } from "./_util.ts";

const SPLIT: CpuCodegenOptions = { threads: 2, parallelMinWork: 0 };
const SERIAL: CpuCodegenOptions = { threads: 1 };

/** Deterministic pseudo-random data (a fixed LCG: no dependence on zgrad's PRNG). */
function data(n: number, seed: number, scale = 4): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

const typed = (dtype: DType, xs: Float64Array) =>
  dtype === "float32"
    ? Float32Array.from(xs)
    : dtype === "float64"
    ? Float64Array.from(xs)
    : dtype === "int32"
    ? Int32Array.from(xs, (v) => Math.round(v * 1000))
    : Uint8Array.from(xs, (v) => (v > 0 ? 1 : 0));

/**
 * A kernel over `[n, m]`: `f(x[i] − y[j])` with a map or a reduction output, `f` a chain of ops.
 */
function kernel(
  n: number,
  m: number,
  dtype: DType,
  ops: string[],
  out: { kind: "map" } | { kind: "reduce"; reduce: ReduceOp; axes: number[] },
): Kernel {
  const nodes: KNode[] = [
    { kind: "load", input: 0, index: { offset: 0, coefs: [1, 0] }, dtype },
    { kind: "load", input: 1, index: { offset: 0, coefs: [0, 1] }, dtype },
    { kind: "op", op: "sub", args: [0, 1], dtype },
  ];
  for (const op of ops) nodes.push({ kind: "op", op, args: [nodes.length - 1], dtype });
  const node = nodes.length - 1;
  const reduceAxes = out.kind === "reduce" ? out.axes : [];
  const shape = [n, m].filter((_, d) => !reduceAxes.includes(d));
  return {
    name: "k",
    domain: [n, m],
    reduceAxes,
    inputs: [{ dtype, size: n, name: "x" }, { dtype, size: m, name: "y" }],
    nodes,
    outputs: [
      out.kind === "map"
        ? { node, kind: "map", dtype, shape: [n, m], name: "z" }
        : { node, kind: "reduce", reduce: out.reduce, dtype, shape, name: "z" },
    ],
  };
}

function assertBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}: [${i}] = ${got[i]}, want ${want[i]}`);
  }
}

/** Runs `k` single-threaded and split; returns both results and whether the split run split. */
function both(k: Kernel, precision: "exact" | "fast", inputs: TypedArray[]) {
  const serial = compileKernel(k, { ...SERIAL, precision });
  const split = compileKernel(k, { ...SPLIT, precision });
  const jobs = cpuPoolStats().jobs;
  const a = serial.run(inputs);
  const b = split.run(inputs);
  return { a, b, split: split.split, ran: cpuPoolStats().jobs - jobs };
}

Deno.test("cpu parallel: split kernels give single-thread results", async (t) => {
  await t.step("float32 maps are bitwise equal (exact and fast), odd sizes", () => {
    for (const [n, m] of [[100_003, 3], [7, 5], [2, 1], [1001, 1]]) {
      for (const precision of ["exact", "fast"] as const) {
        const k = kernel(n, m, "float32", ["erfc", "exp", "logistic"], { kind: "map" });
        const x = typed("float32", data(n, n)), y = typed("float32", data(m, 7));
        const { a, b, split, ran } = both(k, precision, [x, y]);
        assert.ok(split, `[${n},${m}] can split`);
        assert.equal(ran, 1, `[${n},${m}] ran as one pool job`);
        assertBits(b[0], a[0], `map [${n},${m}] ${precision}`);
      }
    }
  });

  await t.step("reductions over inner axes split the outer loop, bitwise (float32 exact)", () => {
    const k = kernel(30_011, 26, "float32", ["erfc"], { kind: "reduce", reduce: "sum", axes: [1] });
    const x = typed("float32", data(30_011, 3, 3000)), y = typed("float32", data(26, 4, 3000));
    const { a, b, split, ran } = both(k, "exact", [x, y]);
    assert.deepEqual(split?.kinds, ["direct"]);
    assert.equal(ran, 1);
    assertBits(b[0], a[0], "row sums");
  });

  await t.step("fast float32 and float64 sums over the split axis: fixed blocks", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const k = kernel(50_001, 25, dtype, ["erfc"], { kind: "reduce", reduce: "sum", axes: [0] });
      const x = typed(dtype, data(50_001, 5)), y = typed(dtype, data(25, 6));
      const { a, b, split, ran } = both(k, "fast", [x, y]);
      assert.deepEqual(split?.kinds, ["partial"]);
      assert.ok(split?.blocked, "partial float sums are blocked");
      assert.equal(ran, 1);
      // Blocks are a function of the kernel: one thread and two give the same bits, every run.
      assertBits(b[0], a[0], `${dtype}: 2 threads vs 1`);
      const again = compileKernel(k, { ...SPLIT, precision: "fast" }).run([x, y]);
      assertBits(again[0], b[0], `${dtype}: repeated split run`);
      // Against the one-thread order (exact): reassociation only.
      const seq = compileKernel(k, { ...SERIAL, precision: "exact" }).run([x, y])[0];
      for (let j = 0; j < 25; j++) {
        const rel = Math.abs(b[0][j] - seq[j]) / Math.abs(seq[j]);
        const tol = dtype === "float32" ? 1e-6 : 1e-13;
        assert.ok(rel <= tol, `${dtype} bin ${j}: ${b[0][j]} vs ${seq[j]} (relative ${rel})`);
      }
    }
    // Below the blocking threshold a kernel is one block: the one-thread (eager) order.
    const small = kernel(101, 3, "float64", ["exp"], { kind: "reduce", reduce: "sum", axes: [0] });
    const xs = typed("float64", data(101, 5)), ys = typed("float64", data(3, 6));
    const r = both(small, "fast", [xs, ys]);
    const seq = compileKernel(small, { ...SERIAL, precision: "exact" }).run([xs, ys])[0];
    assertBits(r.b[0], seq, "small float64 sum: eager order");
    assertBits(r.a[0], seq, "small float64 sum, one thread: eager order");
  });

  await t.step("exact float32 and float64 sums over the split axis replay terms, bitwise", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const k = kernel(15_007, 25, dtype, ["erfc", "exp"], {
        kind: "reduce",
        reduce: "sum",
        axes: [0],
      });
      const x = typed(dtype, data(15_007, 5)), y = typed(dtype, data(25, 6));
      const { a, b, split, ran } = both(k, "exact", [x, y]);
      assert.deepEqual(split?.kinds, ["terms"], dtype);
      assert.equal(ran, 1, "one round (3 MB of terms)");
      assertBits(b[0], a[0], `${dtype} exact sum over events`);
    }
    // Reduced over both axes into a scalar, and a map output in the same kernel.
    const k = kernel(20_011, 7, "float32", ["sin"], {
      kind: "reduce",
      reduce: "sum",
      axes: [0, 1],
    });
    k.outputs.push({ node: 2, kind: "map", dtype: "float32", shape: [20_011, 7], name: "d" });
    k.reduceAxes = [0, 1];
    const x = typed("float32", data(20_011, 8)), y = typed("float32", data(7, 9));
    const { a, b, split } = both(k, "exact", [x, y]);
    assert.deepEqual(split?.kinds, ["terms", "direct"]);
    assertBits(b[0], a[0], "scalar sum");
    assertBits(b[1], a[1], "map beside it");
  });

  await t.step("terms longer than one round (4 MB) are replayed round by round", () => {
    // 12 MB of float64 terms: three rounds, alternating between the two terms regions.
    const n = 60_001, m = 25;
    const k = kernel(n, m, "float64", ["neg"], { kind: "reduce", reduce: "sum", axes: [0] });
    const x = typed("float64", data(n, 21, 1e6)), y = typed("float64", data(m, 22));
    const { a, b, ran } = both(k, "exact", [x, y]);
    assert.equal(ran, 3, "rounds");
    assertBits(b[0], a[0], "float64 sums in rounds");
  });

  await t.step("int32 and bool kernels", () => {
    const n = 40_009;
    const xi = typed("int32", data(n, 11)), yi = typed("int32", data(5, 12));
    // int32 map with wrap-around products, and an int32 sum over the split axis (exact in double).
    const map = kernel(n, 5, "int32", ["neg", "abs"], { kind: "map" });
    const r1 = both(map, "exact", [xi, yi]);
    assertBits(r1.b[0], r1.a[0], "int32 map");
    const sum = kernel(n, 5, "int32", ["abs"], { kind: "reduce", reduce: "sum", axes: [0] });
    const r2 = both(sum, "exact", [xi, yi]);
    assert.deepEqual(r2.split?.kinds, ["partial"], "int32 sums are exact in any order");
    assertBits(r2.b[0], r2.a[0], "int32 sum");
    // bool: a comparison map and an or-reduction written as max.
    const k: Kernel = {
      name: "kb",
      domain: [n, 3],
      reduceAxes: [],
      inputs: [{ dtype: "int32", size: n, name: "x" }, { dtype: "int32", size: 3, name: "y" }],
      nodes: [
        { kind: "load", input: 0, index: { offset: 0, coefs: [1, 0] }, dtype: "int32" },
        { kind: "load", input: 1, index: { offset: 0, coefs: [0, 1] }, dtype: "int32" },
        { kind: "op", op: "gt", args: [0, 1], dtype: "bool" },
        { kind: "op", op: "not", args: [2], dtype: "bool" },
      ],
      outputs: [{ node: 3, kind: "map", dtype: "bool", shape: [n, 3], name: "b" }],
    };
    const r3 = both(k, "exact", [xi, yi]);
    assert.ok(r3.b[0] instanceof Uint8Array);
    assertBits(r3.b[0], r3.a[0], "bool map");
  });

  await t.step("default threshold: small and memory-bound kernels stay on one thread", () => {
    const x = typed("float32", data(1_000_003, 31)), y = typed("float32", data(1, 32));
    const jobsAfter = (n: number, ops: string[]) => {
      const jobs = cpuPoolStats().jobs;
      const c = compileKernel(kernel(n, 1, "float32", ops, { kind: "map" }), { threads: 2 });
      c.run([x.subarray(0, n), y]);
      return cpuPoolStats().jobs - jobs;
    };
    assert.equal(jobsAfter(1_000_003, ["neg"]), 0, "a neg map moves more bytes than it computes");
    assert.equal(jobsAfter(1_000_003, ["erfc", "exp"]), 1, "a large erfc map splits");
    assert.equal(jobsAfter(1000, ["erfc", "exp"]), 0, "a small one does not");
  });

  await t.step("chunk counts: never more chunks than iterations, bounded partials", () => {
    const info = { kinds: [], reduce: [], termsPerIter: 1, blocked: false };
    assert.equal(chunkCount({ ...info, extent: 3, work: 1e9 }, []), 3);
    assert.equal(chunkCount({ ...info, extent: 1e6, work: 10 }, []), 8);
    assert.equal(chunkCount({ ...info, extent: 1e6, work: 1e4, blocked: true }, []), 1);
    const big = chunkCount(
      {
        extent: 1e6,
        work: 1e12,
        kinds: ["partial"],
        reduce: ["sum"],
        termsPerIter: 1,
        blocked: true,
      },
      [1e5],
    );
    assert.ok(big * 1e5 * 8 <= 1 << 24, `partials bounded (${big} chunks)`);
  });
});

Deno.test("cpu parallel: the pool is reused and workers take chunks", () => {
  const k = kernel(200_003, 8, "float32", ["erfc"], { kind: "map" });
  const c = compileKernel(k, SPLIT);
  const x = typed("float32", data(200_003, 1)), y = typed("float32", data(8, 2));
  const want = compileKernel(k, SERIAL).run([x, y])[0];
  c.run([x, y]);
  const workers = cpuPoolStats().workers;
  assert.ok(workers >= 1, "the pool has a worker (more if an earlier caller asked for more)");
  // A worker takes chunks once it has started; starting does not block callers, so allow it
  // some runs (each checks the result).
  let taken = 0;
  for (let r = 0; r < 400 && taken === 0; r++) {
    assertBits(c.run([x, y])[0], want, `run ${r}`);
    taken = cpuPoolStats().workerChunks.reduce((s, v) => s + v, 0);
  }
  assert.ok(taken > 0, "a worker ran chunks");
  const stats = cpuPoolStats();
  assert.equal(stats.workers, workers, "no new workers per call");
  assert.ok(stats.running >= 1 && stats.running <= workers, `running ${stats.running}`);
  assert.equal(stats.unavailable, null, "Deno can start worker threads");
  assert.match(describeCpuThreads(stats), /up to \d+ threads; [1-9]\d* of \d+ worker\(s\) running/);
  const threadsOne = jit((a: Array) => a.mul(2), { threads: 1 }).inspect(array([1, 2])).toString();
  assert.match(threadsOne, /=== threads\n1 thread \(threads: 1\)/);
});

/** W1's function on small data (see ../shared/bench/W1.md). */
function w1Data(n: number) {
  const col = (seed: number, lo: number, hi: number) =>
    array(globalThis.Array.from(data(n, seed, 0.5), (v) => lo + (v + 0.5) * (hi - lo)), "float32");
  return {
    mtt: col(1, 0, 3200),
    met: col(2, 0, 200),
    btag: col(3, 0, 1),
    wgt: col(4, 0.05, 1),
    sig: array(globalThis.Array.from(data(n, 5), (v) => (v > 2 ? 1 : 0)), "float32"),
  };
}
const significance = w1Significance;

Deno.test("cpu parallel: jit programs split by the process-wide setting", async (t) => {
  const d = w1Data(20_011);
  const theta = array([50, 0.5], "float32");
  const vg = valueAndGrad(significance);
  const run = (threads: number, precision: "exact" | "fast") => {
    const before = configureCpuParallel({ threads, minWork: 0 });
    try {
      return jit(vg, { precision })(theta, d);
    } finally {
      configureCpuParallel(before);
    }
  };
  await t.step("exact: bitwise equal to one thread and to eager", () => {
    const jobs = cpuPoolStats().jobs;
    const par = run(2, "exact");
    assert.ok(cpuPoolStats().jobs > jobs, "some kernel was split");
    assertSameBits(par, run(1, "exact"), "W1 exact, 2 threads vs 1");
    assertSameBits(par, vg(theta, d), "W1 exact, 2 threads vs eager");
  });
  await t.step("fast (default): bitwise equal to one thread, close to eager", () => {
    const par = run(2, "fast");
    assertSameBits(par, run(1, "fast"), "W1 fast, 2 threads vs 1");
    assertSameBits(par, run(3, "fast"), "W1 fast, 3 threads vs 1");
    assertClose(par, vg(theta, d), "W1 fast vs eager", 1e-5, 1e-9);
  });
  await t.step(
    "forward mode (jacfwd) and Hessians: exact = eager, default the same at every thread count",
    () => {
      // Reductions over an inner axis whose accumulator spans the split loop (jacfwd's tangent
      // columns, a Hessian's rows) once came out 0 on 2 threads: each chunk copied its whole
      // accumulator over the other chunks' rows.
      const d64 = {
        mtt: d.mtt.astype("float64"),
        met: d.met.astype("float64"),
        btag: d.btag.astype("float64"),
        wgt: d.wgt.astype("float64"),
        sig: d.sig.astype("float64"),
      };
      const cases: [string, (th: Array) => Array, Array][] = [
        ["jacfwd f32", jacfwd((th: Array) => significance(th, d)), theta],
        ["jacfwd f64", jacfwd((th: Array) => significance(th, d64)), theta.astype("float64")],
        ["hessian f64", hessian((th: Array) => significance(th, d64)), theta.astype("float64")],
      ];
      for (const [what, f, x] of cases) {
        const want = f(x);
        for (const precision of ["exact", "fast"] as const) {
          const g = jit(f, { precision });
          let first: unknown;
          forEachThreadCount((threads) => {
            const got = g(x);
            const label = `${what} ${precision}, ${threads} thread(s)`;
            if (precision === "exact") return assertSameBits(got, want, label);
            assertClose(got, want, label, 1e-4, 1e-6, 1e-12);
            if (first === undefined) first = got;
            else assertSameBits(got, first, `${label} vs 1 thread`);
          });
        }
      }
    },
  );
  await t.step("jit's threads option overrides the process-wide setting", () => {
    const before = configureCpuParallel({ threads: 2, minWork: 0 });
    try {
      let jobs = cpuPoolStats().jobs;
      const one = jit(vg, { threads: 1 })(theta, d);
      assert.equal(cpuPoolStats().jobs, jobs, "threads: 1 splits nothing");
      jobs = cpuPoolStats().jobs;
      assertSameBits(jit(vg, { threads: 2 })(theta, d), one, "threads: 2 vs 1");
      assert.ok(cpuPoolStats().jobs > jobs, "threads: 2 splits");
    } finally {
      configureCpuParallel(before);
    }
  });
  await t.step("configureCpuParallel returns the previous settings", () => {
    const before = configureCpuParallel({ threads: 3 });
    assert.equal(configureCpuParallel(before).threads, 3);
  });
});

Deno.test("cpu parallel: erfcExact32 rounds to float32 exactly like the eager erfc", () => {
  const check = (x: number) => {
    const got = Math.fround(erfcExact32(x)), want = Math.fround(erfc(x));
    if (!Object.is(got, want)) assert.fail(`erfcExact32(${x}) → ${got}, eager ${want}`);
  };
  // Dense random points over the whole range, float32 arguments as kernels see them.
  const xs = data(2_000_000, 99, 1);
  for (const v of xs) check(Math.fround(-4.5 + (v + 1) * 7.5));
  // Every float32 in a band of the one-exp branch, and the branch and saturation boundaries.
  const f = new Float32Array(1), u = new Uint32Array(f.buffer);
  for (const start of [1.25, 2.5, 1 / 0.35, 4, 9.9, -1.3, -3.5]) {
    f[0] = start;
    for (let i = 0; i < 200_000; i++, u[0]++) check(f[0]);
  }
  for (const x of [NaN, Infinity, -Infinity, 0, -0, 1.25, -1.25, 10.0542, -3.8326, 28]) check(x);
});

Deno.test("cpu parallel: erfcExact32F is exact for every float32 argument", () => {
  // Without a rounding test, exactness rests on this exhaustive check: every float32 where the
  // one-exp formula is used (1.25 ≤ |x|, inside the saturation thresholds) and a margin around.
  const f = new Float32Array(1), u = new Uint32Array(f.buffer);
  let checked = 0;
  for (const [from, to] of [[1.2, 10.1], [-1.2, -3.9]]) {
    f[0] = from;
    // Incrementing the bits walks away from zero on both signs.
    for (; Math.abs(f[0]) < Math.abs(to); u[0]++, checked++) {
      const x = f[0];
      const got = Math.fround(erfcExact32F(x));
      if (got !== Math.fround(erfc(x))) assert.fail(`erfcExact32F(${x}) → ${got}`);
    }
  }
  assert.ok(checked > 39_000_000, `${checked} float32 values`);
});

Deno.test("cpu parallel: a busy worker never makes a call wait", () => {
  // A worker still inside an earlier job (descheduled on a loaded machine) is simulated by
  // counting one more active worker: the next split kernel must run on the calling thread at
  // once, in the same blocks (same bits), instead of waiting for it.
  const k = kernel(50_001, 25, "float64", ["erfc"], { kind: "reduce", reduce: "sum", axes: [0] });
  const x = typed("float64", data(50_001, 5)), y = typed("float64", data(25, 6));
  // Not forced (minWork > 0): forced splitting (tests' minWork: 0) waits for busy workers.
  const c = compileKernel(k, { threads: 2, parallelMinWork: 1 });
  const want = c.run([x, y])[0];
  const p = getPool(2)!;
  const settle = () => {
    for (let a; (a = Atomics.load(p.ctl, CTL.ACTIVE)) !== 0;) Atomics.wait(p.ctl, CTL.ACTIVE, a, 5);
  };
  settle();
  Atomics.add(p.ctl, CTL.ACTIVE, 1);
  try {
    const jobs = cpuPoolStats().jobs;
    const t0 = performance.now();
    const got = c.run([x, y])[0];
    const ms = performance.now() - t0;
    assert.equal(cpuPoolStats().jobs, jobs, "not published to the pool");
    assertBits(got, want, "same blocks, same bits");
    assert.ok(ms < 2000, `ran without waiting (${ms.toFixed(1)} ms)`);
  } finally {
    Atomics.sub(p.ctl, CTL.ACTIVE, 1);
  }
  // The pool is used again once the worker has left.
  settle();
  const jobs = cpuPoolStats().jobs;
  assertBits(c.run([x, y])[0], want, "split again");
  assert.equal(cpuPoolStats().jobs, jobs + 1);
});

Deno.test("cpu parallel: a kernel stops using the pool where it runs slower, and probes it", () => {
  // Timings are per compiled kernel; results do not depend on the choice (fixed chunks).
  const k = kernel(200_003, 8, "float32", ["erfc"], { kind: "map" });
  const c = compileKernel(k, { threads: 2 });
  const fn = new Function("H", c.source)(CPU_HELPERS) as KernelFn;
  const code = { kid: 1 << 30, source: c.source, fn, bytes: c.source.length };
  const x = typed("float32", data(200_003, 1)), y = typed("float32", data(8, 2));
  const want = compileKernel(k, SERIAL).run([x, y])[0];
  const timings = { pool: [1e9, 1e9, 1e9], local: [1, 1, 1], calls: 7 };
  const run = () => {
    // A worker still leaving the previous job would make the call run on one thread: wait.
    const ctl = getPool(2)!.ctl;
    for (let a; (a = Atomics.load(ctl, CTL.ACTIVE)) !== 0;) Atomics.wait(ctl, CTL.ACTIVE, a, 5);
    const jobs = cpuPoolStats().jobs;
    const outs = [new Float32Array(200_003 * 8)];
    runSplit(fn, () => code, c.split!, [x, y], outs, { threads: 2 }, timings);
    assertBits(outs[0], want, `call ${timings.calls}`);
    return cpuPoolStats().jobs - jobs;
  };
  assert.equal(run(), 0, "the pool lost: one thread");
  for (let i = timings.calls; i < 15; i++) run();
  assert.equal(run(), 1, "every 16th call probes the pool");
  // Pool runs faster: it is used again.
  timings.pool = [0, 0, 0];
  assert.equal(run(), 1, "the pool won: split");
  assert.equal(timings.local.length, 5, "samples kept per mode");
});
