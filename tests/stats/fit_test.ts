/**
 * Fits: the optimiser on known problems (bounds, fixed parameters, failure reporting), fits of a
 * model with every modifier type (stationarity, bounds, warm starts, covariance against finite
 * differences of the Hessian) and Asimov data round trips.
 */
import assert from "node:assert/strict";
import { array } from "../../core/mod.ts";
import { grad } from "../../ad/api.ts";
import {
  fit,
  FitError,
  fixedPoiFit,
  minimize,
  type Objective,
  stationarity,
} from "../../stats/mod.ts";
import { everyModifierModel } from "./models.ts";

/** f(x, y) = (x − 2)² + 10(y + 1)² + x y. */
const quadratic: Objective = {
  value: ([x, y]) => (x - 2) ** 2 + 10 * (y + 1) ** 2 + x * y,
  valueAndGrad: ([x, y]) => [
    (x - 2) ** 2 + 10 * (y + 1) ** 2 + x * y,
    Float64Array.of(2 * (x - 2) + y, 20 * (y + 1) + x),
  ],
  hessian: () => Float64Array.of(2, 1, 1, 20),
};

Deno.test("minimize", async (t) => {
  await t.step("unbounded quadratic: exact minimum", () => {
    const r = minimize(quadratic, [0, 0]);
    // ∇f = 0: 2x + y = 4, x + 20y = −20 → x = 100/39, y = −44/39.
    assert.ok(r.converged, r.message);
    assert.ok(Math.abs(r.x[0] - 100 / 39) < 1e-12 && Math.abs(r.x[1] + 44 / 39) < 1e-12);
  });
  await t.step("an active bound holds its parameter, the rest is optimal", () => {
    const r = minimize(quadratic, [0, 0], { upper: [1, Infinity] });
    assert.ok(r.converged);
    assert.equal(r.x[0], 1);
    assert.ok(Math.abs(r.x[1] - -21 / 20) < 1e-12); // ∂f/∂y = 0 at x = 1
    assert.deepEqual(r.active, [true, false]);
  });
  await t.step("fixed parameters keep their initial value", () => {
    const r = minimize(quadratic, [3, 0], { fixed: [true, false] });
    assert.equal(r.x[0], 3);
    assert.ok(Math.abs(r.x[1] - -23 / 20) < 1e-12);
  });
  await t.step("non-convex start: damping finds the minimum of a Rosenbrock valley", () => {
    const rosen: Objective = {
      value: ([x, y]) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
      valueAndGrad: ([x, y]) => [
        (1 - x) ** 2 + 100 * (y - x * x) ** 2,
        Float64Array.of(-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)),
      ],
      hessian: ([x, y]) => Float64Array.of(2 - 400 * (y - 3 * x * x), -400 * x, -400 * x, 200),
    };
    const r = minimize(rosen, [-1.2, 1]);
    assert.ok(r.converged, r.message);
    assert.ok(Math.abs(r.x[0] - 1) < 1e-6 && Math.abs(r.x[1] - 1) < 1e-6);
  });
  await t.step("failure is reported, not hidden", () => {
    const r = minimize(quadratic, [0, 0], { maxIter: 0 });
    assert.equal(r.converged, false);
    assert.match(r.message, /maximum number of iterations/);
    assert.ok(r.warnings.length > 0);
    const bad = minimize({ ...quadratic, valueAndGrad: () => [NaN, Float64Array.of(0, 0)] }, [
      0,
      0,
    ]);
    assert.equal(bad.converged, false);
    assert.match(bad.message, /not finite/);
  });
});

Deno.test("fits of a model with every modifier type", async (t) => {
  const model = everyModifierModel();
  const data = model.observed;
  const r = fit(data, model);
  await t.step("converges; gradient vanishes on free parameters", () => {
    assert.ok(r.converged, r.message);
    assert.deepEqual(r.warnings, []);
    const F = stationarity(model, data, r.fixed.map((f, i) => f || r.atBound[i]), r.bestfit);
    const res = F(r.pars).dataSync();
    for (const v of res) assert.ok(Math.abs(v) < 1e-5, `stationarity residual ${v}`);
  });
  await t.step("twiceNll = −2 logpdf at the best fit", () => {
    assert.ok(Math.abs(r.twiceNll - model.twiceNll(r.pars, data).item()) < 1e-12);
  });
  await t.step("covariance = inverse of the finite-difference Hessian of the NLL", () => {
    const n = model.npars;
    const g = (x: number[]) => [...grad((p) => model.nll(p, data))(array(x, "float64")).dataSync()];
    const free = r.fixed.flatMap((f, i) => (f ? [] : [i]));
    const H = free.map((i) =>
      free.map((j) => {
        const a = [...r.bestfit], b = [...r.bestfit];
        a[j] += 1e-5;
        b[j] -= 1e-5;
        return (g(a)[i] - g(b)[i]) / 2e-5;
      })
    );
    // H · cov_free should be the identity.
    for (let a = 0; a < free.length; a++) {
      for (let b = 0; b < free.length; b++) {
        let s = 0;
        for (let k = 0; k < free.length; k++) s += H[a][k] * r.covariance[free[k]][free[b]];
        assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-5, `(H·C)[${a}][${b}] = ${s}`);
      }
    }
    assert.equal(r.covariance.length, n);
    free.forEach((i) =>
      assert.ok(Math.abs(r.uncertainties[i] - Math.sqrt(r.covariance[i][i])) < 1e-15)
    );
    free.forEach((i) => assert.equal(r.correlation[i][i], 1));
  });
  await t.step(
    "fixed POI: held at its value, and the profile is never below the global minimum",
    () => {
      const r1 = fixedPoiFit(2, data, model);
      assert.ok(r1.converged);
      assert.equal(r1.bestfit[model.poiIndex!], 2);
      assert.equal(r1.uncertainties[model.poiIndex!], 0);
      assert.ok(r1.twiceNll >= r.twiceNll);
    },
  );
  await t.step("a bound becomes active: μ̂ pinned at 0 when the data favour μ < 0", () => {
    const main = [...model.mainData(data).dataSync()];
    const low = model.data(main.map((v, i) => (i >= 2 ? v * 0.6 : v))); // deficit in the SR
    const rl = fit(low, model);
    assert.ok(rl.converged, rl.message);
    assert.equal(rl.bestfit[model.poiIndex!], 0);
    assert.equal(rl.atBound[model.poiIndex!], true);
    assert.ok(rl.gradient[model.poiIndex!] > 0);
  });
  await t.step("a warm start from the answer converges at once", () => {
    const again = fit(data, model, { init: r.bestfit });
    assert.ok(again.converged);
    assert.ok(again.iterations <= 1, `${again.iterations} iterations`);
    assert.ok(Math.abs(again.twiceNll - r.twiceNll) < 1e-9);
  });
  await t.step("fixing by name", () => {
    const rf = fit(data, model, { fixed: { jes: true } });
    assert.equal(rf.bestfitByName.jes[0], 0);
  });
  await t.step("non-convergence: reported, or thrown with strict", () => {
    const r0 = fit(data, model, { maxIter: 1 });
    assert.equal(r0.converged, false);
    assert.ok(r0.warnings.some((w) => /maximum number of iterations/.test(w)));
    assert.throws(() => fit(data, model, { maxIter: 1, strict: true }), FitError);
  });
  await t.step("jit and eager evaluation agree", () => {
    const re = fit(data, model, { jit: false });
    assert.ok(Math.abs(re.twiceNll - r.twiceNll) < 1e-9);
  });
});

Deno.test("Asimov data round trips", async (t) => {
  const model = everyModifierModel();
  await t.step("nominal Asimov at μ = 1.5: the fit returns μ = 1.5 and nominal nuisances", () => {
    const asimov = model.asimovData(1.5, { fitNuisances: false });
    const r = fit(asimov, model);
    assert.ok(r.converged, r.message);
    const want = [...model.suggestedInit];
    want[model.poiIndex!] = 1.5;
    r.bestfit.forEach((v, i) =>
      assert.ok(Math.abs(v - want[i]) < 1e-6, `${model.parLabels[i]}: ${v} vs ${want[i]}`)
    );
  });
  await t.step("fitted Asimov: expected data at the conditional fit; refit recovers it", () => {
    const cond = fixedPoiFit(0.5, model.observed, model);
    const asimov = model.asimovData(0.5);
    const direct = model.expectedData(cond.pars).dataSync();
    asimov.dataSync().forEach((v, i) => assert.ok(Math.abs(v - direct[i]) < 1e-9));
    const r = fit(asimov, model);
    r.bestfit.forEach((v, i) =>
      assert.ok(Math.abs(v - cond.bestfit[i]) < 1e-5, model.parLabels[i])
    );
  });
});
