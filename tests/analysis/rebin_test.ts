/**
 * Bins of the fit observable without background are merged into their neighbours before the
 * workspace is built (a bin with data and no background makes the likelihood zero).
 */
import assert from "node:assert/strict";
import {
  mergeBins,
  mergeEdges,
  mergeEmptyBins,
  mergeHist,
  populatedGroups,
} from "../../analysis/rebin.ts";
import type { Hist, ProcessHistograms } from "../../analysis/histograms.ts";

Deno.test("populatedGroups: left to right, a trailing empty run joins the last group", () => {
  assert.deepEqual(populatedGroups([0, 2, 0, 0, 3, 1]), [[0, 1], [2, 3, 4], [5]]);
  assert.deepEqual(populatedGroups([1, 1, 0, 0]), [[0], [1, 2, 3]]);
  assert.deepEqual(populatedGroups([1, 2, 3]), [[0], [1], [2]]);
  assert.deepEqual(populatedGroups([0, 0]), [[0, 1]]);
});

Deno.test("mergeHist adds Σw and Σw² and keeps the groups' outer edges", () => {
  const h: Hist = { edges: [0, 1, 2, 3, 4], sumw: [1, 0, 2, 3], sumw2: [1, 0, 4, 9], entries: 6 };
  assert.deepEqual(mergeHist(h, [[0, 1], [2], [3]]), {
    edges: [0, 2, 3, 4],
    sumw: [1, 2, 3],
    sumw2: [1, 4, 9],
    entries: 6,
  });
});

Deno.test("mergeEmptyBins: background decides, every process and variation follows", () => {
  const hist = (sumw: number[]): Hist => ({
    edges: [0, 1, 2, 3],
    sumw,
    sumw2: sumw.map((x) => x * x),
    entries: 1,
  });
  const proc = (process: string, isData: boolean, nominal: number[], up = nominal) =>
    ({
      process,
      isData,
      hists: { ch: { m: { nominal: hist(nominal), jes_up: hist(up) } } },
      yields: {},
      cutflow: { input: 0, baseline: 0 },
    }) as ProcessHistograms;
  const hs = [
    proc("signal", false, [5, 0, 0]),
    proc("bkg", false, [0, 4, 3], [1, 4, 3]),
    proc("data", true, [2, 3, 4]),
  ];
  const { histograms, warning } = mergeEmptyBins(hs, "ch", "m", ["signal"]);
  assert.match(warning!, /3 bins merged into 2.*edges 0, 2, 3/);
  assert.deepEqual(histograms[0].hists.ch.m.nominal.sumw, [5, 0]);
  assert.deepEqual(histograms[1].hists.ch.m.jes_up.sumw, [5, 3]);
  assert.deepEqual(histograms[2].hists.ch.m.nominal.sumw, [5, 4]);
  assert.equal(mergeEmptyBins(histograms, "ch", "m", ["signal"]).warning, null);
});

Deno.test("mergeBins and mergeEdges: the pieces of mergeHist", () => {
  assert.deepEqual(mergeBins([1, 0, 2, 3], [[0, 1], [2], [3]]), [1, 2, 3]);
  assert.deepEqual(mergeEdges([0, 1, 2, 3, 4], [[0, 1], [2], [3]]), [0, 2, 3, 4]);
});
