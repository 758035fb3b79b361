/**
 * Reductions and scans along axes.
 *
 * @module
 */
import { ShapedArray } from "../aval.ts";
import { DeviceArray } from "../device_array.ts";
import { allocate, type TypedArray } from "../dtype.ts";
import { type Primitive, primitive } from "../primitive.ts";
import { type Shape, stridesOf } from "../shape.ts";
import { stridedCopy } from "./strided.ts";

/**
 * Copies `x` with `axes` moved last, so each reduction group is a contiguous run of `inner` elements.
 */
function groupAxes(x: DeviceArray, axes: readonly number[]) {
  const keep = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...keep, ...axes];
  const st = stridesOf(x.shape);
  const shape = perm.map((p) => x.shape[p]);
  const buf = allocate(x.dtype, x.size);
  stridedCopy(x.dataSync(), shape, perm.map((p) => st[p]), 0, buf);
  const inner = axes.reduce((n, a) => n * x.shape[a], 1);
  return { buf, inner, outShape: keep.map((k) => x.shape[k]) };
}

function checkAxes(name: string, a: ShapedArray, axes: readonly number[]): void {
  for (const ax of axes) {
    if (!Number.isInteger(ax) || ax < 0 || ax >= a.ndim) {
      throw new RangeError(`${name}: axis ${ax} out of range for ${a}`);
    }
  }
}

function reducer(
  name: string,
  init: number,
  step: (acc: number, v: number) => number,
): Primitive<{ axes: number[] }> {
  return primitive({
    name,
    abstractEval([a], { axes }) {
      checkAxes(name, a, axes);
      if ((name === "reduce_sum" || name === "reduce_prod") && a.dtype === "bool") {
        throw new TypeError(`${name}: bool input, cast to int32 first`);
      }
      return [new ShapedArray(a.shape.filter((_, i) => !axes.includes(i)), a.dtype, a.weakType)];
    },
    impl([x], { axes }) {
      const { buf, inner, outShape } = groupAxes(x, axes);
      const n = inner === 0 ? outShape.reduce((p, d) => p * d, 1) : buf.length / inner;
      const r = allocate(x.dtype, n);
      for (let g = 0; g < n; g++) {
        let acc = init;
        for (let j = g * inner, e = j + inner; j < e; j++) acc = step(acc, buf[j]);
        r[g] = acc;
      }
      return [new DeviceArray(new ShapedArray(outShape, x.dtype, x.weakType), r)];
    },
  });
}

function argReducer(name: string, better: (v: number, best: number) => boolean) {
  return primitive<{ axis: number }>({
    name,
    abstractEval([a], { axis }) {
      checkAxes(name, a, [axis]);
      if (a.shape[axis] === 0) throw new Error(`${name}: empty axis ${axis} of ${a}`);
      return [new ShapedArray(a.shape.filter((_, i) => i !== axis), "int32")];
    },
    impl([x], { axis }) {
      const { buf, inner, outShape } = groupAxes(x, [axis]);
      const n = buf.length / inner;
      const r = new Int32Array(n);
      for (let g = 0; g < n; g++) {
        let best = 0;
        for (let j = 1; j < inner; j++) {
          const v = buf[g * inner + j], b = buf[g * inner + best];
          if (!Number.isNaN(b) && (Number.isNaN(v) || better(v, b))) best = j;
        }
        r[g] = best;
      }
      return [new DeviceArray(new ShapedArray(outShape, "int32"), r)];
    },
  });
}

/** Inclusive cumulative sum along `axis`, optionally from the end. */
function cumsumImpl(x: DeviceArray, axis: number, reverse: boolean): TypedArray {
  const shape: Shape = x.shape;
  const st = stridesOf(shape);
  const src = x.dataSync();
  const out = allocate(x.dtype, src.length);
  const len = shape[axis], step = st[axis];
  for (let base = 0; base < src.length; base++) {
    // Visit each line once, from its first element.
    if (Math.floor(base / step) % len !== 0) continue;
    let acc = 0;
    for (let k = 0; k < len; k++) {
      const i = base + (reverse ? len - 1 - k : k) * step;
      acc += src[i];
      out[i] = acc;
    }
  }
  return out;
}

/** The reduction primitives, by name. */
export const reducePrimitives = {
  reduce_sum: reducer("reduce_sum", 0, (a, v) => a + v),
  reduce_prod: reducer("reduce_prod", 1, (a, v) => a * v),
  reduce_max: reducer("reduce_max", -Infinity, (a, v) => (v > a || Number.isNaN(v) ? v : a)),
  reduce_min: reducer("reduce_min", Infinity, (a, v) => (v < a || Number.isNaN(v) ? v : a)),
  argmax: argReducer("argmax", (v, b) => v > b),
  argmin: argReducer("argmin", (v, b) => v < b),
  cumsum: primitive<{ axis: number; reverse: boolean }>({
    name: "cumsum",
    abstractEval([a], { axis }) {
      checkAxes("cumsum", a, [axis]);
      return [a];
    },
    impl([x], { axis, reverse }) {
      return [new DeviceArray(x.aval, cumsumImpl(x, axis, reverse))];
    },
  }),
};
