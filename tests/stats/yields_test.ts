/**
 * stats/yields.ts (moved from analysis/statistics.ts): per-sample yields against an independent
 * reference — the model of a workspace holding only that sample, at the same parameter values by
 * label (what the old implementation computed by zeroing the other samples) — on every
 * interpolation code, multi-channel workspaces where a sample is absent from a channel included;
 * the band against √(J C Jᵀ) with J by central finite differences; and the analysis' statistics
 * step using it.
 */
import assert from "node:assert/strict";
import {
  fit,
  fromPyhf,
  type Model,
  prefitCovariance,
  prePostFitYields,
  type Workspace,
  yieldsAt,
} from "../../stats/mod.ts";
import type { HistosysCode } from "../../stats/mod.ts";

const fixtureDir = new URL("../../../shared/fixtures/pyhf/", import.meta.url);

/** Two channels, a sample absent from one, normsys + histosys + staterror + shapesys. */
const WS: Workspace = {
  channels: [
    {
      name: "SR",
      samples: [
        {
          name: "sig",
          data: [3, 8, 5],
          modifiers: [
            { name: "mu", type: "normfactor", data: null },
            {
              name: "jes",
              type: "histosys",
              data: { hi_data: [3.3, 8.4, 5.1], lo_data: [2.8, 7.5, 4.9] },
            },
          ],
        },
        {
          name: "bkg",
          data: [30, 22, 9],
          modifiers: [
            { name: "xsec", type: "normsys", data: { hi: 1.1, lo: 0.92 } },
            {
              name: "jes",
              type: "histosys",
              data: { hi_data: [32, 23, 8.5], lo_data: [28.5, 21, 9.6] },
            },
            { name: "staterror_SR", type: "staterror", data: [1.5, 1.2, 0.8] },
          ],
        },
      ],
    },
    {
      name: "CR",
      samples: [{
        name: "bkg",
        data: [60, 50],
        modifiers: [
          { name: "xsec", type: "normsys", data: { hi: 1.1, lo: 0.92 } },
          { name: "cr_shape", type: "shapesys", data: [4, 3] },
        ],
      }],
    },
  ],
  observations: [{ name: "SR", data: [36, 33, 15] }, { name: "CR", data: [63, 48] }],
  measurements: [{ name: "m", config: { poi: "mu", parameters: [] } }],
  version: "1.0.0",
};

const CODES: HistosysCode[] = ["code4p", "code0", "code2", "code4"];

function build(ws: Workspace, histosys: HistosysCode): Model {
  return fromPyhf(ws, { modifierSettings: { histosys: { interpcode: histosys } } });
}

/** Per-sample reference: the workspace with only `sample` left in each channel. */
function reference(
  ws: Workspace,
  model: Model,
  pars: readonly number[],
  histosys: HistosysCode,
): Record<string, Record<string, number[]>> {
  const out: Record<string, Record<string, number[]>> = {};
  for (const c of model.channels) out[c] = {};
  for (const s of model.samples) {
    const only: Workspace = {
      ...ws,
      channels: ws.channels.filter((c) => c.samples.some((x) => x.name === s))
        .map((c) => ({ ...c, samples: c.samples.filter((x) => x.name === s) })),
      observations: ws.observations.filter((o) =>
        ws.channels.find((c) => c.name === o.name)!.samples.some((x) => x.name === s)
      ),
    };
    if (only.channels.every((c) => c.samples[0].modifiers.length === 0)) {
      // No parameters at all (pyhf refuses such a model): the nominal is the yield.
      for (const c of model.channels) {
        const ch = only.channels.find((x) => x.name === c);
        out[c][s] = ch ? [...ch.samples[0].data] : new Array(model.channelNbins[c]).fill(0);
      }
      continue;
    }
    const m = fromPyhf(only, {
      modifierSettings: { histosys: { interpcode: histosys } },
      unknownParameters: "ignore",
      poiName: null,
    });
    const p = m.parLabels.map((l) => pars[model.parLabels.indexOf(l)]);
    const per = m.expectedByChannel(p);
    for (const c of model.channels) {
      out[c][s] = per[c] ? Array.from(per[c].dataSync()) : new Array(model.channelNbins[c]).fill(0);
    }
  }
  return out;
}

function close(got: number, want: number, rtol: number, atol: number, what: string) {
  assert.ok(
    Math.abs(got - want) <= atol + rtol * Math.abs(want),
    `${what}: got ${got}, want ${want}`,
  );
}

function checkWorkspace(name: string, ws: Workspace, codes: readonly HistosysCode[]) {
  for (const code of codes) {
    const model = build(ws, code);
    const f = fit(model.observed, model);
    for (
      const [stage, pars, cov] of [
        ["pre-fit", model.suggestedInit, prefitCovariance(model)],
        ["post-fit", f.bestfit, f.covariance],
      ] as const
    ) {
      const y = yieldsAt(model, pars, cov);
      const ref = reference(ws, model, pars, code);
      const totals = model.expectedByChannel(pars);
      for (const c of model.channels) {
        const what = `${name} ${code} ${stage} ${c}`;
        assert.deepEqual(Object.keys(y[c].samples), [...model.samples], what);
        for (const s of model.samples) {
          y[c].samples[s].forEach((v, b) =>
            close(v, ref[c][s][b], 1e-12, 1e-12, `${what} ${s}[${b}]`)
          );
        }
        const tot = Array.from(totals[c].dataSync());
        y[c].total.forEach((v, b) => {
          assert.equal(v, tot[b], `${what} total[${b}]`);
          const sum = model.samples.reduce((a, s) => a + y[c].samples[s][b], 0);
          close(sum, v, 1e-12, 1e-12, `${what}: samples sum to the total in bin ${b}`);
        });
      }
      // σ_b² = J C Jᵀ with J by central differences (float64, h = 1e-6). code0 has a kink at
      // α = 0 (pre-fit), where J is one-sided and central differences average both sides.
      if (code === "code0" && stage === "pre-fit") continue;
      const P = model.npars, h = 1e-6;
      const J: number[][] = [];
      for (let i = 0; i < P; i++) {
        const up = [...pars], dn = [...pars];
        up[i] += h;
        dn[i] -= h;
        const a = model.expectedMain(up).dataSync(), b = model.expectedMain(dn).dataSync();
        J.push(Array.from(a, (x, k) => (x - b[k]) / (2 * h)));
      }
      const unc = model.channels.flatMap((c) => y[c].uncertainty);
      unc.forEach((u, b) => {
        let v = 0;
        for (let i = 0; i < P; i++) for (let k = 0; k < P; k++) v += J[i][b] * cov[i][k] * J[k][b];
        close(u, Math.sqrt(Math.max(0, v)), 1e-6, 1e-9, `${name} ${code} ${stage} σ[${b}]`);
      });
    }
  }
}

Deno.test("yieldsAt: per-sample yields, totals and band, every histosys code", () => {
  checkWorkspace("two-channel", WS, CODES);
});

Deno.test("yieldsAt: pyhf fixtures (multi-channel ones the old implementation refused)", async (t) => {
  let names: string[];
  try {
    names = [...Deno.readDirSync(fixtureDir)].map((e) => e.name).filter((n) => n.endsWith(".json"))
      .sort();
  } catch {
    console.warn("../shared/fixtures/pyhf is absent: fixture yields skipped");
    return;
  }
  for (
    const n of [
      "validation_2bin_2channel_coupledhistosys.json",
      "test_optim_2bin_histosys.json",
      "validation_2bin_staterror.json",
    ]
  ) {
    if (!names.includes(n)) continue;
    const j = JSON.parse(await Deno.readTextFile(new URL(n, fixtureDir)));
    await t.step(n, () => checkWorkspace(n, j.spec ?? j.workspace ?? j, ["code4p", "code0"]));
  }
});

Deno.test("prePostFitYields: pre-fit at the suggested init, post-fit at the fit, data by channel", () => {
  const model = build(WS, "code4p");
  const f = fit(model.observed, model);
  const y = prePostFitYields(model, f);
  assert.deepEqual(y.prefit, yieldsAt(model, model.suggestedInit, prefitCovariance(model)));
  assert.deepEqual(y.postfit, yieldsAt(model, f.bestfit, f.covariance));
  assert.deepEqual(y.data, { SR: [36, 33, 15], CR: [63, 48] });
  // Pre-fit: unconstrained mu has no width; constrained ones have their constraint widths.
  const C0 = prefitCovariance(model);
  assert.equal(C0[model.poiIndex!][model.poiIndex!], 0);
  assert.equal(C0[model.parLabels.indexOf("xsec")][model.parLabels.indexOf("xsec")], 1);
  assert.throws(() => yieldsAt(model, [1], C0), /1 parameter values for \d+ parameters/);
});
