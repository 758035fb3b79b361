/**
 * The gamma family on plain JS numbers: {@link lgamma}, {@link digamma} and {@link trigamma},
 * with the exactly reduced sin(πx) and cos(πx) their reflection formulas need.
 *
 * Dependency-free apart from the shared Horner helper. Every routine names the published method
 * it follows; the series coefficients were computed with mpmath (40+ digits) and rounded to the
 * nearest double. Import these through `core/special.ts`, the entry of the special functions.
 *
 * @module
 */
import { poly } from "./horner.ts";

const ONE_MINUS_EULER = 0.42278433509846713; // 1 - γ
const HALF_LOG_2PI = 0.9189385332046728; // log(2π)/2

// ζ(k) - 1 for k = 2..31 (mpmath, rounded to double). These are the Taylor coefficients of
// the gamma family at 2 (Abramowitz & Stegun 6.1.33, 6.3.14):
//   lgamma(2 + z) = (1 - γ) z + Σ_{k>=2} (-1)^k (ζ(k) - 1) z^k / k
//   ψ(2 + z)      = (1 - γ)   + Σ_{k>=2} (-1)^k (ζ(k) - 1) z^(k-1)
// Both converge for |z| < 2; on |z| <= 1/2 the terms fall like 4^-k, so 30 terms reach
// double precision.
const ZETA_M1 = [
  0.6449340668482264,
  0.2020569031595943,
  0.08232323371113819,
  0.03692775514336993,
  0.01734306198444914,
  0.008349277381922827,
  0.00407735619794434,
  0.0020083928260822143,
  0.0009945751278180853,
  0.0004941886041194645,
  0.0002460865533080483,
  0.00012271334757848915,
  6.124813505870483e-05,
  3.058823630702049e-05,
  1.528225940865187e-05,
  7.637197637899763e-06,
  3.81729326499984e-06,
  1.908212716553939e-06,
  9.539620338727962e-07,
  4.769329867878064e-07,
  2.38450502727733e-07,
  1.1921992596531106e-07,
  5.960818905125948e-08,
  2.980350351465228e-08,
  1.4901554828365043e-08,
  7.45071178983543e-09,
  3.725334024788457e-09,
  1.862659723513049e-09,
  9.313274324196682e-10,
  4.656629065033784e-10,
];
// (-1)^k (ζ(k) - 1) / k and (-1)^k (ζ(k) - 1), k = 2..31.
const LGAMMA2_SERIES = ZETA_M1.map((v, i) => (i % 2 === 0 ? v : -v) / (i + 2));
const DIGAMMA2_SERIES = ZETA_M1.map((v, i) => (i % 2 === 0 ? v : -v));

/** lgamma(2 + z) for |z| <= 1/2; relatively accurate even as z -> 0. */
function lgamma2(z: number): number {
  return z * (ONE_MINUS_EULER + z * poly(z, LGAMMA2_SERIES));
}

/** ψ(2 + z) for |z| <= 1/2. */
function digamma2(z: number): number {
  return ONE_MINUS_EULER + z * poly(z, DIGAMMA2_SERIES);
}

/** sin(πx), exact argument reduction so that e.g. sinpi(1e15 + 0.5) = ±1 and sinpi(n) = 0. */
function sinpi(x: number): number {
  let r = x % 2; // exact; r in (-2, 2)
  if (r > 1) r -= 2;
  else if (r < -1) r += 2; // now r in [-1, 1], sin(πr) = sin(πx)
  if (r > 0.5) r = 1 - r;
  else if (r < -0.5) r = -1 - r; // sin(π(1 - r)) = sin(πr); r in [-1/2, 1/2]
  if (Math.abs(r) <= 0.25) return Math.sin(Math.PI * r);
  return Math.sign(r) * Math.cos(Math.PI * (0.5 - Math.abs(r)));
}

/** cos(πx) with exact argument reduction. */
function cospi(x: number): number {
  let r = Math.abs(x) % 2; // cos is even; r in [0, 2)
  if (r > 1) r = 2 - r; // cos(π(2 - r)) = cos(πr); r in [0, 1]
  let sign = 1;
  if (r > 0.5) {
    r = 1 - r; // cos(π(1 - r)) = -cos(πr)
    sign = -1;
  }
  if (r <= 0.25) return sign * Math.cos(Math.PI * r);
  return sign * Math.sin(Math.PI * (0.5 - r));
}

// Stirling series coefficients B_2k / (2k(2k-1)), k = 1..8 (A&S 6.1.40).
const STIRLING = [
  1 / 12,
  -1 / 360,
  1 / 1260,
  -1 / 1680,
  1 / 1188,
  -691 / 360360,
  1 / 156,
  -3617 / 122400,
];

/**
 * log|Γ(x)|, the log of the absolute value of the gamma function.
 *
 * Method: the Taylor series of lgamma at 2 (coefficients ζ(k) - 1) on [1.5, 2.5], reached
 * from (0, 10) by the recurrence Γ(x + 1) = xΓ(x); the Stirling series for x >= 10; the
 * reflection formula Γ(x)Γ(1 - x) = π / sin(πx) for x < 0. Since lgamma(1 + z) =
 * lgamma(2 + z) - log1p(z) and the series carries the factor z explicitly, the zeros at 1 and
 * 2 are computed with full relative accuracy.
 *
 * lgamma(0) = lgamma(-n) = +∞ (poles), lgamma(±∞) = +∞, lgamma(NaN) = NaN.
 * For x < 0 accuracy is absolute (not relative) close to the zeros of lgamma at
 * x ≈ -2.457, -2.747, -3.144, ...
 *
 * @example
 * ```ts
 * lgamma(0.5); // 0.5723649429247001 (= log √π)
 * lgamma(171.5); // 709.1431630309283
 * ```
 */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return Infinity;
  const ax = Math.abs(x);
  // Γ(x) ~ 1/x: the next term, -γx, is below half an ulp of -log|x| >= 37.
  if (ax < 2 ** -54) return ax === 0 ? Infinity : -Math.log(ax);
  if (x < 0) {
    if (Number.isInteger(x)) return Infinity;
    // Reflection: |Γ(x)| = π / (|sin(πx)| Γ(1 - x)).
    return Math.log(Math.PI / Math.abs(sinpi(x))) - lgamma(1 - x);
  }
  if (x < 0.5) return lgamma2(x) - Math.log1p(x) - Math.log(x);
  if (x < 1.5) return lgamma2(x - 1) - Math.log(x); // x - 1 is exact
  if (x < 2.5) return lgamma2(x - 2);
  if (x < 10) {
    // Shift down to y in [1.5, 2.5); y = x - n is exact because x < 16.
    const n = Math.floor(x - 1.5);
    const y = x - n;
    let prod = 1;
    for (let k = 0; k < n; k++) prod *= y + k;
    return lgamma2(y - 2) + Math.log(prod);
  }
  // Stirling: (x - 1/2) log x - x + log(2π)/2 + Σ B_2k / (2k(2k-1) x^(2k-1)); written with
  // (log x - 1) so that x·log x cannot overflow before the result does.
  const w = 1 / x;
  return (x - 0.5) * (Math.log(x) - 1) - 0.5 + HALF_LOG_2PI + w * poly(w * w, STIRLING);
}

// Digamma's positive root x0 = 1.46163214496836234126..., split as X0_HI + X0_LO, and
// its Taylor coefficients there: ψ^(k)(x0)/k! = (-1)^(k+1) ζ(k + 1, x0), k = 1..20
// (mpmath, rounded to double).
const X0_HI = 1.4616321449683622;
const X0_LO = 9.549995429965697e-17;
const DIGAMMA_ROOT_SERIES = [
  0.9676722454476212,
  -0.4427631689835921,
  0.258499760955651,
  -0.16394270544240652,
  0.10782405069126237,
  -0.07219956125645471,
  0.04880428816414311,
  -0.03316112647484736,
  0.022597648232218104,
  -0.01542476590494896,
  0.010538791616612175,
  -0.007204534386356869,
  0.004926781395729853,
  -0.003369801655439328,
  0.002305126326734928,
  -0.0015769367714301972,
  0.0010788252019162967,
  -0.0007380709389960052,
  0.000504953265834602,
  -0.0003454680251063077,
];

// Asymptotic series ψ(x) ~ log x - 1/(2x) - Σ B_2k / (2k x^2k), k = 1..10 (A&S 6.3.18).
const DIGAMMA_ASYMPTOTIC = [
  1 / 12,
  -1 / 120,
  1 / 252,
  -1 / 240,
  1 / 132,
  -691 / 32760,
  1 / 12,
  -3617 / 8160,
  43867 / 14364,
  -174611 / 6600,
];

/**
 * The digamma function ψ(x) = Γ'(x)/Γ(x).
 *
 * Method: a Taylor series about the positive root x0 ≈ 1.4616 on [1.3, 1.6] (so the result is
 * relatively accurate even next to the root), the series of ψ at 2 on [1.5, 2.5] reached from
 * (0, 10) by ψ(x + 1) = ψ(x) + 1/x, the asymptotic series for x >= 10, and the reflection
 * ψ(1 - x) - ψ(x) = π cot(πx) for x < 0.
 *
 * ψ(+0) = -∞, ψ(-0) = +∞, ψ(-n) = NaN (pole with opposite one-sided limits), ψ(+∞) = +∞,
 * ψ(-∞) = NaN.
 *
 * @example
 * ```ts
 * digamma(1); // -0.5772156649015329 (= -γ)
 * ```
 */
export function digamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x === 0) return Object.is(x, -0) ? Infinity : -Infinity;
  if (x < 0) {
    if (Number.isInteger(x)) return NaN;
    return digamma(1 - x) - Math.PI * cospi(x) / sinpi(x);
  }
  if (x >= 1.3 && x <= 1.6) {
    // x - X0_HI is exact (Sterbenz), so h carries the distance to the root to full precision.
    const h = (x - X0_HI) - X0_LO;
    return h * poly(h, DIGAMMA_ROOT_SERIES);
  }
  if (x < 0.5) return digamma2(x) - 1 / (x + 1) - 1 / x;
  if (x < 1.5) return digamma2(x - 1) - 1 / x;
  if (x < 10) {
    // Shift down into [1.5, 2.5); every added term is positive, so nothing cancels.
    const n = Math.floor(x - 1.5);
    const y = x - n;
    let sum = 0;
    for (let k = n - 1; k >= 0; k--) sum += 1 / (y + k);
    return digamma2(y - 2) + sum;
  }
  const w = 1 / (x * x);
  return Math.log(x) - 0.5 / x - w * poly(w, DIGAMMA_ASYMPTOTIC);
}

// Asymptotic series ψ'(x) ~ 1/x + 1/(2x²) + Σ B_2k / x^(2k+1), k = 1..10 (A&S 6.4.12).
const TRIGAMMA_ASYMPTOTIC = [
  1 / 6,
  -1 / 30,
  1 / 42,
  -1 / 30,
  5 / 66,
  -691 / 2730,
  7 / 6,
  -3617 / 510,
  43867 / 798,
  -174611 / 330,
];

/**
 * The trigamma function ψ'(x) = d²/dx² log Γ(x).
 *
 * Method: ψ'(x) = ψ'(x + n) + Σ_{k<n} 1/(x + k)² up to x + n >= 10 (all terms positive),
 * then the asymptotic series; reflection ψ'(1 - x) + ψ'(x) = π² / sin²(πx) for x < 0.
 *
 * ψ'(0) = ψ'(-n) = +∞ (double poles), ψ'(+∞) = 0, ψ'(-∞) = NaN.
 *
 * @example
 * ```ts
 * trigamma(1); // 1.6449340668482264 (= π²/6)
 * ```
 */
export function trigamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x <= 0) {
    if (Number.isInteger(x)) return Infinity;
    const s = Math.PI / sinpi(x);
    return s * s - trigamma(1 - x);
  }
  let sum = 0;
  while (x < 10) {
    sum += 1 / (x * x);
    x += 1;
  }
  const w = 1 / x;
  const w2 = w * w;
  return sum + w + 0.5 * w2 + w * w2 * poly(w2, TRIGAMMA_ASYMPTOTIC);
}
