/**
 * Fisher information, covariance and Cramér–Rao uncertainties of a {@link Model}, and the post-fit
 * pulls and constraints of its nuisance parameters.
 *
 * Naming, stated once because relaxed (JAX) gets it backwards: {@link fisherInformation} is the
 * **information** I(θ) = −∇²_θ log L(θ | data), the curvature of the NLL; {@link covariance} is
 * its **inverse** I⁻¹; {@link cramerRaoUncertainty} is √diag(I⁻¹). (relaxed's `fisher_info`
 * returns the inverse.)
 *
 * - Without `data`, I(θ) is the **expected** Fisher information: the Hessian of −log L evaluated
 *   at the Asimov data `model.expectedData(θ)` (main and auxiliary) of the same θ. For Poisson
 *   and Gaussian terms this equals E[−∇² log L] exactly, e.g. Σ_b (∂λ_b/∂θ_i)(∂λ_b/∂θ_j)/λ_b for
 *   the main bins.
 * - With `data`, it is the **observed** Fisher information at that data, which is what a fit's
 *   Hessian-based uncertainties use ({@link FitResult.covariance} is this inverse at θ̂).
 *
 * All three are zgrad functions: differentiable in `pars` and in the model's inputs (a model from
 * `Model.withNominals` with traced nominals), so a Cramér–Rao uncertainty can be an analysis loss.
 * On concrete values the Hessian runs through the model's jitted NLL Hessian.
 *
 * @module
 */
import {
  Array,
  array,
  type ArrayLike,
  DeviceArray,
  diagonal,
  inv,
  matmul,
  sqrt,
  take,
} from "../core/mod.ts";
import { hessian } from "../ad/api.ts";
import type { FitResult } from "./fit.ts";
import type { Model } from "./model.ts";

function f64(x: ArrayLike, what: string, n: number): Array {
  const a = x instanceof Array ? x : array(x as number[], "float64");
  const b = a.dtype === "float64" ? a : a.astype("float64");
  if (b.ndim !== 1 || b.shape[0] !== n) {
    throw new RangeError(`${what}: expected shape [${n}], got [${b.shape}]`);
  }
  return b;
}

/**
 * The Fisher information I(θ) = −∇²_θ log L(θ | data), an `[npars, npars]` float64 array over all
 * parameters (fixed ones included). Without `data` it is the **expected** information (at the
 * Asimov data `model.expectedData(pars)`); with `data` the **observed** information at that data.
 * Not the covariance: that is its inverse, {@link covariance}.
 *
 * @example
 * ```ts
 * import { fisherInformation, fit } from "./mod.ts";
 * const expected = fisherInformation(model, model.init());         // at Asimov data
 * const r = fit(model.observed, model);
 * const observed = fisherInformation(model, r.pars, model.observed); // the fit's Hessian
 * ```
 */
export function fisherInformation(model: Model, pars: ArrayLike, data?: ArrayLike): Array {
  const n = model.npars;
  const p = f64(pars, "fisherInformation: pars", n);
  const d = data === undefined
    ? model.expectedData(p)
    : f64(data, "fisherInformation: data", model.nMain + model.nAux);
  if (!model.isTraced && p instanceof DeviceArray && d instanceof DeviceArray) {
    try {
      return model.compiled.nllHessian(p, d, model.inputs) as Array;
    } catch {
      // jit could not handle the program: fall back to eager evaluation below.
    }
  }
  // d is a constant of the inner Hessian (closure), but outer transforms still see it.
  return hessian((q: Array) => model.nll(q, d))(p) as Array;
}

/**
 * Options of {@link covariance} and {@link cramerRaoUncertainty}.
 *
 * @example
 * ```ts
 * import { covariance } from "./mod.ts";
 * const fixed = model.parLabels.map((l) => l === "lumi");
 * covariance(model, model.init(), undefined, { fixed }); // lumi row/column = 0
 * ```
 */
export interface CovarianceOptions {
  /**
   * Components left out of the inversion (their rows and columns of the result are 0), like the
   * fixed parameters of a fit. Default `model.fixedParams`; pass all `false` to invert the full
   * matrix.
   */
  fixed?: readonly boolean[];
}

function freeIndices(model: Model, opts: CovarianceOptions, what: string): number[] {
  const fixed = opts.fixed ?? model.fixedParams;
  if (fixed.length !== model.npars) {
    throw new RangeError(
      `${what}: fixed has ${fixed.length} entries, the model has ${model.npars} parameters`,
    );
  }
  return fixed.flatMap((f, i) => (f ? [] : [i]));
}

/**
 * The covariance I(θ)⁻¹: the inverse of {@link fisherInformation} over the free components
 * (`opts.fixed`, default the model's fixed parameters, get zero rows and columns). Without `data`
 * this is the expected (Asimov) covariance, with `data` the observed one — at a fit's best-fit
 * point and data it equals {@link FitResult.covariance}. A singular information matrix gives
 * inf/NaN entries.
 *
 * @example
 * ```ts
 * import { covariance } from "./mod.ts";
 * const C = covariance(model, model.init()); // [npars, npars]
 * ```
 */
export function covariance(
  model: Model,
  pars: ArrayLike,
  data?: ArrayLike,
  opts: CovarianceOptions = {},
): Array {
  const n = model.npars;
  const free = freeIndices(model, opts, "covariance");
  const I = fisherInformation(model, pars, data);
  if (free.length === n) return inv(I);
  const m = free.length;
  // P [n, m] selects the free components: C = P (Pᵀ I P)⁻¹ Pᵀ.
  const sel = new Float64Array(n * m);
  free.forEach((i, a) => (sel[i * m + a] = 1));
  const P = array(sel, "float64", { shape: [n, m] });
  if (m === 0) return matmul(P, P.transpose());
  const idx = array(free, "int32");
  const Iff = take(take(I, idx, 0), idx, 1);
  return matmul(matmul(P, inv(Iff)), P.transpose());
}

/**
 * Cramér–Rao uncertainties √diag(I(θ)⁻¹), `[npars]` (0 for components in `opts.fixed`, default
 * the model's fixed parameters): the smallest standard deviation an unbiased estimator can reach —
 * the expected uncertainty without `data` (Asimov), the observed one with it.
 *
 * @example
 * ```ts
 * import { cramerRaoUncertainty } from "./mod.ts";
 * const sigma = cramerRaoUncertainty(model, model.init()); // expected σ of each parameter
 * console.log(sigma.dataSync()[model.poiIndex!]);
 * ```
 */
export function cramerRaoUncertainty(
  model: Model,
  pars: ArrayLike,
  data?: ArrayLike,
  opts: CovarianceOptions = {},
): Array {
  return sqrt(diagonal(covariance(model, pars, data, opts)));
}

/**
 * The pre-fit constraint of one parameter component ({@link prefitConstraints}).
 *
 * @example
 * ```ts
 * import { prefitConstraints } from "./mod.ts";
 * const c = prefitConstraints(model)[1]; // e.g. { kind: "poisson", center: 1, width: 0.1 }
 * ```
 */
export interface PrefitConstraint {
  /** Gaussian (`normal`: normsys, histosys, lumi, staterror) or Poisson (`poisson`: shapesys). */
  kind: "normal" | "poisson";
  /** θ₀, the constraint's centre: the auxiliary datum (normal) or auxdata/τ (Poisson; 1). */
  center: number;
  /** σ₀, the constraint's width: σ (normal) or 1/√τ (Poisson), pyhf's `width()`. */
  width: number;
}

/**
 * The pre-fit constraint (centre θ₀ and width σ₀) of every parameter component, in parameter
 * order; `null` for unconstrained ones (normfactor, shapefactor). Taken from the model's
 * parameter sets, i.e. from the workspace (a model whose staterror/shapesys inputs were replaced
 * by `withNominals`/`withSamples` keeps the workspace's widths here).
 *
 * @example
 * ```ts
 * import { prefitConstraints } from "./mod.ts";
 * prefitConstraints(model).forEach((c, i) => c && console.log(model.parLabels[i], c.width));
 * ```
 */
export function prefitConstraints(model: Model): (PrefitConstraint | null)[] {
  const out: (PrefitConstraint | null)[] = new globalThis.Array(model.npars).fill(null);
  for (const p of model.paramsets) {
    if (p.kind === "unconstrained") continue;
    for (let i = 0; i < p.n; i++) {
      const aux = p.auxdata![i];
      if (p.kind === "normal") {
        out[p.start + i] = { kind: "normal", center: aux, width: p.sigmas![i] };
      } else {
        const tau = p.factors![i];
        out[p.start + i] = { kind: "poisson", center: aux / tau, width: 1 / Math.sqrt(tau) };
      }
    }
  }
  return out;
}

/**
 * One constrained nuisance parameter after a fit ({@link pullTable}).
 *
 * @example
 * ```ts
 * import { fit, pullTable } from "./mod.ts";
 * const [p] = pullTable(model, fit(model.observed, model));
 * console.log(p.label, p.pull, p.constraint);
 * ```
 */
export interface NuisancePull {
  /** Component label (`name` or `name[i]`, as `model.parLabels`). */
  label: string;
  /** Parameter set name. */
  name: string;
  /** Index in the parameter vector. */
  index: number;
  /** Constraint kind. */
  kind: "normal" | "poisson";
  /** θ̂. */
  bestfit: number;
  /** σ̂, the post-fit uncertainty (from the fit's covariance). */
  uncertainty: number;
  /** θ₀, the pre-fit centre. */
  center: number;
  /** σ₀, the pre-fit width. */
  width: number;
  /** (θ̂ − θ₀)/σ₀. */
  pull: number;
  /** σ̂/σ₀ (< 1: the data constrain the parameter more than its auxiliary measurement). */
  constraint: number;
}

/**
 * Pulls and constraints of every constrained, free nuisance parameter component after `result`
 * (a {@link fit} of `model`), in parameter order: pull (θ̂ − θ₀)/σ₀ and constraint σ̂/σ₀, with θ₀,
 * σ₀ the pre-fit centre and width ({@link prefitConstraints}) and σ̂ the fit's uncertainty.
 * Unconstrained parameters (the POI, normfactors, shapefactors) and fixed ones are left out.
 *
 * @example
 * ```ts
 * import { fit, pullTable } from "./mod.ts";
 * for (const p of pullTable(model, fit(model.observed, model))) {
 *   console.log(p.label, p.pull.toFixed(2), p.constraint.toFixed(2));
 * }
 * ```
 */
export function pullTable(model: Model, result: FitResult): NuisancePull[] {
  if (result.bestfit.length !== model.npars) {
    throw new RangeError(
      `pullTable: the fit has ${result.bestfit.length} parameters, the model ${model.npars}`,
    );
  }
  const pre = prefitConstraints(model);
  const setOf = model.paramsets.flatMap((p) => new globalThis.Array(p.n).fill(p.name) as string[]);
  const out: NuisancePull[] = [];
  pre.forEach((c, i) => {
    if (!c || result.fixed[i]) return;
    const bestfit = result.bestfit[i], unc = result.uncertainties[i];
    out.push({
      label: model.parLabels[i],
      name: setOf[i],
      index: i,
      kind: c.kind,
      bestfit,
      uncertainty: unc,
      center: c.center,
      width: c.width,
      pull: (bestfit - c.center) / c.width,
      constraint: unc / c.width,
    });
  });
  return out;
}

/**
 * Post-fit pulls (θ̂ − θ₀)/σ₀ of the constrained, free nuisance parameter components, by label
 * (see {@link pullTable}).
 *
 * @example
 * ```ts
 * import { fit, pulls } from "./mod.ts";
 * console.log(pulls(model, fit(model.observed, model))); // { jes: 0.31, "stat_sr[0]": -0.12, ... }
 * ```
 */
export function pulls(model: Model, result: FitResult): Record<string, number> {
  return Object.fromEntries(pullTable(model, result).map((p) => [p.label, p.pull]));
}

/**
 * Post-fit constraints σ̂/σ₀ of the constrained, free nuisance parameter components, by label
 * (see {@link pullTable}).
 *
 * @example
 * ```ts
 * import { constraints, fit } from "./mod.ts";
 * console.log(constraints(model, fit(model.observed, model))); // { jes: 0.87, ... }
 * ```
 */
export function constraints(model: Model, result: FitResult): Record<string, number> {
  return Object.fromEntries(pullTable(model, result).map((p) => [p.label, p.constraint]));
}
