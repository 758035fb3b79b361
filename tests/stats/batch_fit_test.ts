/**
 * Batched fits (stats/batch.ts, stats/fit_batch.ts) take exactly the steps of the sequential
 * fitter: on every row the same minimum (to 1e-9 in −2 log L), the same convergence flag, the
 * same number of iterations, the same parameters at bounds and at kinks — on models with shapesys
 * and staterror, with minima at a bound (a deficit pins μ̂ at 0) and at interpolation kinks
 * (ROOT's code1/code0 on Asimov data).
 */
import assert from "node:assert/strict";
import { array, concatenate, random } from "../../mod.ts";
import {
  fit,
  type FitResult,
  fromPyhf,
  type Model,
  testStatistic,
  type TestStatName,
} from "../../stats/mod.ts";
import { fitBatch, testStatisticBatch } from "../../stats/fit_batch.ts";
import { minimize, minimizeSteps } from "../../stats/optimize.ts";
import { run } from "../../stats/steps.ts";
import { runBatch } from "../../stats/batch.ts";
import { sampleToys } from "../../stats/toys.ts";
import { realisticWorkspace } from "./realistic_models.ts";

function shapesysModel(): Model {
  const bkg = [40, 30, 20];
  return fromPyhf({
    channels: [{
      name: "sr",
      samples: [
        {
          name: "sig",
          data: [4, 6, 5],
          modifiers: [{ name: "mu", type: "normfactor", data: null }],
        },
        {
          name: "bkg",
          data: bkg,
          modifiers: [
            { name: "bnorm", type: "normsys", data: { hi: 1.05, lo: 0.95 } },
            { name: "stat", type: "shapesys", data: bkg.map((b) => 0.1 * b) },
          ],
        },
      ],
    }],
    observations: [{ name: "sr", data: [42, 33, 22] }],
    measurements: [{ name: "m", config: { poi: "mu", parameters: [] } }],
    version: "1.0.0",
  });
}

const MODELS: [string, () => Model][] = [
  ["normsys + shapesys", shapesysModel],
  [
    "normsys + histosys + staterror (code4/code4p)",
    () => fromPyhf(realisticWorkspace({ bins: 8, nNormsys: 4, nHistosys: 3, staterror: true })),
  ],
  [
    "ROOT's code1/code0 (kinks at 0)",
    () =>
      fromPyhf(realisticWorkspace({ bins: 8, nNormsys: 4, nHistosys: 3 }), {
        modifierSettings: { normsys: { interpcode: "code1" }, histosys: { interpcode: "code0" } },
      }),
  ],
];

/** Observed data, a deficit (μ̂ at its bound 0), Asimov data at μ = 0 and μ = 1, and toys. */
function datasets(m: Model) {
  const obs = m.observed.dataSync();
  const deficit = Float64Array.from(obs, (v, i) => (i < m.nMain ? Math.round(0.8 * v) : v));
  const asimov = (mu: number) =>
    m.expectedData(m.suggestedInit.map((v, i) => (i === m.poiIndex ? mu : v)));
  const rows = [
    m.observed,
    array(deficit, "float64"),
    asimov(0),
    asimov(1),
  ].map((r) => r.reshape([1, m.nMain + m.nAux]));
  return concatenate([...rows, sampleToys(m, m.suggestedInit, 8, random.key(7))], 0);
}

function sameFit(a: FitResult, b: FitResult, what: string) {
  assert.ok(
    Math.abs(a.twiceNll - b.twiceNll) <= 1e-9,
    `${what}: -2 log L ${a.twiceNll} vs ${b.twiceNll}`,
  );
  assert.equal(a.converged, b.converged, `${what}: converged`);
  assert.equal(a.iterations, b.iterations, `${what}: iterations`);
  assert.deepEqual(a.atBound, b.atBound, `${what}: at bounds`);
  assert.deepEqual(a.atKink, b.atKink, `${what}: at kinks`);
  assert.deepEqual(a.evaluations, b.evaluations, `${what}: evaluations`);
}

for (const [name, make] of MODELS) {
  Deno.test(`batched fits equal sequential fits: ${name}`, async (t) => {
    const m = make();
    const data = datasets(m);
    const T = data.shape[0];
    await t.step("free and fixed-POI fits", () => {
      for (const opts of [{}, { init: m.suggestedInit.map((v, i) => (i === 0 ? 1.5 : v)) }]) {
        const batched = fitBatch(data, m, opts);
        for (let i = 0; i < T; i++) sameFit(batched[i], fit(data.slice(i), m, opts), `row ${i}`);
      }
      const fixed = fitBatch(data, m, { fixed: { mu: true } });
      for (let i = 0; i < T; i++) {
        sameFit(fixed[i], fit(data.slice(i), m, { fixed: { mu: true } }), `fixed row ${i}`);
      }
    });
    await t.step("test statistics (free + fixed-POI fit, warm start)", () => {
      for (const [stat, mu] of [["qmutilde", 1], ["q0", 0]] as [TestStatName, number][]) {
        const batched = testStatisticBatch(stat, mu, data, m);
        for (let i = 0; i < T; i++) {
          const s = testStatistic(stat, mu, data.slice(i), m);
          sameFit(batched[i].freeFit, s.freeFit, `${stat} row ${i} free`);
          sameFit(batched[i].fixedFit, s.fixedFit, `${stat} row ${i} fixed`);
          assert.ok(Math.abs(batched[i].value - s.value) <= 1e-9, `${stat} row ${i}`);
        }
      }
    });
    await t.step("uncertainties read after a batched fit", () => {
      const a = fitBatch(data, m)[3], b = fit(data.slice(3), m);
      a.uncertainties.forEach((u, i) => assert.ok(Math.abs(u - b.uncertainties[i]) < 1e-9));
    });
    if (name.includes("shapesys")) {
      await t.step("a deficit holds mu at its bound", () => {
        assert.ok(fitBatch(data, m)[1].atBound[m.poiIndex!]);
      });
    }
    if (name.includes("kinks")) {
      await t.step("Asimov data put minima at kinks", () => {
        assert.ok(fitBatch(data, m)[2].atKink.some(Boolean));
      });
    }
  });
}

Deno.test("runBatch: the optimiser's computation gives minimize's answer on every row", () => {
  // f_r(x, y) = (x − r)² + 10 (y + r)², x ≤ 1: rows 0..3, the bound active for r ≥ 1.
  const objective = (r: number) => ({
    value: ([x, y]: Float64Array) => (x - r) ** 2 + 10 * (y + r) ** 2,
    valueAndGrad: ([x, y]: Float64Array): [number, Float64Array] => [
      (x - r) ** 2 + 10 * (y + r) ** 2,
      Float64Array.of(2 * (x - r), 20 * (y + r)),
    ],
    hessian: () => Float64Array.of(2, 0, 0, 20),
  });
  const opts = { upper: [1, Infinity] };
  let calls = 0;
  const batch = {
    nparams: 2,
    values: (
      rows: Int32Array,
      xs: Float64Array,
    ) => (calls++,
      Float64Array.from(rows, (r, i) => objective(r).value(xs.subarray(2 * i, 2 * i + 2)))),
    valuesAndGrads: (rows: Int32Array, xs: Float64Array): [Float64Array, Float64Array] => {
      calls++;
      const g = new Float64Array(2 * rows.length);
      const v = Float64Array.from(rows, (r, i) => {
        const [f, gi] = objective(r).valueAndGrad(xs.subarray(2 * i, 2 * i + 2));
        g.set(gi, 2 * i);
        return f;
      });
      return [v, g];
    },
    hessians: (
      rows: Int32Array,
    ) => (calls++, Float64Array.from({ length: 4 * rows.length }, (_, k) => [2, 0, 0, 20][k % 4])),
  };
  const rs = runBatch(4, () => minimizeSteps([0, 0], opts), batch);
  rs.forEach((r, i) => {
    const s = minimize(objective(i), [0, 0], opts);
    assert.deepEqual(Array.from(r.x), Array.from(s.x));
    assert.deepEqual(r.active, s.active);
    assert.equal(r.iterations, s.iterations);
    assert.deepEqual(run(minimizeSteps([0, 0], opts), objective(i)).x, s.x);
  });
  assert.ok(calls < 4 * (rs[0].evaluations.value + rs[0].evaluations.gradient + 2));
});

Deno.test("batched fits fall back to one row at a time when a batched program fails", () => {
  const m = shapesysModel();
  const data = datasets(m);
  const boom = () => {
    throw new Error("boom");
  };
  Object.defineProperty(m, "compiledBatch", { get: () => ({ nll: boom, nllValueAndGrad: boom }) });
  Object.defineProperty(m, "structuredHessianBatch", { value: boom });
  const fits = fitBatch(data, m);
  fits.forEach((f, i) => {
    const s = fit(data.slice(i), m);
    assert.ok(Math.abs(f.twiceNll - s.twiceNll) <= 1e-9, `row ${i}`);
    assert.equal(f.iterations, s.iterations);
    assert.ok(f.warnings.some((w) => w.includes("batched NLL programs failed (boom)")));
  });
});
