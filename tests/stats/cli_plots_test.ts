/**
 * `zgrad upper-limit --scan/--bracket` (the CLs curve in the JSON against library calls),
 * `--plot DIR` for fit, upper-limit and ranking (valid SVG with the expected legend entries), and
 * progress on stderr off a terminal. The CLI runs in-process through `main` with captured
 * output, plus one subprocess for the real (piped, so non-TTY) stderr. Writes into a temp dir
 * (needs --allow-write; skipped with a message without it).
 */
import assert from "node:assert/strict";
import { main } from "../../stats/cli/main.ts";
import { commandUsage, parseArgs, USAGE, UsageError } from "../../stats/cli/args.ts";
import { BRAZIL_LEGEND } from "../../stats/cli/plots.ts";
import { fromPyhf, ranking, upperLimit } from "../../stats/mod.ts";
import type { ProgressSink } from "../../progress/mod.ts";

const canWrite = Deno.permissions.querySync({ name: "write" }).state === "granted";
const WRITE_SKIP = "no write permission (run with --allow-write): CLI plot tests skipped";

/** Two channels; normsys, histosys, staterror, lumi-free: every plot has something to show. */
const WS = {
  channels: [
    {
      name: "SR",
      samples: [
        {
          name: "signal",
          data: [4, 9, 6],
          modifiers: [{ name: "mu", type: "normfactor", data: null }],
        },
        {
          name: "ttbar",
          data: [40, 30, 12],
          modifiers: [
            { name: "xsec_tt", type: "normsys", data: { hi: 1.08, lo: 0.93 } },
            {
              name: "jes",
              type: "histosys",
              data: { hi_data: [43, 31, 11], lo_data: [38, 29.5, 12.8] },
            },
            { name: "staterror_SR", type: "staterror", data: [2, 1.5, 1] },
          ],
        },
      ],
    },
    {
      name: "CR tt",
      samples: [{
        name: "ttbar",
        data: [100, 80],
        modifiers: [
          { name: "xsec_tt", type: "normsys", data: { hi: 1.08, lo: 0.93 } },
          { name: "jes", type: "histosys", data: { hi_data: [104, 81], lo_data: [97, 79] } },
        ],
      }],
    },
  ],
  observations: [{ name: "SR", data: [47, 41, 17] }, { name: "CR tt", data: [103, 78] }],
  measurements: [{ name: "meas", config: { poi: "mu", parameters: [] } }],
  version: "1.0.0",
};

// deno-lint-ignore no-explicit-any
type Json = any;

interface Run {
  code: number;
  out: string;
  err: string;
  progress: string;
}

/** `main(argv)` with captured stdout, stderr and a non-terminal progress sink. */
async function run(argv: string[]): Promise<Run> {
  const out: string[] = [], err: string[] = [], progress: string[] = [];
  const sink: ProgressSink = { write: (t) => void progress.push(t), isTerminal: false };
  const code = await main(argv, {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    progress: sink,
  });
  return { code, out: out.join("\n"), err: err.join("\n"), progress: progress.join("") };
}

async function runJson(argv: string[]): Promise<Json> {
  const r = await run([...argv, "--json"]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out);
}

/** Runs `f` with a temp dir holding the workspace as `ws.json`; removes the dir afterwards. */
async function inTempDir(f: (dir: string, path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zgrad_splots_" });
  try {
    const path = `${dir}/ws.json`;
    await Deno.writeTextFile(path, JSON.stringify(WS));
    await f(dir, path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Carriage return or ESC: in-place redrawing, which has no place in a log. */
function hasControl(text: string): boolean {
  return text.includes("\r") || text.includes("\u001b");
}

function linspace(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? b : a + ((b - a) * i) / (n - 1)));
}

/** The SVG parses as one <svg> element and contains every `texts` entry (legend labels). */
function assertSvg(svg: string, texts: readonly string[], what: string) {
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/, `${what}: an <svg>`);
  assert.match(svg.trimEnd(), /<\/svg>$/, `${what}: closed`);
  const opened = (svg.match(/<g\b/g) ?? []).length, closed = (svg.match(/<\/g>/g) ?? []).length;
  assert.equal(opened, closed, `${what}: balanced <g>`);
  assert.doesNotMatch(svg, /NaN|undefined/, `${what}: no NaN/undefined in the drawing`);
  const text = svg.replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll("&gt;", ">");
  for (const t of texts) assert.ok(text.includes(t), `${what}: legend/text ${JSON.stringify(t)}`);
}

Deno.test("parseArgs: --scan, --bracket, --plot, --no-progress", () => {
  const a = parseArgs(["upper-limit", "ws.json", "--scan", "0:5:11", "--plot", "out"]);
  assert.deepEqual(a.scan, linspace(0, 5, 11));
  assert.equal(a.scan!.at(-1), 5);
  assert.equal(a.plot, "out");
  assert.equal(a.progress, true);
  assert.deepEqual(parseArgs(["upper-limit", "ws.json", "--scan=0.5,1,2"]).scan, [0.5, 1, 2]);
  assert.deepEqual(parseArgs(["upper-limit", "ws.json", "--bracket", "0.1,4"]).bracket, [0.1, 4]);
  assert.equal(parseArgs(["ranking", "ws.json", "--no-progress"]).progress, false);
  const bad: [string[], RegExp][] = [
    [["--scan", "0:5"], /START:STOP:COUNT/],
    [["--scan", "0:5:1"], /COUNT must be an integer >= 2/],
    [["--scan", "0:5:2.5"], /COUNT must be an integer/],
    [["--scan", "5:0:10"], /START must be below STOP/],
    [["--scan", "1,0.5"], /values must increase/],
    [["--scan", "a:1:3"], /START and STOP must be numbers/],
    [["--bracket", "2,1"], /--bracket expects LO,HI with LO < HI/],
    [["--bracket", "1"], /--bracket expects LO,HI/],
    [["--scan", "0:5:11", "--bracket", "0,5"], /--scan and --bracket exclude each other/],
  ];
  for (const [flags, re] of bad) {
    assert.throws(() => parseArgs(["upper-limit", "ws.json", ...flags]), UsageError);
    assert.throws(() => parseArgs(["upper-limit", "ws.json", ...flags]), re, flags.join(" "));
  }
  assert.throws(
    () => parseArgs(["hypotest", "ws.json", "--scan", "0:1:3"]),
    /does not take --scan/,
  );
  assert.throws(() => parseArgs(["hypotest", "ws.json", "--plot", "out"]), /does not take --plot/);
  assert.throws(() => parseArgs(["fit", "ws.json", "--bracket", "0,1"]), /does not take --bracket/);
});

Deno.test("--help lists the new options where the command takes them", () => {
  const has = (c: Parameters<typeof commandUsage>[0], flag: string) =>
    commandUsage(c).includes(`  ${flag} `);
  for (const f of ["--scan", "--bracket", "--plot", "--no-progress"]) {
    assert.ok(has("upper-limit", f), f);
    assert.ok(USAGE.includes(`  ${f} `), `zgrad --help: ${f}`);
  }
  assert.ok(has("fit", "--plot") && has("ranking", "--plot") && has("ranking", "--no-progress"));
  for (const c of ["hypotest", "significance"] as const) {
    assert.ok(!has(c, "--plot"), `${c} takes no --plot`);
    assert.throws(() => parseArgs([c, "ws.json", "--plot", "d"]), /does not take --plot/);
  }
  for (const c of ["fit", "upper-limit", "ranking"] as const) {
    parseArgs([c, "w.json", "--plot", "d"]);
  }
});

Deno.test({
  name: "zgrad upper-limit --scan/--bracket: limits and the CLs curve match upperLimit",
  ignore: !canWrite,
  fn: (t) =>
    inTempDir(async (_dir, path) => {
      const model = fromPyhf(WS);
      const data = model.observed;

      await t.step(
        "--scan 0:6:13: interpolated limits and the curve at every scanned μ",
        async () => {
          const r = await runJson(["upper-limit", path, "--scan", "0:6:13"]);
          const scan = linspace(0, 6, 13);
          const lib = upperLimit(data, model, { scan });
          assert.equal(r.metric.method, "scan");
          assert.deepEqual(r.metric.scan, scan);
          assert.equal(r.metric.hypotests, 13);
          assert.deepEqual(r.metric.curve.mu, scan);
          assert.equal(r.metric.obs_limit, lib.obsLimit);
          assert.deepEqual(r.metric.exp_limits, lib.expLimits);
          for (let i = 0; i < scan.length; i++) {
            const h = lib.results[lib.tested.indexOf(scan[i])];
            assert.equal(r.metric.curve.cls_obs[i], h.cls, `CLs obs at μ = ${scan[i]}`);
            assert.deepEqual(
              r.metric.curve.cls_exp[i],
              h.expected.cls,
              `CLs exp at μ = ${scan[i]}`,
            );
            assert.equal(r.metric.curve.cls_exp[i].length, 5);
          }
          // The limit is where the interpolated observed curve crosses 0.05.
          const k = r.metric.curve.cls_obs.findIndex((c: number) => c < 0.05);
          assert.ok(k > 0 && scan[k - 1] <= r.metric.obs_limit && r.metric.obs_limit <= scan[k]);
        },
      );

      await t.step(
        "--bracket: root finding from the bracket, as upperLimit(poiRange)",
        async () => {
          const r = await runJson(["upper-limit", path, "--bracket", "0.5,3"]);
          const lib = upperLimit(data, model, { poiRange: [0.5, 3] });
          assert.equal(r.metric.method, "root finding");
          assert.deepEqual(r.metric.bracket, [0.5, 3]);
          assert.equal(r.metric.obs_limit, lib.obsLimit);
          assert.deepEqual(r.metric.exp_limits, lib.expLimits);
          assert.deepEqual(r.metric.curve.mu, [...lib.tested].sort((a, b) => a - b));
          assert.deepEqual(r.metric.curve.mu, lib.curve.mu);
          assert.deepEqual(r.metric.curve.cls_obs, lib.curve.cls);
          // The bracket was the start: its ends are tested first.
          assert.deepEqual(lib.tested.slice(0, 2), [0.5, 3]);
          const dflt = upperLimit(data, model);
          assert.ok(Math.abs(dflt.obsLimit - lib.obsLimit) < 1e-3 * dflt.obsLimit);
        },
      );

      await t.step(
        "progress off a terminal: a start line and a done line with counts",
        async () => {
          const r = await run(["upper-limit", path, "--scan", "0:6:13"]);
          assert.equal(r.code, 0, r.err);
          const lines = r.progress.split("\n").filter(Boolean);
          assert.deepEqual(lines[0], "upper-limit: scan...");
          assert.match(lines.at(-1)!, /^upper-limit: scan: done in [\d.]+ s \(13\/13\)$/);
          assert.ok(!hasControl(r.progress), "no cursor control off a terminal");
          const quiet = await run(["upper-limit", path, "--scan", "0:6:13", "--no-progress"]);
          assert.equal(quiet.progress, "");
          const rk = await run(["ranking", path]);
          assert.match(rk.progress, /^ranking: refits\.\.\.\n/);
          const refits = ranking(data, model).refits;
          assert.match(rk.progress, new RegExp(`ranking: refits: done in [\\d.]+ s \\(${refits}/`));
        },
      );
    }),
});

Deno.test({
  name: "zgrad --plot: each command writes its plots as SVG with the expected legend",
  ignore: !canWrite,
  fn: (t) =>
    inTempDir(async (dir, path) => {
      const read = (f: string) => Deno.readTextFile(f);

      await t.step("fit: pulls and pre-/post-fit yields per channel", async () => {
        const out = `${dir}/fit`;
        const r = await runJson(["fit", path, "--plot", out]);
        const want = ["pulls", "prefit_CR_tt", "postfit_CR_tt", "prefit_SR", "postfit_SR"]
          .map((n) => `${out}/${n}.svg`);
        assert.deepEqual(r.plots, want);
        assertSvg(await read(`${out}/pulls.svg`), [
          "pre-fit ±1σ",
          "pre-fit ±2σ",
          "post-fit θ̂ ± σ̂",
          "xsec_tt",
          "jes",
          "staterror_SR[2]",
        ], "pulls");
        for (const stage of ["prefit", "postfit"]) {
          assertSvg(await read(`${out}/${stage}_SR.svg`), [
            "signal",
            "ttbar",
            "data",
            "uncertainty",
            `SR: ${stage.replace("fit", "-fit")}`,
          ], `${stage} SR`);
          const cr = await read(`${out}/${stage}_CR_tt.svg`);
          assertSvg(cr, ["ttbar", "data", "uncertainty"], `${stage} CR`);
          assert.ok(!cr.includes(">signal<"), "signal is not in the CR: no legend entry");
        }
      });

      await t.step("upper-limit: the Brazil band", async () => {
        const out = `${dir}/ul`;
        const r = await runJson(["upper-limit", path, "--scan", "0:6:13", "--plot", out]);
        assert.deepEqual(r.plots, [`${out}/brazil.svg`]);
        const L = BRAZIL_LEGEND;
        assertSvg(
          await read(`${out}/brazil.svg`),
          [L.observed, L.expected, L.oneSigma, L.twoSigma, L.level(0.05), "CLs against mu"],
          "brazil",
        );
        const h = await run(["upper-limit", path, "--plot", out, "--level", "0.1"]);
        assert.equal(h.code, 0, h.err);
        assert.match(h.out, new RegExp(`plots: ${out}/brazil.svg`));
        assert.ok((await read(`${out}/brazil.svg`)).includes(L.level(0.1)));
      });

      await t.step("ranking: impacts and pulls", async () => {
        const out = `${dir}/rank`;
        const r = await runJson(["ranking", path, "--plot", out]);
        assert.deepEqual(r.plots, [`${out}/ranking.svg`]);
        const svg = await read(`${out}/ranking.svg`);
        assertSvg(svg, [
          "pre-fit impact: θ = θ̂ + σ₀",
          "pre-fit impact: θ = θ̂ − σ₀",
          "post-fit impact: θ = θ̂ + σ̂",
          "post-fit impact: θ = θ̂ − σ̂",
          "pull",
          "Δmu",
          ...r.metric.impacts.map((i: Json) => i.label),
        ], "ranking");
        // Rows in the ranking's order (largest impact first, at the top).
        const pos = r.metric.impacts.map((i: Json) => svg.indexOf(`>${i.label}<`));
        assert.ok(pos.every((p: number) => p >= 0), "every label drawn");
      });

      await t.step("no --plot: nothing written, plots empty", async () => {
        const r = await runJson(["fit", path]);
        assert.deepEqual(r.plots, []);
      });

      await t.step("an unwritable plot directory is a one-line input error", async () => {
        const file = `${dir}/a_file`;
        await Deno.writeTextFile(file, "");
        const r = await run(["fit", path, "--plot", `${file}/sub`]);
        assert.equal(r.code, 1);
        assert.match(r.err, /^zgrad: error: cannot write plots to /);
      });
    }),
});

/** The deno binary to run, when allowed. */
const denoBin = [Deno.execPath(), "deno"].find((command) =>
  Deno.permissions.querySync({ name: "run", command }).state === "granted"
);

Deno.test({
  name: "zgrad subprocess: progress on a piped (non-TTY) stderr is one line per step",
  ignore: !denoBin || !canWrite,
  fn: () =>
    inTempDir(async (_dir, path) => {
      const o = await new Deno.Command(denoBin!, {
        args: ["run", "-A", "cli.ts", "upper-limit", path, "--scan", "0:6:7", "--json"],
        cwd: new URL("../../", import.meta.url),
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const err = new TextDecoder().decode(o.stderr);
      assert.equal(o.code, 0, err);
      JSON.parse(new TextDecoder().decode(o.stdout)); // stdout stays pure JSON
      const lines = err.split("\n").filter((l) => l.startsWith("upper-limit"));
      assert.equal(lines.length, 2, err);
      assert.equal(lines[0], "upper-limit: scan...");
      assert.match(lines[1], /^upper-limit: scan: done in [\d.]+ s \(7\/7\)$/);
      assert.ok(!hasControl(err), "no cursor control off a terminal");
    }),
});

if (!canWrite) console.warn(WRITE_SKIP);
