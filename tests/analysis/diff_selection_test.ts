/**
 * The soft selection against an explicit per-event computation, and the soft → hard limit: with
 * steep sigmoids and a small bandwidth the KDE histograms of the soft path equal the ordinary
 * histograms of the hard cuts.
 */
import assert from "node:assert/strict";
import { type Array, array, tree } from "../../mod.ts";
import * as stats from "../../stats.ts";
import { diffModel, profiledZ0 } from "../../analysis/diff/model.ts";
import { initialParams } from "../../analysis/diff/chain.ts";
import { hardHistograms, kdeHistograms, kdeMulti } from "../../analysis/diff/histograms.ts";
import { prepareInputs } from "../../analysis/diff/inputs.ts";
import { syntheticEvents } from "../../analysis/diff/synthetic.ts";
import { hardSelection, mvaScore, softSelection } from "../../analysis/diff/soft.ts";
import { EDGES, fixture } from "./_diff_fixture.ts";

const leaves = (t: unknown) => tree.leaves<Array>(t);
const sig = (x: number) => 1 / (1 + Math.exp(-x));

Deno.test("soft selection = the per-event formula (segment sums over jets)", async () => {
  const { inputs, apply, nn } = await fixture(200, "float64", 5);
  const p = initialParams(nn, undefined, "float64");
  for (const s of inputs.samples) {
    const c = inputs.columns[s];
    const w = softSelection(p, c, apply).dataSync();
    const met = c.met.dataSync(), lep = c.lepHt.dataSync(), bt = c.btag.dataSync();
    const ev = c.jetEvent.dataSync();
    const nnS = mvaScore(apply, p.nn, c.features).dataSync();
    const count = new Float64Array(met.length);
    for (let j = 0; j < bt.length; j++) count[ev[j]] += sig(10 * (bt[j] - 0.5));
    for (let i = 0; i < met.length; i++) {
      const want = sig((met[i] - 50) / 25) * sig(10 * (count[i] - 0.5)) * sig((lep[i] - 150) / 5) *
        sig(10 * (nnS[i] - 0.05));
      assert.ok(Math.abs(w[i] - want) <= 1e-12, `${s} event ${i}: ${w[i]} vs ${want}`);
    }
  }
});

Deno.test("events without jets and the reference's b-tag form", () => {
  // Two events: no jets, and one jet with btag 0.9.
  const inputs = prepareInputs([{
    process: "signal",
    isData: false,
    table: {
      nEvents: 2,
      columns: {
        MET_pt: new Float64Array([100, 100]),
        Muon_pt: new Float64Array([200, 200]),
        Jet_btagDeepB: { offsets: new Int32Array([0, 0, 1]), values: new Float64Array([0.9]) },
        Jet_mass: { offsets: new Int32Array([0, 0, 1]), values: new Float64Array([20]) },
        mtt: new Float64Array([1000, 2000]),
      },
    },
    weight: new Float64Array([1, 1]),
    xsec: 1,
    nGen: 1,
    files: [],
  }], { channels: [{ name: "c", observable: "mtt", edges: EDGES }], dtype: "float64" });
  const c = inputs.columns.signal;
  assert.deepEqual([...c.features.dataSync()], [0, 0, 0, 0.1, 1, 0]);
  const nn = [{ w: array([[0], [0], [0]], "float64"), b: array([10], "float64") }];
  const p = { ...initialParams([], undefined, "float64"), nn };
  const apply = (ps: typeof nn, x: typeof c.features) => x.matmul(ps[0].w).add(ps[0].b);
  const count1 = sig(10 * (0.9 - 0.5));
  const rest = sig(2) * sig(30) * sig(10 * (sig(10) - 0.05));
  // Default: σ(10(count − 0.5)); the reference framework: σ(10·count) (0.5 with no jet).
  const w = softSelection(p, c, apply).dataSync();
  assert.ok(Math.abs(w[0] - sig(-5) * rest) < 1e-15);
  assert.ok(Math.abs(w[1] - sig(10 * (count1 - 0.5)) * rest) < 1e-15);
  const ref = softSelection(p, c, apply, { btagCountThreshold: 0 }).dataSync();
  assert.ok(Math.abs(ref[0] - 0.5 * rest) < 1e-15);
  assert.deepEqual([...hardSelection(p, c, apply).dataSync()], [0, 1]);
});

Deno.test("steep sigmoids and a small bandwidth: soft histograms = hard-cut histograms", async () => {
  // 200–2200 GeV: every bin populated after the cuts (an empty bin has an infinite NLL).
  const edges = globalThis.Array.from({ length: 11 }, (_, i) => 200 + 200 * i);
  const { inputs, apply, nn } = await fixture(400, "float64", 5, edges);
  const p = initialParams(nn, undefined, "float64");
  p.met = array(65, "float64");
  p.lepHt = array(180, "float64");
  p.btag = array(0.6, "float64");
  p.bandwidth = array(1e-4, "float64");
  const steep = { slopes: { met: 1e4, btag: 1e5, btagCount: 1e5, lepHt: 1e4, nn: 1e6 } };
  const soft = kdeHistograms(p, inputs, apply, steep);
  const hard = hardHistograms(p, inputs, apply);
  const loose = kdeHistograms({ ...p, bandwidth: array(10, "float64") }, inputs, apply);
  for (const s of inputs.samples) {
    const got = soft[s].zprime.nominal.dataSync();
    const want = globalThis.Array.from(hard[s].zprime.nominal.dataSync(), Number);
    const total = want.reduce((a, b) => a + b, 0);
    assert.ok(total > 0, `${s}: events pass the hard cuts`);
    want.forEach((v, j) =>
      assert.ok(Math.abs(got[j] - v) <= 1e-6 * total, `${s} bin ${j}: soft ${got[j]}, hard ${v}`)
    );
    // And the default (soft) selection is visibly different: the limit is not trivial.
    const l = loose[s].zprime.nominal.dataSync();
    assert.ok(want.some((v, j) => Math.abs(l[j] - v) > 1e-3 * total), `${s}: default differs`);
    // Every template (Σw², systematic variations) agrees too.
    const [sa, ha] = [leaves(soft[s]), leaves(hard[s])];
    sa.forEach((x, k) => {
      const g = x.dataSync(), h = globalThis.Array.from(ha[k].dataSync(), Number);
      const t = h.reduce((a, b) => a + Math.abs(b), 0);
      g.forEach((v, j) => assert.ok(Math.abs(v - h[j]) <= 1e-6 * t, `${s} template ${k} bin ${j}`));
    });
  }
  // And so does the profiled significance of the two sets of histograms.
  const z = (h: typeof hard) => profiledZ0(diffModel(inputs, h).model).z0.item();
  const [zs, zh] = [z(soft), z(hard)];
  assert.ok(Math.abs(zs - zh) <= 1e-5 * zh, `Z0 soft ${zs}, hard ${zh}`);
});

Deno.test("kdeMulti = stats.hist for each weight vector", () => {
  const x = array([150, 210, 399.5, 400, 1234, 2999, 3100], "float64");
  const e = array(EDGES, "float64");
  const ws = [array([1, 2, 3, 4, 5, 6, 7], "float64"), array([0.5, 0, 1, 0, 2, 1, 1], "float64")];
  const got = kdeMulti(x, e, 30, ws);
  ws.forEach((w, k) => {
    const want = stats.hist(x, e, { bandwidth: 30, weights: w }).dataSync();
    got[k].dataSync().forEach((v, j) =>
      assert.ok(Math.abs(v - want[j]) <= 1e-12 * (1 + Math.abs(want[j])))
    );
  });
});

Deno.test("prepareInputs errors name the process and the column", () => {
  const ev = syntheticEvents({ nPerProcess: 10, seed: 1 });
  const spec = { channels: [{ name: "c", observable: "mtt", edges: EDGES }] };
  delete (ev[1].table.columns as Record<string, unknown>).MET_pt;
  assert.throws(
    () => prepareInputs(ev, spec),
    /prepareInputs \(ttbar_semilep\): missing column "MET_pt"/,
  );
  assert.throws(
    () =>
      prepareInputs(syntheticEvents({ nPerProcess: 10 }), {
        ...spec,
        systematics: [{ name: "pdf", kind: "weight" }],
      }),
    /prepareInputs \(signal\): missing column "weight_pdfUp"/,
  );
  assert.throws(
    () => prepareInputs(ev, { channels: [{ name: "c", observable: "mtt", edges: [1, 1] }] }),
    /edges must increase/,
  );
});
