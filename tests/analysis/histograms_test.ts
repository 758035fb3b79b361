import assert from "node:assert/strict";
import { resolveConfig } from "../../analysis/config/load.ts";
import { muonIdSf } from "../../analysis/config/defaults.ts";
import { fillHistogram, histogramProcess } from "../../analysis/histograms.ts";
import { applyObjectMasks, eventsFromTable, selectEvents } from "../../analysis/events.ts";
import { goodFatJet, goodJet, goodMuon, mtt, zprimeChannel } from "../../analysis/physics.ts";
import { syntheticProcess } from "./_synthetic.ts";

const close = (a: number, b: number, tol: number, what = "") =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0);

Deno.test("fillHistogram: numpy's bin convention, overflow drop/clip, NaN dropped", () => {
  const edges = [0, 1, 2, 4];
  const h = fillHistogram([0, 0.5, 1, 3.9, 4, 5, -1, NaN], [1, 2, 3, 4, 5, 6, 7, 8], edges);
  assert.deepEqual(h.sumw, [3, 3, 9]); // 4 is in the last (closed) bin
  assert.deepEqual(h.sumw2, [5, 9, 41]);
  assert.equal(h.entries, 5);
  const c = fillHistogram([-1, 5, 1.5], [1, 2, 3], edges, "clip");
  assert.deepEqual(c.sumw, [1, 3, 2]);
  assert.throws(() => fillHistogram([1], [], edges), /1 values but 0 weights/);
});

Deno.test("histograms of a process with its variations agree with a direct computation", async () => {
  const cfg = await resolveConfig();
  const pe = syntheticProcess("ttbar_semilep", "ttbar", 600, 11, { xsec: 0.02 });
  const h = histogramProcess(pe, cfg);
  const byVar = h.hists.Zprime_channel.mtt;
  assert.deepEqual(Object.keys(byVar).sort(), [
    "jet_energy_scale_down",
    "jet_energy_scale_up",
    "muon_id_sf_down",
    "muon_id_sf_up",
    "nominal",
  ]);

  // Nominal: the channel's events, weight × muon-ID SF, filled by hand.
  const ev = eventsFromTable(pe.table);
  const good = applyObjectMasks(ev, [
    { object: "Muon", function: goodMuon },
    { object: "Jet", function: goodJet },
    { object: "FatJet", function: goodFatJet },
  ]);
  const mask = zprimeChannel(good).dataSync();
  const sel = selectEvents(good, zprimeChannel(good));
  const w = pe.weight.filter((_, i) => mask[i]);
  const sf = muonIdSf.nominal(sel).dataSync();
  const x = mtt(sel).dataSync();
  const edges = byVar.nominal.edges;
  const ref = fillHistogram(x, w.map((wi, i) => wi * sf[i]), edges);
  byVar.nominal.sumw.forEach((v, b) => close(v, ref.sumw[b], 1e-12, `bin ${b}`));
  assert.equal(h.yields.Zprime_channel.events, sel.nEvents);
  // The yield counts every selected event (also those outside the histogram's range).
  close(h.yields.Zprime_channel.sumw, sum(w.map((wi, i) => wi * sf[i])), 1e-12, "Σw");
  assert.ok(h.yields.Zprime_channel.sumw > sum(ref.sumw), "some events are above 3 TeV");

  // Event-level variation: the SF replaced by its up value, same events.
  const up = muonIdSf.up(sel).dataSync();
  const refUp = fillHistogram(x, w.map((wi, i) => wi * up[i]), edges);
  byVar.muon_id_sf_up.sumw.forEach((v, b) => close(v, refUp.sumw[b], 1e-12, `up bin ${b}`));
  assert.ok(sum(byVar.muon_id_sf_up.sumw) > sum(byVar.nominal.sumw));
  assert.ok(sum(byVar.muon_id_sf_down.sumw) < sum(byVar.nominal.sumw));

  // Object-level variation: jets 3 % harder → more fat jets pass pT > 500 and mtt shifts up.
  const mean = (hh: { sumw: number[] }) =>
    sum(hh.sumw.map((v, b) => v * (edges[b] + edges[b + 1]) / 2)) / sum(hh.sumw);
  assert.ok(sum(byVar.jet_energy_scale_up.sumw) >= sum(byVar.nominal.sumw));
  assert.ok(sum(byVar.jet_energy_scale_down.sumw) <= sum(byVar.nominal.sumw));
  assert.ok(mean(byVar.jet_energy_scale_up) > mean(byVar.jet_energy_scale_down));
  assert.notDeepEqual(byVar.jet_energy_scale_up.sumw, byVar.nominal.sumw);
});

Deno.test("data gets only the nominal; runSystematics=false drops variations", async () => {
  const cfg = await resolveConfig();
  const data = syntheticProcess("data", "ttbar", 300, 5, { isData: true });
  const hd = histogramProcess(data, cfg);
  assert.deepEqual(Object.keys(hd.hists.Zprime_channel.mtt), ["nominal"]);
  // Data has no corrections: Σw is the event count.
  assert.equal(hd.yields.Zprime_channel.sumw, hd.yields.Zprime_channel.events);
  const noSys = await resolveConfig({ overrides: ["general.runSystematics=false"] });
  const hm = histogramProcess(syntheticProcess("wjets", "wjets", 300, 5), noSys);
  assert.deepEqual(Object.keys(hm.hists.Zprime_channel.mtt), ["nominal"]);
});
