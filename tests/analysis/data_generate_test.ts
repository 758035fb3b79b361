/**
 * The bundled input: the generator is deterministic for a seed, its physics is sensible (the
 * reference selection's mtt peaks near 2 TeV for the Z′ and falls for tt̄; b-jets are b-tagged,
 * top jets top-tagged), weights follow sign(genWeight)·σ·L/N_gen, filesets validate with key
 * paths, and loadDataset generates the bundled cache once and re-uses it.
 */
import assert from "node:assert/strict";
import type { EventTable, Jagged } from "../../analysis/data/columns.ts";
import { defaultFileset, parseBundled } from "../../analysis/data/bundled.ts";
import { eventWeights, FilesetError, parseFileset } from "../../analysis/data/fileset.ts";
import { BUNDLED_PROCESSES, bundledNGen, generateProcess } from "../../analysis/data/generate.ts";
import { add, fromPtEtaPhiM, mass } from "../../analysis/data/kinematics.ts";
import { DEFAULT_BRANCHES, loadDatasetWithReport } from "../../analysis/data/mod.ts";
import { Rng } from "../../analysis/data/prng.ts";
import { assertArrayEqual, noWrite, skipBecause, sum, tempDir } from "./data_helpers.ts";

/** The reference selection and mtt (−1 when the event fails), written out plainly. */
function referenceMtt(t: EventTable): Float64Array {
  const c = t.columns as Record<string, Jagged & Float32Array>;
  const M = c.Muon_pt, J = c.Jet_pt, F = c.FatJet_pt;
  const out = new Float64Array(t.nEvents).fill(-1);
  for (let i = 0; i < t.nEvents; i++) {
    const mus = [], jets = [], fats = [];
    for (let k = M.offsets[i]; k < M.offsets[i + 1]; k++) {
      if (
        M.values[k] > 55 && Math.abs(c.Muon_eta.values[k]) < 2.4 && c.Muon_tightId.values[k] &&
        c.Muon_miniIsoId.values[k] > 1
      ) mus.push(k);
    }
    for (let k = J.offsets[i]; k < J.offsets[i + 1]; k++) {
      if (c.Jet_jetId.values[k] >= 4 && c.Jet_btagDeepB.values[k] > 0.5) jets.push(k);
    }
    for (let k = F.offsets[i]; k < F.offsets[i + 1]; k++) {
      if (F.values[k] > 500 && c.FatJet_particleNet_TvsQCD.values[k] > 0.5) fats.push(k);
    }
    if (mus.length !== 1 || jets.length < 2 || fats.length < 1) continue;
    const [m, j, f] = [mus[0], jets[0], fats[0]];
    out[i] = mass(add(
      fromPtEtaPhiM(M.values[m], c.Muon_eta.values[m], c.Muon_phi.values[m], c.Muon_mass.values[m]),
      fromPtEtaPhiM(
        F.values[f],
        c.FatJet_eta.values[f],
        c.FatJet_phi.values[f],
        c.FatJet_mass.values[f],
      ),
      fromPtEtaPhiM(J.values[j], c.Jet_eta.values[j], c.Jet_phi.values[j], c.Jet_mass.values[j]),
      fromPtEtaPhiM(c.MET_pt[i], 0, c.MET_phi[i], 0),
    ));
  }
  return out;
}

function histogram(x: Float64Array, edges: number[]): number[] {
  const h = new Array(edges.length - 1).fill(0);
  for (const v of x) {
    for (let b = 0; b < h.length; b++) if (v >= edges[b] && v < edges[b + 1]) h[b]++;
  }
  return h;
}

Deno.test("prng: deterministic streams and sampler moments", () => {
  const a = new Rng(5, "x"), b = new Rng(5, "x"), c = new Rng(5, "y");
  const xa = Array.from({ length: 5 }, () => a.uniform());
  assert.deepEqual(xa, Array.from({ length: 5 }, () => b.uniform()));
  assert.notDeepEqual(xa, Array.from({ length: 5 }, () => c.uniform()));
  const r = new Rng(1);
  const n = 20000;
  const mean = (f: () => number) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += f();
    return s / n;
  };
  assert.ok(Math.abs(mean(() => r.normal())) < 0.03);
  assert.ok(Math.abs(mean(() => r.beta(2, 3)) - 0.4) < 0.01);
  assert.ok(Math.abs(mean(() => r.poisson(3.5)) - 3.5) < 0.06);
  assert.ok(Math.abs(mean(() => r.poisson(900)) - 900) < 1.5);
  assert.equal(sum(r.subset(1000, 160)), 160);
});

Deno.test("generator: deterministic for a seed", () => {
  const a = generateProcess("ttbar_semilep", { events: 2000, seed: 7 });
  const b = generateProcess("ttbar_semilep", { events: 2000, seed: 7 });
  const c = generateProcess("ttbar_semilep", { events: 2000, seed: 8 });
  assert.equal(a.table.nEvents, b.table.nEvents);
  for (const [n, col] of Object.entries(a.table.columns)) {
    const other = b.table.columns[n];
    const vals = (x: typeof col) => "offsets" in x ? x.values : x;
    assertArrayEqual(vals(other), vals(col), n);
  }
  const pa = a.table.columns.Muon_pt as Jagged, pc = c.table.columns.Muon_pt as Jagged;
  assert.notEqual(sum(pa.values), sum(pc.values));
});

Deno.test("generator: physics sanity with the reference selection", () => {
  const sig = generateProcess("signal", { events: 4000, seed: 3 });
  const tt = generateProcess("ttbar_semilep", { events: 8000, seed: 3 });
  const wj = generateProcess("wjets", { events: 4000, seed: 3 });
  for (const g of [sig, tt, wj]) {
    // The default skim: trigger and MET > 50 GeV in every kept event.
    assert.ok((g.table.columns.HLT_TkMu50 as Uint8Array).every((x) => x === 1));
    assert.ok((g.table.columns.MET_pt as Float32Array).every((x) => x > 50));
    assert.ok(g.table.nEvents > 0.1 * g.nInput && g.table.nEvents < g.nInput);
  }
  const edges = [200, 600, 1000, 1400, 1800, 2200, 2600, 3000];
  const hs = histogram(referenceMtt(sig.table), edges);
  const peak = hs.indexOf(Math.max(...hs));
  assert.ok(
    edges[peak] >= 1400 && edges[peak + 1] <= 2600,
    `signal mtt peaks at bin ${peak}: ${hs}`,
  );
  assert.ok(hs[4] + hs[5] > 0.4 * sum(hs), `signal concentrated in 1.8–2.6 TeV: ${hs}`);
  const ht = histogram(referenceMtt(tt.table), edges);
  assert.ok(ht[2] + ht[3] > ht[4] && ht[4] > ht[5] && ht[5] >= ht[6], `tt̄ mtt falls: ${ht}`);
  // Taggers: the leading fat jet above 500 GeV is a top (tagged, ~m_t) in Z′ and tt̄ events and a
  // QCD jet (untagged, light) in W+jets; b-tagging scores are higher in tt̄ than in W+jets.
  const leadingFat = (t: EventTable) => {
    const F = t.columns.FatJet_pt as Jagged;
    const score = (t.columns.FatJet_particleNet_TvsQCD as Jagged).values;
    const m = (t.columns.FatJet_mass as Jagged).values;
    let n = 0, tagged = 0, massSum = 0;
    for (let i = 0; i < t.nEvents; i++) {
      const k = F.offsets[i];
      if (F.offsets[i + 1] === k || F.values[k] <= 500) continue;
      n++;
      if (score[k] > 0.5) tagged++;
      massSum += m[k];
    }
    return { tagged: tagged / n, mass: massSum / n };
  };
  for (const g of [sig, tt]) {
    const l = leadingFat(g.table);
    assert.ok(l.tagged > 0.5 && l.mass > 120 && l.mass < 190, JSON.stringify(l));
  }
  const lw = leadingFat(wj.table);
  assert.ok(lw.tagged < 0.15 && lw.mass < 100, JSON.stringify(lw));
  const meanValues = (t: EventTable, n: string) => {
    const v = (t.columns[n] as Jagged).values;
    return sum(v) / v.length;
  };
  assert.ok(meanValues(tt.table, "Jet_btagDeepB") > 2 * meanValues(wj.table, "Jet_btagDeepB"));
  const selected = (g: typeof sig) => referenceMtt(g.table).filter((m) => m > 0).length / g.nInput;
  assert.ok(selected(sig) > 0.03 && selected(sig) < 0.2, `signal efficiency ${selected(sig)}`);
  assert.ok(selected(wj) < 0.01, `W+jets efficiency ${selected(wj)}`);
});

Deno.test("weights and filesets", () => {
  const fs = defaultFileset({ events: 10000, seed: 1 });
  assert.deepEqual(Object.keys(fs), [...Object.keys(BUNDLED_PROCESSES), "data"]);
  assert.equal(fs.ttbar_semilep.xsec, 364.31);
  assert.equal(fs.wjets.xsec, 61526.7);
  const wj = parseBundled(fs.wjets.files[0]);
  assert.equal(fs.wjets.nGen, bundledNGen("wjets", wj.events));
  // W+jets: 16% negative genWeights, N_gen = Σ sign / ε, yields independent of the sample size.
  const g = generateProcess("wjets", {
    events: wj.events,
    seed: 1,
    skim: { name: "all", branches: [], select: (t) => new Uint8Array(t.nEvents).fill(1) },
    muonFilterPt: 0,
  });
  const gw = g.table.columns.genWeight as Float32Array;
  assert.equal(gw.filter((x) => x < 0).length, Math.round(0.16 * wj.events));
  const w = eventWeights(fs.wjets, gw, g.table.nEvents, 16400);
  const expected = 61526.7 * 16400 * BUNDLED_PROCESSES.wjets.filterEff;
  assert.ok(Math.abs(sum(w) / expected - 1) < 1e-9, `${sum(w)} vs σ·L·ε ${expected}`);
  assert.ok(eventWeights(fs.data, undefined, 3).every((x) => x === 1));

  assert.throws(
    () =>
      parseFileset({
        sig: { files: [], xsec: "1" },
        data: { files: ["d.root"], isData: true, extra: 1 },
      }),
    (e: unknown) => {
      assert.ok(e instanceof FilesetError);
      assert.match(e.message, /fileset\.sig\.files: Too small/i);
      assert.match(e.message, /fileset\.sig\.xsec: .*number/i);
      assert.match(e.message, /fileset\.data: .*extra/i);
      return true;
    },
  );
  assert.throws(
    () => parseFileset({ bkg: { files: ["a.root"] } }),
    /fileset\.bkg\.xsec: required for MC[\s\S]*fileset\.bkg\.nGen/,
  );
  const ok = parseFileset({ bkg: { files: ["a.root", "https://x/y.root"], xsec: 2, nGen: 10 } }, {
    baseDir: "/data",
  });
  assert.deepEqual(ok.bkg.files, ["/data/a.root", "https://x/y.root"]);
});

Deno.test({
  name: "loadDataset: bundled input is generated once, then read from the cache",
  ignore: skipBecause(noWrite),
  async fn() {
    const { dir, cleanup } = await tempDir("zgrad_bundled_");
    try {
      const opts = { bundled: { events: 10000 }, cacheDir: dir, progress: "off" as const };
      const first = await loadDatasetWithReport(opts);
      assert.deepEqual(first.files.map((f) => f.status), new Array(6).fill("generated"));
      assert.deepEqual(first.warnings, []);
      const second = await loadDatasetWithReport(opts);
      assert.deepEqual(second.files.map((f) => f.status), new Array(6).fill("cached"));
      const byName = Object.fromEntries(second.processes.map((p) => [p.process, p]));
      for (const p of second.processes) {
        assert.equal(p.weight.length, p.table.nEvents);
        const firstP = first.processes.find((q) => q.process === p.process)!;
        assert.equal(p.table.nEvents, firstP.table.nEvents, p.process);
        assertArrayEqual(p.weight, firstP.weight, `${p.process} weights`);
        for (const b of DEFAULT_BRANCHES) {
          if (p.isData && (b === "genWeight" || b === "Pileup_nTrueInt")) continue;
          assert.ok(b in p.table.columns, `${p.process} has ${b}`);
        }
      }
      assert.ok(byName.data.isData && !("genWeight" in byName.data.table.columns));
      // Pseudo-data ≈ backgrounds + 0.3 × signal (MC statistics of a 10k sample: a few percent).
      const mc = second.processes.filter((p) => !p.isData);
      const expected = sum(mc.map((p) => sum(p.weight) * (p.process === "signal" ? 0.3 : 1)));
      const ratio = byName.data.table.nEvents / expected;
      assert.ok(Math.abs(ratio - 1) < 0.1, `data/MC after the skim = ${ratio}`);
      // A subset of processes and branches comes from the same entries.
      const sub = await loadDatasetWithReport({
        ...opts,
        processes: ["signal"],
        branches: ["Muon_pt"],
      });
      assert.deepEqual(sub.files.map((f) => f.status), ["cached"]);
      assert.deepEqual(Object.keys(sub.processes[0].table.columns).sort(), [
        "HLT_TkMu50",
        "MET_pt",
        "Muon_pt",
        "genWeight",
      ]);
      // The generator makes the reference branches only; asking for others is an error.
      await assert.rejects(
        loadDatasetWithReport({ ...opts, processes: ["signal"], branches: ["Electron_pt"] }),
        /bundled:signal\?events=1500&seed=42 has no branch Electron_pt \(it has /,
      );
    } finally {
      await cleanup();
    }
  },
});
