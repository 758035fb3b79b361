/**
 * WGSL map and per-output reduction kernels (see the thread layouts in `wgsl.ts`): threads over
 * the kept elements, each computing its reduced points, unrolled or in a loop with sliding windows.
 *
 * @module
 */
import { sizeOf } from "../../core/shape.ts";
import type { Kernel } from "../kernel_ir.ts";
import { analyzeNodes } from "../schedule/analysis.ts";
import { planTables, type Table } from "../schedule/tables.ts";
import type { Env, HoistedValue, Values } from "../schedule/values.ts";
import { planWindows, type WindowLoop, windowValues } from "../schedule/windows.ts";
import type { WgslOptions } from "./wgsl.ts";
import {
  declared,
  indent,
  loopEnv,
  loopVar,
  unrolledPoints,
  valueAt,
  WGSL_TYPE,
  wgslValues,
} from "./wgsl_lang.ts";
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
  type RenderedPasses,
  store,
  unravel,
  UNROLL_MAX,
} from "./wgsl_passes.ts";
import { Prelude } from "./wgsl_prelude.ts";

/** Largest table (entries) of values invariant over a thread's elements. */
const MAX_TABLE = 4096;
/**
 * A per-output reduction is unrolled when each element has at most UNROLL_MAX reduced points and
 * there are at least UNROLL_MIN_ELEMENTS elements (with fewer, run time is small either way and a
 * loop compiles faster).
 */
const UNROLL_MIN_ELEMENTS = 1024;

/** Register declarations before a window loop and their updates at the end of each iteration. */
function windowCode(vals: Values, w: WindowLoop | undefined, start: Env[number]) {
  const regs = windowValues(vals, w, start);
  return {
    init: regs.map((r) => `var ${r.reg}: ${WGSL_TYPE[r.dtype]} = ${vals.ref(r.init)};`),
    update: regs.map((r) => `${r.reg} = ${r.next};`),
  };
}

/**
 * Map and per-output reductions: threads over the kept elements (grid stride); each computes the
 * reduced points of its element — unrolled when there are few (values at
 * neighbouring points are then value-numbered once; llvmpipe runs unrolled code ~2× faster than
 * a loop with indexed loads), else in a loop keeping shifted values in sliding windows (in chunks
 * of at most RCHUNK points, combined by a second pass). Values of the reduced points only
 * (per-bin coefficients of a backward pass) are tabulated once by a pre-pass.
 */
export function gridPasses(
  k: Kernel,
  opts: WgslOptions,
  strategy: "map" | "per-output",
  hoist: boolean,
): RenderedPasses {
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
