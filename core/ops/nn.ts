/**
 * The activation functions users reach for first, as `jax.nn`: `softmax`, `logSoftmax`, `relu`,
 * `oneHot`. Compositions of primitives, written to be stable for large inputs and to have JAX's
 * derivatives.
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { type DType, isFloat } from "../dtype.ts";
import { normAxes } from "../shape.ts";
import { asArray, astype } from "./convert.ts";
import { arange } from "./creation.ts";
import {
  div,
  equal,
  exp,
  greater,
  isfinite,
  isnan,
  log,
  logicalOr,
  sub,
  where,
} from "./elementwise.ts";
import { max, sum } from "./reduce.ts";
import { expandDims, stopGradient } from "./shape.ts";

/** `x` as a float array, and `x − max(x)` over `axis` with the max held constant (stability). */
function shifted(op: string, x: ArrayLike, axis: number | number[]) {
  const a0 = asArray(x);
  const a = isFloat(a0.dtype) ? a0 : astype(a0, "float32");
  const axes = normAxes(op, axis, a.ndim);
  const m = stopGradient(max(a, axes, { keepdims: true }));
  return { axes, z: sub(a, where(isfinite(m), m, 0)) };
}

/**
 * `exp(x) / sum(exp(x))` over `axis` (default last), computed as `exp(x − max)` so large inputs
 * do not overflow. Its derivative is the usual `s (g − Σ g s)`.
 *
 * @example
 * ```ts
 * import { array, softmax } from "./mod.ts";
 * softmax(array([1000, 1000])); // [0.5, 0.5]
 * ```
 */
export function softmax(x: ArrayLike, axis: number | number[] = -1): Array {
  const { axes, z } = shifted("softmax", x, axis);
  const e = exp(z);
  return div(e, sum(e, axes, { keepdims: true }));
}

/**
 * `x − logsumexp(x)` over `axis` (default last): the log of {@link softmax}, accurate where
 * softmax underflows.
 *
 * @example
 * ```ts
 * import { array, logSoftmax } from "./mod.ts";
 * logSoftmax(array([0, 1000])); // [-1000, 0]
 * ```
 */
export function logSoftmax(x: ArrayLike, axis: number | number[] = -1): Array {
  const { axes, z } = shifted("logSoftmax", x, axis);
  return sub(z, log(sum(exp(z), axes, { keepdims: true })));
}

/**
 * `max(x, 0)`, with JAX's derivative: 1 where x > 0 and 0 elsewhere (also at 0). NaN passes.
 *
 * @example
 * ```ts
 * import { array, relu } from "./mod.ts";
 * relu(array([-1, 0, 2])); // [0, 0, 2]
 * ```
 */
export function relu(x: ArrayLike): Array {
  const a = asArray(x);
  return where(logicalOr(greater(a, 0), isnan(a)), a, 0);
}

/**
 * One-hot encoding (`jax.nn.one_hot`): a new last axis of length `numClasses` holding 1 at the
 * class index and 0 elsewhere (all zeros for indices outside [0, numClasses)).
 *
 * @example
 * ```ts
 * import { array, oneHot } from "./mod.ts";
 * oneHot(array([0, 2], "int32"), 3); // [[1, 0, 0], [0, 0, 1]]
 * ```
 */
export function oneHot(x: ArrayLike, numClasses: number, dtype: DType = "float32"): Array {
  if (!Number.isInteger(numClasses) || numClasses < 0) {
    throw new RangeError(`oneHot: numClasses must be a non-negative integer, got ${numClasses}`);
  }
  const a = asArray(x);
  const hit = equal(
    expandDims(a, -1),
    arange(numClasses, undefined, 1, a.dtype === "bool" ? "int32" : a.dtype),
  );
  return astype(hit, dtype);
}
