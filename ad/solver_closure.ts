/**
 * Closure conversion of the user solvers of `customRoot` and `linearSolve`.
 *
 * A solver is JS code that runs on concrete values when the primitive executes. Values it closes
 * over are fine when they are concrete, and under grad/jvp (a closed-over JVP tracer is read as its
 * primal: see `runSolver` in core/trace.ts). But where the solver runs later or per example — the
 * primitive is staged into a jitted program or a loop body, or batched by vmap — a closed-over
 * traced value has no value the solver could read. There, as JAX's `custom_root` does with
 * `closure_convert`, the solver is traced into a jaxpr whose closed-over values become explicit
 * operands of the primitive (f or matvec get matching unused inputs, so the derivative rules
 * treat them as constants with no effect on the answer). A solver that cannot be traced (it reads
 * values with item() or dataSync(), as most iterative solvers here do) stays opaque.
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import type { ShapedArray } from "../core/aval.ts";
import { evalJaxpr, Jaxpr, Var } from "../core/jaxpr.ts";
import type { SolveFn } from "../core/primitives/custom.ts";
import { StagingTrace, type Traced, traceFlat } from "../core/staging.ts";
import { currentTrace, type Trace } from "../core/trace.ts";
import { BatchTrace } from "./vmap.ts";

/**
 * True when a solver bound now will not run now on values its closure can be read from: a
 * transform that stages (jit, loop bodies, makeJaxpr) or batches (vmap) is active.
 */
export function solverDeferred(): boolean {
  for (let t: Trace | null = currentTrace(); t; t = t.parent) {
    if (t instanceof BatchTrace || (t instanceof StagingTrace && t.stageAll)) return true;
  }
  return false;
}

/** A solver traced to a jaxpr: its constvars are the closed-over values `closure`. */
export interface TracedSolver {
  /** (primitive constants..., right-hand side...) → answer, with the closure as constvars. */
  jaxpr: Jaxpr;
  /** The closed-over values (concrete arrays or tracers of enclosing transforms). */
  closure: Array[];
}

/**
 * Traces `run(consts, b)` at the given types; null when the solver cannot be traced (it reads
 * values) or does not return values of b's types.
 */
export function traceSolver(
  op: string,
  run: (consts: Array[], b: Array[]) => Array[],
  constAvals: readonly ShapedArray[],
  bAvals: readonly ShapedArray[],
): TracedSolver | null {
  const k = constAvals.length;
  let t: Traced;
  try {
    t = traceFlat((...xs) => run(xs.slice(0, k), xs.slice(k)), [...constAvals, ...bAvals], op);
  } catch {
    return null; // an opaque solver: it runs as JS code on concrete values
  }
  const outs = t.jaxpr.outAvals;
  if (outs.length !== bAvals.length || outs.some((a, i) => !a.equals(bAvals[i]))) return null;
  return { jaxpr: t.jaxpr, closure: t.consts };
}

/**
 * The solve function of a traced solver whose closure sits at `offset` among the primitive's
 * constants (after the `numConsts` constants of f or matvec).
 */
export function tracedSolveFn(s: TracedSolver, numConsts: number, offset: number): SolveFn {
  const n = s.closure.length;
  return (consts, b) =>
    evalJaxpr(s.jaxpr, consts.slice(offset, offset + n), [...consts.slice(0, numConsts), ...b]);
}

/** `j` with unused inputs of types `avals` inserted after its first `numConsts` inputs. */
export function withUnusedConsts(
  j: Jaxpr,
  numConsts: number,
  avals: readonly ShapedArray[],
): Jaxpr {
  if (avals.length === 0) return j;
  const extra = avals.map((a) => new Var(a));
  return new Jaxpr(
    j.constvars,
    [...j.invars.slice(0, numConsts), ...extra, ...j.invars.slice(numConsts)],
    j.eqns,
    j.outvars,
  );
}
