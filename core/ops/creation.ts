/**
 * Array creation: zeros, ones, full, arange, linspace, eye and the `*Like` variants.
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { DeviceArray } from "../device_array.ts";
import { allocate, checkDType, type DType } from "../dtype.ts";
import { checkShape, sizeOf } from "../shape.ts";
import { array, asArray, broadcastTo } from "./convert.ts";

/**
 * An array of `shape` filled with `value` (dtype float32 unless given).
 *
 * @example
 * ```ts
 * import { full } from "./mod.ts";
 * full([2, 2], 7, "int32");
 * ```
 */
export function full(
  shape: readonly number[],
  value: number | boolean,
  dtype: DType = "float32",
): Array {
  checkShape("full", shape);
  checkDType(dtype, "full");
  return broadcastTo(array(value, dtype), shape);
}
/** An array of zeros. */
export const zeros = (shape: readonly number[], dtype: DType = "float32"): Array =>
  full(shape, 0, dtype);
/** An array of ones. */
export const ones = (shape: readonly number[], dtype: DType = "float32"): Array =>
  full(shape, 1, dtype);
/** Zeros with the shape and dtype of `x`. */
export const zerosLike = (x: ArrayLike, dtype?: DType): Array => {
  const a = asArray(x);
  return full(a.shape, 0, dtype ?? a.dtype);
};
/** Ones with the shape and dtype of `x`. */
export const onesLike = (x: ArrayLike, dtype?: DType): Array => {
  const a = asArray(x);
  return full(a.shape, 1, dtype ?? a.dtype);
};
/** `value` with the shape and dtype of `x`. */
export const fullLike = (x: ArrayLike, value: number, dtype?: DType): Array => {
  const a = asArray(x);
  return full(a.shape, value, dtype ?? a.dtype);
};

/**
 * Evenly spaced values in `[start, stop)`: `arange(n)` or `arange(start, stop, step)`. The dtype is
 * int32 when all arguments are integers, float32 otherwise.
 *
 * @example
 * ```ts
 * import { arange } from "./mod.ts";
 * arange(0, 1, 0.25); // [0, 0.25, 0.5, 0.75]
 * ```
 */
export function arange(start: number, stop?: number, step = 1, dtype?: DType): Array {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error("arange: step cannot be zero");
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const dt = dtype ?? ([start, stop, step].every(Number.isInteger) ? "int32" : "float32");
  const data = allocate(dt, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new DeviceArray(new ShapedArray([n], dt), data);
}

/** `num` evenly spaced values from `start` to `stop` (inclusive unless `endpoint: false`). */
export function linspace(
  start: number,
  stop: number,
  num = 50,
  opts: { endpoint?: boolean; dtype?: DType } = {},
): Array {
  const endpoint = opts.endpoint ?? true;
  const dt = opts.dtype ?? "float32";
  const data = allocate(dt, num);
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  for (let i = 0; i < num; i++) data[i] = start + i * step;
  if (endpoint && num > 1) data[num - 1] = stop;
  return new DeviceArray(new ShapedArray([num], dt), data);
}

/** The `n × m` identity matrix (ones on diagonal `k`). */
export function eye(n: number, m = n, k = 0, dtype: DType = "float32"): Array {
  const data = allocate(dtype, sizeOf([n, m]));
  for (let i = 0; i < n; i++) {
    const j = i + k;
    if (j >= 0 && j < m) data[i * m + j] = 1;
  }
  return new DeviceArray(new ShapedArray([n, m], dtype), data);
}
