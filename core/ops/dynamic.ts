/**
 * Indexing with traced (data-dependent) positions: `takeAlongAxis`, `dynamicSlice`,
 * `dynamicUpdateSlice` (as `lax.dynamic_slice`), and the functional updates `indexSet` and
 * `indexMul` behind `x.at(idx).set(v)` / `.mul(v)` (JAX's `x.at[idx].set(v)`). Built from
 * gather, scatter-add and selects, so they differentiate, batch and compile like those.
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { fmtShape, normAxis } from "../shape.ts";
import { asArray, astype, broadcastTo, castTo, resultType } from "./convert.ts";
import { arange, zeros } from "./creation.ts";
import {
  abs,
  add,
  bitwiseAnd,
  equal,
  exp,
  greater,
  greaterEqual,
  less,
  log,
  logicalAnd,
  maximum,
  minimum,
  mul,
  notEqual,
  sub,
  where,
} from "./elementwise.ts";
import { indexAdd, take } from "./indexing.ts";
import { broadcastShapes } from "../shape.ts";
import { moveaxis, reshape } from "./shape.ts";
import { argsort, sort } from "./sort.ts";

/** int32 indices, negative ones counted from the end of an axis of length n. */
function indices(op: string, idx: ArrayLike, n: number): Array {
  const i = asArray(idx);
  if (i.dtype !== "int32" && !(i.weakType || globalThis.Array.isArray(idx))) {
    throw new TypeError(`${op}: indices must be int32, got ${i.aval}`);
  }
  const ii = astype(i, "int32");
  return where(less(ii, 0), add(ii, n), ii);
}

/**
 * numpy's `take_along_axis`: `out[..., k, ...] = x[..., idx[..., k, ...], ...]` along `axis`,
 * with `idx` broadcasting against `x` on the other axes (e.g. the result of `argsort`).
 * Out-of-range indices are clamped, as `take`.
 *
 * @example
 * ```ts
 * import { argsort, array, takeAlongAxis } from "./mod.ts";
 * const x = array([[3, 1, 2], [0, 5, 4]]);
 * takeAlongAxis(x, argsort(x, 1), 1); // [[1, 2, 3], [0, 4, 5]]
 * ```
 */
export function takeAlongAxis(x: ArrayLike, idx: ArrayLike, axis: number): Array {
  const a = asArray(x);
  const ax = normAxis("takeAlongAxis", axis, a.ndim);
  const n = a.shape[ax];
  const i = indices("takeAlongAxis", idx, n);
  if (i.ndim !== a.ndim) {
    throw new TypeError(
      `takeAlongAxis: indices ${fmtShape(i.shape)} must have the rank of x ${fmtShape(a.shape)}`,
    );
  }
  // Broadcast the other axes, move `axis` last and flatten the rows: one gather.
  const xm0 = moveaxis(a, ax, -1), im0 = moveaxis(i, ax, -1);
  const outer = broadcastShapes("takeAlongAxis", xm0.shape.slice(0, -1), im0.shape.slice(0, -1));
  const k = im0.shape[im0.ndim - 1];
  const xm = broadcastTo(xm0, [...outer, n]), im = broadcastTo(im0, [...outer, k]);
  const rows = outer.reduce((p, d) => p * d, 1);
  if (rows === 0 || n === 0) return moveaxis(zeros([...outer, k], a.dtype), -1, ax);
  const clamped = minimum(maximum(im, 0), n - 1);
  const offsets = reshape(arange(0, rows * n, n, "int32"), [...outer, 1]);
  const g = take(reshape(xm, [rows * n]), add(clamped, offsets));
  return moveaxis(g, -1, ax);
}

/** Start positions clamped so that a block of `sizes` fits in `shape` (as `lax.dynamic_slice`). */
function starts(
  op: string,
  shape: readonly number[],
  start: readonly ArrayLike[],
  sizes: readonly number[],
) {
  if (start.length !== shape.length || sizes.length !== shape.length) {
    throw new RangeError(
      `${op}: need one start and size per axis of ${fmtShape(shape)}, got ${start.length} starts ` +
        `and sizes ${fmtShape(sizes)}`,
    );
  }
  return start.map((s, k) => {
    if (!Number.isInteger(sizes[k]) || sizes[k] < 0 || sizes[k] > shape[k]) {
      throw new RangeError(`${op}: size ${sizes[k]} does not fit axis ${k} of ${fmtShape(shape)}`);
    }
    return minimum(maximum(astype(asArray(s), "int32"), 0), shape[k] - sizes[k]);
  });
}

/**
 * The block of `sizes` starting at `startIndices` (which may be traced values); starts are
 * clamped so the block lies inside `x`, as `lax.dynamic_slice`.
 *
 * @example
 * ```ts
 * import { arange, dynamicSlice } from "./mod.ts";
 * dynamicSlice(arange(10), [7], [5]); // [5, 6, 7, 8, 9] (start clamped to 5)
 * ```
 */
export function dynamicSlice(
  x: ArrayLike,
  startIndices: readonly ArrayLike[],
  sizes: readonly number[],
): Array {
  let out = asArray(x);
  const st = starts("dynamicSlice", out.shape, startIndices, sizes);
  st.forEach((s, k) => {
    if (sizes[k] === out.shape[k]) return;
    out = take(out, add(arange(sizes[k], undefined, 1, "int32"), s), k);
  });
  return out;
}

/**
 * `x` with the block `update` written at `startIndices` (which may be traced; clamped so the
 * block fits), as `lax.dynamic_update_slice`. Differentiable in `x` and `update`.
 *
 * @example
 * ```ts
 * import { array, dynamicUpdateSlice, zeros } from "./mod.ts";
 * dynamicUpdateSlice(zeros([5]), array([1, 2]), [1]); // [0, 1, 2, 0, 0]
 * ```
 */
export function dynamicUpdateSlice(
  x: ArrayLike,
  update: ArrayLike,
  startIndices: readonly ArrayLike[],
): Array {
  const a0 = asArray(x), u0 = asArray(update);
  const t = resultType(a0, u0);
  const a = castTo(a0, t);
  let u = castTo(u0, { dtype: t.dtype, weak: a.weakType });
  if (u.ndim !== a.ndim) {
    throw new TypeError(
      `dynamicUpdateSlice: update ${fmtShape(u.shape)} must have the rank of x ${
        fmtShape(a.shape)
      }`,
    );
  }
  const st = starts("dynamicUpdateSlice", a.shape, startIndices, u.shape);
  // Spread the update over x's shape axis by axis (a gather at i − start), and mark the block.
  let inside: Array | null = null;
  st.forEach((s, k) => {
    const n = a.shape[k], m = u.shape[k];
    const pos = arange(n, undefined, 1, "int32");
    const rel = sub(pos, s);
    u = take(u, minimum(maximum(rel, 0), Math.max(m - 1, 0)), k);
    const inAxis = logicalAnd(greaterEqual(rel, 0), less(rel, m));
    const shape = a.shape.map((_, j) => (j === k ? n : 1));
    const mask = reshape(inAxis, shape);
    inside = inside === null ? mask : logicalAnd(inside, mask);
  });
  return inside === null ? u : where(inside, u, a);
}

/** Index and update operands of a functional update along `axis`. */
function updateOperands(op: string, x: ArrayLike, idx: ArrayLike, v: ArrayLike, axis: number) {
  const a0 = asArray(x), v0 = asArray(v);
  const t = resultType(a0, v0);
  const a = castTo(a0, t);
  const ax = normAxis(op, axis, a.ndim);
  const i = indices(op, idx, a.shape[ax]);
  const shape = [...a.shape.slice(0, ax), ...i.shape, ...a.shape.slice(ax + 1)];
  const vb = broadcastTo(castTo(v0, { dtype: t.dtype, weak: a.weakType }), shape);
  return { a, ax, i, vb };
}

/** `w` (shaped like the index array) reshaped to broadcast against updates along `ax`. */
function alongIndices(w: Array, a: Array, ax: number): Array {
  return reshape(w, [
    ...a.shape.slice(0, ax).map(() => 1),
    ...w.shape,
    ...a.shape.slice(ax + 1).map(() => 1),
  ]);
}

/**
 * A copy of `x` with entries at `indices` along `axis` replaced by `values` (JAX's
 * `x.at[idx].set(v)`; numpy's `x[idx] = v`). For a repeated index the last value wins, as in
 * numpy; out-of-range indices are dropped. Differentiable in `x` (zero at replaced entries) and
 * `values` (at the winning updates).
 *
 * @example
 * ```ts
 * import { array, indexSet } from "./mod.ts";
 * indexSet(array([1, 2, 3]), [0, 2], 9); // [9, 2, 9]
 * ```
 */
export function indexSet(x: ArrayLike, indices: ArrayLike, values: ArrayLike, axis = 0): Array {
  const { a, ax, i, vb } = updateOperands("indexSet", x, indices, values, axis);
  const flat = reshape(i, [-1]);
  const k = flat.shape[0];
  // The last update of each target wins: sort the indices (stably) and keep the last of each run.
  const order = argsort(flat);
  const sorted = sort(flat);
  const next = take(sorted, minimum(add(arange(k, undefined, 1, "int32"), 1), Math.max(k - 1, 0)));
  const lastOfRun = logicalAnd(
    notEqual(sorted, next),
    notEqual(arange(k, undefined, 1, "int32"), k - 1),
  );
  const isLast = where(equal(arange(k, undefined, 1, "int32"), k - 1), true, lastOfRun);
  const wins = indexAdd(zeros([k], "int32"), order, astype(isLast, "int32"));
  const w = alongIndices(reshape(greater(wins, 0), i.shape), a, ax);
  const hits = indexAdd(zeros([a.shape[ax]], "int32"), i, 1);
  const hit = reshape(greater(hits, 0), a.shape.map((d, j) => (j === ax ? d : 1)));
  const placed = indexAdd(zeros(a.shape, a.dtype), i, where(w, vb, 0), ax);
  return where(hit, placed, a);
}

/**
 * A copy of `x` with entries at `indices` along `axis` multiplied by `values` (JAX's
 * `x.at[idx].mul(v)`); repeated indices multiply every value in. Exact for indices that occur
 * once; a target hit several times gets the product through logarithms (a few ulp).
 *
 * @example
 * ```ts
 * import { array, indexMul } from "./mod.ts";
 * indexMul(array([1, 2, 3]), [1, 1], 3); // [1, 18, 3]
 * ```
 */
export function indexMul(x: ArrayLike, indices: ArrayLike, values: ArrayLike, axis = 0): Array {
  const { a, ax, i, vb } = updateOperands("indexMul", x, indices, values, axis);
  const n = a.shape[ax];
  const counts = indexAdd(zeros([n], "int32"), i, 1);
  const byAxis = (c: Array) => reshape(c, a.shape.map((d, j) => (j === ax ? d : 1)));
  const single = indexAdd(zeros(a.shape, a.dtype), i, vb, ax); // the one value, when count is 1
  // Several values: sign · exp(Σ log|v|), zero if any value is zero.
  const isZero = equal(vb, 0), isNeg = less(vb, 0);
  const logs = indexAdd(zeros(a.shape, a.dtype), i, log(where(isZero, 1, abs(vb))), ax);
  const zeroCount = indexAdd(zeros(a.shape, "int32"), i, astype(isZero, "int32"), ax);
  const negCount = indexAdd(zeros(a.shape, "int32"), i, astype(isNeg, "int32"), ax);
  const sign = where(equal(bitwiseAnd(negCount, 1), 1), -1, 1);
  const many = where(greater(zeroCount, 0), 0, mul(sign, exp(logs)));
  const c = byAxis(counts);
  const factor = where(equal(c, 0), 1, where(equal(c, 1), single, many));
  return mul(a, castTo(factor, { dtype: a.dtype, weak: a.weakType }));
}
