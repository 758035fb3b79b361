/**
 * The statistical model of the differentiable analysis and its objective: a HistFactory model
 * whose sample yields and systematic templates are the chain's KDE histograms, and the discovery
 * significance Z0 with every nuisance parameter profiled by real fits, differentiated implicitly
 * (`stats.fitParams`, the customRoot path) — so the systematics stay in the optimisation, unlike
 * the reference framework.
 *
 * Model: signal × μ (POI, normfactor); tt̄ × `ttbar_norm` (a free normfactor by default, or a
 * normsys); per systematic a histosys (object and weight variations, from the up/down
 * histograms) or normsys (normalisation uncertainties); per channel a staterror from Σw². The
 * histosys/normsys interpolations are code4p/code4 (smooth at α = 0, where Asimov fits land).
 *
 * @module
 */
import type { Array, ArrayLike } from "../../core/array.ts";
import { where } from "../../core/ops/elementwise.ts";
import { safeSqrt } from "../../stats/asymptotics.ts";
import { fitParams } from "../../stats/implicit.ts";
import type { Model } from "../../stats/model.ts";
import { fromPyhf } from "../../stats/from_pyhf.ts";
import type { SampleOverride } from "../../stats/input_overrides.ts";
import type { FitResult } from "../../stats/fit.ts";
import type { ChannelHists, Histograms } from "./histograms.ts";
import type { DiffInputs } from "./inputs.ts";

/** How the tt̄ normalisation enters the fit. */
export type TtbarNorm = "free" | { normsys: number } | "none";

/** Options of {@link diffModel}. */
export interface DiffModelOptions {
  /** Name of the tt̄ sample (default `"ttbar"`). */
  ttbarSample?: string;
  /** `"free"` (default: a normfactor in [0, 10]), `{normsys: 0.1}` (±10%), or `"none"`. */
  ttbarNorm?: TtbarNorm;
  /** Add a staterror per channel (default true). */
  staterror?: boolean;
}

/** The model and how to refill it with new histograms. */
export interface DiffModel {
  /** The model built from the initial histograms. */
  model: Model;
  /** The pyhf JSON workspace of the initial histograms. */
  workspace: Record<string, unknown>;
  /** The model with the yields and templates of `hists` (float64, may be traced). */
  withHistograms(hists: Histograms): Model;
}

const nums = (a: Array) => globalThis.Array.from(a.dataSync(), Number);

/** The pyhf JSON workspace for histograms `hists` (concrete). */
function workspaceOf(
  inputs: DiffInputs,
  hists: Histograms,
  opts: DiffModelOptions,
): Record<string, unknown> {
  const ttbar = opts.ttbarSample ?? "ttbar";
  const norm = opts.ttbarNorm ?? "free";
  const channels = inputs.channels.map((ch) => ({
    name: ch.name,
    samples: inputs.samples.map((s) => {
      const h = hists[s][ch.name];
      const modifiers: Record<string, unknown>[] = [];
      if (s === "signal") modifiers.push({ name: "mu", type: "normfactor", data: null });
      if (s === ttbar && norm === "free") {
        modifiers.push({ name: "ttbar_norm", type: "normfactor", data: null });
      } else if (s === ttbar && typeof norm === "object") {
        const f = norm.normsys;
        modifiers.push({ name: "ttbar_norm", type: "normsys", data: { hi: 1 + f, lo: 1 - f } });
      }
      for (const sy of inputs.systematics) {
        if (sy.samples && !sy.samples.includes(s)) continue;
        if (sy.kind === "norm") {
          modifiers.push({ name: sy.name, type: "normsys", data: { hi: sy.hi, lo: sy.lo } });
        } else {
          const [up, down] = h.variations[sy.name];
          modifiers.push({
            name: sy.name,
            type: "histosys",
            data: { hi_data: nums(up), lo_data: nums(down) },
          });
        }
      }
      if (opts.staterror ?? true) {
        modifiers.push({
          name: `staterror_${ch.name}`,
          type: "staterror",
          data: nums(h.sumw2).map((v) => Math.sqrt(Math.max(v, 0))),
        });
      }
      return { name: s, data: nums(h.nominal), modifiers };
    }),
  }));
  const observations = inputs.channels.map((ch) => {
    const b = ch.edges.length - 1;
    const d = new globalThis.Array(b).fill(0);
    for (const s of inputs.samples) nums(hists[s][ch.name].nominal).forEach((v, j) => (d[j] += v));
    return { name: ch.name, data: d };
  });
  const parameters = norm === "free" && inputs.samples.includes(ttbar)
    ? [{ name: "ttbar_norm", bounds: [[0, 10]] }]
    : [];
  return {
    channels,
    observations,
    measurements: [{ name: "zprime_diff", config: { poi: "mu", parameters } }],
    version: "1.0.0",
  };
}

/**
 * Builds the model from initial (concrete) histograms; {@link DiffModel.withHistograms} then
 * swaps in new ones (traced ones included, so gradients flow into the histograms).
 *
 * @example
 * ```ts
 * import { diffModel } from "./model.ts";
 * const dm = diffModel(inputs, kdeHistograms(params, inputs, net.apply));
 * dm.model.config.parameters; // mu, ttbar_norm, systematics, staterror
 * ```
 */
export function diffModel(
  inputs: DiffInputs,
  hists: Histograms,
  opts: DiffModelOptions = {},
): DiffModel {
  // Negative generator weights can make a bin negative; yields are clipped at 0 (as the
  // non-differentiable path does), which keeps the gradient wherever a bin is positive.
  const clip = (a: Array) => a.astype("float64").maximum(0);
  const f64 = mapHists(hists, clip);
  const workspace = workspaceOf(inputs, f64, opts);
  const model = fromPyhf(workspace, {
    modifierSettings: { normsys: { interpcode: "code4" }, histosys: { interpcode: "code4p" } },
  });
  const withHistograms = (h: Histograms) => {
    const spec: Record<string, Record<string, SampleOverride>> = {};
    for (const ch of inputs.channels) {
      spec[ch.name] = {};
      for (const s of inputs.samples) {
        const c = h[s][ch.name];
        const mods: NonNullable<SampleOverride["modifiers"]> = {};
        for (const [name, [up, down]] of Object.entries(c.variations)) {
          mods[`histosys/${name}`] = { hi_data: clip(up), lo_data: clip(down) };
        }
        if (opts.staterror ?? true) {
          mods[`staterror_${ch.name}`] = safeSqrt(c.sumw2.astype("float64"));
        }
        spec[ch.name][s] = { data: clip(c.nominal), modifiers: mods };
      }
    }
    return model.withSamples(spec);
  };
  return { model, workspace, withHistograms };
}

/**
 * Applies `f` to every array of a {@link Histograms} tree.
 *
 * @example
 * ```ts
 * import { mapHists } from "./model.ts";
 * const h64 = mapHists(h, (a) => a.astype("float64"));
 * ```
 */
export function mapHists(h: Histograms, f: (a: Array) => Array): Histograms {
  const out: Histograms = {};
  for (const [s, chans] of Object.entries(h)) {
    out[s] = {};
    for (const [c, x] of Object.entries(chans)) {
      const v: ChannelHists["variations"] = {};
      for (const [k, [u, d]] of Object.entries(x.variations)) v[k] = [f(u), f(d)];
      out[s][c] = { nominal: f(x.nominal), sumw2: f(x.sumw2), variations: v };
    }
  }
  return out;
}

/** Options of {@link profiledZ0}. */
export interface ProfiledZ0Options {
  /** Start of the free fit (a previous best fit; may be an array from a previous step). */
  init?: ArrayLike | readonly number[];
  /** Called with each fit's result (status per iteration). */
  onFit?: (r: FitResult) => void;
  /** Throw when a fit does not converge (default true). */
  strict?: boolean;
}

/**
 * The median expected discovery significance of `model`: Asimov data at μ = 1 (nuisance
 * parameters nominal) — which moves with the histograms — a free and a μ = 0 fit, q0 =
 * max(2ΔNLL, 0) (0 when μ̂ ≤ 0) and Z0 = √q0 (zero gradient at 0). Returns the free best fit too,
 * to warm-start the next evaluation. Differentiable in the model's inputs (implicit
 * differentiation through both fits).
 *
 * @example
 * ```ts
 * import { profiledZ0 } from "./model.ts";
 * const { z0, bestfit } = profiledZ0(dm.withHistograms(h));
 * ```
 */
export function profiledZ0(
  model: Model,
  opts: ProfiledZ0Options = {},
): { z0: Array; bestfit: Array } {
  const data = model.expectedData(model.init({ mu: 1 }));
  const common = { onFit: opts.onFit, strict: opts.strict };
  const free = fitParams(data, model, { ...common, init: opts.init });
  const fixed = fitParams(data, model, { ...common, fixedPoi: 0, init: free });
  const llr = model.twiceNll(fixed, data).sub(model.twiceNll(free, data));
  const muhat = free.slice(model.poiIndex!);
  const q0 = where(muhat.le(0), 0, where(llr.gt(0), llr, 0));
  return { z0: safeSqrt(q0), bestfit: free };
}
