/**
 * Upper limits and discovery significance with asymptotic formulas: pyhf's
 * `pyhf.infer.intervals.upper_limits.upper_limit` (root finding or a linear scan) and the q0
 * hypothesis test.
 *
 * @module
 */
import type { ArrayLike } from "../core/mod.ts";
import {
  AsymptoticCalculator,
  type AsymptoticResult,
  type CalculatorOptions,
  N_SIGMA,
} from "./asymptotics.ts";
import { FitError } from "./fit.ts";
import type { Model } from "./model.ts";
import { type ToyLimitPoint, toyLimitPoints, type ToySettings } from "./toys.ts";

/** Options of {@link upperLimit}. */
export interface UpperLimitOptions extends Omit<CalculatorOptions, "testStat">, ToySettings {
  /**
   * Test these POI values and interpolate linearly where CLs crosses `level` (pyhf's
   * `upper_limit(scan=...)`; `np.interp` on the reversed arrays, so CLs should decrease along the
   * scan). Without it, the limits are found by root finding.
   */
  scan?: readonly number[];
  /** The CLs level (default 0.05: 95% CL). */
  level?: number;
  /** Relative tolerance of the root finding (default 1e-4, pyhf's). */
  rtol?: number;
  /** Absolute tolerance of the root finding (default 2e-12, pyhf's). */
  atol?: number;
  /**
   * The initial search interval (default: the POI's bounds). As in pyhf, the lower end is halved
   * while some CLs is below `level` there, and the upper end doubled while some is above.
   */
  poiRange?: readonly [number, number];
  /** `"qtilde"` (default) or `"q"`. */
  testStat?: "qtilde" | "q";
  /** Maximum halvings/doublings of the interval (default 64). */
  maxWiden?: number;
  /** Maximum root-finding iterations per limit (default 100). */
  maxRootIter?: number;
  /**
   * Called after each new hypothesis test with (tests done, total): the scan's length with
   * `scan`, null while root finding (the number of tests is not known in advance).
   */
  onProgress?: (done: number, total: number | null) => void;
}

/**
 * CLs against the POI over every tested value, ascending in μ (the curve of a Brazil plot).
 *
 * @example
 * ```ts
 * import { upperLimit } from "./mod.ts";
 * const { curve } = upperLimit(model.observed, model, { scan: [0, 1, 2, 3] });
 * console.log(curve.mu, curve.cls, curve.clsExpected.map((band) => band[2])); // median
 * ```
 */
export interface ClsCurve {
  /** Tested POI values, ascending. */
  mu: number[];
  /** Observed CLs at each. */
  cls: number[];
  /** Expected CLs at each: 5 values in pyhf's order (b-only shifts [2, 1, 0, −1, −2] σ). */
  clsExpected: number[][];
}

/**
 * What the limit search reads of a hypothesis test at one POI value: an asymptotic result
 * (`AsymptoticResult`) or a toy-based one (`ToyLimitPoint`, with `calctype: "toybased"`).
 */
export interface LimitPoint {
  /** The tested POI value. */
  poiValue: number;
  /** Observed CLs. */
  cls: number;
  /** The expected band (5 values, ascending). */
  expected: { cls: readonly number[] };
  /** Whether every fit converged. */
  converged: boolean;
  /** The fits' warnings. */
  warnings: string[];
}

/** The outcome of {@link upperLimit} (`R`: the hypothesis tests, asymptotic by default). */
export interface UpperLimitResult<R extends LimitPoint = AsymptoticResult> {
  /** The observed upper limit on the POI. */
  obsLimit: number;
  /** The expected limits [−2σ, −1σ, median, +1σ, +2σ]. */
  expLimits: number[];
  /** Every tested POI value, in order of evaluation (the scan's order for a scan). */
  tested: number[];
  /** The hypothesis tests at `tested`. */
  results: R[];
  /** CLs (observed and expected) against μ over `tested`, sorted by μ. */
  curve: ClsCurve;
  /** False when a fit did not converge (see `warnings`). */
  converged: boolean;
  /** Fit warnings and notes on the search (bracket widening, limits outside a scan). */
  warnings: string[];
}

/** A root of f in [a, b] by Brent's method; f(a) and f(b) must have opposite signs (or be 0). */
function brent(
  f: (x: number) => number,
  a: number,
  b: number,
  atol: number,
  rtol: number,
  maxIter: number,
): { x: number; iterations: number; converged: boolean } {
  let fa = f(a), fb = f(b);
  if (fa === 0) return { x: a, iterations: 0, converged: true };
  if (fb === 0) return { x: b, iterations: 0, converged: true };
  if (Math.sign(fa) === Math.sign(fb)) {
    throw new Error(`upperLimit: the interval [${a}, ${b}] does not bracket a root`);
  }
  let c = a, fc = fa, d = b - a, e = d;
  for (let it = 1; it <= maxIter; it++) {
    if (Math.sign(fb) === Math.sign(fc)) {
      c = a, fc = fa, d = b - a, e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b, b = c, c = a;
      fa = fb, fb = fc, fc = fa;
    }
    const tol = 2 * Number.EPSILON * Math.abs(b) + 0.5 * (atol + rtol * Math.abs(b));
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= tol || fb === 0) return { x: b, iterations: it, converged: true };
    if (Math.abs(e) >= tol && Math.abs(fa) > Math.abs(fb)) {
      // Inverse quadratic interpolation, or the secant step when only two points differ.
      const s = fb / fa;
      let p: number, q: number;
      if (a === c) {
        p = 2 * m * s;
        q = 1 - s;
      } else {
        const qq = fa / fc, r = fb / fc;
        p = s * (2 * m * qq * (qq - r) - (b - a) * (r - 1));
        q = (qq - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * m * q - Math.abs(tol * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = m, e = m;
      }
    } else {
      d = m, e = m;
    }
    a = b, fa = fb;
    b += Math.abs(d) > tol ? d : m > 0 ? tol : -tol;
    fb = f(b);
  }
  return { x: b, iterations: maxIter, converged: false };
}

/** numpy's `interp(x, xp, fp)` for increasing xp: clamps outside, linear inside. */
function interp(x: number, xp: readonly number[], fp: readonly number[]): number {
  const n = xp.length;
  if (n === 0 || fp.length !== n) {
    throw new RangeError(`interp: xp and fp need the same non-zero length (${n}, ${fp.length})`);
  }
  if (!(x >= xp[0])) return x < xp[0] ? fp[0] : NaN;
  if (x >= xp[n - 1]) return fp[n - 1];
  let lo = 0, hi = n - 1; // xp[lo] <= x < xp[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xp[mid] <= x) lo = mid;
    else hi = mid;
  }
  const slope = (fp[lo + 1] - fp[lo]) / (xp[lo + 1] - xp[lo]);
  return xp[lo + 1] === xp[lo] ? fp[lo] : slope * (x - xp[lo]) + fp[lo];
}

/**
 * The upper limit on the POI at CLs = `level` (95% CL by default), observed and expected band,
 * as pyhf's `upper_limit`: root finding of CLs(μ) − level (Brent's method on brackets widened as
 * pyhf widens them; every curve reuses the hypothesis tests already done), or with `scan`, linear
 * interpolation of the tested CLs values. Fits that do not depend on μ are done once. With
 * `calctype: "toybased"`, each CLs comes from toys (pyhf's ToyCalculator, stats/toys.ts; the same
 * `seed` at every μ).
 *
 * @example
 * ```ts
 * import { upperLimit } from "./mod.ts";
 * const { obsLimit, expLimits } = upperLimit(model.observed, model);
 * const viaScan = upperLimit(model.observed, model, { scan: [0, 0.5, 1, 1.5, 2, 2.5, 3] });
 * const toys = upperLimit(model.observed, model, { calctype: "toybased", ntoys: 500, seed: 1 });
 * ```
 */
export function upperLimit(
  data: ArrayLike,
  model: Model,
  opts?: UpperLimitOptions & { calctype?: "asymptotics" },
): UpperLimitResult;
/**
 * {@link upperLimit} from toys (pyhf's ToyCalculator at each tested μ).
 *
 * @example
 * ```ts
 * import { upperLimit } from "./mod.ts";
 * upperLimit(model.observed, model, { calctype: "toybased", ntoys: 500, seed: 1 }).obsLimit;
 * ```
 */
export function upperLimit(
  data: ArrayLike,
  model: Model,
  opts: UpperLimitOptions & { calctype: "toybased" },
): UpperLimitResult<ToyLimitPoint>;
/**
 * {@link upperLimit} with the calculator chosen at run time.
 *
 * @example
 * ```ts
 * import { upperLimit } from "./mod.ts";
 * const calctype = Math.random() < 0.5 ? "asymptotics" : "toybased";
 * upperLimit(model.observed, model, { calctype, ntoys: 100 }).obsLimit;
 * ```
 */
export function upperLimit(
  data: ArrayLike,
  model: Model,
  opts?: UpperLimitOptions,
): UpperLimitResult<AsymptoticResult | ToyLimitPoint>;
export function upperLimit(
  data: ArrayLike,
  model: Model,
  opts: UpperLimitOptions = {},
): UpperLimitResult<AsymptoticResult | ToyLimitPoint> {
  const {
    scan,
    level = 0.05,
    rtol = 1e-4,
    atol = 2e-12,
    poiRange,
    testStat = "qtilde",
    maxWiden = 64,
    maxRootIter = 100,
    onProgress,
    calctype = "asymptotics",
    ntoys,
    seed,
    batchSize,
    toyFits,
    onToyProgress,
    ...fitOpts
  } = opts;
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`upperLimit: level must be in (0, 1), got ${level}`);
  }
  if (testStat !== "qtilde" && testStat !== "q") {
    throw new RangeError(
      `upperLimit: testStat must be "qtilde" or "q", got ${JSON.stringify(testStat)}`,
    );
  }
  const poi = model.poiIndex;
  if (poi === null) throw new Error("upperLimit: the model has no parameter of interest");
  const evaluate: (mu: number) => AsymptoticResult | ToyLimitPoint = calctype === "toybased"
    ? toyLimitPoints(data, model, {
      ...fitOpts,
      testStat,
      ntoys,
      seed,
      batchSize,
      toyFits,
      onProgress: onToyProgress,
    })
    : asymptoticPoints(data, model, { ...fitOpts, testStat });
  const points = testedPoints(evaluate, onProgress, scan === undefined ? null : new Set(scan).size);
  if (scan !== undefined) return limitResult(points, scanLimits(points, scan, level));
  const range = bracket(points, poiRange ?? model.suggestedBounds[poi], level, maxWiden);
  return limitResult(points, rootLimits(points, range, level, { atol, rtol, maxRootIter }));
}

/**
 * The hypothesis tests of a limit search: each POI value is tested once, on first request
 * (`at`), and kept with the order of testing; `warnings` collects notes on the search.
 */
interface TestedPoints<R extends LimitPoint> {
  /** The test at `mu`, done now if it was not done yet. */
  at(mu: number): R;
  /** The tests done, by POI value (in order of testing). */
  readonly cache: Map<number, R>;
  /** The POI values tested, in order. */
  readonly tested: number[];
  /** Notes on the search (bracket widening, limits at a scan end, root finding stopped). */
  readonly warnings: string[];
}

/** An empty {@link TestedPoints} over `evaluate`, reporting (tests done, `total`) as it goes. */
function testedPoints<R extends LimitPoint>(
  evaluate: (mu: number) => R,
  onProgress: ((done: number, total: number | null) => void) | undefined,
  total: number | null,
): TestedPoints<R> {
  const cache = new Map<number, R>();
  const tested: number[] = [];
  const at = (mu: number): R => {
    let r = cache.get(mu);
    if (!r) {
      r = evaluate(mu);
      cache.set(mu, r);
      tested.push(mu);
      onProgress?.(tested.length, total);
    }
    return r;
  };
  return { at, cache, tested, warnings: [] };
}

/** The CLs curves whose limits are found: 0 = observed, 1..5 = the expected band. */
const CURVES = [0, 1, 2, 3, 4, 5];

/** CLs of curve `k` (see {@link CURVES}) at one tested point. */
function curveCls(r: LimitPoint, k: number): number {
  return k === 0 ? r.cls : r.expected.cls[k - 1];
}

/**
 * The limits of every curve by linear interpolation of CLs over `scan` (pyhf's `np.interp` on
 * the reversed arrays); a curve that does not cross `level` on the scan gets a scan end, and a
 * warning.
 */
function scanLimits<R extends LimitPoint>(
  points: TestedPoints<R>,
  scan: readonly number[],
  level: number,
): number[] {
  if (scan.length < 2 || !scan.every(Number.isFinite)) {
    throw new RangeError(`upperLimit: scan needs at least two finite POI values`);
  }
  const rs = scan.map((mu) => points.at(mu));
  const rev = [...scan].reverse();
  return CURVES.map((k) => {
    const ys = rs.map((r) => curveCls(r, k)).reverse();
    if (!ys.every((y) => y >= level) && !ys.every((y) => y < level)) {
      return interp(level, ys, rev);
    }
    points.warnings.push(
      `scan: the ${k === 0 ? "observed" : `expected (${N_SIGMA[k - 1]}σ shift)`} CLs does ${
        ys.every((y) => y >= level) ? "not fall below" : "not rise above"
      } ${level} on the scan; the limit is a scan end`,
    );
    return interp(level, ys, rev);
  });
}

/**
 * A search interval [lo, hi] where every curve is at or above `level` at lo and at or below it at
 * hi: as in pyhf, lo is halved while some CLs is below `level` there, and hi doubled while some is
 * above (at most `maxWiden` times each).
 */
function bracket<R extends LimitPoint>(
  points: TestedPoints<R>,
  range: readonly [number, number],
  level: number,
  maxWiden: number,
): [number, number] {
  let [lo, hi] = range;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new RangeError(`upperLimit: poiRange must be finite with lo < hi, got [${lo}, ${hi}]`);
  }
  const check = (mu: number) => {
    const vs = CURVES.map((k) => curveCls(points.at(mu), k));
    if (!vs.every(Number.isFinite)) {
      throw new Error(`upperLimit: CLs is not finite at POI = ${mu} (${vs.join(", ")})`);
    }
    return vs;
  };
  for (let i = 0; check(lo).some((v) => v < level); i++) {
    if (i >= maxWiden || lo === 0) {
      throw new Error(
        `upperLimit: CLs is below ${level} at the lower end of the search (POI = ${lo})`,
      );
    }
    lo /= 2;
    points.warnings.push(`lower end of the search halved to ${lo}`);
  }
  for (let i = 0; check(hi).some((v) => v > level); i++) {
    if (i >= maxWiden) {
      throw new Error(`upperLimit: CLs stays above ${level} up to POI = ${hi}`);
    }
    hi *= 2;
    points.warnings.push(`upper end of the search doubled to ${hi}`);
  }
  return [lo, hi];
}

/**
 * The limit of every curve by Brent's method on CLs(μ) − level, each started on the tightest
 * bracket among the points tested so far (pyhf's best_bracket), so that every curve reuses the
 * tests of the curves before it.
 */
function rootLimits<R extends LimitPoint>(
  points: TestedPoints<R>,
  [lo, hi]: [number, number],
  level: number,
  tol: { atol: number; rtol: number; maxRootIter: number },
): number[] {
  return CURVES.map((k) => {
    const f = (mu: number) => curveCls(points.at(mu), k) - level;
    let a = lo, fa = Infinity, b = hi, fb = -Infinity;
    for (const [mu, r] of points.cache) {
      const v = curveCls(r, k) - level;
      if (v >= 0 && v < fa) (a = mu), (fa = v);
      if (v < 0 && v > fb) (b = mu), (fb = v);
    }
    const root = brent(f, a, b, tol.atol, tol.rtol, tol.maxRootIter);
    if (!root.converged) {
      points.warnings.push(
        `root finding for limit ${k} stopped after ${root.iterations} iterations`,
      );
    }
    return root.x;
  });
}

/**
 * The {@link UpperLimitResult} of `limits` (observed, then the expected band) from the tests
 * done: the CLs curves sorted by μ, convergence and warnings of every fit.
 */
function limitResult<R extends LimitPoint>(
  points: TestedPoints<R>,
  limits: number[],
): UpperLimitResult<R> {
  const { tested, cache, warnings } = points;
  const results = tested.map((mu) => cache.get(mu)!);
  const converged = results.every((r) => r.converged);
  const fitWarnings = results.flatMap((r) => r.warnings);
  const order = tested.map((_, i) => i).sort((i, j) => tested[i] - tested[j]);
  return {
    obsLimit: limits[0],
    expLimits: limits.slice(1),
    tested,
    results,
    curve: {
      mu: order.map((i) => tested[i]),
      cls: order.map((i) => results[i].cls),
      clsExpected: order.map((i) => [...results[i].expected.cls]),
    },
    converged,
    warnings: [...new Set([...warnings, ...fitWarnings])],
  };
}

/** The asymptotic hypothesis test at each POI value (a FitError with `strict`). */
function asymptoticPoints(
  data: ArrayLike,
  model: Model,
  opts: CalculatorOptions,
): (mu: number) => AsymptoticResult {
  const calc = new AsymptoticCalculator(data, model, opts);
  return (mu) => {
    const r = calc.evaluate(mu);
    if (opts.strict && !r.converged) {
      throw new FitError(
        [r.observedFits.fixedFit, r.asimovFits.fixedFit, calc.freeFit, calc.asimovFreeFit]
          .find((f) => !f.converged) ?? r.observedFits.fixedFit,
      );
    }
    return r;
  };
}

/** Options of {@link discoverySignificance}: those of the fits (and warm starts). */
export type DiscoveryOptions = Omit<CalculatorOptions, "testStat">;

/** The outcome of {@link discoverySignificance}. */
export interface DiscoveryResult {
  /** The discovery test statistic on the data. */
  q0: number;
  /** Observed significance √q0. */
  z0: number;
  /** Observed p-value Φ(−Z0). */
  p0: number;
  /** Median expected significance (Asimov data at μ′ = 1). */
  z0Expected: number;
  /** Median expected p-value. */
  p0Expected: number;
  /** Expected p0 band (pyhf's order: shifts [2, 1, 0, −1, −2], so p0 ascends). */
  p0ExpectedSet: number[];
  /** Expected significance band, matching `p0ExpectedSet` (so Z0 descends). */
  z0ExpectedSet: number[];
  /** Everything the calculator computed (fits included). */
  detail: AsymptoticResult;
  /** Whether every fit converged. */
  converged: boolean;
  /** The fits' warnings. */
  warnings: string[];
}

/**
 * Discovery significance (pyhf's `hypotest(0, data, model, test_stat="q0")`): observed
 * Z0 = √q0 and p0 = Φ(−Z0), and the expected values from the Asimov dataset at μ′ = 1 with the
 * nuisance parameters of a fit with μ fixed at 1 to `data`.
 *
 * @example
 * ```ts
 * import { discoverySignificance } from "./mod.ts";
 * const d = discoverySignificance(model.observed, model);
 * console.log(d.z0, d.p0, d.z0Expected);
 * ```
 */
export function discoverySignificance(
  data: ArrayLike,
  model: Model,
  opts: DiscoveryOptions = {},
): DiscoveryResult {
  const calc = new AsymptoticCalculator(data, model, { ...opts, testStat: "q0" });
  const r = calc.evaluate(0);
  const fits = [r.observedFits.freeFit, r.observedFits.fixedFit, r.asimovFits.fixedFit];
  const bad = fits.find((f) => !f.converged);
  if (opts.strict && bad) throw new FitError(bad);
  const zSet = N_SIGMA.map((n) => n + r.sqrtqA);
  return {
    q0: r.q,
    z0: Math.sqrt(r.q),
    p0: r.clsb,
    z0Expected: zSet[2],
    p0Expected: r.expected.clsb[2],
    p0ExpectedSet: r.expected.clsb,
    z0ExpectedSet: zSet,
    detail: r,
    converged: r.converged,
    warnings: r.warnings,
  };
}
