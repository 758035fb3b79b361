/**
 * The `zgrad` CLI (cli.ts): the argument parser in-process, then the CLI as a subprocess
 * (`deno run -A cli.ts …`) on a workspace written by the test into a temp dir (through stdin
 * without --allow-write; analytic best fit),
 * on every pyhf fixture (`fit` against the fixtures' stored fits; `ranking`), and on bad input
 * (exit codes, one-line errors, no stack traces). Subprocess tests need run permission for the
 * deno binary (`--allow-run`) and skip with a message without it; fixture tests skip when
 * ../shared is absent.
 */
import assert from "node:assert/strict";
import { parseArgs, UsageError } from "../../stats/cli/args.ts";
import { fit, fromPyhf } from "../../stats/mod.ts";
import { ndtr } from "../../core/special.ts";

const root = new URL("../../", import.meta.url);
const fixtureDir = new URL("../../../shared/fixtures/pyhf/", import.meta.url);

/** The deno binary to run: Deno.execPath(), or "deno" from PATH when only that is allowed. */
const denoBin = [Deno.execPath(), "deno"].find((command) =>
  Deno.permissions.querySync({ name: "run", command }).state === "granted"
);
const canRun = denoBin !== undefined;
const canWrite = Deno.permissions.querySync({ name: "write" }).state === "granted";
const RUN_SKIP =
  "no run permission for the deno binary (run with --allow-run, or --allow-run=git,deno)";

// deno-lint-ignore no-explicit-any
type Json = any;

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

/** A workspace given to the CLI: a file path, or "-" with the text on stdin. */
interface Src {
  path: string;
  stdin?: string;
}

/** Writes `content` to `dir/name` when there is a directory, else feeds it through stdin. */
async function put(dir: string | null, name: string, content: string): Promise<Src> {
  if (dir === null) return { path: "-", stdin: content };
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, content);
  return { path };
}

/**
 * Runs `deno run -A cli.ts ...args` in the repository root; a {@link Src} argument becomes its
 * path (and its text goes to stdin when it is "-").
 */
async function cli(argv: (string | Src)[], stdinText?: string): Promise<Out> {
  let stdin = stdinText;
  const args = argv.map((a) => {
    if (typeof a === "string") return a;
    if (a.stdin !== undefined) stdin = a.stdin;
    return a.path;
  });
  const child = new Deno.Command(denoBin!, {
    args: ["run", "-A", "cli.ts", ...args],
    cwd: root,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const o = await child.output();
  const dec = new TextDecoder();
  return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
}

async function cliJson(args: (string | Src)[], stdin?: string): Promise<Json> {
  const o = await cli([...args, "--json"], stdin);
  assert.equal(o.code, 0, `zgrad ${args.join(" ")} exited ${o.code}: ${o.stderr}`);
  return JSON.parse(o.stdout);
}

function close(got: number, want: number, rtol: number, atol: number, what: string) {
  assert.ok(
    Math.abs(got - want) <= atol + rtol * Math.abs(want),
    `${what}: got ${got}, want ${want} (diff ${got - want})`,
  );
}

/** A one-line error with no stack trace. */
function assertOneLineError(o: Out, code: number, pattern: RegExp) {
  assert.equal(o.code, code, `exit code (stderr: ${o.stderr})`);
  assert.equal(o.stdout, "");
  const lines = o.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line, got: ${o.stderr}`);
  assert.match(lines[0], /^zgrad: error: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(o.stderr, /\bat .*\.ts:\d+|Stack|Uncaught/);
}

/** Concurrency-limited map (subprocesses). */
async function pool<T, R>(xs: readonly T[], k: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(xs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(k, xs.length) }, async () => {
      while (next < xs.length) {
        const i = next++;
        out[i] = await f(xs[i]);
      }
    }),
  );
  return out;
}

Deno.test("parseArgs", async (t) => {
  await t.step("commands, flags in either form and position", () => {
    const a = parseArgs(["hypotest", "--mu=1.5", "ws.json", "--test-stat", "q", "--json"]);
    assert.equal(a.command, "hypotest");
    assert.equal(a.workspace, "ws.json");
    assert.equal(a.mu, 1.5);
    assert.equal(a.testStat, "q");
    assert.equal(a.json, true);
    assert.deepEqual(a.interp, { normsys: "code4", histosys: "code4p" }); // pyhf's, by default
    assert.equal(a.strict, false);
    const b = parseArgs([
      "fit",
      "ws.json",
      "--mu",
      "-0.5",
      "--interp",
      "root",
      "--measurement",
      "m",
      "--strict",
    ]);
    assert.equal(b.mu, -0.5);
    assert.deepEqual(b.interp, { normsys: "code1", histosys: "code0" });
    assert.equal(b.strict, true);
    assert.deepEqual(parseArgs(["fit", "ws.json", "--interp=code2,code4"]).interp, {
      normsys: "code2",
      histosys: "code4",
    });
    assert.equal(b.measurement, "m");
    assert.equal(parseArgs(["upper-limit", "ws.json", "--level", "0.1"]).level, 0.1);
    assert.equal(parseArgs(["--help"]).help, true);
    assert.equal(parseArgs(["-h", "fit"]).command, "fit");
  });
  await t.step("bad command lines are UsageErrors naming the problem", () => {
    const bad: [string[], RegExp][] = [
      [[], /missing command/],
      [["frobnicate", "ws.json"], /unknown command "frobnicate"/],
      [["fit"], /missing WORKSPACE/],
      [["fit", "a.json", "b.json"], /unexpected argument "b.json"/],
      [["fit", "ws.json", "--nope"], /unknown option "--nope"/],
      [["fit", "ws.json", "-x"], /unknown option "-x"/],
      [["fit", "ws.json", "--mu"], /--mu needs a value/],
      [["fit", "ws.json", "--mu", "abc"], /--mu expects a number/],
      [["fit", "ws.json", "--mu", "1", "--mu", "2"], /given twice/],
      [["hypotest", "ws.json", "--test-stat", "tmu"], /--test-stat must be one of/],
      [["significance", "ws.json", "--test-stat", "qtilde"], /must be q0/],
      [["hypotest", "ws.json", "--test-stat", "q0"], /must be qtilde or q/],
      [["ranking", "ws.json", "--mu", "1"], /ranking does not take --mu/],
      [["fit", "ws.json", "--level", "0.05"], /fit does not take --level/],
      [["upper-limit", "ws.json", "--level", "2"], /--level must be in \(0, 1\)/],
      [["fit", "ws.json", "--interp", "code4"], /--interp must be pyhf, root or NORMSYS,HISTOSYS/],
      [["fit", "ws.json", "--interp", "code4p,code4p"], /normsys code0\|code1\|code2\|code4/],
      [["fit", "ws.json", "--json=yes"], /--json takes no value/],
    ];
    for (const [argv, re] of bad) {
      assert.throws(
        () => parseArgs(argv),
        (e: Error) => e instanceof UsageError && re.test(e.message),
        argv.join(" "),
      );
    }
  });
});

/** One bin, λ = μ s + b (no constraint): μ̂ = (n − b)/s, σ(μ̂) = √n/s, −2 log L = −2 log Pois(n|n). */
const S = 10, B = 5, N = 25;
const simpleWs = {
  channels: [{
    name: "sr",
    samples: [
      { name: "signal", data: [S], modifiers: [{ name: "mu", type: "normfactor", data: null }] },
      { name: "background", data: [B], modifiers: [] },
    ],
  }],
  observations: [{ name: "sr", data: [N] }],
  measurements: [{ name: "meas", config: { poi: "mu", parameters: [] } }],
  version: "1.0.0",
};
/** Two bins with a staterror (per-bin γ) and a normsys, for ranking. */
const rankWs = {
  channels: [{
    name: "ch",
    samples: [
      {
        name: "signal",
        data: [6, 12],
        modifiers: [{ name: "mu", type: "normfactor", data: null }],
      },
      {
        name: "background",
        data: [50, 40],
        modifiers: [
          { name: "staterror_ch", type: "staterror", data: [3, 2.5] },
          { name: "norm", type: "normsys", data: { hi: 1.1, lo: 0.92 } },
        ],
      },
    ],
  }],
  observations: [{ name: "ch", data: [61, 55] }],
  measurements: [{ name: "meas", config: { poi: "mu", parameters: [] } }],
  version: "1.0.0",
};

function lgammaInt(n: number): number {
  let s = 0;
  for (let k = 2; k < n; k++) s += Math.log(k);
  return s; // log((n − 1)!)
}

/** The same one-bin model with n = 8 observed: μ̂ = 0.3, for the asymptotic formulas. */
const TN = 8;
const testWs = { ...simpleWs, observations: [{ name: "sr", data: [TN] }] };

/** 2·(NLL(λ) − NLL(n)) for one Poisson bin (λ the hypothesis rate, n the data). */
function twoDeltaNll(lam: number, n: number): number {
  return 2 * (lam - n + (n > 0 ? n * Math.log(n / lam) : 0));
}

/**
 * Cowan et al.'s asymptotic CLs for the n = 8 one-bin model, as pyhf computes it: q̃μ or qμ on
 * the data (μ̂ = (n − b)/s ≥ 0, so both coincide), qA on the Asimov data at μ′ = 0, and
 * CLsb = Φ(−(t + √qA)), CLb = Φ(−t) with t = √q − √qA (or (q − qA)/(2√qA) for q̃ when √q > √qA);
 * expected: t = n_σ for n_σ in [2, 1, 0, −1, −2].
 */
function analyticHypotest(mu: number, ts: "qtilde" | "q") {
  const muHat = (TN - B) / S;
  const q = mu < muHat ? 0 : twoDeltaNll(mu * S + B, TN);
  const qA = twoDeltaNll(mu * S + B, B);
  const sq = Math.sqrt(q), sqA = Math.sqrt(qA);
  const t = ts === "qtilde" && sq > sqA ? (q - qA) / (2 * sqA) : sq - sqA;
  const clsb = ndtr(-(t + sqA)), clb = ndtr(-t);
  const exp = [2, 1, 0, -1, -2].map((k) => ndtr(-(k + sqA)) / ndtr(-k));
  return { q, qA, clsb, clb, cls: clsb / clb, exp };
}

/** A root of a decreasing f in [lo, hi] by bisection. */
function bisect(f: (x: number) => number, lo: number, hi: number): number {
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

Deno.test({
  name: `cli on a test-written workspace${canRun ? "" : ` (skipped: ${RUN_SKIP})`}`,
  ignore: !canRun,
  async fn(t) {
    // Written into a temp dir with --allow-write; otherwise handed to the CLI through stdin ("-").
    const dir = canWrite ? await Deno.makeTempDir({ prefix: "zgrad_cli_" }) : null;
    if (!dir) {
      console.log("cli test: no --allow-write, workspaces go through stdin instead of a temp dir");
    }
    const simple = await put(dir, "simple.json", JSON.stringify(simpleWs));
    const rank = await put(dir, "rank.json", JSON.stringify(rankWs));
    try {
      await t.step("fit --json: analytic best fit and the document's fields", async () => {
        const r = await cliJson(["fit", simple]);
        assert.equal(r.schema, "zgrad-cli/1");
        assert.equal(r.command, "fit");
        assert.equal(r.workspace, simple.path);
        assert.equal(r.measurement, "meas");
        assert.equal(r.poi, "mu");
        assert.deepEqual(r.settings, {
          interpolation: { normsys: "code4", histosys: "code4p" },
          mu: null,
          test_stat: null,
          level: null,
        });
        close(r.metric.poi_hat, (N - B) / S, 1e-8, 0, "μ̂");
        close(r.metric.bestfit.mu, (N - B) / S, 1e-8, 0, "bestfit.mu");
        close(r.uncertainty.poi, Math.sqrt(N) / S, 1e-6, 0, "σ(μ̂)");
        close(r.uncertainty.bestfit.mu, Math.sqrt(N) / S, 1e-6, 0, "uncertainty.bestfit.mu");
        const twiceNll = -2 * (N * Math.log(N) - N - lgammaInt(N + 1));
        close(r.metric.twice_nll, twiceNll, 1e-10, 0, "−2 log L");
        close(r.metric.nll, twiceNll / 2, 1e-10, 0, "NLL");
        assert.deepEqual(r.status, { converged: true, warnings: [] });
        for (const k of ["load_s", "compute_s", "total_s"]) {
          assert.equal(typeof r.timing[k], "number");
          assert.ok(r.timing[k] >= 0);
        }
        assert.equal(r.provenance.device, "cpu");
        assert.equal(r.provenance.dtype, "float64");
        const version = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).version;
        assert.equal(r.provenance.zgrad_version, version);
        assert.ok(
          r.provenance.git_commit === null || /^[0-9a-f]{40}$/.test(r.provenance.git_commit),
        );
        assert.match(r.provenance.runtime, /^deno \d/);
      });

      await t.step("fit --mu: the POI fixed there (conditional fit)", async () => {
        const r = await cliJson(["fit", simple, "--mu", "1"]);
        assert.equal(r.settings.mu, 1);
        assert.equal(r.metric.poi_hat, 1);
        assert.equal(r.uncertainty.poi, null);
        const lam = S + B;
        close(
          r.metric.twice_nll,
          -2 * (N * Math.log(lam) - lam - lgammaInt(N + 1)),
          1e-10,
          0,
          "−2 log L(μ=1)",
        );
      });

      await t.step("fit: human-readable table", async () => {
        const o = await cli(["fit", simple]);
        assert.equal(o.code, 0, o.stderr);
        assert.match(
          o.stdout,
          /^zgrad fit: (.*simple\.json|-) \(measurement "meas", POI "mu", normsys code4, histosys code4p\)/,
        );
        assert.match(o.stdout, /parameter\s+best fit\s+uncertainty/);
        assert.match(o.stdout, /\nmu\s+2\s+0\.5\n/);
        assert.match(o.stdout, /-2 log L = /);
        assert.match(o.stdout, /\nconverged in /);
      });

      await t.step("ranking --json: impacts against an in-process refit", async () => {
        const r = await cliJson(["ranking", rank]);
        assert.equal(r.status.converged, true);
        const labels = r.metric.impacts.map((i: Json) => i.label);
        assert.deepEqual([...labels].sort(), ["norm", "staterror_ch[0]", "staterror_ch[1]"]);
        const imp = r.metric.impacts;
        for (let i = 1; i < imp.length; i++) assert.ok(imp[i - 1].impact >= imp[i].impact);
        // Reference: fix the component at θ̂ + σ̂ and refit with the library.
        const model = fromPyhf(rankWs);
        const best = fit(model.observed, model);
        close(r.metric.poi_hat, best.bestfit[model.poiIndex!], 0, 1e-8, "μ̂");
        for (const e of imp) {
          const k = model.parLabels.indexOf(e.label);
          const init = [...model.suggestedInit];
          init[k] = best.bestfit[k] + best.uncertainties[k];
          const fixed = model.fixedParams.map((f, i) => f || i === k);
          const ref = fit(model.observed, model, { init, fixed }).bestfit[model.poiIndex!] -
            best.bestfit[model.poiIndex!];
          close(e.postfit_up, ref, 0, 1e-6, `${e.label} post-fit up`);
          close(r.uncertainty.postfit[e.label], best.uncertainties[k], 1e-6, 0, `${e.label} σ̂`);
        }
        close(r.uncertainty.prefit["staterror_ch[1]"], 2.5 / 40, 1e-12, 0, "σ₀ staterror");
        assert.equal(r.uncertainty.prefit.norm, 1);
      });

      await t.step("ranking: human-readable table", async () => {
        const o = await cli(["ranking", rank]);
        assert.equal(o.code, 0, o.stderr);
        assert.match(
          o.stdout,
          /parameter\s+impact\s+post up\s+post down\s+pre up\s+pre down\s+pull\s+constraint/,
        );
        assert.match(o.stdout, /\nstaterror_ch\[0\]\s/);
        // The table shows the column it is sorted by: impact, descending.
        const rows = o.stdout.split("\n");
        const start = rows.findIndex((l) => /^-+\s+-+/.test(l)) + 1;
        const impacts = rows.slice(start).filter((l) => /^\S+\s+[-\d.e]+\s/.test(l))
          .map((l) => Number(l.trim().split(/\s+/)[1]));
        assert.ok(impacts.length >= 2, o.stdout);
        for (let i = 1; i < impacts.length; i++) assert.ok(impacts[i] <= impacts[i - 1], o.stdout);
      });

      await t.step("stdin (-) reads the same workspace", async () => {
        const r = await cliJson(["fit", "-"], JSON.stringify(simpleWs));
        close(r.metric.poi_hat, (N - B) / S, 1e-8, 0, "μ̂ via stdin");
      });

      await t.step("bad input: exit 1, one line, no stack trace", async () => {
        assertOneLineError(
          await cli(["fit", "/nonexistent/zgrad/missing.json"]),
          1,
          /cannot read workspace .*no such file/,
        );
        assertOneLineError(
          await cli(["fit", new URL("stats", root).pathname]),
          1,
          /cannot read workspace .*is a directory/,
        );
        let bad = await put(dir, "bad.json", '{"channels": [');
        assertOneLineError(await cli(["fit", bad]), 1, /invalid workspace .*malformed JSON/);
        const wrongBins = structuredClone(simpleWs);
        wrongBins.observations[0].data = [25, 3];
        bad = await put(dir, "bad.json", JSON.stringify(wrongBins));
        assertOneLineError(
          await cli(["fit", bad]),
          1,
          /observations\[0\]\.data: expected 1 number/,
        );
        const unknownMod = structuredClone(simpleWs) as Json;
        unknownMod.channels[0].samples[1].modifiers = [{ name: "x", type: "weird", data: null }];
        bad = await put(dir, "bad.json", JSON.stringify(unknownMod));
        assertOneLineError(
          await cli(["fit", bad, "--json"]),
          1,
          /channels\[0\]\.samples\[1\]\.modifiers\[0\]\.type: unknown modifier type "weird"/,
        );
        assertOneLineError(
          await cli(["fit", simple, "--measurement", "nope"]),
          1,
          /no measurement named "nope"/,
        );
      });

      await t.step("bad command line: exit 2, one line", async () => {
        assertOneLineError(await cli(["frobnicate", simple]), 2, /unknown command "frobnicate"/);
        assertOneLineError(await cli(["fit", simple, "--bogus"]), 2, /unknown option "--bogus"/);
        assertOneLineError(await cli([]), 2, /missing command/);
        assertOneLineError(await cli(["fit", simple, "--mu", "x"]), 2, /--mu expects a number/);
      });

      const test = await put(dir, "test.json", JSON.stringify(testWs));

      await t.step(
        "hypotest --json: analytic asymptotic CLs (no nuisance parameters)",
        async () => {
          for (const ts of ["qtilde", "q"]) {
            const r = await cliJson(["hypotest", test, "--mu", "1", "--test-stat", ts]);
            assert.equal(r.settings.mu, 1);
            assert.equal(r.settings.test_stat, ts);
            const want = analyticHypotest(1, ts as "qtilde" | "q");
            close(r.metric.q_obs, want.q, 1e-8, 1e-10, `${ts} q`);
            close(r.metric.q_asimov, want.qA, 1e-8, 1e-10, `${ts} qA`);
            close(r.metric.cls_obs, want.cls, 1e-7, 0, `${ts} CLs`);
            close(r.metric.clsb_obs, want.clsb, 1e-7, 0, `${ts} CLsb`);
            close(r.metric.clb_obs, want.clb, 1e-7, 0, `${ts} CLb`);
            want.exp.forEach((v, k) =>
              close(r.metric.cls_exp[k], v, 1e-7, 0, `${ts} CLs_exp[${k}]`)
            );
            assert.deepEqual(r.uncertainty.cls_exp.one_sigma, [
              r.metric.cls_exp[1],
              r.metric.cls_exp[3],
            ]);
            assert.equal(r.status.converged, true);
          }
          const d = await cliJson(["hypotest", test]);
          assert.equal(d.settings.mu, 1);
          assert.equal(d.settings.test_stat, "qtilde");
          const o = await cli(["hypotest", test, "--mu", "2"]);
          assert.equal(o.code, 0, o.stderr);
          assert.match(o.stdout, /CLs for mu = 2 \(test statistic qtilde/);
          assert.match(o.stdout, /\nCLs\s+\S+\n/);
          assert.match(o.stdout, /expected CLs\s+-2σ\s+-1σ\s+median\s+\+1σ\s+\+2σ/);
        },
      );

      await t.step("upper-limit --json: the analytic CLs = level crossings", async () => {
        for (const level of [0.05, 0.1]) {
          const r = await cliJson(["upper-limit", test, "--level", String(level)]);
          assert.equal(r.settings.level, level);
          const obs = bisect((mu) => analyticHypotest(mu, "qtilde").cls - level, 0.31, 20);
          close(r.metric.obs_limit, obs, 1e-3, 0, `obs limit (level ${level})`);
          for (let k = 0; k < 5; k++) {
            const e = bisect((mu) => analyticHypotest(mu, "qtilde").exp[k] - level, 1e-3, 20);
            close(r.metric.exp_limits[k], e, 1e-3, 0, `exp limit [${k}] (level ${level})`);
          }
          assert.ok(r.metric.hypotests > 0);
        }
        const o = await cli(["upper-limit", test]);
        assert.equal(o.code, 0, o.stderr);
        assert.match(o.stdout, /95\.0% CL upper limit on mu/);
        assert.match(o.stdout, /\nobserved: \d/);
      });

      await t.step("significance --json: analytic q0, Z0 and Asimov Z0", async () => {
        const r = await cliJson(["significance", test]);
        assert.equal(r.settings.test_stat, "q0");
        const q0 = 2 * (TN * Math.log(TN / B) - (TN - B));
        close(r.metric.q0, q0, 1e-8, 1e-10, "q0");
        close(r.metric.z0_obs, Math.sqrt(q0), 1e-8, 0, "Z0");
        close(r.metric.p0_obs, ndtr(-Math.sqrt(q0)), 1e-7, 0, "p0");
        const nA = S + B;
        const zA = Math.sqrt(2 * (nA * Math.log(nA / B) - (nA - B)));
        close(r.metric.z0_exp, zA, 1e-7, 0, "Z0 expected");
        close(r.metric.p0_exp, ndtr(-zA), 1e-6, 0, "p0 expected");
        assert.deepEqual(r.metric.z0_exp_set.map((z: number) => Number((z - zA).toFixed(6))), [
          2,
          1,
          0,
          -1,
          -2,
        ]);
        const o = await cli(["significance", test]);
        assert.equal(o.code, 0, o.stderr);
        assert.match(o.stdout, /\nobserved\s+[\d.]+\s+[\d.e-]+\n/);
        assert.match(o.stdout, /expected Z0\s+\+2σ\s+\+1σ\s+median\s+-1σ\s+-2σ/);
      });

      await t.step("a measurement without a POI: one-line error", async () => {
        const noPoi = structuredClone(simpleWs) as Json;
        noPoi.measurements[0].config.poi = "";
        const src = await put(dir, "nopoi.json", JSON.stringify(noPoi));
        for (const c of ["hypotest", "upper-limit", "significance", "ranking"]) {
          assertOneLineError(await cli([c, src]), 1, /has no parameter of interest/);
        }
      });

      await t.step("--help and --version", async () => {
        const h = await cli(["--help"]);
        assert.equal(h.code, 0);
        for (const c of ["fit", "hypotest", "upper-limit", "significance", "ranking", "--json"]) {
          assert.ok(h.stdout.includes(c), c);
        }
        const v = await cli(["--version"]);
        assert.match(v.stdout, /^zgrad \d+\.\d+\.\d+/);
      });
    } finally {
      if (dir) await Deno.remove(dir, { recursive: true });
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Every pyhf fixture.

function listFixtures(): { files: string[]; reason: string } {
  try {
    const files = [...Deno.readDirSync(fixtureDir)].filter((e) => e.name.endsWith(".json"))
      .map((e) => e.name).sort();
    return { files, reason: files.length ? "" : "no fixtures" };
  } catch (e) {
    return {
      files: [],
      reason: `${fixtureDir.pathname} unreadable (${
        (e as Error).name
      }): a fresh clone has no ../shared`,
    };
  }
}

const { files, reason } = listFixtures();
const fixtureSkip = !canRun ? RUN_SKIP : reason;
if (fixtureSkip) console.log(`cli fixture tests skipped: ${fixtureSkip}`);

/** `--interp` for a fixture: none for pyhf's defaults (the CLI's default), `root` for code1/code0. */
function interpOf(fx: Json): string[] {
  const ns = fx.modifier_settings?.normsys?.interpcode,
    hs = fx.modifier_settings?.histosys?.interpcode;
  if (ns === "code4" && hs === "code4p") return [];
  if (ns === "code1" && hs === "code0") return ["--interp", "root"];
  throw new Error(
    `fixture settings ${JSON.stringify(fx.modifier_settings)} match no --interp preset`,
  );
}

Deno.test({
  name: `cli on every pyhf fixture${fixtureSkip ? ` (skipped: ${fixtureSkip})` : ""}`,
  ignore: Boolean(fixtureSkip),
  async fn(t) {
    const cases = files.map((f) => {
      const fx = JSON.parse(Deno.readTextFileSync(new URL(f, fixtureDir)));
      return {
        f,
        fx,
        spec: JSON.stringify(fx.spec),
        base: ["--measurement", fx.measurement, ...interpOf(fx)],
      };
    });

    await t.step("fit --json matches the fixtures' mle_fit (via stdin)", async () => {
      const out = await pool(cases, 4, (c) => cliJson(["fit", "-", ...c.base], c.spec));
      cases.forEach((c, i) => {
        const r = out[i];
        const q = c.fx.queries.find((q: Json) =>
          q.what === "mle_fit" && q.args.data === "observed"
        );
        assert.ok(r.status.converged, `${c.f}: ${r.status.warnings}`);
        assert.deepEqual(Object.keys(r.metric.bestfit), labelsOf(c.fx), `${c.f} labels`);
        const tol = q.tolerance;
        close(
          r.metric.twice_nll,
          q.expected.twice_nll,
          tol.twice_nll_rtol,
          tol.twice_nll_atol,
          `${c.f} twice_nll`,
        );
        (Object.values(r.metric.bestfit) as number[]).forEach((v, k) =>
          close(v, q.expected.bestfit[k], 0, tol.bestfit_atol, `${c.f} bestfit[${k}]`)
        );
        assert.equal(r.poi, c.fx.model_info.poi);
      });
    });

    await t.step("fit --mu 1 matches the fixtures' fixed_poi_fit at μ = 1", async () => {
      const out = await pool(
        cases,
        4,
        (c) => cliJson(["fit", "-", "--mu", "1", ...c.base], c.spec),
      );
      cases.forEach((c, i) => {
        const q = c.fx.queries.find((q: Json) =>
          q.what === "fixed_poi_fit" && q.args.poi_value === 1 && q.args.data === "observed"
        );
        assert.ok(q, `${c.f}: the fixture has this query`);
        if (
          c.f.startsWith("validation_2bin_2channel_coupledhistosys") &&
          out[i].metric.twice_nll < q.expected.twice_nll - 1e-3
        ) {
          return; // multimodal (fixtures README): a lower minimum is allowed
        }
        close(
          out[i].metric.twice_nll,
          q.expected.twice_nll,
          q.tolerance.twice_nll_rtol,
          q.tolerance.twice_nll_atol,
          `${c.f} twice_nll(μ=1)`,
        );
      });
    });

    await t.step(
      "ranking --json runs on every fixture: POI and fixed parameters excluded",
      async () => {
        const out = await pool(cases, 4, (c) => cliJson(["ranking", "-", ...c.base], c.spec));
        cases.forEach((c, i) => {
          const r = out[i];
          assert.ok(r.status.converged, `${c.f}: ${r.status.warnings}`);
          const mi = c.fx.model_info;
          const labels = labelsOf(c.fx);
          const fixed = mi.suggested_fixed as boolean[];
          const want = labels.filter((_, k) => k !== mi.poi_index && !fixed[k]).sort();
          assert.deepEqual(r.metric.impacts.map((e: Json) => e.label).sort(), want, c.f);
          assert.equal(typeof r.metric.poi_hat, "number");
        });
      },
    );

    await t.step("hypotest --json (qtilde and q at μ = 1) matches the fixtures", async () => {
      for (const ts of ["qtilde", "q"]) {
        const out = await pool(
          cases,
          4,
          (c) => cliJson(["hypotest", "-", "--mu", "1", "--test-stat", ts, ...c.base], c.spec),
        );
        cases.forEach((c, i) => {
          const q = c.fx.queries.find((q: Json) =>
            q.what === "hypotest" && q.args.data === "observed" && q.args.poi_value === 1 &&
            q.args.test_stat === ts
          );
          assert.ok(q, `${c.f}: the fixture has this query`);
          const r = out[i], e = q.expected, tol = q.tolerance;
          const at = `${c.f} ${ts}`;
          close(r.metric.cls_obs, e.CLs_obs, tol.rtol, tol.atol, `${at} CLs_obs`);
          close(r.metric.clsb_obs, e.CLsb_obs, tol.rtol, tol.atol, `${at} CLsb_obs`);
          close(r.metric.clb_obs, e.CLb_obs, tol.rtol, tol.atol, `${at} CLb_obs`);
          e.CLs_exp.forEach((v: number, k: number) =>
            close(r.metric.cls_exp[k], v, tol.rtol, tol.atol, `${at} CLs_exp[${k}]`)
          );
        });
      }
    });

    await t.step("significance --json matches the fixtures' observed discovery", async () => {
      const out = await pool(cases, 4, (c) => cliJson(["significance", "-", ...c.base], c.spec));
      cases.forEach((c, i) => {
        const q = c.fx.queries.find((q: Json) =>
          q.what === "discovery" && q.args.data === "observed"
        );
        assert.ok(q, `${c.f}: the fixture has this query`);
        const r = out[i], e = q.expected, tol = q.tolerance;
        assert.ok(
          Math.abs(r.metric.q0 - e.q0) <= tol.q0_atol ||
            Math.abs(r.metric.q0 - e.q0) <= tol.q0_rtol * Math.abs(e.q0),
          `${c.f} q0: got ${r.metric.q0}, want ${e.q0}`,
        );
        close(r.metric.z0_obs, e.Z0_obs, 0, tol.Z_atol, `${c.f} Z0_obs`);
        close(r.metric.p0_obs, e.p0_obs, tol.rtol, tol.atol, `${c.f} p0_obs`);
        e.p0_exp.forEach((v: number, k: number) =>
          close(r.metric.p0_exp_set[k], v, tol.rtol, tol.atol, `${c.f} p0_exp[${k}]`)
        );
        e.Z0_exp.forEach((v: number, k: number) =>
          close(r.metric.z0_exp_set[k], v, 0, tol.Z_atol, `${c.f} Z0_exp[${k}]`)
        );
      });
    });

    await t.step("upper-limit --json matches the fixtures' toms748 limits", async () => {
      const out = await pool(cases, 4, (c) => cliJson(["upper-limit", "-", ...c.base], c.spec));
      cases.forEach((c, i) => {
        const q = c.fx.queries.find((q: Json) =>
          q.what === "upper_limit" && String(q.args.method).startsWith("toms748")
        );
        assert.ok(q, `${c.f}: the fixture has this query`);
        const r = out[i], e = q.expected;
        close(r.metric.obs_limit, e.obs_limit, q.tolerance.rtol, 0, `${c.f} obs_limit`);
        e.exp_limits.forEach((v: number, k: number) =>
          close(r.metric.exp_limits[k], v, q.tolerance.rtol, 0, `${c.f} exp_limits[${k}]`)
        );
      });
    });

    await t.step("human-readable fit on the largest fixture", async () => {
      const c = cases.find((c) => c.f.startsWith("backend_consistency_50bin"));
      if (!c) return;
      const o = await cli(["fit", "-", ...c.base], c.spec);
      assert.equal(o.code, 0, o.stderr);
      assert.match(o.stdout, /\nuncorr_bkguncrt\[49\]\s/);
    });
  },
});

/** Component labels in pyhf's par_order (`name` or `name[i]`). */
function labelsOf(fx: Json): string[] {
  const mi = fx.model_info;
  return (mi.par_order as string[]).flatMap((name) => {
    const p = mi.parameters[name];
    const spec = fromPyhfLabels(fx, name);
    return spec ?? (p.n === 1 ? [name] : Array.from({ length: p.n }, (_, i) => `${name}[${i}]`));
  });
}

/** Scalar vs vector naming: a 1-component shapesys/staterror/shapefactor is still `name[0]`. */
function fromPyhfLabels(fx: Json, name: string): string[] | null {
  const types = new Set<string>();
  for (const ch of fx.spec.channels) {
    for (const s of ch.samples) for (const m of s.modifiers) if (m.name === name) types.add(m.type);
  }
  const perBin = ["shapesys", "staterror", "shapefactor"].some((t) => types.has(t));
  const n = fx.model_info.parameters[name].n;
  return perBin ? Array.from({ length: n }, (_, i) => `${name}[${i}]`) : null;
}
