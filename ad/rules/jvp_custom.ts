/**
 * JVP rules of the custom-derivative and implicit-differentiation primitives.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { evalJaxpr } from "../../core/jaxpr.ts";
import { sub } from "../../core/ops/elementwise.ts";
import { P } from "../../core/primitives/mod.ts";
import { bind } from "../../core/trace.ts";
import type { JvpRules } from "./jvp.ts";
import { rootTangent } from "../implicit.ts";
import { instantiate, jvpFlat } from "../jvp.ts";

type T = Array | null;

/** Custom rules see only their explicit arguments: a differentiated closure value would be lost. */
function checkConstTangents(op: string, tangents: T[], numConsts: number, name: string): void {
  if (tangents.slice(0, numConsts).some((t) => t !== null)) {
    throw new Error(
      `${op}: the function '${name}' closes over a value that is being differentiated; its ` +
        `custom rule cannot see it. Pass that value as an argument instead.`,
    );
  }
}

/** JVP rules for the custom primitives. */
export const customJvpRules: Pick<
  JvpRules,
  "custom_jvp_call" | "custom_vjp_call" | "custom_lin" | "linear_solve" | "custom_root"
> = {
  custom_jvp_call: (primals, tangents, p) => {
    checkConstTangents("customJvp", tangents, p.numConsts, p.name);
    const args = primals.slice(p.numConsts);
    const ts = tangents.slice(p.numConsts).map((t, i) => instantiate(t, args[i]));
    return p.jvp(args, ts);
  },
  custom_vjp_call: (primals, tangents, p) => {
    checkConstTangents("customVjp", tangents, p.numConsts, p.name);
    const args = primals.slice(p.numConsts);
    const [outs, res]: [Array[], Array[]] = p.fwd(args);
    const ts = tangents.slice(p.numConsts).map((t, i) => instantiate(t, args[i]));
    const touts = bind(P.custom_lin, [...res, ...ts], {
      numRes: res.length,
      bwd: p.bwd,
      outAvals: outs.map((o) => o.aval.strengthen()),
      name: p.name,
    });
    return [outs, touts];
  },
  custom_lin: () => {
    throw new Error("jvp: differentiating the tangent of a customVjp function is not supported");
  },
  linear_solve: (primals, tangents, p) => {
    const k = p.numConsts;
    const consts = primals.slice(0, k);
    const x = bind(P.linear_solve, primals, p);
    const ct = tangents.slice(0, k), bt = tangents.slice(k);
    let rhs: T[] = bt;
    if (ct.some((t) => t !== null)) {
      // ẋ = A⁻¹ (ḃ − Ȧ x): Ȧx is the matvec's tangent in its constants at fixed x.
      const [, ax] = jvpFlat((...cs) => evalJaxpr(p.matvec, [], [...cs, ...x]), consts, ct);
      rhs = bt.map((b, i) => sub(instantiate(b, x[i]), instantiate(ax[i], x[i])));
    }
    if (rhs.every((r) => r === null)) return [x, x.map(() => null)];
    const xdot = bind(P.linear_solve, [...consts, ...rhs.map((r, i) => instantiate(r, x[i]))], p);
    return [x, xdot];
  },
  custom_root: (primals, tangents, p) => {
    const k = p.numConsts;
    const x = bind(P.custom_root, primals, p);
    const ct = tangents.slice(0, k);
    // The root does not depend on the initial guess, so its tangent is ignored.
    if (ct.every((t) => t === null)) return [x, x.map(() => null)];
    return [x, rootTangent(p, primals.slice(0, k), x, ct)];
  },
};
