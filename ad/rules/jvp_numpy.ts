/**
 * JVP rules of the decompositions (`eigh`, `svd`, `qr`) and of `searchsorted` (zero: it is
 * piecewise constant). The decomposition rules are the standard ones (JAX's), written with
 * differentiable ops so second derivatives work, and linear in the input tangent with the factors
 * as residuals. They assume the generic case: distinct eigenvalues; distinct non-zero singular
 * values (else the tangents of u and v are inf/NaN: the vectors are not unique); a full-rank
 * tall-or-square matrix for `qr`.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { P, type ParamsOf } from "../../core/primitives/mod.ts";
import { bind, bind1 } from "../../core/trace.ts";
import * as np from "../../core/ops/mod.ts";
import type { JvpRules } from "./jvp.ts";

type T = Array | null;

const matrixT = (x: Array): Array => np.moveaxis(x, -1, -2);
const diag = (x: Array): Array => np.diagonal(x, 0, -2, -1);

/**
 * The matrix 1/(d_j − d_i) off the diagonal and 0 on it, for d = `diffs`(i, j) computed from the
 * vector `v` [..., k]. The diagonal is masked before dividing, so no inf enters any derivative.
 */
function offDiagonalInverse(v: Array, diffs: (row: Array, col: Array) => Array): Array {
  const k = v.shape[v.ndim - 1];
  const row = np.expandDims(v, -2), col = np.expandDims(v, -1); // v_j along rows, v_i down columns
  const eye = np.equal(np.reshape(np.arange(k), [k, 1]), np.reshape(np.arange(k), [1, k]));
  return np.where(eye, 0, np.div(1, np.where(eye, 1, diffs(row, col))));
}

function eighJvp([a]: Array[], [ta]: T[]): [Array[], T[]] {
  const [w, v] = bind(P.eigh, [a]);
  if (ta === null) return [[w, v], [null, null]];
  // dw = diag(Vᵀ Ȧ V), dV = V (F ∘ Vᵀ Ȧ V), F_ij = 1/(w_j − w_i); Ȧ symmetrised as the op does.
  const sym = np.mul(np.add(ta, matrixT(ta)), 0.5);
  const vtav = np.matmul(matrixT(v), np.matmul(sym, v));
  const f = offDiagonalInverse(w, (wj, wi) => np.sub(wj, wi));
  return [[w, v], [diag(vtav), np.matmul(v, np.mul(f, vtav))]];
}

function svdJvp([a]: Array[], [ta]: T[], params: ParamsOf<"svd">): [Array[], T[]] {
  const [m, n] = a.shape.slice(-2);
  if (params.computeUv && params.fullMatrices && m !== n) {
    throw new Error(
      `svd: derivatives of full u/vt for a non-square matrix ${a.aval} are not defined; ` +
        `use svd(a, { fullMatrices: false })`,
    );
  }
  const [u, s, vt] = bind(P.svd, [a], { fullMatrices: params.fullMatrices, computeUv: true });
  const outs = params.computeUv ? [u, s, vt] : [s];
  if (ta === null) return [outs, outs.map(() => null)];
  const v = matrixT(vt);
  const ds0 = np.matmul(matrixT(u), np.matmul(ta, v)); // Uᵀ Ȧ V
  const ds = diag(ds0);
  if (!params.computeUv) return [outs, [ds]];
  const sRow = np.expandDims(s, -2), sCol = np.expandDims(s, -1);
  // F_ij = 1/(s_j² − s_i²) off the diagonal.
  const f = offDiagonalInverse(s, (sj, si) => np.mul(np.add(sj, si), np.sub(sj, si)));
  const dss = np.mul(sRow, ds0), sds = np.mul(sCol, ds0);
  let du = np.matmul(u, np.mul(f, np.add(dss, matrixT(dss))));
  let dv = np.matmul(v, np.mul(f, np.add(sds, matrixT(sds))));
  // Components outside the span of u (tall) or v (wide).
  if (m > n) {
    const dav = np.matmul(ta, v);
    du = np.add(du, np.div(np.sub(dav, np.matmul(u, np.matmul(matrixT(u), dav))), sRow));
  }
  if (n > m) {
    const dau = np.matmul(matrixT(ta), u);
    dv = np.add(dv, np.div(np.sub(dau, np.matmul(v, np.matmul(vt, dau))), sRow));
  }
  return [outs, [du, ds, matrixT(dv)]];
}

function qrJvp([a]: Array[], [ta]: T[], params: ParamsOf<"qr">): [Array[], T[]] {
  const [q, r] = bind(P.qr, [a], params);
  if (ta === null) return [[q, r], [null, null]];
  const [m, n] = a.shape.slice(-2);
  if (m < n || (params.fullMatrices && m !== n)) {
    throw new Error(
      `qr: derivatives need m ≥ n and reduced factors, got ${a.aval}` +
        (params.fullMatrices ? ' with mode "complete"' : ""),
    );
  }
  // Ȧ R⁻¹ (X R = Ȧ ⇔ Rᵀ Xᵀ = Ȧᵀ), then dQ = Q(Ω − QᵀȦR⁻¹) + ȦR⁻¹, dR = (QᵀȦR⁻¹ − Ω) R, with
  // Ω the skew-symmetric part built from the strictly lower triangle of QᵀȦR⁻¹.
  const sol = bind1(P.triangular_solve, [r, matrixT(ta)], {
    lower: false,
    transposeA: true,
    unitDiagonal: false,
  });
  const darInv = matrixT(sol);
  const qtdar = np.matmul(matrixT(q), darInv);
  const low = np.tril(qtdar, -1);
  const omega = np.sub(low, matrixT(low));
  const dq = np.add(np.matmul(q, np.sub(omega, qtdar)), darInv);
  const dr = np.matmul(np.sub(qtdar, omega), r);
  return [[q, r], [dq, dr]];
}

/**
 * JVP rules of the decomposition and search primitives.
 *
 * @example
 * ```ts
 * import { numpyJvpRules } from "./jvp_numpy.ts";
 * typeof numpyJvpRules.qr; // "function"
 * ```
 */
export const numpyJvpRules: Pick<JvpRules, "eigh" | "svd" | "qr" | "searchsorted"> = {
  eigh: eighJvp,
  svd: svdJvp,
  qr: qrJvp,
  searchsorted: (xs, _ts, params) => [[bind1(P.searchsorted, xs, params)], [null]],
};
