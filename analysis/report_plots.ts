/**
 * The analysis's plots: per channel, stacked pre-fit and post-fit histograms of the fit observable
 * with data and the uncertainty band of the model (see `statistics.ts`), and stacked histograms of
 * the other observables with their MC statistical uncertainty. SVG through `plots/`, plus PNG when
 * `plotting.png` is set.
 *
 * @module
 */
import { stackedHistogram, type StackedHistogramOptions, writePlot } from "../plots/mod.ts";
import { svgToPng } from "../plots/png.ts";
import { binEdges, type Config } from "./config/schema.ts";
import type { ProcessHistograms } from "./histograms.ts";
import { activeChannels } from "./selection.ts";
import type { ChannelYields, StatisticsResult } from "./statistics.ts";

function ordered(names: readonly string[], order: readonly string[]): string[] {
  const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function stackFrom(
  samples: Record<string, readonly number[]>,
  cfg: Config,
): StackedHistogramOptions["stack"] {
  const p = cfg.plotting;
  return ordered(Object.keys(samples), p.processOrder).map((name) => ({
    name: p.processLabels[name] ?? name,
    values: samples[name],
    color: p.processColors[name],
  }));
}

function dataOf(hists: readonly ProcessHistograms[], channel: string, obs: string) {
  const d = hists.filter((h) => h.isData);
  if (d.length === 0) return undefined;
  return d.map((h) => h.hists[channel][obs].nominal.sumw)
    .reduce((a, b) => a.map((x, i) => x + b[i]));
}

/**
 * Writes the plots into `dir`; returns the files written.
 *
 * @example
 * ```ts
 * import { writeAnalysisPlots } from "./report_plots.ts";
 * const files = await writeAnalysisPlots("outputs/zprime/plots", cfg, histograms, stats);
 * ```
 */
export async function writeAnalysisPlots(
  dir: string,
  cfg: Config,
  hists: readonly ProcessHistograms[],
  stats: StatisticsResult | null,
): Promise<string[]> {
  const files: string[] = [];
  const write = async (name: string, o: StackedHistogramOptions) => {
    const path = `${dir}/${name}.svg`;
    files.push(...await writePlot(path, stackedHistogram(o)));
    if (cfg.plotting.png) {
      const png = `${dir}/${name}.png`;
      await Deno.writeFile(png, await svgToPng(await Deno.readTextFile(path)));
      files.push(png);
    }
  };
  const mc = hists.filter((h) => !h.isData);
  for (const ch of activeChannels(cfg)) {
    for (const o of ch.observables) {
      // The histograms' own edges: the fit observable's bins may have been merged (rebin.ts).
      const edges = mc[0]?.hists[ch.name][o.name].nominal.edges ?? binEdges(o.binning);
      const data = dataOf(hists, ch.name, o.name);
      const label = o.label ?? o.name;
      if (o.name === ch.fitObservable && stats) {
        const views: [string, ChannelYields][] = [
          ["prefit", stats.yields.prefit[ch.name]],
          ["postfit", stats.yields.postfit[ch.name]],
        ];
        for (const [when, y] of views) {
          await write(`${ch.name}_${o.name}_${when}`, {
            edges,
            stack: stackFrom(y.samples, cfg),
            uncertainty: y.uncertainty,
            data,
            xLabel: label,
            title: `${ch.name}: ${when === "prefit" ? "pre-fit" : "post-fit"}`,
          });
        }
        continue;
      }
      const samples = Object.fromEntries(
        mc.map((h) => [h.process, h.hists[ch.name][o.name].nominal.sumw]),
      );
      const unc = mc.map((h) => h.hists[ch.name][o.name].nominal.sumw2)
        .reduce((a, b) => a.map((x, i) => x + b[i]), new Array<number>(edges.length - 1).fill(0))
        .map(Math.sqrt);
      await write(`${ch.name}_${o.name}`, {
        edges,
        stack: stackFrom(samples, cfg),
        uncertainty: unc,
        data,
        xLabel: label,
        title: `${ch.name}: ${o.name} (MC stat. uncertainty)`,
      });
    }
  }
  return files;
}
