/**
 * Test statistics of many toys by quasi-Newton fits from a shared Hessian (`quasi_newton.ts`):
 * the free fits of all toys start from the expected Hessian at the toys' generating parameters,
 * and each fixed-POI fit from its own free fit's final approximation, reduced (its start is the
 * conditional minimum that approximation predicts). Each toy's statistic is what `testStatistic`
 * gives (the same minima, the same clipping); a toy whose fits do not converge so is left to the
 * caller, which refits it with the Newton fitter. The fixed-POI fit is skipped where the statistic
 * is 0 whatever it finds (qμ with μ̂ > μ, q0 with μ̂ < 0).
 *
 * @module
 */
import { type Array, array } from "../core/mod.ts";
import { nllBatchObjective } from "./batch.ts";
import { fixInInverses, quasiNewtonBatch, type QuasiNewtonResult } from "./quasi_newton.ts";
import { type FitOptions, numbers, resolveFixed } from "./fit.ts";
import type { Model } from "./model.ts";
import type { TestStatName } from "./teststat.ts";

/** What {@link quasiNewtonTestStatistics} returns, per toy. */
export interface QuasiNewtonTestStatistics {
  /** The statistic (NaN where `converged` is 0). */
  values: Float64Array;
  /** 1 where both fits converged (the value is final). */
  converged: Uint8Array;
  /** Gradient evaluations over all fits (for benchmarks). */
  evaluations: number;
}

/**
 * The statistic `name` at POI `poiValue` of every row of `toys` (`[T, nMain + nAux]`) drawn at
 * parameters `genPars`, fitted with `opts`' init, bounds, fixed parameters and tolerance.
 * `onProgress` is called after each window of toys with the number whose statistic is final.
 *
 * @example
 * ```ts ignore
 * import { quasiNewtonTestStatistics } from "./toy_teststat.ts";
 * const { values, converged } = quasiNewtonTestStatistics("qmutilde", 1, toys, model, {}, genPars);
 * ```
 */
export function quasiNewtonTestStatistics(
  name: TestStatName,
  poiValue: number,
  toys: Array,
  model: Model,
  opts: FitOptions,
  genPars: readonly number[],
  onProgress?: (settled: number) => void,
  freeFits?: FreeFitCache,
): QuasiNewtonTestStatistics {
  const P = model.npars, T = toys.shape[0], poi = model.poiIndex!;
  const objective = nllBatchObjective(model, toys, { maxBatch: 1024 });
  const bounds = opts.bounds ?? model.suggestedBounds;
  const lower = bounds.map((b) => b[0]), upper = bounds.map((b) => b[1]);
  const fixed = resolveFixed(model, opts.fixed);
  const fixedPoi = [...fixed];
  fixedPoi[poi] = true;
  // The free fits start where the toys were drawn (their minima scatter around it), unless told.
  const init = numbers(opts.init ?? genPars, P, "toy fits: init");
  // The expected Hessians (Fisher information, positive definite) at the generating point with
  // the POI where each fit puts it: the toys' mean Hessian near their minima.
  const hessianAt = (mu: number) => {
    const at = [...genPars];
    at[poi] = Math.min(upper[poi], Math.max(lower[poi], mu));
    const x = array(at, "float64");
    return model.structuredHessian(x, model.expectedData(x));
  };
  const hFree = hessianAt(genPars[poi]), hFixed = hessianAt(poiValue);
  const common = { objective, lower, upper, tol: opts.tol };
  const values = new Float64Array(T).fill(NaN), converged = new Uint8Array(T);
  let evaluations = 0;
  const sum = (a: Int32Array) => a.reduce((x, y) => x + y, 0);
  // Windows of toys: each fit holds a P × P matrix per toy.
  for (let from = 0; from < T; from += WINDOW) {
    const k = Math.min(WINDOW, T - from);
    const x0 = new Float64Array(k * P);
    for (let i = 0; i < k; i++) x0.set(init, i * P);
    const rows = Int32Array.from({ length: k }, (_, i) => from + i);
    let cached = freeFits?.get(from);
    if (!cached) {
      const free = quasiNewtonBatch({ ...common, fixed, rows, x0, hessian: hFree });
      evaluations += sum(free.evaluations);
      // Each fixed-POI fit starts at its conditional minimum predicted by the free fit's
      // approximation of the inverse Hessian, which (reduced: in place) is also its starting
      // matrix; neither depends on the tested μ.
      cached = { free, slopes: fixInInverses(free.inverses, P, poi) };
      freeFits?.set(from, cached);
    }
    const { free, slopes } = cached;
    // The rows whose statistic needs the fixed-POI fit; the others are 0 whatever it finds.
    const need: number[] = [];
    for (let i = 0; i < k; i++) {
      if (!free.converged[i]) continue;
      const muhat = free.x[i * P + poi];
      const zero = name === "qmu" || name === "qmutilde"
        ? muhat > poiValue
        : name === "q0"
        ? muhat < poiValue
        : false;
      if (zero) {
        values[from + i] = 0;
        converged[from + i] = 1;
      } else need.push(i);
    }
    if (need.length > 0) {
      const inverses = new Float64Array(need.length * P * P),
        start = new Float64Array(need.length * P);
      need.forEach((i, j) => {
        inverses.set(free.inverses.subarray(i * P * P, (i + 1) * P * P), j * P * P);
        const dmu = poiValue - free.x[i * P + poi];
        for (let q = 0; q < P; q++) {
          start[j * P + q] = free.x[i * P + q] + (fixedPoi[q] ? 0 : slopes[i * P + q] * dmu);
        }
        start[j * P + poi] = poiValue;
      });
      const cond = quasiNewtonBatch({
        ...common,
        fixed: fixedPoi,
        rows: Int32Array.from(need, (i) => from + i),
        x0: start,
        hessian: hFixed,
        inverses,
      });
      evaluations += sum(cond.evaluations);
      need.forEach((i, j) => {
        if (!cond.converged[j]) return;
        values[from + i] = Math.max(2 * (cond.value[j] - free.value[i]), 0);
        converged[from + i] = 1;
      });
    }
    let settled = 0;
    for (let i = 0; i < k; i++) settled += converged[from + i];
    onProgress?.(settled);
  }
  return { values, converged, evaluations };
}

/** Toys fitted at once. */
const WINDOW = 1024;

/**
 * The free fits of a set of toys by window (its first row), with the slopes of the conditional
 * starts: they do not depend on the tested μ, so the same toys tested at another μ (the
 * background-only toys of an upper-limit scan) reuse them.
 */
export type FreeFitCache = Map<number, { free: QuasiNewtonResult; slopes: Float64Array }>;
