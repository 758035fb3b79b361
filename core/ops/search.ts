/**
 * Searching sorted arrays and binning: `searchsorted`, `digitize`, `histogram`, `interp`, as numpy.
 * Positions and counts are piecewise constant, so their derivatives are zero; `histogram` is
 * differentiable in its `weights`, `interp` in `x`, `xp` and `fp`.
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { floatOf, isFloat } from "../dtype.ts";
import { P } from "../primitives/mod.ts";
import { fmtShape } from "../shape.ts";
import { bind1 } from "../trace.ts";
import { asArray, astype, broadcastTo, castTo, resultType } from "./convert.ts";
import { arange, ones, zeros } from "./creation.ts";
import {
  add,
  div,
  equal,
  greater,
  greaterEqual,
  less,
  logicalOr,
  maximum,
  minimum,
  mul,
  sub,
  where,
} from "./elementwise.ts";
import { indexAdd, take } from "./indexing.ts";
import { max, min, sum } from "./reduce.ts";
import { reshape, slice, stopGradient } from "./shape.ts";
import { diff } from "./numpy_extra.ts";

/**
 * Where `v`'s entries would be inserted into the sorted 1-D `a` to keep it sorted (numpy's
 * `searchsorted`): with `side: "left"` the first i with `a[i] >= v`, with `"right"` the first i
 * with `a[i] > v`. int32, shaped like `v`. NaN sorts last. Zero derivative.
 *
 * @example
 * ```ts
 * import { array, searchsorted } from "./mod.ts";
 * searchsorted(array([1, 2, 2, 3]), array([2, 5])); // [1, 4]
 * searchsorted(array([1, 2, 2, 3]), 2, "right"); // 3
 * ```
 */
export function searchsorted(
  a: ArrayLike,
  v: ArrayLike,
  side: "left" | "right" = "left",
): Array {
  const s = asArray(a), q = asArray(v);
  if (s.ndim !== 1) {
    throw new TypeError(`searchsorted: a must be 1-D, got shape ${fmtShape(s.shape)}`);
  }
  if (side !== "left" && side !== "right") {
    throw new RangeError(`searchsorted: side must be "left" or "right", got ${side}`);
  }
  const t = resultType(s, q);
  const out = bind1(P.searchsorted, [castTo(s, t), reshape(castTo(q, t), [-1])], { side });
  return reshape(out, q.shape);
}

/**
 * The index of the bin of each `x` (numpy's `digitize`): for increasing `bins`, i such that
 * `bins[i-1] <= x < bins[i]` (`bins[i-1] < x <= bins[i]` with `right`); 0 below, `len(bins)`
 * above. Decreasing bins are handled as numpy does. int32, shaped like `x`.
 *
 * @example
 * ```ts
 * import { array, digitize } from "./mod.ts";
 * digitize(array([0.2, 1, 2.5, 7]), array([0, 1, 2, 3])); // [1, 2, 3, 4]
 * ```
 */
export function digitize(x: ArrayLike, bins: ArrayLike, right = false): Array {
  const b = asArray(bins);
  if (b.ndim !== 1) throw new TypeError(`digitize: bins must be 1-D, got ${fmtShape(b.shape)}`);
  const n = b.shape[0];
  const side = right ? "left" : "right";
  const inc = searchsorted(b, x, side);
  if (n < 2) return inc;
  // Decreasing bins: count from the end in the reversed (increasing) bins.
  const dec = sub(n, searchsorted(bind1(P.rev, [b], { axes: [0] }), x, side));
  const increasing = greaterEqual(slice(b, `${n - 1}`), slice(b, "0"));
  return where(increasing, inc, dec);
}

/**
 * Options of {@link histogram}.
 *
 * @example
 * ```ts
 * import { array, histogram } from "./mod.ts";
 * const [h, edges] = histogram(array([1, 2, 2, 5]), { bins: 2, range: [0, 6], density: true });
 * ```
 */
export interface HistogramOptions {
  /** The number of equal-width bins (default 10), or the increasing bin edges. */
  bins?: number | ArrayLike;
  /** [lo, hi] of equal-width bins (default: the data's min and max). */
  range?: [number, number];
  /** One weight per entry of `x` (same shape): the histogram sums weights instead of counting. */
  weights?: ArrayLike;
  /** Normalise to a density: counts / (total · bin width), integrating to 1 over the range. */
  density?: boolean;
}

/**
 * numpy's `histogram`: `[hist, binEdges]` of the (flattened) data. Bins are half-open `[e_i,
 * e_{i+1})` except the last, which includes its right edge; entries outside the edges (and NaN)
 * are not counted. Without weights or density, `hist` is int32 counts; otherwise it has the
 * weights' (float) dtype. `hist` is differentiable in `weights` (a scatter-add); moving data
 * across edges is a jump, so the derivative in `x` and in the edges is zero.
 *
 * @example
 * ```ts
 * import { array, histogram } from "./mod.ts";
 * const [h, e] = histogram(array([1, 2, 2, 3, 4]), { bins: 3 }); // h = [1, 2, 2]
 * // e = [1, 2, 3, 4]
 * ```
 */
export function histogram(x: ArrayLike, opts: HistogramOptions = {}): [Array, Array] {
  let a = reshape(asArray(x), [-1]);
  if (!isFloat(a.dtype)) a = astype(a, floatOf(a.dtype));
  const edges = binEdges(a, opts);
  const nb = edges.shape[0] - 1;
  const lastEdge = slice(edges, `${nb}`), firstEdge = slice(edges, "0");
  // Bin i holds e_i <= x < e_{i+1}; the last bin also holds x == e_last.
  const pos = sub(searchsorted(edges, a, "right"), 1);
  const bin = where(equal(a, lastEdge), nb - 1, pos);
  const outside = logicalOr(less(a, firstEdge), greater(a, lastEdge));
  // Outside (and NaN: it sorts after the last edge) → index nb, which scatter_add drops.
  const idx = where(logicalOr(outside, a.ne(a)), nb, bin);
  let hist: Array;
  if (opts.weights === undefined) {
    hist = indexAdd(zeros([nb], "int32"), idx, ones([], "int32"));
  } else {
    const w = asArray(opts.weights);
    if (w.size !== a.size) {
      throw new TypeError(
        `histogram: weights ${fmtShape(w.shape)} do not match x ${fmtShape(asArray(x).shape)}`,
      );
    }
    hist = indexAdd(zeros([nb], w.dtype === "bool" ? "int32" : w.dtype), idx, reshape(w, [-1]));
  }
  if (opts.density) {
    const h = isFloat(hist.dtype) ? hist : astype(hist, edges.dtype);
    hist = div(div(h, diff(edges)), sum(h)); // numpy's order of operations
  }
  return [hist, edges];
}

/** The bin edges of {@link histogram} (numpy's `histogram_bin_edges` for these options). */
function binEdges(a: Array, opts: HistogramOptions): Array {
  const bins = opts.bins ?? 10;
  if (typeof bins !== "number") {
    const e = asArray(bins);
    if (e.ndim !== 1 || e.shape[0] < 2) {
      throw new TypeError(
        `histogram: bin edges must be 1-D with at least 2 entries, got ${e.aval}`,
      );
    }
    return isFloat(e.dtype) ? e : astype(e, a.dtype);
  }
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`histogram: bins must be a positive integer, got ${bins}`);
  }
  let lo: Array, hi: Array;
  if (opts.range) {
    const [l, h] = opts.range;
    if (!(l <= h) || !Number.isFinite(l) || !Number.isFinite(h)) {
      throw new RangeError(`histogram: range [${l}, ${h}] must be finite with lo <= hi`);
    }
    lo = castTo(asArray(l), { dtype: a.dtype, weak: false });
    hi = castTo(asArray(h), { dtype: a.dtype, weak: false });
  } else if (a.size === 0) {
    lo = zeros([], a.dtype), hi = zeros([], a.dtype).add(1);
  } else {
    lo = stopGradient(min(a)), hi = stopGradient(max(a));
  }
  // numpy widens an empty range to [lo − 0.5, hi + 0.5].
  const same = equal(lo, hi);
  lo = where(same, sub(lo, 0.5), lo), hi = where(same, add(hi, 0.5), hi);
  // numpy's linspace: lo + i·step, with the last edge exactly hi.
  const i = astype(arange(bins + 1, undefined, 1, "int32"), a.dtype);
  const e = add(mul(i, div(sub(hi, lo), bins)), lo);
  return where(equal(i, bins), broadcastTo(hi, [bins + 1]), e);
}

/**
 * One-dimensional piecewise-linear interpolation (numpy's `interp`) of the points (`xp`, `fp`),
 * `xp` increasing, at `x`. Below `xp[0]` the value is `left` (default `fp[0]`), above `xp[-1]`
 * it is `right` (default `fp[-1]`). Differentiable in `x` (the slope of the segment; at a knot,
 * the segment to its right), `xp` and `fp`.
 *
 * @example
 * ```ts
 * import { array, interp } from "./mod.ts";
 * interp(array([0.5, 1.5, 3]), array([0, 1, 2]), array([0, 10, 0])); // [5, 5, 0]
 * ```
 */
export function interp(
  x: ArrayLike,
  xp: ArrayLike,
  fp: ArrayLike,
  opts: { left?: ArrayLike; right?: ArrayLike } = {},
): Array {
  const t0 = resultType(x, xp, fp);
  const t = isFloat(t0.dtype) ? t0 : { dtype: floatOf(t0.dtype), weak: false };
  const xs = castTo(asArray(x), t), xk = castTo(asArray(xp), t), fk = castTo(asArray(fp), t);
  if (xk.ndim !== 1 || fk.ndim !== 1 || xk.shape[0] !== fk.shape[0] || xk.shape[0] === 0) {
    throw new TypeError(
      `interp: xp and fp must be 1-D of equal, non-zero length, got ${fmtShape(xk.shape)} and ` +
        `${fmtShape(fk.shape)}`,
    );
  }
  const n = xk.shape[0];
  const f0 = slice(fk, "0"), fn = slice(fk, `${n - 1}`);
  const x0 = slice(xk, "0"), xn = slice(xk, `${n - 1}`);
  let out: Array;
  if (n === 1) out = broadcastTo(f0, xs.shape);
  else {
    // numpy's arr_interp: j with xp[j] <= x < xp[j+1], slope·(x − xp[j]) + fp[j]; exact fp at knots.
    const j = minimum(maximum(sub(searchsorted(xk, xs, "right"), 1), 0), n - 2);
    const xj = take(xk, j), xj1 = take(xk, add(j, 1));
    const fj = take(fk, j), fj1 = take(fk, add(j, 1));
    const slope = div(sub(fj1, fj), sub(xj1, xj));
    out = add(mul(slope, sub(xs, xj)), fj);
    out = where(equal(xs, xj), fj, out);
    out = where(equal(xs, xn), broadcastTo(fn, xs.shape), out);
  }
  const left = opts.left === undefined ? f0 : castTo(asArray(opts.left), t);
  const right = opts.right === undefined ? fn : castTo(asArray(opts.right), t);
  out = where(less(xs, x0), left, out);
  return where(greater(xs, xn), right, out);
}
