/**
 * Double-precision special functions on plain JS numbers.
 *
 * - error function family: {@link erf}, {@link erfc}, {@link erfcx}
 * - standard normal distribution: {@link ndtr}, {@link logNdtr}, {@link ndtri}
 * - inverse error function: {@link erfinv}
 * - gamma family: {@link lgamma}, {@link digamma}, {@link trigamma}
 *
 * Dependency-free. Every routine names the published method it follows; the numeric
 * coefficients either come from the cited publication or were computed with mpmath
 * (40+ digits) and rounded to the nearest double.
 *
 * @module
 */

const ONE_OVER_SQRT_PI = 0.5641895835477563; // 1/sqrt(pi)
const ONE_MINUS_EULER = 0.42278433509846713; // 1 - γ
const HALF_LOG_2PI = 0.9189385332046728; // log(2π)/2

/** Horner evaluation of c[0] + c[1] x + ... + c[n] x^n. */
function poly(x: number, c: readonly number[]): number {
  let r = c[c.length - 1];
  for (let i = c.length - 2; i >= 0; i--) r = r * x + c[i];
  return r;
}

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

// ---------------------------------------------------------------------------
// Gamma family
// ---------------------------------------------------------------------------

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
