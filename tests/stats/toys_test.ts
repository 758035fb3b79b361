/**
 * Toy-based hypothesis tests (pyhf's ToyCalculator): pseudo-data follow the model (Poisson main
 * counts, normal and Poisson auxiliary data), the same seed gives the same numbers, and in the
 * asymptotic regime (large counts) toys agree with the asymptotic formulas within their
 * statistical error.
 */
import assert from "node:assert/strict";
import { random } from "../../mod.ts";
import { fromPyhf, hypotest } from "../../stats/mod.ts";
import { sampleToys, ToyCalculator, toyHypotest } from "../../stats/toys.ts";

/** One channel, 3 bins, normsys + shapesys on the background, large counts. */
function model(scale = 1) {
  const bkg = [400, 300, 200].map((b) => b * scale);
  return fromPyhf({
    channels: [{
      name: "sr",
      samples: [
        {
          name: "sig",
          data: [20, 30, 25].map((s) => s * scale),
          modifiers: [{ name: "mu", type: "normfactor", data: null }],
        },
        {
          name: "bkg",
          data: bkg,
          modifiers: [
            { name: "bnorm", type: "normsys", data: { hi: 1.03, lo: 0.97 } },
            { name: "stat", type: "shapesys", data: bkg.map((b) => 0.02 * b) },
          ],
        },
      ],
    }],
    observations: [{ name: "sr", data: [405, 310, 210].map((n) => Math.round(n * scale)) }],
    measurements: [{ name: "m", config: { poi: "mu", parameters: [] } }],
    version: "1.0.0",
  });
}

Deno.test("toys: pseudo-data follow the model", () => {
  const m = model();
  const pars = m.suggestedInit;
  const n = 4000;
  const toys = sampleToys(m, pars, n, random.key(5));
  assert.deepEqual(toys.shape, [n, m.nMain + m.nAux]);
  const mean = toys.mean(0).dataSync();
  const sd = toys.sub(toys.mean(0)).square().mean(0).sqrt().dataSync();
  const want = m.expectedData(pars).dataSync();
  const { kinds } = m.auxConstraints();
  // Main counts: Poisson (mean = variance); normsys aux: N(0, 1); shapesys aux: Poisson(τ).
  for (let i = 0; i < m.nMain + m.nAux; i++) {
    const kind = i < m.nMain ? "poisson" : kinds[i - m.nMain];
    const sigma = kind === "poisson" ? Math.sqrt(want[i]) : 1;
    assert.ok(Math.abs(mean[i] - want[i]) < 5 * sigma / Math.sqrt(n), `entry ${i}: mean`);
    assert.ok(Math.abs(sd[i] - sigma) < 0.05 * sigma, `entry ${i}: sd ${sd[i]} vs ${sigma}`);
  }
  const main = toys.slice(null, `0:${m.nMain}`).dataSync();
  assert.ok(main.every((v) => Number.isInteger(v) && v >= 0), "main counts are counts");
});

Deno.test("toys: same seed, same result; another seed, other toys", () => {
  const m = model(0.1);
  const a = toyHypotest(1, m.observed, m, { ntoys: 40, seed: 3 });
  const b = toyHypotest(1, m.observed, m, { ntoys: 40, seed: 3 });
  assert.deepEqual(a.distributions, b.distributions);
  assert.equal(a.cls, b.cls);
  const c = toyHypotest(1, m.observed, m, { ntoys: 40, seed: 4 });
  assert.notDeepEqual(c.distributions.backgroundOnly, a.distributions.backgroundOnly);
  assert.ok(a.converged);
});

Deno.test("toys agree with asymptotics in the asymptotic regime", () => {
  const m = model();
  const ntoys = 300;
  for (const testStat of ["qtilde", "q0"] as const) {
    const mu = testStat === "q0" ? 0 : 1;
    const toy = toyHypotest(mu, m.observed, m, { ntoys, seed: 11, testStat });
    const asy = hypotest(mu, m.observed, m, { testStat, returnTail: true });
    // Binomial error of a tail fraction p from n toys: √(p(1−p)/n) ≤ 0.029; allow 3.5σ.
    const tol = 3.5 * Math.sqrt(0.25 / ntoys);
    assert.ok(Math.abs(toy.clsb - asy.clsb!) < tol, `${testStat}: CLsb ${toy.clsb} vs ${asy.clsb}`);
    if (testStat !== "q0") {
      assert.ok(Math.abs(toy.clb - asy.clb!) < tol, `${testStat}: CLb ${toy.clb} vs ${asy.clb}`);
    }
    assert.ok(Math.abs(toy.q - asy.q) < 1e-9, "the observed statistic is the same");
  }
});

Deno.test("toys: expected band ascends; bad options are errors", () => {
  const m = model(0.1);
  const calc = new ToyCalculator(m.observed, m, { ntoys: 60, seed: 1 });
  const band = calc.expectedPvalues(calc.distributions(1));
  assert.equal(band.length, 5);
  for (let i = 1; i < 5; i++) assert.ok(band[i] >= band[i - 1], `${band}`);
  assert.throws(() => new ToyCalculator(m.observed, m, { ntoys: 0 }), /ntoys must be a positive/);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => new ToyCalculator(m.observed, m, { testStat: "tmu" as any }),
    /testStat must be "qtilde", "q" or "q0"/,
  );
});
