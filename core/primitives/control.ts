/**
 * Higher-order primitives: their parameters hold jaxprs. Their rules for each transform live with
 * the transform (ad/, gpu/); here are the shape rules and eager implementations.
 *
 * Convention: a sub-jaxpr has no constvars; its constants are passed as the leading operands
 * (closure conversion), so transforms see them as ordinary inputs.
 *
 * @module
 */
import type { DeviceArray } from "../device_array.ts";
import { evalJaxpr, type Jaxpr } from "../jaxpr.ts";
import { primitive } from "../primitive.ts";

/** Parameters of `jit_call`: the staged program and a name for printing. */
export interface JitCallParams {
  jaxpr: Jaxpr;
  name: string;
}

/** The control primitives, by name. */
export const controlPrimitives = {
  /** Calls a staged function (what `jit` binds; a compiled backend may replace the impl). */
  jit_call: primitive<JitCallParams>({
    name: "jit_call",
    abstractEval: (_, { jaxpr }) => jaxpr.outAvals,
    impl: (args, { jaxpr }) => evalJaxpr(jaxpr, [], args) as DeviceArray[],
  }),
};
