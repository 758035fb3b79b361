/**
 * Test statistics, asymptotic hypothesis tests, upper limits and discovery significance against
 * formulas worked out by hand for a one-bin counting experiment (signal s scaled by μ over a
 * known background b, no nuisance parameters), where every fit has a closed form; plus the
 * conventions (clipping, band order, options) and the errors.
 */
import assert from "node:assert/strict";
import { array } from "../../core/mod.ts";
import { ndtr } from "../../core/special.ts";
import { grad } from "../../ad/api.ts";
import {
  asimovSignificance,
  AsymptoticCalculator,
  asymptoticPvalues,
  discoverySignificance,
  fromPyhf,
  hypotest,
  type Model,
  q0,
  qmu,
  qmuTilde,
  safeSqrt,
  testStatistic,
  tmu,
  tmuTilde,
  upperLimit,
} from "../../stats/mod.ts";

const S = 10, B = 50;

/** One bin: signal S × μ (POI bounds [0, 10]) over background B; data = [n]. */
function counting(poiName: string | null = "mu"): Model {
  return fromPyhf({
    channels: [{
      name: "bin",
      samples: [
        { name: "sig", data: [S], modifiers: [{ name: "mu", type: "normfactor", data: null }] },
        { name: "bkg", data: [B], modifiers: [] },
      ],
    }],
    observations: [{ name: "bin", data: [B] }],
    measurements: [{ name: "m", config: { poi: "mu", parameters: [] } }],
    version: "1.0.0",
  }, { poiName: poiName === "mu" ? undefined : poiName });
}

/** −2 log L(μ) without the constant: 2(λ − n ln λ), λ = μS + B. */
const t2 = (mu: number, n: number) => 2 * (mu * S + B - n * Math.log(mu * S + B));
/** −2 log λ(μ) for data n, with μ̂ = max((n − B)/S, lo). */
function hand(mu: number, n: number, lo = 0) {
  const muhat = Math.max((n - B) / S, lo);
  return { muhat, llr: t2(mu, n) - t2(muhat, n) };
}
/** CLs by Cowan et al. / pyhf for q̃ (or q) from q and q_A, with Φ from core/special. */
function handCls(q: number, qA: number, tilde: boolean) {
  const sq = Math.sqrt(q), sqA = Math.sqrt(qA);
  const t = !tilde || sq < sqA ? sq - sqA : (q - qA) / (2 * sqA);
  const clsb = ndtr(-(t + sqA)), clb = ndtr(-t);
  const exp = [2, 1, 0, -1, -2].map((n) => ndtr(-(n + sqA)) / ndtr(-n));
  return { clsb, clb, cls: clsb / clb, exp };
}

const close = (got: number, want: number, rtol: number, what: string) =>
  assert.ok(
    Math.abs(got - want) <= rtol * Math.abs(want) + 1e-12,
    `${what}: got ${got}, want ${want}`,
  );

Deno.test("test statistics (counting experiment, closed forms)", async (t) => {
  const model = counting();
  const d = (n: number) => array([n], "float64");
  await t.step("excess: q0 = 2(n ln(n/b) − (n − b)), qμ, tμ", () => {
    const n = 68;
    close(q0(d(n), model), 2 * (n * Math.log(n / B) - (n - B)), 1e-9, "q0");
    // μ = 3 > μ̂ = 1.8: qμ = tμ = −2 log λ(3).
    const h = hand(3, n);
    close(qmu(3, d(n), model), h.llr, 1e-9, "qmu(3)");
    close(qmuTilde(3, d(n), model), h.llr, 1e-9, "qmuTilde(3)");
    close(tmu(3, d(n), model), h.llr, 1e-9, "tmu(3)");
    close(tmuTilde(3, d(n), model), h.llr, 1e-9, "tmuTilde(3)");
    // μ = 1 < μ̂: q clipped to 0, t not.
    assert.equal(qmu(1, d(n), model), 0);
    assert.equal(qmuTilde(1, d(n), model), 0);
    close(tmu(1, d(n), model), hand(1, n).llr, 1e-9, "tmu(1)");
  });
  await t.step("deficit: μ̂ at the bound 0 (q̃) or negative (q with a free POI)", () => {
    const n = 41;
    const free = { bounds: [[-10, 10]] as [number, number][] };
    // Bounded POI: μ̂ = 0, so q̃(1) compares with μ = 0.
    const tl = testStatistic("qmutilde", 1, d(n), model);
    assert.equal(tl.muhat, 0);
    close(tl.value, t2(1, n) - t2(0, n), 1e-9, "qmuTilde(1)");
    // Unbounded: μ̂ = (n − b)/s < 0; qμ compares with it, so it is larger.
    const tq = testStatistic("qmu", 1, d(n), model, free);
    close(tq.muhat, (n - B) / S, 1e-8, "muhat");
    close(tq.value, hand(1, n, -10).llr, 1e-9, "qmu(1)");
    assert.ok(tq.value > tl.value);
    // q0 is clipped to 0 when μ̂ < 0.
    assert.equal(q0(d(n), model, free), 0);
    assert.ok(testStatistic("tmu", 0, d(n), model, free).value > 0);
  });
  await t.step("notes where pyhf logs a warning", () => {
    assert.match(testStatistic("qmu", 1, d(60), model).notes.join(), /bounded at zero/);
    assert.match(
      testStatistic("qmutilde", 1, d(60), model, { bounds: [[-10, 10]] }).notes.join(),
      /not bounded at zero/,
    );
    assert.deepEqual(testStatistic("qmutilde", 1, d(60), model).notes, []);
  });
  await t.step("a free fit passed in is reused", () => {
    const first = testStatistic("qmutilde", 1, d(60), model);
    const again = testStatistic("qmutilde", 2, d(60), model, { freeFit: first.freeFit });
    assert.equal(again.freeFit, first.freeFit);
    close(again.value, hand(2, 60).llr, 1e-9, "qmuTilde(2)");
  });
  await t.step("errors", () => {
    // deno-lint-ignore no-explicit-any
    assert.throws(() => testStatistic("qq" as any, 1, d(60), model), /unknown test statistic "qq"/);
    assert.throws(() => qmu(NaN, d(60), model), /poiValue must be a finite number/);
    assert.throws(() => q0(d(60), counting(null)), /no parameter of interest/);
  });
});

Deno.test("asymptotic formulas", async (t) => {
  await t.step("q and q̃ branches, band order", () => {
    for (const [q, qA] of [[2.25, 4], [9, 4], [0, 4]]) {
      for (const tilde of [true, false]) {
        const r = asymptoticPvalues(tilde ? "qtilde" : "q", array(q, "float64"), qA);
        const h = handCls(q, qA, tilde);
        close(r.clsb.item(), h.clsb, 1e-12, `clsb(${q}, ${qA})`);
        close(r.clb.item(), h.clb, 1e-12, `clb(${q}, ${qA})`);
        close(r.cls.item(), h.cls, 1e-12, `cls(${q}, ${qA})`);
        [...r.expected.cls.dataSync()].forEach((v, i) => close(v, h.exp[i], 1e-12, `exp ${i}`));
      }
    }
    // In the special branch q̃ is not q: (9 − 4)/(2·2) = 1.25 vs 3 − 2 = 1.
    assert.equal(asymptoticPvalues("qtilde", 9, 4).teststat.item(), 1.25);
    assert.equal(asymptoticPvalues("q", 9, 4).teststat.item(), 1);
    const band = [...asymptoticPvalues("qtilde", 1, 4).expected.cls.dataSync()];
    assert.deepEqual(band, [...band].sort((a, b) => a - b), "the band ascends");
  });
  await t.step("q_A = 0 (no sensitivity): CLs = 1, not NaN", () => {
    const r = asymptoticPvalues("qtilde", 0, 0);
    assert.equal(r.cls.item(), 1);
    assert.ok([...r.expected.cls.dataSync()].every((v) => v === 1));
  });
  await t.step("finite gradients at q = 0 and q_A = 0", () => {
    assert.equal(grad((q) => safeSqrt(q))(array(0, "float64")).item(), 0);
    const g = grad((q) => asymptoticPvalues("qtilde", q, array(0, "float64")).cls)(
      array(0, "float64"),
    );
    assert.ok(Number.isFinite(g.item()));
    const gA = grad((qA) => asymptoticPvalues("qtilde", array(0, "float64"), qA).cls)(
      array(0, "float64"),
    );
    assert.ok(Number.isFinite(gA.item()));
  });
  await t.step("errors", () => {
    // deno-lint-ignore no-explicit-any
    assert.throws(() => asymptoticPvalues("t" as any, 1, 1), /testStat must be/);
  });
});

Deno.test("hypotest (counting experiment, closed forms)", async (t) => {
  const model = counting();
  const data = (n: number) => array([n], "float64");
  // Asimov at μ′ = 0 is n = b (no nuisance parameters to fit): q_A(μ) = 2(μs − b ln(1 + μs/b)).
  const qA = (mu: number) => 2 * (mu * S - B * Math.log(1 + (mu * S) / B));
  for (const [n, mu] of [[53, 1], [35, 1], [62, 2.5]]) {
    await t.step(`n = ${n}, μ = ${mu}: q̃ and q`, () => {
      const h = hand(mu, n);
      const q = h.muhat > mu ? 0 : h.llr;
      for (const testStat of ["qtilde", "q"] as const) {
        const r = hypotest(mu, data(n), model, {
          testStat,
          returnTail: true,
          returnExpected: true,
          returnExpectedSet: true,
        });
        const want = handCls(q, qA(mu), testStat === "qtilde");
        close(r.q, q, 1e-8, "q");
        close(r.qA, qA(mu), 1e-8, "qA");
        close(r.cls, want.cls, 1e-7, `${testStat} CLs`);
        close(r.clsb!, want.clsb, 1e-7, "CLsb");
        close(r.clb!, want.clb, 1e-7, "CLb");
        r.clsExpectedSet!.forEach((v, i) => close(v, want.exp[i], 1e-7, `CLs_exp[${i}]`));
        assert.equal(r.clsExpected, r.clsExpectedSet![2]);
        assert.ok(r.converged);
      }
    });
  }
  await t.step("q and q̃ differ where √q > √q_A (a deficit)", () => {
    const a = hypotest(1, data(35), model, { testStat: "qtilde" }).cls;
    const b = hypotest(1, data(35), model, { testStat: "q" }).cls;
    assert.ok(Math.abs(a - b) > 1e-3, `${a} vs ${b}`);
  });
  await t.step("return flags select the fields, as pyhf's return_* do", () => {
    const r = hypotest(1, data(53), model);
    assert.equal(r.clsb, undefined);
    assert.equal(r.clsExpected, undefined);
    assert.equal(r.clsExpectedSet, undefined);
  });
  await t.step("q0: p0 = Φ(−√q0), and the expected p0 band", () => {
    const n = 68;
    const r = hypotest(0, data(n), model, { testStat: "q0", returnExpectedSet: true });
    const q = 2 * (n * Math.log(n / B) - (n - B));
    close(r.cls, ndtr(-Math.sqrt(q)), 1e-8, "p0");
    // Asimov at μ′ = 1 is n = s + b.
    const zA = asimovSignificance(array([S], "float64"), array([B], "float64")).item();
    r.clsExpectedSet!.forEach((v, i) => close(v, ndtr(-([2, 1, 0, -1, -2][i] + zA)), 1e-8, "p0"));
  });
  await t.step("the calculator caches the fits that do not depend on μ", () => {
    const calc = new AsymptoticCalculator(data(53), model);
    const a = calc.evaluate(1), b = calc.evaluate(2);
    assert.equal(a.observedFits.freeFit, b.observedFits.freeFit);
    assert.equal(a.asimovFits.freeFit, b.asimovFits.freeFit);
    assert.equal(calc.asimovData, calc.asimovData);
  });
  await t.step("errors", () => {
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => hypotest(1, data(53), model, { calctype: "frequentist" as any }),
      /calctype must be "asymptotics" or "toybased"/,
    );
    // deno-lint-ignore no-explicit-any
    assert.throws(() => hypotest(1, data(53), model, { testStat: "t" as any }), /testStat must/);
    assert.throws(() => hypotest(1, data(53), counting(null)), /no parameter of interest/);
    assert.throws(() => hypotest(Infinity, data(53), model), /poiValue/);
  });
});

Deno.test("upper limits", async (t) => {
  const model = counting();
  const data = array([53], "float64");
  const r = upperLimit(data, model, { rtol: 1e-10 });
  await t.step("CLs = level at every limit (observed and expected band)", () => {
    const at = (mu: number) => hypotest(mu, data, model, { returnExpectedSet: true });
    close(at(r.obsLimit).cls, 0.05, 1e-7, "CLs(obs limit)");
    r.expLimits.forEach((mu, i) => close(at(mu).clsExpectedSet![i], 0.05, 1e-7, `exp ${i}`));
    assert.deepEqual(r.expLimits, [...r.expLimits].sort((a, b) => a - b), "band ascends");
    assert.ok(r.converged);
  });
  await t.step("a linear scan interpolates linearly between its points", () => {
    const scan = Array.from({ length: 11 }, (_, i) => i * 0.5);
    const s = upperLimit(data, model, { scan });
    assert.deepEqual(s.tested, scan);
    const curves = [
      s.results.map((x) => x.cls),
      ...[0, 1, 2, 3, 4].map((k) => s.results.map((x) => x.expected.cls[k])),
    ];
    [s.obsLimit, ...s.expLimits].forEach((lim, k) => {
      const ys = curves[k];
      const i = ys.findIndex((y) => y < 0.05);
      const want = scan[i - 1] + (0.05 - ys[i - 1]) * (scan[i] - scan[i - 1]) / (ys[i] - ys[i - 1]);
      close(lim, want, 1e-12, `curve ${k}`);
    });
  });
  await t.step("a fine scan approaches the root-finding limits", () => {
    const scan = Array.from({ length: 121 }, (_, i) => i * 0.05);
    const s = upperLimit(data, model, { scan });
    close(s.obsLimit, r.obsLimit, 2e-3, "scan obs");
    s.expLimits.forEach((v, i) => close(v, r.expLimits[i], 2e-3, `scan exp ${i}`));
  });
  await t.step("the search interval is widened as pyhf does", () => {
    const up = upperLimit(data, model, { poiRange: [0.1, 0.2], rtol: 1e-10 });
    assert.match(up.warnings.join(), /upper end of the search doubled/);
    close(up.obsLimit, r.obsLimit, 1e-8, "after doubling");
    const low = upperLimit(data, model, { poiRange: [20, 40], rtol: 1e-10 });
    assert.match(low.warnings.join(), /lower end of the search halved/);
    close(low.obsLimit, r.obsLimit, 1e-8, "after halving");
  });
  await t.step("errors", () => {
    assert.throws(() => upperLimit(data, model, { level: 1.5 }), /level must be in \(0, 1\)/);
    assert.throws(() => upperLimit(data, model, { scan: [1] }), /scan needs at least two/);
    assert.throws(() => upperLimit(data, model, { poiRange: [2, 1] }), /poiRange/);
    assert.throws(() => upperLimit(data, counting(null)), /no parameter of interest/);
  });
});

Deno.test("discovery significance", async (t) => {
  const model = counting();
  await t.step("observed Z0 = √q0 and expected Z0 = Cowan's Asimov formula", () => {
    const n = 68;
    const r = discoverySignificance(array([n], "float64"), model);
    const q = 2 * (n * Math.log(n / B) - (n - B));
    close(r.q0, q, 1e-9, "q0");
    close(r.z0, Math.sqrt(q), 1e-9, "Z0");
    close(r.p0, ndtr(-Math.sqrt(q)), 1e-8, "p0");
    const zA = asimovSignificance(array([S], "float64"), array([B], "float64")).item();
    close(r.z0Expected, zA, 1e-8, "Z0 expected");
    r.z0ExpectedSet.forEach((z, i) => close(z, [2, 1, 0, -1, -2][i] + zA, 1e-8, "Z0 band"));
    r.p0ExpectedSet.forEach((p, i) => close(p, ndtr(-r.z0ExpectedSet[i]), 1e-8, "p0 band"));
  });
  await t.step("a deficit gives Z0 = 0", () => {
    const r = discoverySignificance(array([41], "float64"), model);
    assert.equal(r.z0, 0);
    assert.equal(r.p0, 0.5);
  });
});
