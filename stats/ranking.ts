/**
 * Nuisance-parameter ranking ("impacts"): how far the best-fit parameter of interest moves when
 * one nuisance parameter is fixed one standard deviation away from its best-fit value and
 * everything else is refitted — the ranking plot of ATLAS/CMS analyses (cabinetry's `ranking`).
 *
 * For each free nuisance component k (POI and fixed components excluded; per-bin shapesys /
 * staterror components ranked one by one, labelled like pyhf, `staterror_ch[0]`):
 * - post-fit impacts: refit with θ_k fixed at θ̂_k ± σ̂_k (σ̂_k from the best fit's covariance),
 *   record Δμ = μ̂_k − μ̂;
 * - pre-fit impacts (constrained components only): the same with θ̂_k ± σ₀_k, σ₀ the
 *   constraint width (pyhf's `width()`: σ for Gaussian constraints, 1/√τ for shapesys).
 *
 * Every refit is warm-started from the best fit, moved along the fit's linear response to θ_k
 * (θ̂ + C[:, k] δ/C_kk, the conditional minimum of the Gaussian approximation), so a refit
 * typically takes one or two Newton steps on the shared, already compiled NLL; hundreds of
 * parameters take seconds. Impacts are sorted by the mean
 * absolute post-fit shift, largest first.
 *
 * @module
 */
import { Array, array, type ArrayLike } from "../core/mod.ts";
import { fit, type FitOptions, type FitResult, type NllObjective, nllObjective } from "./fit.ts";
import { minimize } from "./optimize.ts";
import type { Model } from "./model.ts";
import { type PrefitConstraint, prefitConstraints } from "./fisher.ts";

/**
 * Options of {@link ranking}.
 *
 * @example
 * ```ts
 * import { fit, ranking } from "./mod.ts";
 * const best = fit(model.observed, model);
 * ranking(model.observed, model, { fit: best, parameters: ["staterror_ch"], prefit: false });
 * ```
 */
export interface RankingOptions {
  /** A best fit of the same data and model (skips the nominal fit; it must be converged). */
  fit?: FitResult;
  /**
   * Options for every fit (`bounds`, `fixed`, `tol`, `maxIter`, `jit`, `init` of the nominal
   * fit). Refits always start from the best fit.
   */
  fitOptions?: FitOptions;
  /**
   * Components to rank, by label (`"jes"`, `"staterror_ch[0]"`) or parameter-set name (all its
   * components). Default: every free component except the POI.
   */
  parameters?: readonly string[];
  /** Also compute the pre-fit impacts (default true). */
  prefit?: boolean;
  /** Called after each refit with (refits done, refits planned) — for progress bars. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The POI shifts for fixing one nuisance component at θ̂ + σ (`up`) and θ̂ − σ (`down`).
 *
 * @example
 * ```ts
 * import { ranking } from "./mod.ts";
 * const { up, down } = ranking(model.observed, model).impacts[0].postfit;
 * ```
 */
export interface ImpactPair {
  /** μ̂ with θ_k = θ̂_k + σ, minus μ̂. */
  up: number;
  /** μ̂ with θ_k = θ̂_k − σ, minus μ̂. */
  down: number;
}

/**
 * The impact of one nuisance component ({@link ranking}).
 *
 * @example
 * ```ts
 * import { ranking } from "./mod.ts";
 * const top = ranking(model.observed, model).impacts[0];
 * console.log(top.label, top.impact, top.pull, top.constraint);
 * ```
 */
export interface Impact {
  /** Component label (`model.parLabels`, e.g. `"jes"` or `"staterror_ch[0]"`). */
  label: string;
  /** Parameter set name. */
  name: string;
  /** Index in the parameter vector. */
  index: number;
  /** Whether it has a constraint term (normal or Poisson). */
  constrained: boolean;
  /** θ̂_k. */
  bestfit: number;
  /** σ̂_k from the best fit's covariance. */
  postfitUncertainty: number;
  /** σ₀_k, the constraint width; null for unconstrained components. */
  prefitUncertainty: number | null;
  /** POI shifts for θ_k = θ̂_k ± σ̂_k. */
  postfit: ImpactPair;
  /** POI shifts for θ_k = θ̂_k ± σ₀_k; null when unconstrained or `prefit: false`. */
  prefit: ImpactPair | null;
  /** The sort key: (|postfit.up| + |postfit.down|)/2. */
  impact: number;
  /** (θ̂_k − θ₀)/σ₀ for constrained components, else null. */
  pull: number | null;
  /** σ̂_k/σ₀ for constrained components, else null. */
  constraint: number | null;
  /** Whether all of this component's refits converged. */
  converged: boolean;
  /** Problems with this component's refits (non-convergence, shifts clipped to bounds). */
  warnings: string[];
}

/**
 * The result of {@link ranking}.
 *
 * @example
 * ```ts
 * import { ranking } from "./mod.ts";
 * const r = ranking(model.observed, model);
 * console.log(r.poi, r.poiBestfit, r.poiUncertainty, r.refits, r.converged);
 * ```
 */
export interface RankingResult {
  /** POI name. */
  poi: string;
  /** μ̂. */
  poiBestfit: number;
  /** σ̂_μ. */
  poiUncertainty: number;
  /** The best fit the impacts are relative to. */
  fit: FitResult;
  /** One entry per ranked component, largest impact first. */
  impacts: Impact[];
  /** Number of refits done. */
  refits: number;
  /** Whether the best fit and every refit converged. */
  converged: boolean;
  /** Warnings of the best fit and of the refits (prefixed with the component label). */
  warnings: string[];
}

function toF64(x: ArrayLike): Array {
  const a = x instanceof Array ? x : array(x as number[], "float64");
  return a.dtype === "float64" ? a : a.astype("float64");
}

function selected(model: Model, names: readonly string[] | undefined): Set<number> | null {
  if (!names) return null;
  const out = new Set<number>();
  for (const n of names) {
    const i = model.parLabels.indexOf(n);
    if (i >= 0) {
      out.add(i);
      continue;
    }
    const p = model.paramsets.find((q) => q.name === n);
    if (!p) {
      throw new RangeError(
        `ranking: unknown parameter ${JSON.stringify(n)} (labels: ${model.parLabels.join(", ")})`,
      );
    }
    for (let k = 0; k < p.n; k++) out.add(p.start + k);
  }
  return out;
}

/**
 * Ranks the nuisance parameters by their impact on the POI (see the module doc): for every free
 * component except the POI, refits with it fixed at θ̂ ± σ̂ (post-fit) and θ̂ ± σ₀ (pre-fit,
 * constrained components), warm-started from the best fit, and sorts by the post-fit shift.
 *
 * @example
 * ```ts
 * import { ranking } from "./mod.ts";
 * const r = ranking(model.observed, model);
 * for (const i of r.impacts.slice(0, 10)) {
 *   console.log(i.label, i.postfit.up.toFixed(3), i.postfit.down.toFixed(3));
 * }
 * ```
 */
export function ranking(data: ArrayLike, model: Model, opts: RankingOptions = {}): RankingResult {
  const poi = model.poiIndex;
  if (poi === null) throw new Error("ranking: the model has no parameter of interest");
  const d = toF64(data);
  const fitOpts = opts.fitOptions ?? {};
  const best = nominalFit(d, model, opts.fit, fitOpts);
  const warnings = [...best.warnings];
  let converged = best.converged;
  if (!best.converged) warnings.push("the best fit did not converge: impacts are unreliable");
  const pre = prefitConstraints(model);
  const only = selected(model, opts.parameters);
  const doPrefit = opts.prefit ?? true;
  const setOf = model.paramsets.flatMap((p) =>
    globalThis.Array.from({ length: p.n }, () => p.name)
  );
  // Refits planned: ± σ̂ for every ranked component, ± σ₀ for the constrained ones (pre-fit).
  const ranked = model.parLabels.map((_, k) =>
    k !== poi && !best.fixed[k] && (!only || only.has(k))
  );
  const planned = ranked.reduce(
    (n, r, k) => n + (r ? 2 + (doPrefit && pre[k] ? 2 : 0) : 0),
    0,
  );
  // Refits: the optimiser on the NLL objective directly (built once; no covariance needed).
  const objective = nllObjective(model, d, { jit: fitOpts.jit });
  const bounds = fitOpts.bounds ?? model.suggestedBounds;
  const refits = poiRefits(objective, best, poi, bounds, fitOpts, (done) => {
    opts.onProgress?.(done, Math.max(planned, done));
  });
  const impacts: Impact[] = [];
  for (let k = 0; k < model.npars; k++) {
    if (!ranked[k]) continue;
    const impact = componentImpact(k, best, refits, {
      label: model.parLabels[k],
      name: setOf[k],
      constraint: pre[k],
      prefit: doPrefit,
    });
    if (!impact.converged) converged = false;
    warnings.push(...impact.warnings.map((m) => `${impact.label}: ${m}`));
    impacts.push(impact);
  }
  impacts.sort(byImpact);
  return {
    poi: model.poiName!,
    poiBestfit: best.bestfit[poi],
    poiUncertainty: best.uncertainties[poi],
    fit: best,
    impacts,
    refits: refits.done,
    converged,
    warnings: [...warnings, ...objective.notes],
  };
}

/** The best fit the impacts are relative to: `given` (checked against the model), or a new fit. */
function nominalFit(
  data: Array,
  model: Model,
  given: FitResult | undefined,
  fitOpts: FitOptions,
): FitResult {
  const best = given ?? fit(data, model, fitOpts);
  if (best.bestfit.length !== model.npars) {
    throw new RangeError(
      `ranking: opts.fit has ${best.bestfit.length} parameters, the model ${model.npars}`,
    );
  }
  return best;
}

/** Refits with one component fixed, giving the POI's shift from the best fit; `done` counts them. */
interface PoiRefits {
  /** Refits done so far. */
  readonly done: number;
  /**
   * μ̂ − μ̂₀ with component `k` fixed at `value` (clipped to its bounds); notes on the clipping and
   * on a refit that did not converge go to `warnings`.
   */
  shift(k: number, value: number, warnings: string[]): number;
}

/**
 * {@link PoiRefits} by the optimiser on `objective` (the NLL), each warm-started next to its
 * conditional minimum; `onRefit` is called with the count after each.
 */
function poiRefits(
  objective: NllObjective,
  best: FitResult,
  poi: number,
  bounds: readonly (readonly [number, number])[],
  fitOpts: FitOptions,
  onRefit: (done: number) => void,
): PoiRefits {
  const lower = bounds.map((b) => b[0]), upper = bounds.map((b) => b[1]);
  const mu0 = best.bestfit[poi];
  let done = 0;
  return {
    get done() {
      return done;
    },
    shift(k, value, warnings) {
      const [lo, hi] = bounds[k];
      let v = value;
      if (v < lo || v > hi) {
        v = Math.min(hi, Math.max(lo, v));
        warnings.push(`${value} is outside the bounds [${lo}, ${hi}]; fixed at ${v}`);
      }
      const fixed = [...best.fixed];
      fixed[k] = true;
      const r = minimize(objective, linearResponseStart(best, k, v, lower, upper), {
        lower,
        upper,
        fixed,
        tol: fitOpts.tol,
        maxIter: fitOpts.maxIter,
      });
      onRefit(++done);
      if (!r.converged) warnings.push(`refit with θ = ${v} did not converge: ${r.message}`);
      return r.x[poi] - mu0;
    },
  };
}

/**
 * Warm start of the refit with component `k` fixed at `v`: the best fit, moved along the
 * Gaussian (linear-response) direction θ + C[:, k] δ / C_kk, so that Newton starts next to the
 * conditional minimum.
 */
function linearResponseStart(
  best: FitResult,
  k: number,
  v: number,
  lower: readonly number[],
  upper: readonly number[],
): number[] {
  const C = best.covariance;
  const delta = v - best.bestfit[k];
  const ckk = C[k][k];
  return best.bestfit.map((t, i) => {
    if (i === k) return v;
    if (best.fixed[i] || !(ckk > 0) || !Number.isFinite(C[i][k])) return t;
    return Math.min(upper[i], Math.max(lower[i], t + (C[i][k] / ckk) * delta));
  });
}

/** What {@link componentImpact} needs to know of a ranked component besides its index. */
interface RankedComponent {
  /** Its label (`model.parLabels`). */
  label: string;
  /** Its parameter set's name. */
  name: string;
  /** Its constraint term, null for an unconstrained component. */
  constraint: PrefitConstraint | null;
  /** Whether to compute the pre-fit impact (constrained components only). */
  prefit: boolean;
}

/**
 * The impact of component `k`: its post-fit refits (θ̂ ± σ̂), its pre-fit ones (θ̂ ± σ₀) when
 * asked for and constrained, and its pull and constraint.
 */
function componentImpact(
  k: number,
  best: FitResult,
  refits: PoiRefits,
  { label, name, constraint: c, prefit: doPrefit }: RankedComponent,
): Impact {
  const w: string[] = [];
  const theta = best.bestfit[k], sigma = best.uncertainties[k];
  const before = refits.done;
  let postfit: ImpactPair = { up: NaN, down: NaN };
  if (Number.isFinite(sigma) && sigma > 0) {
    postfit = { up: refits.shift(k, theta + sigma, w), down: refits.shift(k, theta - sigma, w) };
  } else {
    w.push(`no post-fit uncertainty (σ̂ = ${sigma}): post-fit impact not computed`);
  }
  const prefit = c && doPrefit
    ? { up: refits.shift(k, theta + c.width, w), down: refits.shift(k, theta - c.width, w) }
    : null;
  return {
    label,
    name,
    index: k,
    constrained: c !== null,
    bestfit: theta,
    postfitUncertainty: sigma,
    prefitUncertainty: c ? c.width : null,
    postfit,
    prefit,
    impact: (Math.abs(postfit.up) + Math.abs(postfit.down)) / 2,
    pull: c ? (theta - c.center) / c.width : null,
    constraint: c ? sigma / c.width : null,
    converged: !w.some((m) => m.includes("did not converge")) && refits.done > before,
    warnings: w,
  };
}

/** Largest impact first; NaN impacts (no σ̂) last; ties keep parameter order. */
function byImpact(a: Impact, b: Impact): number {
  return (Number.isNaN(a.impact) ? 1 : 0) - (Number.isNaN(b.impact) ? 1 : 0) ||
    (b.impact - a.impact) || (a.index - b.index);
}
