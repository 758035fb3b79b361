/**
 * Gradient clipping (optax `clip`, `clip_by_global_norm`) and projection of parameters into a box
 * (optax `projections.projection_box`).
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import { clip as clipOp, div, less, mul, sqrt, where } from "../core/ops/elementwise.ts";
import { sum } from "../core/ops/reduce.ts";
import { flatten, unflatten } from "../core/tree.ts";
import type { GradientTransformation } from "./transform.ts";
import { broadcastPrefix, mapTrees, type Params, type Prefix } from "./tree_util.ts";

/**
 * Clips every update component to `[−maxDelta, maxDelta]` (optax `clip`).
 *
 * @example
 * ```ts
 * import { chain, clip, sgd } from "./mod.ts";
 * const opt = chain(clip(1.0), sgd(0.1));
 * ```
 */
export function clip(maxDelta: number): GradientTransformation {
  if (!(maxDelta >= 0)) throw new RangeError(`clip: maxDelta must be ≥ 0, got ${maxDelta}`);
  return {
    init: () => null,
    update: (updates, state) => [mapTrees((u) => clipOp(u, -maxDelta, maxDelta), updates), state],
  };
}

/**
 * The global L2 norm of a pytree: `√(Σ_leaves Σ x²)` (optax `global_norm`).
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { globalNorm } from "./mod.ts";
 * globalNorm({ a: array([3]), b: array([4]) }); // 5
 * ```
 */
export function globalNorm(updates: Params): Array {
  const ls = flatten<Array>(updates)[0];
  if (ls.length === 0) throw new RangeError("globalNorm: the tree has no leaves");
  let s = sum(mul(ls[0], ls[0]));
  for (const l of ls.slice(1)) s = s.add(sum(mul(l, l)));
  return sqrt(s);
}

/**
 * Rescales the updates so that their global norm is at most `maxNorm` (optax
 * `clip_by_global_norm`): unchanged when the norm is below it, else `u / norm · maxNorm`.
 *
 * @example
 * ```ts
 * import { chain, clipByGlobalNorm, adam } from "./mod.ts";
 * const opt = chain(clipByGlobalNorm(1.0), adam(1e-3));
 * ```
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation {
  if (!(maxNorm > 0)) throw new RangeError(`clipByGlobalNorm: maxNorm must be > 0, got ${maxNorm}`);
  return {
    init: () => null,
    update: (updates, state) => {
      const norm = globalNorm(updates);
      const small = less(norm, maxNorm);
      return [
        mapTrees((u) => where(small, u, mul(div(u, norm.astype(u.dtype)), maxNorm)), updates),
        state,
      ];
    },
  };
}

/**
 * A projection of parameters onto the box `[lower, upper]` (optax `projection_box`), to apply
 * after {@link applyUpdates}. Bounds are numbers or prefix trees of numbers; in an object, a
 * parameter left out is unbounded on that side.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { projectBox } from "./mod.ts";
 * const project = projectBox({ met: 20, btag: 0 }, { met: 150, btag: 3 });
 * project({ met: array(10), btag: array(1), nn: [array(5)] }); // {met: 20, btag: 1, nn: [5]}
 * ```
 */
export function projectBox(
  lower: Prefix<number>,
  upper: Prefix<number>,
): <T extends Params>(params: T) => T {
  return <T extends Params>(params: T): T => {
    const lo = broadcastPrefix(lower, params, { what: "projectBox (lower)", missing: -Infinity });
    const hi = broadcastPrefix(upper, params, { what: "projectBox (upper)", missing: Infinity });
    const [ls, def] = flatten<Array>(params);
    return unflatten(
      def,
      ls.map((p, i) => {
        if (lo[i] > hi[i]) {
          throw new RangeError(`projectBox: lower bound ${lo[i]} > upper bound ${hi[i]}`);
        }
        if (lo[i] === -Infinity && hi[i] === Infinity) return p;
        return clipOp(
          p,
          lo[i] === -Infinity ? null : lo[i],
          hi[i] === Infinity ? null : hi[i],
        );
      }),
    ) as T;
  };
}
