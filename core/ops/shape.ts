/**
 * numpy-style shape manipulation and basic slicing.
 *
 * @module
 */
import type { Array, ArrayLike, SliceSpec } from "../array.ts";
import { P } from "../primitives/mod.ts";
import { sliceLength } from "../primitives/shape.ts";
import { fmtShape, normAxes, normAxis, sizeOf } from "../shape.ts";
import { bind1 } from "../trace.ts";
import { asArray, castTo, resultType } from "./convert.ts";

/**
 * Same elements, new shape; one entry may be -1 (inferred).
 *
 * @example
 * ```ts
 * import { arange, reshape } from "./mod.ts";
 * reshape(arange(6), [2, -1]).shape; // [2, 3]
 * ```
 */
export function reshape(x: ArrayLike, shape: readonly number[]): Array {
  const a = asArray(x);
  const s = [...shape];
  const neg = s.filter((d) => d === -1).length;
  if (neg > 1 || s.some((d) => (d < 0 && d !== -1) || !Number.isInteger(d))) {
    throw new Error(`reshape: invalid target shape ${fmtShape(shape)}`);
  }
  if (neg === 1) {
    const known = s.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    if (known === 0 || a.size % known !== 0) {
      throw new Error(`reshape: cannot reshape ${a.aval} into shape ${fmtShape(shape)}`);
    }
    s[s.indexOf(-1)] = a.size / known;
  }
  if (sizeOf(s) !== a.size) {
    throw new Error(`reshape: cannot reshape ${a.aval} into shape ${fmtShape(shape)}`);
  }
  if (s.length === a.ndim && s.every((d, i) => d === a.shape[i])) return a;
  return bind1(P.reshape, [a], { shape: s });
}

/** Permutes axes (reverses them when `axes` is omitted). */
export function transpose(x: ArrayLike, axes?: readonly number[]): Array {
  const a = asArray(x);
  const perm = axes
    ? axes.map((ax) => normAxis("transpose", ax, a.ndim))
    : a.shape.map((_, i) => a.ndim - 1 - i);
  if (perm.every((p, i) => p === i)) return a;
  return bind1(P.transpose, [a], { perm });
}

/** Moves axis `source` to position `destination`. */
export function moveaxis(x: ArrayLike, source: number, destination: number): Array {
  const a = asArray(x);
  const s = normAxis("moveaxis", source, a.ndim), d = normAxis("moveaxis", destination, a.ndim);
  const perm = a.shape.map((_, i) => i).filter((i) => i !== s);
  perm.splice(d, 0, s);
  return transpose(a, perm);
}

/** Inserts a size-1 axis at `axis`. */
export function expandDims(x: ArrayLike, axis: number): Array {
  const a = asArray(x);
  const ax = normAxis("expandDims", axis, a.ndim + 1);
  const s = [...a.shape];
  s.splice(ax, 0, 1);
  return reshape(a, s);
}

/** Removes size-1 axes (all of them, or those in `axis`). */
export function squeeze(x: ArrayLike, axis?: number | number[]): Array {
  const a = asArray(x);
  const axes = axis === undefined
    ? a.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)
    : normAxes("squeeze", axis, a.ndim);
  for (const ax of axes) {
    if (a.shape[ax] !== 1) throw new Error(`squeeze: axis ${ax} of [${a.shape}] is not size 1`);
  }
  return reshape(a, a.shape.filter((_, i) => !axes.includes(i)));
}

/** Joins arrays along an existing axis. */
export function concatenate(xs: readonly ArrayLike[], axis = 0): Array {
  if (xs.length === 0) throw new Error("concatenate: needs at least one array");
  const arrs = xs.map(asArray);
  const t = resultType(...arrs);
  const ax = normAxis("concatenate", axis, arrs[0].ndim);
  for (const a of arrs) {
    if (a.ndim !== arrs[0].ndim) {
      throw new Error(
        `concatenate: ranks differ: ${arrs.map((b) => fmtShape(b.shape)).join(", ")}`,
      );
    }
  }
  if (arrs.length === 1) return castTo(arrs[0], t);
  return bind1(P.concatenate, arrs.map((a) => castTo(a, t)), { axis: ax });
}

/** Joins arrays along a new axis. */
export function stack(xs: readonly ArrayLike[], axis = 0): Array {
  const arrs = xs.map(asArray);
  if (arrs.length === 0) throw new Error("stack: needs at least one array");
  const ax = normAxis("stack", axis, arrs[0].ndim + 1);
  for (const a of arrs) {
    if (fmtShape(a.shape) !== fmtShape(arrs[0].shape)) {
      throw new Error(`stack: shapes differ: ${arrs.map((b) => fmtShape(b.shape)).join(", ")}`);
    }
  }
  return concatenate(arrs.map((a) => expandDims(a, ax)), ax);
}

/**
 * Splits along `axis` into `sections` equal parts, or at the given indices.
 */
export function split(x: ArrayLike, sections: number | readonly number[], axis = 0): Array[] {
  const a = asArray(x);
  const ax = normAxis("split", axis, a.ndim);
  const n = a.shape[ax];
  let cuts: number[];
  if (typeof sections === "number") {
    if (n % sections !== 0) {
      throw new Error(`split: axis ${ax} of size ${n} does not divide into ${sections} parts`);
    }
    cuts = globalThis.Array.from({ length: sections - 1 }, (_, i) => ((i + 1) * n) / sections);
  } else cuts = [...sections];
  const bounds = [0, ...cuts, n];
  return bounds.slice(0, -1).map((lo, i) => {
    const spec: SliceSpec[] = a.shape.map(() => null);
    spec[ax] = { start: lo, stop: bounds[i + 1] };
    return slice(a, ...spec);
  });
}

/** Reverses the order of elements along `axis` (all axes when omitted). */
export function flip(x: ArrayLike, axis?: number | number[]): Array {
  const a = asArray(x);
  return bind1(P.rev, [a], { axes: normAxes("flip", axis, a.ndim) });
}

function parseSpec(
  s: SliceSpec,
): { index?: number; start?: number | null; stop?: number | null; step?: number | null } {
  if (typeof s === "number") return { index: s };
  if (s === null || s === ":" || s === "::") return {};
  if (typeof s === "string") {
    const parts = s.split(":").map((p) => p.trim());
    if (parts.length === 1) return { index: Number(parts[0]) };
    if (parts.length > 3) throw new Error(`slice: bad slice string ${JSON.stringify(s)}`);
    const num = (p?: string) => (p === undefined || p === "" ? null : Number(p));
    const [start, stop, step] = [num(parts[0]), num(parts[1]), num(parts[2])];
    for (const v of [start, stop, step]) {
      if (v !== null && !Number.isInteger(v)) {
        throw new Error(`slice: bad slice string ${JSON.stringify(s)}`);
      }
    }
    return { start, stop, step };
  }
  return s;
}

/**
 * Basic indexing, as numpy's `x[...]`: a number picks one entry of an axis (and drops the axis),
 * `"start:stop:step"` or `{start, stop, step}` slices it (negative values count from the end; a
 * negative step walks backwards), `null` or `":"` keeps it whole. Missing trailing specs keep axes.
 *
 * @example
 * ```ts
 * import { arange, slice } from "./mod.ts";
 * slice(arange(10), "::-3"); // [9, 6, 3, 0]
 * ```
 */
export function slice(x: ArrayLike, ...specs: SliceSpec[]): Array {
  const a = asArray(x);
  if (specs.length > a.ndim) throw new Error(`slice: ${specs.length} indices for ${a.aval}`);
  const start: number[] = [], limit: number[] = [], strides: number[] = [];
  const flipAxes: number[] = [], dropAxes: number[] = [];
  a.shape.forEach((n, ax) => {
    const p = ax < specs.length ? parseSpec(specs[ax]) : {};
    if (p.index !== undefined) {
      const i = p.index < 0 ? p.index + n : p.index;
      if (!Number.isInteger(i) || i < 0 || i >= n) {
        throw new RangeError(
          `slice: index ${p.index} is out of bounds for axis ${ax} of size ${n}`,
        );
      }
      start.push(i), limit.push(i + 1), strides.push(1), dropAxes.push(ax);
      return;
    }
    const step = p.step ?? 1;
    if (step === 0) throw new Error("slice: step cannot be zero");
    const clampIdx = (v: number, lo: number, hi: number) =>
      Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
    if (step > 0) {
      const s = p.start == null ? 0 : clampIdx(p.start, 0, n);
      const e = p.stop == null ? n : clampIdx(p.stop, 0, n);
      start.push(s), limit.push(Math.max(s, e)), strides.push(step);
    } else {
      // Walk backwards: take the forward slice of the mirrored range on the reversed axis.
      const s = p.start == null ? n - 1 : clampIdx(p.start, -1, n - 1);
      const e = p.stop == null ? -1 : clampIdx(p.stop, -1, n - 1);
      const rs = n - 1 - s, re = n - 1 - e;
      start.push(rs), limit.push(Math.max(rs, re)), strides.push(-step), flipAxes.push(ax);
    }
  });
  let out = flipAxes.length ? bind1(P.rev, [a], { axes: flipAxes }) : a;
  const whole = start.every((s, i) => s === 0 && limit[i] === a.shape[i] && strides[i] === 1);
  if (!whole) out = bind1(P.slice, [out], { start, limit, strides });
  if (dropAxes.length) {
    const shape = start.map((s, i) => sliceLength(s, limit[i], strides[i]));
    out = reshape(out, shape.filter((_, i) => !dropAxes.includes(i)));
  }
  return out;
}

/** Identity whose derivative is zero: gradients do not flow through it. */
export function stopGradient(x: ArrayLike): Array {
  return bind1(P.stop_gradient, [asArray(x)]);
}
