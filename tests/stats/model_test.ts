/**
 * The Model API around the likelihood: data vectors, splits, parameter bookkeeping and input
 * replacement.
 */
import assert from "node:assert/strict";
import { array } from "../../core/mod.ts";
import { everyModifierModel } from "./models.ts";

const model = everyModifierModel();

Deno.test("Model API", async (t) => {
  await t.step("layout: channels sorted, labels per component, slices", () => {
    assert.deepEqual(model.channels, ["cr", "sr"]);
    assert.deepEqual(model.channelNbins, { cr: 2, sr: 3 });
    assert.equal(model.nMain, 5);
    assert.equal(model.npars, model.parLabels.length);
    assert.ok(model.parLabels.includes("uncorr[1]") && model.parLabels.includes("mu"));
    const p = model.paramset("stat_sr");
    assert.equal(model.parLabels[p.start], "stat_sr[0]");
    assert.throws(() => model.paramset("nope"), /unknown parameter "nope"/);
  });
  await t.step("data vectors: from a record, split back", () => {
    const d = model.data({ sr: [1, 2, 3], cr: [4, 5] });
    assert.deepEqual([...model.mainData(d).dataSync()], [4, 5, 1, 2, 3]);
    assert.deepEqual([...model.auxData(d).dataSync()], [...model.auxdata.dataSync()]);
    assert.throws(() => model.data({ sr: [1, 2, 3] }), /missing counts for channel "cr"/);
    assert.throws(() => model.data({ sr: [1, 2], cr: [4, 5] }), /data.sr: expected shape \[3\]/);
    assert.throws(
      () => model.logpdf(model.init(), array([1, 2], "float64")),
      /data: expected shape/,
    );
    assert.throws(() => model.logpdf([1, 2], model.observed), /pars: expected shape \[\d+\]/);
  });
  await t.step("expectedData: main + aux, or main only; split by channel", () => {
    const p = model.init({ mu: 2 });
    const full = model.expectedData(p);
    assert.equal(full.shape[0], model.nMain + model.nAux);
    const main = model.expectedData(p, { includeAux: false });
    assert.deepEqual([...full.slice({ stop: model.nMain }).dataSync()], [...main.dataSync()]);
    const byC = model.expectedByChannel(p);
    assert.deepEqual([...byC.cr.dataSync()], [...main.slice({ stop: 2 }).dataSync()]);
  });
  await t.step("init by name", () => {
    const p = model.init({ mu: 3, uncorr: [1.1, 0.9] }).dataSync();
    assert.equal(p[model.poiIndex!], 3);
    assert.equal(p[model.paramset("uncorr").start + 1], 0.9);
    assert.throws(() => model.init({ uncorr: 1 }), /has 2 components/);
  });
  await t.step("withSamples: normsys factors and nominals of one channel", () => {
    const p = model.init({ jes: 1 });
    const m2 = model.withSamples({
      cr: { bkg: { data: [200, 160], modifiers: { jes: { hi: 1.5 } } } },
    });
    const rates = m2.expectedByChannel(p);
    // cr: nominal × hi × shapefactor(1) × γ(1); sr unchanged.
    assert.deepEqual([...rates.cr.dataSync()].map((v) => Math.round(v * 1e9) / 1e9), [300, 240]);
    assert.deepEqual([...rates.sr.dataSync()], [...model.expectedByChannel(p).sr.dataSync()]);
    assert.throws(
      () => model.withSamples({ cr: { bkg: { modifiers: { nope: [1] } } } }),
      /has no modifier "nope"/,
    );
    assert.throws(
      () => model.withSamples({ cr: { sig: { data: [1, 2] } } }),
      /has no sample "sig"/,
    );
  });
  await t.step("the original model is unchanged by derived ones", () => {
    const before = model.expectedMain(model.init()).dataSync().slice();
    model.withNominals({ sig: [1, 1, 1] });
    assert.deepEqual([...model.expectedMain(model.init()).dataSync()], [...before]);
  });
});
