/**
 * The whole differentiable chain as functions of (parameters, resident columns): soft selection →
 * KDE histograms → HistFactory model → profiled Z0, and the defaults of its parameters (initial
 * values, bounds, learning rates).
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { array } from "../../core/ops/convert.ts";
import { onesLike, zerosLike } from "../../core/ops/creation.ts";
import * as tree from "../../core/tree.ts";
import { vjp } from "../../ad/api.ts";
import type { MlpParams } from "../../nn/mlp.ts";
import type { FitResult } from "../../stats/fit.ts";
import { type Histograms, kdeHistograms } from "./histograms.ts";
import type { DiffInputs, SampleColumns } from "./inputs.ts";
import { type DiffModel, mapHists, profiledZ0 } from "./model.ts";
import type { DiffParams, MvaApply, SelectionOptions } from "./soft.ts";

/** The config's names (`optimisation.params`, `clamps`, `learningRates`) of the chain's parameters. */
export const PARAM_NAMES = {
  met: "metThreshold",
  btag: "btagThreshold",
  lepHt: "lepHtThreshold",
  bandwidth: "kdeBandwidth",
} as const;

/** Initial value, box and learning rate of a scalar parameter. */
export interface ParamSetting {
  /** Initial value. */
  init: number;
  /** Box the optimiser projects onto after each step. */
  bounds: [number, number];
  /** Adam learning rate. */
  lr: number;
}

/** Settings of the scalar parameters, and the MLP's learning rate. */
export interface ParamSettings {
  /** MET threshold (GeV). */
  met: ParamSetting;
  /** Per-jet b-tag score threshold. */
  btag: ParamSetting;
  /** Leptonic HT threshold (GeV). */
  lepHt: ParamSetting;
  /** KDE bandwidth (GeV). */
  bandwidth: ParamSetting;
  /** Learning rate of every MLP weight. */
  nnLr: number;
}

/**
 * The cut parameters (everything but the MLP).
 *
 * @example
 * ```ts
 * import { CUT_NAMES } from "./chain.ts";
 * for (const k of CUT_NAMES) console.log(k); // met, btag, lepHt, bandwidth
 * ```
 */
export const CUT_NAMES = ["met", "btag", "lepHt", "bandwidth"] as const;

/**
 * The defaults (issue 12): met 50 [20, 150] lr 1; btag 0.5 [0, 3] lr 0.01; lepHt 150 [50, 300]
 * lr 1; bandwidth 10 [1, 50] lr 0.1; MLP lr 5e-4.
 *
 * @example
 * ```ts
 * import { DEFAULT_SETTINGS } from "./chain.ts";
 * const settings = { ...DEFAULT_SETTINGS, met: { init: 80, bounds: [20, 200], lr: 2 } };
 * ```
 */
export const DEFAULT_SETTINGS: ParamSettings = {
  met: { init: 50, bounds: [20, 150], lr: 1.0 },
  btag: { init: 0.5, bounds: [0, 3], lr: 0.01 },
  lepHt: { init: 150, bounds: [50, 300], lr: 1.0 },
  bandwidth: { init: 10, bounds: [1, 50], lr: 0.1 },
  nnLr: 5e-4,
};

/**
 * The initial parameters: the settings' initial values and the (pre-trained) MLP, in `dtype`.
 *
 * @example
 * ```ts
 * import { DEFAULT_SETTINGS, initialParams } from "./chain.ts";
 * const p0 = initialParams(mva.params, DEFAULT_SETTINGS, "float32");
 * ```
 */
export function initialParams(
  nn: MlpParams,
  settings: ParamSettings = DEFAULT_SETTINGS,
  dtype: "float32" | "float64" = "float32",
): DiffParams {
  const s = (k: typeof CUT_NAMES[number]) => array(settings[k].init, dtype);
  return {
    met: s("met"),
    btag: s("btag"),
    lepHt: s("lepHt"),
    bandwidth: s("bandwidth"),
    nn: nn.map((l) => ({ w: l.w.astype(dtype), b: l.b.astype(dtype) })),
  };
}

/** Options of the chain: the selection's and the fits'. */
export interface ChainOptions extends SelectionOptions {
  /** Called with every fit's result. */
  onFit?: (r: FitResult) => void;
}

/** The chain's functions; all jit and differentiate. */
export interface Chain {
  /** Parameters and columns → KDE histograms (in the columns' dtype). */
  histograms(params: DiffParams, columns: Record<string, SampleColumns>): Histograms;
  /**
   * float64 histograms → `[−Z0, bestfit]` (the loss, and the free fit for warm starts).
   * `fitInit` starts the free fit.
   */
  statistics(hists: Histograms, fitInit: Array): [Array, Array];
  /** The whole chain: `[−Z0, {bestfit, hists}]`, differentiable in `params`. */
  objective(
    params: DiffParams,
    columns: Record<string, SampleColumns>,
    fitInit: Array,
  ): [Array, ChainAux];
  /**
   * Value and gradient of {@link Chain.objective} with respect to `params`:
   * `[loss, aux, grads]`. (The auxiliary outputs are outputs of one `vjp` pulled back with zero
   * cotangents, so they stay primal values under `jit`.)
   */
  valueAndGrad(
    params: DiffParams,
    columns: Record<string, SampleColumns>,
    fitInit: Array,
  ): [Array, ChainAux, DiffParams];
}

/** What the chain returns besides the loss. */
export type ChainAux = {
  /** The free fit's best-fit parameters (warm start of the next evaluation). */
  bestfit: Array;
  /** The KDE histograms. */
  hists: Histograms;
};

/**
 * The chain for `inputs`, an MVA and a model built by `diffModel` from the same inputs.
 *
 * @example
 * ```ts
 * import { valueAndGrad } from "../../mod.ts";
 * import { makeChain } from "./chain.ts";
 * const chain = makeChain(inputs, mva.net.apply, dm);
 * const [[loss], g] = valueAndGrad(chain.objective, { hasAux: true })(p0, inputs.columns, init);
 * ```
 */
export function makeChain(
  inputs: DiffInputs,
  mva: MvaApply,
  dm: DiffModel,
  opts: ChainOptions = {},
): Chain {
  const histograms = (params: DiffParams, columns: Record<string, SampleColumns>) =>
    kdeHistograms(params, inputs, mva, opts, columns);
  const statistics = (hists: Histograms, fitInit: Array): [Array, Array] => {
    const m = dm.withHistograms(mapHists(hists, (a) => a.astype("float64")));
    const { z0, bestfit } = profiledZ0(m, { init: fitInit, onFit: opts.onFit });
    return [z0.neg(), bestfit];
  };
  const objective = (
    params: DiffParams,
    columns: Record<string, SampleColumns>,
    fitInit: Array,
  ): [Array, ChainAux] => {
    const hists = histograms(params, columns);
    const [loss, bestfit] = statistics(hists, fitInit);
    return [loss, { bestfit, hists }];
  };
  return {
    histograms,
    statistics,
    objective,
    valueAndGrad: (params, columns, fitInit) => {
      const [out, back] = vjp((p: DiffParams) => objective(p, columns, fitInit), params);
      const [loss, aux] = out as [Array, ChainAux];
      const ct = [onesLike(loss), tree.map((a: Array) => zerosLike(a), aux)];
      const [g] = back(ct) as [DiffParams];
      return [loss, aux, g];
    },
  };
}
