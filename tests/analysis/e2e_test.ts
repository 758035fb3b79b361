import assert from "node:assert/strict";
import { main } from "../../analysis/run.ts";
import type { NondiffResult } from "../../analysis/nondiff.ts";
import { loadOptions } from "../../analysis/input.ts";
import { main as cliMain } from "../../stats/cli/main.ts";
import { DEFAULT_CONFIG } from "../../analysis/config/defaults.ts";
import { parseWorkspace } from "../../stats/mod.ts";
import { syntheticDataset } from "./_synthetic.ts";

Deno.test("end to end: general.analysis=nondiff on synthetic events writes workspace, metrics, plots", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A TypeScript user config (functions allowed): the default channel with 6 mtt bins.
    const here = (p: string) => new URL(p, import.meta.url).href;
    await Deno.writeTextFile(
      `${dir}/config.ts`,
      `import { DEFAULT_CONFIG } from "${here("../../analysis/config/defaults.ts")}";\n` +
        `import { coarseBinning } from "${here("./_synthetic.ts")}";\n` +
        `export const config = coarseBinning(DEFAULT_CONFIG.channels[0], 6);\n`,
    );
    const out: string[] = [], err: string[] = [], progress: string[] = [];
    const requested: unknown[] = [];
    let result: NondiffResult | undefined;
    const code = await main([
      "--config",
      `${dir}/config.ts`,
      "general.analysis=nondiff",
      `general.outputDir=${dir}/out`,
      "general.maxFiles=2",
    ], {
      loader: (opts) => {
        requested.push(opts);
        return Promise.resolve(syntheticDataset(300, 5));
      },
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      progress: { write: (t) => progress.push(t), isTerminal: false },
      onResult: (r) => (result = r),
    });
    assert.equal(code, 0, err.join("\n"));
    // The loader got the config's data options.
    const noSelect = (o: unknown) => JSON.parse(JSON.stringify(o)); // the skim's function aside
    assert.deepEqual(noSelect(requested), [
      noSelect({ ...loadOptions(DEFAULT_CONFIG), maxFiles: 2 }),
    ]);
    // Progress: one line when a step starts and one when it ends (not a terminal).
    const lines = progress.join("").trim().split("\n");
    for (const step of ["loading events", "histogramming", "workspace", "statistics", "plots"]) {
      assert.ok(lines.some((l) => l.startsWith(`${step}`) && l.endsWith("...")), step);
      assert.ok(lines.some((l) => l.startsWith(`${step}`) && / done in /.test(l)), step);
    }
    // The summary table.
    const summary = out.join("\n");
    assert.match(summary, /process\s+events\s+Σw/);
    assert.match(summary, /Z0 \(discovery\)/);
    assert.match(summary, /95% CL limit on μ/);

    const ws = parseWorkspace(await Deno.readTextFile(`${dir}/out/workspace.json`));
    assert.equal(ws.channels[0].samples[0].data.length, 6);
    const m = JSON.parse(await Deno.readTextFile(`${dir}/out/metrics.json`));
    assert.equal(m.schema, "zgrad-analysis/1");
    assert.deepEqual(Object.keys(m.yields.Zprime_channel).sort(), [
      "data",
      "signal",
      "ttbar_semilep",
      "wjets",
    ]);
    assert.equal(m.status.converged, true, m.status.warnings.join("; "));
    assert.equal(typeof m.significance.z0_obs, "number");
    assert.equal(m.hypotest.cls_exp.length, 5);
    assert.equal(m.upper_limit.exp.length, 5);
    assert.ok(m.upper_limit.obs > 0);
    assert.match(m.provenance.config_hash, /^[0-9a-f]{64}$/);
    assert.equal(m.provenance.interpolation, "pyhf");
    assert.deepEqual(m.provenance.input_files.signal, ["synthetic://signal/5"]);
    for (const k of ["load_s", "histogramming_s", "workspace_s", "plots_s", "total_s"]) {
      assert.equal(typeof m.timings[k], "number", k);
    }
    assert.equal(m.fit.bestfit.mu, result!.stats!.fit.bestfit[result!.stats!.model.poiIndex!]);
    // Plots: pre- and post-fit SVGs of the fit observable.
    assert.deepEqual(m.plots.map((p: string) => p.slice(p.lastIndexOf("/") + 1)), [
      "Zprime_channel_mtt_prefit.svg",
      "Zprime_channel_mtt_postfit.svg",
    ]);
    for (const p of m.plots) {
      const svg = await Deno.readTextFile(p);
      assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(svg, /tt̄ \(lepton\+jets\)/); // the legend
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("end to end: general.analysis=both on the bundled input; the CLI fits the same", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const here = (p: string) => new URL(p, import.meta.url).href;
    // Small sizes for CI: 100 MVA epochs, 4 optimisation steps.
    await Deno.writeTextFile(
      `${dir}/config.ts`,
      `import { DEFAULT_CONFIG } from "${here("../../analysis/config/defaults.ts")}";\n` +
        `export const config = { ...DEFAULT_CONFIG,\n` +
        `  mva: DEFAULT_CONFIG.mva.map((m) => ({ ...m, epochs: 100 })),\n` +
        `  optimisation: { ...DEFAULT_CONFIG.optimisation, maxIterations: 4 } };\n`,
    );
    const out: string[] = [], err: string[] = [];
    const io = {
      out: (t: string) => out.push(t),
      err: (t: string) => err.push(t),
      progress: { write: () => {}, isTerminal: false },
    };
    const args = [
      "--config",
      `${dir}/config.ts`,
      "general.analysis=both",
      "general.bundledEvents=10000",
      `general.outputDir=${dir}/out`,
      `general.cacheDir=${dir}/cache`,
    ];
    assert.equal(await main(args, io), 0, err.join("\n"));
    const printed = out.join("\n");
    assert.match(printed, /Z0 \(discovery\)/);
    assert.match(printed, /soft cuts, optimised/);
    // The non-differentiable path.
    const m = JSON.parse(await Deno.readTextFile(`${dir}/out/metrics.json`));
    assert.equal(m.fit.converged, true, m.status.warnings.join("; "));
    assert.ok(m.yields.Zprime_channel.signal.sumw > 0 && m.yields.Zprime_channel.data.events > 0);
    assert.equal(typeof m.significance.z0_obs, "number");
    // The CLI on the written workspace: the same fit (pyhf's interpolation, as the analysis).
    const cli: string[] = [];
    const code = await cliMain(
      ["fit", `${dir}/out/workspace.json`, "--json", "--interp", "pyhf"],
      { out: (t) => cli.push(t), err: (t) => cli.push(t) },
    );
    assert.equal(code, 0, cli.join("\n"));
    const r = JSON.parse(cli.join("\n"));
    assert.ok(Math.abs(r.metric.twice_nll - m.fit.twice_nll) < 1e-6 * Math.abs(m.fit.twice_nll));
    assert.ok(Math.abs(r.metric.bestfit.mu - m.fit.bestfit.mu) < 1e-5);
    // The differentiable path: the optimisation raises the significance.
    const d = JSON.parse(await Deno.readTextFile(`${dir}/out/diff_metrics.json`));
    assert.equal(d.iterations, 4);
    assert.ok(d.final.z0 > d.initial.z0, `Z0 ${d.initial.z0} → ${d.final.z0}`);
    assert.ok(d.fits_converged.every(Boolean));
    assert.equal(typeof d.hard_cuts.z0, "number");
    const history = (await Deno.readTextFile(`${dir}/out/diff_history.jsonl`)).trim().split("\n");
    assert.equal(history.length, 5);
    parseWorkspace(await Deno.readTextFile(`${dir}/out/diff_workspace.json`));
    for (const f of ["diff_z0", "diff_param_met", "diff_mva_score", "diff_Zprime_channel_after"]) {
      assert.match(await Deno.readTextFile(`${dir}/out/plots/${f}.svg`), /^<svg/);
    }
    // A second run reads the event cache and the trained MVA: the same numbers.
    assert.equal(
      await main([...args.slice(0, 2), "general.analysis=diff", ...args.slice(3)], io),
      0,
    );
    const d2 = JSON.parse(await Deno.readTextFile(`${dir}/out/diff_metrics.json`));
    assert.equal(d2.mva.loaded, true);
    assert.equal(d2.final.z0, d.final.z0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("end to end: the diff path fails with a clear message until it is selected", async () => {
  const err: string[] = [];
  const io = {
    out: () => {},
    err: (t: string) => err.push(t),
    progress: { write: () => {}, isTerminal: false },
  };
  assert.equal(await main(["general.analysis=bogus"], io), 2);
  assert.match(err.at(-1)!, /general\.analysis/);
});
