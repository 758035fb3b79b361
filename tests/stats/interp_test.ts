/**
 * Every pyhf interpolation code (pyhf/interpolators/code{0,1,2,4,4p}.py), applied to normsys
 * (codes 0, 1, 2, 4) and histosys (codes 0, 2, 4, 4p): values against numbers computed by hand
 * from pyhf's formulas, smoothness where the code promises it (code4/4p: value, first and second
 * derivative continuous at α = ±1), pyhf's code2 jump at |α| = 1, and derivatives of every code
 * against finite differences in float64 (checkGrads, orders 1 and 2, forward and reverse).
 *
 * The hand values, for a histosys with [lo, nom, hi] = [8, 10, 13] (Δ₊ = 3, Δ₋ = 2) and a
 * normsys with hi = 1.2, lo = 0.7 (a histosys of [0.7, 1, 1.2] for the additive codes):
 * - code0: δ = αΔ₊ (α ≥ 0), αΔ₋ (α < 0): 0.5 → 1.5, −0.5 → −1, 2 → 6, −2 → −4.
 * - code2 (pyhf): a = (hi + lo)/2 − nom = 0.5, b = (hi − lo)/2 = 2.5; inside aα² + bα:
 *   0.5 → 0.125 + 1.25 = 1.375, −0.5 → −1.125, ±1 → 3 / −2; outside (b + 2a)(α − 1) = 3.5 at
 *   α = 2 and (b − 2a)(α + 1) = −1.5 at α = −2. normsys: a = −0.05, b = 0.25 → f(0.5) = 1.1125,
 *   f(−0.5) = 0.8625, f(2) = 1 + 0.15, f(−2) = 1 − 0.35.
 * - code4p: S = 2.5, A = 1/16; inside αS + α²A(15 − 10α² + 3α⁴): 0.5 → 1.25 + 0.25·0.0625·
 *   12.6875 = 1.4482421875, −0.5 → −1.0517578125; outside αΔ±: 2 → 6, −2 → −4.
 * - code1: f = hiᵅ / lo⁻ᵅ: 0.5 → √1.2, −1.5 → 0.7^1.5.
 * - code4: outside hiᵅ / lo⁻ᵅ; inside 1 + Σ aᵢαⁱ with a = A⁻¹·[hi − 1, lo − 1, hi ln hi,
 *   −lo ln lo, hi ln² hi, lo ln² lo] (A⁻¹ as printed in pyhf's code4.py, α₀ = 1), evaluated in
 *   double precision by a 6-line script: normsys f(0.5) = 1.1037883299214457, f(−0.5) =
 *   0.8462759761947135; histosys (ratios 1.3, 0.8) δ(0.5) = 10·(f − 1) = 1.3828259936484666,
 *   δ(−0.5) = −1.0772416157371012, δ(2) = 10·(1.69 − 1) = 6.9, δ(−2) = 10·(0.64 − 1) = −3.6.
 */
import assert from "node:assert/strict";
import { type Array, array } from "../../core/mod.ts";
import { grad } from "../../ad/api.ts";
import { checkGrads } from "../../ad/check_grads.ts";
import {
  code4Coefficients,
  fit,
  fromPyhf,
  type HistosysCode,
  histosysDelta,
  type NormsysCode,
  normsysFactor,
} from "../../stats/mod.ts";

const f64 = (v: number) => array(v, "float64");
const close = (got: number, want: number, what: string, tol = 1e-12) =>
  assert.ok(
    Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)),
    `${what}: got ${got}, want ${want}`,
  );
const hs = (code: HistosysCode, a: number) =>
  histosysDelta(code, f64(a), f64(13), f64(10), f64(8)).item();
const ns = (code: NormsysCode, a: number) => normsysFactor(code, f64(a), f64(1.2), f64(0.7)).item();

Deno.test("interpolation codes: values by hand from pyhf's formulas", async (t) => {
  const histo: [HistosysCode, [number, number][]][] = [
    ["code0", [[0.5, 1.5], [-0.5, -1], [2, 6], [-2, -4], [0, 0]]],
    ["code2", [[0.5, 1.375], [-0.5, -1.125], [1, 3], [-1, -2], [2, 3.5], [-2, -1.5], [0, 0]]],
    ["code4p", [[0.5, 1.4482421875], [-0.5, -1.0517578125], [2, 6], [-2, -4], [1, 3], [-1, -2]]],
    ["code4", [
      [0.5, 1.3828259936484666],
      [-0.5, -1.0772416157371012],
      [2, 6.9],
      [-2, -3.6],
      [1, 3],
      [-1, -2],
      [0, 0],
    ]],
  ];
  for (const [code, cases] of histo) {
    await t.step(`histosys ${code}`, () => {
      for (const [a, want] of cases) close(hs(code, a), want, `${code} α=${a}`);
    });
  }
  const norm: [NormsysCode, [number, number][]][] = [
    ["code0", [[0.5, 1.1], [-0.5, 0.85], [2, 1.4], [-2, 0.4], [0, 1]]],
    ["code1", [[0.5, Math.sqrt(1.2)], [-1.5, 0.7 ** 1.5], [1, 1.2], [-1, 0.7], [0, 1]]],
    ["code2", [[0.5, 1.1125], [-0.5, 0.8625], [2, 1.15], [-2, 0.65], [1, 1.2], [-1, 0.7]]],
    ["code4", [
      [0.5, 1.1037883299214457],
      [-0.5, 0.8462759761947135],
      [1, 1.2],
      [-1, 0.7],
      [2, 1.44],
      [-2, 0.49],
      [0, 1],
    ]],
  ];
  for (const [code, cases] of norm) {
    await t.step(`normsys ${code}`, () => {
      for (const [a, want] of cases) close(ns(code, a), want, `${code} α=${a}`);
    });
  }
  await t.step("code4 with precomputed coefficients (compiled fits) = computed inline", () => {
    const hi = array([1.2, 1.05, 3], "float64");
    const lo = array([0.7, 0.98, 0.4], "float64");
    const coef = code4Coefficients(hi, lo);
    for (const a of [-1.7, -0.6, 0, 0.35, 1, 2.2]) {
      const inline = normsysFactor("code4", f64(a), hi, lo).dataSync();
      const pre = normsysFactor("code4", f64(a), hi, lo, coef).dataSync();
      assert.deepEqual([...pre], [...inline], `α=${a}`);
    }
  });
  await t.step("histosys code4 with a zero nominal bin gives δ = 0, not NaN", () => {
    const d = histosysDelta("code4", f64(0.7), f64(0), f64(0), f64(0));
    assert.equal(d.item(), 0);
    const g = grad((a: Array) => histosysDelta("code4", a, f64(0), f64(0), f64(0)));
    assert.equal(g(f64(0.7)).item(), 0);
  });
});

Deno.test("interpolation codes: smoothness at α = ±1 where promised, pyhf's code2 jump", () => {
  // Value, first and second derivative (autodiff, each side's own formula) just inside and just
  // outside α = ±1 agree for the C² codes.
  const smooth: [string, (a: Array) => Array][] = [
    ["histosys code4p", (a) => histosysDelta("code4p", a, f64(13), f64(10), f64(8))],
    ["histosys code4", (a) => histosysDelta("code4", a, f64(13), f64(10), f64(8))],
    ["normsys code4", (a) => normsysFactor("code4", a, f64(1.2), f64(0.7))],
  ];
  for (const [what, fn] of smooth) {
    const d1 = grad(fn), d2 = grad(d1);
    for (const edge of [1, -1]) {
      const e = 1e-9;
      for (const [name, f] of [["f", fn], ["f'", d1], ["f''", d2]] as const) {
        const lo = f(f64(edge - e)).item(), hi = f(f64(edge + e)).item();
        close(lo, hi, `${what} ${name} at ${edge}`, 1e-7);
      }
    }
  }
  // pyhf's code2 drops from Δ₊ = 3 to ≈ 0 just above α = 1 (pyhf issue #2729).
  close(hs("code2", 1), 3, "code2 at 1");
  assert.ok(hs("code2", 1 + 1e-9) < 1e-6, "code2 just above 1");
});

Deno.test("interpolation codes: derivatives against finite differences (float64)", async (t) => {
  // Away from the kinks (0 for code0/code1) and jumps (±1 for code2).
  const alphas = [-1.7, -0.6, 0.35, 0.8, 1.6];
  for (const code of ["code0", "code2", "code4", "code4p"] as HistosysCode[]) {
    await t.step(`histosys ${code}: in α and in the templates`, () => {
      for (const a of alphas) {
        checkGrads(
          (al, hi, nom, lo) => histosysDelta(code, al, hi, nom, lo),
          [f64(a), f64(13), f64(10), f64(8)],
          { order: 2, modes: ["fwd", "rev"] },
        );
      }
    });
  }
  for (const code of ["code0", "code1", "code2", "code4"] as NormsysCode[]) {
    await t.step(`normsys ${code}: in α and in hi, lo`, () => {
      for (const a of alphas) {
        checkGrads((al, hi, lo) => normsysFactor(code, al, hi, lo), [f64(a), f64(1.2), f64(0.7)], {
          order: 2,
          modes: ["fwd", "rev"],
        });
      }
    });
  }
});

Deno.test("interpolation codes in models: every code builds, fits and is reported", async (t) => {
  const ws = {
    channels: [{
      name: "sr",
      samples: [
        { name: "sig", data: [3, 6], modifiers: [{ name: "mu", type: "normfactor", data: null }] },
        {
          name: "bkg",
          data: [10, 20],
          modifiers: [
            { name: "n", type: "normsys", data: { hi: 1.2, lo: 0.7 } },
            { name: "h", type: "histosys", data: { hi_data: [13, 22], lo_data: [8, 19] } },
          ],
        },
      ],
    }],
    observations: [{ name: "sr", data: [14, 27] }],
    measurements: [{ name: "m", config: { poi: "mu", parameters: [] } }],
    version: "1.0.0",
  };
  for (const n of ["code0", "code1", "code2", "code4"] as NormsysCode[]) {
    for (const h of ["code0", "code2", "code4", "code4p"] as HistosysCode[]) {
      await t.step(`normsys ${n}, histosys ${h}`, () => {
        const m = fromPyhf(ws, {
          modifierSettings: { normsys: { interpcode: n }, histosys: { interpcode: h } },
        });
        assert.deepEqual(m.interpolation, { normsys: n, histosys: h });
        // par order: h, mu, n. Bin 0 at α_h = 0.5, α_n = −0.5: (10 + δ_h)·f_n + 3μ.
        const want = (10 + hs(h, 0.5)) * ns(n, -0.5) + 3 * 1.5;
        close(m.expectedMain([0.5, 1.5, -0.5]).dataSync()[0], want, "rate bin 0");
        const r = fit(m.observed, m);
        assert.ok(r.converged, `${n}/${h}: ${r.message}`);
        if (n === "code2" || h === "code2") {
          assert.ok(m.warnings.some((w) => w.includes("code2")), "code2 is flagged");
        }
      });
    }
  }
});
