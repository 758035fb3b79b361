/**
 * Many bounded minimisations at once from one shared Hessian: the fits of toys. Every row starts
 * with the same inverse Hessian H₀⁻¹ (H₀: the Hessian at the toys' generating parameters on their
 * expected data) and refines its own copy by BFGS updates from the gradients it meets, so a step
 * costs one gradient and O(P²) arithmetic — no Hessian per toy — and all rows' gradients come from
 * one vectorised call per round. Toys scatter around the point where H₀ was taken, so the start is
 * good and the updates make the convergence superlinear; the gradient is exact, so the minimum is
 * the exact one (same criterion as the Newton fitter: EDM = ½ gᵀH⁻¹g below `tol`, here with the
 * row's approximation of H⁻¹).
 *
 * Bounds: free parameters at a bound whose gradient points outwards are held there; the step
 * uses the inverse of the Hessian reduced to the others, the Schur complement of the row's
 * approximation (B_FF − B_FA B_AA⁻¹ B_AF). A step that does not decrease f is cut (×¼). Rows that
 * do not converge within `maxIter` rounds are reported (`converged` 0): the caller refits them with
 * the exact Newton fitter, so no toy's answer depends on this shortcut having worked.
 *
 * @module
 */
import type { BatchObjective } from "./batch.ts";
import { invertSymmetric } from "./dense.ts";

/** A problem for {@link quasiNewtonBatch}. */
export interface QuasiNewtonProblem {
  /** The objectives (one per data row), evaluated many points at a time. */
  objective: BatchObjective;
  /** Data rows of the minimisations (k of them). */
  rows: Int32Array;
  /** Starting points, `[k, P]` row-major. */
  x0: Float64Array;
  /** The shared Hessian H₀ (`[P, P]` row-major, positive definite on the free parameters). */
  hessian: Float64Array;
  /** Lower bounds. */
  lower: readonly number[];
  /** Upper bounds. */
  upper: readonly number[];
  /** Parameters held at their starting values. */
  fixed: readonly boolean[];
  /** EDM threshold (default 1e-12, as the Newton fitter). */
  tol?: number;
  /** Rounds before a row is given up (default 50). */
  maxIter?: number;
  /**
   * Each row's starting approximation of the inverse Hessian (`[k, P, P]`, zero rows and columns
   * for fixed parameters), e.g. a previous fit's {@link QuasiNewtonResult.inverses}; default H₀⁻¹.
   */
  inverses?: Float64Array;
}

/** What {@link quasiNewtonBatch} returns, per row. */
export interface QuasiNewtonResult {
  /** Minimisers, `[k, P]`. */
  x: Float64Array;
  /** f at the minimisers. */
  value: Float64Array;
  /** 1 where the row converged. */
  converged: Uint8Array;
  /** Gradient evaluations of each row. */
  evaluations: Int32Array;
  /** Each row's final approximation of the inverse Hessian (`[k, P, P]`). */
  inverses: Float64Array;
}

/**
 * Minimises every row of `p` (see the module doc).
 *
 * @example
 * ```ts ignore
 * import { quasiNewtonBatch } from "./quasi_newton.ts";
 * const r = quasiNewtonBatch({ objective, rows, x0, hessian, lower, upper, fixed });
 * console.log(r.value, r.converged);
 * ```
 */
export function quasiNewtonBatch(p: QuasiNewtonProblem): QuasiNewtonResult {
  const P = p.objective.nparams, k = p.rows.length;
  const tol = p.tol ?? 1e-12, maxIter = p.maxIter ?? 50;
  const out: QuasiNewtonResult = {
    // Free parameters start inside the bounds; fixed ones stay (as the Newton fitter).
    x: Float64Array.from(p.x0, (v, i) => clip(p, i % P, v)),
    value: new Float64Array(k).fill(NaN),
    converged: new Uint8Array(k),
    evaluations: new Int32Array(k),
    inverses: p.inverses ?? new Float64Array(k * P * P),
  };
  const h0 = initialInverse(p.hessian, P, p.fixed);
  if (h0 === null) return out;
  if (!p.inverses) { for (let r = 0; r < k; r++) out.inverses.set(h0, r * P * P); }
  const prevX = new Float64Array(k * P), prevG = new Float64Array(k * P);
  const step = new Float64Array(k * P);
  const prevF = new Float64Array(k).fill(Infinity), scale = new Float64Array(k).fill(1);
  const state = new Uint8Array(k).fill(RUNNING);
  const scratch = new Scratch(P);
  let running = Int32Array.from({ length: k }, (_, i) => i);
  while (running.length > 0) {
    const xs = new Float64Array(running.length * P);
    running.forEach((r, i) => xs.set(out.x.subarray(r * P, (r + 1) * P), i * P));
    const [fs, gs] = p.objective.valuesAndGrads(running.map((r) => p.rows[r]), xs);
    const next: number[] = [];
    running.forEach((r, i) => {
      const f = fs[i];
      const x = out.x.subarray(r * P, (r + 1) * P), d = step.subarray(r * P, (r + 1) * P);
      const x1 = prevX.subarray(r * P, (r + 1) * P), g1 = prevG.subarray(r * P, (r + 1) * P);
      out.evaluations[r]++;
      if (!(f <= prevF[r] + 1e-10 * Math.max(1, Math.abs(prevF[r])))) {
        // No decrease (or not finite): cut the last step and evaluate again.
        scale[r] /= 4;
        if (prevF[r] === Infinity || scale[r] < 1e-6) return void (state[r] = FAILED);
        for (let j = 0; j < P; j++) x[j] = clip(p, j, x1[j] + scale[r] * d[j]);
        next.push(r);
        return;
      }
      out.value[r] = f;
      if (out.evaluations[r] > maxIter) return void (state[r] = FAILED);
      const g = gs.subarray(i * P, (i + 1) * P);
      const B = out.inverses.subarray(r * P * P, (r + 1) * P * P);
      if (prevF[r] !== Infinity) bfgsUpdate(B, x, x1, g, g1, p.fixed, scratch);
      let edm = newtonStep(B, x, g, p, d, scratch);
      if (edm === null || edm < 0) {
        // The approximation lost its positive definiteness: start it again from H₀⁻¹.
        B.set(h0);
        edm = newtonStep(B, x, g, p, d, scratch);
        if (edm === null || edm < 0) return void (state[r] = FAILED);
      }
      if (edm < tol) return void (state[r] = CONVERGED);
      x1.set(x);
      g1.set(g);
      prevF[r] = f;
      scale[r] = 1;
      for (let j = 0; j < P; j++) x[j] = clip(p, j, x1[j] + d[j]);
      next.push(r);
    });
    running = Int32Array.from(next);
  }
  for (let r = 0; r < k; r++) out.converged[r] = state[r] === CONVERGED ? 1 : 0;
  return out;
}

/**
 * Fixes parameter `q` in inverse-Hessian approximations (`[k, P, P]`, in place): each becomes the
 * inverse of its Hessian reduced to the other parameters (the Schur complement
 * B − B[:, q] B[q, :] / B[q, q]), and returns, per row, B[:, q] / B[q, q] — how the minimum of the
 * others moves per unit of parameter q (for the conditional start of a fixed-POI fit).
 *
 * @example
 * ```ts ignore
 * import { fixInInverses } from "./quasi_newton.ts";
 * const slopes = fixInInverses(free.inverses, P, poi);
 * ```
 */
export function fixInInverses(inverses: Float64Array, P: number, q: number): Float64Array {
  const k = inverses.length / (P * P), slopes = new Float64Array(k * P);
  for (let r = 0; r < k; r++) {
    const B = inverses.subarray(r * P * P, (r + 1) * P * P), bqq = B[q * P + q];
    if (!(bqq > 0)) continue;
    const bq = B.slice(q * P, (q + 1) * P);
    for (let i = 0; i < P; i++) slopes[r * P + i] = bq[i] / bqq;
    for (let i = 0; i < P; i++) {
      const si = slopes[r * P + i], row = i * P;
      if (si === 0) continue;
      for (let j = 0; j < P; j++) B[row + j] -= si * bq[j];
    }
    for (let j = 0; j < P; j++) B[q * P + j] = B[j * P + q] = 0;
  }
  return slopes;
}

function clip(p: QuasiNewtonProblem, j: number, v: number): number {
  return p.fixed[j] ? v : Math.min(p.upper[j], Math.max(p.lower[j], v));
}

/** H₀⁻¹ over the free parameters (zero rows and columns for fixed ones), or null if not PD. */
function initialInverse(
  h: Float64Array,
  P: number,
  fixed: readonly boolean[],
): Float64Array | null {
  const free: number[] = [];
  for (let j = 0; j < P; j++) if (!fixed[j]) free.push(j);
  const n = free.length, a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = h[free[i] * P + free[j]];
  const inv = invertSymmetric(a, n);
  if (inv === null || !inv.positiveDefinite) return null;
  const out = new Float64Array(P * P);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[free[i] * P + free[j]] = inv.inverse[i * n + j];
  }
  return out;
}

const RUNNING = 0, CONVERGED = 1, FAILED = 2;

/** Work arrays of one row's step, reused. */
class Scratch {
  readonly s: Float64Array;
  readonly y: Float64Array;
  readonly by: Float64Array;
  readonly free: Int32Array;
  readonly act: Int32Array;
  readonly z: Float64Array;
  readonly u: Float64Array;
  constructor(P: number) {
    this.s = new Float64Array(P), this.y = new Float64Array(P), this.by = new Float64Array(P);
    this.u = new Float64Array(P);
    this.free = new Int32Array(P), this.act = new Int32Array(P), this.z = new Float64Array(P);
  }
}

/**
 * The BFGS update of the inverse Hessian approximation `B` with the step x − x1 and the gradient
 * change g − g1 (skipped when the curvature yᵀs is not positive).
 */
function bfgsUpdate(
  B: Float64Array,
  x: Float64Array,
  x1: Float64Array,
  g: Float64Array,
  g1: Float64Array,
  fixed: readonly boolean[],
  sc: Scratch,
): void {
  const P = x.length, { s, y, by } = sc;
  let ys = 0;
  for (let j = 0; j < P; j++) {
    s[j] = fixed[j] ? 0 : x[j] - x1[j];
    y[j] = fixed[j] ? 0 : g[j] - g1[j];
    ys += y[j] * s[j];
  }
  if (!(ys > 1e-14)) return;
  const rho = 1 / ys;
  let yby = 0;
  for (let i = 0; i < P; i++) {
    let v = 0;
    const row = i * P;
    for (let j = 0; j < P; j++) v += B[row + j] * y[j];
    by[i] = v;
    yby += v * y[i];
  }
  // B ← B − ρ(s byᵀ + by sᵀ) + (ρ² yᵀBy + ρ) s sᵀ = B + s uᵀ − ρ by sᵀ, u = (ρ² yᵀBy + ρ) s − ρ by
  const c = rho * rho * yby + rho, u = sc.u;
  for (let j = 0; j < P; j++) u[j] = c * s[j] - rho * by[j];
  for (let i = 0; i < P; i++) {
    const si = s[i], bi = rho * by[i], row = i * P;
    if (si === 0 && bi === 0) continue;
    for (let j = 0; j < P; j++) B[row + j] += si * u[j] - bi * s[j];
  }
}

/**
 * The quasi-Newton step `d` at x (zero on fixed and held parameters) and the EDM −½ gᵀd, or null
 * when the reduced approximation cannot be formed.
 */
function newtonStep(
  B: Float64Array,
  x: Float64Array,
  g: Float64Array,
  p: QuasiNewtonProblem,
  d: Float64Array,
  sc: Scratch,
): number | null {
  const P = x.length, { free, act, z } = sc;
  let nf = 0, na = 0;
  for (let j = 0; j < P; j++) {
    if (p.fixed[j]) continue;
    const held = (x[j] <= p.lower[j] && g[j] > 0) || (x[j] >= p.upper[j] && g[j] < 0);
    if (held) act[na++] = j;
    else free[nf++] = j;
  }
  // d_F = −(B_FF g_F − B_FA B_AA⁻¹ B_AF g_F). B is zero on fixed rows and columns, so with no
  // held parameter B_FF g_F is the plain product B g.
  if (na === 0) {
    for (let i = 0; i < P; i++) {
      let v = 0;
      const row = i * P;
      for (let j = 0; j < P; j++) v += B[row + j] * g[j];
      d[i] = -v;
    }
  } else {
    d.fill(0);
    for (let a = 0; a < nf; a++) {
      let v = 0;
      const row = free[a] * P;
      for (let b = 0; b < nf; b++) v += B[row + free[b]] * g[free[b]];
      d[free[a]] = -v;
    }
  }
  if (na > 0) {
    // z = B_AF g_F, w = B_AA⁻¹ z (a small system), d_F += B_FA w.
    const baa = new Float64Array(na * na);
    for (let a = 0; a < na; a++) {
      let v = 0;
      const row = act[a] * P;
      for (let b = 0; b < nf; b++) v += B[row + free[b]] * g[free[b]];
      z[a] = v;
      for (let b = 0; b < na; b++) baa[a * na + b] = B[row + act[b]];
    }
    const w = invertSymmetric(baa, na);
    if (w === null || !w.positiveDefinite) return null;
    for (let a = 0; a < nf; a++) {
      let v = 0;
      const row = free[a] * P;
      for (let b = 0; b < na; b++) {
        let wb = 0;
        for (let c = 0; c < na; c++) wb += w.inverse[b * na + c] * z[c];
        v += B[row + act[b]] * wb;
      }
      d[free[a]] += v;
    }
  }
  let edm = 0;
  for (let a = 0; a < nf; a++) edm -= 0.5 * g[free[a]] * d[free[a]];
  return nf === 0 ? 0 : edm;
}
