/**
 * Transpose rules of `custom_lin` (calls the user's bwd) and `linear_solve` (solves the transposed
 * system).
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { zeros } from "../../core/ops/creation.ts";
import type { LinearSolveParams } from "../../core/primitives/custom.ts";
import { P } from "../../core/primitives/mod.ts";
import { bind } from "../../core/trace.ts";
import { vecmatJaxpr } from "../implicit.ts";
import { UndefPrimal } from "../undef.ts";
import type { TransposeRules } from "./transpose.ts";

type C = Array | null;

/** Transpose rules for the custom primitives. */
export const customTransposeRules: Pick<TransposeRules, "custom_lin" | "linear_solve"> = {
  custom_lin: (cts, args, p) => {
    const res = args.slice(0, p.numRes) as Array[];
    const full = cts.map((c, i) => c ?? zeros(p.outAvals[i].shape, p.outAvals[i].dtype));
    const ctsIn = p.bwd(res, full);
    return [...res.map(() => null), ...ctsIn];
  },
  linear_solve: (cts, args, q) => {
    const k = q.numConsts;
    if (args.slice(0, k).some((a) => a instanceof UndefPrimal)) {
      throw new Error("transpose: linear_solve is linear in b only, not in its matrix");
    }
    if (!q.transposeSolve) {
      throw new Error(
        "linearSolve: reverse-mode differentiation needs transposeSolve (or symmetric: true)",
      );
    }
    const consts = args.slice(0, k) as Array[];
    const outAvals = q.matvec.outAvals;
    const ct = cts.map((c, i) => c ?? zeros(outAvals[i].shape, outAvals[i].dtype));
    const vm = vecmatJaxpr(q.matvec, k);
    const extra = vm.consts.length;
    const shift = (f: LinearSolveParams["solve"]) => (cs: Array[], b: Array[]) =>
      f(cs.slice(extra), b);
    const tParams: LinearSolveParams = {
      matvec: vm.jaxpr,
      numConsts: extra + k,
      solve: shift(q.transposeSolve),
      transposeSolve: shift(q.solve),
      symmetric: q.symmetric,
    };
    const ctb = bind(P.linear_solve, [...vm.consts, ...consts, ...ct], tParams);
    return [...consts.map(() => null), ...ctb];
  },
};
