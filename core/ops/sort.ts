/**
 * Sorting: `sort` and `argsort` along an axis (what `jnp.sort` / `jnp.argsort` are to `lax.sort`).
 *
 * Order as in numpy and JAX: ascending, NaN last, -0 equal to +0; both are stable (equal values
 * keep their order). Gradients flow through `sort` to the entries they came from.
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { P } from "../primitives/mod.ts";
import { normAxis } from "../shape.ts";
import { bind, bind1 } from "../trace.ts";
import { asArray } from "./convert.ts";
import { reshape } from "./shape.ts";

/** The array to sort and the axis, with `axis = null` meaning the flattened array (numpy). */
function sortOperand(op: string, x: ArrayLike, axis: number | null): [Array, number] {
  const a = asArray(x);
  if (axis === null) return [reshape(a, [-1]), 0];
  if (a.ndim === 0) {
    throw new RangeError(`${op}: cannot sort a scalar (shape []) along axis ${axis}`);
  }
  return [a, normAxis(op, axis, a.ndim)];
}

/**
 * Sorts `x` along `axis` (the last by default; `null` sorts the flattened array). Stable, NaN last.
 *
 * @example
 * ```ts
 * import { array, sort } from "./mod.ts";
 * sort(array([3, NaN, 1, 2])); // [1, 2, 3, NaN]
 * sort(array([[3, 1], [0, 2]]), 0); // [[0, 1], [3, 2]]
 * ```
 */
export function sort(x: ArrayLike, axis: number | null = -1): Array {
  const [a, dimension] = sortOperand("sort", x, axis);
  return bind1(P.sort, [a], { dimension, numKeys: 1 });
}

/**
 * The int32 indices that sort `x` along `axis` (last by default; `null` = flattened): stable, so
 * equal values keep their original order; NaN last.
 *
 * @example
 * ```ts
 * import { argsort, array } from "./mod.ts";
 * argsort(array([3, 1, 2, 1])); // [1, 3, 2, 0]
 * ```
 */
export function argsort(x: ArrayLike, axis: number | null = -1): Array {
  const [a, dimension] = sortOperand("argsort", x, axis);
  const iota = bind1(P.iota, [], { shape: [...a.shape], dtype: "int32", dimension });
  return bind(P.sort, [a, iota], { dimension, numKeys: 1 })[1];
}
