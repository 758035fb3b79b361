/**
 * Matrix products with numpy's `matmul` conventions.
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { P } from "../primitives/mod.ts";
import { broadcastShapes, fmtShape } from "../shape.ts";
import { bind1 } from "../trace.ts";
import { asArray, broadcastTo, castTo, resultType } from "./convert.ts";
import { mul } from "./elementwise.ts";
import { expandDims, reshape } from "./shape.ts";

/**
 * Matrix product with numpy semantics: 1-D operands are promoted to matrices and the added axis is
 * removed afterwards; leading (batch) axes broadcast.
 *
 * @example
 * ```ts
 * import { array, matmul } from "./mod.ts";
 * matmul(array([[1, 2], [3, 4]]), array([1, 1])); // [3, 7]
 * ```
 */
export function matmul(x: ArrayLike, y: ArrayLike): Array {
  let a = asArray(x), b = asArray(y);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new TypeError(
      `matmul: operands must be at least 1-D, got shapes ${fmtShape(a.shape)} and ${
        fmtShape(b.shape)
      }`,
    );
  }
  const t = resultType(a, b);
  if (t.dtype === "bool") throw new TypeError("matmul: bool operands, cast them first");
  a = castTo(a, t), b = castTo(b, t);
  const vecA = a.ndim === 1, vecB = b.ndim === 1;
  if (vecA) a = expandDims(a, 0);
  if (vecB) b = expandDims(b, 1);
  if (a.shape[a.ndim - 1] !== b.shape[b.ndim - 2]) {
    throw new TypeError(
      `matmul: contraction mismatch: shapes ${fmtShape(asArray(x).shape)} and ${
        fmtShape(asArray(y).shape)
      } ` +
        `(${a.shape[a.ndim - 1]} != ${b.shape[b.ndim - 2]})`,
    );
  }
  const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  a = broadcastTo(a, [...batch, ...a.shape.slice(-2)]);
  b = broadcastTo(b, [...batch, ...b.shape.slice(-2)]);
  let out = bind1(P.matmul, [a, b]);
  if (vecA || vecB) {
    const s = [...out.shape];
    if (vecB) s.splice(s.length - 1, 1);
    if (vecA) s.splice(s.length - (vecB ? 1 : 2), 1);
    out = reshape(out, s);
  }
  return out;
}

/** Dot product: same as {@link matmul} for 1-D and 2-D operands (scalars multiply). */
export function dot(x: ArrayLike, y: ArrayLike): Array {
  const a = asArray(x), b = asArray(y);
  if (a.ndim === 0 || b.ndim === 0) return mul(a, b);
  return matmul(a, b);
}

/** Outer product of two vectors (inputs are flattened). */
export function outer(x: ArrayLike, y: ArrayLike): Array {
  const a = reshape(asArray(x), [-1, 1]), b = reshape(asArray(y), [1, -1]);
  return mul(a, b);
}
