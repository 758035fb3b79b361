/**
 * Maximum-likelihood fits of a {@link Model}: {@link fit} (all free parameters) and
 * {@link fixedPoiFit} (the POI held at a value), pyhf's `mle.fit` / `mle.fixed_poi_fit`, in
 * float64. The NLL's value, gradient and Hessian come from zgrad (`nll_objective.ts`, jitted once
 * per model structure); the steps are taken by the optimiser (`optimize.ts`) on plain numbers. A fit
 * is written once, as {@link fitSteps}, a computation asking for its evaluations (`steps.ts`):
 * `fit` answers them from one dataset's NLL, `fit_batch.ts` for many datasets at once.
 *
 * For implicit differentiation the pieces are kept apart: {@link nllObjective} is the function
 * handed to the optimiser, `minimize` is the optimiser (a plain function of objective and start),
 * and {@link stationarity} is the optimality condition F(θ̂) = 0 whose Jacobian the
 * implicit function theorem needs (gradient of the NLL for free parameters, θ − value for fixed
 * ones and for those held at a bound).
 *
 * @module
 */
import { Array, array, type ArrayLike, where } from "../core/mod.ts";
import { grad } from "../ad/api.ts";
import { choleskyFactor, choleskySolveNumbers, invertSymmetric } from "./dense.ts";
import type { Model } from "./model.ts";
import { type MinimizeOutcome, minimizeSteps } from "./optimize.ts";
import { fitWithRestartsSteps } from "./fit_starts.ts";
import { nllObjective, undefinedNll } from "./nll_objective.ts";
export { type NllObjective, nllObjective } from "./nll_objective.ts";
import { hessian as hessianAt, run, type Steps } from "./steps.ts";

/** Options of {@link fit} and {@link fixedPoiFit}. */
export interface FitOptions {
  /** Starting point (default `model.suggestedInit`); a previous fit's `bestfit` warm-starts. */
  init?: ArrayLike | readonly number[];
  /** Bounds per component (default `model.suggestedBounds`). */
  bounds?: readonly (readonly [number, number])[];
  /**
   * Components held at their `init` value (default `model.fixedParams`); a `{name: true}` record
   * adds to the defaults by parameter name.
   */
  fixed?: readonly boolean[] | Record<string, boolean>;
  /** Convergence threshold on the EDM (½ gᵀH⁻¹g of the NLL; default 1e-12). */
  tol?: number;
  /** Maximum Newton iterations (default 200). */
  maxIter?: number;
  /** Throw a {@link FitError} instead of returning `converged: false`. */
  strict?: boolean;
  /**
   * Also fit from pyhf's suggested init and, when components are fixed beyond the model's
   * defaults (a fixed-POI fit), from the free fit's best fit; keep the lowest minimum and report
   * every one in `minima` (for multimodal likelihoods, e.g. code0 kinks). Default false.
   */
  restarts?: boolean;
  /** Evaluate the NLL through `jit` (default true). */
  jit?: boolean;
}

/** The outcome of a fit. Uncertainties come from the inverse Hessian of the NLL (free parameters). */
export interface FitResult {
  /** Best-fit parameters (pyhf's parameter order). */
  bestfit: number[];
  /** The same as a float64 zgrad array. */
  pars: Array;
  /** Best-fit values by parameter name. */
  bestfitByName: Record<string, number[]>;
  /** −log L at the minimum. */
  nll: number;
  /** −2 log L at the minimum (pyhf's `twice_nll`). */
  twiceNll: number;
  /** √diag(covariance); 0 for fixed parameters. */
  uncertainties: number[];
  /** Inverse Hessian of the NLL over the free parameters (zeros for fixed ones). */
  covariance: number[][];
  /** Correlation matrix (1 on the diagonal of fixed parameters). */
  correlation: number[][];
  /** Gradient of the NLL at the minimum. */
  gradient: number[];
  /** Estimated distance to the minimum (in NLL units). */
  edm: number;
  /** Fixed components. */
  fixed: boolean[];
  /** Free components held at a bound, or at a kink of their interpolation (see `atKink`). */
  atBound: boolean[];
  /**
   * Free components held at a kink (code0/code1 at α = 0, code2 at ±1): the minimum in that
   * parameter is where the NLL is not differentiable, so it is reported, and its uncertainty
   * comes from the one-sided Hessian.
   */
  atKink: boolean[];
  /** Newton iterations. */
  iterations: number;
  /** NLL evaluations (value, gradient, Hessian). */
  evaluations: { value: number; gradient: number; hessian: number };
  /** Whether the minimiser met its convergence criterion. */
  converged: boolean;
  /** How the minimisation ended. */
  message: string;
  /** Problems worth knowing (non-convergence, non-positive-definite Hessian, ...). */
  warnings: string[];
  /** Where the kept minimum was started: `"init"`, `"suggested init"` or `"free fit"`. */
  start: FitStart;
  /** With `restarts`: every minimum found, one per start, the kept one included. */
  minima?: FitMinimum[];
}

/** Where a fit started. */
export type FitStart = "init" | "suggested init" | "free fit";

/** One minimum found by a fit with `restarts`. */
export interface FitMinimum {
  /** Where it was started. */
  start: FitStart;
  /** −2 log L there. */
  twiceNll: number;
  /** Whether that fit converged. */
  converged: boolean;
  /** Its best fit. */
  bestfit: number[];
}

/**
 * A fit did not converge and `strict` was set; `result` holds where it stopped.
 *
 * @example
 * ```ts
 * import { fit, FitError } from "./mod.ts";
 * try { fit(data, model, { strict: true, maxIter: 1 }); }
 * catch (e) { if (e instanceof FitError) console.log(e.result.message); }
 * ```
 */
export class FitError extends Error {
  /** Where the fit stopped. */
  readonly result: FitResult;
  /** Wraps the result of a fit that did not converge. */
  constructor(result: FitResult) {
    super(`fit did not converge: ${result.message}`);
    this.result = result;
    this.name = "FitError";
  }
}

/**
 * The fixed components of a fit: the model's defaults, an explicit boolean per component, or the
 * defaults plus `{name: true}` by parameter name.
 *
 * @example
 * ```ts
 * import { resolveFixed } from "./fit.ts";
 * resolveFixed(model, { mu: true }); // the model's fixed components and mu
 * ```
 */
export function resolveFixed(model: Model, f: FitOptions["fixed"]): boolean[] {
  if (f === undefined) return [...model.fixedParams];
  if (globalThis.Array.isArray(f)) {
    if (f.length !== model.npars) {
      throw new RangeError(
        `fit: fixed has ${f.length} entries, the model has ${model.npars} parameters`,
      );
    }
    return [...f];
  }
  const out = [...model.fixedParams];
  for (const [name, v] of Object.entries(f as Record<string, boolean>)) {
    const p = model.paramset(name);
    for (let i = 0; i < p.n; i++) out[p.start + i] = v;
  }
  return out;
}

/** `x` as `n` plain numbers, or a RangeError naming `what`. */
export function numbers(x: ArrayLike | readonly number[], n: number, what: string): number[] {
  const v = x instanceof Array
    ? globalThis.Array.from(x.dataSync())
    : (x as number[]).flat() as number[];
  if (v.length !== n) throw new RangeError(`${what}: expected ${n} values, got ${v.length}`);
  return v.map(Number);
}

/**
 * Maximum-likelihood fit: minimises −log L(θ | data) over the free parameters within bounds.
 * Returns best-fit values, NLL and −2 log L, uncertainties/covariance/correlation from the
 * inverse Hessian, and convergence information. Non-convergence sets `converged: false` and a
 * warning (or throws with `strict`).
 *
 * @example
 * ```ts
 * import { fit } from "./mod.ts";
 * const r = fit(model.observed, model);
 * console.log(r.bestfitByName, r.twiceNll, r.uncertainties, r.converged);
 * ```
 */
export function fit(data: ArrayLike, model: Model, opts: FitOptions = {}): FitResult {
  const objective = nllObjective(model, data, { jit: opts.jit });
  return run(fitSteps(data, model, opts, objective), objective);
}

/**
 * @internal What a fit computation needs beyond the evaluations it asks for: a Hessian evaluated
 * on the spot (for uncertainties read after the fit) and notes on how the NLL was evaluated.
 */
export interface FitContext {
  /** Notes for the fit's warnings (e.g. that jit fell back to eager evaluation). */
  readonly notes: readonly string[];
  /** ∇²NLL(x), evaluated now (when a result's uncertainties are first read). */
  hessian(x: Float64Array): Float64Array;
}

/**
 * {@link fit} as a computation that asks for its NLL evaluations (see `steps.ts`), so that
 * `batch.ts` can run many fits in lockstep. With `withHessian`, the Hessian at the minimum is
 * asked for when the last steps reused an older one, so that reading the uncertainties costs no
 * evaluation of its own.
 *
 * @example
 * ```ts
 * import { fitSteps, nllObjective } from "./fit.ts";
 * import { run } from "./steps.ts";
 * const obj = nllObjective(model, model.observed);
 * const r = run(fitSteps(model.observed, model, {}, obj), obj);
 * ```
 */
export function* fitSteps(
  data: ArrayLike,
  model: Model,
  opts: FitOptions,
  ctx: FitContext,
  withHessian = false,
): Steps<FitResult> {
  if (opts.restarts) return yield* fitWithRestartsSteps(data, model, opts, ctx);
  const n = model.npars;
  const init = numbers(opts.init ?? model.suggestedInit, n, "fit: init");
  const bounds = opts.bounds ?? model.suggestedBounds;
  if (bounds.length !== n) {
    throw new RangeError(`fit: bounds has ${bounds.length} entries, expected ${n}`);
  }
  const fixed = resolveFixed(model, opts.fixed);
  const startWarnings: string[] = [];
  init.forEach((v, i) => {
    if (!fixed[i] && !(v >= bounds[i][0] && v <= bounds[i][1])) {
      startWarnings.push(
        `the initial value of ${model.parLabels[i]} (${v}) is outside its bounds [${bounds[i]}]; ` +
          "the fit started from the nearest bound",
      );
    }
  });
  const r = yield* minimizeSteps(init, {
    lower: bounds.map((b) => b[0]),
    upper: bounds.map((b) => b[1]),
    fixed,
    tol: opts.tol,
    maxIter: opts.maxIter,
    kinks: model.kinks,
  });
  // Non-finite only where it starts (every step taken has a finite value).
  if (!Number.isFinite(r.value)) throw new RangeError(undefinedNll(model, data, init, r.value));
  // A minimum whose reduced Hessian failed its Cholesky factorisation is examined at once, so
  // that the warning is there from the start.
  if (r.hessian === null && (withHessian || !(Number.isFinite(r.edm) && r.converged))) {
    r.hessian = yield* hessianAt(r.x);
    r.evaluations.hessian++;
  }
  const result = fitResult(model, r, init, fixed, [...startWarnings, ...r.warnings], ctx);
  if (!result.converged && opts.strict) throw new FitError(result);
  return result;
}

/** The Hessian at the minimum of each fit result (evaluated when first asked for). */
const HESSIANS = new WeakMap<FitResult, () => Float64Array>();

/**
 * Column `j` of a fit's covariance (the inverse Hessian over the free components; zeros for
 * fixed ones) by one Cholesky solve — the same numbers as `r.covariance[i][j]`, without inverting
 * the whole matrix. Null when the Hessian is not positive definite or not at hand (then read
 * `r.covariance`).
 *
 * @example
 * ```ts
 * import { covarianceColumn, fit } from "./fit.ts";
 * const r = fit(model.observed, model);
 * console.log(covarianceColumn(r, model.poiIndex!)); // = r.covariance.map((row) => row[poi])
 * ```
 */
export function covarianceColumn(r: FitResult, j: number): number[] | null {
  const hess = HESSIANS.get(r);
  if (!hess || r.fixed[j]) return null;
  const H = hess(), n = r.fixed.length;
  const free = r.fixed.flatMap((f, i) => (f ? [] : [i]));
  const m = free.length;
  const Hf = new Float64Array(m * m);
  free.forEach((i, a) => free.forEach((k, b) => (Hf[a * m + b] = H[i * n + k])));
  const L = choleskyFactor(Hf, m);
  if (!L) return null;
  const e = new Float64Array(m);
  e[free.indexOf(j)] = 1;
  const col = choleskySolveNumbers(L, e, m);
  const out = new globalThis.Array<number>(n).fill(0);
  free.forEach((i, a) => (out[i] = col[a]));
  return out;
}

/** The {@link FitResult} of a minimisation (uncertainties computed when first read). */
function fitResult(
  model: Model,
  r: MinimizeOutcome,
  init: number[],
  fixed: boolean[],
  warnings: string[],
  ctx: FitContext,
): FitResult {
  warnings.push(...ctx.notes);
  warnings.push(...model.negativeYields(globalThis.Array.from(r.x)));
  const kinked = model.parLabels.filter((_, i) => r.atKink[i]);
  if (kinked.length) {
    warnings.push(
      `the minimum is at the kink of the interpolation for ${kinked.join(", ")} (not ` +
        `differentiable there; code4/code4p are smooth)`,
    );
  }
  const bestfit = globalThis.Array.from(r.x);
  const byName: Record<string, number[]> = {};
  for (const p of model.paramsets) byName[p.name] = bestfit.slice(p.start, p.start + p.n);
  const result: FitResult = {
    bestfit,
    pars: array(bestfit, "float64"),
    bestfitByName: byName,
    nll: r.value,
    twiceNll: 2 * r.value,
    uncertainties: [],
    covariance: [],
    correlation: [],
    gradient: globalThis.Array.from(r.grad),
    edm: r.edm,
    fixed,
    atBound: r.active,
    atKink: r.atKink,
    iterations: r.iterations,
    evaluations: r.evaluations,
    converged: r.converged,
    message: r.message,
    warnings,
    start: isSuggested(model, init, fixed) ? "suggested init" : "init",
  };
  // Uncertainties need the Hessian at the minimum, which Newton–chord steps may not have
  // evaluated: computed when first read (hypotests and limits never read them).
  let unc: Uncertainties | null = null;
  const hess = () => {
    if (r.hessian === null) {
      r.hessian = ctx.hessian(r.x);
      r.evaluations.hessian++;
    }
    return r.hessian;
  };
  const get = () => (unc ??= uncertaintiesOf(hess(), fixed, warnings));
  HESSIANS.set(result, hess);
  if (!(Number.isFinite(r.edm) && r.converged)) get();
  for (const key of ["uncertainties", "covariance", "correlation"] as const) {
    Object.defineProperty(result, key, {
      get: () => get()[key],
      set(v) {
        Object.defineProperty(result, key, { value: v, writable: true, enumerable: true });
      },
      enumerable: true,
      configurable: true,
    });
  }
  return result;
}

interface Uncertainties {
  uncertainties: number[];
  covariance: number[][];
  correlation: number[][];
}

/** Covariance (inverse Hessian over the free components), uncertainties and correlations. */
function uncertaintiesOf(H: Float64Array, fixed: boolean[], warnings: string[]): Uncertainties {
  const n = fixed.length;
  const freeIdx = fixed.flatMap((f, i) => (f ? [] : [i]));
  const m = freeIdx.length;
  const Hf = new Float64Array(m * m);
  freeIdx.forEach((i, a) => freeIdx.forEach((j, b) => (Hf[a * m + b] = H[i * n + j])));
  const inv = m > 0
    ? invertSymmetric(Hf, m)
    : { inverse: new Float64Array(0), positiveDefinite: true };
  if (!inv) warnings.push("the Hessian is singular at the minimum: no uncertainties");
  else if (!inv.positiveDefinite) {
    warnings.push(
      "the Hessian is not positive definite at the minimum: uncertainties are unreliable",
    );
  }
  const cov = globalThis.Array.from({ length: n }, () => new globalThis.Array<number>(n).fill(0));
  freeIdx.forEach((i, a) =>
    freeIdx.forEach((j, b) => (cov[i][j] = inv ? inv.inverse[a * m + b] : NaN))
  );
  const unc = cov.map((row, i) => (fixed[i] ? 0 : Math.sqrt(row[i])));
  const corr = cov.map((row, i) =>
    row.map((v, j) => (i === j ? 1 : fixed[i] || fixed[j] ? 0 : v / (unc[i] * unc[j])))
  );
  return { uncertainties: unc, covariance: cov, correlation: corr };
}

/** True when the free components of `init` are pyhf's suggested init. */
export function isSuggested(
  model: Model,
  init: readonly number[],
  fixed: readonly boolean[],
): boolean {
  return init.every((v, i) => fixed[i] || v === model.suggestedInit[i]);
}

/**
 * Fit with the parameter of interest fixed at `poiValue` (pyhf's `fixed_poi_fit`): the
 * conditional maximum-likelihood estimate of the nuisance parameters.
 *
 * @example
 * ```ts
 * import { fixedPoiFit } from "./mod.ts";
 * const r = fixedPoiFit(1.0, model.observed, model);
 * console.log(r.twiceNll);
 * ```
 */
export function fixedPoiFit(
  poiValue: number,
  data: ArrayLike,
  model: Model,
  opts: FitOptions = {},
): FitResult {
  const poi = model.poiIndex;
  if (poi === null) throw new Error("fixedPoiFit: the model has no parameter of interest");
  const init = numbers(opts.init ?? model.suggestedInit, model.npars, "fixedPoiFit: init");
  init[poi] = poiValue;
  const fixed = resolveFixed(model, opts.fixed);
  fixed[poi] = true;
  return fit(data, model, { ...opts, init, fixed });
}

/**
 * The optimality condition of a fit as a zgrad function, for `customRoot`: F(θ)_i = ∂NLL/∂θ_i
 * for free parameters, θ_i − `values[i]` for those in `clamped` (fixed ones, and those a fit left
 * at a bound — take `fixed[i] || atBound[i]` from its {@link FitResult}). F(θ̂) = 0 at the fit's
 * answer, and F is differentiable in θ and in everything `model` and `data` depend on.
 *
 * @example
 * ```ts
 * import { fit, stationarity } from "./mod.ts";
 * const r = fit(model.observed, model);
 * const F = stationarity(model, model.observed, r.fixed.map((f, i) => f || r.atBound[i]), r.bestfit);
 * console.log(F(r.pars).toString()); // ≈ 0
 * ```
 */
export function stationarity(
  model: Model,
  data: ArrayLike,
  clamped: readonly boolean[],
  values: readonly number[],
): (pars: Array) => Array {
  const mask = array(clamped.map(Boolean), "bool");
  const v = array(values as number[], "float64");
  const g = grad((p: Array) => model.nll(p, data));
  return (pars: Array) => where(mask, pars.sub(v), g(pars));
}
