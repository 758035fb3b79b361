/**
 * Toy-based hypothesis tests (pyhf's ToyCalculator): pseudo-data follow the model (Poisson main
 * counts, normal and Poisson auxiliary data), the same seed gives the same numbers, and in the
 * asymptotic regime (large counts) toys agree with the asymptotic formulas within their
 * statistical error.
 */
import assert from "node:assert/strict";
import { random } from "../../mod.ts";
import { fromPyhf, hypotest, testStatistic, upperLimit } from "../../stats/mod.ts";
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

Deno.test("toys: how many are fitted at once does not change a number", () => {
  const m = model(0.1);
  const newton = { ntoys: 30, seed: 2, toyFits: "newton" } as const;
  const a = toyHypotest(1, m.observed, m, newton);
  const b = toyHypotest(1, m.observed, m, { ...newton, batchSize: 1 });
  const c = toyHypotest(1, m.observed, m, { ...newton, batchSize: 7 });
  assert.deepEqual(a.distributions, b.distributions);
  assert.deepEqual(a.distributions, c.distributions);
  // And each toy's statistic is the sequential testStatistic's on that toy (the s+b toys are
  // drawn from the first half of the seed's key).
  const sb = m.suggestedInit.map((v, i) => (i === m.poiIndex ? 1 : v));
  const toys = sampleToys(m, sb, 30, random.split(random.key(2), 2).slice(0));
  for (const t of [0, 13, 29]) {
    const q = testStatistic("qmutilde", 1, toys.slice(t), m).value;
    assert.ok(Math.abs(q - a.distributions.signalPlusBackground[t]) < 1e-9, `toy ${t}`);
  }
});

Deno.test("toys: the shared-Hessian quasi-Newton fits find the Newton fitter's statistics", async (t) => {
  for (const testStat of ["qtilde", "q0"] as const) {
    await t.step(testStat, () => {
      const m = model(0.1);
      const opts = { ntoys: 60, seed: 9, testStat };
      const poi = testStat === "q0" ? 0 : 1;
      const q = toyHypotest(poi, m.observed, m, opts);
      const n = toyHypotest(poi, m.observed, m, { ...opts, toyFits: "newton" });
      for (const which of ["signalPlusBackground", "backgroundOnly"] as const) {
        const a = q.distributions[which], b = n.distributions[which];
        a.forEach((v, i) =>
          assert.ok(Math.abs(v - b[i]) < 1e-8, `${which}[${i}]: ${v} vs ${b[i]}`)
        );
      }
      assert.equal(q.cls, n.cls);
      assert.deepEqual(q.clsExpectedSet, n.clsExpectedSet);
      assert.ok(q.converged && q.distributions.failedFits === 0);
    });
  }
  await t.step("an unknown toyFits is refused", () => {
    const m = model(0.1);
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => toyHypotest(1, m.observed, m, { ntoys: 5, toyFits: "bfgs" as any }),
      /toyFits must be "quasi-newton" or "newton", got "bfgs"/,
    );
  });
});

Deno.test("toys: a calculator tested at several μ gives each μ's fresh numbers", () => {
  // The background-only toys and their free fits are kept across μ (an upper-limit scan).
  for (const toyFits of ["quasi-newton", "newton"] as const) {
    const m = model(0.1);
    const opts = { ntoys: 40, seed: 4, toyFits };
    const scan = new ToyCalculator(m.observed, m, opts);
    const first = scan.distributions(0.5);
    const again = scan.distributions(2);
    const fresh = new ToyCalculator(m.observed, m, opts).distributions(2);
    assert.deepEqual(again, fresh, toyFits);
    assert.notDeepEqual(first.backgroundOnly, again.backgroundOnly, "q depends on the tested μ");
  }
});

Deno.test("toys: progress is reported for every toy", () => {
  const m = model(0.1);
  const seen: number[] = [];
  toyHypotest(1, m.observed, m, {
    ntoys: 25,
    onProgress: (d, n) => (seen.push(d), assert.equal(n, 50)),
  });
  assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => i + 1));
});

Deno.test("hypotest(calctype: toybased) is the ToyCalculator's test, shaped like pyhf's", () => {
  const m = model(0.1);
  const opts = { ntoys: 60, seed: 5 };
  const t = toyHypotest(1, m.observed, m, opts);
  const h = hypotest(1, m.observed, m, {
    calctype: "toybased",
    ...opts,
    returnTail: true,
    returnExpected: true,
    returnExpectedSet: true,
  });
  assert.equal(h.calctype, "toybased");
  assert.equal(h.cls, t.cls);
  assert.equal(h.clsb, t.clsb);
  assert.equal(h.clb, t.clb);
  assert.deepEqual(h.clsExpectedSet, t.clsExpectedSet);
  assert.equal(h.clsExpected, t.clsExpectedSet[2]);
  assert.equal(h.ntoys, 60);
  assert.equal(h.seed, 5);
  assert.equal(hypotest(1, m.observed, m, { calctype: "toybased", ...opts }).clsb, undefined);
  assert.throws(() => hypotest(1, m.observed, m, { ntoys: 10 }), /ntoys and seed need calctype/);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => hypotest(1, m.observed, m, { calctype: "frequentist" as any }),
    /calctype must be "asymptotics" or "toybased"/,
  );
  assert.throws(
    () => hypotest(20, m.observed, m, { calctype: "toybased", ntoys: 5 }),
    /outside the POI bounds/,
  );
});

Deno.test("upperLimit(calctype: toybased) agrees with asymptotics in the asymptotic regime", () => {
  const m = model();
  const scan = [0.5, 1, 1.5, 2, 2.5, 3];
  const asy = upperLimit(m.observed, m, { scan });
  const toy = upperLimit(m.observed, m, { scan, calctype: "toybased", ntoys: 200, seed: 4 });
  assert.equal(toy.results.length, scan.length);
  assert.ok(toy.results.every((r) => r.distributions.backgroundOnly.length === 200));
  // CLs from 200 toys is good to a few 0.01 here; the limit moves by that over dCLs/dμ.
  assert.ok(
    Math.abs(toy.obsLimit - asy.obsLimit) < 0.15 * asy.obsLimit,
    `observed limit: toys ${toy.obsLimit}, asymptotics ${asy.obsLimit}`,
  );
  assert.ok(
    Math.abs(toy.expLimits[2] - asy.expLimits[2]) < 0.15 * asy.expLimits[2],
    `median expected limit: toys ${toy.expLimits[2]}, asymptotics ${asy.expLimits[2]}`,
  );
});

const canRun = Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state ===
  "granted";

Deno.test({
  name: `CLI: hypotest --calctype toybased${canRun ? "" : " (skipped: needs --allow-run)"}`,
  ignore: !canRun,
  fn: async () => {
    const ws = new URL("./data/simple.json", import.meta.url).pathname;
    const root = new URL("../../", import.meta.url).pathname;
    const run = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "cli.ts", ...args],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    };
    const r = await run(
      "hypotest",
      ws,
      "--calctype",
      "toybased",
      "--ntoys",
      "40",
      "--seed",
      "9",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.settings.calctype, "toybased");
    assert.equal(j.settings.ntoys, 40);
    assert.equal(j.settings.seed, 9);
    assert.equal(j.metric.q_asimov, null);
    assert.match(r.stderr, /toys/, "progress on stderr");
    const m = fromPyhf(JSON.parse(Deno.readTextFileSync(ws)));
    const api = toyHypotest(1, m.observed, m, { ntoys: 40, seed: 9 });
    assert.equal(j.metric.cls_obs, api.cls);
    assert.deepEqual(j.metric.cls_exp, api.clsExpectedSet);
    const asy = await run("hypotest", ws, "--json");
    assert.equal(JSON.parse(asy.stdout).settings.calctype, "asymptotics");
    assert.equal(JSON.parse(asy.stdout).settings.ntoys, null);
    const bad = await run("hypotest", ws, "--ntoys", "10");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--ntoys needs --calctype toybased/);
    const badSig = await run("significance", ws, "--calctype", "toybased");
    assert.equal(badSig.code, 2);
  },
});
