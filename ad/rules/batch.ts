/**
 * Batching rules: for each primitive, how to apply it to operands carrying a batch axis.
 * Most rules move the batch axis to the front (broadcasting unbatched operands when needed) and
 * shift the primitive's axis parameters by one.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import type { Params } from "../../core/primitive.ts";
import { P, type ParamsOf, type PrimitiveName } from "../../core/primitives/mod.ts";
import { bind, bind1 } from "../../core/trace.ts";
import * as np from "../../core/ops/mod.ts";
import { type BDim, moveBatchAxis } from "../vmap.ts";
import { controlBatchRules } from "./batch_control.ts";
import { linalgBatchRules } from "./batch_linalg.ts";
import { customBatchRules } from "./batch_custom.ts";
import { numpyBatchRules } from "./batch_numpy.ts";

/**
 * A batching rule: (values, batch axes, params, batch size) → [outputs, their batch axes], for a
 * primitive whose params have type `Q`. A method type, bivariant in `params` for the reason given
 * at `JvpRule` (the batch trace calls the rule of a primitive known only at run time).
 */
export type BatchRule<Q extends Params = Params> = {
  rule(vals: Array[], dims: BDim[], params: Q, axisSize: number): [Array[], BDim[]];
}["rule"];

/**
 * The batching rule of each primitive, receiving the params declared with it. Exhaustive: adding a
 * primitive makes the type checker ask for its rule.
 */
export type BatchRules = { [K in PrimitiveName]: BatchRule<ParamsOf<K>> };

/** An explicit int32 scalar, so index arithmetic stays int32 whatever the JS-number promotion rules. */
const int32 = (v: number): Array => np.array(v, "int32");

const front = (xs: Array[], dims: BDim[], n: number) =>
  xs.map((x, i) => moveBatchAxis(x, dims[i], 0, n));

/** Elementwise (and other rank-polymorphic) primitives: all operands batched at axis 0. */
function elementwise(prim: PrimitiveName): BatchRule {
  return (xs, dims, params, n) => {
    const d0 = dims.find((d) => d !== null)!;
    if (dims.every((d) => d === d0)) {
      const outs = bind(P[prim], xs, params);
      return [outs, outs.map(() => d0)];
    }
    const outs = bind(P[prim], front(xs, dims, n), params);
    return [outs, outs.map(() => 0)];
  };
}

/** Unary primitive with the batch axis in front, where its `axes` parameter shifts by one. */
function withAxes(prim: PrimitiveName): BatchRule<{ axes: number[] }> {
  return ([x], [d], params, n) => {
    const xb = moveBatchAxis(x, d, 0, n);
    return [bind(P[prim], [xb], { ...params, axes: params.axes.map((a) => a + 1) }), [0]];
  };
}

/** Unary primitive with the batch axis in front, where its `axis` parameter shifts by one. */
function withAxis(prim: PrimitiveName): BatchRule<{ axis: number }> {
  return ([x], [d], params, n) => {
    const xb = moveBatchAxis(x, d, 0, n);
    return [bind(P[prim], [xb], { ...params, axis: params.axis + 1 }), [0]];
  };
}

/** Gather with both operand and indices batched: offset indices into a flattened operand. */
function gatherBatch(
  [x, idx]: Array[],
  [dx, di]: BDim[],
  { axis }: ParamsOf<"gather">,
  n: number,
): [Array[], BDim[]] {
  if (di === null) {
    return [[bind1(P.gather, [moveBatchAxis(x, dx, 0, n), idx], { axis: axis + 1 })], [0]];
  }
  const ib = moveBatchAxis(idx, di, 0, n);
  if (dx === null) return [[bind1(P.gather, [x, ib], { axis })], [axis]];
  const xb = moveBatchAxis(x, dx, 0, n);
  const len = xb.shape[axis + 1];
  // [B, pre, len, post] -> [B*len, pre, post]; index b*len + clamp(i).
  const pre = xb.shape.slice(1, axis + 1), post = xb.shape.slice(axis + 2);
  const perm = [0, axis + 1, ...pre.map((_, i) => i + 1), ...post.map((_, i) => axis + 2 + i)];
  const flat = np.reshape(np.transpose(xb, perm), [n * len, ...pre, ...post]);
  // Int32 constants throughout: gather/scatter_add reject float indices.
  const offs = np.reshape(np.mul(np.arange(n), int32(len)), [n, ...ib.shape.slice(1).map(() => 1)]);
  const gi = np.add(np.clip(ib, int32(0), int32(len - 1)), offs);
  const g = bind1(P.gather, [flat, gi], { axis: 0 }); // [B, ishape, pre, post]
  const k = ib.ndim - 1;
  const outPerm = [
    0,
    ...pre.map((_, i) => 1 + k + i),
    ...globalThis.Array.from({ length: k }, (_, i) => 1 + i),
    ...post.map((_, i) => 1 + k + pre.length + i),
  ];
  return [[np.transpose(g, outPerm)], [0]];
}

/** Scatter-add with any operand batched: all batched at 0, then offset indices as in gather. */
function scatterBatch(
  vals: Array[],
  dims: BDim[],
  { axis }: ParamsOf<"scatter_add">,
  n: number,
): [Array[], BDim[]] {
  const [xb, ib, ub] = front(vals, dims, n);
  const len = xb.shape[axis + 1];
  const pre = xb.shape.slice(1, axis + 1), post = xb.shape.slice(axis + 2);
  const perm = [0, axis + 1, ...pre.map((_, i) => i + 1), ...post.map((_, i) => axis + 2 + i)];
  const flat = np.reshape(np.transpose(xb, perm), [n * len, ...pre, ...post]);
  const k = ib.ndim - 1;
  const offs = np.reshape(np.mul(np.arange(n), int32(len)), [n, ...ib.shape.slice(1).map(() => 1)]);
  // Out-of-range indices must stay out of range (dropped), not land in another example.
  const ok = np.logicalAnd(np.greaterEqual(ib, 0), np.less(ib, len));
  const si = np.where(ok, np.add(ib, offs), int32(-1));
  // updates [B, pre, ishape, post] -> [B, ishape, pre, post]
  const uperm = [
    0,
    ...globalThis.Array.from({ length: k }, (_, i) => 1 + pre.length + i),
    ...pre.map((_, i) => 1 + i),
    ...post.map((_, i) => 1 + pre.length + k + i),
  ];
  const res = bind1(P.scatter_add, [flat, si, np.transpose(ub, uperm)], { axis: 0 });
  const back = np.reshape(res, [n, len, ...pre, ...post]);
  const inv = [0, ...pre.map((_, i) => 2 + i), 1, ...post.map((_, i) => 2 + pre.length + i)];
  return [[np.transpose(back, inv)], [0]];
}

/** The batching rule of every primitive. */
export const batchRules: BatchRules = {
  neg: elementwise("neg"),
  sign: elementwise("sign"),
  floor: elementwise("floor"),
  ceil: elementwise("ceil"),
  round: elementwise("round"),
  abs: elementwise("abs"),
  exp: elementwise("exp"),
  log: elementwise("log"),
  log1p: elementwise("log1p"),
  expm1: elementwise("expm1"),
  sqrt: elementwise("sqrt"),
  rsqrt: elementwise("rsqrt"),
  sin: elementwise("sin"),
  cos: elementwise("cos"),
  tanh: elementwise("tanh"),
  logistic: elementwise("logistic"),
  erf: elementwise("erf"),
  erfc: elementwise("erfc"),
  erf_inv: elementwise("erf_inv"),
  log_ndtr: elementwise("log_ndtr"),
  ndtri: elementwise("ndtri"),
  lgamma: elementwise("lgamma"),
  digamma: elementwise("digamma"),
  trigamma: elementwise("trigamma"),
  not: elementwise("not"),
  is_finite: elementwise("is_finite"),
  tan: elementwise("tan"),
  atan: elementwise("atan"),
  asin: elementwise("asin"),
  acos: elementwise("acos"),
  sinh: elementwise("sinh"),
  cosh: elementwise("cosh"),
  log2: elementwise("log2"),
  log10: elementwise("log10"),
  atan2: elementwise("atan2"),
  add: elementwise("add"),
  sub: elementwise("sub"),
  mul: elementwise("mul"),
  div: elementwise("div"),
  pow: elementwise("pow"),
  polygamma: elementwise("polygamma"),
  max: elementwise("max"),
  min: elementwise("min"),
  eq: elementwise("eq"),
  ne: elementwise("ne"),
  lt: elementwise("lt"),
  le: elementwise("le"),
  gt: elementwise("gt"),
  ge: elementwise("ge"),
  and: elementwise("and"),
  or: elementwise("or"),
  xor: elementwise("xor"),
  shift_left: elementwise("shift_left"),
  shift_right_logical: elementwise("shift_right_logical"),
  integer_pow: elementwise("integer_pow"),
  select: elementwise("select"),
  convert_element_type: elementwise("convert_element_type"),
  stop_gradient: elementwise("stop_gradient"),

  reduce_sum: withAxes("reduce_sum"),
  reduce_prod: withAxes("reduce_prod"),
  reduce_max: withAxes("reduce_max"),
  reduce_min: withAxes("reduce_min"),
  argmax: withAxis("argmax"),
  argmin: withAxis("argmin"),
  cumsum: withAxis("cumsum"),
  rev: withAxes("rev"),

  reshape: (
    [x],
    [d],
    { shape },
    n,
  ) => [[bind1(P.reshape, [moveBatchAxis(x, d, 0, n)], { shape: [n, ...shape] })], [0]],
  broadcast_in_dim: ([x], [d], { shape, broadcastDimensions }, n) => [
    [bind1(P.broadcast_in_dim, [moveBatchAxis(x, d, 0, n)], {
      shape: [n, ...shape],
      broadcastDimensions: [0, ...broadcastDimensions.map((b: number) => b + 1)],
    })],
    [0],
  ],
  transpose: ([x], [d], { perm }, n) => [
    [bind1(P.transpose, [moveBatchAxis(x, d, 0, n)], {
      perm: [0, ...perm.map((p: number) => p + 1)],
    })],
    [0],
  ],
  slice: ([x], [d], { start, limit, strides }, n) => [
    [bind1(P.slice, [moveBatchAxis(x, d, 0, n)], {
      start: [0, ...start],
      limit: [n, ...limit],
      strides: [1, ...strides],
    })],
    [0],
  ],
  pad: ([x], [d], { lo, hi, interior }, n) => [
    [bind1(P.pad, [moveBatchAxis(x, d, 0, n)], {
      lo: [0, ...lo],
      hi: [0, ...hi],
      interior: [0, ...interior],
    })],
    [0],
  ],
  concatenate: (
    xs,
    dims,
    { axis },
    n,
  ) => [[bind1(P.concatenate, front(xs, dims, n), { axis: axis + 1 })], [0]],
  iota: () => {
    throw new Error("vmap: iota has no operands and is never batched");
  },
  gather: gatherBatch,
  scatter_add: scatterBatch,
  matmul: (xs, dims, _p, n) => [[bind1(P.matmul, front(xs, dims, n))], [0]],
  threefry2x32: elementwise("threefry2x32"),
  // Batch axis in front, so the sorted axis shifts by one.
  sort: (xs, dims, params, n) => {
    const outs = bind(P.sort, front(xs, dims, n), { ...params, dimension: params.dimension + 1 });
    return [outs, outs.map(() => 0)];
  },
  ...controlBatchRules,
  ...linalgBatchRules,
  ...customBatchRules,
  ...numpyBatchRules,
};
