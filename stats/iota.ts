/**
 * Integer counters as arrays (a small helper for masks over bins).
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import { arange } from "../core/ops/creation.ts";
import { reshape } from "../core/ops/shape.ts";

/** An int32 array of `shape` counting along its last axis (other axes must be 1). */
export function iota(shape: number[]): Array {
  return reshape(arange(shape[shape.length - 1]), shape);
}
