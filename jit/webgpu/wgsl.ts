/**
 * The WGSL renderer: kernel IR → compute shaders (float32, int32, bool; no float64). Scheduling
 * (value numbering, hoisting, tables, sliding windows) is the shared `jit/schedule/`; this module
 * chooses the thread layout and loop nest and emits the passes.
 *
 * Thread layout, chosen per kernel (no workgroup barriers or shared memory, which turn llvmpipe
 * shaders into slow coroutines; see `../shared/bench/W1.md`):
 *
 * - **map**: threads over the domain points (grid stride).
 * - **per-output reduction** (many output elements): threads over the output elements, each
 *   computing its reduced points — unrolled when they are few and the elements many (shifted
 *   reads of one value, the CDF at neighbouring bin edges, are value-numbered once), else in a
 *   loop keeping shifted values in sliding windows. Values of the reduced points only (per-bin
 *   coefficients) are tables filled once by a looped pre-pass.
 * - **chunked reduction** (at most 32 output elements, or at most 160 accumulators — output
 *   elements × reduce outputs —, and many reduced points: a histogram over events, and its
 *   forward-mode tangents): each thread walks a contiguous chunk of the reduced points with one scalar
 *   accumulator per output element (the output axes are unrolled) and writes its partial sums;
 *   a second pass sums the partials of each output element in thread order. No atomics.
 *
 * Semantics follow the eager primitives in float32 arithmetic; WGSL lacks several functions
 * (`erf`, `erfc`, `log1p`, `lgamma`, ...), which are defined in a prelude (`z_*`), and NaN-aware
 * `max`/`min`. See the tolerance contract in `jit/README.md`.
 *
 * @module
 */
import { sizeOf } from "../../core/shape.ts";
import { type Kernel, SCALAR_OPS } from "../kernel_ir.ts";
import { analyzeNodes } from "../schedule/analysis.ts";
import { planTables, type Table } from "../schedule/tables.ts";
import type { Env, HoistedValue, Values } from "../schedule/values.ts";
import { planWindows, type WindowLoop, windowValues } from "../schedule/windows.ts";
import { declared, indent, loopVar, valueAt, WGSL_TYPE, wgslValues } from "./wgsl_lang.ts";
import {
  accInit,
  accStep,
  type Binding,
  combinePasses,
  dispatch,
  header,
  hzBinding,
  inputBindings,
  invariantSize,
  layout,
  LOOP_CAP,
  outBinding,
  prePass,
  RCHUNK,
  store,
  unravel,
} from "./wgsl_passes.ts";
import { Prelude } from "./wgsl_prelude.ts";

/** Where a binding of a pass points. */
export type BindingRef =
  | { kind: "input"; index: number }
  | { kind: "output"; index: number }
  | { kind: "scratch"; index: number };

/**
 * One compute pass of a rendered kernel.
 *
 * @example
 * ```ts
 * import type { WgslPass } from "./wgsl.ts";
 * declare const p: WgslPass;
 * console.log(p.threads, p.source);
 * ```
 */
export interface WgslPass {
  /** The shader. */
  source: string;
  /** Buffer of each binding, in binding order. */
  bindings: BindingRef[];
  /** Number of invocations (threads). */
  threads: number;
  /** Workgroups along x and y. */
  groups: [number, number];
}

/**
 * A kernel rendered to WGSL: one or two passes and the scratch buffers between them.
 *
 * @example
 * ```ts
 * import { renderWgsl } from "./wgsl.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * console.log(renderWgsl(k).passes.map((p) => p.source).join("\n"));
 * ```
 */
export interface WgslKernel {
  /** The kernel. */
  kernel: Kernel;
  /** Thread layout chosen. */
  strategy: "map" | "per-output" | "chunked";
  /** Passes, run in order. */
  passes: WgslPass[];
  /** Sizes (elements, 4 bytes each) of scratch buffers. */
  scratch: number[];
}

/**
 * Options of {@link renderWgsl}.
 *
 * @example
 * ```ts
 * import type { WgslOptions } from "./wgsl.ts";
 * const o: WgslOptions = { workgroupSize: 64, maxWorkgroupsPerDimension: 65535 };
 * ```
 */
export interface WgslOptions {
  /** Threads per workgroup (default 64). */
  workgroupSize?: number;
  /** The device's `maxComputeWorkgroupsPerDimension` (default 65535). */
  maxWorkgroupsPerDimension?: number;
  /**
   * Most threads of a map or per-output pass; each thread then loops over elements with a grid
   * stride (default 4096: software adapters pay per workgroup; use more on real GPUs).
   */
  maxThreads?: number;
  /** The device's storage buffers per shader stage (default 8): combine passes are split to fit. */
  maxStorageBuffers?: number;
}

/**
 * Renders a kernel to WGSL compute passes (see the module docs for the thread layouts).
 *
 * @example
 * ```ts
 * import { renderWgsl } from "./wgsl.ts";
 * const w = renderWgsl({
 *   name: "k", domain: [4], reduceAxes: [],
 *   inputs: [{ dtype: "float32", size: 4, name: "x" }],
 *   nodes: [
 *     { kind: "load", input: 0, index: { offset: 0, coefs: [1] }, dtype: "float32" },
 *     { kind: "op", op: "erfc", args: [0], dtype: "float32" },
 *   ],
 *   outputs: [{ node: 1, kind: "map", dtype: "float32", shape: [4], name: "y" }],
 * });
 * console.log(w.passes[0].source);
 * ```
 */
export function renderWgsl(k: Kernel, opts: WgslOptions = {}): WgslKernel {
  for (const x of [...k.inputs, ...k.outputs]) {
    if (x.dtype === "float64") throw new Error(`wgsl: ${x.name} is float64`);
  }
  const strategy = wgslStrategy(k);
  const render = (hoist: boolean) =>
    strategy === "chunked" ? chunkedPasses(k, opts, hoist) : gridPasses(k, opts, strategy, hoist);
  // Values the same in every thread are computed once per thread, before its loops; a one-thread
  // pre-pass pays off only when they are costly and there are many threads (each pass costs
  // compile time: ~70 ms on llvmpipe).
  const plain = render(false);
  const invariantCost = plain.vals.vals.reduce(
    (t, v) => t + (v.used && v.op && v.level === 0 ? SCALAR_OPS[v.op].cost : 0),
    0,
  );
  const threads = plain.passes[0].threads;
  const built = invariantCost * threads >= HOIST_MIN_WORK ? render(true) : plain;
  return { kernel: k, strategy, passes: built.passes, scratch: built.scratch };
}

/**
 * The thread layout {@link renderWgsl} uses for `k`: a map, a chunked reduction (few output
 * elements, many reduced points) or per-output reductions.
 *
 * @example
 * ```ts
 * import { wgslStrategy } from "./wgsl.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * if (wgslStrategy(k) === "chunked") console.log("per-thread partial sums");
 * ```
 */
export function wgslStrategy(k: Kernel): WgslKernel["strategy"] {
  const kept = k.domain.map((_, d) => d).filter((d) => !k.reduceAxes.includes(d));
  const K = sizeOf(kept.map((d) => k.domain[d]));
  const R = sizeOf(k.reduceAxes.map((d) => k.domain[d]));
  const reduces = k.outputs.filter((o) => o.kind === "reduce").length;
  if (!reduces) return "map";
  return (K <= 32 || K * reduces <= CHUNKED_ACCUMULATORS) && R >= 2048 ? "chunked" : "per-output";
}

/**
 * Most scalar accumulators (output elements × reduce outputs) of a chunked reduction: W1's
 * forward pass has 50 (signal and background over 25 bins), its forward-mode pass (`jacfwd`, two
 * tangents) 100; the hand-written fused-tangent kernel keeps 150 in registers and is the fastest.
 */
const CHUNKED_ACCUMULATORS = 160;

/** Smallest (invariant op cost × threads) for which invariant values get a pre-pass. */
const HOIST_MIN_WORK = 1 << 16;

/** Passes of a rendered kernel, and the values of its main pass. */
interface Built {
  passes: WgslPass[];
  scratch: number[];
  vals: Values;
}

/** The environment of a loop body over `axes` (those of extent > 1 get variables). */
function loopEnv(k: Kernel, base: Env, axes: number[], prefix: string, level: number): Env {
  const env = [...base];
  for (const d of axes) {
    if (k.domain[d] > 1) env[d] = { v: loopVar(`${prefix}${d}`, level, k.domain[d]), c: 0 };
  }
  return env;
}

/** Register declarations before a window loop and their updates at the end of each iteration. */
function windowCode(vals: Values, w: WindowLoop | undefined, start: Env[number]) {
  const regs = windowValues(vals, w, start);
  return {
    init: regs.map((r) => `var ${r.reg}: ${WGSL_TYPE[r.dtype]} = ${vals.ref(r.init)};`),
    update: regs.map((r) => `${r.reg} = ${r.next};`),
  };
}

/** Largest table (entries) of values invariant over a thread's elements. */
const MAX_TABLE = 4096;
/**
 * A per-output reduction is unrolled when each element has at most UNROLL_MAX reduced points and
 * there are at least UNROLL_MIN_ELEMENTS elements (with fewer, run time is small either way and a
 * loop compiles faster).
 */
const UNROLL_MAX = 64, UNROLL_MIN_ELEMENTS = 1024;
/** Most copies of a kernel body in a chunked reduction's loop (output elements × inner points). */
const MAX_UNROLLED_BODIES = 256;

/**
 * Map and per-output reductions: threads over the kept elements (grid stride); each computes the
 * reduced points of its element — unrolled when there are few (values at
 * neighbouring points are then value-numbered once; llvmpipe runs unrolled code ~2× faster than
 * a loop with indexed loads), else in a loop keeping shifted values in sliding windows (in chunks
 * of at most RCHUNK points, combined by a second pass). Values of the reduced points only
 * (per-bin coefficients of a backward pass) are tabulated once by a pre-pass.
 */
function gridPasses(
  k: Kernel,
  opts: WgslOptions,
  strategy: "map" | "per-output",
  hoist: boolean,
): Built {
  const wg = opts.workgroupSize ?? 64;
  const maxDim = opts.maxWorkgroupsPerDimension ?? 65535;
  const g = gridLayout(k, opts, strategy);
  const { red, E, C, threads } = g;
  const { reduceOuts } = layout(k);
  const { groups, nx } = dispatch(threads, wg, maxDim);
  const gv = gridValues(k, g, hoist);
  const { pre, vals, tables, inner } = gv;
  const split = C > 1;
  // The order matters: statements create values, and hoisting sets the code of hoisted values
  // before the declarations are listed.
  const statements = gridStatements(k, g, gv);
  const { main, hz } = gridMain(k, g, gv, statements, nx);
  const outs = k.outputs.map((o, j) => ({ o, j })).filter(({ o }) => !split || o.kind === "map");
  const bindings: Binding[] = [
    ...inputBindings(k),
    ...outs.map(({ o, j }) => outBinding(`out${j}`, o.dtype, { kind: "output", index: j })),
    ...(split
      ? reduceOuts.map(({ o }, s) => outBinding(`p${s}`, o.dtype, { kind: "scratch", index: s }))
      : []),
  ];
  const nPartials = split ? reduceOuts.length : 0;
  const invariant = { hz, tables: [...tables.values()], mainEnv: inner };
  const hzSize = invariantSize(invariant);
  if (hzSize) bindings.push(hzBinding(nPartials));
  const source = [
    `// kernel ${k.name}: ${strategy}, domain [${k.domain}], reduce axes [${red}], ` +
    `${threads} threads over ${E} elements` +
    (g.unrolled ? "" : `, loop${split ? `s: ${C} chunks` : ""} of ${g.CH} points`),
    pre.toString(),
    header(bindings, wg),
    ...main,
  ].join("\n");
  return {
    vals,
    scratch: [...(split ? reduceOuts.map(() => E * C) : []), ...(hzSize ? [hzSize] : [])],
    passes: [
      ...(hzSize ? [prePass(k, invariant, wg, nPartials)] : []),
      { source, threads, groups, bindings: bindings.map((b) => b.ref) },
      ...(split ? combinePasses(k, reduceOuts, E, C, opts) : []),
    ],
  };
}

/** How a map or per-output pass covers a kernel's domain. */
interface GridLayout {
  /** The reduced axes each element walks (none for a map). */
  red: number[];
  /** The axes threads cover, over their elements (grid stride). */
  tAxes: number[];
  /** Elements: points of `tAxes`. */
  E: number;
  /** Reduced points per element. */
  R: number;
  /** Whether the reduced points are unrolled (else a loop). */
  unrolled: boolean;
  /** Chunks of the reduced points (more than one: partials, combined by a second pass). */
  C: number;
  /** Loop trips per chunk. */
  CH: number;
  /** Work items: elements × chunks. */
  W: number;
  /** Threads of the pass. */
  threads: number;
}

/** The layout of a map or per-output pass (see {@link gridPasses}). */
function gridLayout(k: Kernel, opts: WgslOptions, strategy: "map" | "per-output"): GridLayout {
  const red = strategy === "map" ? [] : k.reduceAxes;
  const tAxes = k.domain.map((_, d) => d).filter((d) => !red.includes(d));
  const E = sizeOf(tAxes.map((d) => k.domain[d]));
  const R = sizeOf(red.map((d) => k.domain[d]));
  const unrolled = R <= 1 || (R <= UNROLL_MAX && E >= UNROLL_MIN_ELEMENTS);
  const C = unrolled ? 1 : Math.ceil(R / RCHUNK); // chunks of the reduced points
  const CH = unrolled ? 1 : Math.ceil(R / C); // loop trips per chunk
  const W = E * C;
  const threads = Math.max(
    1,
    Math.min(W, Math.max(opts.maxThreads ?? 4096, Math.ceil(W / Math.floor(LOOP_CAP / CH)))),
  );
  return { red, tAxes, E, R, unrolled, C, CH, W, threads };
}

/** The value numbering of a grid pass's main shader, and what it was planned with. */
interface GridValues {
  pre: Prelude;
  vals: Values;
  /** An element: the thread axes as variables (level 1). */
  base: Env;
  /** A point of the reduced loop: the reduced axes as variables too (level 2). */
  inner: Env;
  /** Sliding windows of a looped reduction. */
  window: WindowLoop | undefined;
  /** Values of the reduced points only, tabulated by a pre-pass. */
  tables: Map<number, Table>;
}

/** Plans the values of a grid pass: loop environments, windows, tables, value numbering. */
function gridValues(k: Kernel, g: GridLayout, hoist: boolean): GridValues {
  const { red, tAxes } = g;
  const pre = new Prelude();
  const info = analyzeNodes(k);
  const base = loopEnv(k, k.domain.map(() => ({ v: null, c: 0 })), tAxes, "i", 1);
  const inner = loopEnv(k, base, red, "r", 2);
  const window = g.unrolled ? undefined : planWindows(k, info, red, inner, "w");
  const nest = {
    loops: [],
    depthOf: k.domain.map((n, d) => (n <= 1 ? 0 : tAxes.includes(d) ? 1 : 2)),
    depth: 2,
  };
  const tables = red.length && g.E > 1
    ? planTables(k, info, nest, MAX_TABLE, false)
    : new Map<number, Table>();
  const vals = wgslValues(k, pre, hoist, info, window, tables, inner);
  return { pre, vals, base, inner, window, tables };
}

/** The statements of one element: its accumulators, each reduced point's work, final stores. */
interface GridStatements {
  accs: string[];
  loop: string[];
  fin: string[];
}

/**
 * An element's statements: accumulator declarations; per reduced point (each one unrolled, or the
 * loop's), the map outputs' stores and the reduce outputs' steps; the accumulators' stores (to
 * partials when the reduced points are split in chunks).
 */
function gridStatements(k: Kernel, g: GridLayout, gv: GridValues): GridStatements {
  const { vals, pre, base } = gv;
  const { keptStrides, domStrides, reduceOuts } = layout(k);
  const split = g.C > 1;
  const points: Env[] = g.unrolled ? unrolledPoints(k, base, g.red) : [gv.inner];
  const loop: string[] = [];
  const accs: string[] = [];
  const fin: string[] = [];
  reduceOuts.forEach(({ o, j }, s) => {
    accs.push(`var acc${j}: ${WGSL_TYPE[o.dtype]} = ${accInit(o.reduce!, o.dtype)};`);
    fin.push(
      split
        ? `p${s}[c * ${g.E}u + e] = ${store(o.dtype, `acc${j}`)};`
        : `out${j}[${vals.affine(0, keptStrides, base).code}] = ${store(o.dtype, `acc${j}`)};`,
    );
  });
  for (const env of points) {
    k.outputs.forEach((o, j) => {
      const v = valueAt(vals, o.node, env);
      loop.push(
        o.kind === "map"
          ? `out${j}[${vals.affine(0, domStrides, env).code}] = ${store(o.dtype, v)};`
          : accStep(o.reduce!, o.dtype, `acc${j}`, v, pre.use),
      );
    });
  }
  return { accs, loop, fin };
}

/**
 * The main shader's entry point: a grid-stride loop over work items (an element and a chunk of its
 * reduced points); also the hoisted values it reads.
 */
function gridMain(
  k: Kernel,
  g: GridLayout,
  gv: GridValues,
  { accs, loop, fin }: GridStatements,
  nx: number,
): { main: string[]; hz: HoistedValue[] } {
  const { vals } = gv;
  const { red, tAxes, E, R, C, CH, W, threads } = g;
  const split = C > 1;
  const startVar = loopVar("rs", 1, R);
  const win = windowCode(vals, gv.window, split ? { v: startVar, c: 0 } : { v: null, c: 0 });
  const hz = vals.hoistedSlots();
  const body = g.unrolled ? [...declared(vals, "m1"), ...loop] : [
    ...(split ? [`let rs = i32(c * ${CH}u);`] : []),
    ...declared(vals, "m1"),
    ...win.init,
    `for (var rr: u32 = c * ${CH}u; rr < min(c * ${CH}u + ${CH}u, ${R}u); rr = rr + 1u) {`,
    ...indent(unravel("rr", red.map((d) => k.domain[d]), red.map((d) => `r${d}`)), 1),
    ...indent([...declared(vals, "m2"), ...loop, ...win.update], 1),
    `}`,
  ];
  const main = [
    `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {`,
    `  let t = gid.x + gid.y * ${nx}u;`,
    `  if (t >= ${threads}u) { return; }`,
    ...indent(declared(vals, "m0"), 1),
    `  for (var g: u32 = t; g < ${W}u; g = g + ${threads}u) {`,
    `    let e = g % ${E}u;`,
    `    let c = g / ${E}u;`,
    ...indent(unravel("e", tAxes.map((d) => k.domain[d]), tAxes.map((d) => `i${d}`)), 2),
    ...indent([...accs, ...body, ...fin], 2),
    `  }`,
    `}`,
  ];
  return { main, hz };
}

/** Every point of the reduced axes, as constants over `base` (an unrolled reduction). */
function unrolledPoints(k: Kernel, base: Env, axes: number[]): Env[] {
  const points: Env[] = [];
  const walk = (j: number, e: Env) => {
    if (j === axes.length) return void points.push(e);
    for (let v = 0; v < k.domain[axes[j]]; v++) {
      const e2 = [...e];
      e2[axes[j]] = { v: null, c: v };
      walk(j + 1, e2);
    }
  };
  walk(0, base);
  return points;
}

/**
 * The innermost reduce axes of `k` unrolled inside a chunked reduction's loop: trailing reduce
 * axes with at most UNROLL_MAX points together (and at most MAX_UNROLLED_BODIES copies of the
 * body with the `K` output elements), when another reduce axis remains to loop over.
 */
function innerReduceAxes(k: Kernel, K: number): number[] {
  const axes = [...k.reduceAxes].sort((a, b) => a - b);
  const inner: number[] = [];
  let points = 1;
  const fits = (n: number) => n <= UNROLL_MAX && n * K <= MAX_UNROLLED_BODIES;
  while (axes.length > 1 && fits(points * k.domain[axes.at(-1)!])) {
    const d = axes.pop()!;
    points *= k.domain[d];
    inner.unshift(d);
  }
  return inner;
}

/**
 * Chunked reductions (at most 32 output elements, many reduced points: a histogram over events):
 * T threads, each over a contiguous chunk of the reduced points, with the output elements
 * unrolled as scalar accumulators (registers: an indexed accumulator array is ~2× slower on
 * llvmpipe), values at neighbouring elements value-numbered once; then a pass over the partials.
 */
function chunkedPasses(k: Kernel, opts: WgslOptions, hoist: boolean): Built {
  const wg = opts.workgroupSize ?? 64;
  const maxDim = opts.maxWorkgroupsPerDimension ?? 65535;
  const { kept, domStrides, reduceOuts } = layout(k);
  // Small inner reduce axes (the bins of a two-level reduction: over bins, then over events) are
  // unrolled inside each point of the looped ones, so values along them are value-numbered (each
  // bin edge's CDF once per event) and per-event values computed once.
  const K = sizeOf(kept.map((d) => k.domain[d]));
  const unrolledRed = innerReduceAxes(k, K);
  const red = k.reduceAxes.filter((d) => !unrolledRed.includes(d));
  const U = sizeOf(unrolledRed.map((d) => k.domain[d]));
  const R = sizeOf(red.map((d) => k.domain[d]));
  const T = Math.max(
    Math.ceil(R / LOOP_CAP),
    Math.min(opts.maxThreads ?? 4096, Math.ceil(R / 128)),
    1,
  );
  const chunk = Math.ceil(R / T);
  const { groups, nx } = dispatch(T, wg, maxDim);
  const pre = new Prelude();
  const vals = wgslValues(k, pre, hoist);
  const outer = loopEnv(k, k.domain.map(() => ({ v: null, c: 0 })), red, "r", 1);
  // Points kept-major: point p accumulates into output element ⌊p / U⌋.
  const combos = unrolledPoints(k, outer, [...kept, ...unrolledRed]);
  const scratchIndex = new Map(reduceOuts.map(({ j }, s) => [j, s]));
  const accs: string[] = [];
  const loop: string[] = [];
  const fin: string[] = [];
  combos.forEach((e, p) => {
    const c = Math.floor(p / U), first = p % U === 0;
    k.outputs.forEach((o, j) => {
      const v = valueAt(vals, o.node, e);
      if (o.kind === "map") {
        loop.push(`out${j}[${vals.affine(0, domStrides, e).code}] = ${store(o.dtype, v)};`);
        return;
      }
      const s = scratchIndex.get(j)!;
      if (first) {
        accs.push(`var a${s}_${c}: ${WGSL_TYPE[o.dtype]} = ${accInit(o.reduce!, o.dtype)};`);
        fin.push(`p${s}[t * ${K}u + ${c}u] = ${store(o.dtype, `a${s}_${c}`)};`);
      }
      loop.push(accStep(o.reduce!, o.dtype, `a${s}_${c}`, v, pre.use));
    });
  });
  const hz = vals.hoistedSlots();
  const bindings: Binding[] = [
    ...inputBindings(k),
    ...k.outputs.map((o, j) => ({ o, j })).filter(({ o }) => o.kind === "map")
      .map(({ o, j }) => outBinding(`out${j}`, o.dtype, { kind: "output", index: j })),
    ...reduceOuts.map(({ o }, s) => outBinding(`p${s}`, o.dtype, { kind: "scratch", index: s })),
  ];
  if (hz.length) bindings.push(hzBinding(reduceOuts.length));
  const src1 = [
    `// kernel ${k.name}: chunked reduction (pass 1 of 2), domain [${k.domain}], ` +
    `reduce axes [${k.reduceAxes}]` +
    (unrolledRed.length ? ` (unrolled: [${unrolledRed}])` : "") +
    `, ${T} threads × ${chunk} points, ${K} outputs each`,
    pre.toString(),
    header(bindings, wg),
    `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {`,
    `  let t = gid.x + gid.y * ${nx}u;`,
    `  if (t >= ${T}u) { return; }`,
    ...indent([...declared(vals, "m0"), ...accs], 1),
    `  let c0 = t * ${chunk}u;`,
    `  let c1 = min(c0 + ${chunk}u, ${R}u);`,
    `  for (var rr: u32 = c0; rr < c1; rr = rr + 1u) {`,
    ...indent(unravel("rr", red.map((d) => k.domain[d]), red.map((d) => `r${d}`)), 2),
    ...indent([...declared(vals, "m1"), ...loop], 2),
    `  }`,
    ...indent(fin, 1),
    `}`,
  ].join("\n");
  return {
    vals,
    scratch: [...reduceOuts.map(() => T * K), ...(hz.length ? [hz.length] : [])],
    passes: [
      ...(hz.length ? [prePass(k, { hz, tables: [], mainEnv: outer }, wg, reduceOuts.length)] : []),
      { source: src1, threads: T, groups, bindings: bindings.map((b) => b.ref) },
      ...combinePasses(k, reduceOuts, K, T, opts),
    ],
  };
}
