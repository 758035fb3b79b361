/**
 * Horner evaluation of polynomials, shared by the special functions
 * (`core/special_normal.ts`, `core/special_gamma.ts`) so that both can use it without importing
 * each other.
 *
 * @module
 */

/**
 * Horner evaluation of c[0] + c[1] x + ... + c[n] x^n (coefficients constant term first).
 *
 * @example
 * ```ts
 * import { poly } from "./horner.ts";
 * poly(2, [1, 0, 3]); // 13 (= 1 + 3·2²)
 * ```
 */
export function poly(x: number, c: readonly number[]): number {
  let r = c[c.length - 1];
  for (let i = c.length - 2; i >= 0; i--) r = r * x + c[i];
  return r;
}
