/**
 * The plots of the differentiable path (`diff_run.ts`), under `outputDir/plots/`: Z0 and each cut
 * against the iteration, pre- and post-optimisation stacked histograms per channel (with the
 * pseudo-data through the same hard cuts), and the MVA score before and after fine-tuning.
 *
 * @module
 */
import type { Array as ZArray } from "../mod.ts";
import { linePlot, stackedHistogram, writePlot } from "../plots/mod.ts";
import type { Config } from "./config/schema.ts";
import { CUT_NAMES, PARAM_NAMES } from "./diff/chain.ts";
import { hardHistograms, type Histograms } from "./diff/histograms.ts";
import type { DiffInputs } from "./diff/inputs.ts";
import type { Mva } from "./diff/mva.ts";
import type { OptimiseResult } from "./diff/optimise.ts";
import type { DiffParams } from "./diff/soft.ts";
import { mvaScore } from "./diff/soft.ts";
import { fillHistogram } from "./histograms.ts";

/** The values of a (CPU) array as plain numbers. */
export const numbers = (a: ZArray): number[] => Array.from(a.dataSync(), Number);

/** What the plots show: the optimisation's result and what it ran on. */
export interface DiffPlotInputs {
  /** The analysis config (axis labels of the fit observables). */
  cfg: Config;
  /** The optimisation's result. */
  result: OptimiseResult;
  /** The MC inputs of the chain. */
  inputs: DiffInputs;
  /** The pseudo-data as a one-sample input, or null without data. */
  dataInputs: DiffInputs | null;
  /** The pre-trained MVA (the network and its weights before fine-tuning). */
  mva: Mva;
}

/**
 * Writes every plot of the differentiable path into `dir` and returns the files written.
 *
 * @example
 * ```ts ignore
 * import { writeDiffPlots } from "./diff_plots.ts";
 * const files = await writeDiffPlots("out/plots", { cfg, result, inputs, dataInputs, mva });
 * ```
 */
export async function writeDiffPlots(dir: string, p: DiffPlotInputs): Promise<string[]> {
  const before = initialParams(p.result, p.mva);
  return [
    ...await historyPlots(dir, p.result),
    ...await stackPlots(dir, p, before),
    ...await mvaScorePlot(dir, p, before),
  ];
}

/** The parameters the optimisation started from: initial cuts, pre-trained MVA weights. */
function initialParams(r: OptimiseResult, mva: Mva): DiffParams {
  const initialCuts = r.history[0].params;
  return {
    ...r.params,
    ...Object.fromEntries(
      CUT_NAMES.map((k) => [k, r.params[k].mul(0).add(initialCuts[k])]),
    ),
    nn: mva.params.map((l) => ({
      w: l.w.astype(r.params.met.dtype),
      b: l.b.astype(r.params.met.dtype),
    })),
  };
}

/** Z0 and each cut against the iteration. */
async function historyPlots(dir: string, r: OptimiseResult): Promise<string[]> {
  const its = r.history.map((h) => h.iteration);
  const files = await writePlot(
    `${dir}/diff_z0.svg`,
    linePlot({
      series: [{ name: "Z0 (soft)", x: its, y: r.history.map((h) => h.z0) }],
      xLabel: "iteration",
      yLabel: "profiled Z0",
      title: "discovery significance during the optimisation",
    }),
  );
  for (const k of CUT_NAMES) {
    files.push(
      ...await writePlot(
        `${dir}/diff_param_${k}.svg`,
        linePlot({
          series: [{ name: PARAM_NAMES[k], x: its, y: r.history.map((h) => h.params[k]) }],
          xLabel: "iteration",
          yLabel: PARAM_NAMES[k],
          title: `${PARAM_NAMES[k]} during the optimisation`,
        }),
      ),
    );
  }
  return files;
}

/** Stacked histograms per channel before and after, with the pseudo-data through the hard cuts. */
async function stackPlots(dir: string, p: DiffPlotInputs, before: DiffParams): Promise<string[]> {
  const { cfg, result: r, mva } = p;
  const dataBefore = dataHistograms(p.dataInputs, before, mva);
  const dataAfter = dataHistograms(p.dataInputs, r.params, mva);
  const files: string[] = [];
  for (const ch of p.inputs.channels) {
    const c = cfg.channels.find((c) => c.name === ch.name);
    const label = c?.observables.find((o) => o.name === c.fitObservable)?.label ?? ch.name;
    files.push(
      ...await stackPlot(
        `${dir}/diff_${ch.name}_before.svg`,
        r.histograms.initial,
        ch.name,
        ch.edges,
        dataBefore?.[ch.name],
        `${ch.name}: before optimisation (soft cuts; data with the same cuts, hard)`,
        label,
      ),
      ...await stackPlot(
        `${dir}/diff_${ch.name}_after.svg`,
        r.histograms.final,
        ch.name,
        ch.edges,
        dataAfter?.[ch.name],
        `${ch.name}: after optimisation`,
        label,
      ),
    );
  }
  return files;
}

/** Stacked histograms of one channel from the chain's histograms (+ data). */
async function stackPlot(
  path: string,
  hists: Histograms,
  channel: string,
  edges: readonly number[],
  data: number[] | undefined,
  title: string,
  xLabel: string,
): Promise<string[]> {
  const samples = Object.keys(hists).sort((a, b) => (a === "signal" ? 1 : b === "signal" ? -1 : 0));
  const stack = samples.map((s) => ({ name: s, values: numbers(hists[s][channel].nominal) }));
  const unc = samples.map((s) => numbers(hists[s][channel].sumw2))
    .reduce((a, b) => a.map((x, i) => x + b[i])).map(Math.sqrt);
  return await writePlot(
    path,
    stackedHistogram({ edges, stack, uncertainty: unc, data, title, xLabel }),
  );
}

/** Pseudo-data through the chain's hard cuts at `params` (as a one-sample input). */
function dataHistograms(
  data: DiffInputs | null,
  params: DiffParams,
  mva: Mva,
): Record<string, number[]> | null {
  if (!data) return null;
  const h = hardHistograms(params, data, mva.net.apply);
  return Object.fromEntries(Object.entries(h.signal).map(([ch, x]) => [ch, numbers(x.nominal)]));
}

/** The MVA score of each sample before and after fine-tuning (normalised). */
async function mvaScorePlot(dir: string, p: DiffPlotInputs, before: DiffParams): Promise<string[]> {
  const scoreEdges = Array.from({ length: 21 }, (_, i) => i / 20);
  const series = [];
  for (const s of p.inputs.samples) {
    const cols = p.inputs.columns[s];
    for (const [when, nn] of [["before", before.nn], ["after", p.result.params.nn]] as const) {
      const score = mvaScore(p.mva.net.apply, nn, cols.features).dataSync();
      const h = fillHistogram(score, cols.weight.dataSync(), scoreEdges);
      const tot = h.sumw.reduce((a, b) => a + b, 0) || 1;
      series.push({
        name: `${s} (${when})`,
        x: scoreEdges.slice(0, -1).map((e) => e + 0.025),
        y: h.sumw.map((v) => v / tot),
        dashed: when === "before",
      });
    }
  }
  return await writePlot(
    `${dir}/diff_mva_score.svg`,
    linePlot({
      series,
      xLabel: "MVA score",
      yLabel: "fraction of events",
      title: "MVA score before and after fine-tuning",
    }),
  );
}
