/**
 * Matrix decompositions: `eigh`, `svd` and `qr`, batched over leading axes like the other linear
 * algebra primitives, computed in float64 (`decomp_kernels.ts`) and stored in the operand's dtype.
 *
 * - `eigh` [..., n, n] → eigenvalues [..., n] (ascending) and eigenvectors [..., n, n] (columns).
 *   The matrix is assumed symmetric (the API symmetrises it first).
 * - `svd` [..., m, n] → u [..., m, k], s [..., k] (descending), vt [..., k, n], k = min(m, n);
 *   with `fullMatrices` u is [..., m, m] and vt [..., n, n]; without `computeUv`, only s.
 * - `qr` [..., m, n] → q [..., m, k], r [..., k, n]; with `fullMatrices`, q [..., m, m], r [..., m, n].
 *
 * Signs of eigen/singular vectors are not unique; here each eigenvector (and each right singular
 * vector) has its largest-magnitude entry positive. A NaN anywhere in a matrix gives NaN outputs.
 *
 * @module
 */
import { ShapedArray } from "../aval.ts";
import { DeviceArray } from "../device_array.ts";
import { allocate, isFloat } from "../dtype.ts";
import { primitive } from "../primitive.ts";
import { sizeOf } from "../shape.ts";
import { householderQr, jacobiEigh, jacobiSvdTall } from "./decomp_kernels.ts";

/**
 * Parameters of `svd`.
 *
 * @example
 * ```ts
 * const p: SvdParams = { fullMatrices: false, computeUv: true };
 * ```
 */
export interface SvdParams {
  /** u is m×m and vt n×n (else m×k and k×n, k = min(m, n)). */
  fullMatrices: boolean;
  /** Return u and vt as well as s (else s only). */
  computeUv: boolean;
}

/**
 * Parameters of `qr`.
 *
 * @example
 * ```ts
 * const p: QrParams = { fullMatrices: false };
 * ```
 */
export interface QrParams {
  /** q is m×m and r m×n (numpy's mode "complete"; else "reduced"). */
  fullMatrices: boolean;
}

function checkMatrix(op: string, a: ShapedArray): [number, number] {
  if (a.ndim < 2 || !isFloat(a.dtype)) {
    throw new TypeError(`${op}: operand must be a float32/float64 stack of matrices, got ${a}`);
  }
  return [a.shape[a.ndim - 2], a.shape[a.ndim - 1]];
}

const aval = (a: ShapedArray, tail: number[]) =>
  new ShapedArray([...a.shape.slice(0, -2), ...tail], a.dtype, a.weakType);

/** Runs `f` on each float64 matrix of the stack `x` and stores its outputs (in `outs` order). */
function perMatrix(
  x: DeviceArray,
  outs: ShapedArray[],
  f: (a: Float64Array, m: number, n: number) => Float64Array[],
): DeviceArray[] {
  const [m, n] = x.shape.slice(-2), batch = sizeOf(x.shape.slice(0, -2));
  const src = x.dataSync();
  const bufs = outs.map((o) => allocate(o.dtype, o.size));
  for (let t = 0; t < batch; t++) {
    const res = f(Float64Array.from(src.subarray(t * m * n, (t + 1) * m * n)), m, n);
    res.forEach((r, k) => bufs[k].set(r, t * r.length));
  }
  return outs.map((o, k) => new DeviceArray(o, bufs[k]));
}

/** u, s, vt of one m×n matrix (any aspect ratio). */
function svdOne(a: Float64Array, m: number, n: number, full: boolean) {
  if (m >= n) return jacobiSvdTall(a, m, n, full);
  // Aᵀ = U' S V'ᵀ, so A = V' S U'ᵀ.
  const at = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) at[j * m + i] = a[i * n + j];
  const r = jacobiSvdTall(at, n, m, full);
  const uc = full ? n : m;
  const vt = new Float64Array(uc * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < uc; j++) vt[j * n + i] = r.u[i * uc + j];
  const u = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) u[i * m + j] = r.vt[j * m + i];
  return { u, s: r.s, vt };
}

function svdAvals(a: ShapedArray, { fullMatrices, computeUv }: SvdParams): ShapedArray[] {
  const [m, n] = checkMatrix("svd", a);
  const k = Math.min(m, n);
  const s = aval(a, [k]);
  if (!computeUv) return [s];
  return fullMatrices
    ? [aval(a, [m, m]), s, aval(a, [n, n])]
    : [aval(a, [m, k]), s, aval(a, [k, n])];
}

function qrAvals(a: ShapedArray, { fullMatrices }: QrParams): ShapedArray[] {
  const [m, n] = checkMatrix("qr", a);
  const k = fullMatrices ? m : Math.min(m, n);
  return [aval(a, [m, k]), aval(a, [k, n])];
}

/**
 * The decomposition primitives, by name.
 *
 * @example
 * ```ts
 * import { bind } from "../trace.ts";
 * import { array } from "../ops/mod.ts";
 * const [w, v] = bind(decompPrimitives.eigh, [array([[2, 1], [1, 2]])], {}); // w = [1, 3]
 * ```
 */
export const decompPrimitives = {
  eigh: primitive({
    name: "eigh",
    abstractEval([a]) {
      const [m, n] = checkMatrix("eigh", a);
      if (m !== n) throw new TypeError(`eigh: operand must be square [..., n, n], got ${a}`);
      return [aval(a, [n]), a];
    },
    impl([x]) {
      const n = x.shape[x.ndim - 1];
      return perMatrix(x, [aval(x.aval, [n]), x.aval], (a) => {
        const { w, v } = jacobiEigh(a, n);
        return [w, v];
      });
    },
  }),

  svd: primitive<SvdParams>({
    name: "svd",
    abstractEval: ([a], params) => svdAvals(a, params),
    impl([x], params) {
      const outs = svdAvals(x.aval, params);
      return perMatrix(x, outs, (a, m, n) => {
        const { u, s, vt } = svdOne(a, m, n, params.fullMatrices);
        return params.computeUv ? [u, s, vt] : [s];
      });
    },
  }),

  qr: primitive<QrParams>({
    name: "qr",
    abstractEval: ([a], params) => qrAvals(a, params),
    impl([x], params) {
      const outs = qrAvals(x.aval, params);
      return perMatrix(x, outs, (a, m, n) => {
        const { q, r } = householderQr(a, m, n, params.fullMatrices);
        return [q, r];
      });
    },
  }),
};
