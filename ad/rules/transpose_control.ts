/**
 * Transpose rules of higher-order primitives.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { Jaxpr } from "../../core/jaxpr.ts";
import type { Params } from "../../core/primitive.ts";
import { backwardPass } from "../linearize.ts";
import { type LinArg, UndefPrimal } from "../undef.ts";

type C = Array | null;

/** Transpose rules for the control primitives. */
export const controlTransposeRules = {
  /** A jitted call is transposed by running its program backwards (an outer jit fuses it). */
  jit_call: (cts: C[], args: LinArg[], params: Params): C[] => {
    const j: Jaxpr = params.jaxpr;
    const isLin = args.map((a) => a instanceof UndefPrimal);
    // Known operands become the constants of the program; linear ones stay its inputs.
    const reordered = new Jaxpr(
      j.invars.filter((_, i) => !isLin[i]),
      j.invars.filter((_, i) => isLin[i]),
      j.eqns,
      j.outvars,
    );
    const ctsLin = backwardPass(reordered, args.filter((_, i) => !isLin[i]) as Array[], cts);
    let k = 0;
    return isLin.map((l) => (l ? ctsLin[k++] : null));
  },
};
