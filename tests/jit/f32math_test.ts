/**
 * Float32 special functions used by fast-precision kernels: accuracy against the double-precision
 * eager functions and the saturation thresholds.
 */
import assert from "node:assert/strict";
import { erfc } from "../../core/special.ts";
import { ERFC_F32_TWO, ERFC_F32_ZERO, erfcF32 } from "../../jit/f32math.ts";

Deno.test("erfcF32: within 2 float32 ulps of float32(erfc) over its whole range", () => {
  let worst = 0;
  for (let x = -4; x < 10.2; x += 3e-4) {
    const got = Math.fround(erfcF32(x)), want = Math.fround(erfc(x));
    if (want < 1.2e-38) {
      // Subnormal results: at most 2 subnormal steps apart.
      assert.ok(Math.abs(got - want) <= 2 * 2 ** -149, `erfcF32(${x}) = ${got}, want ${want}`);
      continue;
    }
    worst = Math.max(worst, Math.abs(got - want) / want);
  }
  assert.ok(worst < 2.5e-7, `worst relative error ${worst}`);
  assert.ok(Number.isNaN(erfcF32(NaN)));
  assert.equal(erfcF32(Infinity), 0);
  assert.equal(erfcF32(-Infinity), 2);
});

Deno.test("erfcF32: the saturation thresholds are exact in float32", () => {
  // Beyond the thresholds the double-precision erfc rounds to exactly 0 or 2 in float32.
  for (let x = ERFC_F32_ZERO; x < ERFC_F32_ZERO + 1; x += 1e-3) {
    assert.equal(Math.fround(erfc(x)), 0, `erfc(${x})`);
  }
  for (let x = ERFC_F32_TWO; x < ERFC_F32_TWO + 3; x += 1e-3) {
    assert.equal(Math.fround(erfc(-x)), 2, `erfc(${-x})`);
  }
});
