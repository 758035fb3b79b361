/**
 * The gradient of the whole differentiable chain — soft cuts, KDE bandwidth, an MLP weight,
 * through the HistFactory model with its systematics and the profiled fits (implicit
 * differentiation) — against central finite differences of the same chain, in float64.
 */
import assert from "node:assert/strict";
import { type Array, array } from "../../mod.ts";
import { initialParams, makeChain } from "../../analysis/diff/chain.ts";
import { kdeHistograms } from "../../analysis/diff/histograms.ts";
import { diffModel } from "../../analysis/diff/model.ts";
import type { DiffParams } from "../../analysis/diff/soft.ts";
import { fixture } from "./_diff_fixture.ts";

Deno.test("whole-chain gradient = central finite differences (float64)", async () => {
  const { inputs, apply, nn } = await fixture(300, "float64");
  const p0 = initialParams(nn, undefined, "float64");
  // A point away from the defaults, so no parameter sits where its gradient happens to vanish.
  p0.met = array(60, "float64");
  p0.lepHt = array(170, "float64");
  p0.btag = array(0.42, "float64");
  p0.bandwidth = array(25, "float64");
  const dm = diffModel(inputs, kdeHistograms(p0, inputs, apply));
  assert.ok(dm.model.npars >= 18, `model has mu, ttbar_norm, 3 systematics, staterror bins`);
  let fits = 0;
  const chain = makeChain(inputs, apply, dm, {
    onFit: (r) => {
      fits++;
      assert.ok(r.converged, "fit converged");
    },
  });
  const init = array([...dm.model.suggestedInit], "float64");
  const [loss, aux, g] = chain.valueAndGrad(p0, inputs.columns, init);
  assert.ok(loss.item() < -0.5, `Z0 = ${-loss.item()}`);
  // The μ = 0 fit pulls the nuisance parameters: the gradient goes through a profiled fit.
  assert.equal(aux.bestfit.shape[0], dm.model.npars);
  assert.ok(fits >= 2);
  const lossAt = (p: DiffParams) => chain.objective(p, inputs.columns, init)[0].item();
  const scalar = (k: "met" | "btag" | "lepHt" | "bandwidth", h: number) => {
    const x = p0[k].item();
    const fd = (lossAt({ ...p0, [k]: array(x + h, "float64") }) -
      lossAt({ ...p0, [k]: array(x - h, "float64") })) / (2 * h);
    return [g[k].item(), fd];
  };
  const nnWeight = (h: number) => {
    const w = p0.nn[0].w, idx = 1 * 16 + 3;
    const at = (d: number) => {
      const v = Float64Array.from(w.dataSync() as Float64Array);
      v[idx] += d;
      const nn2 = p0.nn.map((
        l,
        i,
      ) => (i === 0 ? { ...l, w: array(v, "float64").reshape(w.shape) } : l));
      return lossAt({ ...p0, nn: nn2 });
    };
    return [g.nn[0].w.dataSync()[idx], (at(h) - at(-h)) / (2 * h)];
  };
  const checks: [string, number[]][] = [
    ["met", scalar("met", 1e-3)],
    ["btag", scalar("btag", 1e-5)],
    ["lepHt", scalar("lepHt", 1e-3)],
    ["bandwidth", scalar("bandwidth", 1e-3)],
    ["nn[0].w[1,3]", nnWeight(1e-5)],
  ];
  for (const [name, [an, fd]] of checks) {
    if (Deno.env.get("DIFF_VERBOSE")) console.log(name, an, fd, Math.abs(an - fd) / Math.abs(fd));
    assert.ok(Math.abs(an) > 1e-7, `${name}: gradient ${an} is not trivially zero`);
    assert.ok(
      Math.abs(an - fd) <= 1e-5 * Math.abs(fd) + 1e-9,
      `${name}: analytic ${an} vs finite differences ${fd}`,
    );
  }
});

Deno.test("the systematics enter the objective and its gradient", async () => {
  // The same chain without systematics (no histosys/normsys/staterror nuisances) has a higher Z0
  // and a different gradient: the profiled nuisance parameters are part of the optimisation.
  const { inputs, apply, nn } = await fixture(300, "float64");
  const p0 = initialParams(nn, undefined, "float64");
  const bare = { ...inputs, systematics: [] };
  const gradOf = (inp: typeof inputs, staterror: boolean) => {
    const dm = diffModel(inp, kdeHistograms(p0, inp, apply), { staterror });
    const chain = makeChain(inp, apply, dm);
    const init = array([...dm.model.suggestedInit], "float64");
    return chain.valueAndGrad(p0, inp.columns, init);
  };
  const [lSyst, , gSyst] = gradOf(inputs, true);
  const [lBare, , gBare] = gradOf(bare, false);
  assert.ok(-lSyst.item() < -lBare.item(), "systematics lower Z0");
  assert.notEqual((gSyst.met as Array).item(), (gBare.met as Array).item());
});
