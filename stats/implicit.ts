/**
 * Differentiable fits and inference by implicit differentiation. {@link fitParams} returns the
 * best-fit parameters as a zgrad array: the fit itself runs on concrete numbers (the projected
 * Newton {@link minimize} via {@link fit}, never traced), and its derivative with respect to
 * everything the likelihood depends on — sample nominals, modifier inputs, observations, the
 * fixed POI value — comes from the implicit function theorem at the optimum (`custom_root`), so
 * `grad`, `jacrev`, `jit` and `vmap` work through it without unrolling the optimiser, and the
 * backward pass only solves linear systems.
 *
 * The root system F(θ) = 0 is the optimality condition: ∂NLL/∂θ_i = 0 for free parameters, and
 * θ_i − c_i = 0 for parameters held fixed (c_i their value, which may itself be traced, e.g. the
 * tested POI) and for free parameters the fit left at a bound with the gradient pushing outwards
 * (c_i the bound). Those rows make the parameters constants (or follow their traced value), so
 * active bounds are handled. The tangent systems materialise the (small) Jacobian of F — the
 * Hessian rows of the free parameters — and solve it by LU.
 *
 * On top of it: {@link q0Array}, {@link qmuArray}, {@link qmuTildeArray}, {@link hypotestArrays}
 * / {@link clsArray} and {@link z0Array} — the same numbers as the concrete `q0`, `hypotest`,
 * `discoverySignificance`, as zgrad arrays. √q0 at q0 = 0 has a zero gradient, not NaN.
 *
 * @module
 */
import { Array, array, type ArrayLike, eye, logicalAnd, logicalOr, where } from "../core/mod.ts";
import { grad, vmap } from "../ad/api.ts";
import { bindCustomRoot, type FlatLinearSolver } from "../ad/implicit.ts";
import type { SolveFn } from "../core/primitives/custom.ts";
import { hoistConsts, traceFlat } from "../core/staging.ts";
import {
  type AsymptoticArrays,
  asymptoticPvalues,
  type AsymptoticTestStat,
  safeSqrt,
} from "./asymptotics.ts";
import { fit, FitError, type FitResult, nllObjective } from "./fit.ts";
import type { Model } from "./model.ts";

/** Options of {@link fitParams}. */
export interface FitParamsOptions {
  /** Fix the POI at this value (a number or a scalar array, which may be traced). */
  fixedPoi?: ArrayLike;
  /**
   * Starting point, and the values of the fixed parameters (default `model.suggestedInit`). May
   * be traced (its derivative flows to the fixed parameters only); a previous answer
   * warm-starts.
   */
  init?: ArrayLike | readonly number[];
  /** Bounds per component (default `model.suggestedBounds`). */
  bounds?: readonly (readonly [number, number])[];
  /** Components held at their `init` value (default `model.fixedParams`), or `{name: true}`. */
  fixed?: readonly boolean[] | Record<string, boolean>;
  /** Convergence threshold on the EDM (default 1e-12). */
  tol?: number;
  /** Maximum Newton iterations (default 200). */
  maxIter?: number;
  /** Evaluate the NLL through `jit` in the fit (default true). */
  jit?: boolean;
  /** Throw a {@link FitError} when a fit does not converge (default true). */
  strict?: boolean;
  /**
   * Called with every fit's result (e.g. to log, count, or keep a warm start), before the answer
   * is polished by Newton steps to working precision.
   */
  onFit?: (result: FitResult) => void;
}

function f64(x: ArrayLike | readonly number[], what: string): Array {
  const a = x instanceof Array ? x : array(x as number[], "float64");
  if (a.dtype === "float64") return a;
  if (a.dtype === "float32" || a.dtype === "int32" || a.weakType) return a.astype("float64");
  throw new TypeError(`${what}: expected float64 values, got ${a.aval}`);
}

function resolveFixed(model: Model, f: FitParamsOptions["fixed"], where: string): boolean[] {
  if (f === undefined) return [...model.fixedParams];
  if (globalThis.Array.isArray(f)) {
    if (f.length !== model.npars) {
      throw new RangeError(
        `${where}: fixed has ${f.length} entries, the model has ${model.npars} parameters`,
      );
    }
    return f.map(Boolean);
  }
  const out = [...model.fixedParams];
  for (const [name, v] of Object.entries(f as Record<string, boolean>)) {
    const p = model.paramset(name);
    for (let i = 0; i < p.n; i++) out[p.start + i] = v;
  }
  return out;
}

/**
 * Solves the dense system J x = y (J row-major n×n) by LU with partial pivoting, after scaling
 * rows and columns by 1/√|J_ii| (so pivots are comparable across parameters of very different
 * scales). Null when J is singular to working precision: a zero diagonal, or a scaled pivot below
 * 1e-10 (correlations within 1e-10 of ±1, a flat direction).
 */
function solveScaled(J: Float64Array, y: Float64Array, n: number): Float64Array | null {
  const dsc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.abs(J[i * n + i]);
    if (!(v > 0) || !Number.isFinite(v)) return null;
    dsc[i] = 1 / Math.sqrt(v);
  }
  const a = new Float64Array(n * n), b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    b[i] = y[i] * dsc[i];
    for (let j = 0; j < n; j++) a[i * n + j] = dsc[i] * J[i * n + j] * dsc[j];
  }
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]) > Math.abs(a[p * n + k])) p = i;
    const piv = a[p * n + k];
    if (!(Math.abs(piv) > 1e-10)) return null;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j];
        a[k * n + j] = a[p * n + j];
        a[p * n + j] = t;
      }
      const t = b[k];
      b[k] = b[p];
      b[p] = t;
    }
    for (let i = k + 1; i < n; i++) {
      const l = a[i * n + k] / piv;
      if (l === 0) continue;
      for (let j = k; j < n; j++) a[i * n + j] -= l * a[k * n + j];
      b[i] -= l * b[k];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < n; j++) s -= a[i * n + j] * b[j];
    b[i] = s / a[i * n + i];
  }
  for (let i = 0; i < n; i++) b[i] *= dsc[i];
  return b.every(Number.isFinite) ? b : null;
}

/**
 * The tangent solver: materialises the linear map's matrix column by column (J e_i, batched with
 * vmap) and solves by LU.
 */
const denseTangentSolve: FlatLinearSolver = (g, ys) => {
  const y = ys[0];
  const n = y.shape[0];
  let cols: Float64Array;
  try {
    cols = vmap((e: Array) => g([e])[0])(eye(n, n, 0, "float64")).dataSync() as Float64Array;
  } catch {
    const c = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      const e = new Float64Array(n);
      e[i] = 1;
      c.set(g([array(e, "float64")])[0].dataSync() as Float64Array, i * n);
    }
    cols = c;
  }
  // cols[i·n + j] = (J e_i)_j = J[j][i].
  const J = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) J[j * n + i] = cols[i * n + j];
  const x = solveScaled(J, y.dataSync() as Float64Array, n);
  if (!x) {
    throw new Error(
      "fitParams: the Hessian of the NLL over the free parameters is singular at the optimum " +
        "(a flat direction), so the best-fit values are not differentiable there",
    );
  }
  return [array(x, "float64")];
};

/**
 * The best-fit parameter vector of `model` for `data` as a zgrad array (float64, `[npars]`),
 * differentiable by the implicit function theorem (see the module doc): with `fixedPoi`, the
 * conditional fit (pyhf's `fixed_poi_fit`), else the free fit. The fit runs once per evaluation;
 * reverse mode adds only linear solves. Non-convergence throws a {@link FitError} (unless
 * `strict: false`).
 *
 * @example
 * ```ts
 * import { grad } from "../mod.ts";
 * import { fitParams } from "./mod.ts";
 * // d(best-fit POI)/d(signal nominals):
 * const muhat = (s: Array) => {
 *   const m = model.withNominals({ signal: s });
 *   return fitParams(model.observed, m).slice(model.poiIndex!);
 * };
 * grad(muhat)(array([12, 11], "float64"));
 * ```
 */
export function fitParams(
  data: ArrayLike,
  model: Model,
  opts: FitParamsOptions = {},
): Array {
  const n = model.npars, poi = model.poiIndex;
  const bounds = opts.bounds ?? model.suggestedBounds;
  if (bounds.length !== n) {
    throw new RangeError(`fitParams: bounds has ${bounds.length} entries, expected ${n}`);
  }
  const fixed = resolveFixed(model, opts.fixed, "fitParams");
  const d = f64(data, "fitParams: data");
  const nd = model.nMain + model.nAux;
  if (d.ndim !== 1 || d.shape[0] !== nd) {
    throw new RangeError(
      `fitParams: data: expected shape [${nd}] (${model.nMain} main + ${model.nAux} auxiliary), got [${d.shape}]`,
    );
  }
  let init = opts.init === undefined
    ? array(model.suggestedInit as number[], "float64")
    : f64(opts.init, "fitParams: init");
  if (init.ndim !== 1 || init.shape[0] !== n) {
    throw new RangeError(`fitParams: init: expected shape [${n}], got [${init.shape}]`);
  }
  if (opts.fixedPoi !== undefined) {
    if (poi === null) throw new Error("fitParams: fixedPoi given, but the model has no POI");
    const mu = f64(opts.fixedPoi as ArrayLike, "fitParams: fixedPoi");
    if (mu.ndim !== 0) {
      throw new RangeError(`fitParams: fixedPoi must be a scalar, got [${mu.shape}]`);
    }
    const onehot = array(fixed.map((_, i) => i === poi), "bool");
    init = where(onehot, mu, init);
    fixed[poi] = true;
  }
  if (fixed.every(Boolean)) return init;

  const names = Object.keys(model.inputs);
  const inputs = names.map((k) => model.inputs[k]);
  const lower = array(bounds.map((b) => b[0]), "float64");
  const upper = array(bounds.map((b) => b[1]), "float64");
  const lowerF = array(bounds.map((b) => (Number.isFinite(b[0]) ? b[0] : 0)), "float64");
  const upperF = array(bounds.map((b) => (Number.isFinite(b[1]) ? b[1] : 0)), "float64");
  const fixedMask = array(fixed, "bool");
  const freeMask = array(fixed.map((f) => !f), "bool");
  const withInputs = (m: Model, ins: Array[]) =>
    m.withInputs(Object.fromEntries(names.map((k, i) => [k, ins[i]])));

  // F(d, c, inputs; θ): the optimality condition (module doc), as a closed jaxpr.
  const residual = (dd: Array, c: Array, ins: Array[], th: Array): Array => {
    const m = withInputs(model, ins);
    const g = grad((p: Array) => m.nll(p, dd))(th);
    const atLo = logicalAnd(freeMask, logicalAnd(th.le(lower), g.gt(0)));
    const atHi = logicalAnd(freeMask, logicalAnd(th.ge(upper), g.lt(0)));
    const target = where(fixedMask, c, where(atLo, lowerF, upperF));
    return where(logicalOr(fixedMask, logicalOr(atLo, atHi)), th.sub(target), g);
  };
  const operands = [d, init, ...inputs];
  const k = inputs.length;
  const traced = hoistConsts(traceFlat(
    (...args: Array[]) => [residual(args[0], args[1], args.slice(2, 2 + k), args[2 + k])],
    [...operands, init].map((a) => a.aval.strengthen()),
    "fitParams",
  ));
  const h = traced.consts.length;
  const { tol, maxIter, jit, strict = true, onFit } = opts;
  const solve: SolveFn = (cs, guess) => {
    const [dC, cC, ...insC] = cs.slice(h);
    const concreteModel = withInputs(model, insC);
    const g0 = guess[0].dataSync(), c0 = cC.dataSync();
    const start = globalThis.Array.from(g0, (v, i) => Number(fixed[i] ? c0[i] : v));
    const r = fit(dC, concreteModel, { init: start, bounds, fixed, tol, maxIter, jit });
    onFit?.(r);
    if (!r.converged && strict) throw new FitError(r);
    return [array(r.converged ? polish(concreteModel, dC, r, bounds, jit) : r.bestfit, "float64")];
  };
  const [theta] = bindCustomRoot(
    traced.jaxpr,
    [...traced.consts, ...operands],
    [init],
    solve,
    denseTangentSolve,
  );
  return theta;
}

/**
 * Up to two Newton steps on the gradient over the free parameters not at a bound, each kept only
 * if it shrinks the gradient: the fit stops at EDM < tol (θ within ~√tol·σ), while the implicit
 * derivative is exact only at the stationary point, so this takes θ̂ to working precision.
 */
function polish(
  m: Model,
  d: Array,
  r: FitResult,
  bounds: readonly (readonly [number, number])[],
  jit: boolean | undefined,
): number[] {
  const free = r.fixed.flatMap((f, i) => (f || r.atBound[i] ? [] : [i]));
  const n = r.bestfit.length, k = free.length;
  if (k === 0) return r.bestfit;
  const obj = nllObjective(m, d, { jit });
  const x = Float64Array.from(r.bestfit);
  let g: globalThis.ArrayLike<number> = r.gradient;
  const size = (v: globalThis.ArrayLike<number>) => Math.max(...free.map((i) => Math.abs(v[i])));
  let gmax = size(g);
  for (let it = 0; it < 2 && gmax > 0; it++) {
    const H = obj.hessian(x);
    const Hf = new Float64Array(k * k);
    free.forEach((i, a) => free.forEach((j, b) => (Hf[a * k + b] = H[i * n + j])));
    const step = solveScaled(Hf, Float64Array.from(free, (i) => -g[i]), k);
    if (!step) break;
    const xn = Float64Array.from(x);
    free.forEach((i, a) => (xn[i] += step[a]));
    if (free.some((i) => !(xn[i] >= bounds[i][0] && xn[i] <= bounds[i][1]))) break;
    const [, gn] = obj.valueAndGrad(xn);
    const gnmax = size(gn);
    if (!(gnmax < gmax)) break;
    x.set(xn);
    g = gn;
    gmax = gnmax;
  }
  return [...x];
}

/** Options of the differentiable test statistics: those of the fits. */
export type ProfileOptions = Omit<FitParamsOptions, "fixedPoi">;

function poiOf(model: Model, what: string): number {
  if (model.poiIndex === null) throw new Error(`${what}: the model has no parameter of interest`);
  return model.poiIndex;
}

interface Profiled {
  free: Array;
  fixed: Array;
  muhat: Array;
  tmu: Array;
}

/** Free and fixed-POI fits, and t_μ = max(2ΔNLL, 0). */
function profile(mu: ArrayLike, data: ArrayLike, model: Model, opts: ProfileOptions): Profiled {
  const poi = poiOf(model, "profile");
  const d = f64(data, "data");
  const free = fitParams(d, model, opts);
  const fixed = fitParams(d, model, { ...opts, fixedPoi: mu, init: free });
  const llr = model.twiceNll(fixed, d).sub(model.twiceNll(free, d));
  const tmu = where(llr.gt(0), llr, 0);
  return { free, fixed, muhat: free.slice(poi), tmu };
}

/**
 * q0 as a differentiable zgrad scalar: −2 log λ(0), 0 when μ̂ ≤ 0 (pyhf's `q0`; at μ̂ = 0 exactly,
 * the value is 0 with a zero gradient).
 *
 * @example
 * ```ts
 * import { grad } from "../mod.ts";
 * import { q0Array } from "./mod.ts";
 * const dq0 = grad((obs: Array) => q0Array(model.data(obs), model))(model.mainData(model.observed));
 * ```
 */
export function q0Array(data: ArrayLike, model: Model, opts: ProfileOptions = {}): Array {
  const p = profile(0, data, model, opts);
  return where(p.muhat.le(0), 0, p.tmu);
}

/**
 * qμ as a differentiable zgrad scalar (pyhf's `qmu`): −2 log λ(μ), 0 when μ̂ > μ. `mu` may be
 * traced.
 *
 * @example
 * ```ts
 * import { qmuArray } from "./mod.ts";
 * qmuArray(1.0, model.observed, model).item();
 * ```
 */
export function qmuArray(
  mu: ArrayLike,
  data: ArrayLike,
  model: Model,
  opts: ProfileOptions = {},
): Array {
  const p = profile(mu, data, model, opts);
  return where(p.muhat.gt(mu), 0, p.tmu);
}

/**
 * q̃μ as a differentiable zgrad scalar (pyhf's `qmu_tilde`: qμ with the POI bounded below at 0,
 * the model's default bounds). `mu` may be traced.
 *
 * @example
 * ```ts
 * import { grad } from "../mod.ts";
 * import { qmuTildeArray } from "./mod.ts";
 * grad((s: Array) => qmuTildeArray(1.0, model.observed, model.withNominals({ signal: s })))(s0);
 * ```
 */
export function qmuTildeArray(
  mu: ArrayLike,
  data: ArrayLike,
  model: Model,
  opts: ProfileOptions = {},
): Array {
  return qmuArray(mu, data, model, opts);
}

/** Options of {@link hypotestArrays}. */
export interface HypotestArraysOptions extends ProfileOptions {
  /** `"qtilde"` (default), `"q"` or `"q0"`. */
  testStat?: AsymptoticTestStat;
}

/** The differentiable hypothesis test: zgrad scalars, and the band as a `[5]` array. */
export interface HypotestArrays extends AsymptoticArrays {
  /** The test statistic on the data. */
  q: Array;
  /** The test statistic on the Asimov data. */
  qA: Array;
  /** The Asimov dataset used. */
  asimovData: Array;
}

/**
 * The asymptotic hypothesis test of `hypotest` as zgrad arrays, differentiable with respect to
 * the model's inputs, the data and `mu`: observed `cls`, `clsb`, `clb`, and `expected`
 * (`{cls, clsb, clb}` of shape [5], pyhf's band order). The Asimov dataset is built as pyhf
 * does (nuisance parameters from a fit with the POI fixed at 0 — at 1 for q0 — to `data`), and
 * its dependence on the inputs is differentiated too. For `"q0"`, `mu` must be 0 and p0 is
 * `clsb`.
 *
 * @example
 * ```ts
 * import { grad } from "../mod.ts";
 * import { hypotestArrays } from "./mod.ts";
 * const r = hypotestArrays(1.0, model.observed, model);
 * console.log(r.cls.item(), r.expected.cls.tolist());
 * ```
 */
export function hypotestArrays(
  mu: ArrayLike,
  data: ArrayLike,
  model: Model,
  opts: HypotestArraysOptions = {},
): HypotestArrays {
  const { testStat = "qtilde", ...fitOpts } = opts;
  if (!["qtilde", "q", "q0"].includes(testStat)) {
    throw new RangeError(
      `hypotestArrays: testStat must be "qtilde", "q" or "q0", got ${JSON.stringify(testStat)}`,
    );
  }
  poiOf(model, "hypotestArrays");
  const d = f64(data, "hypotestArrays: data");
  const stat = (p: Profiled) =>
    testStat === "q0" ? where(p.muhat.le(mu), 0, p.tmu) : where(p.muhat.gt(mu), 0, p.tmu);
  const obs = profile(mu, d, model, fitOpts);
  const asimovPars = fitParams(d, model, {
    ...fitOpts,
    fixedPoi: testStat === "q0" ? 1 : 0,
    init: obs.free,
  });
  const asimovData = model.expectedData(asimovPars);
  const asi = profile(mu, asimovData, model, { ...fitOpts, init: asimovPars });
  const q = stat(obs), qA = stat(asi);
  return { ...asymptoticPvalues(testStat, q, qA), q, qA, asimovData };
}

/**
 * Observed CLs at POI = `mu` as a differentiable zgrad scalar (see {@link hypotestArrays}).
 *
 * @example
 * ```ts
 * import { grad } from "../mod.ts";
 * import { clsArray } from "./mod.ts";
 * grad((s: Array) => clsArray(1.0, model.observed, model.withNominals({ signal: s })))(s0);
 * ```
 */
export function clsArray(
  mu: ArrayLike,
  data: ArrayLike,
  model: Model,
  opts: HypotestArraysOptions = {},
): Array {
  return hypotestArrays(mu, data, model, opts).cls;
}

/**
 * The discovery significance Z0 = √q0 as a differentiable zgrad scalar; its gradient at q0 = 0 is
 * 0, not NaN. For the expected (median) significance pass Asimov data at μ = 1.
 *
 * @example
 * ```ts
 * import { grad } from "../mod.ts";
 * import { z0Array } from "./mod.ts";
 * const z = (s: Array) => {
 *   const m = model.withNominals({ signal: s });
 *   return z0Array(m.expectedData(m.init({ mu: 1 })), m);
 * };
 * grad(z)(s0);
 * ```
 */
export function z0Array(data: ArrayLike, model: Model, opts: ProfileOptions = {}): Array {
  return safeSqrt(q0Array(data, model, opts));
}
