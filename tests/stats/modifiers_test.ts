/**
 * Each modifier type against numbers computed by hand here (not by the code under test): expected
 * rates, expected auxdata, constraint widths and full log-likelihoods (integer counts, so
 * lgamma(n + 1) = log n! is a plain sum).
 */
import assert from "node:assert/strict";
import { array } from "../../core/mod.ts";
import { fromPyhf, type Model, type ModifierSettings } from "../../stats/mod.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

function workspace(channels: Json[], observations: Json[], parameters: Json[] = [], poi = "mu") {
  return {
    channels,
    observations,
    measurements: [{ name: "m", config: { poi, parameters } }],
    version: "1.0.0",
  };
}
const nf = (name = "mu") => ({ name, type: "normfactor", data: null });

function model(ws: Json, settings: ModifierSettings = {}): Model {
  return fromPyhf(ws, { modifierSettings: settings });
}
function close(got: ArrayLike<number>, want: number[], tol = 1e-12, what = "value") {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])),
      `${what}[${i}]: got ${got[i]}, want ${want[i]}`,
    );
  }
}
function rates(m: Model, pars: number[]): Float64Array {
  return m.expectedMain(array(pars, "float64")).dataSync() as Float64Array;
}
const logFactorial = (n: number) => {
  let s = 0;
  for (let k = 2; k <= n; k++) s += Math.log(k);
  return s;
};
const poisson = (n: number, lam: number) => n * Math.log(lam) - lam - logFactorial(n);
const normal = (x: number, mu: number, sigma: number) =>
  -0.5 * ((x - mu) / sigma) ** 2 - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI);

Deno.test("normfactor", async (t) => {
  const m = model(workspace(
    [{
      name: "sr",
      samples: [
        { name: "sig", data: [5, 10], modifiers: [nf()] },
        { name: "bkg", data: [50, 60], modifiers: [] },
      ],
    }],
    [{ name: "sr", data: [58, 75] }],
  ));
  await t.step("defaults: init 1, bounds [0, 10], unconstrained", () => {
    assert.deepEqual(m.parNames, ["mu"]);
    assert.deepEqual(m.suggestedInit, [1]);
    assert.deepEqual(m.suggestedBounds, [[0, 10]]);
    assert.equal(m.nAux, 0);
  });
  await t.step("rates = nominal × μ", () => close(rates(m, [2]), [60, 80]));
  await t.step("logpdf = Σ Pois(n | λ)", () => {
    const lp = m.logpdf([2], m.observed).item();
    close([lp], [poisson(58, 60) + poisson(75, 80)]);
  });
});

Deno.test("lumi: factor with a Gaussian constraint from the measurement", async (t) => {
  const m = model(workspace(
    [{
      name: "sr",
      samples: [
        { name: "sig", data: [10], modifiers: [nf(), { name: "lumi", type: "lumi", data: null }] },
        { name: "bkg", data: [40], modifiers: [] },
      ],
    }],
    [{ name: "sr", data: [52] }],
    [{ name: "lumi", auxdata: [1], sigmas: [0.1], bounds: [[0.5, 1.5]], inits: [1] }],
  ));
  await t.step("parameters and auxdata", () => {
    assert.deepEqual(m.parNames, ["lumi", "mu"]);
    close(m.auxdata.dataSync(), [1]);
    assert.deepEqual(m.paramset("lumi").sigmas, [0.1]);
  });
  await t.step("only declaring samples scale", () => close(rates(m, [1.2, 1]), [10 * 1.2 + 40]));
  await t.step("expected aux = λ; logpdf by hand", () => {
    close(m.expectedAux([1.2, 1]).dataSync(), [1.2]);
    const lp = m.logpdf([1.2, 1], m.observed).item();
    close([lp], [poisson(52, 52) + normal(1, 1.2, 0.1)]);
  });
});

/** The code4 polynomial from its defining conditions, solved here by Gaussian elimination. */
function code4ByHand(alpha: number, hi: number, lo: number): number {
  if (alpha >= 1) return hi ** alpha;
  if (alpha <= -1) return lo ** -alpha;
  // f(α) = 1 + Σ aᵢ αⁱ with f(±1), f'(±1), f''(±1) equal to those of hiᵅ and lo^(−α).
  const rows: number[][] = [];
  const rhs: number[] = [];
  for (const s of [1, -1]) {
    const base = s === 1 ? hi : lo;
    const l = Math.log(base);
    rows.push([1, 2, 3, 4, 5, 6].map((i) => s ** i));
    rhs.push(base - 1);
    rows.push([1, 2, 3, 4, 5, 6].map((i) => i * s ** (i - 1)));
    rhs.push(s * l * base); // d/dα of base^(sα) at α = s
    rows.push([1, 2, 3, 4, 5, 6].map((i) => i * (i - 1) * s ** (i - 2)));
    rhs.push(l * l * base);
  }
  const n = 6;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(rows[r][c]) > Math.abs(rows[p][c])) p = r;
    [rows[c], rows[p]] = [rows[p], rows[c]];
    [rhs[c], rhs[p]] = [rhs[p], rhs[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = rows[r][c] / rows[c][c];
      for (let k = c; k < n; k++) rows[r][k] -= f * rows[c][k];
      rhs[r] -= f * rhs[c];
    }
  }
  const a = rhs.map((v, i) => v / rows[i][i]);
  return 1 + a.reduce((s, ai, i) => s + ai * alpha ** (i + 1), 0);
}

Deno.test("normsys: code4 (default, as pyhf) and code1", async (t) => {
  const ws = workspace(
    [{
      name: "sr",
      samples: [
        { name: "sig", data: [10], modifiers: [nf()] },
        {
          name: "bkg",
          data: [100],
          modifiers: [{ name: "n", type: "normsys", data: { hi: 1.2, lo: 0.7 } }],
        },
      ],
    }],
    [{ name: "sr", data: [105] }],
  );
  const m1 = model(ws, { normsys: { interpcode: "code1" } });
  const m4 = model(ws);
  assert.deepEqual(m4.interpolation, { normsys: "code4", histosys: "code4p" });
  await t.step("defaults: init 0, bounds [-5, 5], unit Gaussian with auxdata 0", () => {
    assert.deepEqual(m1.parNames, ["mu", "n"]);
    assert.deepEqual(m1.suggestedInit, [1, 0]);
    assert.deepEqual(m1.suggestedBounds, [[0, 10], [-5, 5]]);
    assert.deepEqual(m1.paramset("n").sigmas, [1]);
    close(m1.auxdata.dataSync(), [0]);
  });
  await t.step("code1: hi^α for α ≥ 0, lo^(−α) below", () => {
    close(rates(m1, [1, 0.5]), [10 + 100 * Math.sqrt(1.2)]);
    close(rates(m1, [1, -1.5]), [10 + 100 * 0.7 ** 1.5]);
    close(rates(m1, [0, 1]), [120]);
    close(rates(m1, [0, -1]), [70]);
  });
  await t.step("code4: polynomial inside |α| < 1, exponential outside", () => {
    for (const a of [-2.2, -1, -0.6, -0.3, 0, 0.3, 0.7, 1, 1.5]) {
      close(rates(m4, [0, a]), [100 * code4ByHand(a, 1.2, 0.7)], 1e-12, `α=${a}`);
    }
  });
  await t.step("logpdf by hand (Poisson + N(0 | α, 1))", () => {
    const lp = m1.logpdf([1, 0.5], m1.observed).item();
    close([lp], [poisson(105, 10 + 100 * Math.sqrt(1.2)) + normal(0, 0.5, 1)]);
  });
});

Deno.test("histosys: code4p (default, as pyhf) and code0", async (t) => {
  const ws = workspace(
    [{
      name: "sr",
      samples: [
        { name: "sig", data: [1, 2], modifiers: [nf()] },
        {
          name: "bkg",
          data: [100, 50],
          modifiers: [{
            name: "h",
            type: "histosys",
            data: { hi_data: [110, 58], lo_data: [95, 40] },
          }],
        },
      ],
    }],
    [{ name: "sr", data: [100, 50] }],
  );
  const m0 = model(ws, { histosys: { interpcode: "code0" } });
  const m4 = model(ws);
  await t.step("code0: linear on each side", () => {
    assert.deepEqual(m0.parNames, ["h", "mu"]); // histosys parameters come first
    close(rates(m0, [0.5, 0]), [105, 54]);
    close(rates(m0, [-0.5, 0]), [97.5, 45]);
    close(rates(m0, [2, 0]), [120, 66]);
  });
  await t.step("code4p: linear outside |α| ≤ 1, smooth polynomial inside", () => {
    // bin 0: Δ+ = 10, Δ− = 5 → S = 7.5, A = 5/16; α = 0.5: 3.75 + 0.25·0.3125·12.6875.
    // bin 1: Δ+ = 8, Δ− = 10 → S = 9, A = −2/16; α = 0.5: 4.5 − 0.25·0.125·12.6875.
    close(rates(m4, [0.5, 0]), [100 + 4.7412109375, 50 + 4.103515625]);
    close(rates(m4, [1, 0]), [110, 58]);
    close(rates(m4, [-1, 0]), [95, 40]);
    close(rates(m4, [-1.5, 0]), [92.5, 35]);
    close(rates(m4, [0, 0]), [100, 50]);
  });
});

Deno.test("shapesys: Poisson constraint with τ = (nominal/uncertainty)²", async (t) => {
  const m = model(workspace(
    [{
      name: "sr",
      samples: [
        { name: "sig", data: [5, 5], modifiers: [nf()] },
        {
          name: "bkg",
          data: [100, 0],
          modifiers: [{ name: "g", type: "shapesys", data: [10, 0] }],
        },
      ],
    }],
    [{ name: "sr", data: [110, 4] }],
  ));
  await t.step("τ, fixed bins, bounds", () => {
    assert.deepEqual(m.parLabels, ["mu", "g[0]", "g[1]"]);
    assert.deepEqual(m.paramset("g").factors, [100, 1]);
    assert.deepEqual(m.fixedParams, [false, false, true]);
    assert.deepEqual(m.suggestedBounds.slice(1), [[1e-10, 10], [1e-10, 10]]);
    close(m.auxdata.dataSync(), [100, 1]);
  });
  await t.step("rates × γ, expected aux γτ", () => {
    close(rates(m, [1, 1.1, 1]), [115, 5]);
    close(m.expectedAux([1, 1.1, 1]).dataSync(), [110, 1]);
  });
  await t.step("logpdf by hand", () => {
    const lp = m.logpdf([1, 1.1, 1], m.observed).item();
    close([lp], [poisson(110, 115) + poisson(4, 5) + poisson(100, 110) + poisson(1, 1)]);
  });
  await t.step("τ follows replaced nominals", () => {
    const m2 = m.withNominals({ bkg: array([200, 0], "float64") });
    close(m2.auxdata.dataSync(), [400, 1]);
  });
});

Deno.test("staterror: per-bin combined relative uncertainty", async (t) => {
  const mod = (data: number[]) => ({ name: "stat", type: "staterror", data });
  const m = model(workspace(
    [{
      name: "sr",
      samples: [
        { name: "a", data: [10, 20, 7], modifiers: [nf(), mod([1, 2, 0])] },
        { name: "b", data: [30, 0, 3], modifiers: [mod([3, 0, 0])] },
        { name: "c", data: [5, 5, 5], modifiers: [] },
      ],
    }],
    [{ name: "sr", data: [50, 25, 15] }],
  ));
  await t.step("σ_b = √Σδ² / Σν over declaring samples; σ = 0 bins fixed with σ = 1", () => {
    const p = m.paramset("stat");
    close(p.sigmas!, [Math.sqrt(1 + 9) / 40, 2 / 20, 1]);
    assert.deepEqual(p.fixed, [false, false, true]);
    assert.deepEqual(p.inits, [1, 1, 1]);
    close(m.auxdata.dataSync(), [1, 1, 1]);
  });
  await t.step("γ scales the declaring samples only", () => {
    close(rates(m, [1, 1.1, 0.9, 1]), [40 * 1.1 + 5, 20 * 0.9 + 5, 15]);
  });
  await t.step("logpdf by hand", () => {
    const lam = [49, 23, 15];
    const lp = m.logpdf([1, 1.1, 0.9, 1], m.observed).item();
    const want = poisson(50, lam[0]) + poisson(25, lam[1]) + poisson(15, lam[2]) +
      normal(1, 1.1, Math.sqrt(10) / 40) + normal(1, 0.9, 0.1) + normal(1, 1, 1);
    close([lp], [want]);
  });
});

Deno.test("shapefactor: free per-bin factors, coupled across channels", async (t) => {
  const sf = { name: "sf", type: "shapefactor", data: null };
  const m = model(workspace(
    [
      { name: "b", samples: [{ name: "bkg", data: [30, 40], modifiers: [sf] }] },
      {
        name: "a",
        samples: [{ name: "bkg", data: [10, 20], modifiers: [sf] }, {
          name: "sig",
          data: [1, 1],
          modifiers: [nf()],
        }],
      },
    ],
    [{ name: "a", data: [20, 60] }, { name: "b", data: [60, 120] }],
  ));
  await t.step("one component per bin, init 1, bounds [0, 10]", () => {
    assert.deepEqual(m.parLabels, ["mu", "sf[0]", "sf[1]"]);
    assert.deepEqual(m.suggestedBounds.slice(1), [[0, 10], [0, 10]]);
  });
  await t.step("bin j of every channel shares component j (channels sorted: a, b)", () => {
    close(rates(m, [0, 2, 3]), [20, 60, 60, 120]);
  });
});

Deno.test("shared parameters and pyhf's parameter order", async (t) => {
  // As xmlimport_input_bkg: par_order is by modifier type, then by first use (channels, samples,
  // modifiers sorted), so normsys come out syst2, syst3, syst1.
  const ns = (name: string, hi: number, lo: number) => ({
    name,
    type: "normsys",
    data: { hi, lo },
  });
  const ws = workspace(
    [
      {
        name: "sr",
        samples: [
          { name: "signal", data: [20], modifiers: [ns("syst1", 1.05, 0.95), nf()] },
          {
            name: "background1",
            data: [100],
            modifiers: [ns("syst2", 1.05, 0.95), ns("common", 1.1, 0.9)],
          },
          { name: "background2", data: [50], modifiers: [ns("syst3", 1.05, 0.95)] },
        ],
      },
      {
        name: "cr",
        samples: [{ name: "background1", data: [200], modifiers: [ns("common", 1.2, 0.8)] }],
      },
    ],
    [{ name: "sr", data: [170] }, { name: "cr", data: [200] }],
  );
  const m = model(ws);
  await t.step("par order", () => {
    assert.deepEqual(m.parNames, ["mu", "common", "syst2", "syst3", "syst1"]);
    assert.deepEqual(m.channels, ["cr", "sr"]);
  });
  await t.step("one parameter acts everywhere it is declared, with per-channel factors", () => {
    close(rates(m, [1, 1, 0, 0, 0]), [200 * 1.2, 20 + 100 * 1.1 + 50]);
  });
});
