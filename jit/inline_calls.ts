/**
 * Inlining of call-like primitives (`jit_call`, `custom_jvp_call`, `custom_vjp_call`) before
 * planning, so a jitted function called inside another fuses with its caller.
 *
 * @module
 */
import { type Atom, type Eqn, Jaxpr, Var } from "../core/jaxpr.ts";
import { isEqnOf } from "../core/primitives/mod.ts";

/** The jaxpr `e` calls, when it is a call that can be inlined (no constvars, arity matches). */
function callee(e: Eqn): Jaxpr | null {
  const j = isEqnOf(e, "jit_call")
    ? e.params.jaxpr
    : isEqnOf(e, "custom_jvp_call") || isEqnOf(e, "custom_vjp_call")
    ? e.params.call
    : null;
  return j instanceof Jaxpr && j.constvars.length === 0 && j.invars.length === e.inputs.length
    ? j
    : null;
}

/**
 * Inlines nested `jit_call`/`custom_jvp_call`/`custom_vjp_call` equations (their bodies become
 * equations of the caller, with fresh variables).
 *
 * @example
 * ```ts
 * import { array, jit, makeJaxpr } from "../mod.ts";
 * import { inlineCalls } from "./inline_calls.ts";
 * const g = jit((x) => x.mul(2));
 * const j = makeJaxpr((x) => g(x).sum())(array([1, 2]));
 * console.log(inlineCalls(j.jaxpr).toString()); // no jit_call left
 * ```
 */
export function inlineCalls(j: Jaxpr): Jaxpr {
  if (!j.eqns.some((e) => callee(e))) return j;
  const eqns: Eqn[] = [];
  const emit = (jx: Jaxpr, env: Map<Var, Atom>, fresh: boolean): Atom[] => {
    const r = (a: Atom): Atom => (a instanceof Var ? env.get(a) ?? a : a);
    for (const e of jx.eqns) {
      const inputs = e.inputs.map(r);
      const body = callee(e);
      if (body) {
        const inner = new Map<Var, Atom>();
        body.invars.forEach((v, i) => inner.set(v, inputs[i]));
        const outs = emit(body, inner, true);
        e.outputs.forEach((v, i) => env.set(v, outs[i]));
        continue;
      }
      const outputs = fresh ? e.outputs.map((v) => new Var(v.aval)) : e.outputs;
      if (fresh) e.outputs.forEach((v, i) => env.set(v, outputs[i]));
      eqns.push({ prim: e.prim, inputs, params: e.params, outputs });
    }
    return jx.outvars.map(r);
  };
  const outvars = emit(j, new Map(), false);
  return new Jaxpr(j.constvars, j.invars, eqns, outvars);
}
