/**
 * The differentiable Z′→tt̄ analysis chain (issue 12): events → soft selection (cuts and an MLP
 * score) → KDE histograms with systematic templates → HistFactory model with constrained nuisance
 * parameters → profiled discovery significance Z0, differentiated end to end (implicit
 * differentiation through the fits) and optimised with `optim/`'s Adam. See README.md.
 *
 * @example
 * ```ts
 * import { optimise, prepareInputs, pretrainMva, syntheticEvents } from "./mod.ts";
 * const inputs = prepareInputs(syntheticEvents({ nPerProcess: 2000 }), {
 *   channels: [{ name: "zprime", observable: "mtt", edges: [200, 600, 1000, 1500, 2000, 3000] }],
 *   systematics: [{ name: "jes", kind: "observable" }],
 * });
 * const mva = await pretrainMva(inputs);
 * const r = await optimise(inputs, { apply: mva.net.apply, params: mva.params });
 * console.log(r.initialZ0, "→", r.finalZ0);
 * ```
 *
 * @module
 */
export {
  type ChannelColumns,
  type ChannelSpec,
  defaultSampleOf,
  type DiffInputs,
  prepareInputs,
  type PrepareOptions,
  type SampleColumns,
  type SystematicSpec,
} from "./inputs.ts";
export {
  DEFAULT_SLOPES,
  type DiffParams,
  hardSelection,
  type MvaApply,
  mvaScore,
  type SelectionOptions,
  type Slopes,
  softSelection,
} from "./soft.ts";
export {
  type ChannelHists,
  hardHistograms,
  type Histograms,
  kdeHistograms,
  kdeMulti,
} from "./histograms.ts";
export {
  type DiffModel,
  diffModel,
  type DiffModelOptions,
  mapHists,
  profiledZ0,
  type ProfiledZ0Options,
  type TtbarNorm,
} from "./model.ts";
export { type Mva, type MvaOptions, mvaTrainingSet, pretrainMva } from "./mva.ts";
export {
  type Chain,
  type ChainAux,
  type ChainOptions,
  CUT_NAMES,
  DEFAULT_SETTINGS,
  initialParams,
  makeChain,
  type ParamSetting,
  type ParamSettings,
} from "./chain.ts";
export {
  type CutValues,
  hardSignificance,
  type IterationRecord,
  optimise,
  type OptimiseOptions,
  type OptimiseResult,
} from "./optimise.ts";
export { syntheticEvents, type SyntheticOptions } from "./synthetic.ts";
