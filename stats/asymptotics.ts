/**
 * Asymptotic distributions of the profile-likelihood test statistics (Cowan, Cranmer, Gross,
 * Vitells, EPJC 71 (2011) 1554), with pyhf's conventions, as zgrad functions (so the same code
 * serves the concrete {@link hypotest} and the differentiable `hypotestArrays`).
 *
 * In pyhf's "−μ̂/σ space" the statistic is t = √q − √q_A (test statistics `q` and `q0`); for `qtilde`
 * it is t = (q − q_A) / (2√q_A) when √q ≥ √q_A. Under s+b it is normal with mean −√q_A, under b
 * with mean 0, so CLsb = Φ(−(t + √q_A)), CLb = Φ(−t), CLs = CLsb / CLb. The expected band
 * evaluates these at the b-only quantiles t = n for n in [2, 1, 0, −1, −2] (pyhf's order: CLs
 * ascends). When q_A = 0 (no sensitivity, e.g. at μ = 0) the `qtilde` branch would be 0/0; it
 * then uses t = √q − √q_A, so CLs = 1 there instead of NaN.
 *
 * {@link AsymptoticCalculator} is pyhf's `AsymptoticCalculator`: it runs the fits (observed data,
 * Asimov data built from a fixed-μ′ fit to the observed data) and caches those that do not depend
 * on the tested μ, warm-starting the rest, so that scans and limits cost two fits per point.
 *
 * @module
 */
import { Array, array, type ArrayLike } from "../core/mod.ts";
import {
  greater,
  less,
  logicalNot,
  logicalOr,
  normalCdf,
  sqrt,
  where,
} from "../core/ops/elementwise.ts";
import { fit, type FitOptions, type FitResult, fixedPoiFit, resolveFixed } from "./fit.ts";
import { conditionalStart } from "./fit_starts.ts";
import type { Model } from "./model.ts";
import { type TestStatDetail, testStatistic, type TestStatName } from "./teststat.ts";

/** The shifts of the expected band, in pyhf's order (so CLs ascends and limits run −2σ … +2σ). */
export const N_SIGMA: readonly number[] = [2, 1, 0, -1, -2];

/** Test statistics with an asymptotic calculator: q̃μ, qμ and q0. */
export type AsymptoticTestStat = "qtilde" | "q" | "q0";

/**
 * √q with a zero gradient (not NaN) at q = 0: the "double where", so neither branch of the
 * `where` puts a NaN into the gradient.
 *
 * @example
 * ```ts
 * import { array, grad } from "../mod.ts";
 * import { safeSqrt } from "./asymptotics.ts";
 * grad((q) => safeSqrt(q))(array(0, "float64")); // 0, not NaN
 * ```
 */
export function safeSqrt(q: ArrayLike): Array {
  const a = q instanceof Array ? q : array(q as number, "float64");
  const pos = greater(a, 0);
  return where(pos, sqrt(where(pos, a, 1)), 0);
}

/** p-values of the asymptotic test: CLsb, CLb and CLs = CLsb / CLb. */
export interface AsymptoticPvalues<T> {
  /** p-value of the signal+background hypothesis (for `q0`: p0). */
  clsb: T;
  /** 1 − p-value of the background-only hypothesis. */
  clb: T;
  /** CLsb / CLb. */
  cls: T;
}

/** Everything {@link asymptoticPvalues} computes, as zgrad arrays. */
export interface AsymptoticArrays extends AsymptoticPvalues<Array> {
  /** The statistic in −μ̂/σ space (t above). */
  teststat: Array;
  /** √q_A. */
  sqrtqA: Array;
  /** The expected band at b-only quantiles {@link N_SIGMA}: arrays of shape [5]. */
  expected: AsymptoticPvalues<Array>;
}

/**
 * The asymptotic p-values for the observed statistic `q` and its Asimov value `qA`
 * (see the module doc). Differentiable in both; the gradients are finite at q = 0 and q_A = 0.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { asymptoticPvalues } from "./asymptotics.ts";
 * const r = asymptoticPvalues("qtilde", array(0.5, "float64"), array(4, "float64"));
 * console.log(r.cls.item(), r.expected.cls.tolist()); // observed CLs, the 5-value band
 * ```
 */
export function asymptoticPvalues(
  testStat: AsymptoticTestStat,
  q: ArrayLike,
  qA: ArrayLike,
): AsymptoticArrays {
  if (!["qtilde", "q", "q0"].includes(testStat)) {
    throw new RangeError(
      `asymptoticPvalues: testStat must be "qtilde", "q" or "q0", got ${JSON.stringify(testStat)}`,
    );
  }
  const f = (x: ArrayLike) => (x instanceof Array ? x : array(x as number, "float64"));
  const qa = f(q), qAa = f(qA);
  const sq = safeSqrt(qa), sqA = safeSqrt(qAa);
  let t = sq.sub(sqA);
  if (testStat === "qtilde") {
    const hasA = greater(sqA, 0);
    const useQ = logicalOr(less(sq, sqA), logicalNot(hasA));
    const special = qa.sub(qAa).div(where(hasA, sqA, 1).mul(2));
    t = where(useQ, t, special);
  }
  const pv = (ts: Array): AsymptoticPvalues<Array> => {
    const clsb = normalCdf(ts.add(sqA).neg());
    const clb = normalCdf(ts.neg());
    return { clsb, clb, cls: clsb.div(clb) };
  };
  const nsigma = array(N_SIGMA as number[], t.dtype === "float32" ? "float32" : "float64");
  return { ...pv(t), teststat: t, sqrtqA: sqA, expected: pv(nsigma) };
}

/**
 * Refuses inference that a profile likelihood ratio cannot do, as pyhf does: a POI fixed (by the
 * measurement or by `opts.fixed`), or POI bounds that leave it no room (lower ≥ upper), which would
 * otherwise give CLs = 1 at every μ without saying why.
 *
 * @example
 * ```ts
 * import { checkPoiFree } from "./asymptotics.ts";
 * checkPoiFree(model, {}); // throws if the POI is fixed or its bounds are [a, a]
 * ```
 */
export function checkPoiFree(model: Model, opts: FitOptions): void {
  const poi = model.poiIndex;
  if (poi === null) throw new Error("the model has no parameter of interest");
  if (resolveFixed(model, opts.fixed)[poi]) {
    throw new Error(
      `POI ${JSON.stringify(model.poiName)} at index [${poi}] is set as fixed, which makes ` +
        "profile likelihood ratio based inference impossible. Please unfix the POI to continue.",
    );
  }
  const [lo, hi] = (opts.bounds ?? model.suggestedBounds)[poi];
  if (!(lo < hi)) {
    throw new Error(
      `POI ${JSON.stringify(model.poiName)} has bounds [${lo}, ${hi}]: it cannot vary, so every ` +
        "hypothesis test would return CLs = 1; give it an interval (measurement config bounds)",
    );
  }
}

/** Options of {@link AsymptoticCalculator}: the fits' settings and the test statistic. */
export interface CalculatorOptions extends FitOptions {
  /** `"qtilde"` (default), `"q"` or `"q0"`. */
  testStat?: AsymptoticTestStat;
  /**
   * Start each fit at the best fit of a related one (default true): fixed-μ fits at the free
   * fit, the Asimov generating fit at the free fit, the Asimov fits at the Asimov parameters.
   * False starts every fit at `init` (pyhf's path; on a multimodal likelihood the two may end in
   * different minima).
   */
  warmStart?: boolean;
}

/** The asymptotic quantities at one tested POI value, as plain numbers. */
export interface AsymptoticResult extends AsymptoticPvalues<number> {
  /** The tested POI value. */
  poiValue: number;
  /** The test statistic on the data. */
  q: number;
  /** The test statistic on the Asimov data. */
  qA: number;
  /** The statistic in −μ̂/σ space. */
  teststat: number;
  /** √q_A. */
  sqrtqA: number;
  /** The expected band (5 values each, pyhf's order). */
  expected: AsymptoticPvalues<number[]>;
  /** The fits behind q on the data. */
  observedFits: TestStatDetail;
  /** The fits behind q_A on the Asimov data. */
  asimovFits: TestStatDetail;
  /** False when some fit did not converge (see `warnings`). */
  converged: boolean;
  /** Non-convergence and test-statistic notes from every fit involved. */
  warnings: string[];
}

/**
 * pyhf's `AsymptoticCalculator`: the test statistic on the data and on the Asimov dataset (POI
 * μ′ = 0, or 1 for `q0`, nuisance parameters from a fit with the POI fixed at μ′ to the data),
 * and the asymptotic p-values. Fits that do not depend on the tested value (the free fit to the
 * data, the Asimov fits) run once and are cached; the others are warm-started from them.
 *
 * @example
 * ```ts
 * import { AsymptoticCalculator } from "./mod.ts";
 * const calc = new AsymptoticCalculator(model.observed, model, { testStat: "qtilde" });
 * for (const mu of [0.5, 1, 1.5]) console.log(mu, calc.evaluate(mu).cls);
 * ```
 */
export class AsymptoticCalculator {
  /** The test statistic. */
  readonly testStat: AsymptoticTestStat;
  /** The POI value of the Asimov dataset (0, or 1 for `q0`). */
  readonly asimovPoi: number;
  readonly #data: Array;
  readonly #model: Model;
  readonly #fit: FitOptions;
  readonly #warm: boolean;
  #free?: FitResult;
  #asimovGen?: FitResult;
  #asimovData?: Array;
  #asimovFree?: FitResult;

  /** A calculator for `data` under `model` (see {@link CalculatorOptions}). */
  constructor(data: ArrayLike, model: Model, opts: CalculatorOptions = {}) {
    const { testStat = "qtilde", warmStart = true, ...fit } = opts;
    if (!["qtilde", "q", "q0"].includes(testStat)) {
      throw new RangeError(
        `testStat must be "qtilde", "q" or "q0", got ${JSON.stringify(testStat)}`,
      );
    }
    if (model.poiIndex === null) {
      throw new Error("AsymptoticCalculator: the model has no parameter of interest");
    }
    checkPoiFree(model, fit);
    this.testStat = testStat;
    this.asimovPoi = testStat === "q0" ? 1 : 0;
    this.#data = data instanceof Array ? data : array(data, "float64");
    this.#model = model;
    this.#fit = fit;
    this.#warm = warmStart;
  }

  /** The free fit to the data (cached). */
  get freeFit(): FitResult {
    return (this.#free ??= fit(this.#data, this.#model, this.#fit));
  }

  /** The fit with the POI fixed at {@link asimovPoi} to the data that sets the Asimov NPs (cached). */
  get asimovFit(): FitResult {
    return (this.#asimovGen ??= fixedPoiFit(this.asimovPoi, this.#data, this.#model, {
      ...this.#fit,
      init: this.#warm
        ? conditionalStart(this.#model, this.freeFit, this.asimovPoi, this.#data)
        : this.#fit.init,
    }));
  }

  /** The Asimov dataset (main and auxiliary data at the {@link asimovFit} parameters). */
  get asimovData(): Array {
    return (this.#asimovData ??= this.#model.expectedData(this.asimovFit.pars));
  }

  /** The free fit to the Asimov data (cached; started at the Asimov parameters). */
  get asimovFreeFit(): FitResult {
    return (this.#asimovFree ??= fit(this.asimovData, this.#model, {
      ...this.#fit,
      init: this.#warm ? this.asimovFit.bestfit : this.#fit.init,
    }));
  }

  /** The asymptotic quantities at POI = `poiValue` (for `q0`, the discovery test: use 0). */
  evaluate(poiValue: number): AsymptoticResult {
    if (typeof poiValue !== "number" || !Number.isFinite(poiValue)) {
      throw new RangeError(`poiValue: expected a finite number, got ${poiValue}`);
    }
    const name: TestStatName = this.testStat === "q"
      ? "qmu"
      : this.testStat === "q0"
      ? "q0"
      : "qmutilde";
    const obs = testStatistic(name, poiValue, this.#data, this.#model, {
      ...this.#fit,
      freeFit: this.freeFit,
      warmStart: this.#warm,
    });
    const asi = testStatistic(name, poiValue, this.asimovData, this.#model, {
      ...this.#fit,
      freeFit: this.asimovFreeFit,
      warmStart: this.#warm,
    });
    const a = asymptoticPvalues(
      this.testStat,
      array(obs.value, "float64"),
      array(asi.value, "float64"),
    );
    const nums = (x: Array) => globalThis.Array.from(x.dataSync(), Number);
    const fits = [obs.freeFit, obs.fixedFit, this.asimovFit, asi.freeFit, asi.fixedFit];
    const warnings = [...new Set([...obs.warnings, ...asi.warnings, ...this.asimovFit.warnings])];
    const converged = fits.every((f) => f.converged);
    return {
      poiValue,
      q: obs.value,
      qA: asi.value,
      teststat: a.teststat.item(),
      sqrtqA: a.sqrtqA.item(),
      clsb: a.clsb.item(),
      clb: a.clb.item(),
      cls: a.cls.item(),
      expected: {
        clsb: nums(a.expected.clsb),
        clb: nums(a.expected.clb),
        cls: nums(a.expected.cls),
      },
      observedFits: obs,
      asimovFits: asi,
      converged,
      warnings,
    };
  }
}
