/**
 * Differentiability of the model: gradients of the NLL with respect to the parameters and to the
 * model's inputs (sample nominals, histosys templates, staterror uncertainties) against central
 * finite differences in float64; jit, vmap and hessian through the likelihood.
 */
import assert from "node:assert/strict";
import { type Array, array } from "../../core/mod.ts";
import { grad, hessian, vmap } from "../../ad/api.ts";
import { jit } from "../../jit/jit.ts";
import { correlatedBackground, fromPyhf, uncorrelatedBackground } from "../../stats/mod.ts";
import { everyModifierModel } from "./models.ts";

/** Five-point central differences of scalar f at x (error O(h⁴) + rounding ε·f/h ≈ 1e-11). */
function fdGrad(f: (x: number[]) => number, x: number[], h = 1e-3): number[] {
  return x.map((_, i) => {
    const at = (d: number) => {
      const y = [...x];
      y[i] += d;
      return f(y);
    };
    return (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h);
  });
}
function closeRel(got: ArrayLike<number>, want: number[], rtol: number, what: string) {
  const scale = Math.max(...want.map(Math.abs), 1e-300);
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Math.abs(got[i] - want[i]) <= rtol * scale,
      `${what}[${i}]: got ${got[i]}, finite differences ${want[i]}`,
    );
  }
}

const model = everyModifierModel();
const data = model.observed;
// Away from the kinks of the interpolations (α = 0, ±1).
const probe = model.init({
  mu: 1.3,
  lumi: 1.01,
  jes: 0.4,
  shape: -0.6,
  uncorr: [1.05, 0.97],
  sf: [1.1, 0.9],
  stat_sr: [0.98, 1.03, 1.01],
});
const nll = (p: Array) => model.nll(p, data);
const nllAt = (x: number[]) => nll(array(x, "float64")).item();
const probeX = [...probe.dataSync()];

Deno.test("gradients with respect to the parameters", async (t) => {
  await t.step("the model has every modifier type", () => {
    assert.deepEqual(model.parNames, ["shape", "lumi", "mu", "jes", "sf", "uncorr", "stat_sr"]);
  });
  await t.step("grad vs central differences", () => {
    closeRel(grad(nll)(probe).dataSync(), fdGrad(nllAt, probeX), 1e-7, "∂NLL/∂θ");
  });
  await t.step("jit(grad) = grad", () => {
    const g = grad(nll)(probe).dataSync();
    closeRel(jit(grad(nll))(probe).dataSync(), [...g], 1e-14, "jit(grad)");
  });
  await t.step("hessian vs differences of the gradient, and symmetric", () => {
    const H = hessian(nll)(probe);
    const n = model.npars;
    assert.deepEqual(H.shape, [n, n]);
    const h = H.dataSync();
    const g = (x: number[]) => [...grad(nll)(array(x, "float64")).dataSync()];
    for (let j = 0; j < n; j++) {
      const a = [...probeX], b = [...probeX];
      a[j] += 1e-5;
      b[j] -= 1e-5;
      const ga = g(a), gb = g(b);
      const col = ga.map((v, i) => (v - gb[i]) / 2e-5);
      closeRel(
        globalThis.Array.from({ length: n }, (_, i) => h[i * n + j]),
        col,
        1e-6,
        `H[:, ${j}]`,
      );
      for (let i = 0; i < n; i++) {
        assert.ok(Math.abs(h[i * n + j] - h[j * n + i]) <= 1e-9 * (1 + Math.abs(h[i * n + j])));
      }
    }
  });
  await t.step("vmap over parameter vectors = one at a time", () => {
    const other = model.init({ mu: 0.5, jes: -1.5, shape: 1.4 });
    const batch = vmap((p: Array) => model.expectedData(p))(
      array([probeX, [...other.dataSync()]], "float64"),
    );
    closeRel(batch.slice(0).dataSync(), [...model.expectedData(probe).dataSync()], 1e-14, "row 0");
    closeRel(batch.slice(1).dataSync(), [...model.expectedData(other).dataSync()], 1e-14, "row 1");
    const lps = vmap((p: Array) => model.logpdf(p, data))(array([probeX, probeX], "float64"));
    closeRel(lps.dataSync(), [nllAt(probeX) * -1, nllAt(probeX) * -1], 1e-14, "logpdf");
  });
});

Deno.test("gradients with respect to the model's inputs", async (t) => {
  await t.step("sample nominals (withNominals), every channel of the sample", () => {
    // The sample's bins over its channels in sorted order: cr, then sr.
    assert.deepEqual(model.channels, ["cr", "sr"]);
    const x0 = [100, 80, 30, 25, 12];
    const f = (b: Array) =>
      model.withNominals({ bkg: b }).nll(
        probe,
        model.withNominals({ bkg: b }).data(model.mainData(data)),
      );
    const g = grad(f)(array(x0, "float64")).dataSync();
    closeRel(g, fdGrad((x) => f(array(x, "float64")).item(), x0), 1e-7, "∂NLL/∂ν_bkg");
  });
  await t.step("signal nominal through expectedData({nominals})", () => {
    const s0 = [4, 9, 6];
    const f = (s: Array) => model.expectedData(probe, { nominals: { sig: s } }).sum();
    const g = grad(f)(array(s0, "float64")).dataSync();
    closeRel(g, fdGrad((x) => f(array(x, "float64")).item(), s0), 1e-7, "∂Σλ/∂ν_sig");
  });
  await t.step("histosys template and staterror uncertainties (withSamples)", () => {
    const x0 = [33, 26, 11, 2, 1.5, 1];
    const f = (x: Array) =>
      model.withSamples({
        sr: {
          bkg: {
            modifiers: {
              shape: { hi_data: x.slice({ start: 0, stop: 3 }) },
              stat_sr: x.slice({ start: 3 }),
            },
          },
        },
      }).nll(probe, data);
    closeRel(
      grad(f)(array(x0, "float64")).dataSync(),
      fdGrad((x) => f(array(x, "float64")).item(), x0),
      1e-7,
      "∂NLL/∂inputs",
    );
  });
  await t.step("observed counts", () => {
    const main = [...model.mainData(data).dataSync()];
    const f = (n: Array) => model.nll(probe, model.data(n));
    closeRel(
      grad(f)(array(main, "float64")).dataSync(),
      fdGrad((x) => f(array(x, "float64")).item(), main),
      1e-7,
      "∂NLL/∂n",
    );
  });
  await t.step("replacing inputs keeps shapes checked", () => {
    assert.throws(
      () => model.withNominals({ sig: array([1, 2], "float64") }),
      /expected shape \[3\]/,
    );
    assert.throws(
      () => model.withNominals({ nope: array([1], "float64") }),
      /unknown sample "nope"/,
    );
    assert.throws(
      () => model.withInputs({ "normsys.hi": array([1], "float64") }),
      /expected shape/,
    );
  });
});

Deno.test("simple models built from arrays", async (t) => {
  const sig = [12, 11], bkg = [50, 52], unc = [3, 7];
  const obs = array([51, 48], "float64");
  await t.step("uncorrelatedBackground = pyhf's spec (readme example)", () => {
    const m = uncorrelatedBackground(sig, bkg, unc);
    const spec = fromPyhf({
      channels: [{
        name: "singlechannel",
        samples: [
          {
            name: "signal",
            data: sig,
            modifiers: [{ name: "mu", type: "normfactor", data: null }],
          },
          {
            name: "background",
            data: bkg,
            modifiers: [{ name: "uncorr_bkguncrt", type: "shapesys", data: unc }],
          },
        ],
      }],
      observations: [{ name: "singlechannel", data: [51, 48] }],
      measurements: [{ name: "Measurement", config: { poi: "mu", parameters: [] } }],
    });
    assert.deepEqual(m.parNames, spec.parNames);
    const p = array([1.2, 0.9, 1.1], "float64");
    closeRel(
      [m.logpdf(p, m.data(obs)).item()],
      [spec.logpdf(p, spec.observed).item()],
      1e-14,
      "logpdf",
    );
  });
  await t.step("gradient with respect to traced yields (τ follows them)", () => {
    const f = (x: Array) => {
      const m = uncorrelatedBackground(
        x.slice({ start: 0, stop: 2 }),
        x.slice({ start: 2, stop: 4 }),
        x.slice({ start: 4 }),
      );
      return m.nll(array([1.2, 0.9, 1.1], "float64"), m.data(obs));
    };
    const x0 = [...sig, ...bkg, ...unc];
    closeRel(
      grad(f)(array(x0, "float64")).dataSync(),
      fdGrad((x) => f(array(x, "float64")).item(), x0),
      1e-7,
      "∂NLL/∂(s, b, δb)",
    );
  });
  await t.step("correlatedBackground", () => {
    const m = correlatedBackground(sig, bkg, [55, 60], [45, 44]);
    assert.deepEqual(m.parNames, ["correlated_bkg_uncertainty", "mu"]);
    closeRel(
      m.expectedMain(array([0.5, 1], "float64")).dataSync(),
      [12 + 52.5, 11 + 56],
      1e-14,
      "rates",
    );
  });
});
