/**
 * The Hurwitz zeta function and the polygamma functions on plain JS numbers (double precision).
 *
 * Method of Cephes `zeta.c` (S. L. Moshier), which scipy.special.zeta and polygamma use: the sum
 * Σ_k (q + k)^−s taken term by term until q + k > 9 (at least 9 terms), then the Euler–Maclaurin
 * tail with the Bernoulli numbers B_2 … B_24 (DLMF 25.11.5 with 2.10.1). The coefficients are
 * computed here from the exact Bernoulli numbers rather than copied.
 *
 * @module
 */
import { digamma } from "./special.ts";

// B_2, B_4, ..., B_24 as exact fractions [numerator, denominator].
const BERNOULLI: readonly (readonly [number, number])[] = [
  [1, 6],
  [-1, 30],
  [1, 42],
  [-1, 30],
  [5, 66],
  [-691, 2730],
  [7, 6],
  [-3617, 510],
  [43867, 798],
  [-174611, 330],
  [854513, 138],
  [-236364091, 2730],
];
// (2j)! / B_2j for j = 1..12: the divisors of the Euler–Maclaurin terms (Cephes' table A).
const EM_DIVISORS = BERNOULLI.map(([num, den], i) => {
  let fact = 1;
  for (let k = 2; k <= 2 * i + 2; k++) fact *= k;
  return fact * den / num;
});
const EPS = 2 ** -53;

/**
 * The Hurwitz zeta function ζ(s, q) = Σ_{k≥0} (q + k)^−s for real s > 1.
 *
 * ζ(1, q) = +∞; NaN for s < 1; +∞ at the poles q = 0, −1, −2, …; for q < 0 only integer s are
 * defined (q^−s is not real otherwise), as in Cephes and scipy.
 *
 * @example
 * ```ts
 * import { hurwitzZeta } from "./zeta.ts";
 * hurwitzZeta(2, 1); // 1.6449340668482264 (π²/6)
 * ```
 */
export function hurwitzZeta(s: number, q: number): number {
  if (Number.isNaN(s) || Number.isNaN(q)) return NaN;
  if (s === 1) return Infinity;
  if (s < 1) return NaN;
  if (q <= 0) {
    if (Number.isInteger(q)) return Infinity;
    if (!Number.isInteger(s)) return NaN;
  }
  // Leading terms of the asymptotic expansion (DLMF 25.11.43): the sum below would need too many
  // terms, and these are exact to double precision here.
  if (q > 1e8) return (1 / (s - 1) + 1 / (2 * q)) * Math.pow(q, 1 - s);
  let sum = Math.pow(q, -s);
  let a = q, b = 0;
  for (let i = 0; i < 9 || a <= 9; i++) {
    a += 1;
    b = Math.pow(a, -s);
    sum += b;
    if (Math.abs(b / sum) < EPS) return sum;
  }
  // Euler–Maclaurin tail at w = a: ∫ + half the last term + Σ_j B_2j/(2j)! s(s+1)…(s+2j−2) w^(−s−2j+1).
  const w = a;
  sum += b * w / (s - 1) - 0.5 * b;
  let rising = 1, k = 0;
  for (const div of EM_DIVISORS) {
    rising *= s + k;
    b /= w;
    const t = rising * b / div;
    sum += t;
    if (Math.abs(t / sum) < EPS) break;
    k += 1;
    rising *= s + k;
    b /= w;
    k += 1;
  }
  return sum;
}

/**
 * The polygamma function ψ⁽ⁿ⁾(x) = dⁿ⁺¹/dxⁿ⁺¹ log Γ(x) for integer n ≥ 0: ψ⁽⁰⁾ = digamma and
 * ψ⁽ⁿ⁾(x) = (−1)ⁿ⁺¹ n! ζ(n + 1, x) for n ≥ 1 (as scipy.special.polygamma). NaN for n that is not a
 * non-negative integer.
 *
 * @example
 * ```ts
 * import { polygamma } from "./zeta.ts";
 * polygamma(1, 1); // 1.6449340668482264 (trigamma(1) = π²/6)
 * polygamma(2, 1); // -2.4041138063191885 (−2 ζ(3))
 * ```
 */
export function polygamma(n: number, x: number): number {
  if (!(Number.isInteger(n) && n >= 0)) return NaN;
  if (n === 0) return digamma(x);
  let fact = 1;
  for (let k = 2; k <= n; k++) fact *= k;
  return (n % 2 === 1 ? fact : -fact) * hurwitzZeta(n + 1, x);
}
