/**
 * Reverse mode as JAX does it: `linearize` (JVP + partial evaluation) splits a function into the
 * primal computation, run now, and a linear tangent program, staged as a jaxpr; `transpose` runs that
 * program backwards. Only linear primitives need transpose rules.
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import { isFloat } from "../core/dtype.ts";
import { type Atom, type Jaxpr, Literal, Var } from "../core/jaxpr.ts";
import { StagingTrace, type StagingTracer } from "../core/staging.ts";
import { bind, currentTrace, withTrace } from "../core/trace.ts";
import { add } from "../core/ops/elementwise.ts";
import { jvpFlat } from "./jvp.ts";
import { type TransposeRule, transposeRules, UndefPrimal } from "./rules/transpose.ts";
import type { PrimitiveName } from "../core/primitives/mod.ts";

/** The result of linearizing a flat function at a point. */
export interface Linearized {
  /** Primal outputs. */
  outs: Array[];
  /** The tangent program: invars are the tangents of the float inputs, outvars the nonzero output tangents. */
  jaxpr: Jaxpr;
  /** Residuals: values of the jaxpr's constvars. */
  consts: Array[];
  /** Which inputs have a tangent input in `jaxpr` (float inputs). */
  inMask: boolean[];
  /** Which outputs have a tangent output in `jaxpr` (the others' tangents are zero). */
  outMask: boolean[];
}

/** Linearizes flat `f` at `primals`. */
export function linearizeFlat(
  f: (...xs: Array[]) => Array[],
  primals: Array[],
  kind: string,
): Linearized {
  const lin = new StagingTrace(currentTrace(), kind, false);
  const inMask = primals.map((p) => isFloat(p.dtype));
  const tanIns = primals.map((p, i) => (inMask[i] ? lin.newArg(p.aval.strengthen()) : null));
  let res: ReturnType<typeof jvpFlat>;
  try {
    res = withTrace(lin, () => jvpFlat(f, primals, tanIns, kind));
  } catch (e) {
    lin.active = false;
    throw e;
  }
  const [outs, touts] = res;
  const outMask = touts.map((t) => t !== null);
  const { jaxpr, consts } = lin.build(
    tanIns.filter((t): t is StagingTracer => t !== null),
    touts.filter((t): t is Array => t !== null),
  );
  return { outs, jaxpr, consts, inMask, outMask };
}

/**
 * Runs the linear program `jaxpr` backwards: given cotangents of its outputs (null = zero), returns
 * cotangents of its inputs (null = zero). Equations whose inputs are all known (not linear) are
 * evaluated forward first. Runs in the current trace, so it composes with other transforms.
 */
export function backwardPass(
  jaxpr: Jaxpr,
  consts: readonly Array[],
  cts: (Array | null)[],
): (Array | null)[] {
  const known = new Map<Var, Array>();
  jaxpr.constvars.forEach((v, i) => known.set(v, consts[i]));
  const linear = new Set<Var>(jaxpr.invars);
  const isLin = (a: Atom) => a instanceof Var && linear.has(a);
  const read = (a: Atom) => (a instanceof Literal ? a.array : known.get(a)!);
  const linEqns = [];
  for (const e of jaxpr.eqns) {
    if (e.inputs.some(isLin)) {
      e.outputs.forEach((v) => linear.add(v));
      linEqns.push(e);
    } else {
      const outs = bind(e.prim, e.inputs.map(read), e.params);
      e.outputs.forEach((v, i) => known.set(v, outs[i]));
    }
  }
  const ctEnv = new Map<Var, Array>();
  const accum = (v: Var, ct: Array | null) => {
    if (ct === null) return;
    const prev = ctEnv.get(v);
    ctEnv.set(v, prev ? add(prev, ct) : ct);
  };
  jaxpr.outvars.forEach((o, i) => {
    if (isLin(o)) accum(o as Var, cts[i]);
  });
  for (let k = linEqns.length - 1; k >= 0; k--) {
    const e = linEqns[k];
    const ctsOut = e.outputs.map((v) => ctEnv.get(v) ?? null);
    if (ctsOut.every((c) => c === null)) continue;
    const rule: TransposeRule | undefined = transposeRules[e.prim.name as PrimitiveName];
    if (!rule) {
      throw new Error(
        `transpose: primitive '${e.prim.name}' is not linear in its tangent inputs and has no ` +
          `transpose rule (reverse-mode differentiation through it is not supported)`,
      );
    }
    const args = e.inputs.map((a) => (isLin(a) ? new UndefPrimal(a.aval) : read(a)));
    const ctsIn = rule(ctsOut, args, e.params);
    e.inputs.forEach((a, i) => {
      if (isLin(a)) accum(a as Var, ctsIn[i]);
    });
  }
  return jaxpr.invars.map((v) => ctEnv.get(v) ?? null);
}
