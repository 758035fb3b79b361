/**
 * `sort`, like `lax.sort`: sorts operands of one shape along `dimension`, ordering by the first
 * operand (`numKeys` = 1) and carrying the others along (so `argsort` is a sort of `[x, iota]`).
 *
 * The order is numpy's and JAX's: ascending, NaN after everything (all NaNs tie), -0 equal to +0;
 * the sort is stable (ties keep their input order), which `permutation` relies on to match JAX.
 *
 * @module
 */
import { DeviceArray } from "../device_array.ts";
import { allocate } from "../dtype.ts";
import { primitive } from "../primitive.ts";
import { fmtShape, shapesEqual, sizeOf } from "../shape.ts";

/**
 * Parameters of `sort`.
 *
 * @example
 * ```ts
 * const params: SortParams = { dimension: 0, numKeys: 1 };
 * ```
 */
export interface SortParams {
  /** The axis sorted along (non-negative). */
  dimension: number;
  /** How many leading operands form the sort key; only 1 is supported. */
  numKeys: number;
}

/** Three-way comparison in sort order: NaN last (NaNs tie), -0 and +0 tie. */
function compareForSort(a: number, b: number): number {
  const an = a !== a, bn = b !== b;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The sorting primitives, by name.
 *
 * @example
 * ```ts
 * import { bind } from "../trace.ts";
 * import { array } from "../ops/mod.ts";
 * // Sort by the first operand, carrying the second: [1, 2, 3] and [20, 30, 10].
 * const [keys, vals] = bind(sortPrimitives.sort, [array([3, 1, 2]), array([10, 20, 30])], {
 *   dimension: 0,
 *   numKeys: 1,
 * });
 * ```
 */
export const sortPrimitives = {
  sort: primitive<SortParams>({
    name: "sort",
    abstractEval(avals, { dimension, numKeys }) {
      if (avals.length === 0) throw new TypeError("sort: needs at least one operand");
      if (numKeys !== 1) {
        throw new RangeError(`sort: only numKeys = 1 is supported, got numKeys = ${numKeys}`);
      }
      const a = avals[0];
      if (!Number.isInteger(dimension) || dimension < 0 || dimension >= a.ndim) {
        throw new RangeError(`sort: dimension ${dimension} is out of range for operand ${a}`);
      }
      for (const b of avals) {
        if (!shapesEqual(a.shape, b.shape)) {
          throw new TypeError(
            `sort: operands must have equal shapes, got ${
              avals.map((v) => fmtShape(v.shape)).join(", ")
            }`,
          );
        }
      }
      return avals;
    },
    impl(xs, { dimension }) {
      const shape = xs[0].shape;
      const n = shape[dimension];
      const outer = sizeOf(shape.slice(0, dimension));
      const inner = sizeOf(shape.slice(dimension + 1));
      const srcs = xs.map((x) => x.dataSync());
      const outs = xs.map((x) => allocate(x.dtype, x.size));
      const key = srcs[0];
      const vals = new Float64Array(n);
      const order = new globalThis.Array<number>(n);
      for (let o = 0; o < outer; o++) {
        for (let c = 0; c < inner; c++) {
          const base = o * n * inner + c;
          for (let k = 0; k < n; k++) {
            vals[k] = key[base + k * inner];
            order[k] = k;
          }
          // Ties fall back to the input position: stable whatever the engine's sort does.
          order.sort((i, j) => compareForSort(vals[i], vals[j]) || i - j);
          for (let s = 0; s < srcs.length; s++) {
            const src = srcs[s], out = outs[s];
            for (let k = 0; k < n; k++) out[base + k * inner] = src[base + order[k] * inner];
          }
        }
      }
      return xs.map((x, s) => new DeviceArray(x.aval, outs[s]));
    },
  }),
};
