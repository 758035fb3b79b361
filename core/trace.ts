/**
 * The interpreter: every operation calls {@link bind}, and the *current trace* decides what happens:
 * evaluate (the root {@link EvalTrace}), record into a jaxpr, push tangents, add a batch axis.
 *
 * This is JAX's "stackless" design (Autodidax 2): a trace knows its parent; a tracer knows its trace.
 * A trace processes a primitive by unwrapping its own tracers and re-binding in its parent, so
 * transforms nest in any order and values of outer traces are simply constants to inner ones.
 *
 * @module
 */
import { Array } from "./array.ts";
import type { ShapedArray } from "./aval.ts";
import type { DeviceArray } from "./device_array.ts";
import type { TypedArray } from "./dtype.ts";
import type { Params, Primitive } from "./primitive.ts";

/** A context that gives meaning to primitive applications. */
export abstract class Trace {
  /** False once the transform that created this trace has returned. */
  active = true;
  /** The trace whose values are constants to this one (null for the root). */
  readonly parent: Trace | null;
  /** The transform's name, used in error messages ("grad", "vmap", "jit", ...). */
  readonly kind: string;
  /** A trace nested in `parent`. */
  constructor(parent: Trace | null, kind: string) {
    this.parent = parent;
    this.kind = kind;
  }
  /** Applies `prim` to `args` (this trace's tracers or outer values). */
  abstract process(prim: Primitive, args: Array[], params: Params): Array[];

  /** True when `x` is a tracer of this trace; throws when `x` is a tracer that escaped its transform. */
  owns(x: Array): boolean {
    if (!(x instanceof Tracer)) return false;
    if (x.trace === this) return true;
    checkVisible(x, this);
    return false;
  }
}

/** Throws a clear error when tracer `x` does not belong to `t` or one of its ancestors. */
export function checkVisible(x: Tracer, t: Trace): void {
  for (let s: Trace | null = t; s; s = s.parent) if (s === x.trace) return;
  throw new EscapedTracerError(x);
}

/** A value inside a transform: it stands for an array while a function is being transformed. */
export abstract class Tracer extends Array {
  /** Creates a tracer of trace `trace`. */
  constructor(readonly trace: Trace) {
    super();
  }
  /** Throws: a traced value has no data yet (except for a solver's closure, see {@link runSolver}). */
  override dataSync(): TypedArray {
    if (solverName !== null) return closureValue(this).dataSync();
    throw new ConcretizationError(this, "dataSync()");
  }
  /** Throws: a traced value has no data yet (except for a solver's closure, see {@link runSolver}). */
  override data(): Promise<TypedArray> {
    if (solverName !== null) return closureValue(this).data();
    throw new ConcretizationError(this, "data()");
  }
  /** Throws: a traced value has no data yet (except for a solver's closure, see {@link runSolver}). */
  override item(): number {
    if (solverName !== null) return closureValue(this).item();
    throw new ConcretizationError(this, "item()");
  }
  /**
   * The value this tracer stands for when its transform's derivative is ignored — a JVP tracer's
   * primal — or null when that is not a value known now (vmap's batch, jit's staged variable).
   */
  primalValue(): Array | null {
    return null;
  }
  /** Nothing to release: tracers hold no storage. */
  override dispose(): void {}
  /**
   * Using a traced value as a JS number or boolean (`x > 0`, `+x`, `x == 0`) is an error: it has
   * no value yet (JAX's TracerBoolConversionError). As a string (`${x}`, `String(x)`) it describes
   * itself, so debug printing works while tracing. A bare `if (x)` cannot be detected: JS tests an
   * object's truthiness without asking it, and every array, traced or not, is truthy.
   */
  [Symbol.toPrimitive](hint: string): string {
    if (hint === "string") return this.toString();
    throw new TracerBoolConversionError(this, hint);
  }
}

/** Raised when a traced value is used where a concrete JS value is needed. */
export class ConcretizationError extends Error {
  /** The error for attempting `what` on tracer `t`. */
  constructor(t: Tracer, what: string) {
    super(
      `${what} was called on a traced value ${t.aval} inside ${t.trace.kind}: its value is not ` +
        `known while the function is being transformed. Return it from the function instead, or ` +
        `mark the argument static (jit's staticArgnums).`,
    );
    this.name = "ConcretizationError";
  }
}

/** Raised when a traced value is converted to a JS boolean/number, as in `if (x > 0)`. */
export class TracerBoolConversionError extends Error {
  /** The error for converting tracer `t` with JS conversion hint `hint`. */
  constructor(t: Tracer, hint: string) {
    super(
      `A traced value ${t.aval} inside ${t.trace.kind} was converted to a JS ${
        hint === "string" ? "string" : "number/boolean"
      } (as in \`if (x > 0)\` or \`+x\`). Its value is not known while tracing, so a JS branch ` +
        `cannot depend on it. Use where(cond, a, b) for elementwise choices, or cond(pred, ...) / ` +
        `whileLoop(...) for control flow that depends on traced values.`,
    );
    this.name = "TracerBoolConversionError";
  }
}

/** Raised when a tracer is used after its transform returned (it was stored outside the function). */
export class EscapedTracerError extends Error {
  /** The error for escaped tracer `t`. */
  constructor(t: Tracer) {
    super(
      `Escaped tracer: a value ${t.aval} traced by ${t.trace.kind} is used outside the ` +
        `function being transformed (it was probably saved in an outer variable or closure). ` +
        `Return values from the transformed function instead of storing them.`,
    );
    this.name = "EscapedTracerError";
  }
}

/**
 * Raised when a user solver (customRoot, linearSolve) reads from its closure a traced value whose
 * value is not known when the solver runs.
 */
export class SolverClosureError extends Error {
  /** The error for solver `op` reading tracer `t`. */
  constructor(op: string, t: Tracer) {
    const why = t.trace.active
      ? `under grad, jvp, jacfwd and jacrev a closed-over value is read as its primal, but not ` +
        `under ${t.trace.kind}`
      : `here the solver runs after ${t.trace.kind} has finished, as in a jitted function or a ` +
        `loop body, where the solver runs when the compiled program does`;
    super(
      `${op}: the solve callback reads a value ${t.aval} traced by ${t.trace.kind} from its ` +
        `closure, and that value is not known when the solver runs (solvers run on concrete ` +
        `values, outside the transforms; ${why}). Either make the solve traceable ` +
        `(array operations only: no item(), dataSync() or JS branches on values), so that it is ` +
        `traced with its closed-over values as operands, as JAX's custom_root does, or let the ` +
        `solver reach the value through the function it is given (close over it in f/matvec, ` +
        `which are traced, instead of in the solver).`,
    );
    this.name = "SolverClosureError";
  }
}

// The name of the user solver running now (null when none): see runSolver.
let solverName: string | null = null;

/**
 * Runs a user solver (the opaque `solve` callbacks of customRoot and linearSolve), which works on
 * concrete values. Tracers it reads from its closure stand for their primal values (their
 * derivative is not wanted: the solver's answer is differentiated implicitly); a tracer without
 * one (vmap, jit) raises a {@link SolverClosureError} that says what to do.
 *
 * @example
 * ```ts
 * import { runSolver } from "./trace.ts";
 * runSolver("customRoot", () => 42); // 42
 * ```
 */
export function runSolver<T>(op: string, fn: () => T): T {
  const saved = solverName;
  solverName = op;
  try {
    return fn();
  } finally {
    solverName = saved;
  }
}

/** The concrete value a running solver reads for closed-over tracer `t`. */
function closureValue(t: Tracer): Array {
  let x: Array = t;
  while (x instanceof Tracer) {
    // A JVP tracer's primal stays valid after its trace ends (the backward pass of grad runs
    // then); staged and batched values have none.
    const p: Array | null = x.primalValue();
    if (p === null) throw new SolverClosureError(solverName ?? "solver", x);
    x = p;
  }
  return x;
}

/** The root trace: evaluates primitives eagerly on concrete arrays. */
export class EvalTrace extends Trace {
  /** The root trace (there is one). */
  constructor() {
    super(null, "eager evaluation");
  }
  /** Runs the primitive's CPU implementation, or on the device where an operand lives. */
  process(prim: Primitive, args0: Array[], params: Params): Array[] {
    // A running solver reads closed-over tracers as their primal values (see runSolver).
    const args = solverName === null
      ? args0
      : args0.map((a) => (a instanceof Tracer ? closureValue(a) : a));
    for (const a of args) {
      if (a instanceof Tracer) throw new EscapedTracerError(a);
    }
    // The shape/dtype rule validates operands eagerly too, so errors do not depend on tracing.
    prim.abstractEval(args.map((a) => a.aval), params);
    const xs = args as DeviceArray[];
    if (deviceDispatch.run && xs.some((x) => x.device !== "cpu")) {
      return deviceDispatch.run(prim, xs, params);
    }
    return prim.impl(xs, params);
  }
}

/**
 * How eager operations on arrays that live on another device run (`jit/` sets it: as a compiled
 * program of one primitive on that device). A settable hook because `core/` must not depend on
 * `jit/`; null means every operand must be on the CPU.
 *
 * @example
 * ```ts
 * import { deviceDispatch } from "./trace.ts";
 * console.log(deviceDispatch.run === null ? "cpu only" : "devices");
 * ```
 */
export const deviceDispatch: {
  run: ((prim: Primitive, args: DeviceArray[], params: Params) => Array[]) | null;
} = { run: null };

const root = new EvalTrace();
let current: Trace = root;

/** The trace that operations are currently bound in. */
export function currentTrace(): Trace {
  return current;
}

/** Runs `fn` with `t` as the current trace. */
export function withTrace<T>(t: Trace, fn: () => T): T {
  const saved = current;
  current = t;
  try {
    return fn();
  } finally {
    current = saved;
  }
}

/**
 * The params argument of {@link bind} for a primitive whose params have type `Q`: optional when no
 * field of `Q` is required (most primitives take none), required otherwise. `NoInfer` makes `Q`
 * come from the primitive alone, so the params are checked against its declaration.
 */
type ParamsArg<Q extends Params> = Record<never, never> extends Q ? [params?: NoInfer<Q>]
  : [params: NoInfer<Q>];

/** Applies a primitive in the current trace; returns its outputs. */
export function bind<Q extends Params>(
  prim: Primitive<Q>,
  args: Array[],
  ...params: ParamsArg<Q>
): Array[];
// The implementation takes any primitive: it only hands both to the current trace.
export function bind(prim: Primitive, args: Array[], params: Params = {}): Array[] {
  return current.process(prim, args, params);
}

/** Applies a single-output primitive. */
export function bind1<Q extends Params>(
  prim: Primitive<Q>,
  args: Array[],
  ...params: ParamsArg<Q>
): Array;
// As for bind.
export function bind1(prim: Primitive, args: Array[], params: Params = {}): Array {
  return current.process(prim, args, params)[0];
}

/** The abstract value of any array or tracer. */
export function avalOf(x: Array): ShapedArray {
  return x.aval;
}
