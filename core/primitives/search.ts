/**
 * `searchsorted`: insertion positions of values in sorted rows, by binary search. It is piecewise
 * constant in every operand, so its derivative is zero (the rule tables say so); histograms,
 * `digitize` and `interp` are built on it.
 *
 * Order is the sort order of `core/primitives/sort.ts` (numpy's): NaN after everything, so a NaN
 * query lands after the non-NaN entries (`side: "left"`) or at the end (`"right"`).
 *
 * @module
 */
import { ShapedArray } from "../aval.ts";
import { DeviceArray } from "../device_array.ts";
import { primitive } from "../primitive.ts";
import { fmtShape, shapesEqual, sizeOf } from "../shape.ts";

/**
 * Parameters of `searchsorted`.
 *
 * @example
 * ```ts
 * const p: SearchSortedParams = { side: "right" };
 * ```
 */
export interface SearchSortedParams {
  /** `"left"`: first i with a[i] ≥ v; `"right"`: first i with a[i] > v (numpy's `side`). */
  side: "left" | "right";
}

/** a < b in sort order (NaN last). */
const before = (a: number, b: number): boolean => a < b || (b !== b && a === a);

/**
 * The search primitive, by name: sorted [..., n] and values [..., k] with equal leading axes give
 * int32 positions [..., k] in 0..n.
 *
 * @example
 * ```ts
 * import { bind1 } from "../trace.ts";
 * import { array } from "../ops/mod.ts";
 * bind1(searchPrimitives.searchsorted, [array([1, 2, 3]), array([2.5, 0])], { side: "left" });
 * // [2, 0]
 * ```
 */
export const searchPrimitives = {
  searchsorted: primitive<SearchSortedParams>({
    name: "searchsorted",
    abstractEval([a, v], { side }) {
      const ok = a.ndim >= 1 && v.ndim === a.ndim && a.dtype === v.dtype &&
        shapesEqual(a.shape.slice(0, -1), v.shape.slice(0, -1));
      if (!ok) {
        throw new TypeError(
          `searchsorted: need sorted [..., n] and values [..., k] with equal leading axes and ` +
            `dtypes, got ${a} and ${v} (shapes ${fmtShape(a.shape)}, ${fmtShape(v.shape)})`,
        );
      }
      if (side !== "left" && side !== "right") {
        throw new RangeError(`searchsorted: side must be "left" or "right", got ${side}`);
      }
      return [new ShapedArray(v.shape, "int32")];
    },
    impl([a, v], { side }) {
      const n = a.shape[a.ndim - 1], k = v.shape[v.ndim - 1];
      const rows = sizeOf(a.shape.slice(0, -1));
      const s = a.dataSync(), q = v.dataSync();
      const out = new Int32Array(rows * k);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < k; j++) {
          const x = q[r * k + j];
          // Invariant: entries before lo go before x, entries from hi on do not.
          let lo = 0, hi = n;
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            const e = s[r * n + mid];
            const goesLeft = side === "left" ? before(e, x) : !before(x, e);
            if (goesLeft) lo = mid + 1;
            else hi = mid;
          }
          out[r * k + j] = lo;
        }
      }
      return [new DeviceArray(new ShapedArray(v.shape, "int32"), out)];
    },
  }),
};
