/**
 * Matrix products with numpy's `matmul` conventions, and dense linear algebra with derivatives:
 * Cholesky, triangular and general solves, inverse, (sign, log) determinant, trace and diagonal.
 *
 * Matrices are the last two axes; leading axes are batch axes and broadcast (numpy semantics).
 * Integer and bool operands are converted to float32. Numerical failures do not throw (they may
 * happen inside traced code): a matrix that is not positive definite has a NaN Cholesky factor, a
 * singular one gives inf/NaN solves and `slogdet` = (0, -inf), as in JAX.
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { isFloat, type TypeInfo } from "../dtype.ts";
import { P } from "../primitives/mod.ts";
import { broadcastShapes, fmtShape, normAxis } from "../shape.ts";
import { bind, bind1 } from "../trace.ts";
import { asArray, broadcastTo, castTo, resultType } from "./convert.ts";
import { eye } from "./creation.ts";
import { add, exp, mul } from "./elementwise.ts";
import { sum } from "./reduce.ts";
import { expandDims, moveaxis, reshape, transpose } from "./shape.ts";

/**
 * Matrix product with numpy semantics: 1-D operands are promoted to matrices and the added axis is
 * removed afterwards; leading (batch) axes broadcast.
 *
 * @example
 * ```ts
 * import { array, matmul } from "./mod.ts";
 * matmul(array([[1, 2], [3, 4]]), array([1, 1])); // [3, 7]
 * ```
 */
export function matmul(x: ArrayLike, y: ArrayLike): Array {
  let a = asArray(x), b = asArray(y);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new TypeError(
      `matmul: operands must be at least 1-D, got shapes ${fmtShape(a.shape)} and ${
        fmtShape(b.shape)
      }`,
    );
  }
  const t = resultType(a, b);
  if (t.dtype === "bool") {
    throw new TypeError(
      `matmul: bool operands ${a.aval} and ${b.aval}; cast them to a numeric dtype first`,
    );
  }
  a = castTo(a, t), b = castTo(b, t);
  const vecA = a.ndim === 1, vecB = b.ndim === 1;
  if (vecA) a = expandDims(a, 0);
  if (vecB) b = expandDims(b, 1);
  if (a.shape[a.ndim - 1] !== b.shape[b.ndim - 2]) {
    throw new TypeError(
      `matmul: contraction mismatch: shapes ${fmtShape(asArray(x).shape)} and ${
        fmtShape(asArray(y).shape)
      } ` +
        `(${a.shape[a.ndim - 1]} != ${b.shape[b.ndim - 2]})`,
    );
  }
  let batch: number[];
  try {
    batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    throw new TypeError(
      `matmul: batch axes of shapes ${fmtShape(asArray(x).shape)} and ${
        fmtShape(asArray(y).shape)
      } ` +
        `do not broadcast`,
    );
  }
  a = broadcastTo(a, [...batch, ...a.shape.slice(-2)]);
  b = broadcastTo(b, [...batch, ...b.shape.slice(-2)]);
  let out = bind1(P.matmul, [a, b]);
  if (vecA || vecB) {
    const s = [...out.shape];
    if (vecB) s.splice(s.length - 1, 1);
    if (vecA) s.splice(s.length - (vecB ? 1 : 2), 1);
    out = reshape(out, s);
  }
  return out;
}

/** Dot product: same as {@link matmul} for 1-D and 2-D operands (scalars multiply). */
export function dot(x: ArrayLike, y: ArrayLike): Array {
  const a = asArray(x), b = asArray(y);
  if (a.ndim === 0 || b.ndim === 0) return mul(a, b);
  return matmul(a, b);
}

/** Outer product of two vectors (inputs are flattened). */
export function outer(x: ArrayLike, y: ArrayLike): Array {
  const a = reshape(asArray(x), [-1, 1]), b = reshape(asArray(y), [1, -1]);
  return mul(a, b);
}

/** Converts operands to their promoted float type (int and bool become float32). */
function floatOperands(xs: ArrayLike[]): Array[] {
  const arrs = xs.map(asArray);
  const t = resultType(...arrs);
  const ft: TypeInfo = isFloat(t.dtype) ? t : { dtype: "float32", weak: false };
  return arrs.map((a) => castTo(a, ft));
}

/** Checks that `a` is a (stack of) square matrices for `op`; returns its order n. */
function checkSquare(op: string, a: Array): number {
  if (a.ndim < 2) {
    throw new TypeError(`${op}: a must be at least 2-D [..., n, n], got ${fmtShape(a.shape)}`);
  }
  const [r, c] = a.shape.slice(-2);
  if (r !== c) throw new TypeError(`${op}: a must be square, got ${fmtShape(a.shape)}`);
  return r;
}

/** Swaps the last two axes. */
function matrixT(x: Array): Array {
  return moveaxis(x, -1, -2);
}

/**
 * Prepares the operands of `a x = b` solves with numpy semantics: `b` is a vector [..., n] only
 * when 1-D, else a stack of matrices [..., n, k]; batch axes broadcast. Returns both operands as
 * [..., n, n] and [..., n, k] with equal batch shapes, and a function shaping the result like `b`.
 */
function solveOperands(
  op: string,
  x: ArrayLike,
  y: ArrayLike,
): { a: Array; b: Array; finish: (out: Array) => Array } {
  let [a, b] = floatOperands([x, y]);
  const n = checkSquare(op, a);
  const vector = b.ndim === 1;
  const rows = vector ? b.shape[0] : b.shape[b.ndim - 2];
  if (b.ndim === 0 || rows !== n) {
    throw new TypeError(`${op}: b ${fmtShape(b.shape)} does not match a ${fmtShape(a.shape)}`);
  }
  if (vector) b = expandDims(b, 1);
  const k = b.shape[b.ndim - 1];
  const batch = broadcastShapes(
    `${op} (batch axes of a ${fmtShape(a.shape)} and b ${fmtShape(asArray(y).shape)})`,
    a.shape.slice(0, -2),
    b.shape.slice(0, -2),
  );
  a = broadcastTo(a, [...batch, n, n]);
  b = broadcastTo(b, [...batch, n, k]);
  const finish = (out: Array) => (vector ? reshape(out, out.shape.slice(0, -1)) : out);
  return { a, b, finish };
}

/**
 * The lower Cholesky factor L of a symmetric positive-definite matrix, `a = L Lᵀ`, batched over
 * leading axes. Like JAX, `a` is symmetrised first, `(a + aᵀ)/2`, so derivatives treat
 * perturbations as symmetric. If `a` is not positive definite the factor is all NaN (no error:
 * check with `isnan` when it matters).
 *
 * @example
 * ```ts
 * import { array, cholesky } from "./mod.ts";
 * cholesky(array([[4, 2], [2, 5]], "float64")); // [[2, 0], [1, 2]]
 * ```
 */
export function cholesky(a: ArrayLike): Array {
  const [m] = floatOperands([a]);
  checkSquare("cholesky", m);
  return bind1(P.cholesky, [mul(add(m, matrixT(m)), 0.5)]);
}

/**
 * Options of {@link triangularSolve}.
 *
 * @example
 * ```ts
 * import { array, triangularSolve } from "./mod.ts";
 * // Solve Uᵀ x = b reading only the upper triangle of u.
 * const u = array([[2, 1], [0, 1]]);
 * triangularSolve(u, array([2, 3]), { lower: false, transposeA: true }); // [1, 2]
 * ```
 */
export interface TriangularSolveOptions {
  /** `a` is lower triangular (default true); only that triangle of `a` is read. */
  lower?: boolean;
  /** Solve `aᵀ x = b` instead of `a x = b` (default false). */
  transposeA?: boolean;
  /** Assume a unit diagonal: the stored diagonal is not read (default false). */
  unitDiagonal?: boolean;
}

/**
 * Solves `a x = b` (or `aᵀ x = b`) for triangular `a` [..., n, n] by substitution. `b` is a vector
 * [n] or a stack of matrices [..., n, k] (numpy `solve` semantics); batch axes broadcast. Only the
 * triangle chosen by `lower` is read. A zero on the diagonal gives inf/NaN.
 *
 * @example
 * ```ts
 * import { array, triangularSolve } from "./mod.ts";
 * triangularSolve(array([[2, 0], [1, 1]]), array([2, 3])); // [1, 2]
 * ```
 */
export function triangularSolve(
  a: ArrayLike,
  b: ArrayLike,
  opts: TriangularSolveOptions = {},
): Array {
  const op = solveOperands("triangularSolve", a, b);
  const params = {
    lower: opts.lower ?? true,
    transposeA: opts.transposeA ?? false,
    unitDiagonal: opts.unitDiagonal ?? false,
  };
  return op.finish(bind1(P.triangular_solve, [op.a, op.b], params));
}

/**
 * Solves `A x = b` given the lower Cholesky factor `l` of A (`A = l lᵀ`, from {@link cholesky}),
 * with two triangular solves. `b` is a vector [n] or matrices [..., n, k].
 *
 * @example
 * ```ts
 * import { array, cholesky, choleskySolve } from "./mod.ts";
 * const A = array([[4, 2], [2, 5]], "float64");
 * choleskySolve(cholesky(A), array([6, 7], "float64")); // [1, 1]
 * ```
 */
export function choleskySolve(l: ArrayLike, b: ArrayLike): Array {
  const op = solveOperands("choleskySolve", l, b);
  const lowerParams = { lower: true, unitDiagonal: false };
  const y = bind1(P.triangular_solve, [op.a, op.b], { ...lowerParams, transposeA: false });
  return op.finish(bind1(P.triangular_solve, [op.a, y], { ...lowerParams, transposeA: true }));
}

/**
 * Solves `a x = b` for a general square `a` by LU with partial pivoting. `b` is a vector when 1-D
 * ([n] → [..., n]), otherwise a stack of matrices [..., n, k] (numpy ≥ 2 semantics); batch axes
 * broadcast. A singular `a` gives inf/NaN (no error). Differentiable in both `a` and `b`.
 *
 * @example
 * ```ts
 * import { array, solve } from "./mod.ts";
 * solve(array([[3, 1], [1, 2]]), array([9, 8])); // [2, 3]
 * ```
 */
export function solve(a: ArrayLike, b: ArrayLike): Array {
  const op = solveOperands("solve", a, b);
  return op.finish(bind1(P.solve, [op.a, op.b], { transpose: false }));
}

/**
 * The inverse of square matrices (batched), as `solve(a, I)`. Prefer {@link solve} to multiplying
 * by the inverse. A singular `a` gives inf/NaN.
 *
 * @example
 * ```ts
 * import { array, inv } from "./mod.ts";
 * inv(array([[2, 0], [0, 4]])); // [[0.5, 0], [0, 0.25]]
 * ```
 */
export function inv(a: ArrayLike): Array {
  const [m] = floatOperands([a]);
  const n = checkSquare("inv", m);
  const id = broadcastTo(
    castTo(eye(n, n, 0, m.dtype), { dtype: m.dtype, weak: m.weakType }),
    m.shape,
  );
  return bind1(P.solve, [m, id], { transpose: false });
}

/**
 * Sign and natural logarithm of the absolute value of the determinant, `[sign, logabsdet]`, each of
 * shape `a.shape[:-2]`; `det(a) = sign * exp(logabsdet)` without overflow. A singular matrix gives
 * `[0, -inf]` (numpy). The gradient of `logabsdet` is `a⁻ᵀ`; `sign` has zero derivative.
 *
 * @example
 * ```ts
 * import { array, slogdet } from "./mod.ts";
 * const [sign, logabsdet] = slogdet(array([[0, 2], [3, 0]], "float64")); // -1, log(6)
 * ```
 */
export function slogdet(a: ArrayLike): [Array, Array] {
  const [m] = floatOperands([a]);
  checkSquare("slogdet", m);
  const [sign, logabsdet] = bind(P.slogdet, [m]);
  return [sign, logabsdet];
}

/**
 * The determinant of square matrices (batched), `sign * exp(logabsdet)` from {@link slogdet}. Its
 * derivative is `det(a) a⁻ᵀ`, which is NaN at exactly singular matrices.
 *
 * @example
 * ```ts
 * import { array, det } from "./mod.ts";
 * det(array([[1, 2], [3, 4]])); // -2
 * ```
 */
export function det(a: ArrayLike): Array {
  const [sign, logabsdet] = slogdet(a);
  return mul(sign, exp(logabsdet));
}

/**
 * The diagonal `offset` of the 2-D slices spanned by `axis1` and `axis2` (numpy semantics: those
 * axes are removed and the diagonal becomes the last axis). Defaults to the first two axes, as
 * numpy; pass `axis1 = -2, axis2 = -1` for a stack of matrices. Differentiable (a strided slice).
 *
 * @example
 * ```ts
 * import { array, diagonal } from "./mod.ts";
 * diagonal(array([[1, 2], [3, 4]])); // [1, 4]
 * diagonal(array([[1, 2], [3, 4]]), 1); // [2]
 * ```
 */
export function diagonal(x: ArrayLike, offset = 0, axis1 = 0, axis2 = 1): Array {
  const a = asArray(x);
  if (a.ndim < 2) {
    throw new TypeError(`diagonal: x must be at least 2-D, got ${fmtShape(a.shape)}`);
  }
  if (!Number.isInteger(offset)) {
    throw new TypeError(`diagonal: offset ${offset} is not an integer`);
  }
  const ax1 = normAxis("diagonal", axis1, a.ndim), ax2 = normAxis("diagonal", axis2, a.ndim);
  if (ax1 === ax2) throw new Error(`diagonal: axis1 and axis2 are the same axis (${ax1})`);
  const rest = a.shape.map((_, i) => i).filter((i) => i !== ax1 && i !== ax2);
  const moved = transpose(a, [...rest, ax1, ax2]);
  const [n, m] = [a.shape[ax1], a.shape[ax2]];
  // Entries (i, i + offset), or (i - offset, i) below the main diagonal. In each flattened n·m
  // slice they are evenly spaced, m + 1 apart: a strided slice (whose transpose is a pad).
  const row0 = Math.max(0, -offset), col0 = Math.max(0, offset);
  const len = Math.max(0, Math.min(n - row0, m - col0));
  const flat = reshape(moved, [...rest.map((i) => a.shape[i]), n * m]);
  const first = len === 0 ? 0 : row0 * m + col0;
  const last = len === 0 ? 0 : first + (len - 1) * (m + 1) + 1;
  return bind1(P.slice, [flat], {
    start: [...rest.map(() => 0), first],
    limit: [...rest.map((i) => a.shape[i]), last],
    strides: [...rest.map(() => 1), m + 1],
  });
}

/**
 * Sum of the diagonal `offset` of the slices spanned by `axis1` and `axis2` (numpy semantics and
 * defaults: the first two axes; pass `-2, -1` for a stack of matrices).
 *
 * @example
 * ```ts
 * import { array, trace } from "./mod.ts";
 * trace(array([[1, 2], [3, 4]])); // 5
 * ```
 */
export function trace(x: ArrayLike, offset = 0, axis1 = 0, axis2 = 1): Array {
  return sum(diagonal(x, offset, axis1, axis2), -1);
}
