/**
 * Weight initialisers, as `jax.nn.initializers` (the defaults of flax and haiku layers).
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import type { DType } from "../core/dtype.ts";
import { clip, erf, erfinv, mul } from "../core/ops/elementwise.ts";
import { uniform } from "../core/random.ts";

/** An initialiser: a random key and a `[fanIn, fanOut]` shape give a weight matrix. */
export type Initializer = (key: Array, shape: readonly [number, number], dtype: DType) => Array;

/** The ratio of the standard deviation of N(0, 1) truncated to [−2, 2] to 1 (as JAX). */
const TRUNC_STD = 0.87962566103423978;

/**
 * Standard normal values truncated to `[lower, upper]` (`jax.random.truncated_normal`'s
 * algorithm: √2·erfinv(u) with u uniform in (erf(lower/√2), erf(upper/√2))).
 *
 * @example
 * ```ts
 * import { random } from "../mod.ts";
 * import { truncatedNormal } from "./init.ts";
 * truncatedNormal(random.key(0), -2, 2, [3], "float32");
 * ```
 */
export function truncatedNormal(
  key: Array,
  lower: number,
  upper: number,
  shape: readonly number[],
  dtype: DType,
): Array {
  const a = erf(Math.SQRT1_2 * lower).astype(dtype).item();
  const b = erf(Math.SQRT1_2 * upper).astype(dtype).item();
  const u = uniform(key, shape, { dtype, minval: a, maxval: b });
  return clip(mul(erfinv(u), Math.SQRT2), lower, upper);
}

/**
 * LeCun normal (`jax.nn.initializers.lecun_normal`, flax's `Dense` default kernel init):
 * a normal truncated at ±2σ, scaled so that the variance is 1/fanIn.
 *
 * @example
 * ```ts
 * import { random } from "../mod.ts";
 * import { lecunNormal } from "./init.ts";
 * const w = lecunNormal(random.key(0), [3, 16], "float32");
 * ```
 */
export const lecunNormal: Initializer = (key, shape, dtype): Array =>
  mul(truncatedNormal(key, -2, 2, shape, dtype), Math.sqrt(1 / shape[0]) / TRUNC_STD);

/**
 * Glorot (Xavier) uniform (`jax.nn.initializers.glorot_uniform`): uniform in ±√(6/(fanIn +
 * fanOut)).
 *
 * @example
 * ```ts
 * import { random } from "../mod.ts";
 * import { glorotUniform } from "./init.ts";
 * const w = glorotUniform(random.key(0), [16, 1], "float32");
 * ```
 */
export const glorotUniform: Initializer = (key, shape, dtype): Array => {
  const limit = Math.sqrt(6 / (shape[0] + shape[1]));
  return uniform(key, shape, { dtype, minval: -limit, maxval: limit });
};
