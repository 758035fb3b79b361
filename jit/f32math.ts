/**
 * Float32-accurate special functions for kernels whose results are float32 (the CPU renderer's
 * default `fast` precision; the WGSL renderer uses the same formulas).
 *
 * `erfcF32` is the Chebyshev-fitted `erfc` of Numerical Recipes (W. H. Press et al., *Numerical
 * Recipes*, 2nd ed., §6.2, `erfcc`): `erfc(x) = t·exp(−x² − 1.26551223 + t·P(t))`,
 * `t = 1/(1 + x/2)`, with fractional error below 1.2e-7 everywhere — about 2 float32 ulps, and
 * relative, so the tails keep their digits. One `exp`, where the double-precision fdlibm `erfc`
 * needs two; and outside [−3.84, 10.06] the float32 result is a constant (2, or 0 after
 * underflow), returned without evaluating anything. The thresholds are where the double-precision
 * `erfc` rounded to float32 becomes exactly 2 or 0 (see `tests/jit/f32math_test.ts`).
 *
 * `erfcSat32` is the eager (double-precision) `erfc` with the same two shortcuts: rounded to
 * float32 its results are bitwise those of the eager primitive, so `exact` precision uses it.
 *
 * @module
 */
import { erfc } from "../core/special.ts";

/** Above this, float32(erfc(x)) is 0 (erfc(x) < 2^-150, half the smallest subnormal). */
export const ERFC_F32_ZERO = 10.0542;
/** Below minus this, float32(erfc(x)) is 2 (2 − erfc(x) rounds to 2). */
export const ERFC_F32_TWO = 3.8326;

/** Numerical Recipes' erfcc coefficients of P(t), lowest order first. */
export const ERFC_NR = [
  -1.26551223,
  1.00002368,
  0.37409196,
  0.09678418,
  -0.18628806,
  0.27886807,
  -1.13520398,
  1.48851587,
  -0.82215223,
  0.17087277,
] as const;

/**
 * erfc(x) with ~1.2e-7 relative error (float32 accuracy), cheap in the saturated tails.
 *
 * @example
 * ```ts
 * import { erfcF32 } from "./f32math.ts";
 * erfcF32(1); // ≈ 0.15729921
 * ```
 */
export function erfcF32(x: number): number {
  if (x >= ERFC_F32_ZERO) return 0;
  if (x <= -ERFC_F32_TWO) return 2;
  if (x !== x) return x;
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 +
            t * (0.37409196 +
                t * (0.09678418 +
                    t * (-0.18628806 +
                        t * (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/**
 * The double-precision eager `erfc`, returning its float32-rounded value's constant directly where
 * that is 0 or 2: `Math.fround(erfcSat32(x)) === Math.fround(erfc(x))` for every x.
 *
 * @example
 * ```ts
 * import { erfcSat32 } from "./f32math.ts";
 * erfcSat32(20); // 0 (erfc(20) ≈ 5e-176 rounds to 0 in float32)
 * ```
 */
export function erfcSat32(x: number): number {
  if (x >= ERFC_F32_ZERO) return 0;
  if (x <= -ERFC_F32_TWO) return 2;
  return erfc(x);
}
