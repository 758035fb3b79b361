/**
 * Fits and test statistics of many datasets at once (pseudo-experiments): {@link fitBatch} and
 * {@link testStatisticBatch} run the computations of {@link fit} and {@link testStatistic} for
 * every row of a data matrix in lockstep (`batch.ts`), each NLL evaluation shared by all rows
 * that ask for it in one vectorised, compiled call. Results are those of the sequential
 * functions row by row (same steps, same minima, same convergence flags).
 *
 * @module
 */
import type { Array } from "../core/mod.ts";
import { nllBatchObjective, runBatch } from "./batch.ts";
import { type FitContext, type FitOptions, type FitResult, fitSteps } from "./fit.ts";
import type { Model } from "./model.ts";
import type { Steps } from "./steps.ts";
import {
  checkTestStat,
  type TestStatDetail,
  testStatisticSteps,
  type TestStatName,
  type TestStatOptions,
} from "./teststat.ts";

/** Options of the batched fits: how the rows are scheduled and evaluated. */
export interface BatchOptions {
  /** Largest group of points evaluated in one call (default 256). */
  maxBatch?: number;
  /** Rows fitted at once (default 512; see `RunBatchOptions.window`). */
  window?: number;
  /** Called as rows finish, with (rows done, rows). */
  onProgress?: (done: number, total: number) => void;
}

function contexts(model: Model, data: Array, opts: BatchOptions) {
  if (data.ndim !== 2) {
    throw new RangeError(
      `batched fits: data must be [rows, ${model.nMain + model.nAux}], got [${data.shape}]`,
    );
  }
  const objective = nllBatchObjective(model, data, opts);
  const T = data.shape[0];
  const ctx = (i: number): FitContext => ({
    notes: objective.notes,
    hessian: (x) => objective.objective(i).hessian(x),
  });
  const run = { window: opts.window, onDone: (_: number, n: number) => opts.onProgress?.(n, T) };
  return { objective, T, ctx, run };
}

/**
 * {@link fit} of every row of `data` (`[T, nMain + nAux]`), the fits run in lockstep with shared,
 * vectorised NLL evaluations.
 *
 * @example
 * ```ts
 * import { fitBatch } from "./fit_batch.ts";
 * const fits = fitBatch(toys, model); // toys: [T, nMain + nAux]
 * console.log(fits.map((f) => f.twiceNll));
 * ```
 */
export function fitBatch(
  data: Array,
  model: Model,
  opts: FitOptions = {},
  batch: BatchOptions = {},
): FitResult[] {
  const { objective, T, ctx, run } = contexts(model, data, batch);
  const rows = (i: number) => data.slice(i);
  return runBatch(T, (i) => fitSteps(rows(i), model, opts, ctx(i)), objective, run);
}

/**
 * {@link testStatistic} on every row of `data` (`[T, nMain + nAux]`): the free and the fixed-POI
 * fit of each row, run in lockstep with shared, vectorised NLL evaluations.
 *
 * @example
 * ```ts
 * import { testStatisticBatch } from "./fit_batch.ts";
 * const qs = testStatisticBatch("qmutilde", 1, toys, model).map((d) => d.value);
 * ```
 */
export function testStatisticBatch(
  name: TestStatName,
  poiValue: number,
  data: Array,
  model: Model,
  opts: TestStatOptions = {},
  batch: BatchOptions = {},
): TestStatDetail[] {
  return testStatisticBatchMap(name, poiValue, data, model, opts, batch, (d) => d);
}

/**
 * {@link testStatisticBatch} keeping only `map(detail, row)` of each row, so that the fits of
 * rows already done are not held in memory (10⁴ toys).
 *
 * @example
 * ```ts
 * import { testStatisticBatchMap } from "./fit_batch.ts";
 * const qs = testStatisticBatchMap("qmutilde", 1, toys, model, {}, {}, (d) => d.value);
 * ```
 */
export function testStatisticBatchMap<U>(
  name: TestStatName,
  poiValue: number,
  data: Array,
  model: Model,
  opts: TestStatOptions,
  batch: BatchOptions,
  map: (d: TestStatDetail, row: number) => U,
): U[] {
  checkTestStat(name, poiValue, model);
  if (opts.freeFit) {
    throw new RangeError("testStatisticBatch: freeFit is one fit, not one per row; leave it out");
  }
  const { objective, T, ctx, run } = contexts(model, data, batch);
  const rows = (i: number) => data.slice(i);
  function* steps(i: number): Steps<U> {
    return map(yield* testStatisticSteps(name, poiValue, rows(i), model, opts, ctx(i)), i);
  }
  return runBatch(T, steps, objective, run);
}
