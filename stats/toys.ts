/**
 * Toy-based hypothesis tests: pyhf's `ToyCalculator` (`calctype="toybased"`). Pseudo-experiments
 * are drawn from the model with zgrad's PRNG (main counts Poisson, auxiliary data from each
 * constraint), the test statistic is computed on every toy, and p-values are tail fractions of
 * the two empirical distributions:
 *
 * - signal-plus-background toys at the suggested initial parameters with the POI at the tested μ;
 * - background-only toys with the POI at 0 (at 1 for q0, whose "signal" hypothesis is μ = 0);
 * - CLsb = #(q_sb ≥ q_obs)/n, CLb = #(q_b ≥ q_obs)/n, CLs = CLsb/CLb;
 * - the expected band: the p-values of every background-only toy's statistic, at the normal
 *   percentiles of −2σ … +2σ (numpy's linear-interpolation percentiles).
 *
 * Same seed, same numbers: toys are drawn from `random.key(seed)` (split per hypothesis).
 *
 * @module
 */
import { Array, array, concatenate, take } from "../core/mod.ts";
import { jit } from "../jit/jit.ts";
import * as random from "../core/random.ts";
import type { ArrayLike } from "../core/mod.ts";
import type { AsymptoticTestStat } from "./asymptotics.ts";
import { FitError, type FitOptions } from "./fit.ts";
import { testStatisticBatchMap } from "./fit_batch.ts";
import type { Model } from "./model.ts";
import { type TestStatDetail, testStatistic, type TestStatName } from "./teststat.ts";
import { type FreeFitCache, quasiNewtonTestStatistics } from "./toy_teststat.ts";

/**
 * The toy settings of `hypotest` and `upperLimit` (pyhf's `calctype`, `ntoys`; a seed, since
 * zgrad's PRNG is explicit).
 */
export interface ToySettings {
  /** `"asymptotics"` (default) or `"toybased"` (pyhf's ToyCalculator). */
  calctype?: "asymptotics" | "toybased";
  /** Toys per hypothesis with `"toybased"` (default 2000, as pyhf). */
  ntoys?: number;
  /** Seed of the toys (default 0): the same seed gives the same numbers. */
  seed?: number;
  /** Toys fitted at once (see {@link ToyOptions.batchSize}). */
  batchSize?: number;
  /** Called as toys finish, with (toys done, toys in this hypothesis test). */
  onToyProgress?: (done: number, total: number) => void;
  /** How the toys are fitted (see {@link ToyOptions.toyFits}). */
  toyFits?: ToyFits;
}

/**
 * How toys are fitted: `"quasi-newton"` (default) starts every toy's fits from one shared Hessian
 * and refines it per toy from gradients (`quasi_newton.ts`: no Hessian per toy), refitting any toy that
 * does not converge so with the Newton fitter; `"newton"` runs the Newton fitter (a Hessian per
 * iteration) on every toy. Both find the same minima (to the fits' tolerance).
 */
export type ToyFits = "quasi-newton" | "newton";

/** Options of {@link ToyCalculator} and {@link toyHypotest}. */
export interface ToyOptions extends FitOptions {
  /** `"qtilde"` (default), `"q"` or `"q0"`. */
  testStat?: AsymptoticTestStat;
  /** Toys per hypothesis (default 2000, as pyhf). */
  ntoys?: number;
  /** Seed of the toys (default 0). */
  seed?: number;
  /** Called after each toy's statistic with (done, total) — for progress bars. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Toys fitted at once by the Newton fitter (default 512): their fits run in lockstep, every NLL
   * evaluation of the group in one vectorised, compiled call (stats/batch.ts). 1 fits them one by
   * one (and implies `toyFits: "newton"`).
   */
  batchSize?: number;
  /**
   * `"quasi-newton"` (default) or `"newton"` (see {@link ToyFits}). Models with kinks (code0,
   * code1, code2 interpolation), `restarts` or `jit: false` always use `"newton"`.
   */
  toyFits?: ToyFits;
}

/** The two empirical test-statistic distributions of one tested μ. */
export interface ToyDistributions {
  /** The tested POI value. */
  poiValue: number;
  /** Statistics of the signal-plus-background toys. */
  signalPlusBackground: Float64Array;
  /** Statistics of the background-only toys. */
  backgroundOnly: Float64Array;
  /** Toys whose fits did not converge (kept, as pyhf keeps them). */
  failedFits: number;
}

/** CLsb, CLb and CLs. */
export interface ToyPvalues {
  /** p-value of the signal-plus-background hypothesis (for q0: p0). */
  clsb: number;
  /** p-value of the background-only hypothesis. */
  clb: number;
  /** CLsb / CLb. */
  cls: number;
}

/** The result of {@link toyHypotest}, shaped like the asymptotic `hypotest`'s. */
export interface ToyHypotestResult extends ToyPvalues {
  /** The test statistic on the data. */
  q: number;
  /** Expected band, ascending (−2σ … +2σ), of CLs (of p0 for q0). */
  clsExpectedSet: number[];
  /** Median expected value. */
  clsExpected: number;
  /** The toy distributions. */
  distributions: ToyDistributions;
  /** Whether every fit (observed and toys) converged. */
  converged: boolean;
  /** Warnings (non-converged fits). */
  warnings: string[];
  /** Notes on the test statistic's conventions (as the asymptotic hypotest's). */
  notes: string[];
}

const STAT_NAME: Record<AsymptoticTestStat, TestStatName> = {
  qtilde: "qmutilde",
  q: "qmu",
  q0: "q0",
};

/** Most bytes of background-only free fits a {@link ToyCalculator} keeps across tested μ. */
const FREE_FIT_CACHE_BYTES = 256 * 2 ** 20;

/** Normal percentiles of −2σ, −1σ, 0, +1σ, +2σ (pyhf's `normal_percentiles`). */
const NORMAL_PERCENTILES = [2.27501319, 15.86552539, 50.0, 84.13447461, 97.72498681];

/**
 * `ntoys` pseudo-experiments of `model` at parameters `pars` (`[ntoys, nMain + nAux]`, float64):
 * main counts ~ Poisson(expected main data), normal auxiliary data ~ N(θ, σ), Poisson auxiliary
 * data ~ Poisson(γτ) — pyhf's `model.make_pdf(pars).sample((ntoys,))`.
 *
 * @example
 * ```ts ignore
 * import { random } from "../mod.ts";
 * import { sampleToys } from "./toys.ts";
 * const toys = sampleToys(model, model.suggestedInit, 1000, random.key(0)); // [1000, N]
 * ```
 */
export function sampleToys(
  model: Model,
  pars: ArrayLike | readonly number[],
  ntoys: number,
  key: Array,
): Array {
  if (!Number.isInteger(ntoys) || ntoys < 1) {
    throw new RangeError(`sampleToys: ntoys must be a positive integer, got ${ntoys}`);
  }
  const p = pars instanceof Array ? pars : array(pars as number[], "float64");
  const { sigmas } = model.auxConstraints();
  return toySampler(model, ntoys)(key, model.expectedMain(p), model.expectedAux(p), sigmas);
}

/**
 * The compiled sampler of `ntoys` toys of `model` (per model and count): the draws are whole-array
 * `whileLoop`s (JAX's Poisson algorithm), which eagerly run op by op over every draw and compiled
 * run as fused loops, several times faster with the same bits. Normal and Poisson auxiliary data
 * are drawn only for the entries of their kind.
 */
function toySampler(
  model: Model,
  ntoys: number,
): (key: Array, main: Array, aux: Array, sigmas: Array) => Array {
  let byCount = SAMPLERS.get(model);
  if (!byCount) SAMPLERS.set(model, byCount = new Map());
  const hit = byCount.get(ntoys);
  if (hit) return hit;
  const { kinds } = model.auxConstraints();
  const nMain = model.nMain;
  const normal = kinds.flatMap((k, i) => (k === "normal" ? [i] : []));
  const poisson = kinds.flatMap((k, i) => (k === "poisson" ? [i] : []));
  // Column j of [normal draws, Poisson draws] that is aux entry i.
  const order = [...normal, ...poisson];
  const column = array(kinds.map((_, i) => order.indexOf(i)), "int32");
  const f = jit((key: Array, main: Array, aux: Array, sigmas: Array) => {
    const [kMain, kPois, kNorm] = [0, 1, 2].map((i) => random.split(key, 3).slice(i));
    const counts = random.poisson(kMain, main, [ntoys, nMain]).astype("float64");
    if (kinds.length === 0) return counts;
    const parts: Array[] = [];
    if (normal.length > 0) {
      const mean = take(aux, array(normal, "int32"));
      parts.push(
        random.normal(kNorm, [ntoys, normal.length], { dtype: "float64" }).mul(sigmas).add(mean),
      );
    }
    if (poisson.length > 0) {
      const mean = take(aux, array(poisson, "int32"));
      parts.push(random.poisson(kPois, mean, [ntoys, poisson.length]).astype("float64"));
    }
    return concatenate([counts, take(concatenate(parts, 1), column, 1)], 1);
  }, { name: "sample_toys" });
  const sampler = (key: Array, main: Array, aux: Array, sigmas: Array) =>
    f(key, main, aux, sigmas) as Array;
  byCount.set(ntoys, sampler);
  return sampler;
}

const SAMPLERS = new WeakMap<
  Model,
  Map<number, (key: Array, main: Array, aux: Array, sigmas: Array) => Array>
>();

/** numpy's `percentile(values, q)` with linear interpolation. */
function percentile(sortedValues: Float64Array, q: number): number {
  const n = sortedValues.length;
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos), hi = Math.min(lo + 1, n - 1);
  return sortedValues[lo] + (pos - lo) * (sortedValues[hi] - sortedValues[lo]);
}

/** Fraction of `samples` ≥ `value` (pyhf's `EmpiricalDistribution.pvalue`). */
function tail(samples: Float64Array, value: number): number {
  let k = 0;
  for (const s of samples) if (s >= value) k++;
  return k / samples.length;
}

/**
 * pyhf's `ToyCalculator`: toy distributions of the test statistic, p-values and expected bands.
 *
 * @example
 * ```ts ignore
 * import { ToyCalculator } from "./toys.ts";
 * const calc = new ToyCalculator(model.observed, model, { ntoys: 500, seed: 1 });
 * const d = calc.distributions(1);
 * console.log(calc.pvalues(calc.teststatistic(1), d).cls, calc.expectedPvalues(d));
 * ```
 */
export class ToyCalculator {
  readonly #data: ArrayLike;
  readonly #model: Model;
  readonly #opts: ToyOptions;
  /** The test statistic. */
  readonly testStat: AsymptoticTestStat;
  /** Toys per hypothesis. */
  readonly ntoys: number;
  readonly #warnings: string[] = [];
  #notes: string[] = [];
  #converged = true;
  /** The background-only toys (the same at every tested μ) and their free fits, once drawn. */
  #backgroundOnly: { toys: Array; freeFits?: FreeFitCache } | null = null;

  /**
   * A calculator for `data` (main + aux) and `model`, with the toys' and fits' options.
   *
   * @param data observed data (main + aux)
   * @param model the model
   * @param opts toys and fits
   */
  constructor(data: ArrayLike, model: Model, opts: ToyOptions = {}) {
    if (model.poiIndex === null) throw new Error("ToyCalculator: the model has no POI");
    this.#data = data;
    this.#model = model;
    this.#opts = opts;
    this.testStat = opts.testStat ?? "qtilde";
    if (!(this.testStat in STAT_NAME)) {
      throw new RangeError(
        `ToyCalculator: testStat must be "qtilde", "q" or "q0", got ${
          JSON.stringify(this.testStat)
        }`,
      );
    }
    this.ntoys = opts.ntoys ?? 2000;
    if (!Number.isInteger(this.ntoys) || this.ntoys < 1) {
      throw new RangeError(`ToyCalculator: ntoys must be a positive integer, got ${this.ntoys}`);
    }
  }

  /** Warnings of the fits so far. */
  get warnings(): string[] {
    return [...this.#warnings];
  }
  /** Whether every fit so far converged. */
  get converged(): boolean {
    return this.#converged;
  }
  /** Notes on the test statistic's conventions (from the statistic on the observed data). */
  get notes(): string[] {
    return [...this.#notes];
  }

  #fitOptions(): FitOptions {
    const {
      testStat: _t,
      ntoys: _n,
      seed: _s,
      onProgress: _p,
      batchSize: _b,
      toyFits: _f,
      ...fit
    } = this.#opts;
    return fit;
  }

  #stat(poi: number, data: ArrayLike): number {
    const d = testStatistic(STAT_NAME[this.testStat], poi, data, this.#model, this.#fitOptions());
    this.#notes = d.notes;
    this.#check(d);
    return d.value;
  }

  #check(d: TestStatDetail): void {
    if (!d.converged) {
      this.#converged = false;
      if (this.#opts.strict) {
        throw new FitError(d.freeFit.converged ? d.fixedFit : d.freeFit);
      }
      if (this.#warnings.length < 20) this.#warnings.push(...d.warnings);
    }
  }

  /** The test statistic on the observed data at POI = `poi`. */
  teststatistic(poi: number): number {
    return this.#stat(poi, this.#data);
  }

  /** Toy distributions of the statistic under μ = `poi` and under the background-only hypothesis. */
  distributions(poi: number): ToyDistributions {
    const m = this.#model, ip = m.poiIndex!;
    const at = (mu: number) => m.suggestedInit.map((v, i) => (i === ip ? mu : v));
    const key = random.key(this.#opts.seed ?? 0);
    const [kSb, kB] = [0, 1].map((i) => random.split(key, 2).slice(i));
    const bPoi = this.testStat === "q0" ? 1 : 0;
    const total = 2 * this.ntoys;
    let done = 0, failed = 0;
    const exact = (toys: Array) =>
      testStatisticBatchMap(
        STAT_NAME[this.testStat],
        poi,
        toys,
        m,
        this.#fitOptions(),
        {
          window: this.#opts.batchSize,
          onProgress: () => this.#opts.onProgress?.(++done, total),
        },
        (d) => {
          if (!d.converged) failed++;
          this.#check(d);
          return d.value;
        },
      );
    const run = (toys: Array, gen: number[], freeFits?: FreeFitCache) => {
      if (!this.#quasiNewton()) return Float64Array.from(exact(toys));
      const r = quasiNewtonTestStatistics(
        STAT_NAME[this.testStat],
        poi,
        toys,
        m,
        this.#fitOptions(),
        gen,
        (settled) => {
          for (let i = 0; i < settled; i++) this.#opts.onProgress?.(++done, total);
        },
        freeFits,
      );
      // Toys the shared-Hessian fits did not settle: the Newton fitter, as without them.
      const redo: number[] = [];
      r.converged.forEach((c, t) => c || redo.push(t));
      if (redo.length > 0) {
        const qs = exact(take(toys, array(redo, "int32"), 0));
        redo.forEach((t, i) => (r.values[t] = qs[i]));
      }
      return r.values;
    };
    const signalPlusBackground = run(sampleToys(m, at(poi), this.ntoys, kSb), at(poi));
    // Drawn with the same key at every μ: the same toys, and (quasi-Newton) the same free fits,
    // kept while their inverse-Hessian approximations take at most FREE_FIT_CACHE_BYTES.
    this.#backgroundOnly ??= {
      toys: sampleToys(m, at(bPoi), this.ntoys, kB),
      freeFits: this.ntoys * m.npars ** 2 * 8 <= FREE_FIT_CACHE_BYTES ? new Map() : undefined,
    };
    const { toys: bToys, freeFits } = this.#backgroundOnly;
    const backgroundOnly = run(bToys, at(bPoi), freeFits);
    return { poiValue: poi, signalPlusBackground, backgroundOnly, failedFits: failed };
  }

  /** Whether toys are fitted by the shared-Hessian quasi-Newton method (see {@link ToyFits}). */
  #quasiNewton(): boolean {
    const o = this.#opts;
    if (o.toyFits !== undefined && o.toyFits !== "quasi-newton" && o.toyFits !== "newton") {
      throw new RangeError(
        `toyFits must be "quasi-newton" or "newton", got ${JSON.stringify(o.toyFits)}`,
      );
    }
    return (o.toyFits ?? "quasi-newton") === "quasi-newton" && o.batchSize !== 1 &&
      !o.restarts && o.jit !== false && this.#model.kinks.every((k) => k.length === 0);
  }

  /** CLsb, CLb and CLs of statistic `q` under the two distributions. */
  pvalues(q: number, d: ToyDistributions): ToyPvalues {
    const clsb = tail(d.signalPlusBackground, q), clb = tail(d.backgroundOnly, q);
    return { clsb, clb, cls: clsb / clb };
  }

  /**
   * Expected p-values (`"cls"`, or `"clsb"`/`"clb"`): the p-values of each background-only toy's
   * statistic, at the −2σ … +2σ normal percentiles (ascending).
   */
  expectedPvalues(d: ToyDistributions, which: keyof ToyPvalues = "cls"): number[] {
    const ps = Float64Array.from(d.backgroundOnly, (q) => this.pvalues(q, d)[which]).sort();
    return NORMAL_PERCENTILES.map((q) => percentile(ps, q));
  }
}

/**
 * pyhf's `hypotest(poi, data, model, calctype="toybased")`: CLs (CLsb, CLb) from toys, and the
 * expected band. For `testStat: "q0"` the values are p0's, as the asymptotic `hypotest` reports.
 *
 * @example
 * ```ts ignore
 * import { toyHypotest } from "./toys.ts";
 * const r = toyHypotest(1, model.observed, model, { ntoys: 1000, seed: 0 });
 * console.log(r.cls, r.clsExpectedSet);
 * ```
 */
export function toyHypotest(
  poiValue: number,
  data: ArrayLike,
  model: Model,
  opts: ToyOptions = {},
): ToyHypotestResult {
  const calc = new ToyCalculator(data, model, opts);
  const q = calc.teststatistic(poiValue);
  const d = calc.distributions(poiValue);
  const p = calc.pvalues(q, d);
  const isQ0 = calc.testStat === "q0";
  const band = calc.expectedPvalues(d, isQ0 ? "clsb" : "cls");
  return {
    ...p,
    cls: isQ0 ? p.clsb : p.cls,
    q,
    clsExpectedSet: band,
    clsExpected: band[2],
    distributions: d,
    converged: calc.converged,
    warnings: calc.warnings,
    notes: calc.notes,
  };
}

/** One tested POI value of a toy-based upper limit (shaped like the asymptotic one's). */
export interface ToyLimitPoint extends ToyPvalues {
  /** The tested POI value. */
  poiValue: number;
  /** The test statistic on the data. */
  q: number;
  /** The expected band (ascending, as the asymptotic `expected`). */
  expected: { cls: number[]; clsb: number[]; clb: number[] };
  /** The toy distributions. */
  distributions: ToyDistributions;
  /** Whether every fit converged. */
  converged: boolean;
  /** Warnings of the fits. */
  warnings: string[];
}

/**
 * The toy-based hypothesis test of `upperLimit` with `calctype: "toybased"`: a function of the
 * tested POI value, sharing one {@link ToyCalculator} (the same seed for every value, so the
 * CLs curves are not made ragged by fresh toys at each μ).
 *
 * @example
 * ```ts ignore
 * import { toyLimitPoints } from "./toys.ts";
 * const at = toyLimitPoints(model.observed, model, { ntoys: 500, seed: 1 });
 * console.log(at(1).cls, at(1).expected.cls);
 * ```
 */
export function toyLimitPoints(
  data: ArrayLike,
  model: Model,
  opts: ToyOptions = {},
): (poiValue: number) => ToyLimitPoint {
  return (poiValue) => {
    const calc = new ToyCalculator(data, model, opts);
    const q = calc.teststatistic(poiValue);
    const d = calc.distributions(poiValue);
    return {
      poiValue,
      q,
      ...calc.pvalues(q, d),
      expected: {
        cls: calc.expectedPvalues(d, "cls"),
        clsb: calc.expectedPvalues(d, "clsb"),
        clb: calc.expectedPvalues(d, "clb"),
      },
      distributions: d,
      converged: calc.converged,
      warnings: calc.warnings,
    };
  };
}
