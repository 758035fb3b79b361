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
  const n = x0.length;
  const lower = Float64Array.from({ length: n }, (_, i) => opts.lower?.[i] ?? -Infinity);
  const upper = Float64Array.from({ length: n }, (_, i) => opts.upper?.[i] ?? Infinity);
  const fixed = globalThis.Array.from({ length: n }, (_, i) => Boolean(opts.fixed?.[i]));
  const tol = opts.tol ?? 1e-12;
  const maxIter = opts.maxIter ?? 200;
  const evals = { value: 0, gradient: 0, hessian: 0 };
  const warnings: string[] = [];
  const clip0 = (v: number, i: number) => Math.min(upper[i], Math.max(lower[i], v));
  // The box of the current iteration: the bounds, narrowed to the piece between kinks.
  const lo = Float64Array.from(lower), hi = Float64Array.from(upper);
  const clip = (v: number, i: number) => Math.min(hi[i], Math.max(lo[i], v));
  const kinks = opts.kinks ?? [];
  const hasKinks = kinks.some((k) => k && k.length > 0);
  let atKink: boolean[] = fixed.map(() => false);

  const reuse = opts.reuseHessian ?? true;
  let stale = 0; // consecutive chord steps since H was evaluated
  const x = Float64Array.from(x0, (v, i) => (fixed[i] ? v : clip0(v, i)));
  let [f, g] = yield* valueAndGradAt(x);
  evals.gradient++;
  let H: Float64Array | null = null; // null: not evaluated (an objective not finite at the start)
  if (!Number.isFinite(f)) {
    return finish(false, `the objective is not finite at the initial point (f = ${f})`, 0, NaN, []);
  }
  H = yield* hessianAt(x);
  evals.hessian++;

  let lambda = 0;
  let edm = NaN;
  let active: boolean[] = [];
  let iter = 0;
  let converged = false;
  let message = `maximum number of iterations (${maxIter}) reached`;

  for (; iter < maxIter; iter++) {
    if (hasKinks) atKink = yield* kinkBoxes();
    active = fixed.map((fx, i) =>
      !fx && (atKink[i] || (x[i] <= lo[i] && g[i] > 0) || (x[i] >= hi[i] && g[i] < 0))
    );
    const free = [] as number[];
    for (let i = 0; i < n; i++) if (!fixed[i] && !active[i]) free.push(i);
    const m = free.length;
    if (m === 0) {
      converged = true;
      message = "every free parameter is at a bound or kink";
      edm = 0;
      break;
    }
    const gI = Float64Array.from(free, (i) => g[i]);
    const HI = new Float64Array(m * m);
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < m; b++) HI[a * m + b] = H[free[a] * n + free[b]];
    }
    if (!allFinite(gI) || !allFinite(HI)) {
      message = "the gradient or Hessian is not finite";
      break;
    }
    const L0 = choleskyFactor(HI, m);
    let p0: Float64Array | null = null;
    if (L0) {
      p0 = choleskySolveNumbers(L0, gI, m).map((v) => -v);
      edm = -0.5 * dot(gI, p0);
      if (edm < tol) {
        converged = true;
        message = "converged (EDM below tolerance)";
        if (stale > 0) yield* polish(p0, free, L0);
        break;
      }
    } else {
      edm = NaN;
    }

    // Damped Newton step, projected and backtracked.
    let accepted: { xn: Float64Array; fn: number; gn: Float64Array | null; t: number } | null =
      null;
    if (p0 && lambda > 0) {
      // The Hessian is positive definite again: its Newton step first (damping kept from earlier
      // iterations would slow the end to linear convergence).
      accepted = yield* lineSearch(p0, free);
    }
    for (let attempt = 0; attempt < 40 && !accepted; attempt++) {
      let p: Float64Array | null = null;
      if (lambda === 0 && p0) p = p0;
      else {
        if (lambda === 0) lambda = 1e-3;
        const A = Float64Array.from(HI);
        for (let a = 0; a < m; a++) A[a * m + a] += lambda * Math.max(Math.abs(HI[a * m + a]), 1);
        const L = choleskyFactor(A, m);
        if (L) p = choleskySolveNumbers(L, gI, m).map((v) => -v);
      }
      if (p) accepted = yield* lineSearch(p, free);
      if (!accepted) {
        lambda = lambda === 0 ? 1e-3 : lambda * 10;
        if (lambda > 1e15) break;
      }
    }
    if (!accepted && p0 && Number.isFinite(edm) && edm < 1e-6) {
      // Near the minimum f is flat to rounding, so the Armijo test cannot see progress; a full
      // Newton step is still accepted when it shrinks the gradient (then EDM falls to `tol`).
      const xn = Float64Array.from(x);
      free.forEach((i, a) => (xn[i] = clip(x[i] + p0![a], i)));
      const [fn, gn] = yield* valueAndGradAt(xn);
      evals.gradient++;
      const norm = (v: Float64Array) => Math.hypot(...free.map((i) => v[i]));
      if (Number.isFinite(fn) && norm(gn) < 0.5 * norm(g)) {
        x.set(xn);
        [f, g] = [fn, gn];
        H = yield* hessianAt(x);
        evals.hessian++;
        stale = 0;
        continue;
      }
    }
    if (!accepted && stale > 0) {
      // The reused Hessian may be what failed: evaluate it here and try again.
      H = yield* hessianAt(x);
      evals.hessian++;
      stale = 0;
      continue;
    }
    if (!accepted) {
      // Nothing decreases f: at a minimum up to rounding, or stuck on a kink / bad region.
      if (Number.isFinite(edm) && edm < 1e-6) {
        converged = true;
        message = "converged (no further decrease possible; EDM small)";
        warnings.push(
          `stopped at EDM = ${edm.toExponential(2)} > tol = ${tol}: limited by rounding`,
        );
      } else {
        message = `no step decreases the objective (EDM = ${edm})`;
      }
      break;
    }
    if (accepted.t === 1) lambda = lambda < 1e-9 ? 0 : lambda / 10;
    const df = f - accepted.fn;
    let maxStep = 0;
    for (let i = 0; i < n; i++) {
      maxStep = Math.max(maxStep, Math.abs(accepted.xn[i] - x[i]) / (1 + Math.abs(x[i])));
    }
    x.set(accepted.xn);
    if (accepted.gn) [f, g] = [accepted.fn, accepted.gn];
    else {
      [f, g] = yield* valueAndGradAt(x);
      evals.gradient++;
    }
    if (reuse && accepted.t === 1 && lambda < 1e-2 && edm < 1e-3 && stale < 3) stale++;
    else {
      H = yield* hessianAt(x);
      evals.hessian++;
      stale = 0;
    }
    if (!L0 && df <= 1e-15 * (1 + Math.abs(f)) && maxStep < 1e-12) {
      // A flat direction makes H singular, so the EDM is undefined; the iterates have stopped.
      converged = true;
      message = "converged (steps and decrease vanished; Hessian not positive definite)";
      warnings.push("the Hessian is not positive definite at the minimum (a flat direction)");
      iter++;
      break;
    }
  }
  return finish(converged, message, iter, edm, active);

  /**
   * After convergence on a reused Hessian, one more chord step (a gradient evaluation): the EDM
   * criterion read off an older Hessian is looser than Newton's quadratic finish, and this step
   * restores that accuracy. Kept only if f does not rise beyond rounding.
   */
  function* polish(p: Float64Array, free: number[], L: Float64Array): Steps<void> {
    const xn = Float64Array.from(x);
    free.forEach((i, a) => (xn[i] = clip(x[i] + p[a], i)));
    const [fn, gn] = yield* valueAndGradAt(xn);
    evals.gradient++;
    if (!(Number.isFinite(fn) && fn <= f + 1e-13 * (1 + Math.abs(f)))) return;
    x.set(xn);
    [f, g] = [fn, gn];
    const gI = Float64Array.from(free, (i) => g[i]);
    edm = 0.5 * dot(gI, choleskySolveNumbers(L, gI, free.length));
  }

  /**
   * Narrows [lo, hi] to the piece between kinks holding each free parameter; a parameter sitting
   * on a kink gets the side whose one-sided derivative descends (and that derivative in g), or is
   * held there when neither side descends. Returns which parameters are held at a kink.
   */
  function* kinkBoxes(): Steps<boolean[]> {
    const held = fixed.map(() => false);
    const on: number[] = [];
    for (let i = 0; i < n; i++) {
      lo[i] = lower[i], hi[i] = upper[i];
      if (fixed[i] || !kinks[i]?.length) continue;
      for (const c of kinks[i]) {
        if (x[i] === c) on.push(i);
        else if (c < x[i]) lo[i] = Math.max(lo[i], c);
        else hi[i] = Math.min(hi[i], c);
      }
    }
    if (on.length === 0) return held;
    // One-sided derivatives: the gradient just right and just left of every kink at once (the
    // partial derivative in α_i depends on the side of α_i only, up to O(δ)).
    function* side(sign: number): Steps<Float64Array> {
      const xs = Float64Array.from(x);
      for (const i of on) xs[i] = x[i] + sign * 1e-9 * Math.max(1, Math.abs(x[i]));
      evals.gradient++;
      return (yield* valueAndGradAt(xs))[1];
    }
    const gR = yield* side(1), gL = yield* side(-1);
    for (const i of on) {
      const c = x[i];
      const next = kinks[i].find((k) => k > c) ?? Infinity;
      const prev = [...kinks[i]].reverse().find((k) => k < c) ?? -Infinity;
      if (gR[i] < 0 && c < upper[i]) {
        lo[i] = c, hi[i] = Math.min(upper[i], next), g[i] = gR[i];
      } else if (gL[i] > 0 && c > lower[i]) {
        lo[i] = Math.max(lower[i], prev), hi[i] = c, g[i] = gL[i];
      } else {
        held[i] = true; // a minimum in α_i at the kink (or a bound there)
        lo[i] = hi[i] = c;
      }
    }
    return held;
  }

  /**
   * Backtracking along `p` (Armijo). The full step asks for the gradient with the value: it is
   * usually accepted, and the next iteration needs that gradient.
   */
  function* lineSearch(
    p: Float64Array,
    free: number[],
  ): Steps<{ xn: Float64Array; fn: number; gn: Float64Array | null; t: number } | null> {
    let t = 1;
    for (let k = 0; k < 30; k++, t *= 0.5) {
      const xn = Float64Array.from(x);
      let gdx = 0, moved = false;
      free.forEach((i, a) => {
        xn[i] = clip(x[i] + t * p[a], i);
        const dx = xn[i] - x[i];
        if (dx !== 0) moved = true;
        gdx += g[i] * dx;
      });
      if (!moved) return null;
      if (gdx >= 0) return null; // not a descent direction after projection: damp instead
      let fn: number, gn: Float64Array | null = null;
      if (k === 0) {
        [fn, gn] = yield* valueAndGradAt(xn);
        evals.gradient++;
      } else {
        fn = yield* valueAt(xn);
        evals.value++;
      }
      if (Number.isFinite(fn) && fn <= f + 1e-4 * gdx) return { xn, fn, gn, t };
    }
    return null;
  }

  function finish(
    ok: boolean,
    msg: string,
    iterations: number,
    e: number,
    act: boolean[],
  ): MinimizeOutcome {
    if (!ok) warnings.push(msg);
    return {
      x,
      value: f,
      // Copies of what a batched evaluation may have answered as views into a larger buffer,
      // which a result kept for long would otherwise hold on to.
      grad: own(g),
      hessian: stale > 0 || H === null ? null : own(H),
      edm: e,
      active: act.length ? act : fixed.map(() => false),
      atKink,
      iterations,
      evaluations: evals,
      converged: ok,
      message: msg,
      warnings,
    };
  }
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
