/**
 * Merging of adjacent bins of the fit observable so that every bin has a positive background
 * prediction: a bin with observed events and no MC makes the Poisson likelihood zero (−log L = ∞)
 * at every parameter value, and one with signal but no background does so at μ = 0 (the
 * discovery test's hypothesis). Analysts rebin by hand; with limited MC statistics (a small
 * bundled sample, a sparse tail) this does it for them, from the left, and says so.
 *
 * @module
 */
import type { Hist, ProcessHistograms } from "./histograms.ts";

/**
 * Groups of adjacent bin indices whose MC totals are each above `minMc` (a trailing group that is
 * not joins the previous one). All-populated inputs give one group per bin.
 *
 * @example
 * ```ts
 * import { populatedGroups } from "./rebin.ts";
 * populatedGroups([0, 2, 0, 0, 3, 1]); // [[0, 1], [2, 3, 4], [5]]
 * ```
 */
export function populatedGroups(mcTotal: readonly number[], minMc = 0): number[][] {
  const groups: number[][] = [];
  let cur: number[] = [], acc = 0;
  mcTotal.forEach((y, b) => {
    cur.push(b);
    acc += y;
    if (acc > minMc) {
      groups.push(cur);
      cur = [];
      acc = 0;
    }
  });
  if (cur.length) {
    if (groups.length) groups[groups.length - 1].push(...cur);
    else groups.push(cur);
  }
  return groups;
}

/**
 * Per-bin contents summed within each group of bins.
 *
 * @example
 * ```ts
 * import { mergeBins } from "./rebin.ts";
 * mergeBins([1, 0, 2, 3], [[0, 1], [2], [3]]); // [1, 2, 3]
 * ```
 */
export function mergeBins(xs: ArrayLike<number>, groups: readonly number[][]): number[] {
  return groups.map((g) => g.reduce((s, b) => s + xs[b], 0));
}

/**
 * The edges of merged bins: the first edge, then each group's upper edge.
 *
 * @example
 * ```ts
 * import { mergeEdges } from "./rebin.ts";
 * mergeEdges([0, 1, 2, 3, 4], [[0, 1], [2], [3]]); // [0, 2, 3, 4]
 * ```
 */
export function mergeEdges(edges: readonly number[], groups: readonly number[][]): number[] {
  return [edges[0], ...groups.map((g) => edges[g[g.length - 1] + 1])];
}

/** A histogram with its bins merged into `groups` (Σw and Σw² add; edges of the groups' ends). */
export function mergeHist(h: Hist, groups: readonly number[][]): Hist {
  return {
    edges: mergeEdges(h.edges, groups),
    sumw: mergeBins(h.sumw, groups),
    sumw2: mergeBins(h.sumw2, groups),
    entries: h.entries,
  };
}

/**
 * Merges the bins of observable `obs` in `channel` of every process and variation so that each
 * has a positive nominal background (MC other than `signal`; all MC if there is none); returns the merged histograms and a warning (null when nothing
 * was merged).
 *
 * @example
 * ```ts ignore
 * import { mergeEmptyBins } from "./rebin.ts";
 * const { histograms, warning } = mergeEmptyBins(hists, "Zprime_channel", "mtt", ["signal"]);
 * ```
 */
export function mergeEmptyBins(
  hists: readonly ProcessHistograms[],
  channel: string,
  obs: string,
  signal: readonly string[] = [],
): { histograms: ProcessHistograms[]; warning: string | null } {
  const mc = hists.filter((h) => !h.isData);
  if (mc.length === 0) return { histograms: [...hists], warning: null };
  const bkg = mc.filter((h) => !signal.includes(h.process));
  const nominal = (bkg.length ? bkg : mc).map((h) => h.hists[channel][obs].nominal.sumw);
  const total = nominal[0].map((_, b) => nominal.reduce((s, xs) => s + Math.max(0, xs[b]), 0));
  const groups = populatedGroups(total);
  if (groups.length === total.length) return { histograms: [...hists], warning: null };
  const edges = mergeEdges(mc[0].hists[channel][obs].nominal.edges, groups);
  const histograms = hists.map((h) => ({
    ...h,
    hists: {
      ...h.hists,
      [channel]: {
        ...h.hists[channel],
        [obs]: Object.fromEntries(
          Object.entries(h.hists[channel][obs]).map(([v, hist]) => [v, mergeHist(hist, groups)]),
        ),
      },
    },
  }));
  const warning = `${channel}/${obs}: ${total.length} bins merged into ${groups.length} so that ` +
    `every bin has background (bins without it make the likelihood zero); edges ${
      edges.map((e) => +e.toPrecision(6)).join(", ")
    }`;
  return { histograms, warning };
}
