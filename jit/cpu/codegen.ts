/**
 * The CPU renderer: kernel IR → JavaScript source, compiled with `new Function`.
 *
 * A kernel becomes one loop nest over its domain in row-major order (axes of extent 1 are the
 * constant 0). Measured on W1, compact loops beat fully unrolled straight-line code by ~1.8×
 * (V8 inlines helpers into small loop bodies and keeps them in registers), so nothing is unrolled;
 * instead (the scheduling is the shared `jit/schedule/`; this module spells it in JavaScript and
 * emits the loops):
 *
 * - **Value numbering and hoisting.** Each node is instantiated once per distinct concrete index
 *   (its loads keyed by their address), and computed in the outermost loop whose indices it
 *   depends on: per-event weights once per event, scalar parameters once per call.
 * - **Tables.** A value that is read at shifted points (a `shift` node: the `cdf[:, 1:] -
 *   cdf[:, :-1]` of a KDE histogram) is computed once per point into a small table over the
 *   shifted axis just before that axis' loop (each bin edge's normal CDF once per event, not
 *   twice). A value that does not depend on an *outer* loop (per-bin coefficients of a backward
 *   pass inside the loop over events) is computed once into a table before that loop instead of
 *   at every iteration. Tables are `Float64Array`s allocated per call, of at most 65 536 entries.
 * - **Accumulators.** A reduction whose target element is fixed while the reduced loops run is a
 *   scalar local declared just outside them; otherwise (a histogram: reduced loop over events
 *   outside the loop over bins) it accumulates into a `Float64Array` of the output's size.
 *   Accumulation is in double precision, in row-major order of the reduced axes, like the eager
 *   reductions.
 * - **Precision.** `fast` (the default): float32 expressions are evaluated in double precision
 *   and rounded when stored (and before comparisons, conversions and rounding functions, so
 *   discrete decisions see float32 values), and float32 `erfc` uses the float32-accurate
 *   {@link erfcF32}; float64 and int32 elementwise arithmetic is exact. `exact`: every float32
 *   operation is rounded (`Math.fround`) and special functions are the eager ones, so results
 *   equal eager results bit for bit in every dtype (float32 `erfc` skips the evaluation where its
 *   float32 value is the constant 0 or 2, and uses one `exp` where that provably rounds to the
 *   same float32: {@link erfcExact32F}).
 * - **Threads and blocks.** The generated function takes optional bounds of its outermost loop, so
 *   a large kernel can run as fixed chunks (`cpu_parallel.ts`), split across the worker pool:
 *   maps and reductions over inner axes always (each element is computed exactly as on one
 *   thread), reductions over the outermost loop from per-chunk partial results — exact for
 *   max/min and integer sums, and in `fast` precision for float sums too, which then always run
 *   in those chunks (one thread included: {@link SplitInfo.blocked}) so the bits do not depend on
 *   the thread count. In `exact`, float sums over the outermost loop split through a `terms`
 *   variant of the kernel that stores every term for {@link replaySource} to add in the
 *   one-thread order.
 *
 * @module
 */
import { allocate, type TypedArray } from "../../core/dtype.ts";
import { sizeOf, stridesOf } from "../../core/shape.ts";
import {
  type KernelFn,
  runSplit,
  type SplitCode,
  type SplitInfo,
  splitTimings,
} from "./parallel.ts";
import { CPU_HELPERS } from "./math.ts";
import { analyzeNodes } from "../schedule/analysis.ts";
import { loopNest, planTables, tableEntry } from "../schedule/tables.ts";
import { type Env, type Lang, Values } from "../schedule/values.ts";
import { type Kernel, reduceInit, type ReduceOp } from "../kernel_ir.ts";
import { SCALAR_OPS, scalarOp } from "../scalar_ops.ts";

export { CPU_HELPERS, erfcExact32, erfcExact32F } from "./math.ts";

/**
 * Numeric mode of generated CPU code for float32 (see the module docs).
 *
 * @example
 * ```ts
 * import type { Precision } from "./codegen.ts";
 * const p: Precision = "exact";
 * ```
 */
export type Precision = "fast" | "exact";

/**
 * A kernel compiled to JavaScript.
 *
 * @example
 * ```ts
 * import { compileKernel } from "./codegen.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * console.log(compileKernel(k).source);
 * ```
 */
export interface CompiledKernel {
  /** The kernel. */
  kernel: Kernel;
  /** The generated JavaScript. */
  source: string;
  /** Runs the kernel: input buffers in, freshly allocated outputs out. */
  run(inputs: readonly TypedArray[]): TypedArray[];
  /**
   * How the kernel may be split across threads (`cpu_parallel.ts`), or null when it must run on
   * one thread (no loop, or a reduction over the outermost loop whose result would depend on the
   * summation order in a mode that promises bitwise results).
   */
  split: SplitInfo | null;
}

/**
 * Options of {@link compileKernel}.
 *
 * @example
 * ```ts
 * import type { CpuCodegenOptions } from "./codegen.ts";
 * const o: CpuCodegenOptions = { precision: "exact" };
 * ```
 */
export interface CpuCodegenOptions {
  /** Numerics: `fast` (default; deterministic, within rounding of eager) or `exact` (bitwise eager). */
  precision?: Precision;
  /** Largest table (elements) used to share shifted or loop-invariant values (default 65536). */
  maxTable?: number;
  /**
   * Threads a large kernel may be split across, the main thread included (default: the
   * process-wide setting of `configureCpuParallel`, initially `navigator.hardwareConcurrency`).
   */
  threads?: number;
  /**
   * Smallest estimated work (points × weighted operations) split across threads (default: the
   * process-wide setting; tests pass 0 to force splitting).
   */
  parallelMinWork?: number;
}

function literal(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "(-Infinity)";
  if (Object.is(v, -0)) return "(-0)";
  const s = String(v);
  return v < 0 ? `(${s})` : s;
}

function accUpdate(op: ReduceOp, acc: string, v: string): string {
  switch (op) {
    case "sum":
      return `${acc} += ${v};`;
    case "prod":
      return `${acc} *= ${v};`;
    case "max":
      return `{ const t = ${v}; if (t > ${acc} || t !== t) ${acc} = t; }`;
    case "min":
      return `{ const t = ${v}; if (t < ${acc} || t !== t) ${acc} = t; }`;
  }
}

/**
 * Generates the JavaScript source of a kernel: the body of `new Function("H", source)`, which
 * returns `function (ins, outs)`; called as `f(ins, outs, lo, hi)` it computes only the outermost
 * loop's iterations `[lo, hi)` (one chunk of a split run, see `cpu_parallel.ts`). The `terms`
 * variant, for split runs of reductions over the outermost loop, writes each reduce output's
 * terms in loop order (a `Float64Array` of points-in-the-chunk elements) instead of summing them:
 * {@link replaySource} then accumulates them in the one-thread order.
 *
 * @example
 * ```ts
 * import { kernelSource } from "./codegen.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * console.log(kernelSource(k));
 * ```
 */
export function kernelSource(
  k: Kernel,
  opts: CpuCodegenOptions = {},
  variant: "plain" | "terms" = "plain",
): string {
  const precision = opts.precision ?? "fast";
  const nest = loopNest(k.domain);
  const { loops, depthOf } = nest;
  const L = loops.length;
  const info = analyzeNodes(k);
  const tables = planTables(k, info, nest, opts.maxTable ?? 65536);
  const mainEnv: Env = k.domain.map((n, d) => ({
    v: depthOf[d] > 0
      ? { name: `i${d}`, scope: `m${depthOf[d]}`, level: depthOf[d], lo: 0, hi: n - 1 }
      : null,
    c: 0,
  }));
  const vals = new Values(k, jsLang(precision), { info, tables, mainEnv });
  const ref = (id: number) => vals.ref(id);

  const declared = (scope: string) =>
    vals.declared(scope).map(([id, code]) => `const v${id} = ${code};`);
  // Tables first (their values are computed before the outputs read them), then the outputs.
  const regions = [...tables.values()].sort((a, b) => a.node - b.node).map((t) => {
    const { vars, value, addr } = tableEntry(vals, t, mainEnv);
    return { t, vars, store: `T${t.id}[${addr}] = ${ref(value)};` };
  });
  const out = outputCode(k, vals, mainEnv, variant);
  const { decls, finals, inner } = out;
  const prologue = [
    ...regions.map(({ t }) => `const T${t.id} = new Float64Array(${t.size});`),
    ...out.prologue,
  ];
  /** The loop nest filling one table, inside main scope m{p}. */
  const tableLoops = ({ t, vars, store }: (typeof regions)[number]) => {
    const emit = (j: number, indent: string): string[] => {
      const { name: nm, scope, lo, hi } = vars[j];
      return [
        `${indent}for (let ${nm} = ${lo}; ${nm} < ${hi + 1}; ${nm}++) {`,
        ...declared(scope).map((l) => indent + "  " + l),
        ...(j + 1 < t.axes.length ? emit(j + 1, indent + "  ") : [`${indent}  ${store}`]),
        `${indent}}`,
      ];
    };
    return emit(0, "");
  };

  // --- Emission.
  const block = (d: number, indent: string): string[] => {
    const lines = [...declared(`m${d}`), ...decls[d]].map((l) => indent + l);
    for (const reg of regions) {
      if (reg.t.p === d) lines.push(...tableLoops(reg).map((l) => indent + l));
    }
    if (d < L) {
      const ax = loops[d];
      // The outermost loop runs over [lo, hi): the whole extent, or one chunk of a split run.
      const [from, to] = d === 0 ? ["lo", "hi"] : ["0", String(k.domain[ax])];
      lines.push(`${indent}for (let i${ax} = ${from}; i${ax} < ${to}; i${ax}++) {`);
      lines.push(...block(d + 1, indent + "  "));
      lines.push(`${indent}}`);
    } else {
      lines.push(...inner.map((l) => indent + l));
    }
    lines.push(...finals[d].map((l) => indent + l));
    return lines;
  };

  const helpers = Object.keys(CPU_HELPERS).join(", ");
  const head = [
    `"use strict";`,
    `const { ${helpers} } = H;`,
    `// kernel ${k.name}: domain [${k.domain}], reduce axes [${k.reduceAxes}], ` +
    `${tables.size} table(s), precision ${precision}`,
    `return function ${k.name}(ins, outs) {`,
    ...(L > 0
      ? [
        // Optional third and fourth arguments: the chunk [lo, hi) of the outermost loop that a
        // split run (cpu_parallel.ts) gives each thread. The two-argument form stays the
        // kernel's plain signature.
        `  const lo = arguments.length > 2 ? arguments[2] : 0;`,
        `  const hi = arguments.length > 2 ? arguments[3] : ${k.domain[loops[0]]};`,
      ]
      : []),
    ...k.inputs.map((_, i) => `  const in${i} = ins[${i}];`),
    ...k.outputs.map((_, j) => `  const out${j} = outs[${j}];`),
    ...prologue.map((l) => "  " + l),
  ];
  return [...head, ...block(0, "  "), ...out.epilogue.map((l) => "  " + l), "};"].join("\n");
}

/**
 * The statements writing a kernel's outputs: map stores and accumulations in the innermost loop
 * (`inner`), accumulator declarations and final stores per loop depth (`decls`, `finals`), and
 * whole-call accumulators (`prologue`, `epilogue`).
 */
function outputCode(k: Kernel, vals: Values, mainEnv: Env, variant: "plain" | "terms") {
  const { loops, depthOf } = loopNest(k.domain);
  const L = loops.length;
  const decls = Array.from({ length: L + 1 }, () => [] as string[]);
  const finals = Array.from({ length: L + 1 }, () => [] as string[]);
  const prologue: string[] = [];
  const epilogue: string[] = [];
  const inner: string[] = [];
  const keptAxes = k.domain.map((_, d) => d).filter((d) => !k.reduceAxes.includes(d));
  const keptStrides = new Array<number>(k.domain.length).fill(0);
  {
    const st = stridesOf(keptAxes.map((d) => k.domain[d]));
    keptAxes.forEach((d, j) => (keptStrides[d] = st[j]));
  }
  const domStrides = stridesOf(k.domain);
  const reducedLoopDepths = loops.filter((d) => k.reduceAxes.includes(d)).map((d) => depthOf[d]);
  k.outputs.forEach((o, j) => {
    const v = vals.node(o.node, mainEnv);
    vals.use(v);
    if (o.kind === "map") {
      inner.push(`out${j}[${vals.affine(0, domStrides, mainEnv).code}] = ${vals.ref(v)};`);
      return;
    }
    const a = vals.affine(0, keptStrides, mainEnv);
    if (variant === "terms" && reducedLoopDepths.includes(1)) {
      // Split run of a reduction over the outermost loop that must keep the one-thread order:
      // store every term in loop order; the main thread replays the accumulation
      // (replaySource).
      prologue.push(`let tc${j} = 0;`);
      inner.push(`out${j}[tc${j}++] = ${vals.ref(v)};`);
    } else if (reducedLoopDepths.every((rd) => rd > a.level)) {
      const name = `a${j}`;
      decls[a.level].push(`let ${name} = ${literal(reduceInit(o.reduce!))};`);
      finals[a.level].push(`out${j}[${a.code}] = ${name};`);
      inner.push(accUpdate(o.reduce!, name, vals.ref(v)));
    } else {
      prologue.push(
        `const acc${j} = new Float64Array(${sizeOf(o.shape)}).fill(${
          literal(reduceInit(o.reduce!))
        });`,
      );
      inner.push(accUpdate(o.reduce!, `acc${j}[${a.code}]`, vals.ref(v)));
      // A chunk of a split run owns only the elements of its iterations of the outermost loop
      // (when that loop is kept, it is the first kept axis: they are contiguous); copying the
      // whole accumulator would overwrite other chunks' results with the initial value.
      const s = L > 0 && !k.reduceAxes.includes(loops[0]) ? keptStrides[loops[0]] : 0;
      epilogue.push(
        s > 0
          ? `out${j}.set(acc${j}.subarray(${s} * lo, ${s} * hi), ${s} * lo);`
          : `out${j}.set(acc${j});`,
      );
    }
  });

  return { decls, finals, prologue, epilogue, inner };
}

/**
 * Source of the function that accumulates the terms written by the `terms` variant of a kernel
 * (see {@link kernelSource}) for outermost-loop iterations `[lo, hi)`: the same loop nest, each
 * term added to its output element in the order the one-thread kernel adds it, so a split run
 * gives the one-thread bits. Returns `function (terms, accs, lo, hi)`; `accs` are `Float64Array`
 * accumulators of the reduce outputs (others are ignored).
 *
 * @example
 * ```ts
 * import { replaySource } from "./codegen.ts";
 * // Σ_i x[i, j] over a [1000, 3] domain: acc0[j] += terms in (i, j) order.
 * console.log(replaySource({
 *   name: "k", domain: [1000, 3], reduceAxes: [0],
 *   inputs: [{ dtype: "float64", size: 3000, name: "x" }],
 *   nodes: [{ kind: "load", input: 0, index: { offset: 0, coefs: [3, 1] }, dtype: "float64" }],
 *   outputs: [{ node: 0, kind: "reduce", reduce: "sum", dtype: "float64", shape: [3], name: "s" }],
 * }));
 * ```
 */
export function replaySource(k: Kernel): string {
  const loops = k.domain.map((_, d) => d).filter((d) => k.domain[d] > 1);
  const kept = k.domain.map((_, d) => d).filter((d) => !k.reduceAxes.includes(d));
  const st = stridesOf(kept.map((d) => k.domain[d]));
  const addr = kept.map((d, j) => (k.domain[d] > 1 ? `${st[j]} * i${d}` : "")).filter(Boolean)
    .join(" + ") || "0";
  const outs = k.outputs.map((o, j) => ({ o, j })).filter(({ o }) => o.kind === "reduce");
  const body = outs.map(({ o, j }) => accUpdate(o.reduce!, `acc${j}[${addr}]`, `tm${j}[tc${j}++]`));
  const lines = [
    `"use strict";`,
    `return function replay_${k.name}(terms, accs, lo, hi) {`,
    ...outs.map(({ j }) => `  const tm${j} = terms[${j}], acc${j} = accs[${j}]; let tc${j} = 0;`),
  ];
  let indent = "  ";
  loops.forEach((d, i) => {
    const [from, to] = i === 0 ? ["lo", "hi"] : ["0", String(k.domain[d])];
    lines.push(`${indent}for (let i${d} = ${from}; i${d} < ${to}; i${d}++) {`);
    indent += "  ";
  });
  lines.push(...body.map((l) => indent + l));
  for (let i = loops.length; i > 0; i--) lines.push(" ".repeat(2 * i) + "}");
  lines.push("};");
  return lines.join("\n");
}

/**
 * JavaScript spelling of scheduled values: each op is its {@link SCALAR_OPS} expression, rounded
 * to its dtype as the precision requires (`fr` = `Math.fround`, `| 0` for int32).
 */
function jsLang(precision: Precision): Lang {
  const exact = precision === "exact";
  return {
    literal,
    affine: (terms, off) => {
      const parts = terms.map(({ coef, name }) => (coef === 1 ? name : `${coef} * ${name}`));
      if (off !== 0) parts.push(String(off));
      return parts.join(" + ").replaceAll("+ -", "- ");
    },
    clamp: (addr, size) => `Math.min(Math.max(${addr}, 0), ${size - 1})`,
    load: (input, addr) => `in${input}[${addr}]`,
    tableRead: (id, addr) => `T${id}[${addr}]`,
    round32: exact ? undefined : (code) => `fr(${code})`,
    op(op, refs, args, argDtype, dtype) {
      if (op === "erfc" && dtype === "float32") {
        if (!exact) return `erfcF32(${refs[0]})`;
        // A float32 value for certain (rounded results, float32 loads and constants): no
        // rounding test needed (erfcExact32F).
        const a = args[0];
        const isF32 = a.dtype === "float32" &&
          (a.value !== undefined
            ? Math.fround(a.value) === a.value
            : a.kind === "load" || a.code.startsWith("fr("));
        return `fr(${isF32 ? "erfcExact32F" : "erfcExact32"}(${refs[0]}))`;
      }
      const s = SCALAR_OPS[op];
      const code = s.js(refs, argDtype, dtype);
      if (s.exact) return code;
      return dtype === "int32"
        ? `(${code} | 0)`
        : dtype === "float32" && exact
        ? `fr(${code})`
        : code;
    },
  };
}

/**
 * Compiles a kernel to a JavaScript function (see the module docs for what the code looks like).
 *
 * @example
 * ```ts
 * import { compileKernel } from "./codegen.ts";
 * const c = compileKernel({
 *   name: "k", domain: [3], reduceAxes: [],
 *   inputs: [{ dtype: "float32", size: 3, name: "x" }],
 *   nodes: [
 *     { kind: "load", input: 0, index: { offset: 0, coefs: [1] }, dtype: "float32" },
 *     { kind: "op", op: "exp", args: [0], dtype: "float32" },
 *   ],
 *   outputs: [{ node: 1, kind: "map", dtype: "float32", shape: [3], name: "y" }],
 * });
 * console.log(c.run([new Float32Array([0, 1, 2])])[0]);
 * ```
 */
export function compileKernel(k: Kernel, opts: CpuCodegenOptions = {}): CompiledKernel {
  if (sizeOf(k.domain) === 0) {
    // Nothing to visit: map outputs are empty, reductions are their initial values.
    return {
      kernel: k,
      source: `// kernel ${k.name}: empty domain [${k.domain}]`,
      split: null,
      run: () =>
        k.outputs.map((o) => {
          const out = allocate(o.dtype, sizeOf(o.shape));
          if (o.kind === "reduce") out.fill(reduceInit(o.reduce!)); // typed-array store semantics
          return out;
        }),
    };
  }
  const source = kernelSource(k, opts);
  let fn: KernelFn;
  try {
    fn = new Function("H", source)(CPU_HELPERS);
  } catch (e) {
    throw new Error(`cpu codegen: kernel ${k.name} does not compile: ${e}\n${source}`);
  }
  const split = splitInfo(k, opts.precision ?? "fast");
  const par = { threads: opts.threads, minWork: opts.parallelMinWork };
  // The code split runs use: the kernel itself, or its terms variant with the replay function
  // (compiled on first use: most kernels never run split).
  let splitCode: SplitCode | null = null;
  const getSplitCode = (): SplitCode => {
    if (splitCode) return splitCode;
    const bytes = (s: string) => new TextEncoder().encode(s).length;
    if (!split!.kinds.includes("terms")) {
      return splitCode = { kid: nextKernelId++, source, fn, bytes: bytes(source) };
    }
    const tsrc = kernelSource(k, opts, "terms");
    return splitCode = {
      kid: nextKernelId++,
      source: tsrc,
      fn: new Function("H", tsrc)(CPU_HELPERS),
      bytes: bytes(tsrc),
      replay: new Function(replaySource(k))(),
    };
  };
  const timings = splitTimings();
  return {
    kernel: k,
    source,
    split,
    run(inputs) {
      const outs = k.outputs.map((o) => allocate(o.dtype, sizeOf(o.shape)));
      if (split) return runSplit(fn, getSplitCode, split, inputs, outs, par, timings);
      fn(inputs, outs);
      return outs;
    },
  };
}

/** Source cache key of compiled kernels in the worker pool. */
let nextKernelId = 0;

/**
 * Whether and how a kernel may be split across threads at its outermost loop.
 *
 * Splitting never changes a map output or a reduction over inner axes: each element is computed by
 * one chunk exactly as on one thread. A reduction over the split axis is combined from per-chunk
 * partial results when that gives the same bits (max/min: the first extreme wins either way;
 * integer sums, exact in double) or when blocked sums are allowed (float32 and float64 in `fast`
 * precision: `blocked`, the chunks are then used on one thread too). Otherwise (float sums in
 * `exact`) the chunks store their terms and the main thread accumulates them in the one-thread
 * order: the expensive part (computing the terms) runs in parallel, the cheap part in order.
 */
function splitInfo(k: Kernel, precision: Precision): SplitInfo | null {
  const axis = k.domain.findIndex((e) => e > 1);
  if (axis < 0) return null;
  const reduced = k.reduceAxes.includes(axis);
  const points = sizeOf(k.domain);
  const reducedPoints = k.reduceAxes.reduce((t, a) => t * k.domain[a], 1);
  const combinable = (o: Kernel["outputs"][number]) =>
    o.kind === "map" || o.reduce === "max" || o.reduce === "min" ||
    (o.reduce === "sum" && (o.dtype === "int32" || o.dtype === "bool") &&
      reducedPoints <= 2 ** 22) ||
    (precision === "fast" && (o.dtype === "float32" || o.dtype === "float64"));
  const how = !reduced ? "direct" : k.outputs.every(combinable) ? "partial" : "terms";
  // Partial float sums and products change bits with the chunk boundaries: such kernels always
  // run in their fixed chunks (one thread too), so results are independent of the thread count.
  const blocked = how === "partial" &&
    k.outputs.some((o) =>
      o.kind === "reduce" && (o.reduce === "sum" || o.reduce === "prod") &&
      (o.dtype === "float32" || o.dtype === "float64")
    );
  const perPoint = k.nodes.reduce(
    (t, n) => t + (n.kind === "op" ? scalarOp(n.op)?.cost ?? 1 : n.kind === "load" ? 0.5 : 0),
    1,
  );
  return {
    extent: k.domain[axis],
    work: points * perPoint,
    kinds: k.outputs.map((o) => (o.kind === "reduce" ? how : "direct")),
    reduce: k.outputs.map((o) => o.reduce),
    termsPerIter: points / k.domain[axis],
    blocked,
  };
}
