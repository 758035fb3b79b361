/**
 * User-given values (parameters, data, replacement inputs) as float64 arrays of the expected
 * shape, with errors that name what was given.
 *
 * @module
 */
import { Array, array, type ArrayLike, astype } from "../core/mod.ts";

/**
 * `x` as a float64 array: float32, int32 and weakly typed values are converted (a JS number list
 * becomes float64 directly); any other dtype is a TypeError naming `what`.
 */
export function toF64(x: ArrayLike, what: string): Array {
  const a = x instanceof Array ? x : array(x, "float64");
  if (a.dtype === "float64") return a;
  if (a.dtype === "float32" || a.weakType || a.dtype === "int32") return astype(a, "float64");
  throw new TypeError(`${what}: expected float64 values, got ${a.aval}`);
}

/** `a` itself when its shape is `shape`, else a RangeError naming `what`. */
export function checkShape(a: Array, shape: readonly number[], what: string): Array {
  if (a.shape.join() !== shape.join()) {
    throw new RangeError(`${what}: expected shape [${shape}], got [${a.shape}]`);
  }
  return a;
}
