/**
 * Statistics benchmark (issue #4): fit, hypotest (μ = 1, q̃, observed + expected band), upper
 * limit (root finding, observed + 5 expected) and ranking on the largest pyhf fixture,
 * `backend_consistency_50bin_shapesys` (50 bins, 51 parameters, so 50 nuisance parameters are
 * ranked with 4 refits each), plus fit / hypotest / limits on `readme_uncorrelated_background`,
 * compared with pyhf's own timings recorded in `../shared/fixtures/pyhf/README.md` (numpy
 * backend, default SLSQP; median of 5 after a warm-up). The goal is ≥ 10× faster than pyhf.
 *
 * For each operation: the first call on a freshly built model (building the model, tracing and
 * compiling its NLL, gradient and Hessian, and running), then median / min / max of `--reps`
 * further calls on the same model (pyhf's figures are warm too). Results are checked against the
 * fixture's stored values so that a fast wrong answer does not pass unnoticed.
 *
 * Run: `deno run --allow-read --allow-env bench/stats_bench.ts [--reps=5]`. Skips with a message
 * when ../shared is absent.
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

interface Timing {
  first: number;
  median: number;
  min: number;
  max: number;
}

/** First call on a fresh model (build included), then REPS warm calls; seconds. */
function time<T>(fx: Json, op: (m: Model) => T): { t: Timing; result: T } {
  const t0 = performance.now();
  const m = build(fx);
  let result = op(m);
  const first = (performance.now() - t0) / 1000;
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const s = performance.now();
    result = op(m);
    times.push((performance.now() - s) / 1000);
  }
  times.sort((a, b) => a - b);
  return {
    t: { first, median: times[Math.floor(times.length / 2)], min: times[0], max: times.at(-1)! },
    result,
  };
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
  const ratio = pyhf === null ? "" : `  pyhf ${s(pyhf)} → ${(pyhf / t.median).toFixed(0)}× faster`;
  console.log(
    `  ${name.padEnd(48)} first ${s(t.first).padStart(9)}  median ${s(t.median).padStart(9)}  ` +
      `min ${s(t.min).padStart(9)}  max ${s(t.max).padStart(9)}${ratio}${note}`,
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

if (import.meta.main) {
  console.log("zgrad statistics benchmark (float64, CPU); pyhf: numpy backend, default SLSQP");
  // pyhf's figures from ../shared/fixtures/pyhf/README.md ("Performance anchor").
  const ran = benchCase("backend_consistency_50bin_shapesys.json", { hypotest: 1.02 }, true) &&
    benchCase(
      "readme_uncorrelated_background.json",
      { fit: 0.003, hypotest: 0.017, upperLimit: 0.78, scan: 0.18 },
      true,
    );
  if (ran) {
    console.log(
      "\npyhf has no timing for fit / upper limit on the 50-bin fixture; its hidden 50-bin, " +
        "61-parameter Z'→tt̄ model takes 0.83 s (fit), 4.07 s (hypotest) and 194.4 s (toms748 limit).",
    );
    if (problems.length) {
      console.log("DISAGREEMENT with the fixtures:\n  " + problems.join("\n  "));
      Deno.exitCode = 1;
    } else console.log("All results agree with the fixtures' pyhf values within their tolerances.");
  }
}
