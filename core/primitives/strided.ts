/**
 * The one loop behind every eager data-movement primitive: copy a strided view of a source buffer
 * into a contiguous destination. Broadcasting is stride 0, transposition permutes strides, slicing
 * scales them and moves the offset, reversal negates them.
 *
 * @module
 */
import type { TypedArray } from "../dtype.ts";
import type { Shape } from "../shape.ts";

/** dst[i] = src[offset + Σ_k idx_k(i) · strides[k]] for every index i of `shape`, row-major. */
export function stridedCopy(
  src: TypedArray,
  shape: Shape,
  strides: readonly number[],
  offset: number,
  dst: TypedArray,
): void {
  const nd = shape.length;
  let size = 1;
  for (const d of shape) size *= d;
  if (size === 0) return;
  if (nd === 0) {
    dst[0] = src[offset];
    return;
  }
  const inner = shape[nd - 1];
  const innerStride = strides[nd - 1];
  const idx = new Array<number>(nd).fill(0);
  let base = offset;
  for (let o = 0; o < size; o += inner) {
    for (let j = 0, p = base; j < inner; j++, p += innerStride) dst[o + j] = src[p];
    // Odometer over the outer dimensions.
    for (let k = nd - 2; k >= 0; k--) {
      idx[k]++;
      base += strides[k];
      if (idx[k] < shape[k]) break;
      base -= strides[k] * shape[k];
      idx[k] = 0;
    }
  }
}
