/**
 * Gather (`take` along one axis) and its transpose, scatter-add. Histograms and per-event sums over
 * jagged data (segment sums) are scatter-adds.
 *
 * Out-of-range indices: gather clamps them into range; scatter-add drops their updates (JAX's
 * defaults for `take`'s clip mode and for `.at[].add`).
 *
 * @module
 */
import { ShapedArray } from "../aval.ts";
import { DeviceArray } from "../device_array.ts";
import { allocate } from "../dtype.ts";
import { primitive } from "../primitive.ts";
import { fmtShape, shapesEqual, sizeOf } from "../shape.ts";

/** Shape of `take(x, idx, axis)`: x.shape[:axis] + idx.shape + x.shape[axis+1:]. */
export function gatherShape(x: readonly number[], idx: readonly number[], axis: number): number[] {
  return [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)];
}

function checkIndices(name: string, idx: ShapedArray): void {
  if (idx.dtype !== "int32") throw new TypeError(`${name}: indices must be int32, got ${idx}`);
}

/** The indexing primitives, by name. */
export const indexingPrimitives = {
  gather: primitive<{ axis: number }>({
    name: "gather",
    abstractEval([x, idx], { axis }) {
      checkIndices("gather", idx);
      if (axis < 0 || axis >= x.ndim) {
        throw new RangeError(`gather: axis ${axis} out of range for ${x}`);
      }
      return [new ShapedArray(gatherShape(x.shape, idx.shape, axis), x.dtype, x.weakType)];
    },
    impl([x, idx], { axis }) {
      const shape = gatherShape(x.shape, idx.shape, axis);
      const outer = sizeOf(x.shape.slice(0, axis));
      const n = x.shape[axis];
      const inner = sizeOf(x.shape.slice(axis + 1));
      const src = x.dataSync(), ids = idx.dataSync();
      const out = allocate(x.dtype, sizeOf(shape));
      let o = 0;
      for (let a = 0; a < outer; a++) {
        for (let k = 0; k < ids.length; k++) {
          const j = Math.min(Math.max(ids[k], 0), n - 1);
          const base = (a * n + j) * inner;
          for (let c = 0; c < inner; c++) out[o++] = src[base + c];
        }
      }
      return [new DeviceArray(new ShapedArray(shape, x.dtype, x.weakType), out)];
    },
  }),

  /** operand[..., idx[k], ...] += updates[..., k, ...]; returns the updated copy. */
  scatter_add: primitive<{ axis: number }>({
    name: "scatter_add",
    abstractEval([x, idx, upd], { axis }) {
      checkIndices("scatter_add", idx);
      const want = gatherShape(x.shape, idx.shape, axis);
      if (upd.dtype !== x.dtype || !shapesEqual(upd.shape, want)) {
        throw new TypeError(
          `scatter_add: updates ${upd} must have dtype ${x.dtype} and shape ${fmtShape(want)} ` +
            `for operand ${x} and indices ${idx} on axis ${axis}`,
        );
      }
      return [x];
    },
    impl([x, idx, upd], { axis }) {
      const outer = sizeOf(x.shape.slice(0, axis));
      const n = x.shape[axis];
      const inner = sizeOf(x.shape.slice(axis + 1));
      const out = allocate(x.dtype, x.size);
      out.set(x.dataSync());
      const ids = idx.dataSync(), u = upd.dataSync();
      let o = 0;
      for (let a = 0; a < outer; a++) {
        for (let k = 0; k < ids.length; k++) {
          const j = ids[k];
          if (j < 0 || j >= n) {
            o += inner;
            continue;
          }
          const base = (a * n + j) * inner;
          for (let c = 0; c < inner; c++) out[base + c] += u[o++];
        }
      }
      return [new DeviceArray(x.aval, out)];
    },
  }),
};
