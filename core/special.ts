/**
 * Double-precision special functions on plain JS numbers: the entry that gathers them.
 *
 * - `core/special_normal.ts`: error function family {@link erf}, {@link erfc}, {@link erfcx};
 *   standard normal distribution {@link ndtr}, {@link logNdtr}, {@link ndtri} (and its AS 241
 *   coefficients {@link AS241}); inverse error function {@link erfinv}
 * - `core/special_gamma.ts`: gamma family {@link lgamma}, {@link digamma}, {@link trigamma}
 * - here: elementary helpers with numpy/JAX semantics {@link logistic}, {@link powIeee},
 *   {@link integerPow}, {@link intPow}, {@link roundHalfEven}
 *
 * Import from this module; the family modules share only the Horner helper (`core/horner.ts`)
 * and do not import each other or this entry. Dependency-free.
 *
 * @module
 */
export { AS241, erf, erfc, erfcx, erfinv, logNdtr, ndtr, ndtri } from "./special_normal.ts";
export { digamma, lgamma, trigamma } from "./special_gamma.ts";

/**
 * The logistic function 1/(1 + e^−x), without overflow for large |x|.
 *
 * @example
 * ```ts
 * import { logistic } from "./special.ts";
 * logistic(0); // 0.5
 * logistic(-800); // 0 (no NaN from ∞/∞)
 * ```
 */
export function logistic(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * `x ** y` with the IEEE 754 / C99 special cases that `Math.pow` gets wrong (as numpy and JAX):
 * `pow(1, y) = 1` for every y (NaN and ±∞ included) and `pow(-1, ±∞) = 1`. Integer exponents up
 * to 64 in magnitude use {@link integerPow}.
 *
 * @example
 * ```ts
 * import { powIeee } from "./special.ts";
 * powIeee(1, NaN); // 1 (Math.pow gives NaN)
 * powIeee(-1, Infinity); // 1
 * ```
 */
export function powIeee(x: number, y: number): number {
  if (x === 1 || (x === -1 && (y === Infinity || y === -Infinity))) return 1;
  // Small integer exponents by repeated squaring, exactly as integer_pow (so x ** 2 is the same
  // whether the 2 is a static exponent or a traced one).
  if (Number.isInteger(y) && Math.abs(y) <= 64) return integerPow(x, y);
  return Math.pow(x, y);
}

/**
 * x^n for integer n by repeated squaring in double precision (XLA's integer_pow): exact where
 * the products are, e.g. x² of a float32 x. Negative n square 1/x.
 *
 * @example
 * ```ts
 * import { integerPow } from "./special.ts";
 * integerPow(3, 3); // 27
 * integerPow(2, -2); // 0.25
 * ```
 */
export function integerPow(x: number, n: number): number {
  let base = n < 0 ? 1 / x : x;
  let e = Math.abs(n), acc = 1;
  while (e > 0) {
    if (e & 1) acc *= base;
    base *= base;
    e >>= 1;
  }
  return acc;
}

/**
 * Integer x^n with int32 wrap-around, as XLA's integer power: repeated squaring with 32-bit
 * products; a negative n gives 1/x^|n| truncated (0 unless x = ±1).
 *
 * @example
 * ```ts
 * import { intPow } from "./special.ts";
 * intPow(3, 4); // 81
 * intPow(2, 31); // -2147483648 (wraps)
 * ```
 */
export function intPow(x: number, n: number): number {
  if (n < 0) return x === 1 ? 1 : x === -1 ? (n % 2 === 0 ? 1 : -1) : 0;
  let base = x | 0, e = n, acc = 1;
  while (e > 0) {
    if (e & 1) acc = Math.imul(acc, base);
    base = Math.imul(base, base);
    e = Math.floor(e / 2);
  }
  return acc;
}

/**
 * Rounds half to even, as numpy and JAX do (`Math.round` rounds half up).
 *
 * @example
 * ```ts
 * import { roundHalfEven } from "./special.ts";
 * roundHalfEven(2.5); // 2
 * roundHalfEven(-1.5); // -2
 * ```
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
