/**
 * Argument checks shared by the samplers of `core/random.ts`: keys, shapes, parameter shapes,
 * float dtypes, and the int32 helpers the bit manipulations use. Errors name the public
 * `random.<op>` the user called.
 *
 * @module
 */
import { Array, type ArrayLike } from "./array.ts";
import type { DType } from "./dtype.ts";
import { broadcastShapes, fmtShape, shapesEqual, sizeOf } from "./shape.ts";
import * as np from "./ops/mod.ts";

/** The smallest int32. */
export const INT32_MIN = -(2 ** 31);
/** The largest int32. */
export const INT32_MAX = 2 ** 31 - 1;

/** An int32 scalar: keeps bit-pattern constants (shifts, masks, the sign bit) explicitly int32. */
export const i32 = (v: number): Array => np.array(v, "int32");

/** A short description of a bad argument, for error messages. */
export function describe(x: unknown): string {
  if (x instanceof Array) return `an array ${x.aval}`;
  if (x === null || x === undefined) return String(x);
  if (typeof x === "object") return `an object of class ${x.constructor?.name ?? "?"}`;
  return `the JS ${typeof x} ${String(x)}`;
}

/** Checks that `key` is one key: an int32 array of shape [2]. */
export function checkKey(op: string, key: unknown): Array {
  if (!(key instanceof Array)) {
    const hint = typeof key === "number" || typeof key === "bigint"
      ? ` (make one with random.key(${key}))`
      : "";
    throw new TypeError(
      `random.${op}: key must be an int32 array of shape [2] from random.key(seed), got ` +
        `${describe(key)}${hint}`,
    );
  }
  if (key.dtype !== "int32" || !shapesEqual(key.shape, [2])) {
    const batch = key.dtype === "int32" && key.ndim > 1 && key.shape[key.ndim - 1] === 2
      ? `; ${fmtShape(key.shape)} is a batch of keys: map over it with vmap, or pick one key`
      : "";
    throw new TypeError(
      `random.${op}: key must be an int32 array of shape [2] from random.key(seed), got ` +
        `${key.aval}${batch}`,
    );
  }
  return key;
}

/** Checks a shape argument (a list of non-negative integers). */
export function checkShape(op: string, shape: unknown): number[] {
  const ok = globalThis.Array.isArray(shape) &&
    shape.every((d) => Number.isInteger(d) && d >= 0);
  if (!ok) {
    throw new TypeError(
      `random.${op}: shape must be a list of non-negative integers, got ${describe(shape)}`,
    );
  }
  const s = [...(shape as number[])];
  if (sizeOf(s) > INT32_MAX) {
    throw new RangeError(`random.${op}: shape ${fmtShape(s)} has more than 2^31 - 1 elements`);
  }
  return s;
}

/** Checks that parameter shapes broadcast to exactly `shape` (JAX's `_check_shape`). */
export function checkParamShapes(op: string, shape: number[], params: Record<string, Array>): void {
  for (const [name, p] of Object.entries(params)) {
    const b = broadcastShapes(`random.${op}`, shape, p.shape);
    if (!shapesEqual(b, shape)) {
      throw new Error(
        `random.${op}: ${name} of shape ${fmtShape(p.shape)} does not broadcast to the ` +
          `requested shape ${fmtShape(shape)}`,
      );
    }
  }
}

export function checkFloatDType(op: string, dtype: DType | undefined): DType {
  const d = dtype ?? "float32";
  if (d !== "float32" && d !== "float64") {
    throw new TypeError(`random.${op}: dtype must be float32 or float64, got ${JSON.stringify(d)}`);
  }
  return d;
}

/** A parameter as an array of `dtype`; JS numbers are made in `dtype` directly (no float32 detour). */
export function param(x: ArrayLike, dtype: DType): Array {
  return x instanceof Array ? np.astype(x, dtype) : np.array(x, dtype);
}
