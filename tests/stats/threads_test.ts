/**
 * Fits and hypothesis tests on a realistic model (200 bins, per-bin shapesys, normsys) give the
 * same bits with the CPU worker threads off and on (splitting at the default threshold and forced
 * on every kernel). Fits run jit-compiled Hessians on the CPU: a threading bug there shows as a
 * singular Hessian or a shifted CLs, the first thing a user with a real model meets.
 */
import assert from "node:assert/strict";
import { configureCpuParallel } from "../../mod.ts";
import { fit, fromPyhf, hypotest, type Model } from "../../stats/mod.ts";

/** 200 bins: a falling background with per-bin shapesys and a normsys, a bump of signal. */
function bigModel(bins = 200): Model {
  const bkg = Array.from({ length: bins }, (_, i) => 120 * Math.exp(-i / 80) + 5);
  const sig = Array.from({ length: bins }, (_, i) => 6 * Math.exp(-0.5 * ((i - 120) / 6) ** 2));
  const obs = bkg.map((b, i) => Math.round(b + 0.5 * sig[i] + 3 * Math.sin(i)));
  return fromPyhf({
    channels: [{
      name: "ch",
      samples: [
        {
          name: "signal",
          data: sig,
          modifiers: [{ name: "mu", type: "normfactor", data: null }],
        },
        {
          name: "bkg",
          data: bkg,
          modifiers: [
            { name: "shp", type: "shapesys", data: bkg.map((b) => 0.05 * b) },
            { name: "bnorm", type: "normsys", data: { hi: 1.05, lo: 0.95 } },
          ],
        },
      ],
    }],
    observations: [{ name: "ch", data: obs }],
    measurements: [{ name: "m", config: { poi: "mu", parameters: [] } }],
    version: "1.0.0",
  });
}

Deno.test("stats: fit and hypotest on a 200-bin model — same bits with workers off and on", () => {
  const model = bigModel();
  const run = () => {
    const f = fit(model.observed, model);
    const h = hypotest(1, model.observed, model, { returnExpectedSet: true });
    return { f, h };
  };
  const before = configureCpuParallel();
  try {
    configureCpuParallel({ threads: 1 });
    const one = run();
    assert.ok(one.f.converged, `one thread: fit did not converge: ${one.f.warnings}`);
    assert.ok(one.h.cls > 0 && one.h.cls < 1);
    for (const [threads, minWork] of [[2, before.minWork], [2, 0], [3, 0]]) {
      configureCpuParallel({ threads, minWork });
      const got = run();
      const what = `${threads} threads, minWork ${minWork}`;
      assert.ok(got.f.converged, `${what}: fit did not converge: ${got.f.warnings}`);
      assert.deepEqual(got.f.bestfit, one.f.bestfit, `${what}: best fit`);
      assert.equal(got.f.twiceNll, one.f.twiceNll, `${what}: 2·NLL`);
      assert.deepEqual(got.f.uncertainties, one.f.uncertainties, `${what}: uncertainties`);
      assert.equal(got.h.cls, one.h.cls, `${what}: CLs`);
      assert.deepEqual(got.h.clsExpectedSet, one.h.clsExpectedSet, `${what}: expected band`);
    }
  } finally {
    configureCpuParallel(before);
  }
});
