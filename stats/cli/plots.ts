/**
 * The plots of `zgrad <command> --plot DIR` (SVG, Vega-Lite through `plots/`):
 * - `fit`: `pulls.svg` (post-fit θ̂ ± σ̂ against the pre-fit 0 ± 1) and, per channel,
 *   `prefit_<channel>.svg` / `postfit_<channel>.svg` (stacked sample yields, data, the model's
 *   uncertainty band: cabinetry's data/MC plots);
 * - `upper-limit`: `brazil.svg` (CLs against the POI: observed, expected median, ±1σ and ±2σ
 *   bands, the CLs = level line);
 * - `ranking`: `ranking.svg` (pre- and post-fit impacts as bars, largest first, with pulls).
 *
 * Specs are built here from the results; rendering (which loads vega) is imported only when
 * plots are written.
 *
 * @module
 */
import type { TopLevelSpec } from "npm:vega-lite@^6";
import { linePlot, stackedHistogram } from "../../plots/specs.ts";
import { pullPlot, rankingPlot } from "../../plots/stat_specs.ts";
import { pullTable } from "../fisher.ts";
import type { FitResult } from "../fit.ts";
import type { ClsCurve } from "../limits.ts";
import type { Model } from "../model.ts";
import type { RankingResult } from "../ranking.ts";
import { type ChannelYields, prePostFitYields } from "../yields.ts";

/**
 * One plot to write: file name (without directory) and its Vega-Lite spec.
 *
 * @example
 * ```ts
 * import type { Figure } from "./plots.ts";
 * const f: Figure = { name: "pulls.svg", spec: { mark: "point" } };
 * ```
 */
export interface Figure {
  /** File name, `*.svg`. */
  name: string;
  /** The spec. */
  spec: TopLevelSpec;
}

/**
 * Legend names of the Brazil plot (the tests look for them).
 *
 * @example
 * ```ts
 * import { BRAZIL_LEGEND } from "./plots.ts";
 * console.log(BRAZIL_LEGEND.observed); // "observed CLs"
 * ```
 */
export const BRAZIL_LEGEND = {
  observed: "observed CLs",
  expected: "expected median",
  oneSigma: "expected ±1σ",
  twoSigma: "expected ±2σ",
  level: (level: number) => `CLs = ${level}`,
} as const;

/** A channel name usable in a file name. */
function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, "_");
}

/** The stacked yields of one channel (all-zero samples, absent from the channel, left out). */
function yieldsFigure(
  name: string,
  title: string,
  y: ChannelYields,
  data: readonly number[],
): Figure {
  const B = y.total.length;
  return {
    name,
    spec: stackedHistogram({
      edges: Array.from({ length: B + 1 }, (_, i) => i),
      stack: Object.entries(y.samples).filter(([, v]) => v.some((x) => x !== 0))
        .map(([sample, values]) => ({ name: sample, values })),
      uncertainty: y.uncertainty,
      data,
      title,
      xLabel: "bin",
      yLabel: "events",
    }),
  };
}

/**
 * The plots of `fit`: pulls (when some constrained parameter is free) and pre-/post-fit yields
 * per channel.
 *
 * @example
 * ```ts
 * import { fitFigures } from "./plots.ts";
 * import { fit } from "../mod.ts";
 * const figures = fitFigures(model, fit(model.observed, model));
 * ```
 */
export function fitFigures(model: Model, result: FitResult): Figure[] {
  const figures: Figure[] = [];
  const pulls = pullTable(model, result);
  if (pulls.length > 0) {
    figures.push({
      name: "pulls.svg",
      spec: pullPlot({
        labels: pulls.map((p) => p.label),
        pull: pulls.map((p) => p.pull),
        constraint: pulls.map((p) => p.constraint),
        title: "pulls and constraints: post-fit θ̂ ± σ̂ against pre-fit θ₀ ± σ₀",
      }),
    });
  }
  const y = prePostFitYields(model, result);
  for (const c of model.channels) {
    const f = fileSafe(c);
    figures.push(
      yieldsFigure(`prefit_${f}.svg`, `${c}: pre-fit`, y.prefit[c], y.data[c]),
      yieldsFigure(`postfit_${f}.svg`, `${c}: post-fit`, y.postfit[c], y.data[c]),
    );
  }
  return figures;
}

/**
 * The Brazil plot of `upper-limit`: CLs against the POI over the tested values.
 *
 * @example
 * ```ts
 * import { brazilFigure } from "./plots.ts";
 * import { upperLimit } from "../mod.ts";
 * const figure = brazilFigure(upperLimit(model.observed, model).curve, 0.05, "mu");
 * ```
 */
export function brazilFigure(curve: ClsCurve, level: number, poi: string): Figure {
  const mu = curve.mu, e = (k: number) => curve.clsExpected.map((v) => v[k]);
  const L = BRAZIL_LEGEND;
  return {
    name: "brazil.svg",
    spec: linePlot({
      // pyhf's order: shifts [2, 1, 0, −1, −2] σ, so CLs ascends along the band.
      bands: [
        { name: L.twoSigma, x: mu, lo: e(0), hi: e(4), color: "#ffe44d" },
        { name: L.oneSigma, x: mu, lo: e(1), hi: e(3), color: "#33cc33" },
      ],
      series: [
        { name: L.expected, x: mu, y: e(2), color: "black", dashed: true },
        { name: L.observed, x: mu, y: curve.cls, color: "black" },
        {
          name: L.level(level),
          x: [mu[0], mu[mu.length - 1]],
          y: [level, level],
          color: "red",
          dashed: true,
        },
      ],
      title: `CLs against ${poi}`,
      xLabel: poi,
      yLabel: "CLs",
    }),
  };
}

/**
 * The ranking plot of `ranking`: the `maxPars` largest impacts (default 20).
 *
 * @example
 * ```ts
 * import { rankingFigure } from "./plots.ts";
 * import { ranking } from "../mod.ts";
 * const figure = rankingFigure(ranking(model.observed, model));
 * ```
 */
export function rankingFigure(r: RankingResult, maxPars = 20): Figure {
  const top = r.impacts.slice(0, maxPars);
  return {
    name: "ranking.svg",
    spec: rankingPlot({
      labels: top.map((i) => i.label),
      postfitUp: top.map((i) => i.postfit.up),
      postfitDown: top.map((i) => i.postfit.down),
      prefitUp: top.map((i) => i.prefit?.up ?? null),
      prefitDown: top.map((i) => i.prefit?.down ?? null),
      pull: top.map((i) => i.pull),
      constraint: top.map((i) => i.constraint),
      poi: r.poi,
      title: `impacts on ${r.poi}${
        r.impacts.length > top.length ? ` (largest ${top.length} of ${r.impacts.length})` : ""
      }`,
    }),
  };
}

/**
 * Renders the figures into `dir` (created if needed) and returns the paths written.
 *
 * @example
 * ```ts
 * import { fitFigures, writeFigures } from "./plots.ts";
 * import { fit } from "../mod.ts";
 * const files = await writeFigures("out", fitFigures(model, fit(model.observed, model)));
 * ```
 */
export async function writeFigures(dir: string, figures: readonly Figure[]): Promise<string[]> {
  const { writePlot } = await import("../../plots/render.ts");
  const base = dir.replace(/[\\/]+$/, "") || ".";
  const files: string[] = [];
  for (const f of figures) files.push(...await writePlot(`${base}/${f.name}`, f.spec));
  return files;
}
