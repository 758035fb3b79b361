/**
 * A full-batch training loop for a classifier: one `jit`-compiled step (value and gradient of the
 * loss, an `optim/` update) per epoch.
 *
 * @module
 */
import type { Array, ArrayLike } from "../core/array.ts";
import { asArray } from "../core/ops/convert.ts";
import { take } from "../core/ops/indexing.ts";
import * as random from "../core/random.ts";
import { valueAndGrad } from "../ad/api.ts";
import { jit } from "../jit/jit.ts";
import { adam } from "../optim/adam.ts";
import { applyUpdates, type GradientTransformation, type OptState } from "../optim/transform.ts";
import { bceWithLogits } from "./loss.ts";
import type { MlpParams } from "./mlp.ts";

/** Options of {@link train}. */
export interface TrainOptions {
  /** Initial parameters. */
  params: MlpParams;
  /** The network: `(params, x) → logits` of shape `[N, 1]` or `[N]`. */
  apply(params: MlpParams, x: Array): Array;
  /** Inputs `[N, features]`. */
  x: ArrayLike;
  /** Labels `[N]` in {0, 1}. */
  y: ArrayLike;
  /** Per-example weights `[N]` (e.g. {@link classWeights}); default 1. */
  weights?: ArrayLike;
  /** Number of full-batch steps (default 1000). */
  epochs?: number;
  /** Adam learning rate when no `optimizer` is given (default 0.02). */
  lr?: number;
  /**
   * Mini-batch size (default: the whole set, one step per epoch). With batches, each epoch
   * shuffles the examples with `random.permutation(foldIn(key(seed), epoch))` and drops the last
   * incomplete batch.
   */
  batchSize?: number;
  /** Seed of the shuffling (default 0). */
  seed?: number;
  /** The optimiser (default `adam(lr)`). */
  optimizer?: GradientTransformation;
  /** Called after each epoch with its loss (the mean over its batches, before their updates). */
  onProgress?: (epoch: number, loss: number) => void;
  /** Compile the step (default true). */
  jit?: boolean;
}

/** Result of {@link train}. */
export interface TrainResult {
  /** Trained parameters. */
  params: MlpParams;
  /** Loss at each epoch (mean over its batches, each before its update). */
  losses: number[];
}

/**
 * Trains by gradient descent (full batch, or shuffled mini-batches) on the (weighted) binary
 * cross-entropy with logits. Deterministic: the same inputs and seed give the same parameters.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { classWeights, mlp, train } from "./mod.ts";
 * const net = mlp([2, 8, 1], { seed: 42 });
 * const x = array([[0, 0], [1, 1], [0, 1], [1, 0]]), y = array([0, 1, 0, 1]);
 * const { params, losses } = train({ ...net, x, y, weights: classWeights(y), epochs: 100 });
 * ```
 */
export function train(opts: TrainOptions): TrainResult {
  const { epochs = 1000, lr = 0.02 } = opts;
  if (!(Number.isInteger(epochs) && epochs >= 0)) {
    throw new RangeError(`train: epochs must be a non-negative integer, got ${epochs}`);
  }
  const x = asArray(opts.x), y = asArray(opts.y);
  if (x.ndim !== 2 || y.ndim !== 1 || x.shape[0] !== y.shape[0]) {
    throw new RangeError(
      `train: expected x [N, features] and y [N], got x [${x.shape}] and y [${y.shape}]`,
    );
  }
  const w = opts.weights === undefined ? undefined : asArray(opts.weights);
  const opt = opts.optimizer ?? adam(lr);
  // `ws` is null, not undefined, inside the jitted step: jit passes an absent argument as null.
  const loss = (p: MlpParams, xs: Array, ys: Array, ws?: Array | null) => {
    const z = opts.apply(p, xs);
    return bceWithLogits(z.ndim === 2 ? z.reshape([-1]) : z, ys, ws ?? undefined);
  };
  const step = (p: MlpParams, s: OptState, xs: Array, ys: Array, ws?: Array | null) => {
    const [l, g] = valueAndGrad(loss)(p, xs, ys, ws);
    const [u, s2] = opt.update(g, s, p);
    return [l, applyUpdates(p, u), s2] as [Array, MlpParams, OptState];
  };
  const run = opts.jit === false ? step : jit(step, { name: "train_step" });
  let params = opts.params;
  let state = opt.init(params);
  const losses: number[] = [];
  const n = x.shape[0], bs = opts.batchSize ?? n;
  if (!(Number.isInteger(bs) && bs >= 1 && bs <= n)) {
    throw new RangeError(`train: batchSize must be an integer in [1, ${n}], got ${bs}`);
  }
  const nb = Math.floor(n / bs), key = random.key(opts.seed ?? 0);
  for (let e = 0; e < epochs; e++) {
    let sum = 0;
    const perm = bs === n ? null : random.permutation(random.foldIn(key, e), n);
    for (let b = 0; b < nb; b++) {
      const idx = perm?.slice(`${b * bs}:${(b + 1) * bs}`);
      const pick = (a: Array | undefined) => (a && idx ? take(a, idx, 0) : a);
      const [l, p, s] = run(params, state, pick(x)!, pick(y)!, pick(w));
      params = p;
      state = s;
      sum += l.item();
    }
    const v = sum / nb;
    if (!Number.isFinite(v)) throw new Error(`train: the loss is ${v} at epoch ${e}`);
    losses.push(v);
    opts.onProgress?.(e, v);
  }
  return { params, losses };
}
