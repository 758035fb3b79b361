/**
 * Common-subexpression elimination over a jaxpr's equations, run by the fusion planner before it
 * decides what to materialise: an equation applying the same primitive with the same parameters
 * to the same operands as an earlier one is dropped, and its outputs are replaced by the earlier
 * outputs everywhere (later equations, the jaxpr's outputs). Transforms emit such copies — the
 * backward pass of `x @ frac` and `y @ frac` transposes `frac` once per matmul — and without this
 * pass a kernel would compute and write the same value twice.
 *
 * Only equations the caller marks pure and cheap to compare (the planner: its fusible ones, whose
 * parameters are numbers, strings and arrays of them) are merged; the result is bitwise the same.
 *
 * @module
 */
import { type Atom, type Eqn, Jaxpr, Literal, Var } from "../core/jaxpr.ts";

/** A key for parameters made of numbers, strings, booleans and (nested) arrays or plain objects. */
function paramsKey(p: unknown): string {
  if (Array.isArray(p)) return `[${p.map(paramsKey).join(",")}]`;
  if (p !== null && typeof p === "object") {
    const entries = Object.entries(p).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${k}:${paramsKey(v)}`).join(",")}}`;
  }
  return typeof p === "number" && Object.is(p, -0) ? "-0" : `${typeof p}:${String(p)}`;
}

/**
 * `jaxpr` with duplicate equations (same primitive, parameters and operands) among those for
 * which `mergeable` holds removed, their outputs replaced by the first occurrence's; the same
 * jaxpr when there are none.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../mod.ts";
 * import { cseEqns } from "./cse.ts";
 * const j = makeJaxpr((x) => x.transpose().add(x.transpose()))(array([[1, 2]])).jaxpr;
 * console.log(cseEqns(j, () => true).eqns.length); // 2: one transpose, one add
 * ```
 */
export function cseEqns(jaxpr: Jaxpr, mergeable: (e: Eqn) => boolean): Jaxpr {
  const ids = new Map<Var, number>();
  const sub = new Map<Var, Var>();
  const seen = new Map<string, Eqn>();
  const r = (a: Atom): Atom => (a instanceof Var ? sub.get(a) ?? a : a);
  const atomKey = (a: Atom): string => {
    if (a instanceof Literal) return `L${a.aval.dtype}:${paramsKey(a.value)}`;
    let id = ids.get(a);
    if (id === undefined) ids.set(a, id = ids.size);
    return `v${id}`;
  };
  const eqns: Eqn[] = [];
  for (const e of jaxpr.eqns) {
    const inputs = e.inputs.map(r);
    const changed = inputs.some((a, i) => a !== e.inputs[i]);
    const eqn = changed ? { ...e, inputs } : e;
    if (mergeable(eqn)) {
      const key = `${e.prim.name}|${paramsKey(e.params)}|${inputs.map(atomKey).join(",")}`;
      const first = seen.get(key);
      if (first) {
        e.outputs.forEach((v, i) => sub.set(v, first.outputs[i]));
        continue;
      }
      seen.set(key, eqn);
    }
    eqns.push(eqn);
  }
  if (!sub.size && eqns.every((e, i) => e === jaxpr.eqns[i])) return jaxpr;
  return new Jaxpr(jaxpr.constvars, jaxpr.invars, eqns, jaxpr.outvars.map(r));
}
