/**
 * JVP rules of the linear-algebra factorisations and solves. Every tangent is built from
 * primitives and ops that are themselves differentiable (so second derivatives work) and is linear
 * in the input tangents, with the matrix A entering only through known (residual) values: in a
 * linearized program only the right-hand side B of a solve is ever linear.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { ShapedArray } from "../../core/aval.ts";
import { DeviceArray } from "../../core/device_array.ts";
import { allocate, type DType } from "../../core/dtype.ts";
import { P, type ParamsOf } from "../../core/primitives/mod.ts";
import { bind, bind1 } from "../../core/trace.ts";
import * as np from "../../core/ops/mod.ts";
import type { JvpRules } from "./jvp.ts";

type T = Array | null;

/** Swaps the last two axes. */
const matrixT = (x: Array): Array => np.moveaxis(x, -1, -2);

/** An n×n constant whose (i, j) entry is `f(i, j)`. */
function constMatrix(n: number, dtype: DType, f: (i: number, j: number) => number): Array {
  const data = allocate(dtype, n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data[i * n + j] = f(i, j);
  return new DeviceArray(new ShapedArray([n, n], dtype), data);
}

/** True on the entries of the triangle a triangular solve reads (the diagonal only if `diag`). */
function triangleMask(n: number, lower: boolean, diag: boolean): Array {
  return constMatrix(n, "bool", (i, j) => (i === j ? +diag : +(lower ? i > j : i < j)));
}

/** Φ of the Cholesky derivative as weights: 1 below the diagonal, 1/2 on it, 0 above. */
function choleskyPhiWeights(n: number, dtype: DType): Array {
  return constMatrix(n, dtype, (i, j) => (i > j ? 1 : i === j ? 0.5 : 0));
}

/**
 * Tangent of X = op(A)⁻¹ B: Ẋ = op(A)⁻¹ (Ḃ − op(Ȧ) X), with Ȧ restricted to the entries the
 * primitive reads (`mask`, applied before op). Shared by `triangular_solve` and `solve`.
 */
function solveTangent(
  solveWith: (rhs: Array) => Array,
  x: Array,
  ta: T,
  tb: T,
  opT: boolean,
  mask: Array | null,
): T {
  let rhs: T = tb;
  if (ta !== null) {
    const used = mask === null ? ta : np.where(mask, ta, 0);
    const prod = np.matmul(opT ? matrixT(used) : used, x);
    rhs = rhs === null ? np.neg(prod) : np.sub(rhs, prod);
  }
  return rhs === null ? null : solveWith(rhs);
}

function choleskyJvp([a]: Array[], [ta]: T[]): [Array[], T[]] {
  const l = bind1(P.cholesky, [a]);
  if (ta === null) return [[l], [null]];
  const n = a.shape[a.ndim - 1];
  // L̇ = L Φ(L⁻¹ Ȧ L⁻ᵀ), Ȧ symmetrised (the primitive reads one triangle of a symmetric matrix).
  const sym = np.mul(np.add(ta, matrixT(ta)), 0.5);
  const lowerSolve = (b: Array) =>
    bind1(P.triangular_solve, [l, b], { lower: true, transposeA: false, unitDiagonal: false });
  const left = lowerSolve(sym); // L⁻¹ Ȧ
  const both = matrixT(lowerSolve(matrixT(left))); // (L⁻¹ (L⁻¹ Ȧ)ᵀ)ᵀ = L⁻¹ Ȧ L⁻ᵀ
  const phi = np.mul(both, choleskyPhiWeights(n, a.dtype));
  return [[l], [np.matmul(l, phi)]];
}

function triangularSolveJvp(
  [a, b]: Array[],
  [ta, tb]: T[],
  params: ParamsOf<"triangular_solve">,
): [Array[], T[]] {
  const x = bind1(P.triangular_solve, [a, b], params);
  const n = a.shape[a.ndim - 1];
  const mask = ta === null ? null : triangleMask(n, params.lower, !params.unitDiagonal);
  const tx = solveTangent(
    (rhs) => bind1(P.triangular_solve, [a, rhs], params),
    x,
    ta,
    tb,
    params.transposeA,
    mask,
  );
  return [[x], [tx]];
}

function solveJvp([a, b]: Array[], [ta, tb]: T[], params: ParamsOf<"solve">): [Array[], T[]] {
  const x = bind1(P.solve, [a, b], params);
  const solveWith = (rhs: Array) => bind1(P.solve, [a, rhs], params);
  return [[x], [solveTangent(solveWith, x, ta, tb, params.transpose, null)]];
}

function slogdetJvp([a]: Array[], [ta]: T[]): [Array[], T[]] {
  const outs = bind(P.slogdet, [a]);
  if (ta === null) return [outs, [null, null]];
  // d log|det A| = tr(A⁻¹ Ȧ) = Σᵢⱼ (A⁻ᵀ)ᵢⱼ Ȧᵢⱼ. A⁻ᵀ = solve(Aᵀ, I) is a residual computed once, so
  // each tangent (e.g. each column of a Jacobian) costs O(n²) instead of a solve.
  const n = a.shape[a.ndim - 1];
  const id = np.broadcastTo(np.eye(n, n, 0, a.dtype), a.shape);
  const invT = bind1(P.solve, [a, id], { transpose: true });
  return [outs, [null, np.sum(np.mul(invT, ta), [-2, -1])]];
}

/** JVP rules of the linear-algebra primitives (matmul's lives in jvp.ts). */
export const linalgJvpRules: Pick<
  JvpRules,
  "cholesky" | "triangular_solve" | "solve" | "slogdet"
> = {
  cholesky: choleskyJvp,
  triangular_solve: triangularSolveJvp,
  solve: solveJvp,
  slogdet: slogdetJvp,
};
