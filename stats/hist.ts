/**
 * Differentiable histograms: each event is smeared by a Gaussian kernel, so a bin's content is the
 * probability mass of the kernel inside the bin (relaxed's `hist`). Differentiable in the event
 * values, the weights, the bandwidth and the bin edges.
 *
 * @module
 */
import type { Array, ArrayLike } from "../core/array.ts";
import { asArray } from "../core/ops/convert.ts";
import { normalCdf, sub, where } from "../core/ops/elementwise.ts";
import { matmul } from "../core/ops/linalg.ts";
import { sum } from "../core/ops/reduce.ts";
import { reshape, slice } from "../core/ops/shape.ts";
import { iota } from "./iota.ts";

/** Options of {@link hist}. */
export interface HistOptions {
  /** Kernel width (standard deviation, in the units of x). Required: there is no good default. */
  bandwidth: ArrayLike;
  /** Per-event weights (default 1). */
  weights?: ArrayLike;
  /**
   * What happens to kernel mass outside the edges: `"drop"` (default, like relaxed: it is lost, so
   * events near the ends count partly) or `"clip"` (the first and last bins extend to ∓∞, so every
   * event's weight is fully counted).
   */
  overflow?: "drop" | "clip";
}

/**
 * KDE histogram: `H_j = Σ_i w_i (Φ((e_{j+1} − x_i)/h) − Φ((e_j − x_i)/h))` for bin edges `e`
 * (B + 1 increasing values) and bandwidth h. As h → 0 it becomes an ordinary weighted histogram.
 *
 * @example
 * ```ts
 * import { array, linspace } from "../mod.ts";
 * import { hist } from "./hist.ts";
 * const h = hist(array([0.5, 1.5, 1.6]), linspace(0, 3, 4), { bandwidth: 0.1 });
 * // ≈ [1, 2, 0]
 * ```
 */
export function hist(x: ArrayLike, edges: ArrayLike, opts: HistOptions): Array {
  const xs = asArray(x);
  const e = asArray(edges);
  if (xs.ndim !== 1) {
    throw new Error(`hist: x must be 1-D (one value per event), got shape [${xs.shape}]`);
  }
  if (e.ndim !== 1 || e.shape[0] < 2) {
    throw new Error(`hist: edges must be 1-D with at least 2 entries, got shape [${e.shape}]`);
  }
  if (opts?.bandwidth === undefined) throw new Error("hist: bandwidth is required");
  const n = e.shape[0];
  // z[i, j] = (e_j − x_i) / h, an [N, B+1] matrix that jit fuses away.
  const z = sub(reshape(e, [1, n]), reshape(xs, [-1, 1])).div(opts.bandwidth);
  let cdf = normalCdf(z);
  if (opts.overflow === "clip") {
    const j = iota([1, n]);
    cdf = where(j.eq(0), 0, where(j.eq(n - 1), 1, cdf));
  }
  const mass = sub(slice(cdf, null, "1:"), slice(cdf, null, ":-1")); // [N, B]
  if (opts.weights === undefined) return sum(mass, 0);
  const w = asArray(opts.weights);
  if (w.ndim !== 1 || w.shape[0] !== xs.shape[0]) {
    throw new Error(`hist: weights shape [${w.shape}] does not match x shape [${xs.shape}]`);
  }
  return matmul(w, mass);
}
