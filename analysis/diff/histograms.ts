/**
 * KDE histograms of every sample in every channel, with the inputs of its systematics: the
 * nominal histogram (weights = event weight × soft selection × channel selection), the varied
 * observable's histograms (object systematics), the histograms with varied weights (weight
 * systematics) and Σw² per bin (for staterror). All are `stats.hist` calls, differentiable in the
 * cuts, the MLP and the bandwidth.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { array } from "../../core/ops/convert.ts";
import { hist } from "../../stats/hist.ts";
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
    const h = (x: Array, weights: Array) => hist(x, edges, { bandwidth, weights });
    const variations: Record<string, [Array, Array]> = {};
    for (const s of inputs.systematics) {
      if (s.samples && !s.samples.includes(sample)) continue;
      if (s.kind === "observable") {
        const [up, down] = c.obsVar[s.name];
        variations[s.name] = [h(up, w), h(down, w)];
      } else if (s.kind === "weight") {
        const [wu, wd] = cols.weightVar[s.name];
        variations[s.name] = [h(c.obs, wu.mul(keep)), h(c.obs, wd.mul(keep))];
      }
    }
    out[ch.name] = { nominal: h(c.obs, w), sumw2: h(c.obs, w.square()), variations };
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

/**
 * Ordinary (step) histograms with the hard selection at the parameters' thresholds — the
 * non-differentiable path, computed on the host (no KDE): events outside the edges are dropped,
 * bins are [e_j, e_{j+1}).
 *
 * @example
 * ```ts
 * import { hardHistograms } from "./histograms.ts";
 * const h = hardHistograms(params, inputs, net.apply); // {sample: {channel: Float64Array}}
 * ```
 */
export function hardHistograms(
  params: DiffParams,
  inputs: DiffInputs,
  mva: MvaApply,
  opts: SelectionOptions = {},
): Record<string, Record<string, Float64Array>> {
  const out: Record<string, Record<string, Float64Array>> = {};
  for (const s of inputs.samples) {
    const cols = inputs.columns[s];
    const pass = hardSelection(params, cols, mva, opts).dataSync();
    const w = cols.weight.dataSync();
    out[s] = {};
    for (const ch of inputs.channels) {
      const c = cols.channels[ch.name];
      const x = c.obs.dataSync(), sel = c.sel.dataSync(), e = ch.edges;
      const h = new Float64Array(e.length - 1);
      for (let i = 0; i < x.length; i++) {
        if (!pass[i] || !sel[i] || !(x[i] >= e[0] && x[i] < e[e.length - 1])) continue;
        let lo = 0, hi = e.length - 1;
        while (hi - lo > 1) {
          const mid = (lo + hi) >> 1;
          if (x[i] >= e[mid]) lo = mid;
          else hi = mid;
        }
        h[lo] += w[i];
      }
      out[s][ch.name] = h;
    }
  }
  return out;
}
