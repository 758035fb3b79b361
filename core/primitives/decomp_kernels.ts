/**
 * Float64 kernels of the matrix decompositions behind `eigh`, `svd` and `qr`: cyclic Jacobi for
 * the symmetric eigenproblem, one-sided (Hestenes) Jacobi for the SVD (singular values to high
 * relative accuracy, never through AᵀA), Householder reflections for QR (LAPACK's sign choices,
 * so Q and R match numpy's up to rounding). Matrices are row-major `Float64Array`s.
 *
 * @module
 */

const EPS = 2 ** -52;
const MAX_SWEEPS = 60;

/** Rotates columns p and q of the rows×cols matrix `x`: (x_p, x_q) ← (c x_p − s x_q, s x_p + c x_q). */
function rotateColumns(
  x: Float64Array,
  rows: number,
  cols: number,
  p: number,
  q: number,
  c: number,
  s: number,
): void {
  for (let k = 0; k < rows; k++) {
    const xp = x[k * cols + p], xq = x[k * cols + q];
    x[k * cols + p] = c * xp - s * xq;
    x[k * cols + q] = s * xp + c * xq;
  }
}

/**
 * Eigen-decomposition of the symmetric n×n `a` (copied): eigenvalues ascending, eigenvectors as
 * the columns of `v`, each with its largest-magnitude entry positive (a deterministic sign).
 * Any NaN in `a` gives all-NaN results.
 *
 * @example
 * ```ts
 * const { w } = jacobiEigh(new Float64Array([2, 1, 1, 2]), 2); // w = [1, 3]
 * ```
 */
export function jacobiEigh(a0: Float64Array, n: number): { w: Float64Array; v: Float64Array } {
  const a = a0.slice(), v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  if (a.some((x) => x !== x)) return { w: new Float64Array(n).fill(NaN), v: v.fill(NaN) };
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0, diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] * a[i * n + i];
      for (let j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
    }
    if (off <= EPS * EPS * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p], aqq = a[q * n + q];
        // The rotation that zeroes a[p][q] (the smaller angle, |t| ≤ 1).
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        rotateColumns(a, n, n, p, q, c, s);
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = a[q * n + p] = 0;
        rotateColumns(v, n, n, p, q, c, s);
      }
    }
  }
  const order = [...Array(n).keys()].sort((i, j) => a[i * n + i] - a[j * n + j] || i - j);
  const w = new Float64Array(order.map((i) => a[i * n + i]));
  return { w, v: signFixedColumns(v, n, n, order) };
}

/**
 * Picks `order`'s columns of the m×c matrix `x` into an m×order.length matrix, flipping each so
 * its largest-magnitude entry is positive.
 */
function signFixedColumns(x: Float64Array, m: number, c: number, order: number[]): Float64Array {
  const k = order.length, out = new Float64Array(m * k);
  order.forEach((src, j) => {
    let big = 0;
    for (let i = 0; i < m; i++) if (Math.abs(x[i * c + src]) > Math.abs(big)) big = x[i * c + src];
    const f = big < 0 ? -1 : 1;
    for (let i = 0; i < m; i++) out[i * k + j] = f * x[i * c + src];
  });
  return out;
}

/**
 * Makes the m×k column-orthonormal `u` (its columns with `valid[j]` false are ignored) complete:
 * invalid columns, and `extra` new ones, are filled with unit vectors orthogonal to all others
 * (Gram–Schmidt, twice, of standard basis vectors). Returns an m×(k + extra) matrix.
 */
function completeBasis(u: Float64Array, m: number, k: number, valid: boolean[], extra: number) {
  const cols = k + extra, out = new Float64Array(m * cols);
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) out[i * cols + j] = u[i * k + j];
  const ok = [...valid, ...Array(extra).fill(false)];
  let e = 0;
  for (let j = 0; j < cols; j++) {
    if (ok[j]) continue;
    for (; e < m; e++) {
      const x = new Float64Array(m);
      x[e] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (let c = 0; c < cols; c++) {
          if (!ok[c]) continue;
          let d = 0;
          for (let i = 0; i < m; i++) d += out[i * cols + c] * x[i];
          for (let i = 0; i < m; i++) x[i] -= d * out[i * cols + c];
        }
      }
      const nrm = Math.hypot(...x);
      if (nrm > 0.5) {
        for (let i = 0; i < m; i++) out[i * cols + j] = x[i] / nrm;
        ok[j] = true;
        e++;
        break;
      }
    }
  }
  return out;
}

/**
 * Thin SVD of the m×n `a` with m ≥ n by one-sided Jacobi: a = u diag(s) vt, s descending, u m×n
 * (full m×m with `full`), vt n×n. Each pair (u_j, v_j) is signed so v_j's largest entry is
 * positive; columns of u for zero singular values are completed to an orthonormal set.
 *
 * @example
 * ```ts
 * const { s } = jacobiSvdTall(new Float64Array([3, 0, 0, 4]), 2, 2, false); // s = [4, 3]
 * ```
 */
export function jacobiSvdTall(a: Float64Array, m: number, n: number, full: boolean) {
  const u = a.slice(), v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const ucols = full ? m : n;
  if (a.some((x) => x !== x)) {
    return {
      u: new Float64Array(m * ucols).fill(NaN),
      s: new Float64Array(n).fill(NaN),
      vt: v.fill(NaN),
    };
  }
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < m; i++) {
          const up = u[i * n + p], uq = u[i * n + q];
          alpha += up * up, beta += uq * uq, gamma += up * uq;
        }
        if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
        rotateColumns(u, m, n, p, q, c, s);
        rotateColumns(v, n, n, p, q, c, s);
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let ss = 0;
    for (let i = 0; i < m; i++) ss += u[i * n + j] * u[i * n + j];
    norms[j] = Math.sqrt(ss);
  }
  const order = [...Array(n).keys()].sort((i, j) => norms[j] - norms[i] || i - j);
  const s = new Float64Array(order.map((j) => norms[j]));
  // Sign each v_j by its largest entry and carry the sign to u_j.
  const vs = signFixedColumns(v, n, n, order);
  const uo = new Float64Array(m * n);
  const valid = order.map((src, j) => {
    if (!(norms[src] > 0)) return false;
    // vs[:, j] = ±v[:, src]; find the sign from any nonzero entry.
    let f = 1;
    for (let i = 0; i < n; i++) {
      if (v[i * n + src] !== 0) {
        f = Math.sign(vs[i * n + j] / v[i * n + src]);
        break;
      }
    }
    for (let i = 0; i < m; i++) uo[i * n + j] = (f * u[i * n + src]) / norms[src];
    return true;
  });
  const uFull = completeBasis(uo, m, n, valid, ucols - n);
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vt[i * n + j] = vs[j * n + i];
  return { u: uFull, s, vt };
}

/**
 * Householder QR of the m×n `a`: a = q r with q m×k orthonormal columns and r k×n upper
 * triangular, k = min(m, n) (`full`: k = m, q square). LAPACK's conventions (dgeqrf + dorgqr):
 * each reflector makes its diagonal entry −sign(x₀)‖x‖, and none is applied to a column that is
 * already zero below the diagonal.
 *
 * @example
 * ```ts
 * const { r } = householderQr(new Float64Array([3, 4]), 2, 1, false); // r = [[-5]]
 * ```
 */
export function householderQr(a: Float64Array, m: number, n: number, full: boolean) {
  const r = a.slice(), k = Math.min(m, n);
  const vs: (Float64Array | null)[] = [];
  for (let j = 0; j < k; j++) {
    let sub = 0;
    for (let i = j + 1; i < m; i++) sub += r[i * n + j] * r[i * n + j];
    const x0 = r[j * n + j];
    if (sub === 0) {
      vs.push(null);
      continue;
    }
    const beta = -(x0 >= 0 ? 1 : -1) * Math.sqrt(x0 * x0 + sub);
    const v = new Float64Array(m - j);
    v[0] = x0 - beta;
    for (let i = j + 1; i < m; i++) v[i - j] = r[i * n + j];
    const vnorm2 = v[0] * v[0] + sub;
    // H = I − 2 v vᵀ / (vᵀv), applied to the trailing columns.
    for (let c = j; c < n; c++) {
      let d = 0;
      for (let i = j; i < m; i++) d += v[i - j] * r[i * n + c];
      const f = (2 * d) / vnorm2;
      for (let i = j; i < m; i++) r[i * n + c] -= f * v[i - j];
    }
    r[j * n + j] = beta;
    for (let i = j + 1; i < m; i++) r[i * n + j] = 0;
    for (let i = 0; i < v.length; i++) v[i] /= Math.sqrt(vnorm2);
    vs.push(v);
  }
  const qc = full ? m : k;
  // Q = H₀ H₁ … applied to the first qc columns of the identity, last reflector first.
  const q = new Float64Array(m * qc);
  for (let i = 0; i < qc; i++) q[i * qc + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const v = vs[j];
    if (!v) continue;
    for (let c = 0; c < qc; c++) {
      let d = 0;
      for (let i = j; i < m; i++) d += v[i - j] * q[i * qc + c];
      for (let i = j; i < m; i++) q[i * qc + c] -= 2 * d * v[i - j];
    }
  }
  const rr = full ? m : k;
  const rOut = new Float64Array(rr * n);
  for (let i = 0; i < Math.min(rr, m); i++) {
    for (let c = 0; c < n; c++) rOut[i * n + c] = c >= i ? r[i * n + c] : 0;
  }
  return { q, r: rOut };
}
