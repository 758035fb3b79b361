/**
 * JVP rules: for each primitive, the primal outputs and their tangents given input tangents.
 *
 * A rule runs in the parent of the JVP trace, so it simply calls ops. Tangents may be `null`
 * (symbolic zero). Every tangent expression must be *linear* in the tangents: reverse mode
 * (linearize + transpose) relies on it.
 *
 * Non-smooth points follow JAX: d|x|/dx = sign(x) = 0 at 0; elementwise max/min split the tangent
 * equally on ties; reductions max/min share it equally among tied entries; `select`/`where` pass the
 * chosen branch's tangent; floor/ceil/round/sign and comparisons have zero derivative.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import type { Params } from "../../core/primitive.ts";
import { P, type ParamsOf, type PrimitiveName } from "../../core/primitives/mod.ts";
import { bind, bind1 } from "../../core/trace.ts";
import { castTo } from "../../core/ops/convert.ts";
import { zerosLike } from "../../core/ops/creation.ts";
import * as np from "../../core/ops/mod.ts";
import { controlJvpRules } from "./jvp_control.ts";
import { linalgJvpRules } from "./jvp_linalg.ts";
import { customJvpRules } from "./jvp_custom.ts";
import { trigJvpRules } from "./jvp_trig.ts";
import { numpyJvpRules } from "./jvp_numpy.ts";

type T = Array | null;
/**
 * A JVP rule: (primals, tangents, params) → [primal outputs, tangent outputs], for a primitive whose
 * params have type `Q`. A method type, so TypeScript checks `params` bivariantly (as it does the
 * methods of `Primitive`): a rule typed for one primitive's params is then also a `JvpRule` of the
 * base `Params`, the type under which the JVP trace calls the rule it looks up by the name of a
 * primitive known only at run time, passing the params bound with that primitive.
 */
export type JvpRule<Q extends Params = Params> = {
  rule(primals: Array[], tangents: T[], params: Q): [Array[], T[]];
}["rule"];

/**
 * The JVP rule of each primitive, receiving the params declared with it. Exhaustive: adding a
 * primitive makes the type checker ask for its rule.
 */
export type JvpRules = { [K in PrimitiveName]: JvpRule<ParamsOf<K>> };

const inst = (t: T, p: Array): Array => t ?? zerosLike(p);
const addT = (a: T, b: T): T => (a === null ? b : b === null ? a : np.add(a, b));
const scaleT = (t: T, s: Array): T => (t === null ? null : np.mul(t, s));

/** Rule for unary f with derivative `d(x, y)` where y = f(x). */
export function unary(prim: keyof typeof P, d: (x: Array, y: Array) => Array): JvpRule {
  return ([x], [t]) => {
    const y = bind1(P[prim], [x]);
    return [[y], [scaleT(t, d(x, y))]];
  };
}

/** Applies the same (linear) primitive to the tangent. */
function linear(prim: keyof typeof P): JvpRule {
  return (xs, ts, params) => {
    const outs = bind(P[prim], xs, params);
    if (ts.every((t) => t === null)) return [outs, outs.map(() => null)];
    const touts = bind(P[prim], ts.map((t, i) => inst(t, xs[i])), params);
    return [outs, touts];
  };
}

/** Outputs with zero derivative (piecewise constant functions). */
/** Primitives declared with a zero derivative ({@link zero}). */
const ZERO_DERIVATIVE = new Set<string>();

/**
 * Whether primitive `name` has a zero derivative (piecewise constant, or non-float outputs): its
 * JVP rule is declared with `zero`.
 *
 * @example
 * ```ts
 * import { hasZeroDerivative } from "./jvp.ts";
 * hasZeroDerivative("floor"); // true
 * hasZeroDerivative("sin"); // false
 * ```
 */
export function hasZeroDerivative(name: string): boolean {
  return ZERO_DERIVATIVE.has(name);
}

function zero(prim: keyof typeof P): JvpRule {
  ZERO_DERIVATIVE.add(prim);
  return (xs, _ts, params) => {
    const outs = bind(P[prim], xs, params);
    return [outs, outs.map(() => null)];
  };
}

const SQRT_2_OVER_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_PI_OVER_2 = Math.sqrt(Math.PI) / 2;
const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** Equal split of the tangent between x and y where they tie (JAX's `_balanced_eq`). */
function balancedEq(x: Array, z: Array, y: Array): Array {
  const xz = np.equal(x, z), yz = np.equal(y, z);
  const one = np.where(xz, 1, 0);
  return np.astype(np.where(np.logicalAnd(xz, yz), 0.5, one), x.dtype);
}

/** Tangent of reduce_max/min: average of tangents at the (tied) extremal entries. */
function chooserJvp(prim: "reduce_max" | "reduce_min"): JvpRule<ParamsOf<typeof prim>> {
  return ([x], [t], params) => {
    const y = bind1(P[prim], [x], params);
    if (t === null) return [[y], [null]];
    const { axes } = params;
    const keep = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const yb = np.broadcastTo(np.reshape(y, keep), x.shape);
    const loc = np.astype(np.equal(x, yb), x.dtype);
    const counts = bind1(P.reduce_sum, [loc], { axes });
    const num = bind1(P.reduce_sum, [np.mul(t, loc)], { axes });
    return [[y], [np.div(num, counts)]];
  };
}

/** Product of all entries but one along the reduced axes, built from differentiable ops. */
function prodJvp([x]: Array[], [t]: T[], params: ParamsOf<"reduce_prod">): [Array[], T[]] {
  const y = bind1(P.reduce_prod, [x], params);
  if (t === null) return [[y], [null]];
  const { axes } = params;
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const outer = kept.map((i) => x.shape[i]);
  const k = axes.reduce((n, a) => n * x.shape[a], 1);
  const xf = np.reshape(np.transpose(x, perm), [...outer, 1, k]);
  const tf = np.reshape(np.transpose(t, perm), [...outer, k]);
  // others[..., i] = Π_{j≠i} x[..., j]: replace the diagonal of a k×k stack by ones.
  const diag = np.equal(np.reshape(np.arange(k), [k, 1]), np.reshape(np.arange(k), [1, k]));
  const stackX = np.where(diag, 1, np.broadcastTo(xf, [...outer, k, k]));
  const others = np.prod(stackX, -1);
  return [[y], [np.sum(np.mul(tf, others), -1)]];
}

/**
 * `out[..., k, ...] = t[..., idx[..., k, ...], ...]` along `axis` (numpy's `take_along_axis`), as
 * one gather on the flattened array, so it is linear in `t` (its transpose is a scatter-add).
 */
function takeAlongAxis(t: Array, idx: Array, axis: number): Array {
  if (t.size === 0) return t;
  const tm = np.moveaxis(t, axis, -1);
  const n = tm.shape[tm.ndim - 1], rows = tm.size / n;
  // Start of each row in the flattened array.
  const offsets = np.reshape(np.arange(0, rows * n, n), [rows, 1]);
  const flatIdx = np.add(np.reshape(np.moveaxis(idx, axis, -1), [rows, n]), offsets);
  const g = bind1(P.gather, [np.reshape(tm, [rows * n]), flatIdx], { axis: 0 });
  return np.moveaxis(np.reshape(g, tm.shape), -1, axis);
}

/**
 * Sort's tangents are the input tangents permuted like the primal (JAX's `_sort_jvp`): an iota
 * carried through the sort gives the permutation, which a gather applies to each tangent.
 */
function sortJvp(xs: Array[], ts: T[], params: ParamsOf<"sort">): [Array[], T[]] {
  const { dimension } = params;
  const iota = bind1(P.iota, [], { shape: [...xs[0].shape], dtype: "int32", dimension });
  const outs = bind(P.sort, [...xs, iota], params);
  const perm = outs.pop()!;
  return [outs, ts.map((t) => (t === null ? null : takeAlongAxis(t, perm, dimension)))];
}

function powJvp([x, y]: Array[], [tx, ty]: T[]): [Array[], T[]] {
  const z = bind1(P.pow, [x, y]);
  let out: T = null;
  if (tx !== null) {
    // d/dx x^y = y x^(y-1), defined as 0 where y == 0 (so 0^0 has no NaN derivative).
    const d = np.where(np.equal(y, 0), 0, np.mul(y, bind1(P.pow, [x, np.sub(y, 1)])));
    out = np.mul(tx, d);
  }
  if (ty !== null) {
    // d/dy x^y = log(x) x^y, with log(0) replaced by 0 (the term is 0 · -inf otherwise).
    const lx = np.log(np.where(np.equal(x, 0), 1, x));
    out = addT(out, np.mul(ty, np.mul(lx, z)));
  }
  return [[z], [out]];
}

/** d/dx ψ⁽ᵐ⁾(x) = ψ⁽ᵐ⁺¹⁾(x); m is an order, not differentiable (as in JAX). */
function polygammaJvp([m, x]: Array[], [tm, tx]: T[]): [Array[], T[]] {
  if (tm !== null) {
    throw new Error(
      "jvp: polygamma(m, x) is not differentiable with respect to its order m " +
        "(differentiate with respect to x only)",
    );
  }
  const z = bind1(P.polygamma, [m, x]);
  return [[z], [scaleT(tx, bind1(P.polygamma, [np.add(m, 1), x]))]];
}

/** The JVP rule of every primitive. */
export const jvpRules: JvpRules = {
  // Elementwise, unary.
  neg: linear("neg"),
  sign: zero("sign"),
  floor: zero("floor"),
  ceil: zero("ceil"),
  round: zero("round"),
  abs: unary("abs", (x) => np.sign(x)),
  exp: unary("exp", (_x, y) => y),
  log: unary("log", (x) => np.div(1, x)),
  log1p: unary("log1p", (x) => np.div(1, np.add(x, 1))),
  expm1: unary("expm1", (_x, y) => np.add(y, 1)),
  sqrt: unary("sqrt", (_x, y) => np.div(0.5, y)),
  rsqrt: unary("rsqrt", (x, y) => np.mul(np.div(y, x), -0.5)),
  sin: unary("sin", (x) => np.cos(x)),
  cos: unary("cos", (x) => np.neg(np.sin(x))),
  tanh: unary("tanh", (_x, y) => np.sub(1, np.mul(y, y))),
  logistic: unary("logistic", (_x, y) => np.mul(y, np.sub(1, y))),
  erf: unary("erf", (x) => np.mul(np.exp(np.neg(np.mul(x, x))), SQRT_2_OVER_PI)),
  erfc: unary("erfc", (x) => np.mul(np.exp(np.neg(np.mul(x, x))), -SQRT_2_OVER_PI)),
  // d/dx erfinv(x) = (√π/2)·exp(erfinv(x)²).
  erf_inv: unary("erf_inv", (_x, y) => np.mul(np.exp(np.mul(y, y)), SQRT_PI_OVER_2)),
  // d/dx log Φ(x) = φ(x)/Φ(x) = exp(−x²/2 − log Φ(x)) / √(2π): stable far in the lower tail.
  log_ndtr: unary(
    "log_ndtr",
    (x, y) => np.mul(np.exp(np.sub(np.mul(np.mul(x, x), -0.5), y)), INV_SQRT_2PI),
  ),
  // d/dp ndtri(p) = 1/φ(ndtri(p)) = √(2π)·exp(ndtri(p)²/2).
  ndtri: unary("ndtri", (_x, y) => np.mul(np.exp(np.mul(np.mul(y, y), 0.5)), SQRT_2PI)),
  lgamma: unary("lgamma", (x) => np.digamma(x)),
  digamma: unary("digamma", (x) => bind1(P.trigamma, [x])),
  trigamma: unary("trigamma", (x) => bind1(P.polygamma, [np.fullLike(x, 2), x])),
  polygamma: polygammaJvp,
  not: zero("not"),
  is_finite: zero("is_finite"),

  // Elementwise, binary.
  add: ([x, y], [tx, ty]) => [[bind1(P.add, [x, y])], [addT(tx, ty)]],
  sub: ([x, y], [tx, ty]) => {
    const t = tx !== null && ty !== null
      ? bind1(P.sub, [tx, ty])
      : tx !== null
      ? tx
      : ty !== null
      ? np.neg(ty)
      : null;
    return [[bind1(P.sub, [x, y])], [t]];
  },
  mul: ([x, y], [tx, ty]) => [[bind1(P.mul, [x, y])], [addT(scaleT(tx, y), scaleT(ty, x))]],
  div: ([x, y], [tx, ty]) => {
    const z = bind1(P.div, [x, y]);
    const num = addT(tx, ty === null ? null : np.neg(np.mul(ty, z)));
    return [[z], [num === null ? null : np.div(num, y)]];
  },
  pow: powJvp,
  max: ([x, y], [tx, ty]) => {
    const z = bind1(P.max, [x, y]);
    return [[z], [addT(scaleT(tx, balancedEq(x, z, y)), scaleT(ty, balancedEq(y, z, x)))]];
  },
  min: ([x, y], [tx, ty]) => {
    const z = bind1(P.min, [x, y]);
    return [[z], [addT(scaleT(tx, balancedEq(x, z, y)), scaleT(ty, balancedEq(y, z, x)))]];
  },
  eq: zero("eq"),
  ne: zero("ne"),
  lt: zero("lt"),
  le: zero("le"),
  gt: zero("gt"),
  ge: zero("ge"),
  and: zero("and"),
  or: zero("or"),
  xor: zero("xor"),
  shift_left: zero("shift_left"),
  shift_right_logical: zero("shift_right_logical"),
  integer_pow: ([x], [t], { y }) => {
    const z = bind1(P.integer_pow, [x], { y });
    if (t === null) return [[z], [null]];
    if (y === 0) return [[z], [null]];
    const d = y === 1
      ? np.onesLike(x)
      : np.mul(y === 2 ? x : bind1(P.integer_pow, [x], { y: y - 1 }), y);
    return [[z], [np.mul(t, d)]];
  },
  select: ([p, a, b], [, ta, tb]) => {
    const out = bind1(P.select, [p, a, b]);
    if (ta === null && tb === null) return [[out], [null]];
    return [[out], [bind1(P.select, [p, inst(ta, a), inst(tb, b)])]];
  },
  convert_element_type: ([x], [t], params) => {
    const y = bind1(P.convert_element_type, [x], params);
    return [[y], [t === null ? null : castTo(t, { dtype: params.dtype, weak: params.weakType })]];
  },
  stop_gradient: zero("stop_gradient"),

  // Reductions.
  reduce_sum: linear("reduce_sum"),
  reduce_prod: prodJvp,
  reduce_max: chooserJvp("reduce_max"),
  reduce_min: chooserJvp("reduce_min"),
  argmax: zero("argmax"),
  argmin: zero("argmin"),
  cumsum: linear("cumsum"),

  // Shapes.
  reshape: linear("reshape"),
  broadcast_in_dim: linear("broadcast_in_dim"),
  transpose: linear("transpose"),
  slice: linear("slice"),
  pad: linear("pad"),
  rev: linear("rev"),
  concatenate: linear("concatenate"),
  iota: zero("iota"),

  // Indexing: linear in the data, not in the (integer) indices.
  gather: ([x, i], [t], params) => {
    const y = bind1(P.gather, [x, i], params);
    return [[y], [t === null ? null : bind1(P.gather, [t, i], params)]];
  },
  scatter_add: ([x, i, u], [tx, , tu], params) => {
    const y = bind1(P.scatter_add, [x, i, u], params);
    if (tx === null && tu === null) return [[y], [null]];
    return [[y], [bind1(P.scatter_add, [inst(tx, x), i, inst(tu, u)], params)]];
  },

  // Linear algebra.
  matmul: ([a, b], [ta, tb]) => {
    const y = bind1(P.matmul, [a, b]);
    const l = ta === null ? null : bind1(P.matmul, [ta, b]);
    const r = tb === null ? null : bind1(P.matmul, [a, tb]);
    return [[y], [addT(l, r)]];
  },

  // Random bits and sorting.
  threefry2x32: zero("threefry2x32"),
  sort: sortJvp,

  ...controlJvpRules,
  ...linalgJvpRules,
  ...customJvpRules,
  ...trigJvpRules,
  ...numpyJvpRules,
};
