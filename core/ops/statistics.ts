/**
 * numpy's statistics and logical reductions: `var`/`std`, `median`, `quantile`/`percentile`,
 * `any`/`all`. Composed from sorting, gathers and reductions, so derivatives flow to the selected
 * (interpolated) entries, and `vmap`/`jit` work.
 *
 * @module
 */
import { Array, type ArrayLike } from "../array.ts";
import { DeviceArray } from "../device_array.ts";
import { floatOf, isFloat, type TypeInfo } from "../dtype.ts";
import { P } from "../primitives/mod.ts";
import { fmtShape, normAxes, normAxis } from "../shape.ts";
import { bind1 } from "../trace.ts";
import { array, asArray, astype, castTo } from "./convert.ts";
import {
  add,
  ceil,
  equal,
  floor,
  greaterEqual,
  isnan,
  logicalNot,
  minimum,
  mul,
  round,
  sqrt,
  sub,
  where,
} from "./elementwise.ts";
import { take } from "./indexing.ts";
import { mean, type ReduceOptions, sum } from "./reduce.ts";
import { moveaxis, reshape, slice, transpose } from "./shape.ts";
import { sort } from "./sort.ts";

/**
 * Options of {@link variance} and {@link std}.
 *
 * @example
 * ```ts
 * import { array, std } from "./mod.ts";
 * std(array([1, 2, 3, 4]), undefined, { ddof: 1 }); // 1.2909944
 * ```
 */
export interface VarianceOptions extends ReduceOptions {
  /** Delta degrees of freedom: divide by N − ddof (default 0, as numpy). */
  ddof?: number;
}

/**
 * The variance over `axis` (all axes when omitted): the mean of `|x − mean(x)|²`, divided by
 * `N − ddof` instead of N when `ddof` is given (numpy's `var`; also exported as `var`).
 *
 * @example
 * ```ts
 * import { array, variance } from "./mod.ts";
 * variance(array([1, 2, 3, 4])); // 1.25
 * ```
 */
export function variance(
  x: ArrayLike,
  axis?: number | number[],
  opts: VarianceOptions = {},
): Array {
  const a0 = asArray(x);
  const a = isFloat(a0.dtype) ? a0 : astype(a0, floatOf(a0.dtype));
  const axes = normAxes("var", axis, a.ndim);
  const n = axes.reduce((p, ax) => p * a.shape[ax], 1);
  const d = sub(a, mean(a, axes, { keepdims: true }));
  return sum(mul(d, d), axes, { keepdims: opts.keepdims }).div(n - (opts.ddof ?? 0));
}
export { variance as var };

/**
 * The standard deviation over `axis`: `sqrt(var(x))`, with numpy's `ddof`. Its derivative is
 * infinite where the variance is 0.
 *
 * @example
 * ```ts
 * import { array, std } from "./mod.ts";
 * std(array([[1, 3], [2, 6]]), 1); // [1, 2]
 * ```
 */
export function std(x: ArrayLike, axis?: number | number[], opts: VarianceOptions = {}): Array {
  return sqrt(variance(x, axis, opts));
}

/**
 * True when any entry over `axis` is true (non-zero); false for an empty axis.
 *
 * @example
 * ```ts
 * import { any, array } from "./mod.ts";
 * any(array([[0, 1], [0, 0]]), 1); // [true, false]
 * ```
 */
export function any(x: ArrayLike, axis?: number | number[], o?: ReduceOptions): Array {
  const a = astype(asArray(x), "bool");
  const axes = normAxes("any", axis, a.ndim);
  // reduce_max of bools; its identity (false) is the right answer for an empty axis.
  const out = bind1(P.reduce_max, [a], { axes });
  return o?.keepdims ? reshape(out, a.shape.map((d, i) => (axes.includes(i) ? 1 : d))) : out;
}

/**
 * True when every entry over `axis` is true (non-zero); true for an empty axis.
 *
 * @example
 * ```ts
 * import { all, array } from "./mod.ts";
 * all(array([[1, 1], [0, 1]]), 1); // [true, false]
 * ```
 */
export function all(x: ArrayLike, axis?: number | number[], o?: ReduceOptions): Array {
  return logicalNot(any(logicalNot(x), axis, o));
}

/** `x` sorted along `axis` (flattened when null), moved last: [...rest, n]. */
function sortedLast(op: string, x: ArrayLike, axis: number | null) {
  let a = asArray(x);
  if (!isFloat(a.dtype)) a = astype(a, floatOf(a.dtype));
  if (axis === null) a = reshape(a, [-1]);
  const ax = axis === null ? 0 : normAxis(op, axis, a.ndim);
  const n = a.shape[ax];
  if (n === 0) throw new RangeError(`${op}: axis ${ax} of ${fmtShape(a.shape)} is empty`);
  const s = sort(moveaxis(a, ax, -1), -1);
  // Keepdims shape of a reduction over that axis (of the original, unflattened array).
  const orig = asArray(x);
  const keep = axis === null
    ? orig.shape.map(() => 1)
    : orig.shape.map((d, i) => (i === ax ? 1 : d));
  return { s, n, keep, rest: s.shape.slice(0, -1) };
}

/** NaN where the sorted row [..., n] holds a NaN (numpy's quantiles of such rows are NaN). */
function nanRows(s: Array, n: number, value: Array): Array {
  const last = slice(s, ...s.shape.slice(0, -1).map(() => null), `${n - 1}`);
  return where(isnan(last), NaN, value);
}

/**
 * The median over `axis` (the flattened array when omitted or null): the middle entry, or the mean
 * of the two middle entries; NaN if the slice has a NaN (numpy). The gradient flows to the middle
 * entries.
 *
 * @example
 * ```ts
 * import { array, median } from "./mod.ts";
 * median(array([3, 1, 4, 1])); // 2
 * median(array([[3, 1, 2], [6, 5, 4]]), 1); // [2, 5]
 * ```
 */
export function median(x: ArrayLike, axis: number | null = null, o?: ReduceOptions): Array {
  const { s, n, keep } = sortedLast("median", x, axis);
  const mid = Math.floor(n / 2);
  const pick = (i: number) => slice(s, ...s.shape.slice(0, -1).map(() => null), `${i}`);
  const m = n % 2 ? pick(mid) : mul(add(pick(mid - 1), pick(mid)), 0.5);
  const out = nanRows(s, n, m);
  return o?.keepdims ? reshape(out, keep) : out;
}

/** Interpolation methods of {@link quantile} (numpy's, for sorted data). */
export type QuantileMethod = "linear" | "lower" | "higher" | "midpoint" | "nearest";

/**
 * Options of {@link quantile} and {@link percentile}.
 *
 * @example
 * ```ts
 * import { array, quantile } from "./mod.ts";
 * quantile(array([1, 2, 3, 4]), 0.5, null, { method: "lower" }); // 2
 * ```
 */
export interface QuantileOptions extends ReduceOptions {
  /** How to pick between the neighbouring entries (default `"linear"`, as numpy). */
  method?: QuantileMethod;
}

/**
 * The `q`-th quantiles (q in [0, 1]) over `axis` (the flattened array when omitted or null), with
 * numpy's default linear interpolation between the neighbouring sorted entries (or its `lower`,
 * `higher`, `midpoint`, `nearest` methods). The shape is `q.shape` followed by the reduced shape.
 * Slices holding NaN give NaN. Differentiable in `x` (through the selected entries) and in `q`.
 *
 * @example
 * ```ts
 * import { array, quantile } from "./mod.ts";
 * quantile(array([1, 2, 3, 4]), 0.5); // 2.5
 * quantile(array([1, 2, 3, 4]), [0, 0.25, 1]); // [1, 1.75, 4]
 * ```
 */
export function quantile(
  x: ArrayLike,
  q: ArrayLike,
  axis: number | null = null,
  opts: QuantileOptions = {},
): Array {
  const { s, n, keep, rest } = sortedLast("quantile", x, axis);
  const t: TypeInfo = { dtype: s.dtype, weak: false };
  // JS numbers go straight to the data's dtype (0.3 stays the double 0.3 for float64 data).
  const qa = q instanceof Array ? castTo(q, t) : array(q, t.dtype);
  if (qa instanceof DeviceArray && qa.dataSync().some((v) => !(v >= 0 && v <= 1))) {
    throw new RangeError(`quantile: q must be in [0, 1], got ${qa}`);
  }
  const vi = mul(qa, n - 1);
  const lo = floor(vi);
  const loI = astype(minimum(lo, n - 1), "int32"),
    hiI = astype(minimum(add(lo, 1), n - 1), "int32");
  const method = opts.method ?? "linear";
  const at = (i: Array) => take(s, i, -1); // [...rest, ...q]
  // The q axes broadcast against the row values from the right: [...rest, ...q].
  const bq = (v: Array) => reshape(v, [...rest.map(() => 1), ...qa.shape]);
  // numpy's _lerp: a + d·g below one half, b − d·(1 − g) from one half on.
  const lerp = (g: Array) => {
    const a = at(loI), b = at(hiI), d = sub(b, a);
    return where(greaterEqual(g, 0.5), sub(b, mul(d, sub(1, g))), add(a, mul(d, g)));
  };
  const frac = sub(vi, lo);
  let val: Array;
  if (method === "linear") val = lerp(bq(frac));
  else if (method === "lower") val = at(loI);
  else if (method === "higher") val = at(astype(minimum(ceil(vi), n - 1), "int32"));
  else if (method === "midpoint") val = lerp(bq(where(equal(frac, 0), 0, 0.5)));
  else if (method === "nearest") val = at(astype(round(vi), "int32"));
  else throw new RangeError(`quantile: unknown method ${JSON.stringify(method)}`);
  // NaN rows, then the q axes first (numpy's layout).
  const last = slice(s, ...rest.map(() => null), `${n - 1}`);
  val = where(reshape(isnan(last), [...rest, ...qa.shape.map(() => 1)]), NaN, val);
  const k = qa.ndim, r = rest.length;
  val = transpose(val, [
    ...globalThis.Array.from({ length: k }, (_, i) => r + i),
    ...rest.map((_, i) => i),
  ]);
  return opts.keepdims ? reshape(val, [...qa.shape, ...keep]) : val;
}

/**
 * The `q`-th percentiles (q in [0, 100]): {@link quantile} of `q / 100`.
 *
 * @example
 * ```ts
 * import { array, percentile } from "./mod.ts";
 * percentile(array([1, 2, 3, 4]), 50); // 2.5
 * ```
 */
export function percentile(
  x: ArrayLike,
  q: ArrayLike,
  axis: number | null = null,
  opts: QuantileOptions = {},
): Array {
  const a = asArray(x);
  const t = isFloat(a.dtype) ? a.dtype : floatOf(a.dtype);
  const qa = q instanceof Array ? castTo(q, { dtype: t, weak: false }) : array(q, t);
  return quantile(a, qa.div(100), axis, opts);
}
