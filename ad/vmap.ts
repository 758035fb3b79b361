/**
 * Vectorisation: the batch trace carries, for each value, the axis along which it is batched
 * (`null` = the same for every example).
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import type { ShapedArray } from "../core/aval.ts";
import type { Params, Primitive } from "../core/primitive.ts";
import { bind, currentTrace, Trace, Tracer, withTrace } from "../core/trace.ts";
import { moveaxis } from "../core/ops/shape.ts";
import { broadcastTo } from "../core/ops/convert.ts";
import { type BatchRule, batchRules } from "./rules/batch.ts";
import type { PrimitiveName } from "../core/primitives/mod.ts";
import { ShapedArray as SA } from "../core/aval.ts";

/** A batch dimension: an axis index, or null for unbatched values. */
export type BDim = number | null;

/** A value in a batch trace. */
export class BatchTracer extends Tracer {
  /** @param trace its trace, @param val the batched value, @param bdim its batch axis */
  constructor(trace: BatchTrace, readonly val: Array, readonly bdim: BDim) {
    super(trace);
  }
  /** The per-example abstract value (batch axis removed). */
  get aval(): ShapedArray {
    const a = this.val.aval;
    if (this.bdim === null) return a;
    return new SA(a.shape.filter((_, i) => i !== this.bdim), a.dtype, a.weakType);
  }
}

/** The vmap trace. */
export class BatchTrace extends Trace {
  /** @param parent enclosing trace, @param axisSize the batch size */
  constructor(parent: Trace, readonly axisSize: number) {
    super(parent, "vmap");
  }
  /** Splits `x` into value and batch axis as seen by this trace. */
  unpack(x: Array): [Array, BDim] {
    if (this.owns(x)) {
      const t = x as BatchTracer;
      return [t.val, t.bdim];
    }
    return [x, null];
  }
  process(prim: Primitive, args: Array[], params: Params): Array[] {
    const pairs = args.map((a) => this.unpack(a));
    const vals = pairs.map((p) => p[0]), dims = pairs.map((p) => p[1]);
    if (dims.every((d) => d === null)) {
      return withTrace(this.parent!, () => bind(prim, vals, params));
    }
    const rule: BatchRule | undefined = batchRules[prim.name as PrimitiveName];
    if (!rule) throw new Error(`vmap: no batching rule for primitive '${prim.name}'`);
    const [outs, outDims] = withTrace(this.parent!, () => rule(vals, dims, params, this.axisSize));
    return outs.map((o, i) => (outDims[i] === null ? o : new BatchTracer(this, o, outDims[i])));
  }
}

/**
 * Runs flat `f` with the inputs batched along `inDims`; returns outputs with their batch axes moved to
 * `outDims` (null = unbatched, which requires the output not to vary along the batch).
 */
export function vmapFlat(
  f: (...xs: Array[]) => Array[],
  args: Array[],
  inDims: BDim[],
  axisSize: number,
): [Array[], BDim[]] {
  const trace = new BatchTrace(currentTrace(), axisSize);
  const ins = args.map((a, i) => (inDims[i] === null ? a : new BatchTracer(trace, a, inDims[i])));
  try {
    const outs = withTrace(trace, () => f(...ins));
    const res = outs.map((o) => trace.unpack(o));
    return [res.map((r) => r[0]), res.map((r) => r[1])];
  } finally {
    trace.active = false;
  }
}

/** Moves (or creates, by broadcasting) the batch axis of `x` to position `to`. */
export function moveBatchAxis(x: Array, from: BDim, to: number, axisSize: number): Array {
  if (from === null) {
    const b = broadcastTo(x, [axisSize, ...x.shape]);
    return to === 0 ? b : moveaxis(b, 0, to);
  }
  return from === to ? x : moveaxis(x, from, to);
}
