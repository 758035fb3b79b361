/**
 * Computations that ask for function evaluations instead of making them: generators that yield
 * an {@link EvalRequest} (the value, value and gradient, or Hessian of an objective at a point)
 * and receive the {@link EvalResult}.
 *
 * Why: the optimiser ({@link minimizeSteps} in `optimize.ts`), the fits and the test statistics
 * are written once, as such generators. {@link run} answers the requests from one
 * {@link Objective}, which is the ordinary sequential fit; `batch.ts` runs many generators in
 * lockstep and answers their pending requests of one kind with one vectorised, compiled call for
 * all of them (toys). Both take exactly the same steps, so both find the same minima.
 *
 * @module
 */

/** What the optimiser needs of the function: value, gradient and Hessian (row-major n × n). */
export interface Objective {
  /** f(x). */
  value(x: Float64Array): number;
  /** [f(x), ∇f(x)]. */
  valueAndGrad(x: Float64Array): [number, Float64Array];
  /** ∇²f(x), row-major. */
  hessian(x: Float64Array): Float64Array;
}

/** The kinds of evaluation a computation can ask for. */
export type EvalKind = "value" | "valueAndGrad" | "hessian";

/**
 * One evaluation asked for. `x` is not modified until the answer has been sent, so a driver may
 * read it lazily.
 */
export interface EvalRequest {
  /** What is wanted at `x`. */
  kind: EvalKind;
  /** The point. */
  x: Float64Array;
}

/** The answer to an {@link EvalRequest}: the fields its kind asks for. */
export interface EvalResult {
  /** f(x) (for `value` and `valueAndGrad`; NaN for `hessian`). */
  value: number;
  /** ∇f(x) (for `valueAndGrad`). */
  grad?: Float64Array;
  /** ∇²f(x), row-major (for `hessian`). */
  hessian?: Float64Array;
}

/** A computation returning `T` that asks for evaluations on the way. */
export type Steps<T> = Generator<EvalRequest, T, EvalResult>;

/**
 * f(x), asked for.
 *
 * @example
 * ```ts
 * import { value, type Steps } from "./steps.ts";
 * function* twice(x: Float64Array): Steps<number> {
 *   return 2 * (yield* value(x));
 * }
 * ```
 */
export function* value(x: Float64Array): Steps<number> {
  return (yield { kind: "value", x }).value;
}

/**
 * [f(x), ∇f(x)], asked for.
 *
 * @example
 * ```ts
 * import { valueAndGrad, type Steps } from "./steps.ts";
 * function* gradNorm(x: Float64Array): Steps<number> {
 *   const [, g] = yield* valueAndGrad(x);
 *   return Math.hypot(...g);
 * }
 * ```
 */
export function* valueAndGrad(x: Float64Array): Steps<[number, Float64Array]> {
  const r = yield { kind: "valueAndGrad", x };
  if (!r.grad) throw new Error("steps: a valueAndGrad request was answered without a gradient");
  return [r.value, r.grad];
}

/**
 * ∇²f(x), asked for.
 *
 * @example
 * ```ts
 * import { hessian, type Steps } from "./steps.ts";
 * function* curvature(x: Float64Array): Steps<number> {
 *   return (yield* hessian(x))[0];
 * }
 * ```
 */
export function* hessian(x: Float64Array): Steps<Float64Array> {
  const r = yield { kind: "hessian", x };
  if (!r.hessian) throw new Error("steps: a hessian request was answered without a Hessian");
  return r.hessian;
}

/**
 * Answers one request from `objective`.
 *
 * @example
 * ```ts
 * import { evaluate } from "./steps.ts";
 * const obj = {
 *   value: (x: Float64Array) => x[0] ** 2,
 *   valueAndGrad: (x: Float64Array): [number, Float64Array] => [x[0] ** 2, Float64Array.of(2 * x[0])],
 *   hessian: () => Float64Array.of(2),
 * };
 * evaluate(obj, { kind: "value", x: Float64Array.of(3) }); // { value: 9 }
 * ```
 */
export function evaluate(objective: Objective, req: EvalRequest): EvalResult {
  switch (req.kind) {
    case "value":
      return { value: objective.value(req.x) };
    case "valueAndGrad": {
      const [v, grad] = objective.valueAndGrad(req.x);
      return { value: v, grad };
    }
    case "hessian":
      return { value: NaN, hessian: objective.hessian(req.x) };
  }
}

/**
 * Runs a computation to its end, answering every request from `objective` as it comes (the
 * sequential driver; `batch.ts` has the batched one).
 *
 * @example
 * ```ts
 * import { run, value } from "./steps.ts";
 * const obj = {
 *   value: (x: Float64Array) => x[0] ** 2,
 *   valueAndGrad: (x: Float64Array): [number, Float64Array] => [x[0] ** 2, Float64Array.of(2 * x[0])],
 *   hessian: () => Float64Array.of(2),
 * };
 * console.log(run(value(Float64Array.of(3)), obj)); // 9
 * ```
 */
export function run<T>(steps: Steps<T>, objective: Objective): T {
  let r = steps.next();
  while (!r.done) r = steps.next(evaluate(objective, r.value));
  return r.value;
}
