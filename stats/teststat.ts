/**
 * Profile-likelihood test statistics with pyhf's conventions (`pyhf.infer.test_statistics`), on
 * concrete numbers: each runs a free fit and a fit with the POI fixed at μ, and compares
 * −2 log L at the two minima.
 *
 * - t_μ = max(−2 log λ(μ), 0) with λ(μ) = L(μ, θ̂̂) / L(μ̂, θ̂) ({@link tmu}, {@link tmuTilde}).
 * - q_μ = 0 if μ̂ > μ, else t_μ ({@link qmu}, {@link qmuTilde}).
 * - q_0 = 0 if μ̂ < 0, else t_0 ({@link q0}).
 *
 * As in pyhf, the "tilde" variants differ from the plain ones only through the POI bounds of the
 * fits: with the POI bounded below at 0 (pyhf's default, and every model from a workspace) q̃μ
 * and qμ have the same value; pyhf notes the mismatch (a `notes` entry here). The asymptotic
 * formulas, which do differ, are in `asymptotics.ts`. Differentiable versions (zgrad arrays, by
 * implicit differentiation of the fits) are in `implicit.ts`.
 *
 * @module
 */
import type { ArrayLike } from "../core/mod.ts";
import {
  type FitContext,
  type FitOptions,
  type FitResult,
  fitSteps,
  nllObjective,
  numbers,
  resolveFixed,
} from "./fit.ts";
import { conditionalStartSteps } from "./fit_starts.ts";
import type { Model } from "./model.ts";
import { run, type Steps } from "./steps.ts";

/** The test statistics of this module, by pyhf's function names. */
export type TestStatName = "q0" | "qmu" | "qmutilde" | "tmu" | "tmutilde";

/** Options of the test statistics: those of the fits, plus reuse of a free fit. */
export interface TestStatOptions extends FitOptions {
  /**
   * A free fit of the same model to the same data with the same settings, reused instead of
   * fitting again (it does not depend on μ). Its `bestfit` also warm-starts the fixed-POI fit.
   */
  freeFit?: FitResult;
  /** Start the fixed-POI fit at the free fit's best values (default true); false starts at `init`. */
  warmStart?: boolean;
}

/** A test statistic with the fits behind it. */
export interface TestStatDetail {
  /** Which statistic. */
  name: TestStatName;
  /** The tested POI value. */
  poiValue: number;
  /** The statistic (clipped as the module doc says). */
  value: number;
  /** −2 log λ before clipping: twiceNll(fixed fit) − twiceNll(free fit). */
  llr: number;
  /** The POI at the free fit. */
  muhat: number;
  /** The free fit. */
  freeFit: FitResult;
  /** The fit with the POI fixed at `poiValue`. */
  fixedFit: FitResult;
  /** Whether both fits converged. */
  converged: boolean;
  /** The fits' warnings. */
  warnings: string[];
  /** Conventions worth knowing (pyhf logs these as warnings), e.g. q̃ with an unbounded POI. */
  notes: string[];
}

const NAMES: readonly TestStatName[] = ["q0", "qmu", "qmutilde", "tmu", "tmutilde"];

/**
 * Any of the test statistics by name, with the two fits and notes. {@link q0}, {@link qmu},
 * {@link qmuTilde}, {@link tmu} and {@link tmuTilde} return just the value.
 *
 * @example
 * ```ts
 * import { testStatistic } from "./mod.ts";
 * const t = testStatistic("qmutilde", 1.0, model.observed, model);
 * console.log(t.value, t.muhat, t.fixedFit.bestfitByName);
 * ```
 */
export function testStatistic(
  name: TestStatName,
  poiValue: number,
  data: ArrayLike,
  model: Model,
  opts: TestStatOptions = {},
): TestStatDetail {
  checkTestStat(name, poiValue, model);
  const objective = nllObjective(model, data, { jit: opts.jit });
  return run(testStatisticSteps(name, poiValue, data, model, opts, objective), objective);
}

/**
 * Throws on an unknown statistic, a model without POI or a POI value that is not finite (what
 * {@link testStatistic} checks before fitting).
 *
 * @example
 * ```ts
 * import { checkTestStat } from "./teststat.ts";
 * checkTestStat("qmutilde", 1, model); // throws on bad arguments
 * ```
 */
export function checkTestStat(name: TestStatName, poiValue: number, model: Model): void {
  if (!NAMES.includes(name)) {
    throw new RangeError(
      `testStatistic: unknown test statistic ${JSON.stringify(name)} (known: ${NAMES.join(", ")})`,
    );
  }
  const poi = model.poiIndex;
  if (poi === null) {
    throw new Error(`${name}: the model has no parameter of interest`);
  }
  if (typeof poiValue !== "number" || !Number.isFinite(poiValue)) {
    throw new RangeError(`${name}: poiValue must be a finite number, got ${poiValue}`);
  }
}

/**
 * {@link testStatistic} as a computation asking for its NLL evaluations (see `steps.ts`): what
 * `testStatistic` runs on one dataset and `batch.ts` on many (toys). Check the arguments with
 * {@link checkTestStat} first.
 *
 * @example
 * ```ts
 * import { nllObjective } from "./fit.ts";
 * import { run } from "./steps.ts";
 * import { testStatisticSteps } from "./teststat.ts";
 * const obj = nllObjective(model, model.observed);
 * run(testStatisticSteps("qmutilde", 1, model.observed, model, {}, obj), obj).value;
 * ```
 */
export function* testStatisticSteps(
  name: TestStatName,
  poiValue: number,
  data: ArrayLike,
  model: Model,
  opts: TestStatOptions,
  ctx: FitContext,
): Steps<TestStatDetail> {
  const poi = model.poiIndex!;
  const { freeFit, warmStart = true, ...fitOpts } = opts;
  const notes: string[] = [];
  const lo = (fitOpts.bounds ?? model.suggestedBounds)[poi][0];
  if ((name === "qmutilde" || name === "tmutilde") && lo !== 0) {
    notes.push(
      `${name} used with the POI not bounded at zero (lower bound ${lo}); use ${
        name === "qmutilde" ? "qmu" : "tmu"
      } instead`,
    );
  }
  if ((name === "qmu" || name === "tmu") && lo === 0) {
    notes.push(
      `${name} used with the POI bounded at zero: its value equals ${name}tilde's (use ${name}tilde)`,
    );
  }
  if (name === "q0" && poiValue !== 0) {
    notes.push(`q0 tests mu = 0; it was called with mu = ${poiValue}`);
  }
  const free = freeFit ?? (yield* fitSteps(data, model, fitOpts, ctx, warmStart));
  // The fixed-POI fit (fixedPoiFit's settings), from the free fit's conditional minimum.
  const init = warmStart
    ? yield* conditionalStartSteps(model, free, poiValue)
    : numbers(fitOpts.init ?? model.suggestedInit, model.npars, "fixedPoiFit: init");
  init[poi] = poiValue;
  const fixed = resolveFixed(model, fitOpts.fixed);
  fixed[poi] = true;
  const fixedFit = yield* fitSteps(data, model, { ...fitOpts, init, fixed }, ctx);
  const llr = fixedFit.twiceNll - free.twiceNll;
  const muhat = free.bestfit[poi];
  const tmuValue = Math.max(llr, 0);
  const value = name === "q0"
    ? (muhat < poiValue ? 0 : tmuValue)
    : name === "qmu" || name === "qmutilde"
    ? (muhat > poiValue ? 0 : tmuValue)
    : tmuValue;
  const warnings = [...new Set([...free.warnings, ...fixedFit.warnings])];
  return {
    name,
    poiValue,
    value,
    llr,
    muhat,
    freeFit: free,
    fixedFit,
    converged: free.converged && fixedFit.converged,
    warnings,
    notes,
  };
}

/**
 * The discovery test statistic q0 (pyhf's `q0` at μ = 0): −2 log λ(0), or 0 when μ̂ < 0.
 *
 * @example
 * ```ts
 * import { q0 } from "./mod.ts";
 * const z0 = Math.sqrt(q0(model.observed, model));
 * ```
 */
export function q0(data: ArrayLike, model: Model, opts: TestStatOptions = {}): number {
  return testStatistic("q0", 0, data, model, opts).value;
}

/**
 * The upper-limit test statistic qμ: −2 log λ(μ), or 0 when μ̂ > μ (pyhf's `qmu`).
 *
 * @example
 * ```ts
 * import { qmu } from "./mod.ts";
 * qmu(1.0, model.observed, model, { bounds: [[-10, 10], [1e-10, 10]] });
 * ```
 */
export function qmu(
  poiValue: number,
  data: ArrayLike,
  model: Model,
  opts: TestStatOptions = {},
): number {
  return testStatistic("qmu", poiValue, data, model, opts).value;
}

/**
 * q̃μ (pyhf's `qmu_tilde`): qμ with the POI bounded below at 0 in the fits.
 *
 * @example
 * ```ts
 * import { qmuTilde } from "./mod.ts";
 * qmuTilde(1.0, model.observed, model);
 * ```
 */
export function qmuTilde(
  poiValue: number,
  data: ArrayLike,
  model: Model,
  opts: TestStatOptions = {},
): number {
  return testStatistic("qmutilde", poiValue, data, model, opts).value;
}

/**
 * The two-sided statistic tμ = max(−2 log λ(μ), 0) (pyhf's `tmu`).
 *
 * @example
 * ```ts
 * import { tmu } from "./mod.ts";
 * tmu(1.0, model.observed, model);
 * ```
 */
export function tmu(
  poiValue: number,
  data: ArrayLike,
  model: Model,
  opts: TestStatOptions = {},
): number {
  return testStatistic("tmu", poiValue, data, model, opts).value;
}

/**
 * t̃μ: tμ with the POI bounded below at 0 in the fits (pyhf's `tmu_tilde`).
 *
 * @example
 * ```ts
 * import { tmuTilde } from "./mod.ts";
 * tmuTilde(1.0, model.observed, model);
 * ```
 */
export function tmuTilde(
  poiValue: number,
  data: ArrayLike,
  model: Model,
  opts: TestStatOptions = {},
): number {
  return testStatistic("tmutilde", poiValue, data, model, opts).value;
}
