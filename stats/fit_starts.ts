/**
 * Where fits start: {@link conditionalStart}, the warm start of fixed-POI fits from a free fit,
 * and {@link fitWithRestartsSteps}, the `restarts` option of {@link fit} (several starts, the lowest
 * minimum kept, every minimum reported).
 *
 * @module
 */
import type { ArrayLike } from "../core/mod.ts";
import {
  covarianceColumn,
  type FitContext,
  FitError,
  type FitOptions,
  type FitResult,
  fitSteps,
  isSuggested,
  nllObjective,
  numbers,
  resolveFixed,
} from "./fit.ts";
import type { Model } from "./model.ts";
import { run, type Steps, value as valueAt } from "./steps.ts";

/**
 * A warm start for a fit with the POI fixed at `poiValue`, from a free fit: the conditional
 * minimum of the free fit's quadratic approximation, θ̂ + C[:, poi] (value − μ̂) / C[poi, poi]
 * (clipped to the bounds). Usually one or two Newton steps from the answer, where θ̂ alone is
 * several. The shift is shortened where the NLL would not be finite, and θ̂ is used when the
 * covariance is unusable.
 *
 * @example
 * ```ts
 * import { fit, fixedPoiFit } from "./fit.ts";
 * import { conditionalStart } from "./fit_starts.ts";
 * const free = fit(model.observed, model);
 * fixedPoiFit(1, model.observed, model, { init: conditionalStart(model, free, 1, model.observed) });
 * ```
 */
export function conditionalStart(
  model: Model,
  free: FitResult,
  poiValue: number,
  data: ArrayLike,
): number[] {
  return run(conditionalStartSteps(model, free, poiValue), nllObjective(model, data));
}

/**
 * {@link conditionalStart} as a computation asking for the NLL values it checks (see
 * `steps.ts`); `free`'s covariance is read, so its Hessian should be at hand (`fitSteps` with
 * `withHessian`).
 *
 * @example
 * ```ts
 * import { fit, nllObjective } from "./fit.ts";
 * import { conditionalStartSteps } from "./fit_starts.ts";
 * import { run } from "./steps.ts";
 * const free = fit(model.observed, model);
 * run(conditionalStartSteps(model, free, 1), nllObjective(model, model.observed));
 * ```
 */
export function* conditionalStartSteps(
  model: Model,
  free: FitResult,
  poiValue: number,
): Steps<number[]> {
  const poi = model.poiIndex;
  if (poi === null) throw new Error("conditionalStart: the model has no parameter of interest");
  const x = [...free.bestfit];
  x[poi] = poiValue;
  // The POI's column of the covariance (one Cholesky solve where the Hessian is at hand).
  const c = covarianceColumn(free, poi) ?? free.covariance.map((row) => row[poi]);
  const cpp = c[poi];
  if (!(cpp > 0) || !c.every(Number.isFinite)) return x;
  const d = poiValue - free.bestfit[poi];
  const bounds = model.suggestedBounds;
  // A long extrapolation can leave the model's domain (a histosys driving a rate negative):
  // shorten the shift until the NLL is finite, else start from θ̂.
  for (let scale = 1; scale > 0.03; scale /= 2) {
    const y = x.map((v, i) =>
      i === poi || free.fixed[i]
        ? v
        : Math.min(bounds[i][1], Math.max(bounds[i][0], v + scale * (c[i] / cpp) * d))
    );
    if (Number.isFinite(yield* valueAt(Float64Array.from(y)))) return y;
  }
  return x;
}

/**
 * `restarts` (see {@link FitOptions}): the fit from its own start, from the suggested init, and from the free fit (when
 * more is fixed than the model's defaults), keeping the lowest converged minimum.
 */
export function* fitWithRestartsSteps(
  data: ArrayLike,
  model: Model,
  opts: FitOptions,
  ctx: FitContext,
): Steps<FitResult> {
  const base: FitOptions = { ...opts, restarts: false, strict: false };
  const n = model.npars;
  const init = numbers(opts.init ?? model.suggestedInit, n, "fit: init");
  const fixed = resolveFixed(model, opts.fixed);
  const withFixed = (x: readonly number[]) => x.map((v, i) => (fixed[i] ? init[i] : v));
  const fit = (o: FitOptions) => fitSteps(data, model, o, ctx);
  const runs: FitResult[] = [yield* fit(base)];
  if (!isSuggested(model, init, fixed)) {
    const r = yield* fit({ ...base, init: withFixed(model.suggestedInit) });
    r.start = "suggested init";
    runs.push(r);
  }
  if (fixed.some((f, i) => f !== model.fixedParams[i])) {
    const free = yield* fit({ ...base, fixed: undefined });
    const r = yield* fit({ ...base, init: withFixed(free.bestfit) });
    r.start = "free fit";
    runs.push(r);
  }
  const pool = runs.some((r) => r.converged) ? runs.filter((r) => r.converged) : runs;
  const best = pool.reduce((a, b) => (b.twiceNll < a.twiceNll ? b : a));
  const minima = runs.map((r) => ({
    start: r.start,
    twiceNll: r.twiceNll,
    converged: r.converged,
    bestfit: r.bestfit,
  }));
  const distinct = runs.filter((r) => r.converged && Math.abs(r.twiceNll - best.twiceNll) > 1e-6);
  const warnings = [...best.warnings];
  if (distinct.length) {
    warnings.push(
      `several minima: kept -2 log L = ${best.twiceNll} (from ${best.start}); also ${
        distinct.map((r) => `${r.twiceNll} (from ${r.start})`).join(", ")
      }`,
    );
  }
  best.minima = minima;
  best.warnings.push(...warnings.slice(best.warnings.length));
  if (!best.converged && opts.strict) throw new FitError(best);
  return best;
}
