/**
 * Staging: recording primitive applications into a jaxpr instead of running them.
 *
 * A {@link StagingTrace} has two modes. With `stageAll` (jit, makeJaxpr) every operation is recorded.
 * Without it (linearize's partial evaluation) an operation is recorded only when one of its inputs is
 * one of this trace's tracers (an "unknown"); operations on known values are handed to the parent trace
 * and run now. Known values used by recorded equations become the jaxpr's constants (residuals).
 *
 * @module
 */
import type { Array } from "./array.ts";
import type { ShapedArray } from "./aval.ts";
import { DeviceArray } from "./device_array.ts";
import { type Atom, dce, type Eqn, Jaxpr, Literal, Var } from "./jaxpr.ts";
import type { Params, Primitive } from "./primitive.ts";
import { bind, currentTrace, Trace, Tracer, withTrace } from "./trace.ts";

/** A tracer standing for a jaxpr variable. */
export class StagingTracer extends Tracer {
  /** @param trace its trace, @param v the variable it stands for */
  constructor(trace: StagingTrace, readonly v: Var) {
    super(trace);
  }
  /** The variable's abstract value. */
  get aval(): ShapedArray {
    return this.v.aval;
  }
}

/** A trace that records equations into a jaxpr. */
export class StagingTrace extends Trace {
  readonly eqns: Eqn[] = [];
  readonly #constVars = new Map<Array, Var>();

  /**
   * @param parent where known operations run and where constants live
   * @param kind the transform's name for error messages
   * @param stageAll record every operation (true) or only those touching this trace's tracers
   */
  constructor(parent: Trace, kind: string, readonly stageAll: boolean) {
    super(parent, kind);
  }

  /** A fresh input variable. */
  newArg(aval: ShapedArray): StagingTracer {
    return new StagingTracer(this, new Var(aval));
  }

  /** The atom standing for `x` in this jaxpr: its variable, an inline literal or a constvar. */
  atomFor(x: Array): Atom {
    if (this.owns(x)) return (x as StagingTracer).v;
    // Scalars on the CPU become literals (readable now); device scalars stay constants, since
    // reading them would need an asynchronous readback.
    if (x instanceof DeviceArray && x.ndim === 0 && !x.disposed && x.device === "cpu") {
      return new Literal(x.dataSync()[0], x.aval, x);
    }
    let v = this.#constVars.get(x);
    if (!v) {
      v = new Var(x.aval);
      this.#constVars.set(x, v);
    }
    return v;
  }

  process(prim: Primitive, args: Array[], params: Params): Array[] {
    if (!this.stageAll && !args.some((a) => this.owns(a))) {
      return withTrace(this.parent!, () => bind(prim, args, params));
    }
    const inputs = args.map((a) => this.atomFor(a));
    const outAvals = prim.abstractEval(inputs.map((a) => a.aval), params);
    const outputs = outAvals.map((a) => new Var(a));
    this.eqns.push({ prim, inputs, params, outputs });
    return outputs.map((v) => new StagingTracer(this, v));
  }

  /**
   * Finishes tracing: the jaxpr from `inputs` to `outputs`, with the constants it captured.
   * Outputs that are not this trace's tracers become constants.
   */
  build(inputs: StagingTracer[], outputs: Array[]): { jaxpr: Jaxpr; consts: Array[] } {
    const outvars = outputs.map((o) => this.atomFor(o));
    this.active = false;
    const consts = [...this.#constVars.keys()];
    const constvars = [...this.#constVars.values()];
    const jaxpr = dce(new Jaxpr(constvars, inputs.map((t) => t.v), this.eqns, outvars));
    // Drop constants that dead-code elimination made unused.
    const used = new Set<Var>();
    for (const e of jaxpr.eqns) for (const a of e.inputs) if (a instanceof Var) used.add(a);
    for (const o of jaxpr.outvars) if (o instanceof Var) used.add(o);
    const keep = constvars.map((v) => used.has(v));
    return {
      jaxpr: new Jaxpr(
        constvars.filter((_, i) => keep[i]),
        jaxpr.invars,
        jaxpr.eqns,
        jaxpr.outvars,
      ),
      consts: consts.filter((_, i) => keep[i]),
    };
  }
}

/** Result of tracing a flat function to a jaxpr. */
export interface Traced {
  /** The program. */
  jaxpr: Jaxpr;
  /** Values of its constvars (concrete arrays or tracers of enclosing transforms). */
  consts: Array[];
}

let traces = 0;

/**
 * Number of jaxprs traced so far by {@link traceFlat} in this process (tests use it to check that
 * caches of traced programs work: a repeated call traces nothing).
 *
 * @example
 * ```ts
 * import { traceCount } from "./staging.ts";
 * const before = traceCount();
 * // ... a call that should hit every cache ...
 * console.log(traceCount() - before); // 0
 * ```
 */
export function traceCount(): number {
  return traces;
}

/**
 * Traces `fn` (flat arrays in, flat arrays out) at the given input types into a jaxpr, recording
 * every operation.
 */
export function traceFlat(
  fn: (...args: Array[]) => Array[],
  inAvals: readonly ShapedArray[],
  kind: string,
): Traced {
  traces++;
  const trace = new StagingTrace(currentTrace(), kind, true);
  const ins = inAvals.map((a) => trace.newArg(a));
  let outs: Array[];
  try {
    outs = withTrace(trace, () => fn(...ins));
  } catch (e) {
    trace.active = false;
    throw e;
  }
  return trace.build(ins, outs);
}

/**
 * Closure conversion: moves a traced jaxpr's constvars to the front of its invars, so a
 * higher-order primitive can take the constants as ordinary operands.
 */
export function hoistConsts(t: Traced): { jaxpr: Jaxpr; consts: Array[] } {
  const j = t.jaxpr;
  return {
    jaxpr: new Jaxpr([], [...j.constvars, ...j.invars], j.eqns, j.outvars),
    consts: t.consts,
  };
}
