/**
 * Batching rules of higher-order primitives.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { evalJaxpr, type Jaxpr } from "../../core/jaxpr.ts";
import type { Params } from "../../core/primitive.ts";
import { P } from "../../core/primitives/mod.ts";
import { hoistConsts, traceFlat } from "../../core/staging.ts";
import { bind } from "../../core/trace.ts";
import { type BDim, moveBatchAxis, vmapFlat } from "../vmap.ts";
import { ShapedArray } from "../../core/aval.ts";

/**
 * The batched version of a jaxpr: operands with a batch axis (flagged in `batched`) carry it at
 * axis 0; every output is batched at axis 0. Returned closure-converted (constants first).
 */
export function batchJaxpr(
  jaxpr: Jaxpr,
  batched: boolean[],
  axisSize: number,
): { jaxpr: Jaxpr; consts: Array[] } {
  const avals = jaxpr.inAvals.map((a, i) =>
    batched[i] ? new ShapedArray([axisSize, ...a.shape], a.dtype, a.weakType) : a
  );
  const traced = traceFlat(
    (...args) => {
      const [outs, dims] = vmapFlat(
        (...xs) => evalJaxpr(jaxpr, [], xs),
        args,
        batched.map((b) => (b ? 0 : null)),
        axisSize,
      );
      return outs.map((o, i) => moveBatchAxis(o, dims[i], 0, axisSize));
    },
    avals,
    "vmap",
  );
  return hoistConsts(traced);
}

/** Batching rules for the control primitives. */
export const controlBatchRules = {
  jit_call: (vals: Array[], dims: BDim[], params: Params, n: number): [Array[], BDim[]] => {
    const args = vals.map((v, i) => (dims[i] === null ? v : moveBatchAxis(v, dims[i], 0, n)));
    const { jaxpr, consts } = batchJaxpr(params.jaxpr, dims.map((d) => d !== null), n);
    const outs = bind(P.jit_call, [...consts, ...args], { jaxpr, name: `vmap(${params.name})` });
    return [outs, outs.map(() => 0)];
  },
};
