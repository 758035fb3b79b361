/**
 * Trigonometric, hyperbolic and base-2/base-10 logarithm primitives (`lax.tan`, `lax.atan2`, ...),
 * declared like the other elementwise primitives: float operands, eager values from JS `Math`
 * (correctly rounded or within 1 ulp in float64, then rounded once to float32), so they match numpy.
 *
 * `log2`/`log10` are primitives rather than `log(x) / log(2)`: `Math.log10(1000)` is exactly 3,
 * the quotient is not (numpy gives 3).
 *
 * @module
 */
import { binary, unary } from "./elementwise.ts";

/**
 * The trigonometric primitives, by name.
 *
 * @example
 * ```ts
 * import { bind1 } from "../trace.ts";
 * import { array } from "../ops/mod.ts";
 * bind1(trigPrimitives.atan2, [array([1]), array([-1])]); // [2.3561945]
 * ```
 */
export const trigPrimitives = {
  tan: unary("tan", "float", Math.tan),
  atan: unary("atan", "float", Math.atan),
  asin: unary("asin", "float", Math.asin),
  acos: unary("acos", "float", Math.acos),
  sinh: unary("sinh", "float", Math.sinh),
  cosh: unary("cosh", "float", Math.cosh),
  log2: unary("log2", "float", Math.log2),
  log10: unary("log10", "float", Math.log10),
  /** `atan2(y, x)`: the angle of the point (x, y), in [-π, π]. */
  atan2: binary("atan2", "float", Math.atan2),
};
