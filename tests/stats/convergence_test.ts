/**
 * The fitter converges on realistic models and agrees with an independent minimisation to 1e-6
 * in −2 log L: the references in ./data/reference_fits.json come from a numpy re-implementation
 * of pyhf's likelihood minimised with Debian's scipy (bench/stats_reference_fits.py; pyhf itself
 * is not installable here). CI runs the smaller cases (20 bins + 50 normsys, 500 bins with
 * per-bin staterror, 200 nuisances); the benchmark runs all of them (5000 bins, 500 nuisances).
 * Also: ROOT's interpolation (code1/code0, kinks at α = 0) on a 61-parameter model converges —
 * parameters whose minimum sits on a kink are held there and reported — and `restarts` finds and
 * reports the two minima of the multimodal pyhf fixture.
 */
import assert from "node:assert/strict";
import { fit, fixedPoiFit, fromPyhf, hypotest } from "../../stats/mod.ts";
import { realisticWorkspace } from "./realistic_models.ts";
import { fixtureModel, listFixtures, readFixture } from "./fixtures.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const ref: Json = JSON.parse(
  Deno.readTextFileSync(new URL("./data/reference_fits.json", import.meta.url)),
);

/** Builds a reference case's workspace and checks it is the one the reference was computed on. */
export function referenceWorkspace(name: string): Record<string, unknown> {
  const c = ref.cases[name];
  const ws = realisticWorkspace(c.options);
  // deno-lint-ignore no-explicit-any
  const total = (ws.observations as any[]).reduce(
    (s, o) => s + o.data.reduce((a: number, b: number) => a + b, 0),
    0,
  );
  assert.equal(total, c.observed_total, `${name}: the generator changed; recompute the reference`);
  return ws;
}

for (const name of ["20bins_50normsys", "500bins_staterror", "200nuisances"]) {
  Deno.test(`convergence: ${name} agrees with scipy to 1e-6 in -2 log L`, () => {
    const c = ref.cases[name];
    const model = fromPyhf(referenceWorkspace(name));
    assert.equal(model.npars, c.npars);
    const r = fit(model.observed, model);
    assert.ok(r.converged, `${name}: ${r.message}`);
    assert.ok(r.edm < 1e-10, `${name}: EDM ${r.edm}`);
    assert.ok(
      Math.abs(r.twiceNll - c.twice_nll) < 1e-6,
      `${name}: -2 log L ${r.twiceNll}, scipy ${c.twice_nll}`,
    );
    // Never above the reference beyond rounding: a higher value would be a worse minimum.
    assert.ok(r.twiceNll < c.twice_nll + 1e-8, `${name}: zgrad's minimum is higher`);
    assert.ok(Math.abs(r.bestfit[model.poiIndex!] - c.mu_hat) < 1e-4, `${name}: mu_hat`);
  });
}

Deno.test("convergence: ROOT's interpolation (kinks at 0) on 61 parameters", () => {
  const ws = realisticWorkspace({ bins: 40, crBins: 10, nNormsys: 30, nHistosys: 20 });
  const model = fromPyhf(ws, {
    modifierSettings: { normsys: { interpcode: "code1" }, histosys: { interpcode: "code0" } },
  });
  assert.equal(model.npars, 61);
  const h = hypotest(1, model.observed, model, { returnExpectedSet: true });
  assert.ok(h.converged, h.warnings.join("; "));
  const fits = [
    h.detail.observedFits.freeFit,
    h.detail.observedFits.fixedFit,
    h.detail.asimovFits.freeFit,
    h.detail.asimovFits.fixedFit,
  ];
  for (const f of fits) {
    assert.ok(f.iterations < 30, `${f.iterations} iterations: ${f.message}`);
    // Held at a kink means exactly at α = 0, and reported.
    f.atKink.forEach((k, i) => {
      if (k) assert.equal(f.bestfit[i], 0);
    });
    if (f.atKink.some(Boolean)) {
      assert.ok(f.warnings.some((w) => w.includes("at the kink of the interpolation")));
    }
  }
  assert.ok(fits.some((f) => f.atKink.some(Boolean)), "this model has minima at kinks");
});

const { files, reason } = listFixtures();
const multimodal = "validation_2bin_2channel_coupledhistosys.json";
Deno.test({
  name: `restarts: both minima of the multimodal fixture${reason ? ` (skipped: ${reason})` : ""}`,
  ignore: Boolean(reason) || !files.includes(multimodal),
  fn() {
    const fx = readFixture(multimodal);
    const model = fixtureModel(fx);
    const plain = fixedPoiFit(1, model.observed, model);
    assert.equal(plain.start, "suggested init");
    assert.equal(plain.minima, undefined);
    const r = fixedPoiFit(1, model.observed, model, { restarts: true });
    assert.ok(r.minima && r.minima.length === 2, JSON.stringify(r.minima));
    assert.deepEqual(r.minima.map((m) => m.start), ["suggested init", "free fit"]);
    const best = Math.min(...r.minima.map((m) => m.twiceNll));
    assert.equal(r.twiceNll, best);
    // The fixtures' README: SLSQP from suggested init gives 31.3751, iminuit a lower 30.8717.
    const q = fx.queries.find((q: Json) =>
      q.what === "fixed_poi_fit" && q.args.poi_value === 1 && q.args.data === "observed"
    );
    const fromInit = r.minima.find((m) => m.start === "suggested init")!.twiceNll;
    assert.ok(Math.abs(fromInit - q.expected.twice_nll) < 1e-5, `${fromInit}`);
    if (r.minima.some((m) => Math.abs(m.twiceNll - best) > 1e-6)) {
      assert.ok(r.warnings.some((w) => w.startsWith("several minima")), r.warnings.join("; "));
    }
    console.log(
      `coupledhistosys fixed-μ=1 minima: ${
        r.minima.map((m) => `${m.twiceNll} (${m.start})`).join(", ")
      }`,
    );
  },
});
