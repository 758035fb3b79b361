/**
 * Gradient transformations, as optax: a {@link GradientTransformation} is a pair of pure functions
 * `init(params) → state` and `update(updates, state, params) → [updates, state]` over pytrees of
 * zgrad arrays. States are pytrees of arrays too, so a whole optimisation step — gradients,
 * `update`, {@link applyUpdates}, a projection — can be one `jit`-compiled function.
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import { asArray, astype } from "../core/ops/convert.ts";
import { add, mul } from "../core/ops/elementwise.ts";
import { flatten, type Tree, unflatten } from "../core/tree.ts";
import { broadcastPrefix, mapTrees, type Params, type Prefix } from "./tree_util.ts";

/** An optimiser state: a pytree of arrays (so it passes through `jit`). */
export type OptState = Tree<Array>;

/**
 * optax's `GradientTransformation`: `init` builds the state for some parameters, `update` turns
 * gradients (or the updates of a previous transformation) into updates and a new state.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { adam, applyUpdates } from "./mod.ts";
 * const opt = adam(0.1);
 * let params = { x: array(1, "float64") };
 * let state = opt.init(params);
 * const grads = { x: params.x.mul(2) };
 * const [updates, next] = opt.update(grads, state, params);
 * params = applyUpdates(params, updates);
 * state = next;
 * ```
 */
export interface GradientTransformation {
  /** The initial state for `params`. */
  init(params: Params): OptState;
  /** Transforms `updates` (gradients at first); `params` are the current parameters. */
  update(updates: Params, state: OptState, params?: Params): [Params, OptState];
}

/**
 * The transformation that leaves updates unchanged (optax `identity`), with an empty state.
 *
 * @example
 * ```ts
 * import { identity } from "./mod.ts";
 * const t = identity();
 * ```
 */
export function identity(): GradientTransformation {
  return { init: () => null, update: (u, s) => [u, s] };
}

/**
 * Applies transformations one after the other (optax `chain`); the state is the list of their
 * states.
 *
 * @example
 * ```ts
 * import { chain, clipByGlobalNorm, scaleByAdam, scaleByLearningRate } from "./mod.ts";
 * const opt = chain(clipByGlobalNorm(1), scaleByAdam(), scaleByLearningRate(1e-3));
 * ```
 */
export function chain(...transforms: GradientTransformation[]): GradientTransformation {
  return {
    init: (params) => transforms.map((t) => t.init(params)),
    update: (updates, state, params) => {
      const states = state as OptState[];
      if (!globalThis.Array.isArray(states) || states.length !== transforms.length) {
        throw new RangeError(
          `chain.update: expected the state of ${transforms.length} transformations (from init)`,
        );
      }
      const next: OptState[] = [];
      let u = updates;
      transforms.forEach((t, i) => {
        const [nu, ns] = t.update(u, states[i], params);
        u = nu;
        next.push(ns);
      });
      return [u, next];
    },
  };
}

/**
 * Multiplies updates by `factor` (optax `scale`): one number, or a prefix tree of numbers (one
 * per parameter or per subtree).
 *
 * @example
 * ```ts
 * import { scale } from "./mod.ts";
 * const t = scale({ w: 0.5, b: 2 });
 * ```
 */
export function scale(factor: Prefix<number>): GradientTransformation {
  return {
    init: () => null,
    update: (updates, state) => {
      const fs = broadcastPrefix(factor, updates, { what: "scale" });
      const [ls, def] = flatten<Array>(updates);
      return [unflatten(def, ls.map((u, i) => mul(u, fs[i]))) as Params, state];
    },
  };
}

/**
 * Scales updates by −`learningRate` (optax `scale_by_learning_rate`, gradient descent): one
 * number, or per-parameter rates as a prefix tree, e.g. `{met: 1, btag: 0.01, nn: 5e-4}` (every
 * array under `nn` gets 5e-4).
 *
 * @example
 * ```ts
 * import { chain, scaleByAdam, scaleByLearningRate } from "./mod.ts";
 * const opt = chain(scaleByAdam(), scaleByLearningRate({ cut: 1.0, nn: 5e-4 }));
 * ```
 */
export function scaleByLearningRate(learningRate: Prefix<number>): GradientTransformation {
  const neg = (p: Prefix<number>): Prefix<number> =>
    typeof p === "number"
      ? -p
      : globalThis.Array.isArray(p)
      ? p.map(neg)
      : Object.fromEntries(Object.entries(p).map(([k, v]) => [k, neg(v)]));
  return scale(neg(learningRate));
}

/**
 * `params + updates`, each leaf kept in its parameter's dtype (optax `apply_updates`).
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { applyUpdates } from "./mod.ts";
 * applyUpdates({ x: array(1) }, { x: array(-0.1) }); // {x: 0.9}
 * ```
 */
export function applyUpdates<T extends Params>(params: T, updates: Params): T {
  return mapTrees(
    (p, u) => {
      const pa = asArray(p);
      const s = add(pa, u);
      return s.dtype === pa.dtype ? s : astype(s, pa.dtype);
    },
    params,
    updates,
  );
}
