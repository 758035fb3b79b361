/**
 * Losses for binary classification.
 *
 * @module
 */
import type { Array, ArrayLike } from "../core/array.ts";
import { array, asArray } from "../core/ops/convert.ts";
import { abs, exp, log1p, maximum, mul, sub } from "../core/ops/elementwise.ts";
import { sum } from "../core/ops/reduce.ts";

/**
 * Per-example binary cross-entropy of logits `z` against labels `y` ∈ {0, 1} (optax
 * `sigmoid_binary_cross_entropy`), in the numerically stable form
 * `max(z, 0) − z·y + log1p(exp(−|z|))` (no overflow for large |z|).
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { sigmoidBinaryCrossEntropy } from "./loss.ts";
 * sigmoidBinaryCrossEntropy(array([0, 100]), array([1, 1])); // [ln 2, ≈0]
 * ```
 */
export function sigmoidBinaryCrossEntropy(logits: ArrayLike, labels: ArrayLike): Array {
  const z = asArray(logits), y = asArray(labels);
  if (z.shape.join() !== y.shape.join()) {
    throw new RangeError(
      `sigmoidBinaryCrossEntropy: logits shape [${z.shape}] differs from labels shape [${y.shape}]`,
    );
  }
  return sub(maximum(z, 0), mul(z, y)).add(log1p(exp(abs(z).neg())));
}

/**
 * The weighted mean binary cross-entropy with logits: `Σ wᵢ·bceᵢ / Σ wᵢ` (plain mean without
 * weights).
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { bceWithLogits, classWeights } from "./mod.ts";
 * const y = array([0, 0, 0, 1]);
 * bceWithLogits(array([-2, -1, 0, 3]), y, classWeights(y));
 * ```
 */
export function bceWithLogits(logits: ArrayLike, labels: ArrayLike, weights?: ArrayLike): Array {
  const l = sigmoidBinaryCrossEntropy(logits, labels);
  if (weights === undefined) return l.mean();
  const w = asArray(weights);
  if (w.shape.join() !== l.shape.join()) {
    throw new RangeError(`bceWithLogits: weights shape [${w.shape}] differs from [${l.shape}]`);
  }
  return sum(mul(l, w)).div(sum(w));
}

/**
 * Class-balancing weights for labels in {0, 1}: `N / (2·N_c)` for an example of class c (as
 * scikit-learn's `"balanced"`), so both classes carry the same total weight. Computed on the
 * host (labels are data, not parameters).
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { classWeights } from "./loss.ts";
 * classWeights(array([0, 0, 0, 1])).tolist(); // [0.667, 0.667, 0.667, 2]
 * ```
 */
export function classWeights(labels: ArrayLike): Array {
  const y = asArray(labels);
  const d = y.dataSync();
  let n1 = 0;
  for (let i = 0; i < d.length; i++) {
    if (d[i] !== 0 && d[i] !== 1) {
      throw new RangeError(`classWeights: labels must be 0 or 1, got ${d[i]} at ${i}`);
    }
    n1 += Number(d[i]);
  }
  const n = d.length, n0 = n - n1;
  if (n0 === 0 || n1 === 0) {
    throw new RangeError(`classWeights: both classes are needed (${n0} zeros, ${n1} ones)`);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = d[i] ? n / (2 * n1) : n / (2 * n0);
  const dt = y.dtype === "float64" ? "float64" : "float32";
  return array(out, "float64").astype(dt);
}
