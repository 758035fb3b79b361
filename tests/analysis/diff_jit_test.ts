/**
 * The compiled chain: `jit` on the CPU with `precision: "exact"` is bitwise the eager chain
 * (value, best fit, every gradient), and the WebGPU event part (float32 on the device) agrees with the CPU within the
 * documented tolerance (analysis/diff/README.md): histograms within 1e-5 of the total yield,
 * Z0 within 1e-4 and the cut parameters' gradients within 1e-3 (relative) at every step.
 */
import assert from "node:assert/strict";
import { type Array, array, initDevice, jit, tree } from "../../mod.ts";
import { initialParams, makeChain } from "../../analysis/diff/chain.ts";
import { kdeHistograms } from "../../analysis/diff/histograms.ts";
import { diffModel } from "../../analysis/diff/model.ts";
import { optimise } from "../../analysis/diff/optimise.ts";
import { fixture } from "./_diff_fixture.ts";

const leaves = (t: unknown) => tree.leaves<Array>(t);

Deno.test("jit(valueAndGrad(chain), exact) on the CPU is bitwise the eager chain", async () => {
  const { inputs, apply, nn } = await fixture(300, "float32", 5);
  const p0 = initialParams(nn);
  const dm = diffModel(inputs, kdeHistograms(p0, inputs, apply));
  const chain = makeChain(inputs, apply, dm);
  const init = array([...dm.model.suggestedInit], "float64");
  const eager = chain.valueAndGrad(p0, inputs.columns, init);
  const compiled = jit(chain.valueAndGrad, { precision: "exact" });
  for (let call = 0; call < 2; call++) {
    const got = compiled(p0, inputs.columns, init);
    const [a, b] = [leaves(got), leaves(eager)];
    assert.equal(a.length, b.length);
    a.forEach((x, i) =>
      assert.deepEqual(x.dataSync(), b[i].dataSync(), `output ${i}, call ${call}`)
    );
  }
  assert.equal(compiled.traceCount, 1);
});

const gpu = await initDevice("webgpu");
if (!gpu) console.warn("diff_jit_test: no WebGPU adapter; the WebGPU comparisons are skipped");

Deno.test({
  name: "optimisation steps on WebGPU = on the CPU within the float32 tolerance",
  ignore: !gpu,
  fn: async () => {
    const { inputs, apply, nn } = await fixture(400, "float32", 5);
    const run = (device: "cpu" | "webgpu") =>
      optimise(inputs, { apply, params: nn }, { iterations: 2, device });
    const [c, g] = [await run("cpu"), await run("webgpu")];
    // Histograms of the first step (float32 sums on the device): within 1e-5 of the total.
    const [hc, hg] = [leaves(c.histograms.initial), leaves(g.histograms.initial)];
    hc.forEach((x, i) => {
      const want = x.dataSync(), got = hg[i].dataSync();
      let total = 0;
      for (const v of want) total += Math.abs(v);
      want.forEach((v, j) =>
        assert.ok(
          Math.abs(got[j] - v) <= 1e-5 * total,
          `histogram ${i} bin ${j}: ${got[j]} vs ${v}`,
        )
      );
    });
    c.history.forEach((h, i) => {
      const o = g.history[i];
      assert.ok(Math.abs(o.z0 - h.z0) <= 1e-4 * h.z0, `iteration ${i}: Z0 ${o.z0} vs ${h.z0}`);
      for (const k of Object.keys(h.params) as (keyof typeof h.params)[]) {
        const tol = 1e-4 * Math.abs(h.params[k]) + 1e-6;
        assert.ok(Math.abs(o.params[k] - h.params[k]) <= tol, `iteration ${i} ${k}`);
        if (i === c.history.length - 1) continue;
        const [gc, gg] = [h.gradients[k], o.gradients[k]];
        assert.ok(
          Math.abs(gg - gc) <= 1e-3 * Math.abs(gc),
          `iteration ${i} d/d${k}: ${gg} vs ${gc}`,
        );
      }
    });
  },
});
