/**
 * Hypothesis tests: pyhf's `pyhf.infer.hypotest`, with asymptotic formulas (the default) or toys
 * (`calctype: "toybased"`, stats/toys.ts).
 *
 * @module
 */
import type { ArrayLike } from "../core/mod.ts";
import {
  AsymptoticCalculator,
  type AsymptoticResult,
  type AsymptoticTestStat,
  type CalculatorOptions,
  checkPoiFree,
} from "./asymptotics.ts";
import { FitError } from "./fit.ts";
import type { Model } from "./model.ts";
import { toyHypotest, type ToyHypotestResult, type ToySettings } from "./toys.ts";

/** Options of {@link hypotest}. */
export interface HypotestOptions extends CalculatorOptions, ToySettings {
  /** Include `clsb` and `clb` (pyhf's `return_tail_probs`). */
  returnTail?: boolean;
  /** Include `clsExpected`, the median expected value (pyhf's `return_expected`). */
  returnExpected?: boolean;
  /** Include `clsExpectedSet`, the 5-value band (pyhf's `return_expected_set`). */
  returnExpectedSet?: boolean;
}

/**
 * The result of {@link hypotest}. As in pyhf, for `testStat: "q0"` the reported values are
 * p-values of the background-only hypothesis: `cls` is p0 (= CLsb), the tail is [CLsb, CLb] and
 * the expected values are expected p0's.
 */
export interface HypotestResult extends HypotestValues {
  /** The test statistic on the Asimov data. */
  qA: number;
  /** Everything the calculator computed (fits included). */
  detail: AsymptoticResult;
}

/**
 * What hypotests report with either calculator (pyhf's return values): CLs, the tails and the
 * expected band on request, the statistic, convergence.
 */
export interface HypotestValues {
  /** Observed CLs (for q0: p0). */
  cls: number;
  /** Observed CLsb (with `returnTail`). */
  clsb?: number;
  /** Observed CLb (with `returnTail`). */
  clb?: number;
  /** Median expected CLs (with `returnExpected`; for q0: expected p0). */
  clsExpected?: number;
  /**
   * Expected band (with `returnExpectedSet`), pyhf's order: b-only test-statistic shifts of
   * [2, 1, 0, −1, −2] σ, so the values ascend ([−2σ, −1σ, median, +1σ, +2σ] of the limit).
   */
  clsExpectedSet?: number[];
  /** The test statistic on the data. */
  q: number;
  /** Whether every fit converged. */
  converged: boolean;
  /** The fits' warnings (non-convergence, ...). */
  warnings: string[];
  /** Notes on the test statistic's conventions (pyhf logs these), e.g. q with the POI bounded at 0. */
  notes: string[];
}

/** The result of {@link hypotest} with `calctype: "toybased"`. */
export interface ToyHypotestReport extends HypotestValues {
  /** The calculator. */
  calctype: "toybased";
  /** Toys per hypothesis. */
  ntoys: number;
  /** Their seed. */
  seed: number;
  /** The toy distributions and every p-value. */
  toys: ToyHypotestResult;
}

/**
 * pyhf's `hypotest(poi, data, model, test_stat, calctype, ...)`: CLs for the hypothesis
 * POI = `poiValue`. With `calctype: "asymptotics"` (the default), Cowan et al.'s asymptotic
 * formulas (the Asimov dataset for the expected values uses nuisance parameters from a fit with the
 * POI fixed at 0 — at 1 for q0 — to `data`); with `"toybased"`, pyhf's ToyCalculator:
 * `ntoys` pseudo-experiments per hypothesis drawn with `seed`, fitted in batches (stats/toys.ts).
 * Non-convergence of a fit is reported in `converged`/`warnings` (or thrown as a
 * {@link FitError} with `strict`).
 *
 * @example
 * ```ts
 * import { hypotest } from "./mod.ts";
 * const r = hypotest(1.0, model.observed, model, { returnTail: true, returnExpectedSet: true });
 * console.log(r.cls, r.clsb, r.clb, r.clsExpectedSet);
 * const t = hypotest(1.0, model.observed, model, { calctype: "toybased", ntoys: 1000, seed: 1 });
 * console.log(t.cls, t.toys.distributions.backgroundOnly.length); // ≈ r.cls, 1000
 * ```
 */
export function hypotest(
  poiValue: number,
  data: ArrayLike,
  model: Model,
  opts?: HypotestOptions & { calctype?: "asymptotics" },
): HypotestResult;
/**
 * {@link hypotest} from toys (pyhf's ToyCalculator).
 *
 * @example
 * ```ts
 * import { hypotest } from "./mod.ts";
 * hypotest(1.0, model.observed, model, { calctype: "toybased", ntoys: 1000, seed: 1 }).cls;
 * ```
 */
export function hypotest(
  poiValue: number,
  data: ArrayLike,
  model: Model,
  opts: HypotestOptions & { calctype: "toybased" },
): ToyHypotestReport;
/**
 * {@link hypotest} with the calculator chosen at run time.
 *
 * @example
 * ```ts
 * import { hypotest } from "./mod.ts";
 * const calctype = Math.random() < 0.5 ? "asymptotics" : "toybased";
 * hypotest(1.0, model.observed, model, { calctype, ntoys: 100 }).cls;
 * ```
 */
export function hypotest(
  poiValue: number,
  data: ArrayLike,
  model: Model,
  opts?: HypotestOptions,
): HypotestResult | ToyHypotestReport;
export function hypotest(
  poiValue: number,
  data: ArrayLike,
  model: Model,
  opts: HypotestOptions = {},
): HypotestResult | ToyHypotestReport {
  const {
    testStat = "qtilde",
    returnTail = false,
    returnExpected = false,
    returnExpectedSet = false,
    calctype = "asymptotics",
    ntoys,
    seed,
    batchSize,
    toyFits,
    onToyProgress,
    ...fit
  } = opts;
  if (calctype !== "asymptotics" && calctype !== "toybased") {
    throw new RangeError(
      `hypotest: calctype must be "asymptotics" or "toybased", got ${JSON.stringify(calctype)}`,
    );
  }
  if (calctype === "asymptotics" && (ntoys !== undefined || seed !== undefined)) {
    throw new RangeError('hypotest: ntoys and seed need calctype: "toybased"');
  }
  const calc = calctype === "asymptotics"
    ? new AsymptoticCalculator(data, model, { ...fit, testStat })
    : null;
  const [lo, hi] = (fit.bounds ?? model.suggestedBounds)[model.poiIndex!];
  if (Number.isFinite(poiValue) && !(poiValue >= lo && poiValue <= hi)) {
    // Outside them the free fit cannot reach μ, and q̃/q would silently clip to CLs = 1.
    throw new RangeError(
      `hypotest: ${model.poiName} = ${poiValue} is outside the POI bounds [${lo}, ${hi}]; ` +
        "test a value inside them or widen the bounds",
    );
  }
  if (calc === null) {
    checkPoiFree(model, fit);
    const t = toyHypotest(poiValue, data, model, {
      ...fit,
      testStat,
      ntoys,
      seed,
      batchSize,
      toyFits,
      onProgress: onToyProgress,
    });
    const out: ToyHypotestReport = {
      cls: t.cls,
      q: t.q,
      converged: t.converged,
      warnings: t.warnings,
      notes: t.notes,
      calctype: "toybased",
      ntoys: t.distributions.backgroundOnly.length,
      seed: seed ?? 0,
      toys: t,
    };
    if (returnTail) (out.clsb = t.clsb), (out.clb = t.clb);
    if (returnExpected) out.clsExpected = t.clsExpected;
    if (returnExpectedSet) out.clsExpectedSet = [...t.clsExpectedSet];
    return out;
  }
  return hypotestResult(calc.evaluate(poiValue), testStat, {
    returnTail,
    returnExpected,
    returnExpectedSet,
    strict: !!fit.strict,
  });
}

/** @internal Shapes a calculator's result like pyhf's hypotest. */
export function hypotestResult(
  r: AsymptoticResult,
  testStat: AsymptoticTestStat,
  o: { returnTail: boolean; returnExpected: boolean; returnExpectedSet: boolean; strict: boolean },
): HypotestResult {
  if (o.strict && !r.converged) {
    const bad = [
      r.observedFits.freeFit,
      r.observedFits.fixedFit,
      r.asimovFits.freeFit,
      r.asimovFits.fixedFit,
    ].find((f) => !f.converged);
    if (bad) throw new FitError(bad);
  }
  const isQ0 = testStat === "q0";
  const band = isQ0 ? r.expected.clsb : r.expected.cls;
  const out: HypotestResult = {
    cls: isQ0 ? r.clsb : r.cls,
    q: r.q,
    qA: r.qA,
    detail: r,
    converged: r.converged,
    warnings: r.warnings,
    notes: r.observedFits.notes,
  };
  if (o.returnTail) {
    out.clsb = r.clsb;
    out.clb = r.clb;
  }
  if (o.returnExpected) out.clsExpected = band[2];
  if (o.returnExpectedSet) out.clsExpectedSet = [...band];
  return out;
}
