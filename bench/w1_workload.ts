/**
 * Workload W1's function (`../shared/bench/W1.md`) written with zgrad's public API, shared by the
 * benchmark and the tests that check how it compiles: per-event soft cuts, a KDE histogram of
 * `mtt` (25 bins on [0, 3000], bandwidth 60) for signal and background, and the Asimov
 * significance Z(θ), θ = (metCut, btagCut).
 *
 * @example
 * ```ts
 * import { array, valueAndGrad } from "../mod.ts";
 * import { w1Significance } from "./w1_workload.ts";
 * const col = (v: number[]) => array(v, "float32");
 * const d = { mtt: col([1900, 800]), met: col([150, 30]), btag: col([0.9, 0.2]), wgt: col([0.05, 1]), sig: col([1, 0]) };
 * const [z, dz] = valueAndGrad(w1Significance)(array([50, 0.5], "float32"), d);
 * ```
 *
 * @module
 */
import * as zg from "../mod.ts";
import type { Array } from "../mod.ts";

/** W1's event columns. */
export interface Columns<T> {
  /** Invariant mass of the tt̄ system (the histogrammed observable). */
  mtt: T;
  /** Missing transverse energy (cut from below). */
  met: T;
  /** b-tag score (cut from below). */
  btag: T;
  /** Event weight. */
  wgt: T;
  /** 1 for signal, 0 for background. */
  sig: T;
}

/** Number of bins, range and KDE bandwidth of the histogram. */
export const B = 25, LO = 0, HI = 3000, H = 60;
/** The B + 1 bin edges. */
export const EDGES: Float64Array = Float64Array.from(
  { length: B + 1 },
  (_, j) => LO + (j * (HI - LO)) / B,
);

/**
 * Z(θ) on the columns `d` (float32 or float64 throughout, the dtype of θ). The KDE matrix
 * [N, B] is written as differences of normal CDFs at the edges; a compiler should never store it.
 */
export function w1Significance(theta: Array, d: Columns<Array>): Array {
  const edges = zg.array(EDGES, theta.dtype);
  const metCut = theta.slice(0), btagCut = theta.slice(1);
  const w = d.wgt.mul(zg.sigmoid(d.met.sub(metCut).div(25)))
    .mul(zg.sigmoid(d.btag.sub(btagCut).mul(10)));
  const cdf = zg.normalCdf(edges.reshape([1, -1]).sub(d.mtt.reshape([-1, 1])).div(H));
  const kde = cdf.slice(null, "1:").sub(cdf.slice(null, ":-1")); // [N, B], never materialised
  const s = kde.mul(w.mul(d.sig).reshape([-1, 1])).sum(0);
  const b = kde.mul(w.mul(d.sig.neg().add(1)).reshape([-1, 1])).sum(0);
  const bc = b.maximum(1e-3);
  return s.add(bc).mul(zg.log1p(s.div(bc))).sub(s).mul(2).sum().sqrt();
}
