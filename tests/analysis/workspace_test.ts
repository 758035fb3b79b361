import assert from "node:assert/strict";
import { resolveConfig } from "../../analysis/config/load.ts";
import { DEFAULT_CONFIG } from "../../analysis/config/defaults.ts";
import { histogramProcess } from "../../analysis/histograms.ts";
import { runStatistics } from "../../analysis/statistics.ts";
import { buildWorkspace } from "../../analysis/workspace.ts";
import { fromPyhf, validateWorkspace } from "../../stats/mod.ts";
import { coarseBinning, syntheticDataset } from "./_synthetic.ts";

const close = (a: number, b: number, tol: number, what = "") =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

const cfg = await resolveConfig({ config: coarseBinning(DEFAULT_CONFIG.channels[0]) });
const hists = syntheticDataset(400, 3).map((pe) => histogramProcess(pe, cfg));

Deno.test("workspace: pyhf structure, modifiers split into normsys + histosys, lumi, staterror", async () => {
  const { workspace: ws, warnings } = buildWorkspace(hists, cfg);
  assert.deepEqual(warnings, []);
  // Only pyhf's top-level keys, and it validates and builds as a model.
  assert.deepEqual(Object.keys(ws).sort(), ["channels", "measurements", "observations", "version"]);
  validateWorkspace(JSON.parse(JSON.stringify(ws)));
  const model = fromPyhf(ws);
  assert.equal(model.poiName, "mu");
  assert.deepEqual([...model.samples].sort(), ["signal", "ttbar_semilep", "wjets"]);
  const ch = ws.channels[0];
  const tt = ch.samples.find((s) => s.name === "ttbar_semilep")!;
  const byKey = Object.fromEntries(tt.modifiers.map((m) => [`${m.type}/${m.name}`, m]));
  assert.ok(byKey["lumi/lumi"] && byKey["staterror/staterror_Zprime_channel"]);
  assert.deepEqual(byKey["normsys/ttbar_norm"].data, { hi: 1.05, lo: 0.95 });
  assert.ok(!byKey["normsys/wjets_norm"], "wjets_norm is only on W+jets");
  assert.ok(!byKey["normfactor/mu"], "mu is only on the signal");
  // Split: normsys = yield ratios of the up/down histograms, histosys = yield-normalised shapes.
  const h = hists.find((x) => x.process === "ttbar_semilep")!.hists.Zprime_channel.mtt;
  const jesN = byKey["normsys/jet_energy_scale"].data as { hi: number; lo: number };
  close(jesN.hi, sum(h.jet_energy_scale_up.sumw) / sum(h.nominal.sumw), 1e-12, "normsys hi");
  close(jesN.lo, sum(h.jet_energy_scale_down.sumw) / sum(h.nominal.sumw), 1e-12, "normsys lo");
  const jesH = byKey["histosys/jet_energy_scale"].data as { hi_data: number[]; lo_data: number[] };
  close(sum(jesH.hi_data), sum(tt.data), 1e-12, "histosys hi keeps the nominal yield");
  close(sum(jesH.lo_data), sum(tt.data), 1e-12, "histosys lo keeps the nominal yield");
  assert.deepEqual(
    byKey["staterror/staterror_Zprime_channel"].data as number[],
    h.nominal.sumw2.map(Math.sqrt),
  );
  assert.deepEqual(ws.measurements[0].config.parameters, [
    { name: "lumi", auxdata: [1], sigmas: [0.025], bounds: [[0.875, 1.125]], inits: [1] },
  ]);
  const data = hists.find((x) => x.isData)!.hists.Zprime_channel.mtt.nominal.sumw;
  assert.deepEqual(ws.observations, [{ name: "Zprime_channel", data }]);

  // "histosys" mode: the up/down histograms as they are.
  const cfgH = await resolveConfig({
    config: coarseBinning(DEFAULT_CONFIG.channels[0]),
    overrides: ["statistics.shapeSystematics=histosys"],
  });
  const wsH = buildWorkspace(hists, cfgH).workspace;
  const ttH = wsH.channels[0].samples.find((s) => s.name === "ttbar_semilep")!;
  const jes = ttH.modifiers.filter((m) => m.name === "jet_energy_scale");
  assert.deepEqual(jes.map((m) => m.type), ["histosys"]);
  assert.deepEqual((jes[0].data as { hi_data: number[] }).hi_data, h.jet_energy_scale_up.sumw);
  fromPyhf(wsH);
});

Deno.test("workspace: its fit agrees with `deno task zgrad fit` on the written file", async () => {
  const { workspace } = buildWorkspace(hists, cfg);
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/workspace.json`;
    await Deno.writeTextFile(path, JSON.stringify(workspace));
    const r = runStatistics(workspace, cfg);
    assert.ok(r.converged, r.warnings.join("; "));
    const cli = new URL("../../cli.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", cli, "fit", path, "--json", "--interp", "pyhf"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const rep = JSON.parse(new TextDecoder().decode(out.stdout));
    close(rep.metric.twice_nll, r.fit.twiceNll, 1e-8, "twice_nll");
    r.model.parLabels.forEach((l, i) =>
      close(rep.metric.bestfit[l], r.fit.bestfit[i], 1e-5, `bestfit ${l}`)
    );
    close(rep.uncertainty.poi, r.fit.uncertainties[r.model.poiIndex!], 1e-4, "σ(mu)");

    // Results are sensible: an upper limit above the best fit, CLs in (0, 1], bands ordered.
    assert.ok(r.limit.obsLimit > r.fit.bestfit[r.model.poiIndex!]);
    assert.ok(r.hypotest.cls > 0 && r.hypotest.cls <= 1);
    assert.deepEqual([...r.limit.expLimits].sort((a, b) => a - b), r.limit.expLimits);
    // Per-sample yields add up to the model's total, pre- and post-fit; bands are positive.
    for (const y of [r.yields.prefit.Zprime_channel, r.yields.postfit.Zprime_channel]) {
      const s = Object.values(y.samples).reduce((a, b) => a.map((x, i) => x + b[i]));
      y.total.forEach((t, b) => close(s[b], t, 1e-10, `bin ${b}`));
      assert.ok(y.uncertainty.some((u) => u > 0));
    }
    // Pre-fit at the suggested init is the workspace's nominal sum.
    const nominal = workspace.channels[0].samples.map((s) => s.data)
      .reduce((a, b) => a.map((x, i) => x + b[i]));
    r.yields.prefit.Zprime_channel.total.forEach((t, b) => close(t, nominal[b], 1e-10, `pre ${b}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
