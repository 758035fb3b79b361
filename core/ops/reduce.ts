/**
 * Reductions with numpy's `axis`/`keepdims` conventions.
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { floatOf, isFloat } from "../dtype.ts";
import { P } from "../primitives/mod.ts";
import type { Primitive } from "../primitive.ts";
import { normAxes, normAxis } from "../shape.ts";
import { bind1 } from "../trace.ts";
import { asArray, astype } from "./convert.ts";
import { add, exp, isfinite, log, sub, where } from "./elementwise.ts";
import { reshape, stopGradient } from "./shape.ts";

/** Options shared by reductions. */
export interface ReduceOptions {
  /** Keep reduced axes as size 1 (default false). */
  keepdims?: boolean;
}

function keep(x: Array, axes: number[], out: Array, keepdims?: boolean): Array {
  if (!keepdims) return out;
  return reshape(out, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
}

function reduce(
  op: string,
  prim: Primitive,
  x: ArrayLike,
  axis?: number | number[],
  o?: ReduceOptions,
) {
  let a = asArray(x);
  if (a.dtype === "bool" && (op === "sum" || op === "prod")) a = astype(a, "int32");
  const axes = normAxes(op, axis, a.ndim);
  if ((op === "max" || op === "min") && axes.some((ax) => a.shape[ax] === 0)) {
    throw new Error(`${op}: zero-size axis of [${a.shape}] has no identity`);
  }
  return keep(a, axes, bind1(prim, [a], { axes }), o?.keepdims);
}

/**
 * Sum over `axis` (all axes when omitted).
 *
 * @example
 * ```ts
 * import { array, sum } from "./mod.ts";
 * sum(array([[1, 2], [3, 4]]), 0); // [4, 6]
 * ```
 */
export const sum = (x: ArrayLike, axis?: number | number[], o?: ReduceOptions): Array =>
  reduce("sum", P.reduce_sum, x, axis, o);
/** Product over `axis`. */
export const prod = (x: ArrayLike, axis?: number | number[], o?: ReduceOptions): Array =>
  reduce("prod", P.reduce_prod, x, axis, o);
/** Maximum over `axis` (its gradient is shared equally among tied maxima). */
export const max = (x: ArrayLike, axis?: number | number[], o?: ReduceOptions): Array =>
  reduce("max", P.reduce_max, x, axis, o);
/** Minimum over `axis`. */
export const min = (x: ArrayLike, axis?: number | number[], o?: ReduceOptions): Array =>
  reduce("min", P.reduce_min, x, axis, o);

/** Arithmetic mean over `axis` (float result). */
export function mean(x: ArrayLike, axis?: number | number[], o?: ReduceOptions): Array {
  const a = asArray(x);
  const axes = normAxes("mean", axis, a.ndim);
  const n = axes.reduce((p, ax) => p * a.shape[ax], 1);
  const s = sum(isFloat(a.dtype) ? a : astype(a, floatOf(a.dtype)), axes, o);
  return s.div(n);
}

function argReduce(op: string, prim: Primitive, x: ArrayLike, axis?: number): Array {
  let a = asArray(x);
  if (axis === undefined) {
    a = reshape(a, [-1]);
    axis = 0;
  }
  return bind1(prim, [a], { axis: normAxis(op, axis, a.ndim) });
}
/** Index of the first maximum along `axis` (of the flattened array when omitted); int32. */
export const argmax = (x: ArrayLike, axis?: number): Array =>
  argReduce("argmax", P.argmax, x, axis);
/** Index of the first minimum along `axis`; int32. */
export const argmin = (x: ArrayLike, axis?: number): Array =>
  argReduce("argmin", P.argmin, x, axis);

/** Cumulative sum along `axis` (of the flattened array when omitted). */
export function cumsum(x: ArrayLike, axis?: number, opts: { reverse?: boolean } = {}): Array {
  let a = asArray(x);
  if (a.dtype === "bool") a = astype(a, "int32");
  if (axis === undefined) {
    a = reshape(a, [-1]);
    axis = 0;
  }
  return bind1(P.cumsum, [a], { axis: normAxis("cumsum", axis, a.ndim), reverse: !!opts.reverse });
}

/**
 * `log Σ exp(x)` over `axis`, stable for large values; gradient is softmax. An empty sum is
 * −∞ (as in JAX), also over a zero-size axis.
 *
 * @example
 * ```ts
 * import { array, logsumexp } from "./mod.ts";
 * logsumexp(array([1000, 1000])); // 1000.6931...
 * ```
 */
export function logsumexp(x: ArrayLike, axis?: number | number[], o?: ReduceOptions): Array {
  const a = asArray(x);
  const axes = normAxes("logsumexp", axis, a.ndim);
  if (axes.some((d) => a.shape[d] === 0)) {
    // log of an empty sum; max would reject the zero-size axis. Through exp, so the dtype and
    // the (empty) derivative are those of the general formula.
    const kept = a.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const out = log(reshape(sum(exp(a), axes), kept));
    return o?.keepdims ? out : reshape(out, a.shape.filter((_, i) => !axes.includes(i)));
  }
  const m0 = stopGradient(max(a, axes, { keepdims: true }));
  const m = where(isfinite(m0), m0, 0);
  const s = log(sum(exp(sub(a, m)), axes, { keepdims: true }));
  const out = add(s, m);
  return o?.keepdims ? out : reshape(out, a.shape.filter((_, i) => !axes.includes(i)));
}
