/**
 * JVP rules of the higher-order primitives (whose parameters hold jaxprs).
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { evalJaxpr, type Jaxpr } from "../../core/jaxpr.ts";
import type { Params } from "../../core/primitive.ts";
import { P } from "../../core/primitives/mod.ts";
import { hoistConsts, traceFlat } from "../../core/staging.ts";
import { bind } from "../../core/trace.ts";
import { instantiate, jvpFlat } from "../jvp.ts";

type T = Array | null;

/**
 * The JVP of a jaxpr as a jaxpr: inputs are the primals then the tangents of the inputs flagged in
 * `nonzero`; outputs are the primal outputs then all output tangents (instantiated).
 * Returns it closure-converted (constants first).
 */
export function jvpJaxpr(jaxpr: Jaxpr, nonzero: boolean[]): { jaxpr: Jaxpr; consts: Array[] } {
  const n = jaxpr.invars.length;
  const tanAvals = jaxpr.inAvals.filter((_, i) => nonzero[i]).map((a) => a.strengthen());
  const traced = traceFlat(
    (...args) => {
      const primals = args.slice(0, n);
      let k = n;
      const tangents = nonzero.map((nz) => (nz ? args[k++] : null));
      const [outs, touts] = jvpFlat((...xs) => evalJaxpr(jaxpr, [], xs), primals, tangents);
      return [...outs, ...touts.map((t, i) => instantiate(t, outs[i]))];
    },
    [...jaxpr.inAvals, ...tanAvals],
    "jvp",
  );
  return hoistConsts(traced);
}

/** JVP rules for the control primitives. */
export const controlJvpRules = {
  jit_call: (primals: Array[], tangents: T[], params: Params): [Array[], T[]] => {
    const nz = tangents.map((t) => t !== null);
    const { jaxpr, consts } = jvpJaxpr(params.jaxpr, nz);
    const outs = bind(P.jit_call, [...consts, ...primals, ...tangents.filter((t) => t !== null)], {
      jaxpr,
      name: `jvp(${params.name})`,
    });
    const m = outs.length / 2;
    return [outs.slice(0, m), outs.slice(m)];
  },
};
