/**
 * Plots for zgrad's analyses and statistics, with Vega-Lite rendered headlessly to SVG: stacked
 * histograms with uncertainty bands and data ({@link stackedHistogram}), lines with shaded bands
 * ({@link linePlot}), pulls and impact rankings of nuisance parameters ({@link pullPlot},
 * {@link rankingPlot}), {@link renderSvg} / {@link writePlot} to draw them, {@link svgToPng} to
 * rasterise.
 *
 * @example
 * ```ts
 * import { stackedHistogram, writePlot } from "./mod.ts";
 * await writePlot("out/mtt.svg", stackedHistogram({
 *   edges: [200, 1000, 2000, 3000],
 *   stack: [{ name: "tt̄", values: [50, 10, 1] }],
 *   data: [48, 12, 2],
 * }));
 * ```
 *
 * @module
 */
export {
  type LineBand,
  linePlot,
  type LinePlotOptions,
  type LineSeries,
  type StackComponent,
  stackedHistogram,
  type StackedHistogramOptions,
} from "./specs.ts";
export {
  pullPlot,
  type PullPlotOptions,
  rankingPlot,
  type RankingPlotOptions,
} from "./stat_specs.ts";
export { renderSvg, writePlot } from "./render.ts";
export { svgToPng } from "./png.ts";
