/**
 * Transpose rules of the linear primitives: given output cotangents, the cotangents of the linear
 * operands (those passed as {@link UndefPrimal}). Nonlinear primitives have none: they never appear
 * applied to tangents in a linearized program.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import type { ShapedArray } from "../../core/aval.ts";
import type { Params } from "../../core/primitive.ts";
import { P, type ParamsOf, type PrimitiveName } from "../../core/primitives/mod.ts";
import { bind1 } from "../../core/trace.ts";
import * as np from "../../core/ops/mod.ts";
import { controlTransposeRules } from "./transpose_control.ts";
import { linalgTransposeRules } from "./transpose_linalg.ts";
import { type LinArg, UndefPrimal } from "../undef.ts";
import { customTransposeRules } from "./transpose_custom.ts";

export { type LinArg, UndefPrimal };

type C = Array | null;
/**
 * A transpose rule: (output cotangents, operands, params) → operand cotangents (null = zero), for a
 * primitive whose params have type `Q`. A method type, bivariant in `params` for the reason given
 * at `JvpRule` (the backward pass calls the rule of a primitive known only at run time).
 */
export type TransposeRule<Q extends Params = Params> = {
  rule(cts: C[], args: LinArg[], params: Q): C[];
}["rule"];

/**
 * The transpose rule of each linear primitive, receiving the params declared with it. Partial:
 * nonlinear primitives have none.
 */
export type TransposeRules = { [K in PrimitiveName]?: TransposeRule<ParamsOf<K>> };

const undef = (a: LinArg): a is UndefPrimal => a instanceof UndefPrimal;

/** Sums `ct` (shaped like a broadcast result) back to the operand's shape. */
function unbroadcast(ct: Array, aval: ShapedArray, dims: number[]): Array {
  const sumAxes = ct.shape.map((_, i) => i).filter((i) =>
    !dims.includes(i) ||
    aval.shape[dims.indexOf(i)] === 1 && ct.shape[i] !== 1
  );
  const s = sumAxes.length ? bind1(P.reduce_sum, [ct], { axes: sumAxes }) : ct;
  return np.reshape(s, aval.shape);
}

function sliceTranspose([ct]: C[], [x]: LinArg[], p: ParamsOf<"slice">): C[] {
  const aval = (x as UndefPrimal).aval;
  const { start, strides } = p;
  const lo: number[] = [], hi: number[] = [], interior: number[] = [];
  aval.shape.forEach((n, i) => {
    const len = ct!.shape[i];
    if (len === 0) {
      lo.push(n), hi.push(0), interior.push(0);
      return;
    }
    const last = start[i] + (len - 1) * strides[i];
    lo.push(start[i]), hi.push(n - last - 1), interior.push(strides[i] - 1);
  });
  return [bind1(P.pad, [ct!], { lo, hi, interior })];
}

function padTranspose([ct]: C[], [x]: LinArg[], p: ParamsOf<"pad">): C[] {
  const aval = (x as UndefPrimal).aval;
  const { lo, interior } = p;
  const start = [...lo];
  const strides = interior.map((v) => v + 1);
  const limit = aval.shape.map((
    d,
    i,
  ) => (d === 0 ? start[i] : start[i] + (d - 1) * strides[i] + 1));
  return [bind1(P.slice, [ct!], { start, limit, strides })];
}

function inRange(idx: Array, n: number): Array {
  return np.logicalAnd(np.greaterEqual(idx, 0), np.less(idx, n));
}

/** The transpose rule of every linear primitive. */
export const transposeRules: TransposeRules = {
  neg: ([ct]) => [np.neg(ct!)],
  add: ([ct], [x, y]) => [undef(x) ? ct : null, undef(y) ? ct : null],
  sub: ([ct], [x, y]) => [undef(x) ? ct : null, undef(y) ? np.neg(ct!) : null],
  mul: ([ct], [x, y]) => {
    if (undef(x) && undef(y)) throw new Error("transpose: mul of two linear values is not linear");
    return undef(x)
      ? [bind1(P.mul, [ct!, y as Array]), null]
      : [null, bind1(P.mul, [x as Array, ct!])];
  },
  div: ([ct], [_x, y]) => {
    if (undef(y)) throw new Error("transpose: div is not linear in its denominator");
    return [bind1(P.div, [ct!, y as Array]), null];
  },
  select: ([ct], [p, a, b]) => {
    const z = np.zerosLike(ct!);
    return [
      null,
      undef(a) ? bind1(P.select, [p as Array, ct!, z]) : null,
      undef(b) ? bind1(P.select, [p as Array, z, ct!]) : null,
    ];
  },
  convert_element_type: ([ct], [x]) => {
    const a = (x as UndefPrimal).aval;
    return [bind1(P.convert_element_type, [ct!], { dtype: a.dtype, weakType: a.weakType })];
  },
  reduce_sum: ([ct], [x], { axes }) => {
    const aval = (x as UndefPrimal).aval;
    const dims = aval.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    return [
      bind1(P.broadcast_in_dim, [ct!], { shape: [...aval.shape], broadcastDimensions: dims }),
    ];
  },
  cumsum: ([ct], _x, { axis, reverse }) => [bind1(P.cumsum, [ct!], { axis, reverse: !reverse })],
  reshape: ([ct], [x]) => [bind1(P.reshape, [ct!], { shape: [...(x as UndefPrimal).aval.shape] })],
  broadcast_in_dim: ([ct], [x], { broadcastDimensions }) => [
    unbroadcast(ct!, (x as UndefPrimal).aval, broadcastDimensions),
  ],
  transpose: ([ct], _x, { perm }) => {
    const inv = new globalThis.Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [bind1(P.transpose, [ct!], { perm: inv })];
  },
  slice: sliceTranspose,
  pad: padTranspose,
  rev: ([ct], _x, params) => [bind1(P.rev, [ct!], params)],
  concatenate: ([ct], args, { axis }) => {
    let off = 0;
    return args.map((a) => {
      const n = a.aval.shape[axis];
      const start = a.aval.shape.map((_, i) => (i === axis ? off : 0));
      const limit = a.aval.shape.map((d, i) => (i === axis ? off + n : d));
      off += n;
      if (!undef(a)) return null;
      return bind1(P.slice, [ct!], { start, limit, strides: a.aval.shape.map(() => 1) });
    });
  },
  gather: ([ct], [x, idx], { axis }) => {
    const aval = (x as UndefPrimal).aval;
    const n = aval.shape[axis];
    // Explicit int32 bounds: scatter_add rejects float indices.
    const clamped = np.clip(idx as Array, np.array(0, "int32"), np.array(n - 1, "int32"));
    const zeros = np.zeros(aval.shape, aval.dtype);
    return [bind1(P.scatter_add, [zeros, clamped, ct!], { axis }), null];
  },
  scatter_add: ([ct], [x, idx, u], { axis }) => {
    const n = ct!.shape[axis];
    let cu: C = null;
    if (undef(u)) {
      // Updates at out-of-range indices were dropped, so they get zero cotangent.
      const g = bind1(P.gather, [ct!, idx as Array], { axis });
      const i = idx as Array;
      const keepShape = g.shape.map((d, k) => (k >= axis && k < axis + i.ndim ? d : 1));
      cu = np.where(np.reshape(inRange(i, n), keepShape), g, 0);
    }
    return [undef(x) ? ct : null, null, cu];
  },
  matmul: ([ct], [a, b]) => {
    const swap = (m: Array) => np.moveaxis(m, -1, -2);
    if (undef(a) && undef(b)) {
      throw new Error("transpose: matmul of two linear values is not linear");
    }
    return undef(a)
      ? [bind1(P.matmul, [ct!, swap(b as Array)]), null]
      : [null, bind1(P.matmul, [swap(a as Array), ct!])];
  },
  ...controlTransposeRules,
  ...linalgTransposeRules,
  ...customTransposeRules,
};
