/**
 * The MVA of the chain: an MLP (3 → 16 tanh → 16 tanh → 1) separating tt̄ (label 1) from W+jets
 * (label 0) on the features n_jet/10, m_j1/20, m_j2/10 (see `inputs.ts`), classes balanced,
 * pre-trained with the binary cross-entropy (1000 epochs, Adam lr 0.02, seed 42), saved as JSON
 * and re-used, then fine-tuned in the optimisation together with the cuts.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { concatenate } from "../../core/ops/shape.ts";
import { ones, zeros } from "../../core/ops/creation.ts";
import { classWeights } from "../../nn/loss.ts";
import { type Mlp, mlp, type MlpParams } from "../../nn/mlp.ts";
import { loadParams, saveParams } from "../../nn/io.ts";
import { train } from "../../nn/train.ts";
import type { DiffInputs } from "./inputs.ts";

/** Options of {@link pretrainMva}. */
export interface MvaOptions {
  /** Hidden layer sizes (default [16, 16]). */
  hidden?: readonly number[];
  /** Epochs (default 1000). */
  epochs?: number;
  /** Adam learning rate (default 0.02). */
  lr?: number;
  /** Seed of the initialisation (default 42). */
  seed?: number;
  /** Sample labelled 1 (default `"ttbar"`). */
  positive?: string;
  /** Sample labelled 0 (default `"wjets"`). */
  negative?: string;
  /** JSON file: read if it exists (no training), else written after training. */
  path?: string;
  /** Progress per epoch. */
  onProgress?: (epoch: number, loss: number) => void;
}

/** A pre-trained MVA. */
export interface Mva {
  /** The network (its `apply`). */
  net: Mlp;
  /** Its trained parameters. */
  params: MlpParams;
  /** Loss per epoch (empty when loaded). */
  losses: number[];
  /** True when the parameters were read from `path`. */
  loaded: boolean;
}

/**
 * Features `[N, 3]` and labels `[N]` of the training set: sample `positive` (1) then `negative`
 * (0).
 *
 * @example
 * ```ts
 * import { mvaTrainingSet } from "./mva.ts";
 * const { x, y } = mvaTrainingSet(inputs);
 * ```
 */
export function mvaTrainingSet(
  inputs: DiffInputs,
  positive = "ttbar",
  negative = "wjets",
): { x: Array; y: Array } {
  for (const s of [positive, negative]) {
    if (!inputs.columns[s]) {
      throw new Error(
        `mva: no sample ${JSON.stringify(s)} (samples: ${inputs.samples.join(", ")})`,
      );
    }
  }
  const p = inputs.columns[positive].features, n = inputs.columns[negative].features;
  return {
    x: concatenate([p, n], 0),
    y: concatenate([ones([p.shape[0]], p.dtype), zeros([n.shape[0]], p.dtype)]),
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The pre-trained MVA: loaded from `opts.path` when that file exists, else trained (class-
 * balanced BCE, full batch) and saved there.
 *
 * @example
 * ```ts
 * import { pretrainMva } from "./mva.ts";
 * const mva = await pretrainMva(inputs, { path: "out/mva.json" });
 * ```
 */
export async function pretrainMva(inputs: DiffInputs, opts: MvaOptions = {}): Promise<Mva> {
  const { hidden = [16, 16], epochs = 1000, lr = 0.02, seed = 42 } = opts;
  const { x, y } = mvaTrainingSet(inputs, opts.positive, opts.negative);
  const net = mlp([3, ...hidden, 1], { activation: "tanh", seed, dtype: x.dtype });
  if (opts.path && (await exists(opts.path))) {
    const params = (await loadParams(opts.path)) as MlpParams;
    if (!globalThis.Array.isArray(params) || params.length !== hidden.length + 1) {
      throw new Error(`pretrainMva: ${opts.path} does not hold a [3, ${hidden}, 1] MLP`);
    }
    return {
      net,
      params: params.map((l) => ({ w: l.w.astype(x.dtype), b: l.b.astype(x.dtype) })),
      losses: [],
      loaded: true,
    };
  }
  const { params, losses } = train({
    ...net,
    x,
    y,
    weights: classWeights(y),
    epochs,
    lr,
    onProgress: opts.onProgress,
  });
  if (opts.path) await saveParams(opts.path, params);
  return { net, params, losses, loaded: false };
}
