/**
 * The error function and the standard normal distribution on plain JS numbers:
 * {@link erf}, {@link erfc}, {@link erfcx} (fdlibm's method), {@link ndtr}, {@link logNdtr},
 * {@link ndtri} (Wichura's AS 241, coefficients exported as {@link AS241}) and {@link erfinv}.
 *
 * Dependency-free apart from the shared Horner helper. Every routine names the published method
 * it follows; the numeric coefficients come from the cited publication. Import these through
 * `core/special.ts`, the entry of the special functions.
 *
 * @module
 */
import { poly } from "./horner.ts";

const ONE_OVER_SQRT_PI = 0.5641895835477563; // 1/sqrt(pi)

// ---------------------------------------------------------------------------
// erf / erfc
//
// Method and coefficients of Sun's fdlibm s_erf.c (K.C. Ng, 1993), which splits the
// real line into [0, 0.84375), [0.84375, 1.25), [1.25, 1/0.35) and [1/0.35, 28):
//   1. |x| < 0.84375:  erf(x) = x + x·P(x²)/Q(x²)
//   2. |x| < 1.25:     erf(x) = erx + P1(s)/Q1(s), s = |x| - 1, erx = (float)erf(1)
//   3./4. |x| >= 1.25: erfc(x) = exp(-x² - 0.5625 + R(1/x²)/S(1/x²)) / x
// The published error bounds of the rational fits are below 2^-57.
// ---------------------------------------------------------------------------

const ERX = 8.45062911510467529297e-01; // erf(1) rounded to single precision
const EFX = 1.28379167095512586316e-01; // 2/sqrt(pi) - 1
const EFX8 = 1.02703333676410069053e+00; // 8·EFX

// erf(x)/x - 1 ≈ PP(x²)/QQ(x²) on [0, 0.84375]
const PP = [
  1.28379167095512558561e-01,
  -3.25042107247001499370e-01,
  -2.84817495755985104766e-02,
  -5.77027029648944159157e-03,
  -2.37630166566501626084e-05,
];
const QQ = [
  1,
  3.97917223959155352819e-01,
  6.50222499887672944485e-02,
  5.08130628187576562776e-03,
  1.32494738004321644526e-04,
  -3.96022827877536812320e-06,
];
// erf(1 + s) - erx ≈ PA(s)/QA(s) on [0.84375, 1.25]
const PA = [
  -2.36211856075265944077e-03,
  4.14856118683748331666e-01,
  -3.72207876035701323847e-01,
  3.18346619901161753674e-01,
  -1.10894694282396677476e-01,
  3.54783043256182359371e-02,
  -2.16637559486879084300e-03,
];
const QA = [
  1,
  1.06420880400844228286e-01,
  5.40397917702171048937e-01,
  7.18286544141962662868e-02,
  1.26171219808761642112e-01,
  1.36370839120290507362e-02,
  1.19844998467991074170e-02,
];
// log(x·erfc(x)) + x² + 0.5625 ≈ RA(1/x²)/SA(1/x²) on [1.25, 1/0.35]
const RA = [
  -9.86494403484714822705e-03,
  -6.93858572707181764372e-01,
  -1.05586262253232909814e+01,
  -6.23753324503260060396e+01,
  -1.62396669462573470355e+02,
  -1.84605092906711035994e+02,
  -8.12874355063065934246e+01,
  -9.81432934416914548592e+00,
];
const SA = [
  1,
  1.96512716674392571292e+01,
  1.37657754143519042600e+02,
  4.34565877475229228821e+02,
  6.45387271733267880336e+02,
  4.29008140027567833386e+02,
  1.08635005541779435134e+02,
  6.57024977031928170135e+00,
  -6.04244152148580987438e-02,
];
// ... and ≈ RB(1/x²)/SB(1/x²) on [1/0.35, 28]
const RB = [
  -9.86494292470009928597e-03,
  -7.99283237680523006574e-01,
  -1.77579549177547519889e+01,
  -1.60636384855821916062e+02,
  -6.37566443368389627722e+02,
  -1.02509513161107724954e+03,
  -4.83519191608651397019e+02,
];
const SB = [
  1,
  3.03380607434824582924e+01,
  3.25792512996573918826e+02,
  1.53672958608443695994e+03,
  3.19985821950859553908e+03,
  2.55305040643316442583e+03,
  4.74528541206955367215e+02,
  -2.24409524465858183362e+01,
];

/** (erf(x) - x)/x for |x| < 0.84375, as a function of x². */
function erfSmallRatio(x2: number): number {
  return poly(x2, PP) / poly(x2, QQ);
}

/** erf(1 + s) - ERX for s in [-0.15625, 0.25]. */
function erfNearOne(s: number): number {
  return poly(s, PA) / poly(s, QA);
}

/** log(t·erfc(t)) + t² + 0.5625 for 1.25 <= t (fitted up to t = 28). */
function erfcTailLog(t: number): number {
  const s = 1 / (t * t);
  return t < 1 / 0.35 ? poly(s, RA) / poly(s, SA) : poly(s, RB) / poly(s, SB);
}

/**
 * erfc(t) for 1.25 <= t < 28, where -t² = negSqHi + negSqLo is supplied by the caller with
 * negSqHi exact. Splitting the exponent this way (fdlibm's "Note1") keeps the rounding error of
 * t² (up to 1e-13 absolute near t = 27) out of the result.
 */
function erfcTail(t: number, negSqHi: number, negSqLo: number): number {
  return Math.exp(negSqHi - 0.5625) * Math.exp(negSqLo + erfcTailLog(t)) / t;
}

/** erfc(t) for 1.25 <= t < 28. */
function erfcLarge(t: number): number {
  // z has 24 significant bits, so z·z is exact and -z² - 0.5625 is exact too.
  const z = Math.fround(t);
  return erfcTail(t, -z * z, (z - t) * (z + t));
}

/**
 * The error function erf(x) = 2/√π ∫₀ˣ exp(-t²) dt, accurate to about 1 ulp.
 *
 * erf(±0) = ±0, erf(±∞) = ±1, erf(NaN) = NaN.
 *
 * @example
 * ```ts
 * erf(0.5); // 0.5204998778130465
 * ```
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    if (ax < 2 ** -28) {
      // erf(x) = (2/√π)(x - x³/3 + ...) and x³/3 is below half an ulp. Tiny x is scaled up
      // first so that EFX·x does not lose bits to gradual underflow.
      return ax < 2 ** -1000 ? 0.125 * (8 * x + EFX8 * x) : x + EFX * x;
    }
    return x + x * erfSmallRatio(x * x);
  }
  if (ax < 1.25) {
    const d = erfNearOne(ax - 1);
    return x > 0 ? ERX + d : -ERX - d;
  }
  // erfc(6) ≈ 2e-17 is below half an ulp of 1.
  if (ax >= 6) return x > 0 ? 1 : -1;
  const r = erfcLarge(ax);
  return x > 0 ? 1 - r : r - 1;
}

/**
 * The complementary error function erfc(x) = 1 - erf(x), with full relative accuracy in the
 * upper tail (results are subnormal beyond x ≈ 26.55 and 0 beyond x ≈ 27.3).
 *
 * erfc(0) = 1, erfc(+∞) = 0, erfc(-∞) = 2, erfc(NaN) = NaN.
 *
 * @example
 * ```ts
 * erfc(10); // 2.0884875837625446e-45
 * ```
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    if (ax < 2 ** -56) return 1 - x;
    const y = erfSmallRatio(x * x);
    // Below 1/4 the result is >= 0.72 and 1 - erf(x) loses nothing; above, regroup so that
    // the large terms cancel exactly (fdlibm).
    if (x < 0.25) return 1 - (x + x * y);
    return 0.5 - (x * y + (x - 0.5));
  }
  if (ax < 1.25) {
    const d = erfNearOne(ax - 1);
    return x > 0 ? (1 - ERX) - d : 1 + (ERX + d);
  }
  if (x < 0) return x <= -6 ? 2 : 2 - erfcLarge(ax);
  // erfc(28) ≈ 6e-343 is below the smallest subnormal.
  if (x >= 28) return 0;
  return erfcLarge(x);
}

/**
 * The scaled complementary error function erfcx(x) = exp(x²)·erfc(x). For large x it behaves
 * like 1/(x√π) and does not underflow; for x < -26.63 it overflows to +∞.
 *
 * erfcx(+∞) = 0, erfcx(-∞) = +∞, erfcx(NaN) = NaN.
 *
 * @example
 * ```ts
 * erfcx(30); // 0.018795888861416754
 * ```
 */
export function erfcx(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 1.25) {
    // For |x| < 1.25, x² < 1.6 and its rounding is harmless.
    if (x >= -1.25) return Math.exp(x * x) * erfc(x);
    if (x < -27) return Infinity;
    // erfcx(x) = 2·exp(x²) - erfcx(-x); exp(x²) is split like in erfcLarge so the large
    // exponent is exact.
    const z = Math.fround(x);
    return 2 * (Math.exp(z * z) * Math.exp((x - z) * (x + z))) - erfcx(-x);
  }
  // In the tail the fdlibm formula is erfc(x) = exp(-x²)·exp(-0.5625 + R/S)/x.
  if (x < 28) return Math.exp(erfcTailLog(x) - 0.5625) / x;
  // Asymptotic series (Abramowitz & Stegun 7.1.23):
  //   erfcx(x) ~ 1/(x√π) · Σ_k (-1)^k (2k-1)!! / (2x²)^k.
  // At x >= 28 the ninth term is below 1e-19.
  const v = 1 / (2 * x * x);
  let term = 1;
  let sum = 1;
  for (let k = 1; k <= 8; k++) {
    term *= -(2 * k - 1) * v;
    sum += term;
  }
  return ONE_OVER_SQRT_PI / x * sum;
}

// ---------------------------------------------------------------------------
// Standard normal distribution
// ---------------------------------------------------------------------------

/**
 * The standard normal CDF Φ(x) = erfc(-x/√2)/2, relatively accurate in the lower tail
 * (results are subnormal below x ≈ -37.5 and 0 below x ≈ -38.5).
 *
 * ndtr(-∞) = 0, ndtr(+∞) = 1, ndtr(NaN) = NaN.
 *
 * @example
 * ```ts
 * ndtr(-10); // 7.619853024160524e-24
 * ```
 */
export function ndtr(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const t = x * Math.SQRT1_2;
  if (x >= 0) {
    // Φ >= 1/2 here, so absolute accuracy is all that matters.
    return t < 0.84375 ? 0.5 + 0.5 * erf(t) : 1 - 0.5 * erfc(t);
  }
  if (t > -1.25) return 0.5 * erfc(-t);
  if (x < -40) return 0; // Φ(-40) ≈ 4e-350
  // Lower tail: the exponent -t² = -x²/2 is formed from x itself (z = fround(x) makes z²/2
  // exact), so the rounding of t = -x/√2 only enters through the slowly varying 1/t and R/S
  // factors instead of being amplified by x² in exp(-t²).
  const z = Math.fround(x);
  return 0.5 * erfcTail(-t, -0.5 * z * z, -0.5 * (x - z) * (x + z));
}

/**
 * log Φ(x), the log of the standard normal CDF, accurate for very negative x (where Φ
 * underflows) and for large positive x (where Φ rounds to 1).
 *
 * logNdtr(-∞) = -∞, logNdtr(+∞) = 0, logNdtr(NaN) = NaN.
 *
 * @example
 * ```ts
 * logNdtr(-50); // -1254.8313611394199
 * logNdtr(10); // -7.619853024160524e-24
 * ```
 */
export function logNdtr(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 0;
  // log Φ(x) = log1p(-Φ(-x)), and Φ(-x) is relatively accurate.
  if (x > 0) return Math.log1p(-ndtr(-x));
  if (x > -20) return Math.log(ndtr(x));
  // Φ(x) = exp(-x²/2)·erfcx(t)/2 with t = -x/√2, so the huge exponent can be taken out of
  // the log exactly: log Φ(x) = -x²/2 + log(erfcx(t)/2).
  return -0.5 * x * x + Math.log(0.5 * erfcx(-x * Math.SQRT1_2));
}

// Wichura, "Algorithm AS 241: The Percentage Points of the Normal Distribution",
// Applied Statistics 37(3), 477-484 (1988), routine PPND16 (about 1e-16 relative accuracy).
// Central region |p - 1/2| <= 0.425, rational in r = 0.180625 - q².
const AS241_A = [
  3.3871328727963666080e0,
  1.3314166789178437745e+2,
  1.9715909503065514427e+3,
  1.3731693765509461125e+4,
  4.5921953931549871457e+4,
  6.7265770927008700853e+4,
  3.3430575583588128105e+4,
  2.5090809287301226727e+3,
];
const AS241_B = [
  1,
  4.2313330701600911252e+1,
  6.8718700749205790830e+2,
  5.3941960214247511077e+3,
  2.1213794301586595867e+4,
  3.9307895800092710610e+4,
  2.8729085735721942674e+4,
  5.2264952788528545610e+3,
];
// Intermediate tail, r = sqrt(-log(min(p, 1-p))) <= 5, rational in r - 1.6.
const AS241_C = [
  1.42343711074968357734e0,
  4.63033784615654529590e0,
  5.76949722146069140550e0,
  3.64784832476320460504e0,
  1.27045825245236838258e0,
  2.41780725177450611770e-1,
  2.27238449892691845833e-2,
  7.74545014278341407640e-4,
];
const AS241_D = [
  1,
  2.05319162663775882187e0,
  1.67638483018380384940e0,
  6.89767334985100004550e-1,
  1.48103976427480074590e-1,
  1.51986665636164571966e-2,
  5.47593808499534494600e-4,
  1.05075007164441684324e-9,
];
// Far tail, r > 5, rational in r - 5.
const AS241_E = [
  6.65790464350110377720e0,
  5.46378491116411436990e0,
  1.78482653991729133580e0,
  2.96560571828504891230e-1,
  2.65321895265761230930e-2,
  1.24266094738807843860e-3,
  2.71155556874348757815e-5,
  2.01033439929228813265e-7,
];
const AS241_F = [
  1,
  5.99832206555887937690e-1,
  1.36929880922735805310e-1,
  1.48753612908506148525e-2,
  7.86869131145613259100e-4,
  1.84631831751005468180e-5,
  1.42151175831644588870e-7,
  2.04426310338993978564e-15,
];

/**
 * The coefficients of {@link ndtri} (AS 241 PPND16: numerators A, C, E and denominators B, D, F
 * of the central, intermediate and far-tail rational functions, constant term first), for
 * renderers that evaluate the same method in other precisions (the WGSL kernels).
 *
 * @example
 * ```ts
 * import { AS241 } from "./special.ts";
 * AS241.A[0]; // 3.387132872796367
 * ```
 */
export const AS241: Readonly<Record<"A" | "B" | "C" | "D" | "E" | "F", readonly number[]>> = {
  A: AS241_A,
  B: AS241_B,
  C: AS241_C,
  D: AS241_D,
  E: AS241_E,
  F: AS241_F,
};

/**
 * The inverse of the standard normal CDF: ndtri(ndtr(x)) = x. Uses Wichura's AS 241 (PPND16).
 *
 * ndtri(0) = -∞, ndtri(1) = +∞, NaN outside [0, 1] and for NaN.
 *
 * @example
 * ```ts
 * ndtri(0.975); // 1.9599639845400536
 * ```
 */
export function ndtri(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return q * poly(r, AS241_A) / poly(r, AS241_B);
  }
  // 1 - p is exact here (p > 0.925), so the upper tail is as accurate as the lower one
  // given p.
  const r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  const x = r <= 5
    ? poly(r - 1.6, AS241_C) / poly(r - 1.6, AS241_D)
    : poly(r - 5, AS241_E) / poly(r - 5, AS241_F);
  return q < 0 ? -x : x;
}

// ---------------------------------------------------------------------------
// Inverse error function
// ---------------------------------------------------------------------------

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2/√π
const SQRT_PI_OVER_2 = 0.886226925452758; // √π/2

/**
 * The inverse error function: erf(erfinv(x)) = x for x in [-1, 1], with full relative accuracy
 * everywhere, including next to ±1 (about 2 ulp; see tests/core/special_test.ts).
 *
 * Method: a starting value from {@link ndtri} (erfinv(x) = ndtri((1 + x)/2)/√2), then two Halley
 * steps on erf(y) = |x|. Near ±1 the equation is solved as erfc(y) = 1 - |x| instead: 1 - |x| is
 * exact for |x| >= 1/2 (Sterbenz) and erfc is relatively accurate in the tail, so no digits are
 * lost to forming (1 + x)/2. Both erf and erfc have f''(y) = -2y·f'(y), so a Halley step is
 * y ← y - r/(1 + y·r) with r = f(y)/f'(y).
 *
 * erfinv(±1) = ±∞, erfinv(±0) = ±0, NaN outside [-1, 1] and for NaN.
 *
 * @example
 * ```ts
 * erfinv(0.5); // 0.4769362762044699
 * erfinv(1 - 2 ** -52); // 5.805018683193453 (no cancellation near 1)
 * ```
 */
export function erfinv(x: number): number {
  if (!(x >= -1 && x <= 1)) return NaN;
  const ax = Math.abs(x);
  if (ax === 1) return x * Infinity;
  // erfinv(x) = (√π/2)(x + πx³/12 + ...): the cubic term is below half an ulp here.
  if (ax < 2 ** -27) return SQRT_PI_OVER_2 * x;
  let y: number;
  if (ax < 0.5) {
    // The starting value loses up to ulp(1/2)/ax relatively to the rounding of (1 + ax)/2
    // (at most 1e-8 here); Halley's cubic convergence makes that irrelevant after one step.
    y = ndtri(0.5 + 0.5 * ax) * Math.SQRT1_2;
    for (let k = 0; k < 2; k++) {
      const r = (erf(y) - ax) / (TWO_OVER_SQRT_PI * Math.exp(-y * y));
      y -= r / (1 + y * r);
    }
  } else {
    const q = 1 - ax; // exact for ax >= 1/2
    y = -ndtri(0.5 * q) * Math.SQRT1_2;
    for (let k = 0; k < 2; k++) {
      // f(y) = erfc(y) - q, f'(y) = -(2/√π)·exp(-y²).
      const r = (q - erfc(y)) / (TWO_OVER_SQRT_PI * Math.exp(-y * y));
      y -= r / (1 + y * r);
    }
  }
  return x < 0 ? -y : y;
}
