/**
 * KDE histograms of every sample in every channel, with the inputs of its systematics: the
 * nominal histogram (weights = event weight × soft selection × channel selection), the varied
 * observable's histograms (object systematics), the histograms with varied weights (weight
 * systematics) and Σw² per bin (for staterror). All are KDE histograms (`stats.hist`'s formula,
 * see {@link kdeMulti}), differentiable in the cuts, the MLP and the bandwidth.
 *
 * @module
 */
import type { Array, ArrayLike } from "../../core/array.ts";
import { array } from "../../core/ops/convert.ts";
import { normalCdf, sub } from "../../core/ops/elementwise.ts";
import type { DiffInputs, SampleColumns } from "./inputs.ts";
import {
  type DiffParams,
  hardSelection,
  type MvaApply,
  type SelectionOptions,
  softSelection,
} from "./soft.ts";

/** The histograms of one sample in one channel. */
export type ChannelHists = {
  /** Nominal yields `[B]`. */
  nominal: Array;
  /** Σ (event weight)² per bin `[B]`. */
  sumw2: Array;
  /** Per histosys systematic: `[up, down]` yields. */
  variations: Record<string, [Array, Array]>;
};

/** Histograms by sample, then channel. */
export type Histograms = Record<string, Record<string, ChannelHists>>;

/**
 * KDE histograms of one observable `x` for several weight vectors: `stats.hist`'s formula
 * (`H_j = Σ_i w_i (Φ((e_{j+1} − x_i)/h) − Φ((e_j − x_i)/h))`, mass outside the edges dropped),
 * written as `Σ_i mass[i, j]·w_i` reductions so that `jit` computes the `[N, B]` kernel masses
 * once for all weight vectors and never stores them (`stats.hist` uses a matmul, which
 * materialises them).
 *
 * @example
 * ```ts
 * import { array } from "../../mod.ts";
 * import { kdeMulti } from "./histograms.ts";
 * const [a, b] = kdeMulti(array([0.5, 1.5]), array([0, 1, 2]), 0.1, [array([1, 1]), array([2, 0])]);
 * ```
 */
export function kdeMulti(x: Array, edges: Array, bandwidth: ArrayLike, weights: Array[]): Array[] {
  const cdf = normalCdf(sub(edges.reshape([1, -1]), x.reshape([-1, 1])).div(bandwidth));
  const mass = cdf.slice(null, "1:").sub(cdf.slice(null, ":-1")); // [N, B]
  return weights.map((w) => mass.mul(w.reshape([-1, 1])).sum(0));
}

function sampleHists(
  inputs: DiffInputs,
  sample: string,
  cols: SampleColumns,
  soft: Array,
  bandwidth: Array,
): Record<string, ChannelHists> {
  const out: Record<string, ChannelHists> = {};
  for (const ch of inputs.channels) {
    const c = cols.channels[ch.name];
    const edges = array([...ch.edges], "float64").astype(c.obs.dtype);
    const keep = soft.mul(c.sel);
    const w = cols.weight.mul(keep);
    const systs = inputs.systematics.filter((s) => !s.samples || s.samples.includes(sample));
    // Every histogram of the nominal observable in one pass: nominal, Σw², weight variations.
    const weightSysts = systs.filter((s) => s.kind === "weight");
    const ws = [w, w.square()];
    for (const s of weightSysts) {
      const [wu, wd] = cols.weightVar[s.name];
      ws.push(wu.mul(keep), wd.mul(keep));
    }
    const [nominal, sumw2, ...wv] = kdeMulti(c.obs, edges, bandwidth, ws);
    const variations: Record<string, [Array, Array]> = {};
    weightSysts.forEach((s, i) => (variations[s.name] = [wv[2 * i], wv[2 * i + 1]]));
    for (const s of systs.filter((s) => s.kind === "observable")) {
      const [up, down] = c.obsVar[s.name];
      variations[s.name] = [
        kdeMulti(up, edges, bandwidth, [w])[0],
        kdeMulti(down, edges, bandwidth, [w])[0],
      ];
    }
    // Keep the systematics' declaration order (the workspace's modifier order follows it).
    const ordered: Record<string, [Array, Array]> = {};
    for (const s of systs) if (variations[s.name]) ordered[s.name] = variations[s.name];
    out[ch.name] = { nominal, sumw2, variations: ordered };
  }
  return out;
}

/**
 * KDE histograms of every sample and channel for the parameters `params` (soft selection).
 *
 * @example
 * ```ts
 * import { kdeHistograms } from "./histograms.ts";
 * const h = kdeHistograms(params, inputs, net.apply);
 * h.signal.zprime.nominal; // [B]
 * ```
 */
export function kdeHistograms(
  params: DiffParams,
  inputs: DiffInputs,
  mva: MvaApply,
  opts: SelectionOptions = {},
  columns: Record<string, SampleColumns> = inputs.columns,
): Histograms {
  const out: Histograms = {};
  for (const s of inputs.samples) {
    const cols = columns[s];
    const soft = softSelection(params, cols, mva, opts);
    out[s] = sampleHists(inputs, s, cols, soft, params.bandwidth);
  }
  return out;
}

/** Weighted step histogram on the host: bins [e_j, e_{j+1}), values outside dropped. */
function stepHist(
  x: globalThis.ArrayLike<number>,
  w: (i: number) => number,
  e: readonly number[],
): Float64Array {
  const h = new Float64Array(e.length - 1);
  for (let i = 0; i < x.length; i++) {
    if (!(x[i] >= e[0] && x[i] < e[e.length - 1])) continue;
    let lo = 0, hi = e.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (x[i] >= e[mid]) lo = mid;
      else hi = mid;
    }
    const wi = w(i);
    if (wi !== 0) h[lo] += wi;
  }
  return h;
}

/**
 * Ordinary (step) histograms with the hard selection at the parameters' thresholds — the
 * non-differentiable path, computed on the host (no KDE): the same {@link Histograms} as
 * {@link kdeHistograms} (nominal, Σw², systematic variations), float64, events outside the edges
 * dropped, bins [e_j, e_{j+1}).
 *
 * @example
 * ```ts
 * import { hardHistograms } from "./histograms.ts";
 * const h = hardHistograms(params, inputs, net.apply);
 * h.signal.zprime.nominal.tolist();
 * ```
 */
export function hardHistograms(
  params: DiffParams,
  inputs: DiffInputs,
  mva: MvaApply,
  opts: SelectionOptions = {},
): Histograms {
  const out: Histograms = {};
  const f64 = (h: Float64Array) => array(h, "float64");
  for (const s of inputs.samples) {
    const cols = inputs.columns[s];
    const pass = hardSelection(params, cols, mva, opts).dataSync();
    const w = cols.weight.dataSync();
    const systs = inputs.systematics.filter((y) => !y.samples || y.samples.includes(s));
    out[s] = {};
    for (const ch of inputs.channels) {
      const c = cols.channels[ch.name];
      const x = c.obs.dataSync(), sel = c.sel.dataSync(), e = ch.edges;
      const keep = (i: number) => (pass[i] && sel[i] ? 1 : 0);
      const variations: Record<string, [Array, Array]> = {};
      for (const y of systs) {
        if (y.kind === "observable") {
          const [u, d] = c.obsVar[y.name].map((a) => a.dataSync());
          variations[y.name] = [
            f64(stepHist(u, (i) => keep(i) * w[i], e)),
            f64(stepHist(d, (i) => keep(i) * w[i], e)),
          ];
        } else if (y.kind === "weight") {
          const [u, d] = cols.weightVar[y.name].map((a) => a.dataSync());
          variations[y.name] = [
            f64(stepHist(x, (i) => keep(i) * u[i], e)),
            f64(stepHist(x, (i) => keep(i) * d[i], e)),
          ];
        }
      }
      out[s][ch.name] = {
        nominal: f64(stepHist(x, (i) => keep(i) * w[i], e)),
        sumw2: f64(stepHist(x, (i) => keep(i) * w[i] * w[i], e)),
        variations,
      };
    }
  }
  return out;
}
