import assert from "node:assert/strict";
import { array, grad, jit } from "../../mod.ts";
import type { Array } from "../../core/mod.ts";
import type { EventTable, Jagged } from "../../analysis/data/columns.ts";
import {
  applyObjectMasks,
  type Events,
  eventsFromTable,
  selectEvents,
} from "../../analysis/events.ts";
import { DEFAULT_CONFIG } from "../../analysis/config/defaults.ts";
import { addP4, fromMet, fromPtEtaPhiM, mass } from "../../analysis/fourvec.ts";
import {
  collection,
  counts,
  nth,
  perEventCount,
  perEventSum,
  selectObjects,
} from "../../analysis/jagged.ts";
import {
  baselineSelection,
  mtt,
  mvaGhostObservables,
  zprimeChannel,
} from "../../analysis/physics.ts";
import { applyObjectChange } from "../../analysis/variations.ts";
import { syntheticTable } from "./_synthetic.ts";

const close = (a: number, b: number, tol: number, what = "") =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

const f64 = (x: number[]) => array(x, "float64");
const list = (a: Array) => globalThis.Array.from(a.dataSync() as ArrayLike<number>);

/** Plain-JS four-vector of (pT, η, φ, m): the reference the zgrad code is checked against. */
function p4(pt: number, eta: number, phi: number, m: number): number[] {
  const px = pt * Math.cos(phi), py = pt * Math.sin(phi), pz = pt * Math.sinh(eta);
  return [px, py, pz, Math.sqrt(px * px + py * py + pz * pz + m * m)];
}
function invMass(...vs: number[][]): number {
  const s = vs.reduce((a, b) => a.map((x, i) => x + b[i]));
  return Math.sqrt(Math.max(0, s[3] ** 2 - s[0] ** 2 - s[1] ** 2 - s[2] ** 2));
}

Deno.test("mtt of a configuration computed by hand", () => {
  // Muon along +x, fat jet along −x (a top at rest transversely boosted), jet along +y, MET along
  // −y: Σpx = 100 − 600 = −500, Σpy = 0, Σpz = 0, E = 100 + √(600² + 172²) + 100 + 100.
  const eMu = 100, eFj = Math.sqrt(600 ** 2 + 172 ** 2), eJ = 100, eMet = 100;
  const expected = Math.sqrt((eMu + eFj + eJ + eMet) ** 2 - 500 ** 2);
  const table: EventTable = {
    nEvents: 1,
    columns: {
      Muon_pt: jag([100]),
      Muon_eta: jag([0]),
      Muon_phi: jag([0]),
      Muon_mass: jag([0]),
      FatJet_pt: jag([600]),
      FatJet_eta: jag([0]),
      FatJet_phi: jag([Math.PI]),
      FatJet_mass: jag([172]),
      Jet_pt: jag([100, 50]),
      Jet_eta: jag([0, 1]),
      Jet_phi: jag([Math.PI / 2, 0]),
      Jet_mass: jag([0, 10]),
      MET_pt: new Float64Array([100]),
      MET_phi: new Float64Array([-Math.PI / 2]),
    },
  };
  const ev = eventsFromTable(table);
  close(mtt(ev).item(), expected, 1e-12, "mtt");
  // With η ≠ 0 everywhere, against the plain-JS four-vectors (MET: η = 0, m = 0).
  const m = mass(addP4(
    fromPtEtaPhiM(f64([80]), f64([1.2]), f64([0.3]), f64([0.105])),
    fromPtEtaPhiM(f64([700]), f64([-0.4]), f64([2.9]), f64([180])),
    fromPtEtaPhiM(f64([120]), f64([2.0]), f64([-1.0]), f64([12])),
    fromMet(f64([90]), f64([-2.0])),
  )).item();
  const ref = invMass(
    p4(80, 1.2, 0.3, 0.105),
    p4(700, -0.4, 2.9, 180),
    p4(120, 2.0, -1.0, 12),
    p4(90, 0, -2.0, 0),
  );
  close(m, ref, 1e-12, "mtt with η");
});

/** The default good objects (analysis masks). */
function goodObjects(ev: Events): Events {
  return applyObjectMasks(ev, DEFAULT_CONFIG.goodObjectMasks.analysis);
}

function jag(values: number[], offsets = [0, values.length]): Jagged {
  return { offsets: Int32Array.from(offsets), values: Float64Array.from(values) };
}

Deno.test("jagged helpers: counts, per-event sums, k-th object, object selection", () => {
  const c = collection("Jet", Int32Array.from([0, 2, 2, 5]), {
    pt: f64([50, 40, 90, 30, 20]),
  });
  assert.deepEqual(list(counts(c)), [2, 0, 3]);
  assert.deepEqual(list(perEventSum(c, c.fields.pt)), [90, 0, 140]);
  assert.deepEqual(list(perEventCount(c, c.fields.pt.gt(35))), [2, 0, 1]);
  assert.deepEqual(list(nth(c, c.fields.pt, 0)), [50, 0, 90]);
  assert.deepEqual(list(nth(c, c.fields.pt, 1, -1)), [40, -1, 30]);
  assert.deepEqual(list(nth(c, c.fields.pt, 3, -1)), [-1, -1, -1]);
  const s = selectObjects(c, c.fields.pt.gt(35));
  assert.deepEqual([...s.offsets], [0, 2, 2, 3]);
  assert.deepEqual(list(s.fields.pt), [50, 40, 90]);
  assert.throws(() => c.fields.eta, /collection Jet has no field eta \(fields: pt\)/);
  assert.throws(() => perEventSum(c, f64([1, 2])), /do not match collection Jet \(5 objects\)/);
  // Empty collections.
  const e = collection("Muon", Int32Array.from([0, 0]), { pt: f64([]) });
  assert.deepEqual(list(nth(e, e.fields.pt, 0, 7)), [7]);
  assert.deepEqual(list(perEventSum(e, e.fields.pt)), [0]);
});

Deno.test("good objects, selections and mtt agree with a plain loop over the columns", () => {
  const table = syntheticTable("signal", 300, 7);
  const ev = eventsFromTable(table);
  const good = goodObjects(ev);
  const col = (n: string) => table.columns[n] as Jagged;
  const goodIdx = (coll: string, pass: (j: number) => boolean) =>
    globalThis.Array.from({ length: table.nEvents }, (_, i) => {
      const o = col(`${coll}_pt`).offsets;
      const out: number[] = [];
      for (let j = o[i]; j < o[i + 1]; j++) if (pass(j)) out.push(j);
      return out;
    });
  const v = (n: string, j: number) => col(n).values[j];
  const mus = goodIdx(
    "Muon",
    (j) =>
      v("Muon_pt", j) > 55 && Math.abs(v("Muon_eta", j)) < 2.4 && v("Muon_tightId", j) > 0 &&
      v("Muon_miniIsoId", j) > 1,
  );
  const jets = goodIdx("Jet", (j) => v("Jet_jetId", j) >= 4 && v("Jet_btagDeepB", j) > 0.5);
  const fjs = goodIdx(
    "FatJet",
    (j) => v("FatJet_pt", j) > 500 && v("FatJet_particleNet_TvsQCD", j) > 0.5,
  );
  assert.deepEqual(list(counts(good.objects.Muon)), mus.map((x) => x.length));
  assert.deepEqual(list(counts(good.objects.Jet)), jets.map((x) => x.length));
  assert.deepEqual(list(counts(good.objects.FatJet)), fjs.map((x) => x.length));
  const chan = mus.map((m, i) => m.length === 1 && jets[i].length >= 2 && fjs[i].length >= 1);
  const base = mus.map((m, i) => m.length === 1 && jets[i].length >= 2);
  assert.deepEqual(list(zprimeChannel(good)).map(Boolean), chan);
  assert.deepEqual(list(baselineSelection(good)).map(Boolean), base);
  const nSel = chan.filter(Boolean).length;
  assert.ok(nSel > 10, `only ${nSel} events selected`);

  const sel = selectEvents(good, zprimeChannel(good));
  const got = list(mtt(sel));
  const met = table.columns.MET_pt as Float32Array, metPhi = table.columns.MET_phi as Float32Array;
  const obj = (coll: string, j: number) =>
    p4(v(`${coll}_pt`, j), v(`${coll}_eta`, j), v(`${coll}_phi`, j), v(`${coll}_mass`, j));
  const want = chan.flatMap((ok, i) =>
    ok
      ? [invMass(
        obj("Muon", mus[i][0]),
        obj("FatJet", fjs[i][0]),
        obj("Jet", jets[i][0]),
        p4(
          met[i],
          0,
          metPhi[i],
          0,
        ),
      )]
      : []
  );
  assert.equal(got.length, want.length);
  got.forEach((x, k) => close(x, want[k], 1e-9, `mtt[${k}]`));

  const g = mvaGhostObservables(sel);
  assert.deepEqual(list(g.n_jet), list(counts(sel.objects.Jet)));
  assert.deepEqual(
    list(g.leading_jet_mass),
    list(nth(sel.objects.Jet, sel.objects.Jet.fields.mass, 0)),
  );
});

Deno.test("mtt is differentiable through jagged gathers (grad vs central differences, float64)", () => {
  const table = syntheticTable("signal", 120, 3);
  const ev0 = eventsFromTable(table);
  const good = goodObjects(ev0);
  const sel = selectEvents(good, zprimeChannel(good));
  assert.ok(sel.nEvents > 3);
  // f(s) = Σ mtt with every jet and fat jet pT and mass scaled by s (a jet energy scale).
  const f = (s: Array) =>
    mtt(applyObjectChange(sel, {
      name: "jes",
      op: "mult",
      targets: [["Jet", "pt"], ["Jet", "mass"], ["FatJet", "pt"], ["FatJet", "mass"]],
      function: () => s,
    })).sum();
  const s0 = 1.02, h = 1e-6;
  const g = grad(f)(array(s0, "float64")).item();
  const fd = (f(array(s0 + h, "float64")).item() - f(array(s0 - h, "float64")).item()) / (2 * h);
  close(g, fd, 1e-6, "d Σmtt / d JES");
  assert.ok(g > 0);
  // The same function jit-compiled (the differentiable path's step runs under jit).
  const gj = jit(grad(f))(array(s0, "float64")).item();
  close(gj, g, 1e-10, "jit(grad) vs grad");
  close(jit(f)(array(s0, "float64")).item(), f(array(s0, "float64")).item(), 1e-12, "jit(f)");
});
