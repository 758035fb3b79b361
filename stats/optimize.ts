/**
 * The optimiser: bounded minimisation of a smooth function given its value, gradient and Hessian,
 * on plain float64 numbers. It knows nothing about likelihoods; `stats/fit.ts` hands it the NLL
 * of a model. Kept a plain function of (objective, init) so that a fit can become the `solve`
 * of a `customRoot`, whose derivative comes from the optimality condition, not from these steps.
 *
 * Method: projected Newton with an active set and Levenberg–Marquardt damping.
 * - Active set: free parameters at a bound whose gradient pushes outwards are held there; the
 *   Newton system is solved on the others (the reduced Hessian, as in Bertsekas' projected
 *   Newton method).
 * - If the reduced Hessian is not positive definite, or the step does not decrease the function,
 *   λ·diag(max(|H_ii|, 1)) is added (λ grows ×10) until it does; λ shrinks after full steps, and
 *   whenever the reduced Hessian is positive definite its undamped Newton step is tried first, so
 *   the method ends with pure Newton steps and converges quadratically.
 * - Written as a computation that asks for its evaluations ({@link minimizeSteps}, `steps.ts`), so
 *   that many minimisations can share vectorised evaluations (`batch.ts`); {@link minimize} runs
 *   it on one objective.
 * - Each trial step is projected onto the box and backtracked (Armijo condition).
 * - Converged when the estimated distance to the minimum, EDM = ½ gᵀH⁻¹g on the free, inactive
 *   parameters, falls below `tol` (Minuit's criterion), or when all free parameters sit at bounds.
 *
 * Failure is reported (`converged: false`, a message and warnings), never hidden.
 *
 * @module
 */
import { choleskyFactor, choleskySolveNumbers } from "./dense.ts";
import { kinkBoxes } from "./kink_boxes.ts";
import {
  hessian as hessianAt,
  type Objective,
  run,
  type Steps,
  value as valueAt,
  valueAndGrad as valueAndGradAt,
} from "./steps.ts";

export type { Objective } from "./steps.ts";

/** Options of {@link minimize}. */
export interface MinimizeOptions {
  /** Lower bounds (default −∞). */
  lower?: ArrayLike<number>;
  /** Upper bounds (default +∞). */
  upper?: ArrayLike<number>;
  /** Parameters held at their initial values. */
  fixed?: ArrayLike<boolean>;
  /** Convergence threshold on the EDM, in units of f (default 1e-12). */
  tol?: number;
  /** Maximum Newton iterations (default 200). */
  maxIter?: number;
  /**
   * Per parameter, points where f is not twice differentiable (the kinks of piecewise
   * interpolations). They are treated like bounds: a step stops at a kink, and a parameter at a
   * kink moves to the side whose one-sided derivative descends, or stays there when neither does
   * (a minimum at the kink, reported in `atKink`). Without this, Newton steps oscillate across
   * the kink forever.
   */
  kinks?: readonly (readonly number[])[];
  /**
   * Newton–chord steps (default true): near the minimum (EDM < 1e-3 after a full, lightly damped step)
   * the next step reuses the Hessian instead of evaluating it again, at most 3 times in a row and
   * never when that step fails. The gradient is always exact, so the minimum is the same; the
   * Hessian of the result is evaluated afresh when it is first read.
   */
  reuseHessian?: boolean;
}

/** Result of {@link minimize}. */
export interface MinimizeResult {
  /** The minimiser. */
  x: Float64Array;
  /** f(x). */
  value: number;
  /** ∇f(x). */
  grad: Float64Array;
  /** ∇²f(x), row-major (evaluated when first read if the last steps reused an older one). */
  readonly hessian: Float64Array;
  /** Estimated distance to the minimum, ½ gᵀH⁻¹g on free inactive parameters (NaN if H is not PD). */
  edm: number;
  /** Free parameters held at a bound (or at a kink) at the end. */
  active: boolean[];
  /** Free parameters held at a kink at the end (a minimum where f is not differentiable). */
  atKink: boolean[];
  /** Newton iterations done. */
  iterations: number;
  /** Function evaluations (value only, value and gradient, Hessian). */
  evaluations: { value: number; gradient: number; hessian: number };
  /** True when a convergence criterion was met. */
  converged: boolean;
  /** How it ended. */
  message: string;
  /** Anything suspicious (damping at the end, non-positive-definite Hessian, ...). */
  warnings: string[];
}

/**
 * Minimises `objective` from `x0` within bounds (see the module doc for the method).
 *
 * @example
 * ```ts
 * import { minimize } from "./optimize.ts";
 * // f(x, y) = (x − 2)² + 10 (y + 1)², with x ≤ 1: minimum at (1, −1).
 * const r = minimize({
 *   value: ([x, y]) => (x - 2) ** 2 + 10 * (y + 1) ** 2,
 *   valueAndGrad: ([x, y]) => [(x - 2) ** 2 + 10 * (y + 1) ** 2, Float64Array.of(2 * (x - 2), 20 * (y + 1))],
 *   hessian: () => Float64Array.of(2, 0, 0, 20),
 * }, Float64Array.of(0, 0), { upper: [1, Infinity] });
 * console.log(r.x, r.converged); // [1, -1] true
 * ```
 */
export function minimize(
  objective: Objective,
  x0: ArrayLike<number>,
  opts: MinimizeOptions = {},
): MinimizeResult {
  return withLazyHessian(run(minimizeSteps(x0, opts), objective), objective);
}

/**
 * {@link minimize}'s result where the Hessian at the minimum is `null` when the last steps reused
 * an older one (Newton–chord): the form {@link minimizeSteps} returns, since a generator cannot
 * evaluate lazily.
 */
export type MinimizeOutcome = Omit<MinimizeResult, "hessian"> & { hessian: Float64Array | null };

/**
 * The outcome of {@link minimizeSteps} as a {@link MinimizeResult}: a Hessian missing at the
 * minimum is evaluated by `objective` when first read.
 *
 * @example
 * ```ts
 * import { minimizeSteps, withLazyHessian } from "./optimize.ts";
 * import { run } from "./steps.ts";
 * const r = withLazyHessian(run(minimizeSteps([0, 0]), objective), objective);
 * ```
 */
export function withLazyHessian(r: MinimizeOutcome, objective: Objective): MinimizeResult {
  let h = r.hessian;
  return {
    ...r,
    get hessian() {
      if (h === null) {
        h = objective.hessian(r.x);
        r.evaluations.hessian++;
      }
      return h;
    },
  };
}

/**
 * {@link minimize} as a computation that asks for its evaluations (see `steps.ts`): the one
 * implementation of the optimiser, run by `minimize` on one objective and by `batch.ts` on many
 * at once.
 *
 * @example
 * ```ts
 * import { minimizeSteps } from "./optimize.ts";
 * import { run } from "./steps.ts";
 * const r = run(minimizeSteps([0, 0], { upper: [1, Infinity] }), objective);
 * ```
 */
export function* minimizeSteps(
  x0: ArrayLike<number>,
  opts: MinimizeOptions = {},
): Steps<MinimizeOutcome> {
  const start = yield* startSearch(x0, opts);
  if (!Number.isFinite(start.f)) {
    const message = `the objective is not finite at the initial point (f = ${start.f})`;
    return outcome(start, null, { converged: false, message }, 0, NaN, []);
  }
  const H = yield* hessianAt(start.x);
  start.evals.hessian++;
  const s: Search = { ...start, H, stale: 0, lambda: 0, edm: NaN, active: [] };
  let end: Stop = {
    converged: false,
    message: `maximum number of iterations (${s.maxIter}) reached`,
  };
  let iterations = 0;
  for (; iterations < s.maxIter; iterations++) {
    const stop = yield* iteration(s);
    if (stop) {
      end = stop;
      if (stop.stepTaken) iterations++;
      break;
    }
  }
  return outcome(s, s.stale > 0 ? null : s.H, end, iterations, s.edm, s.active);
}

/** The settings of a minimisation, its point, f and ∇f there, and what it has counted so far. */
interface Start {
  /** Lower bounds. */
  readonly lower: Float64Array;
  /** Upper bounds. */
  readonly upper: Float64Array;
  /** Parameters held at their initial values. */
  readonly fixed: boolean[];
  /** Per parameter, the points where f is not twice differentiable. */
  readonly kinks: readonly (readonly number[])[];
  /** Whether any parameter has kinks (else the box is the bounds, always). */
  readonly hasKinks: boolean;
  /** Convergence threshold on the EDM. */
  readonly tol: number;
  /** Maximum Newton iterations. */
  readonly maxIter: number;
  /** Whether Newton–chord steps may reuse the Hessian. */
  readonly reuse: boolean;
  /** Lower ends of the box of the current iteration: the bounds, narrowed between kinks. */
  readonly lo: Float64Array;
  /** Upper ends of that box. */
  readonly hi: Float64Array;
  /** The current point (updated in place). */
  readonly x: Float64Array;
  /** f(x). */
  f: number;
  /** ∇f(x). */
  g: Float64Array;
  /** Free parameters held at a kink in the current iteration. */
  atKink: boolean[];
  /** Evaluations asked for so far. */
  readonly evals: { value: number; gradient: number; hessian: number };
  /** Warnings of the result. */
  readonly warnings: string[];
}

/**
 * The optimiser's state once the Hessian is known, shared by the steps of an iteration (one
 * object, so that what each step reads and changes is spelled out in its field names).
 */
interface Search extends Start {
  /** ∇²f at x, or at an earlier point after `stale` chord steps. */
  H: Float64Array;
  /** Consecutive chord steps since H was evaluated. */
  stale: number;
  /** Levenberg–Marquardt damping (0: none). */
  lambda: number;
  /** Estimated distance to the minimum at the last iteration (NaN if H was not PD there). */
  edm: number;
  /** Free parameters held at a bound (or at a kink) in the current iteration. */
  active: boolean[];
}

/** How a minimisation ended; `stepTaken` when the last iteration moved before stopping. */
interface Stop {
  converged: boolean;
  message: string;
  stepTaken?: boolean;
}

/** The Newton system on the free, inactive parameters `free`: their gradient and Hessian. */
interface ReducedSystem {
  free: number[];
  gI: Float64Array;
  HI: Float64Array;
}

/** A point the line search accepted: f there, ∇f when it was asked for, the step fraction t. */
interface AcceptedStep {
  xn: Float64Array;
  fn: number;
  gn: Float64Array | null;
  t: number;
}

/** The settings of `opts` with their defaults, the start clipped to the bounds, f and ∇f there. */
function* startSearch(x0: ArrayLike<number>, opts: MinimizeOptions): Steps<Start> {
  const n = x0.length;
  const lower = Float64Array.from({ length: n }, (_, i) => opts.lower?.[i] ?? -Infinity);
  const upper = Float64Array.from({ length: n }, (_, i) => opts.upper?.[i] ?? Infinity);
  const fixed = globalThis.Array.from({ length: n }, (_, i) => Boolean(opts.fixed?.[i]));
  const clipToBounds = (v: number, i: number) => Math.min(upper[i], Math.max(lower[i], v));
  const x = Float64Array.from(x0, (v, i) => (fixed[i] ? v : clipToBounds(v, i)));
  const kinks = opts.kinks ?? [];
  const evals = { value: 0, gradient: 0, hessian: 0 };
  const [f, g] = yield* valueAndGradAt(x);
  evals.gradient++;
  return {
    lower,
    upper,
    fixed,
    kinks,
    hasKinks: kinks.some((k) => k && k.length > 0),
    tol: opts.tol ?? 1e-12,
    maxIter: opts.maxIter ?? 200,
    reuse: opts.reuseHessian ?? true,
    lo: Float64Array.from(lower),
    hi: Float64Array.from(upper),
    x,
    f,
    g,
    atKink: fixed.map(() => false),
    evals,
    warnings: [],
  };
}

/**
 * One Newton iteration: the active set and the reduced system, the convergence tests, then a
 * damped, backtracked step (or a recovery when none decreases f). Null: go on iterating.
 */
function* iteration(s: Search): Steps<Stop | null> {
  if (s.hasKinks) s.atKink = yield* kinkBoxes(s);
  s.active = activeSet(s);
  const sys = reducedSystem(s);
  if (sys.free.length === 0) {
    s.edm = 0;
    return { converged: true, message: "every free parameter is at a bound or kink" };
  }
  if (!allFinite(sys.gI) || !allFinite(sys.HI)) {
    return { converged: false, message: "the gradient or Hessian is not finite" };
  }
  const newton = newtonStep(sys);
  s.edm = newton ? -0.5 * dot(sys.gI, newton.p) : NaN;
  if (newton && s.edm < s.tol) {
    if (s.stale > 0) yield* polish(s, sys.free, newton);
    return { converged: true, message: "converged (EDM below tolerance)" };
  }
  const step = yield* dampedSearch(s, sys, newton?.p ?? null);
  if (!step) return yield* afterFailedSearch(s, sys.free, newton?.p ?? null);
  const progress = yield* moveTo(s, step);
  return newton ? null : stalledWithoutCurvature(s, progress);
}

/** Free parameters at a bound whose gradient pushes outwards, and those held at a kink. */
function activeSet(s: Search): boolean[] {
  const { x, g, lo, hi } = s;
  return s.fixed.map((fx, i) =>
    !fx && (s.atKink[i] || (x[i] <= lo[i] && g[i] > 0) || (x[i] >= hi[i] && g[i] < 0))
  );
}

/** The gradient and Hessian restricted to the parameters neither fixed nor active. */
function reducedSystem(s: Search): ReducedSystem {
  const n = s.x.length;
  const free = [] as number[];
  for (let i = 0; i < n; i++) if (!s.fixed[i] && !s.active[i]) free.push(i);
  const m = free.length;
  const gI = Float64Array.from(free, (i) => s.g[i]);
  const HI = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) HI[a * m + b] = s.H[free[a] * n + free[b]];
  }
  return { free, gI, HI };
}

/** The undamped Newton step −H⁻¹g and the Cholesky factor of H, or null if H is not PD. */
function newtonStep(sys: ReducedSystem): { L: Float64Array; p: Float64Array } | null {
  const m = sys.free.length;
  const L = choleskyFactor(sys.HI, m);
  return L ? { L, p: descent(L, sys.gI, m) } : null;
}

/** The damped step −(H + λ·diag(max(|H_ii|, 1)))⁻¹g, or null if that matrix is not PD. */
function dampedStep(sys: ReducedSystem, lambda: number): Float64Array | null {
  const { HI } = sys, m = sys.free.length;
  const A = Float64Array.from(HI);
  for (let a = 0; a < m; a++) A[a * m + a] += lambda * Math.max(Math.abs(HI[a * m + a]), 1);
  const L = choleskyFactor(A, m);
  return L ? descent(L, sys.gI, m) : null;
}

/** −A⁻¹g from the Cholesky factor L of A. */
function descent(L: Float64Array, g: Float64Array, m: number): Float64Array {
  return choleskySolveNumbers(L, g, m).map((v) => -v);
}

/**
 * A step that decreases f: the Newton step first when H is positive definite again (damping kept
 * from earlier iterations would slow the end to linear convergence), then damped steps with λ
 * growing ×10 until one passes the line search. Null when λ exceeds 1e15 or 40 attempts fail.
 */
function* dampedSearch(
  s: Search,
  sys: ReducedSystem,
  newton: Float64Array | null,
): Steps<AcceptedStep | null> {
  let accepted: AcceptedStep | null = null;
  if (newton && s.lambda > 0) accepted = yield* lineSearch(s, newton, sys.free);
  for (let attempt = 0; attempt < 40 && !accepted; attempt++) {
    let p: Float64Array | null = null;
    if (s.lambda === 0 && newton) p = newton;
    else {
      if (s.lambda === 0) s.lambda = 1e-3;
      p = dampedStep(sys, s.lambda);
    }
    if (p) accepted = yield* lineSearch(s, p, sys.free);
    if (!accepted) {
      s.lambda = s.lambda === 0 ? 1e-3 : s.lambda * 10;
      if (s.lambda > 1e15) break;
    }
  }
  return accepted;
}

/**
 * Backtracking along `p` (Armijo). The full step asks for the gradient with the value: it is
 * usually accepted, and the next iteration needs that gradient.
 */
function* lineSearch(s: Search, p: Float64Array, free: number[]): Steps<AcceptedStep | null> {
  let t = 1;
  for (let k = 0; k < 30; k++, t *= 0.5) {
    const xn = trialPoint(s, free, p, t);
    let gdx = 0, moved = false;
    for (const i of free) {
      const dx = xn[i] - s.x[i];
      if (dx !== 0) moved = true;
      gdx += s.g[i] * dx;
    }
    if (!moved) return null;
    if (gdx >= 0) return null; // not a descent direction after projection: damp instead
    let fn: number, gn: Float64Array | null = null;
    if (k === 0) [fn, gn] = yield* gradientAt(s, xn);
    else {
      fn = yield* valueAt(xn);
      s.evals.value++;
    }
    if (Number.isFinite(fn) && fn <= s.f + 1e-4 * gdx) return { xn, fn, gn, t };
  }
  return null;
}

/** x + t·p on the free parameters, projected onto the box. */
function trialPoint(s: Search, free: number[], p: Float64Array, t: number): Float64Array {
  const xn = Float64Array.from(s.x);
  free.forEach((i, a) => (xn[i] = Math.min(s.hi[i], Math.max(s.lo[i], s.x[i] + t * p[a]))));
  return xn;
}

/**
 * When no step passed the line search: near the minimum, a full Newton step that shrinks the
 * gradient; else a fresh Hessian if the reused one may be what failed (both go on iterating);
 * else the end.
 */
function* afterFailedSearch(
  s: Search,
  free: number[],
  newton: Float64Array | null,
): Steps<Stop | null> {
  if (newton && Number.isFinite(s.edm) && s.edm < 1e-6) {
    if (yield* gradientShrinkingStep(s, free, newton)) return null;
  }
  if (s.stale > 0) {
    yield* refreshHessian(s);
    return null;
  }
  return noDecrease(s);
}

/**
 * Near the minimum f is flat to rounding, so the Armijo test cannot see progress; a full Newton
 * step is still taken when it shrinks the gradient (then EDM falls to `tol`). Returns whether it
 * was taken.
 */
function* gradientShrinkingStep(s: Search, free: number[], p: Float64Array): Steps<boolean> {
  const xn = trialPoint(s, free, p, 1);
  const [fn, gn] = yield* gradientAt(s, xn);
  const norm = (v: Float64Array) => Math.hypot(...free.map((i) => v[i]));
  if (!(Number.isFinite(fn) && norm(gn) < 0.5 * norm(s.g))) return false;
  s.x.set(xn);
  [s.f, s.g] = [fn, gn];
  yield* refreshHessian(s);
  return true;
}

/** Nothing decreases f: at a minimum up to rounding, or stuck on a kink / bad region. */
function noDecrease(s: Search): Stop {
  if (Number.isFinite(s.edm) && s.edm < 1e-6) {
    s.warnings.push(
      `stopped at EDM = ${s.edm.toExponential(2)} > tol = ${s.tol}: limited by rounding`,
    );
    return { converged: true, message: "converged (no further decrease possible; EDM small)" };
  }
  return { converged: false, message: `no step decreases the objective (EDM = ${s.edm})` };
}

/**
 * Moves to an accepted point: λ shrinks after a full step, ∇f is asked for if the line search did
 * not, and H is evaluated again unless a Newton–chord step may reuse it (near the minimum after a
 * full, lightly damped step, at most 3 times in a row). Returns the decrease of f and the largest
 * relative change of a parameter.
 */
function* moveTo(s: Search, step: AcceptedStep): Steps<{ df: number; maxStep: number }> {
  if (step.t === 1) s.lambda = s.lambda < 1e-9 ? 0 : s.lambda / 10;
  const df = s.f - step.fn;
  let maxStep = 0;
  for (let i = 0; i < s.x.length; i++) {
    maxStep = Math.max(maxStep, Math.abs(step.xn[i] - s.x[i]) / (1 + Math.abs(s.x[i])));
  }
  s.x.set(step.xn);
  if (step.gn) [s.f, s.g] = [step.fn, step.gn];
  else [s.f, s.g] = yield* gradientAt(s, s.x);
  if (s.reuse && step.t === 1 && s.lambda < 1e-2 && s.edm < 1e-3 && s.stale < 3) s.stale++;
  else yield* refreshHessian(s);
  return { df, maxStep };
}

/**
 * Without a positive-definite H the EDM is undefined (a flat direction makes H singular): the
 * end when the iterates have stopped, f and x no longer changing.
 */
function stalledWithoutCurvature(
  s: Search,
  progress: { df: number; maxStep: number },
): Stop | null {
  const stalled = progress.df <= 1e-15 * (1 + Math.abs(s.f)) && progress.maxStep < 1e-12;
  if (!stalled) return null;
  s.warnings.push("the Hessian is not positive definite at the minimum (a flat direction)");
  const message = "converged (steps and decrease vanished; Hessian not positive definite)";
  return { converged: true, message, stepTaken: true };
}

/**
 * After convergence on a reused Hessian, one more chord step (a gradient evaluation): the EDM
 * criterion read off an older Hessian is looser than Newton's quadratic finish, and this step
 * restores that accuracy. Kept only if f does not rise beyond rounding.
 */
function* polish(
  s: Search,
  free: number[],
  newton: { L: Float64Array; p: Float64Array },
): Steps<void> {
  const xn = trialPoint(s, free, newton.p, 1);
  const [fn, gn] = yield* gradientAt(s, xn);
  if (!(Number.isFinite(fn) && fn <= s.f + 1e-13 * (1 + Math.abs(s.f)))) return;
  s.x.set(xn);
  [s.f, s.g] = [fn, gn];
  const gI = Float64Array.from(free, (i) => s.g[i]);
  s.edm = 0.5 * dot(gI, choleskySolveNumbers(newton.L, gI, free.length));
}

/** [f(x), ∇f(x)], asked for and counted. */
function* gradientAt(s: Start, x: Float64Array): Steps<[number, Float64Array]> {
  const r = yield* valueAndGradAt(x);
  s.evals.gradient++;
  return r;
}

/** H evaluated afresh at the current point (ending a run of chord steps). */
function* refreshHessian(s: Search): Steps<void> {
  s.H = yield* hessianAt(s.x);
  s.evals.hessian++;
  s.stale = 0;
}

/** The result: `hessian` null when it is not at hand at the minimum (see {@link MinimizeOutcome}). */
function outcome(
  s: Start,
  hessian: Float64Array | null,
  end: Stop,
  iterations: number,
  edm: number,
  active: boolean[],
): MinimizeOutcome {
  if (!end.converged) s.warnings.push(end.message);
  return {
    x: s.x,
    value: s.f,
    // Copies of what a batched evaluation may have answered as views into a larger buffer,
    // which a result kept for long would otherwise hold on to.
    grad: own(s.g),
    hessian: hessian === null ? null : own(hessian),
    edm,
    active: active.length ? active : s.fixed.map(() => false),
    atKink: s.atKink,
    iterations,
    evaluations: s.evals,
    converged: end.converged,
    message: end.message,
    warnings: s.warnings,
  };
}

/** `a`, or a copy of it when it is a view into a larger buffer. */
function own(a: Float64Array): Float64Array {
  return a.byteLength === a.buffer.byteLength ? a : a.slice();
}

/** Whether every entry is finite (0·x is NaN exactly for x = ±∞ or NaN; a loop, not a callback each). */
function allFinite(a: Float64Array): boolean {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += 0 * a[i];
  return s === 0;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
