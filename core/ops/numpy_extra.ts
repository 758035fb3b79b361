/**
 * numpy array manipulation built from existing primitives (so derivatives, `vmap` and `jit` come
 * with them): `diff`, `tile`, `repeat`, `roll`, `tril`, `triu`, `meshgrid`, `pad`, `nanToNum`,
 * `isinf`. Shapes, counts and shifts are static JS numbers.
 *
 * @module
 */
import type { Array, ArrayLike, SliceSpec } from "../array.ts";
import { isFloat } from "../dtype.ts";
import { P } from "../primitives/mod.ts";
import { fmtShape, normAxis } from "../shape.ts";
import { bind1 } from "../trace.ts";
import { array, asArray, broadcastTo, resultType, scalar } from "./convert.ts";
import { arange, zeros } from "./creation.ts";
import { abs, equal, isnan, lessEqual, notEqual, sub, where } from "./elementwise.ts";
import { take } from "./indexing.ts";
import { concatenate, expandDims, reshape, slice } from "./shape.ts";

/** `x`'s slice `[lo, hi)` along `axis`. */
function sliceAxis(x: Array, axis: number, lo: number, hi: number): Array {
  const spec: SliceSpec[] = x.shape.map(() => null);
  spec[axis] = { start: lo, stop: hi };
  return slice(x, ...spec);
}

function checkCount(op: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) {
    throw new RangeError(`${op}: ${what} must be a non-negative integer, got ${v}`);
  }
}

/**
 * The `n`-th discrete difference along `axis` (default last): `out[i] = x[i+1] − x[i]`, applied
 * `n` times. `prepend`/`append` are joined to `x` first (scalars broadcast to one slice). Bool
 * arrays give `x[i+1] != x[i]`, as numpy.
 *
 * @example
 * ```ts
 * import { array, diff } from "./mod.ts";
 * diff(array([1, 2, 4, 7])); // [1, 2, 3]
 * diff(array([1, 2, 4, 7]), 2); // [1, 1]
 * ```
 */
export function diff(
  x: ArrayLike,
  n = 1,
  axis = -1,
  opts: { prepend?: ArrayLike; append?: ArrayLike } = {},
): Array {
  let a = asArray(x);
  checkCount("diff", "n", n);
  if (a.ndim === 0) throw new TypeError("diff: x must be at least 1-D, got a scalar");
  const ax = normAxis("diff", axis, a.ndim);
  const edge = (v: ArrayLike) => {
    const e = asArray(v);
    const shape = a.shape.map((d, i) => (i === ax ? 1 : d));
    return e.ndim === 0 ? broadcastTo(e, shape) : e;
  };
  const parts = [
    ...(opts.prepend === undefined ? [] : [edge(opts.prepend)]),
    a,
    ...(opts.append === undefined ? [] : [edge(opts.append)]),
  ];
  if (parts.length > 1) a = concatenate(parts, ax);
  for (let k = 0; k < n; k++) {
    const len = a.shape[ax];
    if (len === 0) break;
    const hi = sliceAxis(a, ax, 1, len), lo = sliceAxis(a, ax, 0, len - 1);
    a = a.dtype === "bool" ? notEqual(hi, lo) : sub(hi, lo);
  }
  return a;
}

/**
 * Repeats the whole array `reps` times along each axis (numpy's `tile`: a shorter `reps` applies
 * to the trailing axes; a longer one adds leading axes).
 *
 * @example
 * ```ts
 * import { array, tile } from "./mod.ts";
 * tile(array([1, 2]), 2); // [1, 2, 1, 2]
 * tile(array([1, 2]), [2, 1]); // [[1, 2], [1, 2]]
 * ```
 */
export function tile(x: ArrayLike, reps: number | readonly number[]): Array {
  const a = asArray(x);
  const r = typeof reps === "number" ? [reps] : [...reps];
  r.forEach((v) => checkCount("tile", "reps", v));
  const d = Math.max(r.length, a.ndim);
  const rr = [...globalThis.Array(d - r.length).fill(1), ...r];
  const shape = [...globalThis.Array(d - a.ndim).fill(1), ...a.shape];
  // [1, s0, 1, s1, ...] broadcast to [r0, s0, r1, s1, ...], then merged pairwise.
  const inter = shape.flatMap((s) => [1, s]);
  const big = broadcastTo(reshape(a, inter), shape.flatMap((s, i) => [rr[i], s]));
  return reshape(big, shape.map((s, i) => s * rr[i]));
}

/**
 * Repeats each element `repeats` times along `axis` (of the flattened array when omitted).
 * `repeats` is one count, or one count per element along the axis (static numbers).
 *
 * @example
 * ```ts
 * import { array, repeat } from "./mod.ts";
 * repeat(array([1, 2]), 2); // [1, 1, 2, 2]
 * repeat(array([[1, 2], [3, 4]]), [1, 2], 0); // [[1, 2], [3, 4], [3, 4]]
 * ```
 */
export function repeat(x: ArrayLike, repeats: number | readonly number[], axis?: number): Array {
  let a = asArray(x);
  if (axis === undefined) {
    a = reshape(a, [-1]);
    axis = 0;
  }
  const ax = normAxis("repeat", axis, a.ndim);
  const n = a.shape[ax];
  if (typeof repeats === "number") {
    checkCount("repeat", "repeats", repeats);
    const e = expandDims(a, ax + 1);
    const shape = [...e.shape];
    shape[ax + 1] = repeats;
    const out = [...a.shape];
    out[ax] = n * repeats;
    return reshape(broadcastTo(e, shape), out);
  }
  if (repeats.length !== n) {
    throw new RangeError(
      `repeat: ${repeats.length} counts for axis ${ax} of size ${n} (shape ${fmtShape(a.shape)})`,
    );
  }
  repeats.forEach((v) => checkCount("repeat", "repeats", v));
  const idx = repeats.flatMap((c, i) => globalThis.Array(c).fill(i));
  return take(a, array(idx, "int32"), ax);
}

/**
 * Rolls elements along `axis` by `shift` (elements leaving one end come back at the other);
 * without `axis`, rolls the flattened array and restores the shape. Several axes take one shift
 * each.
 *
 * @example
 * ```ts
 * import { arange, roll } from "./mod.ts";
 * roll(arange(5), 2); // [3, 4, 0, 1, 2]
 * roll(arange(5), -1); // [1, 2, 3, 4, 0]
 * ```
 */
export function roll(
  x: ArrayLike,
  shift: number | readonly number[],
  axis?: number | readonly number[],
): Array {
  const a = asArray(x);
  if (axis === undefined) {
    if (typeof shift !== "number") {
      throw new TypeError("roll: several shifts need as many axes");
    }
    return reshape(roll(reshape(a, [-1]), shift, 0), a.shape);
  }
  const axes = typeof axis === "number" ? [axis] : [...axis];
  const shifts = typeof shift === "number" ? axes.map(() => shift) : [...shift];
  if (shifts.length !== axes.length) {
    throw new RangeError(`roll: ${shifts.length} shifts for ${axes.length} axes`);
  }
  let out = a;
  axes.forEach((ax0, k) => {
    const ax = normAxis("roll", ax0, a.ndim), n = a.shape[ax];
    if (!Number.isInteger(shifts[k])) {
      throw new TypeError(`roll: shift ${shifts[k]} is not an integer`);
    }
    if (n === 0) return;
    const s = ((shifts[k] % n) + n) % n;
    if (s === 0) return;
    out = concatenate([sliceAxis(out, ax, n - s, n), sliceAxis(out, ax, 0, n - s)], ax);
  });
  return out;
}

/** Keeps `x`'s entries where `keep(col − row)` over its last two axes, zero elsewhere. */
function triangle(op: string, x: ArrayLike, keep: (d: Array) => Array): Array {
  const a = asArray(x);
  if (a.ndim < 2) throw new TypeError(`${op}: x must be at least 2-D, got ${fmtShape(a.shape)}`);
  const [n, m] = a.shape.slice(-2);
  const d = sub(
    reshape(arange(m, undefined, 1, "int32"), [1, m]),
    reshape(arange(n, undefined, 1, "int32"), [n, 1]),
  );
  return where(keep(d), a, zeros([], a.dtype));
}

/**
 * The lower triangle of the last two axes: entries with `col − row ≤ k` (zero elsewhere).
 *
 * @example
 * ```ts
 * import { array, tril } from "./mod.ts";
 * tril(array([[1, 2], [3, 4]])); // [[1, 0], [3, 4]]
 * ```
 */
export function tril(x: ArrayLike, k = 0): Array {
  return triangle("tril", x, (d) => lessEqual(d, k));
}

/**
 * The upper triangle of the last two axes: entries with `col − row ≥ k` (zero elsewhere).
 *
 * @example
 * ```ts
 * import { array, triu } from "./mod.ts";
 * triu(array([[1, 2], [3, 4]]), 1); // [[0, 2], [0, 0]]
 * ```
 */
export function triu(x: ArrayLike, k = 0): Array {
  return triangle("triu", x, (d) => lessEqual(k, d));
}

/**
 * Options of {@link meshgrid}.
 *
 * @example
 * ```ts
 * import { array, meshgrid } from "./mod.ts";
 * const [i, j] = meshgrid(array([1, 2]), array([3, 4, 5]), { indexing: "ij" });
 * ```
 */
export interface MeshgridOptions {
  /** `"xy"` (default, Cartesian: the first two output axes swapped) or `"ij"` (matrix). */
  indexing?: "xy" | "ij";
}

/**
 * Coordinate arrays from coordinate vectors (numpy's `meshgrid`; inputs are flattened). With the
 * default `"xy"` indexing and inputs of lengths (nx, ny), outputs have shape [ny, nx].
 *
 * @example
 * ```ts
 * import { array, meshgrid } from "./mod.ts";
 * const [xx, yy] = meshgrid(array([1, 2, 3]), array([10, 20])); // both [2, 3]
 * ```
 */
export function meshgrid(...args: [...ArrayLike[], MeshgridOptions] | ArrayLike[]): Array[] {
  const last = args[args.length - 1];
  const hasOpts = typeof last === "object" && last !== null && !globalThis.Array.isArray(last) &&
    !("aval" in last);
  const opts = (hasOpts ? last : {}) as MeshgridOptions;
  const xs = (hasOpts ? args.slice(0, -1) : args).map((v) =>
    reshape(asArray(v as ArrayLike), [-1])
  );
  const indexing = opts.indexing ?? "xy";
  if (indexing !== "xy" && indexing !== "ij") {
    throw new RangeError(
      `meshgrid: indexing must be "xy" or "ij", got ${JSON.stringify(indexing)}`,
    );
  }
  // Axis of each input in the output.
  const pos = xs.map((_, i) => (indexing === "xy" && xs.length > 1 && i < 2 ? 1 - i : i));
  const shape = xs.map(() => 0);
  xs.forEach((v, i) => (shape[pos[i]] = v.shape[0]));
  return xs.map((v, i) => {
    const s = shape.map((_, k) => (k === pos[i] ? v.shape[0] : 1));
    return broadcastTo(reshape(v, s), shape);
  });
}

/** Padding modes of {@link pad} other than `"constant"`, as source-index maps. */
const PAD_INDEX: Record<string, (j: number, n: number) => number> = {
  edge: (j, n) => Math.min(Math.max(j, 0), n - 1),
  wrap: (j, n) => ((j % n) + n) % n,
  reflect: (j, n) => {
    if (n === 1) return 0;
    const p = 2 * n - 2, t = ((j % p) + p) % p;
    return t < n ? t : p - t;
  },
  symmetric: (j, n) => {
    const p = 2 * n, t = ((j % p) + p) % p;
    return t < n ? t : p - 1 - t;
  },
};

/**
 * Options of {@link pad}.
 *
 * @example
 * ```ts
 * import { array, pad } from "./mod.ts";
 * pad(array([1, 2]), 1, { mode: "edge" }); // [1, 1, 2, 2]
 * ```
 */
export interface PadOptions {
  /** `"constant"` (default), `"edge"`, `"wrap"`, `"reflect"` or `"symmetric"` (numpy's). */
  mode?: "constant" | "edge" | "wrap" | "reflect" | "symmetric";
  /** The fill value of `"constant"` mode (default 0). */
  constantValues?: number;
}

/** numpy's `pad_width` forms: n, [lo, hi], or one [lo, hi] per axis. */
function padWidths(
  width: number | readonly number[] | readonly (readonly number[])[],
  ndim: number,
): [number, number][] {
  let w: [number, number][];
  if (typeof width === "number") w = globalThis.Array(ndim).fill([width, width]);
  else if (width.every((v) => typeof v === "number")) {
    const v = width as readonly number[];
    if (v.length === 1) w = globalThis.Array(ndim).fill([v[0], v[0]]);
    else if (v.length === 2) w = globalThis.Array(ndim).fill([v[0], v[1]]);
    else throw new RangeError(`pad: pad width [${v}] is not n, [lo, hi] or one [lo, hi] per axis`);
  } else {
    const v = width as readonly (readonly number[])[];
    w = v.length === 1
      ? globalThis.Array(ndim).fill([v[0][0], v[0][1] ?? v[0][0]])
      : v.map((p) => [p[0], p[1] ?? p[0]]);
  }
  if (w.length !== ndim) {
    throw new RangeError(`pad: ${w.length} pad widths for an array with ${ndim} axes`);
  }
  w.flat().forEach((v) => checkCount("pad", "pad width", v));
  return w;
}

/**
 * Pads `x` with `padWidth` elements before and after each axis (numpy's `pad`): `n` for every
 * side, `[lo, hi]` for every axis, or one `[lo, hi]` per axis. Modes as numpy: `"constant"`
 * (with `constantValues`, default 0), `"edge"`, `"wrap"`, `"reflect"`, `"symmetric"`.
 *
 * @example
 * ```ts
 * import { array, pad } from "./mod.ts";
 * pad(array([1, 2, 3]), [1, 2]); // [0, 1, 2, 3, 0, 0]
 * pad(array([1, 2, 3]), 2, { mode: "reflect" }); // [3, 2, 1, 2, 3, 2, 1]
 * ```
 */
export function pad(
  x: ArrayLike,
  padWidth: number | readonly number[] | readonly (readonly number[])[],
  opts: PadOptions = {},
): Array {
  const a = asArray(x);
  const w = padWidths(padWidth, a.ndim);
  const mode = opts.mode ?? "constant";
  if (mode === "constant") {
    const params = { lo: w.map((p) => p[0]), hi: w.map((p) => p[1]), interior: w.map(() => 0) };
    const padded = bind1(P.pad, [a], params);
    const c = opts.constantValues ?? 0;
    if (c === 0) return padded;
    const inside = bind1(P.pad, [broadcastTo(array(true), a.shape)], params);
    return where(inside, padded, scalar(c, resultType(a)));
  }
  const index = PAD_INDEX[mode];
  if (!index) throw new RangeError(`pad: unknown mode ${JSON.stringify(mode)}`);
  let out = a;
  w.forEach(([lo, hi], ax) => {
    const n = a.shape[ax];
    if (lo === 0 && hi === 0) return;
    if (n === 0) throw new RangeError(`pad: cannot pad empty axis ${ax} in mode "${mode}"`);
    const idx = globalThis.Array.from({ length: n + lo + hi }, (_, j) => index(j - lo, n));
    out = take(out, array(idx, "int32"), ax);
  });
  return out;
}

/**
 * Replaces NaN by `nan` (default 0), +inf by `posinf` and −inf by `neginf` (default: the largest
 * and smallest finite values of the dtype), as numpy's `nan_to_num`. Integer and bool arrays pass
 * through. The derivative is 1 at finite entries and 0 at replaced ones.
 *
 * @example
 * ```ts
 * import { array, nanToNum } from "./mod.ts";
 * nanToNum(array([NaN, Infinity, -1], "float64"), { posinf: 9 }); // [0, 9, -1]
 * ```
 */
export function nanToNum(
  x: ArrayLike,
  opts: { nan?: number; posinf?: number; neginf?: number } = {},
): Array {
  const a = asArray(x);
  if (!isFloat(a.dtype)) return a;
  const big = a.dtype === "float32" ? 3.4028234663852886e38 : Number.MAX_VALUE;
  const t = resultType(a);
  const c = (v: number) => scalar(v, t);
  let out = where(isnan(a), c(opts.nan ?? 0), a);
  out = where(equal(a, Infinity), c(opts.posinf ?? big), out);
  return where(equal(a, -Infinity), c(opts.neginf ?? -big), out);
}

/**
 * True where `x` is +inf or −inf (false for integer and bool arrays).
 *
 * @example
 * ```ts
 * import { array, isinf } from "./mod.ts";
 * isinf(array([1, Infinity, -Infinity, NaN])); // [false, true, true, false]
 * ```
 */
export function isinf(x: ArrayLike): Array {
  const a = asArray(x);
  if (!isFloat(a.dtype)) return broadcastTo(array(false), a.shape);
  return equal(abs(a), Infinity);
}
