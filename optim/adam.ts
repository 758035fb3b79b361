/**
 * Adam and SGD (with momentum), as optax's `scale_by_adam`, `adam`, `trace` and `sgd`.
 *
 * @module
 */
import { array } from "../core/ops/convert.ts";
import { add, div, mul, pow, sqrt, square, sub } from "../core/ops/elementwise.ts";
import { zerosLike } from "../core/ops/creation.ts";
import type { Array } from "../core/array.ts";
import {
  chain,
  type GradientTransformation,
  type OptState,
  scaleByLearningRate,
} from "./transform.ts";
import { mapTrees, type Params, type Prefix } from "./tree_util.ts";

/** Options of {@link scaleByAdam} (optax's names and defaults). */
export interface AdamOptions {
  /** Decay of the first moment (default 0.9). */
  b1?: number;
  /** Decay of the second moment (default 0.999). */
  b2?: number;
  /** Added to the denominator outside the square root (default 1e-8). */
  eps?: number;
  /** Added to the second moment inside the square root (default 0). */
  epsRoot?: number;
}

interface AdamState {
  count: Array;
  mu: Params;
  nu: Params;
}

function adamState(s: OptState): AdamState {
  const st = s as unknown as AdamState;
  if (st === null || typeof st !== "object" || !("count" in st) || !("mu" in st)) {
    throw new TypeError("scaleByAdam.update: the state is not an Adam state (from init)");
  }
  return st;
}

/**
 * Adam's rescaling (optax `scale_by_adam`): with t the step count (from 1),
 * `m ← b1·m + (1 − b1)·g`, `v ← b2·v + (1 − b2)·g²`, and the update
 * `(m / (1 − b1ᵗ)) / (√(v / (1 − b2ᵗ) + epsRoot) + eps)`. The state is `{count, mu, nu}` (count an
 * int32 scalar; moments in each parameter's dtype).
 *
 * @example
 * ```ts
 * import { chain, scaleByAdam, scaleByLearningRate } from "./mod.ts";
 * const opt = chain(scaleByAdam({ b1: 0.8 }), scaleByLearningRate(0.01));
 * ```
 */
export function scaleByAdam(opts: AdamOptions = {}): GradientTransformation {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0 } = opts;
  return {
    init: (params) => ({
      count: array(0, "int32"),
      mu: mapTrees((p) => zerosLike(p), params),
      nu: mapTrees((p) => zerosLike(p), params),
    }),
    update: (updates, state) => {
      const s = adamState(state);
      const mu = mapTrees((g, m) => add(mul(g, 1 - b1), mul(m, b1)), updates, s.mu);
      const nu = mapTrees((g, v) => add(mul(square(g), 1 - b2), mul(v, b2)), updates, s.nu);
      const count = add(s.count, 1);
      const out = mapTrees(
        (m, v) => {
          const t = count.astype(m.dtype);
          const mHat = div(m, sub(1, pow(b1, t)));
          const vHat = div(v, sub(1, pow(b2, t)));
          return div(mHat, add(sqrt(add(vHat, epsRoot)), eps));
        },
        mu,
        nu,
      );
      return [out, { count, mu, nu } as unknown as OptState];
    },
  };
}

/**
 * Adam (optax `adam`): {@link scaleByAdam} then {@link scaleByLearningRate}; `learningRate` may
 * be per-parameter (a prefix tree of numbers).
 *
 * @example
 * ```ts
 * import { adam } from "./mod.ts";
 * const opt = adam({ met: 1.0, btag: 0.01, nn: 5e-4 });
 * ```
 */
export function adam(learningRate: Prefix<number>, opts: AdamOptions = {}): GradientTransformation {
  return chain(scaleByAdam(opts), scaleByLearningRate(learningRate));
}

/** Options of {@link trace}. */
export interface TraceOptions {
  /** Decay of the accumulated trace (the momentum). */
  decay: number;
  /** Nesterov momentum: the update is `g + decay·trace` (default false). */
  nesterov?: boolean;
}

/**
 * Momentum (optax `trace`): `trace ← g + decay·trace`, update `trace` (or `g + decay·trace` with
 * Nesterov). The state is `{trace}`.
 *
 * @example
 * ```ts
 * import { chain, scaleByLearningRate, trace } from "./mod.ts";
 * const opt = chain(trace({ decay: 0.9 }), scaleByLearningRate(0.1));
 * ```
 */
export function trace(opts: TraceOptions): GradientTransformation {
  const { decay, nesterov = false } = opts;
  return {
    init: (params) => ({ trace: mapTrees((p) => zerosLike(p), params) }),
    update: (updates, state) => {
      const prev = (state as { trace?: Params })?.trace;
      if (prev === undefined) throw new TypeError("trace.update: the state has no trace");
      const next = mapTrees((g, t) => add(g, mul(t, decay)), updates, prev);
      const out = nesterov ? mapTrees((g, t) => add(g, mul(t, decay)), updates, next) : next;
      return [out, { trace: next }];
    },
  };
}

/** Options of {@link sgd}. */
export interface SgdOptions {
  /** Momentum decay (default: none). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent (optax `sgd`): `params ← params − lr·g`, optionally with
 * (Nesterov) momentum; `learningRate` may be per-parameter.
 *
 * @example
 * ```ts
 * import { sgd } from "./mod.ts";
 * const opt = sgd(0.1, { momentum: 0.9 });
 * ```
 */
export function sgd(learningRate: Prefix<number>, opts: SgdOptions = {}): GradientTransformation {
  const lr = scaleByLearningRate(learningRate);
  if (opts.momentum === undefined) return chain(lr);
  return chain(trace({ decay: opts.momentum, nesterov: opts.nesterov }), lr);
}
