/**
 * Soft selection cuts: a sigmoid in place of a step, so the selection efficiency is differentiable in
 * the threshold (relaxed's `cut`).
 *
 * @module
 */
import type { Array, ArrayLike } from "../core/array.ts";
import { mul, sigmoid, sub } from "../core/ops/elementwise.ts";

/** Options of {@link cut}. */
export interface CutOptions {
  /** Steepness: the sigmoid is σ(slope · (x − threshold)); larger is closer to a hard cut (default 1). */
  slope?: ArrayLike;
  /** Keep events above the threshold (default) or below it. */
  keep?: "above" | "below";
}

/**
 * Per-event soft selection weight in (0, 1): σ(slope·(x − t)) to keep x > t, σ(slope·(t − x)) to
 * keep x < t. Multiply event weights by it.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { cut } from "./cut.ts";
 * cut(array([10, 50, 90]), 50, { slope: 0.1 }); // ≈ [0.018, 0.5, 0.982]
 * ```
 */
export function cut(x: ArrayLike, threshold: ArrayLike, opts: CutOptions = {}): Array {
  const keep = opts.keep ?? "above";
  if (keep !== "above" && keep !== "below") {
    throw new Error(`cut: keep must be "above" or "below", got ${JSON.stringify(keep)}`);
  }
  const d = keep === "above" ? sub(x, threshold) : sub(threshold, x);
  return sigmoid(mul(d, opts.slope ?? 1));
}
