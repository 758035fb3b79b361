/**
 * Many computations of `steps.ts` at once (the fits of toys): {@link runBatch} runs them in
 * lockstep and answers their pending requests of one kind — values, values and gradients, or
 * Hessians — with one vectorised call for all of them ({@link BatchObjective}). Each computation
 * takes exactly the steps it takes alone ({@link run} in `steps.ts`): same bounds, active sets,
 * kinks, damping and convergence criteria; only the evaluations are shared.
 *
 * {@link nllBatchObjective} is the batch of a model's NLL over the rows of a data matrix: `jit` of
 * `vmap` of the model's compiled NLL and gradient over (parameters `[k, P]`, data `[k, N]`), and
 * the structured Hessian with its term derivatives vectorised the same way. A group of k requests
 * is split into calls of 256, 64, 16, 4 and 1 points (at most `maxBatch`), largest first, a rest
 * of at least half a size padded up to it: each program is compiled for five sizes, not for every
 * k, and a call costs about as much as a few hundred rows.
 *
 * @module
 */
import { type Array, array } from "../core/mod.ts";
import { nllObjective } from "./fit.ts";
import type { Model } from "./model.ts";
import type { EvalKind, EvalRequest, EvalResult, Objective, Steps } from "./steps.ts";

/**
 * A family of objectives, one per row (dataset), evaluated many points at a time: `rows[i]` is
 * the objective of point i, the points are the rows of `xs` (`[k, P]`, row-major).
 */
export interface BatchObjective {
  /** Number of parameters P. */
  readonly nparams: number;
  /** f of each point. */
  values(rows: Int32Array, xs: Float64Array): Float64Array;
  /** f and ∇f (`[k, P]`) of each point. */
  valuesAndGrads(rows: Int32Array, xs: Float64Array): [Float64Array, Float64Array];
  /** ∇²f of each point (`[k, P, P]`). */
  hessians(rows: Int32Array, xs: Float64Array): Float64Array;
}

/** Options of {@link runBatch}. */
export interface RunBatchOptions {
  /**
   * Computations in flight at once (default 512): a finished one is replaced by the next, so
   * the groups stay large until the end. Each holds its own state (a P × P Hessian or two).
   */
  window?: number;
  /** Called when computation `i` has finished, with the number finished so far. */
  onDone?: (i: number, done: number) => void;
}

interface Task<T> {
  readonly index: number;
  readonly steps: Steps<T>;
  request: EvalRequest;
}

/**
 * Runs `count` computations (`make(i)` is the i-th, evaluated on row i of `objective`) to their
 * ends, answering their requests in groups: each round takes the kind of request most of them
 * are waiting for and answers all of those with one call. Returns their results in order. An
 * exception thrown by a computation ends the run.
 *
 * @example
 * ```ts
 * import { runBatch, nllBatchObjective } from "./batch.ts";
 * import { fitSteps, nllObjective } from "./fit.ts";
 * const obj = nllBatchObjective(model, toys); // toys: [T, nMain + nAux]
 * const fits = runBatch(toys.shape[0], (i) => fitSteps(toys.slice(i), model, {}, nllObjective(model, toys.slice(i))), obj);
 * ```
 */
export function runBatch<T>(
  count: number,
  make: (i: number) => Steps<T>,
  objective: BatchObjective,
  opts: RunBatchOptions = {},
): T[] {
  const window = Math.max(1, opts.window ?? 512);
  const results: T[] = new globalThis.Array(count);
  const pending: Record<EvalKind, Task<T>[]> = { value: [], valueAndGrad: [], hessian: [] };
  let next = 0, done = 0, inFlight = 0;
  const advance = (index: number, steps: Steps<T>, answer?: EvalResult) => {
    const r = answer === undefined ? steps.next() : steps.next(answer);
    if (r.done) {
      results[index] = r.value;
      inFlight--;
      opts.onDone?.(index, ++done);
      return false;
    }
    pending[r.value.kind].push({ index, steps, request: r.value });
    return true;
  };
  const start = () => {
    while (inFlight < window && next < count) {
      inFlight++;
      const i = next++;
      advance(i, make(i));
    }
  };
  start();
  const P = objective.nparams;
  while (inFlight > 0) {
    const kind = (["hessian", "valueAndGrad", "value"] as const).reduce((a, b) =>
      pending[b].length > pending[a].length ? b : a
    );
    const group = pending[kind];
    pending[kind] = [];
    const rows = Int32Array.from(group, (t) => t.index);
    const xs = new Float64Array(group.length * P);
    group.forEach((t, i) => xs.set(t.request.x, i * P));
    const answers = answer(kind, objective, rows, xs, group.length);
    group.forEach((t, i) => advance(t.index, t.steps, answers(i)));
    start();
  }
  return results;
}

/** Evaluates one group and returns the answer of its i-th request. */
function answer(
  kind: EvalKind,
  objective: BatchObjective,
  rows: Int32Array,
  xs: Float64Array,
  k: number,
): (i: number) => EvalResult {
  const P = objective.nparams;
  switch (kind) {
    case "value": {
      const v = objective.values(rows, xs);
      return (i) => ({ value: v[i] });
    }
    case "valueAndGrad": {
      const [v, g] = objective.valuesAndGrads(rows, xs);
      return (i) => ({ value: v[i], grad: g.subarray(i * P, (i + 1) * P) });
    }
    case "hessian": {
      const h = objective.hessians(rows, xs);
      if (h.length !== k * P * P) throw new Error("runBatch: wrong number of Hessian entries");
      // Views, not copies: the optimiser never writes into its gradients and Hessians.
      return (i) => ({ value: NaN, hessian: h.subarray(i * P * P, (i + 1) * P * P) });
    }
  }
}

/** Options of {@link nllBatchObjective}. */
export interface NllBatchOptions {
  /** Largest group evaluated in one call (default 256). */
  maxBatch?: number;
}

/**
 * The NLL of `model` for every row of `data` (`[T, nMain + nAux]`) as a {@link BatchObjective}:
 * one compiled, vectorised call per group of points (see the module doc). `objective(i)` is the
 * sequential objective of row i (for a Hessian read after a fit).
 *
 * @example
 * ```ts
 * import { nllBatchObjective } from "./batch.ts";
 * const obj = nllBatchObjective(model, toys);
 * obj.values(Int32Array.of(0, 1), Float64Array.from([...model.suggestedInit, ...model.suggestedInit]));
 * ```
 */
export function nllBatchObjective(
  model: Model,
  data: Array,
  opts: NllBatchOptions = {},
): BatchObjective & {
  objective(row: number): Objective;
  readonly rows: number;
  readonly notes: string[];
} {
  const N = model.nMain + model.nAux, P = model.npars;
  if (data.ndim !== 2 || data.shape[1] !== N) {
    throw new RangeError(`nllBatchObjective: data must be [T, ${N}], got [${data.shape}]`);
  }
  if (model.isTraced) {
    throw new TypeError("nllBatchObjective: the model's inputs are traced values");
  }
  const T = data.shape[0];
  const d = Float64Array.from(data.astype("float64").dataSync());
  const c = model.compiledBatch, inputs = model.programInputs;
  const notes: string[] = [];
  const single = (row: number) =>
    nllObjective(model, array(d.slice(row * N, (row + 1) * N), "float64"));
  const grouped = groupedCalls({ d, P, N }, Math.max(1, opts.maxBatch ?? 256), single, notes);
  return {
    nparams: P,
    rows: T,
    notes,
    values(rows, xs) {
      const out = new Float64Array(rows.length);
      grouped(
        rows,
        xs,
        (p, dd, at, n) => out.set((c.nll(p, dd, inputs) as Array).dataSync().subarray(0, n), at),
        (o, x, at) => (out[at] = o.value(x)),
      );
      return out;
    },
    valuesAndGrads(rows, xs) {
      const v = new Float64Array(rows.length), g = new Float64Array(rows.length * P);
      grouped(rows, xs, (p, dd, at, n) => {
        const [vv, gg] = c.nllValueAndGrad(p, dd, inputs) as [Array, Array];
        v.set(vv.dataSync().subarray(0, n), at);
        g.set(gg.dataSync().subarray(0, n * P), at * P);
      }, (o, x, at) => {
        const [vv, gg] = o.valueAndGrad(x);
        v[at] = vv;
        g.set(gg, at * P);
      });
      return [v, g];
    },
    hessians(rows, xs) {
      const out = new Float64Array(rows.length * P * P);
      grouped(
        rows,
        xs,
        (p, dd, at, n) =>
          out.set(model.structuredHessianBatch(p, dd).subarray(0, n * P * P), at * P * P),
        (o, x, at) => out.set(o.hessian(x), at * P * P),
      );
      return out;
    },
    objective: single,
  };
}

/** The data matrix's rows, flat (`d`), the number of parameters P and of data per row N. */
interface RowData {
  d: Float64Array;
  P: number;
  N: number;
}

/**
 * Evaluates the points `xs` (of the rows `rows`) by `f` on consecutive calls of the program sizes,
 * largest first (`f` gets the call's parameters `[k, P]` and data `[k, N]`, and stores the first
 * `n` answers from point `at` on); should a batched program fail, every row is evaluated alone
 * from then on (`one`) and the notes say so.
 */
type GroupedCalls = (
  rows: Int32Array,
  xs: Float64Array,
  f: (pars: Array, data: Array, at: number, n: number) => void,
  one: (o: Objective, x: Float64Array, at: number) => void,
) => void;

/** The {@link GroupedCalls} of `data`, calls of at most `maxBatch` points, `single` the fallback. */
function groupedCalls(
  data: RowData,
  maxBatch: number,
  single: (row: number) => Objective,
  notes: string[],
): GroupedCalls {
  const { P } = data;
  const sizes = callSizes(maxBatch);
  let batched = true;
  return (rows, xs, f, one) => {
    for (let at = 0; at < rows.length;) {
      if (!batched) {
        one(single(rows[at]), xs.slice(at * P, (at + 1) * P), at);
        at++;
        continue;
      }
      const left = rows.length - at;
      const k = callSize(sizes, left);
      const n = Math.min(k, left);
      try {
        const [pars, dataRows] = paddedGroup(data, rows, xs, at, n, k);
        f(pars, dataRows, at, n);
        at += n;
      } catch (e) {
        batched = false;
        notes.push(
          `the batched NLL programs failed (${
            (e as Error).message
          }); rows were evaluated one by one`,
        );
      }
    }
  };
}

/** The sizes programs are compiled for: `maxBatch`, then the powers of 4 below it, down to 1. */
function callSizes(maxBatch: number): number[] {
  const sizes = [maxBatch];
  for (let s = 4 ** Math.floor(Math.log(maxBatch) / Math.log(4)); s >= 1; s /= 4) {
    if (s < maxBatch) sizes.push(s);
  }
  return sizes;
}

/**
 * The size of the next call for `left` points. A call costs about as much as a few hundred rows:
 * a group at least half the next size up is padded to it rather than split into smaller calls.
 */
function callSize(sizes: number[], left: number): number {
  const up = sizes.findLast((s) => s >= left);
  return up !== undefined && 2 * left >= up ? up : sizes.find((s) => s <= left)!;
}

/**
 * The parameters `[k, P]` and data `[k, N]` of the `n` points from `at` on, padded to `k` by
 * repeating the last point.
 */
function paddedGroup(
  { d, P, N }: RowData,
  rows: Int32Array,
  xs: Float64Array,
  at: number,
  n: number,
  k: number,
): [Array, Array] {
  const px = new Float64Array(k * P), dx = new Float64Array(k * N);
  for (let i = 0; i < k; i++) {
    const j = at + Math.min(i, n - 1), r = rows[j];
    px.set(xs.subarray(j * P, (j + 1) * P), i * P);
    dx.set(d.subarray(r * N, (r + 1) * N), i * N);
  }
  return [array(px, "float64", { shape: [k, P] }), array(dx, "float64", { shape: [k, N] })];
}
