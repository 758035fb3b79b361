/**
 * The fitter's structured Hessian (stats/structured_hessian.ts) equals forward-over-reverse
 * autodiff `hessian(model.nll)` in float64: every modifier type, a name shared by a normsys and a
 * histosys on one sample (OverallSys + HistoSys), every interpolation code, a zero factor (μ = 0),
 * zero counts in the data, and a realistic 61-parameter model.
 */
import assert from "node:assert/strict";
import { array } from "../../core/mod.ts";
import { hessian } from "../../ad/api.ts";
import { fromPyhf, type HistosysCode, type Model, type NormsysCode } from "../../stats/mod.ts";
import { everyModifierModel } from "./models.ts";
import { realisticWorkspace } from "./realistic_models.ts";

function compare(model: Model, pars: number[], data: number[], what: string) {
  const p = array(pars, "float64"), d = array(data, "float64");
  const want = hessian((x) => model.nll(x, d))(p).dataSync() as Float64Array;
  const got = model.structuredHessian(p, d);
  const scale = Math.max(...Array.from(want, Math.abs));
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Math.abs(got[i] - want[i]) <= 1e-10 * scale + 1e-12,
      `${what}: H[${Math.floor(i / pars.length)}, ${i % pars.length}] = ${got[i]}, autodiff ${
        want[i]
      }`,
    );
  }
}

function lcg(seed: number) {
  let s = seed;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

const shared = {
  channels: [{
    name: "sr",
    samples: [
      {
        name: "sig",
        data: [3, 6, 0],
        modifiers: [
          { name: "mu", type: "normfactor", data: null },
          { name: "jes", type: "normsys", data: { hi: 1.1, lo: 0.85 } },
        ],
      },
      {
        name: "bkg",
        data: [10, 20, 4],
        modifiers: [
          { name: "jes", type: "normsys", data: { hi: 1.2, lo: 0.7 } },
          { name: "jes", type: "histosys", data: { hi_data: [13, 22, 5], lo_data: [8, 19, 3] } },
          {
            name: "shape",
            type: "histosys",
            data: { hi_data: [11, 21, 4.5], lo_data: [9, 18, 3] },
          },
          { name: "stat", type: "staterror", data: [1, 2, 1] },
          { name: "k", type: "normfactor", data: null },
        ],
      },
    ],
  }],
  observations: [{ name: "sr", data: [14, 27, 0] }],
  measurements: [{ name: "m", config: { poi: "mu", parameters: [] } }],
  version: "1.0.0",
};

Deno.test("structured Hessian = autodiff Hessian (float64)", async (t) => {
  const rnd = lcg(7);
  await t.step("every modifier type, random points", () => {
    const m = everyModifierModel();
    for (let r = 0; r < 4; r++) {
      const pars = m.suggestedInit.map((v, i) =>
        m.kinks[i].length || m.paramsets.find((p) => p.start <= i && i < p.start + p.n)!.kind ===
            "normal"
          ? v + (2 * rnd() - 1) * 1.5
          : v * (0.7 + 0.6 * rnd())
      );
      compare(m, pars, Array.from(m.observed.dataSync()), `point ${r}`);
    }
  });
  await t.step("a name shared by normsys and histosys, every code, μ = 0, zero counts", () => {
    for (const n of ["code0", "code1", "code2", "code4"] as NormsysCode[]) {
      for (const h of ["code0", "code2", "code4", "code4p"] as HistosysCode[]) {
        const m = fromPyhf(shared, {
          modifierSettings: { normsys: { interpcode: n }, histosys: { interpcode: h } },
        });
        const names = m.parLabels; // jes, k, mu, shape, stat[0..2]
        for (const mu of [0, 1.3]) {
          const pars = names.map((l) =>
            l === "mu"
              ? mu
              : l === "k"
              ? 1.1
              : l.startsWith("stat")
              ? 0.95 + 0.1 * rnd()
              : 0.6 * (2 * rnd() - 1) + 0.05
          );
          compare(m, pars, Array.from(m.observed.dataSync()), `${n}/${h} μ=${mu}`);
        }
      }
    }
  });
  await t.step("realistic model: 61 parameters, 50 bins (two channels)", () => {
    const m = fromPyhf(realisticWorkspace({ bins: 40, crBins: 10, nNormsys: 30, nHistosys: 20 }));
    assert.equal(m.npars, 61);
    const pars = m.suggestedInit.map((
      v,
      i,
    ) => (i === m.poiIndex ? 0.7 : v + 0.4 * (2 * rnd() - 1)));
    compare(m, pars, Array.from(m.observed.dataSync()), "realistic");
  });
});

Deno.test("compiled programs do not grow with the number of modifiers", () => {
  // The normsys product used to be unrolled by the compiler into one straight-line kernel per
  // element, its code growing with the number of normsys (1.5 s per gradient at 150 of them, too
  // large for the JS engine to optimise); it is now a reduction.
  const size = (nNormsys: number) => {
    const m = fromPyhf(realisticWorkspace({ bins: 20, nNormsys, nHistosys: 4 }));
    const c = m.compiled;
    return {
      vg: c.nllValueAndGrad.inspect(m.init(), m.observed, m.inputs).source.length,
      nll: c.nll.inspect(m.init(), m.observed, m.inputs).source.length,
    };
  };
  const small = size(10), large = size(120);
  for (const k of ["vg", "nll"] as const) {
    assert.ok(
      large[k] < 1.5 * small[k],
      `${k}: ${small[k]} characters of generated code at 10 normsys, ${large[k]} at 120`,
    );
  }
});
