/**
 * Ordinary weighted histograms (the non-differentiable path): Σw and Σw² per bin, numpy's bin
 * convention (bins are [e_j, e_{j+1}), the last one closed), with out-of-range events dropped or
 * clipped into the first/last bin (`overflow`, as `stats.hist`'s option of the same name). And the
 * per-process histogramming with every systematic variation.
 *
 * @module
 */
import type { ProcessEvents } from "./data/columns.ts";
import { binEdges, type Config } from "./config/schema.ts";
import { eventsFromTable } from "./events.ts";
import { activeChannels, applySelection, prepareBaseline } from "./selection.ts";
import { eventWeights, objectVariations, type Variation, variationKey } from "./variations.ts";

/**
 * A weighted histogram.
 *
 * @example
 * ```ts
 * import { fillHistogram } from "./histograms.ts";
 * const h = fillHistogram([1.5, 2.5], [1, 2], [0, 2, 4]);
 * console.log(h.sumw, h.sumw2, h.entries); // [1, 2] [1, 4] 2
 * ```
 */
export interface Hist {
  /** Bin edges (B + 1). */
  edges: number[];
  /** Σ weights per bin. */
  sumw: number[];
  /** Σ weights² per bin. */
  sumw2: number[];
  /** Events filled (inside the range, or clipped into it). */
  entries: number;
}

/**
 * Fills a weighted histogram. NaN values are dropped.
 *
 * @example
 * ```ts
 * import { fillHistogram } from "./histograms.ts";
 * fillHistogram([-1, 5], [1, 1], [0, 1, 2], "clip").sumw; // [1, 1]
 * ```
 */
export function fillHistogram(
  values: ArrayLike<number>,
  weights: ArrayLike<number>,
  edges: readonly number[],
  overflow: "drop" | "clip" = "drop",
): Hist {
  if (values.length !== weights.length) {
    throw new Error(`fillHistogram: ${values.length} values but ${weights.length} weights`);
  }
  const B = edges.length - 1;
  if (B < 1) throw new Error("fillHistogram: needs at least 2 edges");
  const sumw = new Array<number>(B).fill(0), sumw2 = new Array<number>(B).fill(0);
  let entries = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (Number.isNaN(x)) continue;
    let b: number;
    if (x < edges[0]) b = overflow === "clip" ? 0 : -1;
    else if (x > edges[B]) b = overflow === "clip" ? B - 1 : -1;
    else if (x === edges[B]) b = B - 1;
    else {
      let lo = 0, hi = B; // edges[lo] <= x < edges[hi]
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (x >= edges[mid]) lo = mid;
        else hi = mid;
      }
      b = lo;
    }
    if (b < 0) continue;
    const w = weights[i];
    sumw[b] += w;
    sumw2[b] += w * w;
    entries++;
  }
  return { edges: [...edges], sumw, sumw2, entries };
}

/**
 * Histograms of one process: `hists[channel][observable][variation]` with variation keys
 * `nominal`, `<systematic>_up`, `<systematic>_down`; and the selected event count and Σw per
 * channel (nominal).
 *
 * @example
 * ```ts
 * import { histogramProcess } from "./histograms.ts";
 * const h = histogramProcess(processEvents, cfg);
 * h.hists.Zprime_channel.mtt.nominal.sumw;
 * ```
 */
export interface ProcessHistograms {
  /** Process name. */
  process: string;
  /** Whether it is (pseudo-)data. */
  isData: boolean;
  /** Histograms by channel, observable and variation. */
  hists: Record<string, Record<string, Record<string, Hist>>>;
  /** Selected events (unweighted) and Σw per channel, nominal. */
  yields: Record<string, { events: number; sumw: number }>;
  /** Events before and after the baseline selection (nominal). */
  cutflow: { input: number; baseline: number };
}

/**
 * Runs the selection chain for every variation of a process and fills its histograms.
 * `onStep` is called after each variation (for progress).
 *
 * @example
 * ```ts
 * import { histogramProcess } from "./histograms.ts";
 * const h = histogramProcess(pe, cfg, { onStep: (what) => console.error(what) });
 * ```
 */
export function histogramProcess(
  pe: ProcessEvents,
  cfg: Config,
  opts: { onStep?: (what: string) => void } = {},
): ProcessHistograms {
  const withSys = cfg.general.runSystematics && !pe.isData;
  const ev = eventsFromTable(pe.table);
  if (pe.weight.length !== ev.nEvents) {
    throw new Error(
      `process ${pe.process}: ${pe.weight.length} weights for ${ev.nEvents} events`,
    );
  }
  const channels = activeChannels(cfg);
  const out: ProcessHistograms = {
    process: pe.process,
    isData: pe.isData,
    hists: {},
    yields: {},
    cutflow: { input: ev.nEvents, baseline: 0 },
  };
  for (const ch of channels) {
    out.hists[ch.name] = Object.fromEntries(ch.observables.map((o) => [o.name, {}]));
  }
  const nominal: Variation = { name: "nominal", direction: "nominal", kind: "nominal" };
  const variations = [
    nominal,
    ...(withSys ? objectVariations(cfg.systematics, pe.process, pe.isData) : []),
  ];
  for (const v of variations) {
    const base = prepareBaseline(ev, cfg, pe.process, pe.isData, v);
    if (v.kind === "nominal") out.cutflow.baseline = base.events.nEvents;
    const baseW = Float64Array.from(base.index, (i) => pe.weight[i]);
    for (const ch of channels) {
      const sel = applySelection(base.events, ch.selection.function, `channel ${ch.name}`);
      const w0 = Float64Array.from(sel.index, (i) => baseW[i]);
      const weights = eventWeights(
        sel.events,
        w0,
        cfg,
        pe.process,
        pe.isData,
        withSys && v.kind === "nominal",
      );
      if (v.kind === "nominal") {
        out.yields[ch.name] = {
          events: sel.events.nEvents,
          sumw: weights.nominal.reduce((a, b) => a + b, 0),
        };
      }
      for (const o of ch.observables) {
        const x = o.function(sel.events);
        if (x.ndim !== 1 || x.shape[0] !== sel.events.nEvents) {
          throw new Error(
            `channel ${ch.name}, observable ${o.name}: returned shape [${x.shape}], expected ` +
              `[${sel.events.nEvents}]`,
          );
        }
        const values = x.astype("float64").dataSync();
        const edges = binEdges(o.binning);
        const fill = (w: Float64Array) => fillHistogram(values, w, edges, o.overflow ?? "drop");
        const target = out.hists[ch.name][o.name];
        target[variationKey(v)] = fill(weights.nominal);
        for (const [k, w] of Object.entries(weights.variations)) target[k] = fill(w);
      }
    }
    opts.onStep?.(`${pe.process}: ${variationKey(v)}`);
  }
  return out;
}
