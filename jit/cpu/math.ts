/**
 * Functions generated CPU code calls beyond the eager helpers: float32 `erfc` variants that
 * reproduce the eager (fdlibm) `erfc` rounded to float32 with one `exp` (see {@link erfcExact32}).
 *
 * @module
 */
import { erfc } from "../../core/special.ts";
import { erfcF32, erfcSat32 } from "../f32math.ts";
import { ERFC_F32_TWO, ERFC_F32_ZERO } from "../f32math.ts";
import { HELPERS } from "../scalar_ops.ts";

/** Relative half-width of the interval the rounding test of {@link erfcExact32} checks. */
const ERFC_EXACT_EPS = 2 ** -36;

/**
 * `erfc(x)` for float32 kernels in `exact` precision: a value whose float32 rounding is bitwise
 * `Math.fround(erfc(x))` of the eager (fdlibm, double-precision) `erfc`, with one `exp` instead
 * of two (used for arguments that may not be float32 values; see {@link erfcExact32F}).
 *
 * Why it is exact: for 1.25 ≤ |x| < 10.06 the eager `erfc` evaluates `exp(−x² − 0.5625 + R/S)/x`
 * with two `exp`s, splitting x² so that its rounding error does not reach the double result. For
 * a float32 result that accuracy is not needed: one `exp` with the same R/S is within 1.5e-14
 * relative of the eager value (measured over 3e6 points; the rounding error of x² ≤ 101 bounds it
 * by ~1e-14). If the whole interval `v·(1 ± 2⁻³⁶)` (1.5e-11, a 1000× margin) rounds to one
 * float32, the eager value rounds to it too; otherwise (about 3 calls in 10 000) this falls back
 * to the eager `erfc`. Elsewhere it is {@link erfcSat32}: the saturated constants, or the eager
 * polynomial (|x| < 1.25, already cheap). In fact, for every float32 argument in the one-`exp`
 * range (all 39 200 595 of them, checked once exhaustively) the one-`exp` value already rounds
 * like the eager one; `tests/jit/cpu_parallel_test.ts` checks millions of them on every run.
 *
 * @example
 * ```ts
 * import { erfcExact32 } from "./math.ts";
 * import { erfc } from "../../core/special.ts";
 * Math.fround(erfcExact32(3)) === Math.fround(erfc(3)); // true
 * ```
 */
export function erfcExact32(x: number): number {
  if (x >= ERFC_F32_ZERO) return 0;
  if (x <= -ERFC_F32_TWO) return 2;
  const ax = Math.abs(x);
  if (!(ax >= 1.25)) return erfc(x); // also NaN
  const v = erfcOneExp(x, ax);
  const f = Math.fround(v);
  if (
    Math.fround(v * (1 - ERFC_EXACT_EPS)) === f && Math.fround(v * (1 + ERFC_EXACT_EPS)) === f
  ) return f;
  return erfc(x);
}

/**
 * {@link erfcExact32} for an argument that is a float32 value (what `exact` kernels pass when the
 * argument is a rounded result or a float32 load): no rounding test, since for every float32 in
 * the one-`exp` range the one-`exp` value rounds like the eager `erfc` (checked exhaustively by
 * `tests/jit/cpu_parallel_test.ts`). The test costs a quarter of W1's forward kernel.
 *
 * @example
 * ```ts
 * import { erfcExact32F } from "./math.ts";
 * import { erfc } from "../../core/special.ts";
 * Math.fround(erfcExact32F(Math.fround(2.5))) === Math.fround(erfc(Math.fround(2.5))); // true
 * ```
 */
export function erfcExact32F(x: number): number {
  if (x >= ERFC_F32_ZERO) return 0;
  if (x <= -ERFC_F32_TWO) return 2;
  const ax = Math.abs(x);
  if (!(ax >= 1.25)) return erfc(x); // also NaN
  return erfcOneExp(x, ax);
}

/** erfc(x) for 1.25 ≤ |x| = ax with one `exp` (within 1.5e-14 relative of the eager value). */
function erfcOneExp(x: number, ax: number): number {
  // log(x·erfc(x)) + x² + 0.5625 ≈ R(s)/S(s), s = 1/x²: fdlibm's fits (core/special.ts RA/SA
  // below 1/0.35, RB/SB above), in Horner form.
  const s = 1 / (ax * ax);
  const r = ax < 1 / 0.35
    ? (-9.86494403484714822705e-03 +
      s * (-6.93858572707181764372e-01 +
          s * (-1.05586262253232909814e+01 +
              s * (-6.23753324503260060396e+01 +
                  s * (-1.62396669462573470355e+02 +
                      s * (-1.84605092906711035994e+02 +
                          s *
                            (-8.12874355063065934246e+01 + s * -9.81432934416914548592e+00))))))) /
      (1 +
        s * (1.96512716674392571292e+01 +
            s * (1.37657754143519042600e+02 +
                s * (4.34565877475229228821e+02 +
                    s * (6.45387271733267880336e+02 +
                        s * (4.29008140027567833386e+02 +
                            s * (1.08635005541779435134e+02 +
                                s *
                                  (6.57024977031928170135e+00 +
                                    s * -6.04244152148580987438e-02))))))))
    : (-9.86494292470009928597e-03 +
      s * (-7.99283237680523006574e-01 +
          s * (-1.77579549177547519889e+01 +
              s * (-1.60636384855821916062e+02 +
                  s * (-6.37566443368389627722e+02 +
                      s * (-1.02509513161107724954e+03 + s * -4.83519191608651397019e+02)))))) /
      (1 +
        s * (3.03380607434824582924e+01 +
            s * (3.25792512996573918826e+02 +
                s * (1.53672958608443695994e+03 +
                    s * (3.19985821950859553908e+03 +
                        s * (2.55305040643316442583e+03 +
                            s *
                              (4.74528541206955367215e+02 + s * -2.24409524465858183362e+01)))))));
  const e = Math.exp(r - ax * ax - 0.5625) / ax;
  return x > 0 ? e : 2 - e;
}

/**
 * Functions generated code calls by name (the `H` argument of its `new Function`); the pool's
 * workers compile kernel sources with the same object.
 *
 * @example
 * ```ts
 * import { CPU_HELPERS } from "./math.ts";
 * CPU_HELPERS.erfcSat32(20); // 0
 * ```
 */
export const CPU_HELPERS = { ...HELPERS, erfcF32, erfcSat32, erfcExact32, erfcExact32F };
