/**
 * Transpose rules of the linear-algebra solves. They are linear in the right-hand side B only (the
 * matrix is always a known residual in a linearized program), and the transpose of B ↦ op(A)⁻¹ B is
 * C ↦ op(A)⁻ᵀ C: the same solve with the transposition flipped.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { P } from "../../core/primitives/mod.ts";
import { bind1 } from "../../core/trace.ts";
import { type LinArg, UndefPrimal } from "../undef.ts";
import type { TransposeRules } from "./transpose.ts";

type C = Array | null;

/** Returns the known matrix operand, or explains that the solve is not linear in it. */
function knownMatrix(prim: string, a: LinArg): Array {
  if (a instanceof UndefPrimal) {
    throw new Error(
      `transpose: ${prim} is linear in its right-hand side b only, not in the matrix a ${a.aval}`,
    );
  }
  return a;
}

/** Transpose rules of the linear-algebra primitives (matmul's lives in transpose.ts). */
export const linalgTransposeRules: Pick<TransposeRules, "triangular_solve" | "solve"> = {
  triangular_solve: ([ct], [a], params) => {
    const m = knownMatrix("triangular_solve", a);
    const flipped = { ...params, transposeA: !params.transposeA };
    return [null, bind1(P.triangular_solve, [m, ct!], flipped)];
  },
  solve: ([ct], [a], params) => {
    const m = knownMatrix("solve", a);
    return [null, bind1(P.solve, [m, ct!], { ...params, transpose: !params.transpose })];
  },
};
