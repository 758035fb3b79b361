/**
 * Optimisers over pytrees of zgrad arrays, as optax: {@link GradientTransformation}s (`init`,
 * `update`), composed with {@link chain}, applied with {@link applyUpdates}. Pure functions of
 * pytrees of arrays, so a whole step can be `jit`-compiled.
 *
 * @example
 * ```ts
 * import { array, grad, jit } from "../mod.ts";
 * import { adam, applyUpdates, projectBox } from "./mod.ts";
 * const f = (p: { x: Array }) => p.x.square().sum();
 * const opt = adam(0.1);
 * const project = projectBox({ x: -1 }, { x: 1 });
 * const step = jit((p, s) => {
 *   const [u, s2] = opt.update(grad(f)(p), s, p);
 *   return [project(applyUpdates(p, u)), s2];
 * });
 * let params = { x: array(1, "float64") }, state = opt.init(params);
 * for (let i = 0; i < 10; i++) [params, state] = step(params, state);
 * ```
 *
 * @module
 */
export {
  applyUpdates,
  chain,
  type GradientTransformation,
  identity,
  type OptState,
  scale,
  scaleByLearningRate,
} from "./transform.ts";
export {
  adam,
  type AdamOptions,
  scaleByAdam,
  sgd,
  type SgdOptions,
  trace,
  type TraceOptions,
} from "./adam.ts";
export { clip, clipByGlobalNorm, globalNorm, projectBox } from "./clip.ts";
export { multiTransform } from "./multi.ts";
export {
  broadcastPrefix,
  mapTrees,
  type Params,
  type Prefix,
  type PrefixOptions,
} from "./tree_util.ts";
