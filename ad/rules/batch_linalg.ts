/**
 * Batching rules of the linear-algebra primitives. They already map over leading axes, so a batch
 * axis among the leading axes stays where it is; otherwise every operand gets its batch axis at the
 * front (unbatched operands are broadcast so batch shapes match, as the primitives require).
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { P, type PrimitiveName } from "../../core/primitives/mod.ts";
import { bind } from "../../core/trace.ts";
import { type BDim, moveBatchAxis } from "../vmap.ts";
import type { BatchRule, BatchRules } from "./batch.ts";

/** True when axis `d` of `x` is a batch (leading, non-matrix) axis the primitive maps over. */
const isLeading = (x: Array, d: BDim): d is number => d !== null && d < x.ndim - 2;

/**
 * Rule for a primitive mapping over leading axes whose outputs keep the operands' leading axes.
 * Operands already batched at the same leading axis need no data movement.
 */
export function overLeadingAxes(prim: PrimitiveName): BatchRule {
  return (xs, dims, params, n) => {
    const d0 = dims[0];
    if (xs.every((x, i) => isLeading(x, dims[i]) && dims[i] === d0)) {
      const outs = bind(P[prim], xs, params);
      return [outs, outs.map(() => d0)];
    }
    const outs = bind(P[prim], xs.map((x, i) => moveBatchAxis(x, dims[i], 0, n)), params);
    return [outs, outs.map(() => 0)];
  };
}

/** Batching rules of the linear-algebra primitives (matmul's lives in batch.ts). */
export const linalgBatchRules: Pick<
  BatchRules,
  "cholesky" | "triangular_solve" | "solve" | "slogdet"
> = {
  cholesky: overLeadingAxes("cholesky"),
  triangular_solve: overLeadingAxes("triangular_solve"),
  solve: overLeadingAxes("solve"),
  slogdet: overLeadingAxes("slogdet"),
};
