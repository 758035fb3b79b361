/**
 * The selection of the Z′ channel, soft (differentiable weights in (0, 1), product = AND) and hard
 * (0/1, the same cuts as steps):
 *
 * - MET: `σ((MET − met)/25)`;
 * - b-tag: a soft count of b-tagged jets `Σ_jets σ(10(btag − btagThreshold))` (a segment sum
 *   over each event's jets), through `σ(10(count − 0.5))`: "at least one b-tagged jet";
 * - leptonic HT: `σ((pTμ + MET − lepHt)/5)`;
 * - MVA: `σ(10(nn − 0.05))`, nn = sigmoid of the MLP's logit (tt̄-like → 1, W+jets-like → 0).
 *
 * The reference framework's b-tag term is `σ(10·count)` (count threshold 0), which gives events
 * without any b-tagged jet weight 0.5 and has no hard-cut limit; zgrad's default threshold 0.5
 * makes the soft cut tend to the hard "≥ 1 b-tag" cut (`btagCountThreshold: 0` reproduces the
 * reference). Slopes are options, so the soft cuts can be made as steep as wanted.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { greater, logicalAnd, mul, sigmoid, sub } from "../../core/ops/elementwise.ts";
import { segmentSum } from "../../core/ops/indexing.ts";
import type { MlpParams } from "../../nn/mlp.ts";
import type { SampleColumns } from "./inputs.ts";

/** The trainable parameters of the chain. */
export type DiffParams = {
  /** MET threshold (GeV). */
  met: Array;
  /** b-tag score threshold of a jet. */
  btag: Array;
  /** Leptonic HT threshold (GeV). */
  lepHt: Array;
  /** KDE bandwidth of the histograms (GeV). */
  bandwidth: Array;
  /** The MLP's parameters. */
  nn: MlpParams;
};

/** Steepness of each soft cut (the sigmoid's argument is slope × (x − threshold)). */
export interface Slopes {
  /** MET (default 1/25 per GeV). */
  met: number;
  /** Per-jet b-tag (default 10). */
  btag: number;
  /** The b-tag count (default 10). */
  btagCount: number;
  /** Leptonic HT (default 1/5 per GeV). */
  lepHt: number;
  /** MVA score (default 10). */
  nn: number;
}

/**
 * The slopes of the reference framework.
 *
 * @example
 * ```ts
 * import { DEFAULT_SLOPES } from "./soft.ts";
 * const steep = { ...DEFAULT_SLOPES, met: 1 }; // a 1 GeV wide MET cut
 * ```
 */
export const DEFAULT_SLOPES: Slopes = {
  met: 1 / 25,
  btag: 10,
  btagCount: 10,
  lepHt: 1 / 5,
  nn: 10,
};

/** Options of the selection. */
export interface SelectionOptions {
  /** Slopes (default {@link DEFAULT_SLOPES}); only the soft selection uses them. */
  slopes?: Partial<Slopes>;
  /** Cut on the (soft) b-tag count (default 0.5: at least one b-tagged jet). */
  btagCountThreshold?: number;
  /** Cut on the MVA score (default 0.05). */
  nnThreshold?: number;
}

/** The MVA: `(nn params, features [N, 3]) → logits [N, 1]`. */
export type MvaApply = (params: MlpParams, features: Array) => Array;

/**
 * MVA score in (0, 1) per event: the sigmoid of the MLP's logit, `[N]`.
 *
 * @example
 * ```ts
 * import { mvaScore } from "./soft.ts";
 * const score = mvaScore(net.apply, net.params, inputs.columns.ttbar.features);
 * ```
 */
export function mvaScore(apply: MvaApply, params: MlpParams, features: Array): Array {
  return sigmoid(apply(params, features)).reshape([-1]);
}

/**
 * The per-event soft selection weight (see the module doc), differentiable in every parameter.
 * Jets are reduced with a segment sum over `jetEvent`, so it jits with no per-event loop.
 *
 * @example
 * ```ts
 * import { softSelection } from "./soft.ts";
 * const w = softSelection(params, inputs.columns.signal, net.apply); // [N]
 * ```
 */
export function softSelection(
  params: DiffParams,
  cols: SampleColumns,
  mva: MvaApply,
  opts: SelectionOptions = {},
): Array {
  const k = { ...DEFAULT_SLOPES, ...opts.slopes };
  const n = cols.met.shape[0];
  const met = sigmoid(mul(sub(cols.met, params.met), k.met));
  const perJet = sigmoid(mul(sub(cols.btag, params.btag), k.btag));
  const count = segmentSum(perJet, cols.jetEvent, n);
  const btag = sigmoid(mul(sub(count, opts.btagCountThreshold ?? 0.5), k.btagCount));
  const lep = sigmoid(mul(sub(cols.lepHt, params.lepHt), k.lepHt));
  const score = mvaScore(mva, params.nn, cols.features);
  const nn = sigmoid(mul(sub(score, opts.nnThreshold ?? 0.05), k.nn));
  return met.mul(btag).mul(lep).mul(nn);
}

/**
 * The same cuts as steps: 1 where MET > met, the number of jets with btag > btagThreshold exceeds
 * the count threshold, pTμ + MET > lepHt and the MVA score > nnThreshold; else 0 (in the
 * columns' dtype). Not differentiable: the non-differentiable path and the soft/hard checks.
 *
 * @example
 * ```ts
 * import { hardSelection } from "./soft.ts";
 * const pass = hardSelection(params, inputs.columns.signal, net.apply); // 0/1 [N]
 * ```
 */
export function hardSelection(
  params: DiffParams,
  cols: SampleColumns,
  mva: MvaApply,
  opts: SelectionOptions = {},
): Array {
  const n = cols.met.shape[0];
  const count = segmentSum(greater(cols.btag, params.btag).astype("int32"), cols.jetEvent, n);
  let pass = logicalAnd(
    greater(cols.met, params.met),
    greater(count, opts.btagCountThreshold ?? 0.5),
  );
  pass = logicalAnd(pass, greater(cols.lepHt, params.lepHt));
  const score = mvaScore(mva, params.nn, cols.features);
  pass = logicalAnd(pass, greater(score, opts.nnThreshold ?? 0.05));
  return pass.astype(cols.met.dtype);
}
