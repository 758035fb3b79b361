/**
 * Forward-mode differentiation: the JVP trace pushes a tangent alongside every primal value.
 * A `null` tangent is a symbolic zero: inputs that do not vary cost nothing.
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import { isFloat } from "../core/dtype.ts";
import type { Params, Primitive } from "../core/primitive.ts";
import { bind, currentTrace, Trace, Tracer, withTrace } from "../core/trace.ts";
import { astype } from "../core/ops/convert.ts";
import { zerosLike } from "../core/ops/creation.ts";
import { type JvpRule, jvpRules } from "./rules/jvp.ts";
import type { PrimitiveName } from "../core/primitives/mod.ts";
import type { ShapedArray } from "../core/aval.ts";

/** A tangent that may be a symbolic zero (`null`). */
export type Tangent = Array | null;

/** A value in a JVP trace: a primal and its tangent. */
export class JVPTracer extends Tracer {
  /** @param trace its trace, @param primal the value, @param tangent its tangent (null = zero) */
  constructor(trace: JVPTrace, readonly primal: Array, readonly tangent: Tangent) {
    super(trace);
  }
  /** The primal's abstract value. */
  get aval(): ShapedArray {
    return this.primal.aval;
  }
  /** The primal (what a solver reads from its closure). */
  override primalValue(): Array {
    return this.primal;
  }
}

/** The forward-mode trace. */
export class JVPTrace extends Trace {
  /** @param parent the enclosing trace, @param kind transform name for messages */
  constructor(parent: Trace, kind = "jvp") {
    super(parent, kind);
  }
  /** Splits `x` into primal and tangent as seen by this trace. */
  unpack(x: Array): [Array, Tangent] {
    if (this.owns(x)) {
      const t = x as JVPTracer;
      return [t.primal, t.tangent];
    }
    return [x, null];
  }
  process(prim: Primitive, args: Array[], params: Params): Array[] {
    const pairs = args.map((a) => this.unpack(a));
    const primals = pairs.map((p) => p[0]);
    const tangents = pairs.map((p) => p[1]);
    if (tangents.every((t) => t === null)) {
      return withTrace(this.parent!, () => bind(prim, primals, params));
    }
    const rule: JvpRule | undefined = jvpRules[prim.name as PrimitiveName];
    if (!rule) throw new Error(`jvp: no differentiation rule for primitive '${prim.name}'`);
    const [outs, outTs] = withTrace(this.parent!, () => rule(primals, tangents, params));
    return outs.map((o, i) => {
      const t = outTs[i];
      return t && isFloat(o.dtype) ? new JVPTracer(this, o, t) : o;
    });
  }
}

/** Runs flat `f` in a new JVP trace; returns primal and tangent outputs (tangents may be null). */
export function jvpFlat(
  f: (...xs: Array[]) => Array[],
  primals: Array[],
  tangents: Tangent[],
  kind = "jvp",
): [Array[], Tangent[]] {
  const trace = new JVPTrace(currentTrace(), kind);
  const ins = primals.map((p, i) => {
    const t = tangents[i];
    if (t === null || !isFloat(p.dtype)) return p;
    return new JVPTracer(trace, p, t.dtype === p.dtype ? t : astype(t, p.dtype));
  });
  try {
    const outs = withTrace(trace, () => f(...ins));
    const res = outs.map((o) => trace.unpack(o));
    return [res.map((r) => r[0]), res.map((r) => r[1])];
  } finally {
    trace.active = false;
  }
}

/** Replaces a symbolic zero tangent by an array of zeros like `primal`. */
export function instantiate(t: Tangent, primal: Array): Array {
  return t ?? zerosLike(primal);
}
