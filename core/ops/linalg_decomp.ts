/**
 * Matrix decompositions with derivatives, as `numpy.linalg`: `eigh`, `svd`, `qr`. Matrices are the
 * last two axes (leading axes are a batch); integer and bool operands become float32. Computed in
 * float64 whatever the dtype (Jacobi rotations for `eigh` and `svd`, Householder for `qr`).
 *
 * Derivatives (JVP, hence `grad`, `jacfwd`, ...) use the standard formulas and assume the generic
 * case: `eigh` distinct eigenvalues, `svd` distinct non-zero singular values (degenerate ones make
 * the derivatives of the vectors infinite or NaN — the vectors are not unique there; the values
 * `w` and `s` keep finite derivatives), `qr` a full-rank matrix with m ≥ n and reduced factors.
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { isFloat } from "../dtype.ts";
import { P } from "../primitives/mod.ts";
import { fmtShape } from "../shape.ts";
import { bind, bind1 } from "../trace.ts";
import { asArray, castTo } from "./convert.ts";
import { add, mul } from "./elementwise.ts";
import { moveaxis } from "./shape.ts";

/** The float matrix operand of `op` (at least 2-D). */
function floatMatrix(op: string, x: ArrayLike): Array {
  const a = asArray(x);
  if (a.ndim < 2) {
    throw new TypeError(`${op}: a must be at least 2-D [..., m, n], got ${fmtShape(a.shape)}`);
  }
  return isFloat(a.dtype) ? a : castTo(a, { dtype: "float32", weak: false });
}

/**
 * Eigenvalues (ascending) and eigenvectors (the columns of `v`) of symmetric matrices:
 * `a v = v diag(w)`. Like JAX, `a` is symmetrised first, `(a + aᵀ)/2`. Each eigenvector is signed
 * so that its largest-magnitude entry is positive (numpy leaves the sign to LAPACK).
 *
 * @example
 * ```ts
 * import { array, eigh } from "./mod.ts";
 * const [w, v] = eigh(array([[2, 1], [1, 2]], "float64")); // w = [1, 3]
 * ```
 */
export function eigh(a: ArrayLike): [Array, Array] {
  const m = floatMatrix("eigh", a);
  if (m.shape[m.ndim - 1] !== m.shape[m.ndim - 2]) {
    throw new TypeError(`eigh: a must be square, got ${fmtShape(m.shape)}`);
  }
  const [w, v] = bind(P.eigh, [mul(add(m, moveaxis(m, -1, -2)), 0.5)]);
  return [w, v];
}

/**
 * Options of {@link svd}.
 *
 * @example
 * ```ts
 * import { array, svd } from "./mod.ts";
 * const [u, s, vt] = svd(array([[1, 2], [3, 4], [5, 6]]), { fullMatrices: false });
 * ```
 */
export interface SvdOptions {
  /** u is [..., m, m] and vt [..., n, n] (default true, as numpy); else min(m, n) columns/rows. */
  fullMatrices?: boolean;
}

/**
 * Singular value decomposition `a = u diag(s) vt` (numpy's `svd`): `s` descending. With the
 * default `fullMatrices: true`, u is [..., m, m] and vt [..., n, n]; differentiate the reduced
 * form (`fullMatrices: false`) or square matrices (JAX has the same restriction). Each right
 * singular vector is signed so its largest-magnitude entry is positive.
 *
 * @example
 * ```ts
 * import { array, svd } from "./mod.ts";
 * const [u, s, vt] = svd(array([[3, 0], [0, -4]], "float64")); // s = [4, 3]
 * ```
 */
export function svd(a: ArrayLike, opts: SvdOptions = {}): [Array, Array, Array] {
  const m = floatMatrix("svd", a);
  const [u, s, vt] = bind(P.svd, [m], { fullMatrices: opts.fullMatrices ?? true, computeUv: true });
  return [u, s, vt];
}

/**
 * The singular values alone (descending), `numpy.linalg.svd(a, compute_uv=False)`. Their
 * derivative is finite even where singular values repeat.
 *
 * @example
 * ```ts
 * import { array, svdvals } from "./mod.ts";
 * svdvals(array([[3, 0], [0, -4]])); // [4, 3]
 * ```
 */
export function svdvals(a: ArrayLike): Array {
  const m = floatMatrix("svdvals", a);
  return bind1(P.svd, [m], { fullMatrices: false, computeUv: false });
}

/**
 * QR decomposition `a = q r`, q with orthonormal columns and r upper triangular, by Householder
 * reflections with LAPACK's sign conventions (so q and r match numpy's). `mode` as numpy:
 * `"reduced"` (default; q [..., m, k], r [..., k, n], k = min(m, n)) or `"complete"` (q [..., m, m],
 * r [..., m, n]). Differentiable for reduced factors of full-rank matrices with m ≥ n.
 *
 * @example
 * ```ts
 * import { array, qr } from "./mod.ts";
 * const [q, r] = qr(array([[3, 1], [4, 2]], "float64")); // r = [[-5, -2.2], [0, 0.4]]
 * ```
 */
export function qr(a: ArrayLike, mode: "reduced" | "complete" = "reduced"): [Array, Array] {
  if (mode !== "reduced" && mode !== "complete") {
    throw new RangeError(`qr: mode must be "reduced" or "complete", got ${JSON.stringify(mode)}`);
  }
  const m = floatMatrix("qr", a);
  const [q, r] = bind(P.qr, [m], { fullMatrices: mode === "complete" });
  return [q, r];
}
