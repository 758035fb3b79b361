/**
 * numpy's trigonometric, hyperbolic and base-2/base-10 logarithm functions (`np.tan`,
 * `np.arctan2`, ...): integer and bool operands become float32, as in `jax.numpy`.
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { isFloat, type TypeInfo } from "../dtype.ts";
import type { Primitive } from "../primitive.ts";
import { P } from "../primitives/mod.ts";
import { bind1 } from "../trace.ts";
import { asArray, castTo, prepare } from "./convert.ts";

const toFloat = (
  t: TypeInfo,
): TypeInfo => (isFloat(t.dtype) ? t : { dtype: "float32", weak: false });
const float1 = (prim: Primitive) => (x: ArrayLike): Array => {
  const a = asArray(x);
  return bind1(prim, [castTo(a, toFloat({ dtype: a.dtype, weak: a.weakType }))]);
};

/**
 * Tangent, elementwise.
 *
 * @example
 * ```ts
 * import { array, tan } from "./mod.ts";
 * tan(array([0, Math.PI / 4])); // [0, 1]
 * ```
 */
export const tan: (x: ArrayLike) => Array = float1(P.tan);
/**
 * Inverse tangent, in (-π/2, π/2).
 *
 * @example
 * ```ts
 * import { arctan, array } from "./mod.ts";
 * arctan(array([1])); // [0.7853982]
 * ```
 */
export const arctan: (x: ArrayLike) => Array = float1(P.atan);
/**
 * Inverse sine, in [-π/2, π/2] (NaN outside [-1, 1]).
 *
 * @example
 * ```ts
 * import { arcsin, array } from "./mod.ts";
 * arcsin(array([1])); // [1.5707964]
 * ```
 */
export const arcsin: (x: ArrayLike) => Array = float1(P.asin);
/**
 * Inverse cosine, in [0, π] (NaN outside [-1, 1]).
 *
 * @example
 * ```ts
 * import { arccos, array } from "./mod.ts";
 * arccos(array([-1])); // [3.1415927]
 * ```
 */
export const arccos: (x: ArrayLike) => Array = float1(P.acos);
/**
 * Hyperbolic sine.
 *
 * @example
 * ```ts
 * import { array, sinh } from "./mod.ts";
 * sinh(array([0, 1])); // [0, 1.1752012]
 * ```
 */
export const sinh: (x: ArrayLike) => Array = float1(P.sinh);
/**
 * Hyperbolic cosine.
 *
 * @example
 * ```ts
 * import { array, cosh } from "./mod.ts";
 * cosh(array([0, 1])); // [1, 1.5430807]
 * ```
 */
export const cosh: (x: ArrayLike) => Array = float1(P.cosh);
/**
 * Base-2 logarithm (exact at powers of two).
 *
 * @example
 * ```ts
 * import { array, log2 } from "./mod.ts";
 * log2(array([1, 8, 0.5])); // [0, 3, -1]
 * ```
 */
export const log2: (x: ArrayLike) => Array = float1(P.log2);
/**
 * Base-10 logarithm (exact at powers of ten, like numpy).
 *
 * @example
 * ```ts
 * import { array, log10 } from "./mod.ts";
 * log10(array([1000, 0.01])); // [3, -2]
 * ```
 */
export const log10: (x: ArrayLike) => Array = float1(P.log10);

/**
 * `arctan(y / x)` with the quadrant of the point (x, y): the angle in [-π, π], with numpy's
 * (C99's) signed-zero and infinity conventions. Operands broadcast.
 *
 * @example
 * ```ts
 * import { arctan2, array } from "./mod.ts";
 * arctan2(array([1, -1]), array([-1, -1])); // [2.3561945, -2.3561945]
 * ```
 */
export function arctan2(y: ArrayLike, x: ArrayLike): Array {
  return bind1(P.atan2, prepare("arctan2", [y, x], toFloat));
}
