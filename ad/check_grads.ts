// deno-lint-ignore-file no-explicit-any -- checked functions take and return arbitrary pytrees.
/**
 * `checkGrads`: the public gradient checker, like `jax.test_util.check_grads`. It compares
 * forward-mode (`jvp`) and reverse-mode (`vjp`) derivatives against central finite differences, and
 * at higher orders does the same for the derivative functions themselves (JVP of JVP, VJP of VJP and
 * the mixed ones), recursively.
 *
 * What is checked, per float leaf of the arguments (other leaves are held fixed):
 * - fwd: `jvp(f, args, t)` along a random direction `t` of that leaf equals
 *   `(f(x + εt) − f(x − εt)) / 2ε`, elementwise on every float output leaf;
 * - rev: with a random output cotangent `c`, `⟨t, vjp(c)⟩ = ⟨(f(x + εt) − f(x − εt)) / 2ε, c⟩`
 *   (JAX's test of the transposed Jacobian along two random directions, done here one argument
 *   leaf at a time so that a failure names the argument).
 * - both: the primal outputs of `jvp`/`vjp` equal `f(args)`, and tangent/cotangent dtypes equal the
 *   dtypes of the values they belong to.
 *
 * A check passes when `|got − want| ≤ atol + rtol·|want|` everywhere (numpy's `allclose`).
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import { leavesToArrays } from "../core/api_util.ts";
import { ShapedArray } from "../core/aval.ts";
import { DeviceArray } from "../core/device_array.ts";
import { allocate, isFloat } from "../core/dtype.ts";
import { Tracer } from "../core/trace.ts";
import { flatten, type TreeDef, unflatten } from "../core/tree.ts";
import { jvp, vjp } from "./api.ts";

type Fn = (...args: any[]) => any;

/**
 * A differentiation mode checked by {@link checkGrads}: forward (`jvp`) or reverse (`vjp`).
 *
 * @example
 * ```ts
 * import { checkGrads, array, exp, type GradCheckMode } from "./mod.ts";
 * const modes: GradCheckMode[] = ["rev"];
 * checkGrads(exp, [array([0.5], "float64")], { modes });
 * ```
 */
export type GradCheckMode = "fwd" | "rev";

/**
 * Options of {@link checkGrads}.
 *
 * @example
 * ```ts
 * import { checkGrads, array, tanh, type CheckGradsOptions } from "./mod.ts";
 * const opts: CheckGradsOptions = { order: 3, atol: 1e-6, rtol: 1e-6, seed: 7 };
 * checkGrads(tanh, [array([0.2, -0.4], "float64")], opts);
 * ```
 */
export interface CheckGradsOptions {
  /** Highest derivative order to check (default 2). */
  order?: number;
  /** Modes to check (default both). At order ≥ 2 the mixed combinations are checked too. */
  modes?: readonly GradCheckMode[];
  /** Finite-difference step (default 1e-4, as JAX). */
  eps?: number;
  /** Absolute tolerance (default 1e-5, JAX's float64 gradient tolerance). */
  atol?: number;
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Seed of the random directions (default 0); checks are deterministic for a given seed. */
  seed?: number;
}

/** Default finite-difference step. */
const EPS = 1e-4;
/** Default float64 tolerance (JAX's `default_gradient_tolerance[float64]`). */
const TOL64 = 1e-5;

/**
 * Raised by {@link checkGrads} when a derivative disagrees with finite differences (an assertion
 * failure). The message and the fields name the mode, the order, the derivative checked, the argument
 * leaf and the largest absolute and relative errors.
 *
 * @example
 * ```ts
 * import { checkGrads, GradCheckError, array, stopGradient, Array } from "./mod.ts";
 * try {
 *   // stopGradient hides a dependence from AD, so AD and finite differences disagree.
 *   checkGrads((x: Array) => x.mul(stopGradient(x)), [array([0.5], "float64")], { order: 1 });
 * } catch (e) {
 *   if (!(e instanceof GradCheckError)) throw e;
 *   console.log(e.mode, e.order, e.argument, e.maxAbsError); // "fwd" 1 "args[0] (float64[1])" ...
 * }
 * ```
 */
export class GradCheckError extends Error {
  /** `"fwd"` (jvp) or `"rev"` (vjp). */
  readonly mode: GradCheckMode;
  /** Derivative order of the failing check (1 = first derivatives of f). */
  readonly order: number;
  /** The function whose derivative failed: `"f"`, `"JVP of f"`, `"VJP of JVP of f"`, ... */
  readonly what: string;
  /** The argument leaf, as a path (`args[0]`, `args[1].w`, ...), with its dtype and shape. */
  readonly argument: string;
  /** Largest |got − want|. */
  readonly maxAbsError: number;
  /** Largest |got − want| / |want|. */
  readonly maxRelError: number;

  /** Builds the error; `detail` says what was compared. */
  constructor(
    mode: GradCheckMode,
    order: number,
    what: string,
    argument: string,
    maxAbsError: number,
    maxRelError: number,
    detail: string,
  ) {
    super(
      `checkGrads: ${mode === "fwd" ? "forward-mode (jvp)" : "reverse-mode (vjp)"} check ` +
        `failed at order ${order} (${mode === "fwd" ? "JVP" : "VJP"} of ${what}), w.r.t. ` +
        `${argument}: max abs error ${fmt(maxAbsError)}, max rel error ${fmt(maxRelError)}. ` +
        detail +
        (what.startsWith("JVP of")
          ? ` (The JVP of g takes (primals, tangents): args[0] are g's primals, args[1] its ` +
            `tangents.)`
          : ""),
    );
    this.name = "GradCheckError";
    this.mode = mode;
    this.order = order;
    this.what = what;
    this.argument = argument;
    this.maxAbsError = maxAbsError;
    this.maxRelError = maxRelError;
  }
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toExponential(3) : String(v);
}

/** Deterministic normal deviates (mulberry32 + Box–Muller). */
class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = (seed >>> 0) ^ 0x9e3779b9;
  }
  uniform(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    const u = 1 - this.uniform(), v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  like(x: Array): Array {
    const d = allocate(x.dtype, x.size);
    for (let i = 0; i < d.length; i++) d[i] = this.normal();
    return new DeviceArray(new ShapedArray(x.shape, x.dtype), d);
  }
}

interface Ctx {
  eps: number;
  atol: number;
  rtol: number;
  modes: readonly GradCheckMode[];
  rng: Rng;
  total: number;
}

interface Flat {
  leaves: Array[];
  def: TreeDef;
  paths: string[];
}

function leafPaths(def: TreeDef, prefix: string, out: string[] = []): string[] {
  switch (def.kind) {
    case "leaf":
      out.push(prefix);
      break;
    case "null":
      break;
    case "list":
      def.children.forEach((c, i) => leafPaths(c, `${prefix}[${i}]`, out));
      break;
    case "dict":
      def.children.forEach((c, i) => leafPaths(c, `${prefix}.${def.keys[i]}`, out));
      break;
  }
  return out;
}

function flat(tree: unknown, prefix: string, op: string): Flat {
  const [ls, def] = flatten(tree);
  return { leaves: leavesToArrays(op, ls), def, paths: leafPaths(def, prefix) };
}

function concrete(x: Array, where: string): Float64Array {
  if (x instanceof Tracer) {
    throw new Error(
      `checkGrads: ${where} is a traced value; checkGrads evaluates f eagerly and cannot run ` +
        `inside jit, grad or vmap`,
    );
  }
  return Float64Array.from(x.dataSync());
}

function describe(x: Array): string {
  return `${x.dtype}[${x.shape.join(",")}]`;
}

/** `x + s·t` in float64 arithmetic, stored in x's dtype. */
function axpy(x: Array, s: number, t: Array): Array {
  const a = x.dataSync(), b = t.dataSync();
  const d = allocate(x.dtype, a.length);
  for (let i = 0; i < d.length; i++) d[i] = a[i] + s * b[i];
  return new DeviceArray(new ShapedArray(x.shape, x.dtype), d);
}

function zerosOf(x: Array): Array {
  return DeviceArray.zeros(x.shape, x.dtype);
}

interface Cmp {
  ok: boolean;
  maxAbs: number;
  maxRel: number;
  at: number;
}

function compare(got: ArrayLike<number>, want: ArrayLike<number>, ctx: Ctx): Cmp {
  let ok = true, maxAbs = 0, maxRel = 0, at = -1, worst = -1;
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    // Equal values (including equal infinities) agree; NaN anywhere else is an infinite error.
    const e = g === w ? 0 : Number.isNaN(g - w) ? Infinity : Math.abs(g - w);
    const rel = e === 0 ? 0 : e / Math.abs(w);
    if (!(e <= ctx.atol + ctx.rtol * Math.abs(w)) && e > worst) {
      ok = false;
      at = i;
      worst = e;
    }
    maxAbs = Math.max(maxAbs, e);
    maxRel = Math.max(maxRel, rel);
  }
  return { ok, maxAbs, maxRel, at };
}

function callFlat(f: Fn, def: TreeDef, leaves: Array[], what: string): Flat {
  const out = f(...(unflatten(def, leaves) as unknown[]));
  return flat(out, "out", `checkGrads (output of ${what})`);
}

/** Central difference of f along `t` on leaf `i`; one Float64Array per output leaf. */
function numericalJvp(
  f: Fn,
  x: Flat,
  i: number,
  t: Array,
  ctx: Ctx,
  what: string,
): Float64Array[] {
  const plus = [...x.leaves], minus = [...x.leaves];
  plus[i] = axpy(x.leaves[i], ctx.eps, t);
  minus[i] = axpy(x.leaves[i], -ctx.eps, t);
  const yp = callFlat(f, x.def, plus, what).leaves;
  const ym = callFlat(f, x.def, minus, what).leaves;
  return yp.map((p, k) => {
    const a = concrete(p, `output ${k} of ${what}`), b = concrete(ym[k], `output ${k}`);
    const d = new Float64Array(a.length);
    for (let j = 0; j < d.length; j++) d[j] = (a[j] - b[j]) / (2 * ctx.eps);
    return d;
  });
}

function checkPrimal(
  mode: GradCheckMode,
  level: number,
  what: string,
  got: Flat,
  want: Flat,
  ctx: Ctx,
): void {
  if (got.leaves.length !== want.leaves.length) {
    throw new GradCheckError(
      mode,
      level,
      what,
      "args",
      NaN,
      NaN,
      `The primal output has ${got.leaves.length} leaves, f returned ${want.leaves.length}.`,
    );
  }
  got.leaves.forEach((g, k) => {
    const w = want.leaves[k];
    if (g.dtype !== w.dtype || g.shape.join() !== w.shape.join()) {
      throw new GradCheckError(
        mode,
        level,
        what,
        "args",
        NaN,
        NaN,
        `The primal output ${got.paths[k]} is ${describe(g)}, f returned ${describe(w)}.`,
      );
    }
    const c = compare(concrete(g, "primal"), concrete(w, "primal"), ctx);
    if (!c.ok) {
      throw new GradCheckError(
        mode,
        level,
        what,
        "args",
        c.maxAbs,
        c.maxRel,
        `The primal output ${got.paths[k]} differs from f's value.`,
      );
    }
  });
}

function tolText(ctx: Ctx): string {
  return `(atol ${ctx.atol}, rtol ${ctx.rtol}, eps ${ctx.eps})`;
}

function checkJvp(f: Fn, args: unknown[], level: number, what: string, ctx: Ctx): void {
  const x = flat(args, "args", "checkGrads");
  const y0 = callFlat(f, x.def, x.leaves, what);
  let primalChecked = false;
  x.leaves.forEach((leaf, i) => {
    if (!isFloat(leaf.dtype)) return;
    const t = ctx.rng.like(leaf);
    const ts = x.leaves.map((l, j) => (j === i ? t : zerosOf(l)));
    const [out, tout] = jvp(f, args, unflatten(x.def, ts) as unknown[]);
    const yo = flat(out, "out", "checkGrads (jvp output)");
    const to = flat(tout, "out", "checkGrads (jvp tangent)");
    if (!primalChecked) {
      checkPrimal("fwd", level, what, yo, y0, ctx);
      primalChecked = true;
    }
    const fd = numericalJvp(f, x, i, t, ctx, what);
    yo.leaves.forEach((o, k) => {
      const tk = to.leaves[k];
      if (tk.dtype !== o.dtype || tk.shape.join() !== o.shape.join()) {
        throw new GradCheckError(
          "fwd",
          level,
          what,
          x.paths[i],
          NaN,
          NaN,
          `The tangent of output ${yo.paths[k]} is ${describe(tk)} but the output is ` +
            `${describe(o)}: tangents must have the dtype and shape of their primal.`,
        );
      }
      if (!isFloat(o.dtype)) return;
      const c = compare(concrete(tk, "tangent"), fd[k], ctx);
      if (!c.ok) {
        throw new GradCheckError(
          "fwd",
          level,
          what,
          `${x.paths[i]} (${describe(leaf)})`,
          c.maxAbs,
          c.maxRel,
          `Tangent of output ${yo.paths[k]} vs central differences; first bad element ` +
            `${c.at}: jvp ${concrete(tk, "tangent")[c.at]}, numerical ${fd[k][c.at]} ` +
            tolText(ctx) + ".",
        );
      }
    });
  });
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function checkVjp(f: Fn, args: unknown[], level: number, what: string, ctx: Ctx): void {
  const x = flat(args, "args", "checkGrads");
  if (!x.leaves.some((l) => isFloat(l.dtype))) return;
  const y0 = callFlat(f, x.def, x.leaves, what);
  const [out, back] = vjp(f, ...args);
  const yo = flat(out, "out", "checkGrads (vjp output)");
  checkPrimal("rev", level, what, yo, y0, ctx);
  const cs = yo.leaves.map((o) => (isFloat(o.dtype) ? ctx.rng.like(o) : zerosOf(o)));
  const cts = flat(back(unflatten(yo.def, cs)), "args", "checkGrads (vjp cotangent)");
  if (cts.leaves.length !== x.leaves.length) {
    throw new GradCheckError(
      "rev",
      level,
      what,
      "args",
      NaN,
      NaN,
      `vjp returned ${cts.leaves.length} cotangent leaves for ${x.leaves.length} argument leaves.`,
    );
  }
  x.leaves.forEach((leaf, i) => {
    if (!isFloat(leaf.dtype)) return;
    const ct = cts.leaves[i];
    if (ct.dtype !== leaf.dtype || ct.shape.join() !== leaf.shape.join()) {
      throw new GradCheckError(
        "rev",
        level,
        what,
        x.paths[i],
        NaN,
        NaN,
        `Its cotangent is ${describe(ct)} but the argument is ${describe(leaf)}: cotangents ` +
          `must have the dtype and shape of their primal.`,
      );
    }
    const t = ctx.rng.like(leaf);
    const ip = dot(concrete(t, "direction"), concrete(ct, "cotangent"));
    const fd = numericalJvp(f, x, i, t, ctx, what);
    let ipWant = 0;
    yo.leaves.forEach((o, k) => {
      if (isFloat(o.dtype)) ipWant += dot(fd[k], concrete(cs[k], "cotangent"));
    });
    const c = compare([ip], [ipWant], ctx);
    if (!c.ok) {
      throw new GradCheckError(
        "rev",
        level,
        what,
        `${x.paths[i]} (${describe(leaf)})`,
        c.maxAbs,
        c.maxRel,
        `<direction, vjp(cotangent)> = ${ip} but <numerical jvp(direction), cotangent> = ` +
          `${ipWant} ${tolText(ctx)}.`,
      );
    }
  });
}

function checkRec(f: Fn, args: unknown[], order: number, what: string, ctx: Ctx): void {
  const level = ctx.total - order + 1;
  if (ctx.modes.includes("fwd")) {
    checkJvp(f, args, level, what, ctx);
    if (order > 1) {
      const fJvp = (primals: unknown[], tangents: unknown[]) => jvp(f, primals, tangents);
      checkRec(fJvp, [args, args], order - 1, `JVP of ${what}`, ctx);
    }
  }
  if (ctx.modes.includes("rev")) {
    checkVjp(f, args, level, what, ctx);
    if (order > 1) {
      const fVjp = (...xs: unknown[]) => {
        const [out, back] = vjp(f, ...xs);
        return back(out);
      };
      checkRec(fVjp, args, order - 1, `VJP of ${what}`, ctx);
    }
  }
}

/**
 * Checks the derivatives of `f` at `args` against central finite differences, up to `order`, in
 * forward mode (`jvp`), reverse mode (`vjp`) or both, like `jax.test_util.check_grads`. At order
 * 2 it checks the JVP and VJP of the first-order derivative functions (JVP of JVP, VJP of VJP and
 * the mixed ones), and so on recursively. Returns nothing; throws a {@link GradCheckError} naming
 * the mode, the order, the argument and the largest errors when a check fails.
 *
 * `args` are the positional arguments of `f` (pytrees). Their float leaves are differentiated;
 * int32 and bool leaves are held fixed. The default tolerances (1e-5, with ε = 1e-4) are for
 * float64 arguments: with float32 arguments give `atol`, `rtol` (and a larger `eps`) explicitly.
 * Evaluation is eager (checkGrads cannot run inside jit, grad or vmap). Points where f is not
 * smooth (|x| at 0, ties of max) make finite differences meaningless: choose points away from them.
 *
 * @example
 * ```ts
 * import { checkGrads, array, sin, Array } from "./mod.ts";
 * checkGrads((x: Array) => sin(x).mul(x), [array([0.3, 1.2], "float64")]); // order 2, fwd + rev
 * checkGrads((x: Array, y: Array) => x.div(y), [array(1.5, "float64"), array(2, "float64")], {
 *   order: 1,
 *   modes: ["rev"],
 * });
 * ```
 */
export function checkGrads(
  f: (...args: any[]) => unknown,
  args: readonly unknown[],
  opts: CheckGradsOptions = {},
): void {
  const order = opts.order ?? 2;
  if (!Number.isInteger(order) || order < 1) {
    throw new RangeError(`checkGrads: order must be a positive integer, got ${order}`);
  }
  const modes = opts.modes ?? ["fwd", "rev"];
  if (modes.length === 0 || modes.some((m) => m !== "fwd" && m !== "rev")) {
    throw new Error(
      `checkGrads: modes must be a non-empty list of "fwd" and "rev", got [${modes}]`,
    );
  }
  if (!globalThis.Array.isArray(args)) {
    throw new TypeError("checkGrads: args must be the list of f's positional arguments");
  }
  const x = flat([...args], "args", "checkGrads");
  const f32 = x.leaves.findIndex((l) => l.dtype === "float32");
  if (f32 >= 0 && (opts.atol === undefined || opts.rtol === undefined)) {
    const l = x.leaves[f32];
    throw new TypeError(
      `checkGrads: argument ${x.paths[f32]} is ${describe(l)}${
        l.weakType ? " (a JS number)" : ""
      }; the default tolerances (atol = rtol = ${TOL64}, eps = ${EPS}) are for float64, and ` +
        `central differences in float32 cannot meet them. Pass float64 arrays ` +
        `(array(v, "float64") or x.astype("float64")), or give atol and rtol (and a larger eps, ` +
        `e.g. 1e-2) explicitly.`,
    );
  }
  if (!x.leaves.some((l) => isFloat(l.dtype))) {
    throw new TypeError("checkGrads: no argument leaf has a float dtype; nothing to differentiate");
  }
  const eps = opts.eps ?? EPS;
  if (!(eps > 0)) throw new RangeError(`checkGrads: eps must be positive, got ${eps}`);
  const ctx: Ctx = {
    eps,
    atol: opts.atol ?? TOL64,
    rtol: opts.rtol ?? TOL64,
    modes,
    rng: new Rng(opts.seed ?? 0),
    total: order,
  };
  checkRec(f, unflatten(x.def, x.leaves) as unknown[], order, "f", ctx);
}
