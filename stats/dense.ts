/**
 * Small dense linear algebra on plain float64 numbers, for the optimiser's own steps (which are
 * not traced): Cholesky factorisation, solves and the inverse of a symmetric matrix. Matrices are
 * row-major `Float64Array`s of n × n.
 *
 * @module
 */

/**
 * The lower Cholesky factor of symmetric `a` (row-major n × n), or null if `a` is not
 * (numerically) positive definite.
 *
 * @example
 * ```ts
 * import { choleskyFactor } from "./dense.ts";
 * choleskyFactor(Float64Array.of(4, 2, 2, 3), 2); // [2, 0, 1, 1.414...]
 * ```
 */
export function choleskyFactor(a: ArrayLike<number>, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] ** 2;
    if (!(d > 0) || !Number.isFinite(d)) return null;
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/**
 * Solves (L Lᵀ) x = b for the Cholesky factor `l` from {@link choleskyFactor}.
 *
 * @example
 * ```ts
 * import { choleskyFactor, choleskySolveNumbers } from "./dense.ts";
 * const l = choleskyFactor(Float64Array.of(4, 2, 2, 3), 2)!;
 * choleskySolveNumbers(l, Float64Array.of(6, 5), 2); // [1, 1]
 * ```
 */
export function choleskySolveNumbers(
  l: Float64Array,
  b: ArrayLike<number>,
  n: number,
): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/**
 * The inverse of symmetric `a`: by Cholesky when positive definite, else by Gauss–Jordan
 * elimination with partial pivoting (`positiveDefinite: false`); null when singular.
 *
 * @example
 * ```ts
 * import { invertSymmetric } from "./dense.ts";
 * invertSymmetric(Float64Array.of(2, 0, 0, 4), 2)?.inverse; // [0.5, 0, 0, 0.25]
 * ```
 */
export function invertSymmetric(
  a: ArrayLike<number>,
  n: number,
): { inverse: Float64Array; positiveDefinite: boolean } | null {
  const l = choleskyFactor(a, n);
  if (l) {
    const inv = new Float64Array(n * n);
    const e = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      e.fill(0);
      e[j] = 1;
      const col = choleskySolveNumbers(l, e, n);
      for (let i = 0; i < n; i++) inv[i * n + j] = col[i];
    }
    return { inverse: inv, positiveDefinite: true };
  }
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(m[i]));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    const piv = m[p * n + c];
    if (!(Math.abs(piv) > 1e-14 * scale)) return null;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        [m[p * n + k], m[c * n + k]] = [m[c * n + k], m[p * n + k]];
        [inv[p * n + k], inv[c * n + k]] = [inv[c * n + k], inv[p * n + k]];
      }
    }
    for (let k = 0; k < n; k++) {
      m[c * n + k] /= piv;
      inv[c * n + k] /= piv;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c];
      if (f === 0) continue;
      for (let k = 0; k < n; k++) {
        m[r * n + k] -= f * m[c * n + k];
        inv[r * n + k] -= f * inv[c * n + k];
      }
    }
  }
  return { inverse: inv, positiveDefinite: false };
}
