/**
 * The CPU renderer: kernel IR → JavaScript source, compiled with `new Function`.
 *
 * A kernel becomes one loop nest over its domain in row-major order (axes of extent 1 are the
 * constant 0). Measured on W1, compact loops beat fully unrolled straight-line code by ~1.8×
 * (V8 inlines helpers into small loop bodies and keeps them in registers), so nothing is unrolled;
 * instead:
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
 * - **Precision.** `exact` (the default): every float32 operation is rounded (`Math.fround`) and
 *   special functions are the eager ones, so results equal eager results bit for bit in every
 *   dtype (float32 `erfc` skips the evaluation where its float32 value is the constant 0 or 2,
 *   and uses one `exp` where that provably rounds to the same float32: {@link erfcExact32F}).
 *   `fast`: float32 expressions are evaluated in double precision and rounded when stored (and
 *   before comparisons, conversions and rounding functions, so discrete decisions see float32
 *   values), and float32 `erfc` uses the float32-accurate {@link erfcF32}. Results then differ
 *   from eager float32 by rounding only (usually they are more accurate); float64 and int32 are
 *   exact in both modes.
 * - **Threads.** The generated function takes optional bounds of its outermost loop, so a large
 *   kernel can be split across the worker pool of `cpu_parallel.ts`: maps and reductions over
 *   inner axes always (each element is computed exactly as on one thread), reductions over the
 *   outermost loop from per-chunk partial results where they combine to the same bits (max/min,
 *   integer sums) or where reordering is allowed (float32 in `fast` precision), and otherwise
 *   through a `terms` variant of the kernel that stores every term for {@link replaySource} to
 *   add in the one-thread order.
 *
 * @module
 */
import { allocate, type DType, type TypedArray } from "../core/dtype.ts";
import { sizeOf, stridesOf } from "../core/shape.ts";
import { erfc } from "../core/special.ts";
import { type KernelFn, runSplit, type SplitCode, type SplitInfo } from "./cpu_parallel.ts";
import { ERFC_F32_TWO, ERFC_F32_ZERO, erfcF32, erfcSat32 } from "./f32math.ts";
import {
  evalOp,
  HELPERS,
  type Kernel,
  type KNode,
  reduceInit,
  type ReduceOp,
  SCALAR_OPS,
} from "./kernel_ir.ts";

/** Relative half-width of the interval the rounding test of {@link erfcExact32} checks. */
const ERFC_EXACT_EPS = 2 ** -36;

/**
 * `erfc(x)` for float32 kernels in `exact` precision: a value whose float32 rounding is bitwise
 * `Math.fround(erfc(x))` of the eager (fdlibm, double-precision) `erfc`, with one `exp` instead
 * of two (used for arguments that may not be float32 values; see {@link erfcExact32F}).
 *
 * Why it is exact: for 1.25 ≤ |x| < 10.06 the eager `erfc` evaluates `exp(−x² − 0.5625 + R/S)/x`
 * with two `exp`s, splitting x² so that its rounding error does not reach the double result. For
 * a float32 result that accuracy is not needed: one `exp` with the same R/S is within 1.5e-14
 * relative of the eager value (measured over 3e6 points; the rounding error of x² ≤ 101 bounds it
 * by ~1e-14). If the whole interval `v·(1 ± 2⁻³⁶)` (1.5e-11, a 1000× margin) rounds to one
 * float32, the eager value rounds to it too; otherwise (about 3 calls in 10 000) this falls back
 * to the eager `erfc`. Elsewhere it is {@link erfcSat32}: the saturated constants, or the eager
 * polynomial (|x| < 1.25, already cheap). In fact, for every float32 argument in the one-`exp`
 * range (all 39 200 595 of them, checked once exhaustively) the one-`exp` value already rounds
 * like the eager one; `tests/gpu/cpu_parallel_test.ts` checks millions of them on every run.
 *
 * @example
 * ```ts
 * import { erfcExact32 } from "./cpu_codegen.ts";
 * import { erfc } from "../core/special.ts";
 * Math.fround(erfcExact32(3)) === Math.fround(erfc(3)); // true
 * ```
 */
export function erfcExact32(x: number): number {
  if (x >= ERFC_F32_ZERO) return 0;
  if (x <= -ERFC_F32_TWO) return 2;
  const ax = Math.abs(x);
  if (!(ax >= 1.25)) return erfc(x); // also NaN
  const v = erfcOneExp(x, ax);
  const f = Math.fround(v);
  if (
    Math.fround(v * (1 - ERFC_EXACT_EPS)) === f && Math.fround(v * (1 + ERFC_EXACT_EPS)) === f
  ) return f;
  return erfc(x);
}

/**
 * {@link erfcExact32} for an argument that is a float32 value (what `exact` kernels pass when the
 * argument is a rounded result or a float32 load): no rounding test, since for every float32 in
 * the one-`exp` range the one-`exp` value rounds like the eager `erfc` (checked exhaustively by
 * `tests/gpu/cpu_parallel_test.ts`). The test costs a quarter of W1's forward kernel.
 *
 * @example
 * ```ts
 * import { erfcExact32F } from "./cpu_codegen.ts";
 * import { erfc } from "../core/special.ts";
 * Math.fround(erfcExact32F(Math.fround(2.5))) === Math.fround(erfc(Math.fround(2.5))); // true
 * ```
 */
export function erfcExact32F(x: number): number {
  if (x >= ERFC_F32_ZERO) return 0;
  if (x <= -ERFC_F32_TWO) return 2;
  const ax = Math.abs(x);
  if (!(ax >= 1.25)) return erfc(x); // also NaN
  return erfcOneExp(x, ax);
}

/** erfc(x) for 1.25 ≤ |x| = ax with one `exp` (within 1.5e-14 relative of the eager value). */
function erfcOneExp(x: number, ax: number): number {
  // log(x·erfc(x)) + x² + 0.5625 ≈ R(s)/S(s), s = 1/x²: fdlibm's fits (core/special.ts RA/SA
  // below 1/0.35, RB/SB above), in Horner form.
  const s = 1 / (ax * ax);
  const r = ax < 1 / 0.35
    ? (-9.86494403484714822705e-03 +
      s * (-6.93858572707181764372e-01 +
          s * (-1.05586262253232909814e+01 +
              s * (-6.23753324503260060396e+01 +
                  s * (-1.62396669462573470355e+02 +
                      s * (-1.84605092906711035994e+02 +
                          s *
                            (-8.12874355063065934246e+01 + s * -9.81432934416914548592e+00))))))) /
      (1 +
        s * (1.96512716674392571292e+01 +
            s * (1.37657754143519042600e+02 +
                s * (4.34565877475229228821e+02 +
                    s * (6.45387271733267880336e+02 +
                        s * (4.29008140027567833386e+02 +
                            s * (1.08635005541779435134e+02 +
                                s *
                                  (6.57024977031928170135e+00 +
                                    s * -6.04244152148580987438e-02))))))))
    : (-9.86494292470009928597e-03 +
      s * (-7.99283237680523006574e-01 +
          s * (-1.77579549177547519889e+01 +
              s * (-1.60636384855821916062e+02 +
                  s * (-6.37566443368389627722e+02 +
                      s * (-1.02509513161107724954e+03 + s * -4.83519191608651397019e+02)))))) /
      (1 +
        s * (3.03380607434824582924e+01 +
            s * (3.25792512996573918826e+02 +
                s * (1.53672958608443695994e+03 +
                    s * (3.19985821950859553908e+03 +
                        s * (2.55305040643316442583e+03 +
                            s *
                              (4.74528541206955367215e+02 + s * -2.24409524465858183362e+01)))))));
  const e = Math.exp(r - ax * ax - 0.5625) / ax;
  return x > 0 ? e : 2 - e;
}

/**
 * Functions generated code calls by name (the `H` argument of its `new Function`); the pool's
 * workers compile kernel sources with the same object.
 *
 * @example
 * ```ts
 * import { CPU_HELPERS } from "./cpu_codegen.ts";
 * CPU_HELPERS.erfcSat32(20); // 0
 * ```
 */
export const CPU_HELPERS = { ...HELPERS, erfcF32, erfcSat32, erfcExact32, erfcExact32F };

/**
 * Numeric mode of generated CPU code for float32 (see the module docs).
 *
 * @example
 * ```ts
 * import type { Precision } from "./cpu_codegen.ts";
 * const p: Precision = "exact";
 * ```
 */
export type Precision = "fast" | "exact";

/**
 * A kernel compiled to JavaScript.
 *
 * @example
 * ```ts
 * import { compileKernel } from "./cpu_codegen.ts";
 * declare const k: import("./kernel_ir.ts").Kernel;
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
 * import type { CpuCodegenOptions } from "./cpu_codegen.ts";
 * const o: CpuCodegenOptions = { precision: "exact" };
 * ```
 */
export interface CpuCodegenOptions {
  /** float32 arithmetic: `exact` (default; bitwise equal to eager) or `fast`. */
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

/** Ops whose result jumps (comparisons, conversions, rounding): fast mode rounds their inputs. */
const DISCONTINUOUS = new Set([
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "floor",
  "ceil",
  "round",
  "sign",
  "is_finite",
  "convert_element_type",
]);

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

/** Per-axis index of an environment: `var + c`, or the constant `c` when `v` is null. */
interface AxisEnv {
  v: string | null;
  c: number;
}

interface CV {
  code: string;
  /** Scope the value is declared in. */
  scope: string;
  /** Nesting level of that scope (0 = kernel prologue). */
  level: number;
  /** Constant value (inlined, never declared). */
  value?: number;
  dtype: DType;
  /** Declared as a local (`const v12 = ...`) rather than inlined. */
  named: boolean;
  args: number[];
  used: boolean;
}

interface Table {
  id: number;
  node: number;
  /** Main loop depth it is computed at. */
  p: number;
  /** Axes it spans (loop order), with ranges [lo, hi). */
  axes: number[];
  lo: number[];
  hi: number[];
  strides: number[];
  size: number;
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
 * import { kernelSource } from "./cpu_codegen.ts";
 * declare const k: import("./kernel_ir.ts").Kernel;
 * console.log(kernelSource(k));
 * ```
 */
export function kernelSource(
  k: Kernel,
  opts: CpuCodegenOptions = {},
  variant: "plain" | "terms" = "plain",
): string {
  const precision = opts.precision ?? "exact";
  const maxTable = opts.maxTable ?? 65536;
  const r = k.domain.length;
  const nodes = k.nodes;
  const loops = k.domain.map((_, d) => d).filter((d) => k.domain[d] > 1);
  const depthOf = new globalThis.Array<number>(r).fill(0);
  loops.forEach((d, i) => (depthOf[d] = i + 1));
  const L = loops.length;
  const isLoop = (a: number) => depthOf[a] > 0;

  // --- Node analysis: the axes each node depends on, its users, the shifts it is read at.
  const axesOf: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    const s = new Set<number>();
    if (n.kind === "load" || n.kind === "index") {
      n.index.coefs.forEach((c, d) => c !== 0 && s.add(d));
    } else if (n.kind === "op") {
      for (const a of n.args) for (const d of axesOf[a]) s.add(d);
    } else if (n.kind === "shift") {
      for (const d of axesOf[n.of]) s.add(d);
    }
    axesOf[i] = [...s].sort((a, b) => a - b);
  });
  const loopAxesOf = axesOf.map((ax) => ax.filter(isLoop));
  const users: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    if (n.kind === "op") { for (const a of n.args) users[a].push(i); }
    if (n.kind === "shift") users[n.of].push(i);
  });
  const isOutput = new Set(k.outputs.map((o) => o.node));
  // Shift vectors each node is evaluated at, relative to the current point.
  const sigmas: Map<string, number[]>[] = nodes.map(() => new Map());
  {
    const stack: [number, number[]][] = k.outputs.map((
      o,
    ) => [o.node, new globalThis.Array(r).fill(0)]);
    while (stack.length) {
      const [i, s0] = stack.pop()!;
      const s = s0.map((v, d) => (axesOf[i].includes(d) ? v : 0));
      const key = s.join(",");
      if (sigmas[i].has(key)) continue;
      sigmas[i].set(key, s);
      const n = nodes[i];
      if (n.kind === "op") { for (const a of n.args) stack.push([a, s]); }
      if (n.kind === "shift") {
        const t = [...s];
        t[n.axis] += n.by;
        stack.push([n.of, t]);
      }
    }
  }

  // --- Tables.
  const tables = new Map<number, Table>();
  const sameAxes = (a: number[], b: number[]) =>
    a.length === b.length && a.every((x, i) => x === b[i]);
  nodes.forEach((n, i) => {
    if (n.kind !== "op") return;
    const deps = loopAxesOf[i];
    if (deps.length === 0) return;
    const q = Math.max(...deps.map((a) => depthOf[a]));
    let p0 = 0;
    while (p0 < L && deps.includes(loops[p0])) p0++;
    // Shift targets are tabled over their shifted axes; the nodes below them are computed in
    // that table's loop (their shifts are relative to it).
    const shiftTarget = users[i].some((u) => nodes[u].kind === "shift");
    const shifted = shiftTarget
      ? deps.filter((a) => [...sigmas[i].values()].some((s) => s[a] !== 0))
      : [];
    const p = Math.min(p0, ...shifted.map((a) => depthOf[a] - 1));
    if (p >= q) return;
    if (shifted.length === 0) {
      // Loop-invariant in an outer loop: table the frontier of such values only.
      const frontier = isOutput.has(i) ||
        users[i].some((u) => nodes[u].kind === "shift" || !sameAxes(loopAxesOf[u], deps));
      if (!frontier) return;
    }
    const axes = deps.filter((a) => depthOf[a] > p).sort((a, b) => depthOf[a] - depthOf[b]);
    const lo = axes.map((a) => Math.min(0, ...[...sigmas[i].values()].map((s) => s[a])));
    const hi = axes.map((a) =>
      k.domain[a] + Math.max(0, ...[...sigmas[i].values()].map((s) => s[a]))
    );
    const ext = axes.map((_, j) => hi[j] - lo[j]);
    const size = ext.reduce((x, y) => x * y, 1);
    if (size > maxTable) return;
    tables.set(i, { id: tables.size, node: i, p, axes, lo, hi, strides: stridesOf(ext), size });
  });

  // --- Values.
  const mainEnv: AxisEnv[] = k.domain.map((_, d) => ({ v: isLoop(d) ? `i${d}` : null, c: 0 }));
  const cvs: CV[] = [];
  const keyed = new Map<string, number>();
  const varInfo = new Map<string, { scope: string; level: number; lo: number; hi: number }>();
  loops.forEach((a) => {
    varInfo.set(`i${a}`, {
      scope: `m${depthOf[a]}`,
      level: depthOf[a],
      lo: 0,
      hi: k.domain[a] - 1,
    });
  });
  const cv = (key: string, make: () => CV): number => {
    let id = keyed.get(key);
    if (id === undefined) {
      id = cvs.length;
      cvs.push(make());
      keyed.set(key, id);
    }
    return id;
  };
  const constCV = (value: number, dtype: DType) =>
    cv(`c|${dtype}|${Object.is(value, -0) ? "-0" : value}`, () => ({
      code: literal(value),
      scope: "m0",
      level: 0,
      value,
      dtype,
      named: false,
      args: [],
      used: false,
    }));
  const deepest = (items: { scope: string; level: number }[]) => {
    const m = items.reduce((m, x) => (x.level > m.level ? x : m), { scope: "m0", level: 0 });
    return { scope: m.scope, level: m.level };
  };
  const ref = (id: number) => (cvs[id].named ? `v${id}` : cvs[id].code);

  /** An affine index under an environment: code, range, placement. */
  const affine = (offset: number, coefs: number[], env: AxisEnv[]) => {
    let off = offset;
    const terms: string[] = [];
    const places: { scope: string; level: number }[] = [];
    let lo = 0, hi = 0;
    coefs.forEach((c, d) => {
      if (c === 0) return;
      off += c * env[d].c;
      const v = env[d].v;
      if (v === null) return;
      const info = varInfo.get(v)!;
      places.push(info);
      terms.push(c === 1 ? v : `${c} * ${v}`);
      const a = c * info.lo, b = c * info.hi;
      lo += Math.min(a, b);
      hi += Math.max(a, b);
    });
    const code = terms.length === 0
      ? String(off)
      : (off !== 0 ? [...terms, String(off)] : terms).join(" + ").replaceAll("+ -", "- ");
    return {
      code,
      lo: lo + off,
      hi: hi + off,
      constant: terms.length === 0,
      value: off,
      ...deepest(places),
    };
  };
  const envKey = (i: number, env: AxisEnv[]) =>
    axesOf[i].map((a) => `${env[a].v ?? ""}${env[a].c}`).join(",");

  const round32 = (id: number): number => {
    const c = cvs[id];
    if (precision === "exact" || c.dtype !== "float32" || c.value !== undefined) return id;
    return cv(`r|${id}`, () => ({
      code: `fr(${ref(id)})`,
      scope: c.scope,
      level: c.level,
      dtype: "float32",
      named: true,
      args: [id],
      used: false,
    }));
  };

  /** Value of node `i` at `env`; `limit` bounds which tables may be read (region ordering). */
  const value = (i: number, env: AxisEnv[], limit: { p: number; node: number }): number => {
    const n = nodes[i];
    switch (n.kind) {
      case "const":
        return constCV(n.value, n.dtype);
      case "index": {
        const a = affine(n.index.offset, n.index.coefs, env);
        if (a.constant) return constCV(a.value, "int32");
        return cv(`i|${a.code}`, () => ({
          code: `(${a.code})`,
          scope: a.scope,
          level: a.level,
          dtype: "int32",
          named: false,
          args: [],
          used: false,
        }));
      }
      case "load": {
        const a = affine(n.index.offset, n.index.coefs, env);
        const size = k.inputs[n.input].size;
        const addr = a.lo < 0 || a.hi > size - 1
          ? `Math.min(Math.max(${a.code}, 0), ${size - 1})`
          : a.code;
        return cv(`l|${n.input}|${addr}`, () => ({
          code: `in${n.input}[${addr}]`,
          scope: a.scope,
          level: a.level,
          dtype: n.dtype,
          named: true,
          args: [],
          used: false,
        }));
      }
      case "shift": {
        const e2 = env.map((x, d) => (d === n.axis ? { v: x.v, c: x.c + n.by } : x));
        return value(n.of, e2, limit);
      }
      case "op": {
        const t = tables.get(i);
        const ready = t && (t.p < limit.p || (t.p === limit.p && i < limit.node));
        if (ready && tableHolds(t, env)) return tableRead(t, env);
        return opValue(i, n, env, limit);
      }
    }
  };

  /** True when the table has the value at `env` (other axes at the table's own point). */
  const tableHolds = (t: Table, env: AxisEnv[]): boolean =>
    axesOf[t.node].every((a) => {
      const j = t.axes.indexOf(a);
      if (j >= 0) {
        const info = env[a].v === null ? null : varInfo.get(env[a].v!)!;
        const lo = (info ? info.lo : 0) + env[a].c, hi = (info ? info.hi : 0) + env[a].c;
        return lo >= t.lo[j] && hi < t.hi[j];
      }
      return env[a].c === 0 && env[a].v === mainEnv[a].v;
    });

  const tableRead = (t: Table, env: AxisEnv[]): number => {
    const coefs = new globalThis.Array<number>(r).fill(0);
    let offset = 0;
    t.axes.forEach((a, j) => {
      coefs[a] = t.strides[j];
      offset -= t.strides[j] * t.lo[j];
    });
    const a = affine(offset, coefs, env);
    return cv(`t|${t.id}|${a.code}`, () => ({
      code: `T${t.id}[${a.code}]`,
      scope: a.scope,
      level: a.level,
      dtype: nodes[t.node].dtype,
      named: true,
      args: [],
      used: false,
    }));
  };

  const opValue = (
    i: number,
    n: Extract<KNode, { kind: "op" }>,
    env: AxisEnv[],
    limit: { p: number; node: number },
  ): number => {
    const key = `o|${i}|${envKey(i, env)}`;
    const hit = keyed.get(key);
    if (hit !== undefined) return hit;
    let args = n.args.map((a) => value(a, env, limit));
    const argDtype = nodes[n.args[n.op === "select" ? 1 : 0]].dtype;
    const vals = args.map((a) => cvs[a].value);
    let id: number;
    if (n.op === "select" && vals[0] !== undefined) {
      id = vals[0] ? args[1] : args[2];
    } else if (vals.every((v) => v !== undefined)) {
      const dts = n.args.map((a) => nodes[a].dtype);
      id = constCV(evalOp(n.op, vals as number[], dts, n.dtype), n.dtype);
    } else {
      if (DISCONTINUOUS.has(n.op)) args = args.map(round32);
      const place = deepest(args.map((a) => cvs[a]));
      // A float32 value for certain: rounded results, float32 loads, float32 constants.
      const a0 = cvs[args[0]];
      const argIsF32 = a0.dtype === "float32" &&
        (a0.value !== undefined
          ? Math.fround(a0.value) === a0.value
          : a0.code.startsWith("fr(") || /^in\d+\[/.test(a0.code));
      const code = renderOp(n.op, args.map(ref), argDtype, n.dtype, precision, argIsF32);
      id = cv(`x|${n.op}|${n.dtype}|${args.join(",")}`, () => ({
        code,
        scope: place.scope,
        level: place.level,
        dtype: n.dtype,
        named: true,
        args,
        used: false,
      }));
    }
    keyed.set(key, id);
    return id;
  };

  // --- Statements.
  const noLimit = { p: Infinity, node: Infinity };
  const scopeLines = new Map<string, string[]>(); // extra statements per scope (after values)
  const push = (scope: string, line: string) => {
    if (!scopeLines.has(scope)) scopeLines.set(scope, []);
    scopeLines.get(scope)!.push(line);
  };
  const decls = globalThis.Array.from({ length: L + 1 }, () => [] as string[]);
  const finals = globalThis.Array.from({ length: L + 1 }, () => [] as string[]);
  const prologue: string[] = [];
  const epilogue: string[] = [];
  const inner: string[] = [];
  const use = (id: number) => {
    const stack = [id];
    while (stack.length) {
      const c = cvs[stack.pop()!];
      if (c.used) continue;
      c.used = true;
      stack.push(...c.args);
    }
  };

  // Tables: each a loop nest over its axes inside main scope m{p}, storing the node's value.
  const regions: { t: Table; lines: () => string[] }[] = [];
  for (const t of [...tables.values()].sort((a, b) => a.node - b.node)) {
    const env = mainEnv.map((e) => ({ ...e }));
    t.axes.forEach((a, j) => {
      const name = `t${t.id}_${a}`;
      env[a] = { v: name, c: 0 };
      varInfo.set(name, {
        scope: `t${t.id}_${j + 1}`,
        level: t.p + j + 1,
        lo: t.lo[j],
        hi: t.hi[j] - 1,
      });
    });
    const n = nodes[t.node] as Extract<KNode, { kind: "op" }>;
    const v = opValue(t.node, n, env, { p: t.p, node: t.node });
    use(v);
    const idx = t.axes.map((a, j) => {
      const s = t.strides[j];
      const term = s === 1 ? `t${t.id}_${a}` : `${s} * t${t.id}_${a}`;
      return t.lo[j] === 0 ? term : `${term} - ${s * t.lo[j]}`;
    }).join(" + ").replaceAll("- -", "+ ");
    push(`t${t.id}_${t.axes.length}`, `T${t.id}[${idx}] = ${ref(v)};`);
    prologue.push(`const T${t.id} = new Float64Array(${t.size});`);
    regions.push({
      t,
      lines: () => {
        const emit = (j: number, indent: string): string[] => {
          const a = t.axes[j];
          const nm = `t${t.id}_${a}`;
          const scope = `t${t.id}_${j + 1}`;
          return [
            `${indent}for (let ${nm} = ${t.lo[j]}; ${nm} < ${t.hi[j]}; ${nm}++) {`,
            ...declared(scope).map((l) => indent + "  " + l),
            ...(j + 1 < t.axes.length ? emit(j + 1, indent + "  ") : []),
            ...(scopeLines.get(scope) ?? []).map((l) => indent + "  " + l),
            `${indent}}`,
          ];
        };
        return emit(0, "");
      },
    });
  }

  // Outputs.
  const keptAxes = k.domain.map((_, d) => d).filter((d) => !k.reduceAxes.includes(d));
  const keptStrides = new globalThis.Array<number>(r).fill(0);
  {
    const st = stridesOf(keptAxes.map((d) => k.domain[d]));
    keptAxes.forEach((d, j) => (keptStrides[d] = st[j]));
  }
  const domStrides = stridesOf(k.domain);
  const reducedLoopDepths = loops.filter((d) => k.reduceAxes.includes(d)).map((d) => depthOf[d]);
  k.outputs.forEach((o, j) => {
    const v = value(o.node, mainEnv, noLimit);
    use(v);
    if (o.kind === "map") {
      inner.push(`out${j}[${affine(0, domStrides, mainEnv).code}] = ${ref(v)};`);
      return;
    }
    const a = affine(0, keptStrides, mainEnv);
    if (variant === "terms" && reducedLoopDepths.includes(1)) {
      // Split run of a reduction over the outermost loop that must keep the one-thread order:
      // store every term in loop order; the main thread replays the accumulation
      // (replaySource).
      prologue.push(`let tc${j} = 0;`);
      inner.push(`out${j}[tc${j}++] = ${ref(v)};`);
    } else if (reducedLoopDepths.every((rd) => rd > a.level)) {
      const name = `a${j}`;
      decls[a.level].push(`let ${name} = ${literal(reduceInit(o.reduce!))};`);
      finals[a.level].push(`out${j}[${a.code}] = ${name};`);
      inner.push(accUpdate(o.reduce!, name, ref(v)));
    } else {
      prologue.push(
        `const acc${j} = new Float64Array(${sizeOf(o.shape)}).fill(${
          literal(reduceInit(o.reduce!))
        });`,
      );
      inner.push(accUpdate(o.reduce!, `acc${j}[${a.code}]`, ref(v)));
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

  // --- Emission.
  const byScope = new Map<string, number[]>();
  cvs.forEach((c, id) => {
    if (!c.used || !c.named) return;
    if (!byScope.has(c.scope)) byScope.set(c.scope, []);
    byScope.get(c.scope)!.push(id);
  });
  function declared(scope: string): string[] {
    return (byScope.get(scope) ?? []).map((id) => `const v${id} = ${cvs[id].code};`);
  }
  const block = (d: number, indent: string): string[] => {
    const lines = [...declared(`m${d}`), ...decls[d]].map((l) => indent + l);
    for (const reg of regions) {
      if (reg.t.p === d) lines.push(...reg.lines().map((l) => indent + l));
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
  return [...head, ...block(0, "  "), ...epilogue.map((l) => "  " + l), "};"].join("\n");
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
 * import { replaySource } from "./cpu_codegen.ts";
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

function renderOp(
  op: string,
  args: string[],
  argDtype: DType,
  dtype: DType,
  precision: Precision,
  argIsF32 = false,
): string {
  const round = (code: string) =>
    dtype === "int32"
      ? `(${code} | 0)`
      : dtype === "float32" && precision === "exact"
      ? `fr(${code})`
      : code;
  if (op === "select") return `(${args[0]} ? ${args[1]} : ${args[2]})`;
  if (op === "convert_element_type") {
    if (dtype === "bool") return `(${args[0]} ? 1 : 0)`;
    if (dtype === argDtype || dtype === "float64") return args[0];
    if (dtype === "float32") return `fr(${args[0]})`;
    return round(args[0]);
  }
  if (op === "erfc" && dtype === "float32") {
    if (precision === "fast") return `erfcF32(${args[0]})`;
    return `fr(${argIsF32 ? "erfcExact32F" : "erfcExact32"}(${args[0]}))`;
  }
  const s = SCALAR_OPS[op];
  if (!s) throw new Error(`cpu codegen: unknown scalar op '${op}'`);
  return round(s.js(args, argDtype));
}

/**
 * Compiles a kernel to a JavaScript function (see the module docs for what the code looks like).
 *
 * @example
 * ```ts
 * import { compileKernel } from "./cpu_codegen.ts";
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
  const split = splitInfo(k, opts.precision ?? "exact");
  const par = { threads: opts.threads, minWork: opts.parallelMinWork };
  // The code split runs use: the kernel itself, or its terms variant with the replay function
  // (compiled on first use: most kernels never run split).
  let splitCode: SplitCode | null = null;
  const getSplitCode = (): SplitCode => {
    if (splitCode) return splitCode;
    if (!split!.kinds.includes("terms")) return splitCode = { kid: nextKernelId++, source, fn };
    const tsrc = kernelSource(k, opts, "terms");
    return splitCode = {
      kid: nextKernelId++,
      source: tsrc,
      fn: new Function("H", tsrc)(CPU_HELPERS),
      replay: new Function(replaySource(k))(),
    };
  };
  return {
    kernel: k,
    source,
    split,
    run(inputs) {
      const outs = k.outputs.map((o) => allocate(o.dtype, sizeOf(o.shape)));
      if (split && runSplit(getSplitCode, split, inputs, outs, par)) return outs;
      fn(inputs, outs);
      return outs;
    },
  };
}

/** Source cache key of compiled kernels in the worker pool. */
let nextKernelId = 0;

/** Rough cost of one evaluation of an op, relative to an add (special functions call helpers). */
const OP_COST: Record<string, number> = {
  erf: 12,
  erfc: 12,
  erf_inv: 20,
  lgamma: 20,
  digamma: 20,
  trigamma: 20,
  log_ndtr: 20,
  ndtri: 20,
  polygamma: 60,
  logistic: 8,
  exp: 8,
  log: 8,
  log1p: 8,
  expm1: 8,
  pow: 12,
  sin: 8,
  cos: 8,
  tan: 10,
  atan: 10,
  asin: 10,
  acos: 10,
  atan2: 12,
  sinh: 10,
  cosh: 10,
  log2: 8,
  log10: 8,
  tanh: 8,
  sqrt: 2,
  rsqrt: 3,
  div: 2,
};

/**
 * Whether and how a kernel may be split across threads at its outermost loop.
 *
 * Splitting never changes a map output or a reduction over inner axes: each element is computed by
 * one chunk exactly as on one thread. A reduction over the split axis is combined from per-chunk
 * partial results when that gives the same bits (max/min: the first extreme wins either way;
 * integer sums, exact in double) or when reordering is allowed (float32 in `fast` precision).
 * Otherwise (float32 sums in `exact`, float64 sums in both modes) the chunks store their terms and
 * the main thread accumulates them in the one-thread order: the expensive part (computing the
 * terms) runs in parallel, the cheap part (one add per term) in order.
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
    (precision === "fast" && o.dtype === "float32");
  const how = !reduced ? "direct" : k.outputs.every(combinable) ? "partial" : "terms";
  const perPoint = k.nodes.reduce(
    (t, n) => t + (n.kind === "op" ? OP_COST[n.op] ?? 1 : n.kind === "load" ? 0.5 : 0),
    1,
  );
  return {
    extent: k.domain[axis],
    work: points * perPoint,
    kinds: k.outputs.map((o) => (o.kind === "reduce" ? how : "direct")),
    reduce: k.outputs.map((o) => o.reduce),
    termsPerIter: points / k.domain[axis],
  };
}
