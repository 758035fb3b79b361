/**
 * Statistics benchmark (issue 13): against pyhf's recorded timings (../shared/fixtures/pyhf/README.md,
 * "Performance anchor": numpy backend, default SLSQP, median of 5 after a warm-up, this machine).
 *
 * 1. A pyhf-like model — 50 bins (a 40-bin signal region and a 10-bin control region), 61
 *    parameters: the POI, 30 normsys, 20 histosys and a 10-bin staterror, pyhf's default
 *    interpolation (tests/stats/realistic_models.ts) — the size of pyhf's recorded Z'→tt̄ model:
 *    fit, hypotest (μ = 1, q̃, tails + expected band), upper limit (root finding, observed + 5
 *    expected), discovery significance and a 60-nuisance ranking. Target: ≥ 100× pyhf for the
 *    hypotest (4.07 s) and the upper limit (194.4 s). The two models are not the same workspace
 *    (pyhf's is not in ../shared), only the same size and modifier mix.
 * 2. The pyhf fixtures `backend_consistency_50bin_shapesys` (51 parameters; pyhf's hypotest took
 *    1.02 s) and `readme_uncorrelated_background`, checked against the fixtures' values.
 * 4. Toys (pyhf's ToyCalculator, `calctype: "toybased"`) on the model of 1.: `--toys=N` (default
 *    10⁴) signal-plus-background and N background-only toys at μ = 1, each fitted twice (free and
 *    fixed μ) by the default quasi-Newton fits from a shared Hessian (stats/quasi_newton.ts),
 *    against pyhf's recorded fit time; per toy against the Newton fitter, batched and one by one.
 * 3. The scaling series of the convergence tests (20 bins + 50 normsys, 500 bins with per-bin
 *    staterror, 5000 bins, 200 and 500 nuisances): fit time, time per gradient and per Hessian,
 *    memory, and −2 log L against the scipy references in tests/stats/data/reference_fits.json.
 *
 * Times: `first` is a fresh model (build, trace, compile, run); then the median of `--reps` warm
 * calls, as wall clock, and the mean CPU time of the process (from /proc/self/stat, all threads: a fair
 * number when other work shares the machine; null where unavailable). Every result is checked, so
 * a fast wrong answer fails the run (exit code 1).
 *
 * Run: `deno run --allow-read --allow-env bench/stats_bench.ts [--reps=5] [--skip-scaling] [--toys=N]
 * [--only=toys] [--threads=N]
 * [--dump-workspaces=DIR]` (CPU times need `deno run -A`: Deno reads /proc/self only then; the
 * last flag writes the scaling workspaces for
 * bench/stats_reference_fits.py, with --allow-write, and exits).
 *
 * @module
 */
import {
  discoverySignificance,
  fit,
  fromPyhf,
  hypotest,
  type Model,
  ranking,
  upperLimit,
} from "../stats/mod.ts";
import { realisticWorkspace } from "../tests/stats/realistic_models.ts";
import { sampleToys, ToyCalculator } from "../stats/toys.ts";
import { testStatistic } from "../stats/teststat.ts";
import * as random from "../core/random.ts";
import { configureCpuParallel } from "../jit/cpu/parallel.ts";

const argv = new Map(
  Deno.args.map((a) => a.replace(/^--/, "").split("=")).map(([k, v]) => [k, v ?? "1"]),
);
const REPS = Number(argv.get("reps") ?? 5);

const dir = new URL("../../shared/fixtures/pyhf/", import.meta.url);

// deno-lint-ignore no-explicit-any
type Json = any;

function load(name: string): Json | null {
  try {
    return JSON.parse(Deno.readTextFileSync(new URL(name, dir)));
  } catch (e) {
    console.log(
      `stats bench skipped: cannot read ${new URL(name, dir).pathname} (${(e as Error).name}; ` +
        `a fresh clone has no ../shared, and the bench needs --allow-read)`,
    );
    return null;
  }
}

function build(fx: Json): Model {
  return fromPyhf(fx.spec, { measurement: fx.measurement, modifierSettings: fx.modifier_settings });
}

/** CPU seconds of this process (user + system, all threads), or null (Deno reads /proc/self only with -A). */
function cpu(): number | null {
  try {
    const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // clock ticks, USER_HZ = 100 on Linux
  } catch {
    return null;
  }
}

interface Timing {
  first: number;
  median: number;
  min: number;
  max: number;
  /** Mean CPU seconds per warm call (null without /proc). */
  cpu: number | null;
}

/** First call on a fresh model (build included), then `reps` warm calls; seconds. */
function timeOn<T>(make: () => Model, op: (m: Model) => T, reps = REPS): { t: Timing; result: T } {
  const t0 = performance.now();
  const m = make();
  let result = op(m);
  const first = (performance.now() - t0) / 1000;
  const times: number[] = [];
  const c0 = cpu(); // the CPU clock ticks at 10 ms: a mean over the calls, not a median
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    result = op(m);
    times.push((performance.now() - s) / 1000);
  }
  const c1 = cpu();
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  times.sort((a, b) => a - b);
  return {
    t: {
      first,
      median: med(times),
      min: times[0],
      max: times.at(-1)!,
      cpu: c0 === null || c1 === null ? null : (c1 - c0) / reps,
    },
    result,
  };
}

function time<T>(fx: Json, op: (m: Model) => T): { t: Timing; result: T } {
  return timeOn(() => build(fx), op);
}

function s(x: number): string {
  return x < 0.01 ? `${(x * 1000).toFixed(2)} ms` : `${x.toFixed(3)} s`;
}

const problems: string[] = [];
function check(what: string, got: number, want: number, rtol: number, atol = 0) {
  if (!(Math.abs(got - want) <= atol + rtol * Math.abs(want))) {
    problems.push(`${what}: got ${got}, fixture ${want}`);
  }
}

function query(fx: Json, pred: (q: Json) => boolean): Json {
  const q = fx.queries.find(pred);
  if (!q) throw new Error(`${fx.name}: query not found`);
  return q;
}

function report(name: string, t: Timing, pyhf: number | null, note = "") {
  const ratio = pyhf === null
    ? ""
    : `  pyhf ${s(pyhf)} → ${(pyhf / t.median).toFixed(0)}× (wall)${
      t.cpu ? `, ${(pyhf / t.cpu).toFixed(0)}× (CPU)` : ""
    }`;
  console.log(
    `  ${name.padEnd(48)} first ${s(t.first).padStart(9)}  median ${s(t.median).padStart(9)}  ` +
      `CPU ${t.cpu === null ? "n/a" : s(t.cpu).padStart(9)}  min ${
        s(t.min).padStart(9)
      }${ratio}${note}`,
  );
}

function benchCase(file: string, pyhf: Record<string, number>, withRanking: boolean) {
  const fx = load(file);
  if (!fx) return false;
  const mi = fx.model_info;
  console.log(
    `\n${fx.name}: ${mi.channels.length} channel(s), ${
      mi.channel_nbins
        ? Object.values(mi.channel_nbins).reduce((a: number, b) => a + Number(b), 0)
        : "?"
    } bins, ${mi.npars} parameters (${REPS} warm calls)`,
  );
  const data = (m: Model) => m.observed;

  const f = time(fx, (m) => fit(data(m), m));
  const qf = query(fx, (q) => q.what === "mle_fit" && q.args.data === "observed");
  check(`${file} fit twice_nll`, f.result.twiceNll, qf.expected.twice_nll, 1e-8, 1e-5);
  report("fit (mle)", f.t, pyhf.fit ?? null);

  const h = time(fx, (m) => hypotest(1, data(m), m, { returnTail: true, returnExpectedSet: true }));
  const qh = query(
    fx,
    (q) =>
      q.what === "hypotest" && q.args.data === "observed" && q.args.poi_value === 1 &&
      q.args.test_stat === "qtilde",
  );
  check(`${file} CLs_obs`, h.result.cls, qh.expected.CLs_obs, 1e-4, 1e-12);
  qh.expected.CLs_exp.forEach((v: number, k: number) =>
    check(`${file} CLs_exp[${k}]`, h.result.clsExpectedSet![k], v, 1e-4, 1e-12)
  );
  report("hypotest (mu = 1, qtilde, tails + expected set)", h.t, pyhf.hypotest ?? null);

  const d = time(fx, (m) => discoverySignificance(data(m), m));
  const qd = query(fx, (q) => q.what === "discovery" && q.args.data === "observed");
  check(`${file} Z0_obs`, d.result.z0, qd.expected.Z0_obs, 0, 1e-4);
  report("discovery significance (q0)", d.t, null);

  const u = time(fx, (m) => upperLimit(data(m), m));
  const qu = query(
    fx,
    (q) => q.what === "upper_limit" && String(q.args.method).startsWith("toms748"),
  );
  check(`${file} obs_limit`, u.result.obsLimit, qu.expected.obs_limit, 1e-3);
  qu.expected.exp_limits.forEach((v: number, k: number) =>
    check(`${file} exp_limits[${k}]`, u.result.expLimits[k], v, 1e-3)
  );
  report(
    "upper limit (root finding, obs + 5 expected)",
    u.t,
    pyhf.upperLimit ?? null,
    `  [${u.result.tested.length} hypotests]`,
  );

  if (pyhf.scan !== undefined) {
    const grid = Array.from({ length: 11 }, (_, i) => i * 0.5);
    const sc = time(fx, (m) => upperLimit(data(m), m, { scan: grid }));
    report("upper limit (11-point scan)", sc.t, pyhf.scan);
  }

  if (withRanking) {
    const r = time(fx, (m) => ranking(data(m), m));
    if (!r.result.converged) problems.push(`${file} ranking: ${r.result.warnings.join("; ")}`);
    report(
      `ranking (${r.result.impacts.length} nuisances, ${r.result.refits} refits)`,
      r.t,
      null,
      `  [${(r.t.median / r.result.refits * 1000).toFixed(2)} ms/refit; pyhf has no ranking]`,
    );
  }
  return true;
}

/** The pyhf-like 61-parameter, 50-bin model (see the module doc). */
const PYHF_LIKE = { bins: 40, crBins: 10, nNormsys: 30, nHistosys: 20 };

function benchPyhfLike() {
  const ws = realisticWorkspace(PYHF_LIKE);
  const make = () => fromPyhf(ws);
  const m0 = make();
  console.log(
    `\npyhf-like model: ${m0.nMain} bins in ${m0.channels.length} channels, ${m0.npars} parameters ` +
      `(POI, 30 normsys, 20 histosys, 10 staterror; ${m0.interpolation.normsys}/` +
      `${m0.interpolation.histosys}); ${REPS} warm calls`,
  );
  const data = (m: Model) => m.observed;
  const f = timeOn(make, (m) => fit(data(m), m));
  if (!f.result.converged) problems.push(`pyhf-like fit: ${f.result.message}`);
  report("fit (mle)", f.t, 0.83);
  const h = timeOn(
    make,
    (m) => hypotest(1, data(m), m, { returnTail: true, returnExpectedSet: true }),
  );
  if (!h.result.converged) problems.push(`pyhf-like hypotest: ${h.result.warnings.join("; ")}`);
  report("hypotest (mu = 1, qtilde, tails + expected set)", h.t, 4.07);
  const u = timeOn(make, (m) => upperLimit(data(m), m), Math.min(REPS, 3));
  if (!u.result.converged) problems.push(`pyhf-like upper limit: ${u.result.warnings.join("; ")}`);
  report(
    "upper limit (root finding, obs + 5 expected)",
    u.t,
    194.4,
    `  [${u.result.tested.length} hypotests]`,
  );
  const d = timeOn(make, (m) => discoverySignificance(data(m), m));
  report("discovery significance (q0)", d.t, null);
  const r = timeOn(make, (m) => ranking(data(m), m), 1);
  if (!r.result.converged) problems.push(`pyhf-like ranking: ${r.result.warnings.join("; ")}`);
  report(
    `ranking (${r.result.impacts.length} nuisances, ${r.result.refits} refits)`,
    r.t,
    null,
    `  [${(r.t.median / r.result.refits * 1000).toFixed(2)} ms/refit; pyhf has no ranking]`,
  );
  // Where a hypotest's time goes: its fits' evaluations times the cost of one of each.
  const det = h.result.detail;
  const fits = [
    det.observedFits.freeFit,
    det.observedFits.fixedFit,
    det.asimovFits.freeFit,
    det.asimovFits.fixedFit,
  ];
  const ev = fits.reduce(
    (a, x) => ({
      g: a.g + x.evaluations.gradient,
      h: a.h + x.evaluations.hessian,
      v: a.v + x.evaluations.value,
      it: a.it + x.iterations,
    }),
    { g: 0, h: 0, v: 0, it: 0 },
  );
  const m = make();
  const c = m.compiled, p = m.init(), dd = m.observed;
  const per = (op: () => void, n = 50) => {
    op();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) op();
    return (performance.now() - t0) / n / 1000;
  };
  const tv = per(() => (c.nll(p, dd, m.programInputs) as { item(): number }).item());
  const tg = per(() => c.nllValueAndGrad(p, dd, m.programInputs));
  const th = per(() => m.structuredHessian(p, dd), 20);
  console.log(
    `  where a hypotest's time goes (4 of its 5 fits; the Asimov-generating fit is like them):\n` +
      `    ${ev.it} Newton iterations; ${ev.v} values × ${s(tv)}, ${ev.g} gradients × ${s(tg)}, ` +
      `${ev.h} Hessians × ${s(th)} (structured; forward-over-reverse autodiff was ≈ 0.1–1 s each)`,
  );
}

/**
 * 4.: N s+b and N b-only toys of the pyhf-like model at μ = 1 (the default fits: quasi-Newton
 * from a shared Hessian), against pyhf's recorded fit time (two fits per toy), and on a sample
 * the three ways of fitting toys, each on the same toys right after the other (same load).
 */
function benchToys(ntoys: number) {
  const m = fromPyhf(realisticWorkspace(PYHF_LIKE));
  console.log(
    `\ntoys (ToyCalculator, qtilde, mu = 1) on the pyhf-like model: ${ntoys} s+b + ${ntoys} ` +
      `b-only toys, 2 fits each (the second skipped where q = 0 anyway)`,
  );
  let last = 0;
  const t0 = performance.now(), c0 = cpu();
  const calc = new ToyCalculator(m.observed, m, {
    ntoys,
    seed: 0,
    onProgress: (done, total) => {
      const now = performance.now();
      if (now - last > 10_000 || done === total) {
        last = now;
        console.log(`    ${done}/${total} toys, ${((now - t0) / 1000).toFixed(1)} s`);
      }
    },
  });
  const d = calc.distributions(1);
  const wall = (performance.now() - t0) / 1000, c1 = cpu();
  const q = calc.teststatistic(1);
  const p = calc.pvalues(q, d);
  const asy = hypotest(1, m.observed, m, { returnTail: true });
  // The model is in the asymptotic regime: toys and formulas agree within the toys' error.
  const tol = 4 * Math.sqrt(0.25 / ntoys) + 0.01;
  if (!(Math.abs(p.clsb - asy.clsb!) < tol && Math.abs(p.clb - asy.clb!) < tol)) {
    problems.push(`toys: CLsb ${p.clsb}, CLb ${p.clb} vs asymptotics ${asy.clsb}, ${asy.clb}`);
  }
  if (d.failedFits > 0) problems.push(`toys: ${d.failedFits} toys with a non-converged fit`);
  // pyhf fits each toy twice (free and fixed μ) at its recorded 0.83 s per fit of this model.
  const pyhf = 2 * ntoys * 2 * 0.83;
  console.log(
    `  ${2 * ntoys} toys in ${s(wall)} (CPU ${c0 === null || c1 === null ? "n/a" : s(c1 - c0)}, ` +
      `sampling and compilation included): ${(wall / (2 * ntoys) * 1000).toFixed(2)} ms per toy;` +
      ` pyhf ≈ ${(pyhf / 3600).toFixed(1)} h (2 × 0.83 s per toy) → ${(pyhf / wall).toFixed(0)}×` +
      `\n  CLs ${p.cls.toFixed(4)} (CLsb ${p.clsb.toFixed(4)}, CLb ${
        p.clb.toFixed(4)
      }); asymptotics ${asy.cls.toFixed(4)} (${asy.clsb!.toFixed(4)}, ${asy.clb!.toFixed(4)})`,
  );
  // The same toys fitted three ways, warm: CPU per toy (wall where CPU time is not readable).
  const nSample = 256, nSeq = 32;
  const toys = sampleToys(m, m.suggestedInit, nSample, random.key(1));
  const clock = () => cpu() ?? performance.now() / 1000;
  const perToy = (n: number, f: () => void) => {
    const a = clock();
    f();
    return (clock() - a) / n;
  };
  const quasi = new ToyCalculator(m.observed, m, { ntoys: nSample, seed: 1 });
  const newton = new ToyCalculator(m.observed, m, { ntoys: nSample, seed: 1, toyFits: "newton" });
  quasi.distributions(1);
  const tq = perToy(2 * nSample, () => quasi.distributions(1));
  const dn = newton.distributions(1);
  const tn = perToy(2 * nSample, () => newton.distributions(1));
  testStatistic("qmutilde", 1, toys.slice(0), m);
  const ts = perToy(nSeq, () => {
    for (let t = 0; t < nSeq; t++) testStatistic("qmutilde", 1, toys.slice(t), m);
  });
  const dq = quasi.distributions(1);
  let worst = 0;
  for (const k of ["signalPlusBackground", "backgroundOnly"] as const) {
    dq[k].forEach((v, i) => (worst = Math.max(worst, Math.abs(v - dn[k][i]))));
  }
  if (!(worst < 1e-8)) problems.push(`toys: quasi-Newton and Newton statistics differ by ${worst}`);
  const ms = (t: number) => `${(t * 1000).toFixed(2)} ms`;
  console.log(
    `  per toy (${nSample} s+b + ${nSample} b-only toys, warm): quasi-Newton ${ms(tq)}, ` +
      `Newton batched ${ms(tn)} (${(tn / tq).toFixed(1)}×), one by one ${ms(ts)} (${
        (ts / tq).toFixed(1)
      }×); largest |Δq| quasi-Newton vs Newton ${worst.toExponential(1)}`,
  );
}

interface ScaleCase {
  options: Parameters<typeof realisticWorkspace>[0];
  npars: number;
  observed_total: number;
  twice_nll: number;
}

function benchScaling() {
  let ref: { cases: Record<string, ScaleCase> };
  try {
    ref = JSON.parse(
      Deno.readTextFileSync(new URL("../tests/stats/data/reference_fits.json", import.meta.url)),
    );
  } catch (e) {
    console.log(`\nscaling series skipped: ${(e as Error).message}`);
    return;
  }
  console.log(
    "\nscaling series (fit from suggested init; −2 log L vs the scipy reference; per-evaluation " +
      "times normalised by bins·pars (gradient) and bins·pars² (Hessian))",
  );
  for (const [name, c] of Object.entries(ref.cases)) {
    const ws = realisticWorkspace(c.options);
    const make = () => fromPyhf(ws);
    const f = timeOn(make, (m) => fit(m.observed, m), Math.min(REPS, 3));
    const m = make();
    const B = m.nMain, P = m.npars, p = m.init(), d = m.observed, comp = m.compiled;
    comp.nllValueAndGrad(p, d, m.programInputs);
    m.structuredHessian(p, d);
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) comp.nllValueAndGrad(p, d, m.programInputs);
    const tg = (performance.now() - t0) / 5 / 1000;
    const t1 = performance.now();
    for (let i = 0; i < 3; i++) m.structuredHessian(p, d);
    const th = (performance.now() - t1) / 3 / 1000;
    const diff = f.result.twiceNll - c.twice_nll;
    if (!f.result.converged || !(Math.abs(diff) < 1e-6)) {
      problems.push(`${name}: converged ${f.result.converged}, −2 log L off by ${diff}`);
    }
    console.log(
      `  ${name.padEnd(18)} ${String(B).padStart(5)} bins ${
        String(P).padStart(4)
      } pars  fit first ` +
        `${s(f.t.first).padStart(9)} warm ${
          s(f.t.median).padStart(9)
        } (${f.result.iterations} it)  ` +
        `grad ${s(tg).padStart(9)} = ${(tg / (B * P) * 1e9).toFixed(1).padStart(6)} ns·(B·P)⁻¹  ` +
        `Hessian ${s(th).padStart(9)} = ${
          (th / (B * P * P) * 1e9).toFixed(2).padStart(6)
        } ns·(B·P²)⁻¹  ` +
        `RSS ${(Deno.memoryUsage().rss / 1e6).toFixed(0).padStart(4)} MB  Δ(−2 log L) ${
          diff.toExponential(1)
        }`,
    );
  }
}

const dump = argv.get("dump-workspaces");
if (import.meta.main && dump) {
  const ref = JSON.parse(
    Deno.readTextFileSync(new URL("../tests/stats/data/reference_fits.json", import.meta.url)),
  );
  for (const [name, c] of Object.entries(ref.cases as Record<string, ScaleCase>)) {
    Deno.writeTextFileSync(
      `${dump}/ws_${name}.json`,
      JSON.stringify(realisticWorkspace(c.options)),
    );
  }
  Deno.writeTextFileSync(
    `${dump}/ws_pyhf_like.json`,
    JSON.stringify(realisticWorkspace(PYHF_LIKE)),
  );
  console.log(`wrote ${Object.keys(ref.cases).length + 1} workspaces to ${dump}`);
} else if (import.meta.main) {
  console.log("zgrad statistics benchmark (float64, CPU); pyhf: numpy backend, default SLSQP");
  // --only=toys runs section 4 alone.
  const all = argv.get("only") !== "toys";
  if (all) benchPyhfLike();
  // pyhf's figures from ../shared/fixtures/pyhf/README.md ("Performance anchor").
  const ran = all &&
    benchCase("backend_consistency_50bin_shapesys.json", { hypotest: 1.02 }, true) &&
    benchCase(
      "readme_uncorrelated_background.json",
      { fit: 0.003, hypotest: 0.017, upperLimit: 0.78, scan: 0.18 },
      true,
    );
  const ntoys = Number(argv.get("toys") ?? 1e4);
  // --threads=N: the CPU threads of compiled programs (default: the cores; 1 is faster when the
  // machine is busy with other work).
  if (argv.has("threads")) configureCpuParallel({ threads: Number(argv.get("threads")) });
  if (ntoys > 0) benchToys(ntoys);
  if (all && !argv.has("skip-scaling")) benchScaling();
  if (problems.length) {
    console.log("\nDISAGREEMENT:\n  " + problems.join("\n  "));
    Deno.exitCode = 1;
  } else {
    console.log(
      `\nAll results agree with the fixtures' pyhf values and the scipy references${
        ran ? "" : " (fixtures absent: not checked)"
      }.`,
    );
  }
}
