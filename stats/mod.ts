/**
 * zgrad's statistics layer: pyhf-compatible HistFactory models, likelihoods and fits, in float64,
 * differentiable with zgrad's transforms.
 *
 * - `workspace.ts`: pyhf JSON workspaces, validated (errors name the JSON path).
 * - `modifiers/`: one module per modifier type (parameters, constraint, effect on the rates).
 * - `from_pyhf.ts`: {@link fromPyhf}, a pyhf workspace to a {@link Model}.
 * - `model.ts`: {@link Model} (expected data, logpdf, inputs as arrays); `input_overrides.ts`
 *   replaces its inputs.
 * - `fit.ts` / `optimize.ts`: maximum-likelihood fits and the bounded Newton optimiser.
 * - `hist.ts`, `cut.ts`, `significance.ts`: relaxed-style differentiable building blocks.
 * - `xml/`: HistFactory XML + ROOT histograms ⇄ pyhf JSON ({@link xml2json}, {@link json2xml}).
 *
 * @module
 */
export {
  type Channel,
  formatPath,
  type HistosysModifier,
  type LumiModifier,
  type Measurement,
  type Modifier,
  MODIFIER_TYPES,
  type ModifierType,
  type NormfactorModifier,
  type NormsysModifier,
  type Observation,
  type ParameterConfig,
  parseWorkspace,
  type Sample,
  type ShapefactorModifier,
  type ShapesysModifier,
  type StaterrorModifier,
  validateWorkspace,
  type Workspace,
  WorkspaceError,
  type WorkspaceIssue,
} from "./workspace.ts";
export {
  type AppliedModifier,
  type BuildContext,
  code4Coefficients,
  type ConstraintKind,
  type DynamicConstraint,
  HISTOSYS_CODES,
  type HistosysCode,
  histosysDelta,
  interpCode0,
  interpCode1,
  interpCode2,
  interpCode4,
  interpCode4p,
  type Layout,
  type ModelInputs,
  type ModifierModule,
  MODIFIERS,
  type ModifierUse,
  NORMSYS_CODES,
  type NormsysCode,
  normsysFactor,
  type ParamRequirement,
  type Paramset,
} from "./modifiers/mod.ts";
export { normalLogpdf, poissonLogpdf } from "./constraints.ts";
export { checkPoiFree } from "./asymptotics.ts";
export {
  type AsimovDataOptions,
  type ExpectedDataOptions,
  type Interpolation,
  Model,
} from "./model.ts";
export { fromPyhf, type FromPyhfOptions, type ModifierSettings } from "./from_pyhf.ts";
export { type SampleOverride } from "./input_overrides.ts";
export { conditionalStart } from "./fit_starts.ts";
export {
  fit,
  FitError,
  type FitMinimum,
  type FitOptions,
  type FitResult,
  type FitStart,
  fixedPoiFit,
  type NllObjective,
  nllObjective,
  stationarity,
} from "./fit.ts";
export { minimize, type MinimizeOptions, type MinimizeResult, type Objective } from "./optimize.ts";
export { correlatedBackground, uncorrelatedBackground } from "./simplemodels.ts";
export { hist, type HistOptions } from "./hist.ts";
export { cut, type CutOptions } from "./cut.ts";
export { type AsimovOptions, asimovSignificance } from "./significance.ts";
export {
  constraints,
  covariance,
  type CovarianceOptions,
  cramerRaoUncertainty,
  fisherInformation,
  type NuisancePull,
  type PrefitConstraint,
  prefitConstraints,
  pulls,
  pullTable,
} from "./fisher.ts";
export {
  type Impact,
  type ImpactPair,
  ranking,
  type RankingOptions,
  type RankingResult,
} from "./ranking.ts";
export {
  q0,
  qmu,
  qmuTilde,
  type TestStatDetail,
  testStatistic,
  type TestStatName,
  type TestStatOptions,
  tmu,
  tmuTilde,
} from "./teststat.ts";
export {
  type AsymptoticArrays,
  AsymptoticCalculator,
  type AsymptoticPvalues,
  asymptoticPvalues,
  type AsymptoticResult,
  type AsymptoticTestStat,
  type CalculatorOptions,
  N_SIGMA,
  safeSqrt,
} from "./asymptotics.ts";
export { type ChannelYields, prefitCovariance, prePostFitYields, yieldsAt } from "./yields.ts";
export {
  hypotest,
  type HypotestOptions,
  type HypotestResult,
  type HypotestValues,
  type ToyHypotestReport,
} from "./hypotest.ts";
export {
  type ClsCurve,
  type DiscoveryOptions,
  type DiscoveryResult,
  discoverySignificance,
  type LimitPoint,
  upperLimit,
  type UpperLimitOptions,
  type UpperLimitResult,
} from "./limits.ts";
export {
  sampleToys,
  ToyCalculator,
  type ToyDistributions,
  type ToyFits,
  toyHypotest,
  type ToyHypotestResult,
  type ToyLimitPoint,
  type ToyOptions,
  type ToyPvalues,
  type ToySettings,
} from "./toys.ts";
export {
  type BatchOptions,
  fitBatch,
  testStatisticBatch,
  testStatisticBatchMap,
} from "./fit_batch.ts";
export {
  clsArray,
  fitParams,
  type FitParamsOptions,
  type HypotestArrays,
  hypotestArrays,
  type HypotestArraysOptions,
  type ProfileOptions,
  q0Array,
  qmuArray,
  qmuTildeArray,
  z0Array,
} from "./implicit.ts";
export { clsLoss, type LossOptions, significanceLoss } from "./loss.ts";
export {
  applyPatch,
  combine,
  type Constraint,
  digest,
  DIGEST_ALGORITHMS,
  type DigestAlgorithm,
  findPatch,
  formatSummary,
  inspectWorkspace,
  type Join,
  JOINS,
  parsePatchset,
  type Patch,
  type PatchOperation,
  type Patchset,
  prune,
  type PruneOptions,
  pythonJsonDumps,
  rename,
  type RenameOptions,
  sorted,
  verifyPatchset,
  WorkspaceOperationError,
  type WorkspaceSummary,
} from "./tools/mod.ts";
export {
  dedupeParameters,
  type Histogram,
  HistogramError,
  type HistogramFile,
  HistogramReader,
  interpretRootName,
  json2xml,
  type Json2XmlOptions,
  JSON_HISTOGRAM_FORMAT,
  type JsonHistogramFile,
  processMeasurements,
  resolverFactory,
  type RootName,
  writeXml,
  xml2json,
  type Xml2JsonOptions,
  type XmlElement,
  XmlImportError,
} from "./xml/mod.ts";
