/**
 * zgrad's statistics layer, the package's `./stats` entry: pyhf-compatible HistFactory models,
 * likelihoods, fits, hypothesis tests, limits and ranking in float64, differentiable through the
 * fits, plus relaxed-style building blocks (`hist`, `cut`, `asimovSignificance`).
 *
 * A separate entry so that the core (`mod.ts`: arrays, transforms, `jit`) loads without the
 * statistics layer and its dependency (zod, which validates pyhf JSON workspaces).
 *
 * @example
 * ```ts
 * import { array } from "./mod.ts";
 * import { fit, uncorrelatedBackground } from "./stats.ts";
 * const model = uncorrelatedBackground([5], [50], [5]);
 * const r = fit(model.data(array([52], "float64")), model);
 * console.log(r.bestfitByName.mu); // ≈ [0.4]
 * ```
 *
 * @module
 */
export * from "./stats/mod.ts";
