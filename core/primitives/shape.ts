/**
 * Shape primitives: reshape, broadcast, transpose, slice, pad, reverse, concatenate, iota.
 *
 * @module
 */
import { ShapedArray } from "../aval.ts";
import { DeviceArray } from "../device_array.ts";
import { allocate, type DType } from "../dtype.ts";
import { primitive } from "../primitive.ts";
import { fmtShape, sizeOf, stridesOf } from "../shape.ts";
import { stridedCopy } from "./strided.ts";

function view(x: DeviceArray, shape: number[], strides: number[], offset: number): DeviceArray {
  const out = allocate(x.dtype, sizeOf(shape));
  stridedCopy(x.dataSync(), shape, strides, offset, out);
  return new DeviceArray(new ShapedArray(shape, x.dtype, x.weakType), out);
}

/** Parameters of `slice`: per-axis start, exclusive limit and positive stride. */
export interface SliceParams {
  start: number[];
  limit: number[];
  strides: number[];
}

/** Number of elements `start, start+stride, ... < limit`. */
export function sliceLength(start: number, limit: number, stride: number): number {
  return Math.max(0, Math.ceil((limit - start) / stride));
}

/** The shape primitives, by name. */
export const shapePrimitives = {
  reshape: primitive<{ shape: number[] }>({
    name: "reshape",
    abstractEval([a], { shape }) {
      if (sizeOf(shape) !== a.size) {
        throw new Error(`reshape: cannot reshape ${a} into shape ${fmtShape(shape)}`);
      }
      return [new ShapedArray(shape, a.dtype, a.weakType)];
    },
    impl([x], { shape }) {
      return [new DeviceArray(new ShapedArray(shape, x.dtype, x.weakType), x.dataSync())];
    },
  }),

  /** Places operand axis i at output axis `broadcastDimensions[i]`; other output axes repeat. */
  broadcast_in_dim: primitive<{ shape: number[]; broadcastDimensions: number[] }>({
    name: "broadcast_in_dim",
    abstractEval([a], { shape, broadcastDimensions: bd }) {
      const ok = bd.length === a.ndim &&
        bd.every((d, i) =>
          d >= 0 && d < shape.length && (a.shape[i] === 1 || a.shape[i] === shape[d]) &&
          (i === 0 || d > bd[i - 1])
        );
      if (!ok) {
        throw new Error(
          `broadcast_in_dim: cannot broadcast ${a} to ${fmtShape(shape)} with dimensions [${bd}]`,
        );
      }
      return [new ShapedArray(shape, a.dtype, a.weakType)];
    },
    impl([x], { shape, broadcastDimensions: bd }) {
      const st = stridesOf(x.shape);
      const strides = shape.map(() => 0);
      bd.forEach((d, i) => (strides[d] = x.shape[i] === 1 ? 0 : st[i]));
      return [view(x, shape, strides, 0)];
    },
  }),

  transpose: primitive<{ perm: number[] }>({
    name: "transpose",
    abstractEval([a], { perm }) {
      const sorted = [...perm].sort((p, q) => p - q);
      if (perm.length !== a.ndim || sorted.some((p, i) => p !== i)) {
        throw new Error(`transpose: [${perm}] is not a permutation of the axes of ${a}`);
      }
      return [new ShapedArray(perm.map((p) => a.shape[p]), a.dtype, a.weakType)];
    },
    impl([x], { perm }) {
      const st = stridesOf(x.shape);
      return [view(x, perm.map((p) => x.shape[p]), perm.map((p) => st[p]), 0)];
    },
  }),

  slice: primitive<SliceParams>({
    name: "slice",
    abstractEval([a], { start, limit, strides }) {
      const bad = start.length !== a.ndim ||
        start.some((s, i) => s < 0 || limit[i] > a.shape[i] || s > limit[i] || strides[i] < 1);
      if (bad) {
        throw new RangeError(
          `slice: start [${start}], limit [${limit}], strides [${strides}] do not fit ${a}`,
        );
      }
      const shape = start.map((s, i) => sliceLength(s, limit[i], strides[i]));
      return [new ShapedArray(shape, a.dtype, a.weakType)];
    },
    impl([x], { start, limit, strides }) {
      const st = stridesOf(x.shape);
      const shape = start.map((s, i) => sliceLength(s, limit[i], strides[i]));
      const offset = start.reduce((o, s, i) => o + s * st[i], 0);
      return [view(x, shape, st.map((s, i) => s * strides[i]), offset)];
    },
  }),

  /** Pads with zeros: `lo`/`hi` elements at each end and `interior` between elements (≥ 0). */
  pad: primitive<{ lo: number[]; hi: number[]; interior: number[] }>({
    name: "pad",
    abstractEval([a], { lo, hi, interior }) {
      if (lo.length !== a.ndim || [...lo, ...hi, ...interior].some((v) => v < 0)) {
        throw new Error(`pad: lo [${lo}], hi [${hi}], interior [${interior}] do not fit ${a}`);
      }
      const shape = a.shape.map((d, i) =>
        lo[i] + hi[i] + (d === 0 ? 0 : d + (d - 1) * interior[i])
      );
      return [new ShapedArray(shape, a.dtype, a.weakType)];
    },
    impl([x], { lo, hi, interior }) {
      const shape = x.shape.map((d, i) =>
        lo[i] + hi[i] + (d === 0 ? 0 : d + (d - 1) * interior[i])
      );
      const out = allocate(x.dtype, sizeOf(shape));
      const ost = stridesOf(shape);
      const src = x.dataSync();
      const ist = stridesOf(x.shape);
      for (let i = 0; i < src.length; i++) {
        let o = 0;
        for (let k = 0; k < x.ndim; k++) {
          const idx = Math.floor(i / ist[k]) % x.shape[k];
          o += (lo[k] + idx * (interior[k] + 1)) * ost[k];
        }
        out[o] = src[i];
      }
      return [new DeviceArray(new ShapedArray(shape, x.dtype, x.weakType), out)];
    },
  }),

  rev: primitive<{ axes: number[] }>({
    name: "rev",
    abstractEval: ([a]) => [a],
    impl([x], { axes }) {
      const st = stridesOf(x.shape);
      const strides = st.map((s, i) => (axes.includes(i) ? -s : s));
      const offset = axes.reduce((o, a) => o + (x.shape[a] - 1) * st[a], 0);
      return [view(x, [...x.shape], strides, x.size === 0 ? 0 : offset)];
    },
  }),

  concatenate: primitive<{ axis: number }>({
    name: "concatenate",
    abstractEval(avals, { axis }) {
      const a = avals[0];
      for (const b of avals) {
        const ok = b.dtype === a.dtype && b.ndim === a.ndim &&
          b.shape.every((d, i) => i === axis || d === a.shape[i]);
        if (!ok) {
          throw new TypeError(`concatenate: operands ${avals.join(", ")} differ off axis ${axis}`);
        }
      }
      const shape = [...a.shape];
      shape[axis] = avals.reduce((n, b) => n + b.shape[axis], 0);
      return [new ShapedArray(shape, a.dtype, avals.every((b) => b.weakType))];
    },
    impl(xs, { axis }) {
      const shape = [...xs[0].shape];
      shape[axis] = xs.reduce((n, b) => n + b.shape[axis], 0);
      const out = allocate(xs[0].dtype, sizeOf(shape));
      const outer = sizeOf(shape.slice(0, axis));
      const rowOut = sizeOf(shape.slice(axis));
      let col = 0;
      for (const x of xs) {
        const row = sizeOf(x.shape.slice(axis));
        const src = x.dataSync();
        for (let o = 0; o < outer; o++) {
          out.set(src.subarray(o * row, (o + 1) * row), o * rowOut + col);
        }
        col += row;
      }
      const weak = xs.every((b) => b.weakType);
      return [new DeviceArray(new ShapedArray(shape, xs[0].dtype, weak), out)];
    },
  }),

  /** Integers counting along `dimension` of an array of `shape`. */
  iota: primitive<{ shape: number[]; dtype: DType; dimension: number }>({
    name: "iota",
    abstractEval: (_, { shape, dtype }) => [new ShapedArray(shape, dtype)],
    impl(_, { shape, dtype, dimension }) {
      const out = allocate(dtype, sizeOf(shape));
      const st = stridesOf(shape);
      for (let i = 0; i < out.length; i++) {
        out[i] = Math.floor(i / st[dimension]) % shape[dimension];
      }
      return [new DeviceArray(new ShapedArray(shape, dtype), out)];
    },
  }),
};
