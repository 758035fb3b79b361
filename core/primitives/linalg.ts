/**
 * Linear-algebra primitives. Operands are batched over leading axes (identical batch shapes; the API
 * broadcasts them first), matrices are the last two axes.
 *
 * The factorisations (`cholesky`, `triangular_solve`, `solve`, `slogdet`) take float32 or float64
 * operands; their eager implementations compute in float64 and store the result in the operands'
 * dtype. Failures follow JAX rather than throwing, so that they can happen inside traced code:
 * - `cholesky` of a matrix that is not positive definite gives a matrix of NaNs;
 * - `solve` (and `triangular_solve`) with a singular matrix divide by a zero pivot, giving inf/NaN;
 * - `slogdet` of a singular matrix gives sign 0 and log|det| = -inf (as numpy).
 *
 * @module
 */
import { ShapedArray } from "../aval.ts";
import { DeviceArray } from "../device_array.ts";
import { allocate, isFloat, type TypedArray } from "../dtype.ts";
import { primitive } from "../primitive.ts";
import { fmtShape, shapesEqual, sizeOf } from "../shape.ts";

/** Parameters of `triangular_solve`: which triangle of A is used and how A enters. */
export interface TriangularSolveParams {
  /** A is lower triangular (else upper); only that triangle is read. */
  lower: boolean;
  /** Solve Aᵀ X = B instead of A X = B. */
  transposeA: boolean;
  /** Assume ones on A's diagonal (the stored diagonal is not read). */
  unitDiagonal: boolean;
}

/** Parameters of `solve`. */
export interface SolveParams {
  /** Solve Aᵀ X = B instead of A X = B. */
  transpose: boolean;
}

/** Checks that `a` is a float stack of square matrices; returns n. */
function checkSquare(op: string, a: ShapedArray): number {
  if (a.ndim < 2 || a.shape[a.ndim - 1] !== a.shape[a.ndim - 2]) {
    throw new TypeError(`${op}: operand must be a stack of square matrices [..., n, n], got ${a}`);
  }
  if (!isFloat(a.dtype)) throw new TypeError(`${op}: operand must be float32/float64, got ${a}`);
  return a.shape[a.ndim - 1];
}

/** Checks the right-hand side `b` [..., n, k] of a solve with matrix `a` [..., n, n]. */
function checkRhs(op: string, a: ShapedArray, b: ShapedArray): void {
  const n = checkSquare(op, a);
  const ok = b.ndim === a.ndim && b.dtype === a.dtype && b.shape[b.ndim - 2] === n &&
    shapesEqual(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (!ok) {
    throw new TypeError(
      `${op}: right-hand side ${b} does not match matrix ${a}: need a [..., n, n] and ` +
        `b [..., n, k] with equal batch shapes and dtypes`,
    );
  }
}

/** Copies matrix `t` of a stack of n×n matrices into a float64 work array (transposed if asked). */
function loadMatrix(src: TypedArray, t: number, n: number, transpose = false): Float64Array {
  const m = new Float64Array(n * n);
  const off = t * n * n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      m[i * n + j] = transpose ? src[off + j * n + i] : src[off + i * n + j];
    }
  }
  return m;
}

/**
 * In-place LU factorisation with partial pivoting of the n×n row-major `m` (PA = LU: the unit lower
 * factor's multipliers below the diagonal, U on and above). Calls `onSwap(r1, r2)` for each row
 * exchange so callers can permute right-hand sides and track the determinant's sign. A zero pivot
 * is not skipped: elimination divides by it, so solves propagate inf/NaN. Returns the column of the
 * first zero pivot, or -1 (then A is nonsingular up to rounding).
 */
function luInPlace(m: Float64Array, n: number, onSwap: (r1: number, r2: number) => void): number {
  let firstZero = -1;
  for (let c = 0; c < n; c++) {
    let p = c, best = Math.abs(m[c * n + c]);
    for (let r = c + 1; r < n; r++) {
      const v = Math.abs(m[r * n + c]);
      if (v > best) best = v, p = r;
    }
    if (p !== c) {
      for (let j = 0; j < n; j++) {
        const tmp = m[c * n + j];
        m[c * n + j] = m[p * n + j];
        m[p * n + j] = tmp;
      }
      onSwap(c, p);
    }
    const piv = m[c * n + c];
    if (piv === 0 && firstZero < 0) firstZero = c;
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c] / piv;
      m[r * n + c] = f;
      if (f === 0) continue;
      for (let j = c + 1; j < n; j++) m[r * n + j] -= f * m[c * n + j];
    }
  }
  return firstZero;
}

/** The linear-algebra primitives, by name. */
export const linalgPrimitives = {
  /** [..., m, k] × [..., k, n] → [..., m, n]. */
  matmul: primitive({
    name: "matmul",
    abstractEval([a, b]) {
      const ok = a.ndim >= 2 && a.ndim === b.ndim && a.dtype === b.dtype &&
        a.dtype !== "bool" && shapesEqual(a.shape.slice(0, -2), b.shape.slice(0, -2)) &&
        a.shape[a.ndim - 1] === b.shape[b.ndim - 2];
      if (!ok) {
        throw new TypeError(
          `matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} (dtypes ${a.dtype}, ` +
            `${b.dtype}) do not match: need [..., m, k] x [..., k, n] with equal batch shapes`,
        );
      }
      const shape = [...a.shape.slice(0, -1), b.shape[b.ndim - 1]];
      return [new ShapedArray(shape, a.dtype, a.weakType && b.weakType)];
    },
    impl([x, y]) {
      const [m, k] = x.shape.slice(-2), n = y.shape[y.ndim - 1];
      const batch = sizeOf(x.shape.slice(0, -2));
      const a = x.dataSync(), b = y.dataSync();
      const out = allocate(x.dtype, batch * m * n);
      const acc = new Float64Array(n);
      for (let t = 0; t < batch; t++) {
        for (let i = 0; i < m; i++) {
          acc.fill(0);
          for (let p = 0; p < k; p++) {
            const av = a[t * m * k + i * k + p];
            const boff = t * k * n + p * n;
            for (let j = 0; j < n; j++) acc[j] += av * b[boff + j];
          }
          out.set(acc, t * m * n + i * n);
        }
      }
      const shape = [...x.shape.slice(0, -1), n];
      return [new DeviceArray(new ShapedArray(shape, x.dtype, x.weakType && y.weakType), out)];
    },
  }),

  /**
   * Lower Cholesky factor L of a symmetric positive-definite A = L Lᵀ, [..., n, n] → [..., n, n].
   * Reads only the lower triangle of A (the API symmetrises first). A matrix that is not positive
   * definite (a non-positive or NaN pivot) gives a matrix of NaNs, like JAX.
   */
  cholesky: primitive({
    name: "cholesky",
    abstractEval([a]) {
      checkSquare("cholesky", a);
      return [a];
    },
    impl([x]) {
      const n = x.shape[x.ndim - 1], batch = sizeOf(x.shape.slice(0, -2));
      const a = x.dataSync(), out = allocate(x.dtype, x.size);
      const l = new Float64Array(n * n);
      for (let t = 0; t < batch; t++) {
        const off = t * n * n;
        l.fill(0);
        let ok = true;
        for (let j = 0; j < n && ok; j++) {
          let s = a[off + j * n + j];
          for (let k = 0; k < j; k++) s -= l[j * n + k] * l[j * n + k];
          // `!(s > 0)` also catches NaN.
          if (!(s > 0)) {
            ok = false;
            break;
          }
          const d = Math.sqrt(s);
          l[j * n + j] = d;
          for (let i = j + 1; i < n; i++) {
            let v = a[off + i * n + j];
            for (let k = 0; k < j; k++) v -= l[i * n + k] * l[j * n + k];
            l[i * n + j] = v / d;
          }
        }
        if (ok) out.set(l, off);
        else out.fill(NaN, off, off + n * n);
      }
      return [new DeviceArray(x.aval, out)];
    },
  }),

  /**
   * Solves op(A) X = B for triangular A [..., n, n] and B [..., n, k], op(A) = A or Aᵀ. Only the
   * triangle named by `lower` is read (without its diagonal when `unitDiagonal`). A zero on the
   * diagonal gives inf/NaN.
   */
  triangular_solve: primitive<TriangularSolveParams>({
    name: "triangular_solve",
    abstractEval([a, b]) {
      checkRhs("triangular_solve", a, b);
      return [new ShapedArray(b.shape, b.dtype, a.weakType && b.weakType)];
    },
    impl([x, y], { lower, transposeA, unitDiagonal }) {
      const n = x.shape[x.ndim - 1], k = y.shape[y.ndim - 1];
      const batch = sizeOf(x.shape.slice(0, -2));
      const a = x.dataSync(), b = y.dataSync();
      const out = allocate(y.dtype, y.size);
      const xs = new Float64Array(n * k);
      // op(A)[i][j] = A[i][j], or A[j][i] when transposed; op(A) is lower iff lower XOR transposeA.
      const forward = lower !== transposeA;
      for (let t = 0; t < batch; t++) {
        const aoff = t * n * n, boff = t * n * k;
        const opA = (i: number, j: number) =>
          transposeA ? a[aoff + j * n + i] : a[aoff + i * n + j];
        for (let s = 0; s < n; s++) {
          const i = forward ? s : n - 1 - s;
          const d = unitDiagonal ? 1 : opA(i, i);
          for (let c = 0; c < k; c++) {
            let v = b[boff + i * k + c];
            if (forward) { for (let j = 0; j < i; j++) v -= opA(i, j) * xs[j * k + c]; }
            else for (let j = i + 1; j < n; j++) v -= opA(i, j) * xs[j * k + c];
            xs[i * k + c] = v / d;
          }
        }
        out.set(xs, boff);
      }
      return [new DeviceArray(new ShapedArray(y.shape, y.dtype, x.weakType && y.weakType), out)];
    },
  }),

  /**
   * Solves A X = B (or Aᵀ X = B with `transpose`) for general A [..., n, n], B [..., n, k], by LU
   * with partial pivoting. A singular A divides by a zero pivot: the result holds inf/NaN.
   */
  solve: primitive<SolveParams>({
    name: "solve",
    abstractEval([a, b]) {
      checkRhs("solve", a, b);
      return [new ShapedArray(b.shape, b.dtype, a.weakType && b.weakType)];
    },
    impl([x, y], { transpose }) {
      const n = x.shape[x.ndim - 1], k = y.shape[y.ndim - 1];
      const batch = sizeOf(x.shape.slice(0, -2));
      const a = x.dataSync(), b = y.dataSync();
      const out = allocate(y.dtype, y.size);
      const rhs = new Float64Array(n * k);
      for (let t = 0; t < batch; t++) {
        const m = loadMatrix(a, t, n, transpose);
        for (let i = 0; i < n * k; i++) rhs[i] = b[t * n * k + i];
        luInPlace(m, n, (r1, r2) => {
          for (let c = 0; c < k; c++) {
            const tmp = rhs[r1 * k + c];
            rhs[r1 * k + c] = rhs[r2 * k + c];
            rhs[r2 * k + c] = tmp;
          }
        });
        // L y = P b (unit lower), then U x = y.
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < i; j++) {
            const f = m[i * n + j];
            if (f !== 0) { for (let c = 0; c < k; c++) rhs[i * k + c] -= f * rhs[j * k + c]; }
          }
        }
        for (let i = n - 1; i >= 0; i--) {
          for (let j = i + 1; j < n; j++) {
            const f = m[i * n + j];
            if (f !== 0) { for (let c = 0; c < k; c++) rhs[i * k + c] -= f * rhs[j * k + c]; }
          }
          const d = m[i * n + i];
          for (let c = 0; c < k; c++) rhs[i * k + c] /= d;
        }
        out.set(rhs, t * n * k);
      }
      return [new DeviceArray(new ShapedArray(y.shape, y.dtype, x.weakType && y.weakType), out)];
    },
  }),

  /**
   * Sign and natural log of the absolute determinant of A [..., n, n] → two arrays [...], by LU
   * with partial pivoting. Singular A gives sign 0 and log|det| = -inf (numpy's convention).
   */
  slogdet: primitive({
    name: "slogdet",
    abstractEval([a]) {
      checkSquare("slogdet", a);
      const out = new ShapedArray(a.shape.slice(0, -2), a.dtype, a.weakType);
      return [out, out];
    },
    impl([x]) {
      const n = x.shape[x.ndim - 1], batch = sizeOf(x.shape.slice(0, -2));
      const a = x.dataSync();
      const sign = allocate(x.dtype, batch), logabs = allocate(x.dtype, batch);
      for (let t = 0; t < batch; t++) {
        const m = loadMatrix(a, t, n);
        let s = 1, l = 0;
        // A zero pivot makes later ones inf/NaN; numpy reports a singular matrix as (0, -inf).
        if (luInPlace(m, n, () => (s = -s)) >= 0) s = 0, l = -Infinity;
        else {
          for (let i = 0; i < n; i++) {
            const d = m[i * n + i];
            s *= Math.sign(d);
            l += Math.log(Math.abs(d));
          }
        }
        sign[t] = s, logabs[t] = l;
      }
      const aval = new ShapedArray(x.shape.slice(0, -2), x.dtype, x.weakType);
      return [new DeviceArray(aval, sign), new DeviceArray(aval, logabs)];
    },
  }),
};
