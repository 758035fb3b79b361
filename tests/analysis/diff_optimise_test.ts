/**
 * The optimisation loop on synthetic events (CPU jit): the significance rises, parameters stay in
 * their boxes, the MLP is fine-tuned, the history is complete; the pre-trained MVA is saved and
 * re-used.
 */
import assert from "node:assert/strict";
import { DEFAULT_SETTINGS } from "../../analysis/diff/chain.ts";
import { hardSignificance, optimise } from "../../analysis/diff/optimise.ts";
import { pretrainMva } from "../../analysis/diff/mva.ts";
import { fixture } from "./_diff_fixture.ts";

Deno.test("optimisation raises the profiled significance", async () => {
  const { inputs, apply, nn } = await fixture(500, "float32");
  const seen: number[] = [];
  const r = await optimise(inputs, { apply, params: nn }, {
    iterations: 12,
    onProgress: (it) => seen.push(it.iteration),
  });
  assert.deepEqual(seen, [...Array(12).keys()]);
  assert.equal(r.history.length, 13);
  assert.ok(r.finalZ0 > r.initialZ0 * 1.002, `Z0 ${r.initialZ0} → ${r.finalZ0}`);
  for (const h of r.history) {
    assert.ok(h.fitsConverged && h.fits >= 2, `iteration ${h.iteration}: fits`);
    for (const k of ["met", "btag", "lepHt", "bandwidth"] as const) {
      const [lo, hi] = DEFAULT_SETTINGS[k].bounds;
      assert.ok(h.params[k] >= lo && h.params[k] <= hi, `${k} = ${h.params[k]} in [${lo}, ${hi}]`);
    }
  }
  // The first Adam step moves every cut parameter by its learning rate (|update| = lr).
  for (const k of ["met", "lepHt", "bandwidth"] as const) {
    const step = r.history[1].params[k] - r.history[0].params[k];
    assert.ok(Math.abs(Math.abs(step) - DEFAULT_SETTINGS[k].lr) < 1e-3, `${k} first step ${step}`);
  }
  const w0 = nn[1].w.dataSync(), w1 = r.params.nn[1].w.dataSync();
  assert.ok(w0.some((v, i) => v !== w1[i]), "the MLP is fine-tuned");
  assert.ok(r.model.workspace.channels, "the workspace is returned");
  // The optimised cuts re-applied as hard cuts (the non-differentiable number).
  const hard = hardSignificance(r.params, inputs, apply);
  assert.ok(Number.isFinite(hard.z0) && hard.z0 > 0, `hard-cut Z0 ${hard.z0}`);
});

Deno.test("the pre-trained MVA separates tt̄ from W+jets and is saved and re-used", async () => {
  const { inputs } = await fixture(300, "float32", 0);
  const canWrite = (await Deno.permissions.query({ name: "write" })).state === "granted";
  const path = canWrite ? await Deno.makeTempFile({ suffix: ".json" }) : undefined;
  if (path) await Deno.remove(path);
  const trained = await pretrainMva(inputs, { epochs: 60, path });
  assert.ok(!trained.loaded);
  assert.ok(trained.losses.at(-1)! < trained.losses[0] * 0.8, `loss ${trained.losses.at(-1)}`);
  if (!path) {
    console.warn("diff_optimise_test: no --allow-write; MVA save/load re-use is skipped");
    return;
  }
  const again = await pretrainMva(inputs, { epochs: 60, path });
  assert.ok(again.loaded);
  assert.deepEqual(again.params[2].w.dataSync(), trained.params[2].w.dataSync());
  await Deno.remove(path);
});
