/**
 * Integer-array indexing: `take` (gather), `indexAdd` (scatter-add, JAX's `x.at[idx].add(v)`) and
 * `segmentSum`, the per-event sum over jagged data stored as values + segment ids.
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { P } from "../primitives/mod.ts";
import { gatherShape } from "../primitives/indexing.ts";
import { normAxis } from "../shape.ts";
import { bind1 } from "../trace.ts";
import { array, asArray, astype, broadcastTo, castTo, resultType } from "./convert.ts";
import { add, greaterEqual, less, logicalAnd, where } from "./elementwise.ts";
import { reshape } from "./shape.ts";
import { zeros } from "./creation.ts";

function indexArray(op: string, idx: ArrayLike, n: number): Array {
  // JS lists of integers are int32 indices (as Python lists are in JAX).
  const listOfInts = globalThis.Array.isArray(idx) &&
    (idx as unknown[]).flat(Infinity).every((v) => Number.isInteger(v));
  const i = listOfInts ? array(idx, "int32") : asArray(idx);
  // int32 arrays, or JS numbers (weakly typed); float or bool arrays are a mistake.
  if (i.dtype !== "int32" && !i.weakType) {
    throw new TypeError(`${op}: indices must be int32, got ${i.aval} (use astype("int32"))`);
  }
  const ii = astype(i, "int32");
  // Negative indices count from the end, as in numpy.
  return where(less(ii, 0), add(ii, n), ii);
}

/** Options of {@link take}. */
export interface TakeOptions {
  /**
   * What out-of-range indices do (JAX's `mode`; indices in [-n, n) count from the end first):
   * `"clip"` (default) clamps them into range; `"fill"` returns `fillValue` there;
   * `"promise_in_bounds"` promises there are none (here they clamp, as `"clip"`). Note that JAX's
   * `jnp.take` defaults to `"fill"`.
   */
  mode?: "clip" | "fill" | "promise_in_bounds";
  /** The value of out-of-range entries with mode `"fill"`: NaN for floats, −2³¹ for int32, true for bool (as JAX). */
  fillValue?: number | boolean;
}

const TAKE_MODES = ["clip", "fill", "promise_in_bounds"];

/**
 * Gathers `x`'s entries at integer `indices` along `axis`; the result has shape
 * `x.shape[:axis] + indices.shape + x.shape[axis+1:]`. Negative indices count from the end;
 * out-of-range indices are clamped, or filled with `opts.mode: "fill"` (see {@link TakeOptions}).
 *
 * @example
 * ```ts
 * import { array, take } from "./mod.ts";
 * take(array([10, 20, 30]), array([2, 0, -1], "int32")); // [30, 10, 30]
 * take(array([10, 20, 30]), array([3, -4], "int32"), 0, { mode: "fill" }); // [NaN, NaN]
 * ```
 */
export function take(x: ArrayLike, indices: ArrayLike, axis = 0, opts: TakeOptions = {}): Array {
  const mode = opts.mode ?? "clip";
  if (!TAKE_MODES.includes(mode)) {
    throw new RangeError(
      `take: unknown mode ${JSON.stringify(mode)}; expected one of ${TAKE_MODES.join(", ")}`,
    );
  }
  const a = asArray(x);
  const ax = normAxis("take", axis, a.ndim);
  const n = a.shape[ax];
  const idx = indexArray("take", indices, n);
  const out = bind1(P.gather, [a, idx], { axis: ax });
  if (mode !== "fill") return out;
  // After wrapping, an index is in range iff it is in [0, n); align that mask with the output.
  const ok = logicalAnd(greaterEqual(idx, 0), less(idx, n));
  const ones = (k: number) => new globalThis.Array<number>(k).fill(1);
  const mask = reshape(ok, [...ones(ax), ...idx.shape, ...ones(a.ndim - ax - 1)]);
  const fill = opts.fillValue ??
    (a.dtype === "int32" ? -2147483648 : a.dtype === "bool" ? true : NaN);
  return where(mask, out, fill);
}

/**
 * Returns a copy of `x` with `values` added at `indices` along `axis` (repeated indices accumulate;
 * out-of-range ones are dropped). `values` broadcasts to `x.shape[:axis] + indices.shape + x.shape[axis+1:]`.
 *
 * @example
 * ```ts
 * import { zeros, array, indexAdd } from "./mod.ts";
 * indexAdd(zeros([3]), array([0, 2, 0], "int32"), 1); // [2, 0, 1]
 * ```
 */
export function indexAdd(x: ArrayLike, indices: ArrayLike, values: ArrayLike, axis = 0): Array {
  let a = asArray(x);
  const v0 = asArray(values);
  const t = resultType(a, v0);
  a = castTo(a, t);
  const ax = normAxis("indexAdd", axis, a.ndim);
  const idx = indexArray("indexAdd", indices, a.shape[ax]);
  const v = broadcastTo(
    castTo(v0, { dtype: t.dtype, weak: a.weakType }),
    gatherShape(a.shape, idx.shape, ax),
  );
  return bind1(P.scatter_add, [a, idx, v], { axis: ax });
}

/**
 * Sums `data` rows that share a segment id: `out[s] = Σ_{i: ids[i] = s} data[i]`, for
 * `numSegments` segments. This is the per-event sum over jagged arrays (offsets + values).
 *
 * @example
 * ```ts
 * import { array, segmentSum } from "./mod.ts";
 * segmentSum(array([1, 2, 3]), array([0, 0, 1], "int32"), 2); // [3, 3]
 * ```
 */
export function segmentSum(data: ArrayLike, segmentIds: ArrayLike, numSegments: number): Array {
  const d = asArray(data);
  const out = zeros([numSegments, ...d.shape.slice(1)], d.dtype === "bool" ? "int32" : d.dtype);
  return indexAdd(out, segmentIds, d, 0);
}
