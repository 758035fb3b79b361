/**
 * Vega-Lite specs of the statistics plots that are not lines or histograms: the pulls and
 * constraints of nuisance parameters ({@link pullPlot}) and the impact ranking
 * ({@link rankingPlot}), both drawn as cabinetry draws them (one row per parameter).
 *
 * @module
 */
import type { TopLevelSpec } from "npm:vega-lite@^6";

/** One layer of a layered Vega-Lite spec. */
type Layer = Extract<TopLevelSpec, { layer: unknown }>["layer"][number];

/**
 * Options of {@link pullPlot}.
 *
 * @example
 * ```ts
 * import type { PullPlotOptions } from "./stat_specs.ts";
 * const o: PullPlotOptions = { labels: ["jes"], pull: [0.3], constraint: [0.8] };
 * ```
 */
export interface PullPlotOptions {
  /** Parameter labels, top to bottom. */
  labels: readonly string[];
  /** Pulls (θ̂ − θ₀)/σ₀. */
  pull: readonly number[];
  /** Constraints σ̂/σ₀ (the error bar's half-width). */
  constraint: readonly number[];
  /** Title. */
  title?: string;
  /** Width in pixels (default 480; the height grows with the number of parameters). */
  width?: number;
}

/** Legend names of {@link pullPlot}. */
const PULL_NAMES = ["pre-fit ±2σ", "pre-fit ±1σ", "post-fit θ̂ ± σ̂"] as const;

function checkRows(what: string, labels: readonly string[], cols: [string, readonly unknown[]][]) {
  if (labels.length === 0) throw new Error(`${what}: no parameters to plot`);
  for (const [name, v] of cols) {
    if (v.length !== labels.length) {
      throw new Error(`${what}: ${name} has ${v.length} values for ${labels.length} labels`);
    }
  }
}

/** A y axis of parameter labels in the given order. */
function labelAxis(labels: readonly string[]) {
  return { field: "label", type: "nominal" as const, title: null, sort: [...labels] };
}

/**
 * Pulls and constraints of nuisance parameters: the post-fit θ̂ ± σ̂ in units of the pre-fit
 * width, (θ̂ − θ₀)/σ₀ ± σ̂/σ₀, against the pre-fit 0 ± 1 and ±2 bands.
 *
 * @example
 * ```ts
 * import { pullPlot, renderSvg } from "./mod.ts";
 * const svg = await renderSvg(pullPlot({
 *   labels: ["jes", "lumi"], pull: [0.4, -0.1], constraint: [0.8, 0.95],
 * }));
 * ```
 */
export function pullPlot(o: PullPlotOptions): TopLevelSpec {
  checkRows("pullPlot", o.labels, [["pull", o.pull], ["constraint", o.constraint]]);
  const rows = o.labels.map((label, i) => ({
    label,
    name: PULL_NAMES[2],
    pull: o.pull[i],
    lo: o.pull[i] - o.constraint[i],
    hi: o.pull[i] + o.constraint[i],
  })).filter((r) => Number.isFinite(r.pull) && Number.isFinite(r.lo) && Number.isFinite(r.hi));
  const reach = Math.max(2.5, ...rows.map((r) => Math.max(Math.abs(r.lo), Math.abs(r.hi))));
  const x = {
    type: "quantitative" as const,
    title: "(θ̂ − θ₀)/σ₀",
    scale: { domain: [-reach, reach] },
  };
  const color = {
    field: "name",
    type: "nominal" as const,
    title: null,
    scale: { domain: [...PULL_NAMES], range: ["#ffe44d", "#66cc66", "black"] },
    legend: { labelLimit: 400 },
  };
  const y = labelAxis(o.labels);
  const band = (name: string, w: number): Layer => ({
    data: { values: [{ name, lo: -w, hi: w }] },
    mark: { type: "rect", opacity: 0.6 },
    encoding: { x: { ...x, field: "lo" }, x2: { field: "hi" }, color },
  });
  const layers: Layer[] = [
    band(PULL_NAMES[0], 2),
    band(PULL_NAMES[1], 1),
    {
      data: { values: [{ x: 0 }] },
      mark: { type: "rule", color: "#555555", strokeDash: [4, 4] },
      encoding: { x: { ...x, field: "x" } },
    },
    {
      data: { values: rows },
      mark: { type: "rule", strokeWidth: 1.5 },
      encoding: { x: { ...x, field: "lo" }, x2: { field: "hi" }, y, color },
    },
    {
      data: { values: rows },
      mark: { type: "point", filled: true, size: 40 },
      encoding: { x: { ...x, field: "pull" }, y, color },
    },
  ];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: o.title ?? "",
    width: o.width ?? 480,
    height: { step: 20 },
    layer: layers,
  };
}

/**
 * Options of {@link rankingPlot}: one entry per parameter, in the order drawn (largest impact
 * first, at the top).
 *
 * @example
 * ```ts
 * import type { RankingPlotOptions } from "./stat_specs.ts";
 * const o: RankingPlotOptions = {
 *   labels: ["jes"], postfitUp: [0.1], postfitDown: [-0.09], prefitUp: [0.12],
 *   prefitDown: [-0.11], pull: [0.2], constraint: [0.8], poi: "mu",
 * };
 * ```
 */
export interface RankingPlotOptions {
  /** Parameter labels, top to bottom. */
  labels: readonly string[];
  /** ΔPOI with θ = θ̂ + σ̂. */
  postfitUp: readonly number[];
  /** ΔPOI with θ = θ̂ − σ̂. */
  postfitDown: readonly number[];
  /** ΔPOI with θ = θ̂ + σ₀ (null: unconstrained, not drawn). */
  prefitUp: readonly (number | null)[];
  /** ΔPOI with θ = θ̂ − σ₀. */
  prefitDown: readonly (number | null)[];
  /** Pulls (θ̂ − θ₀)/σ₀ (null: unconstrained, not drawn). */
  pull: readonly (number | null)[];
  /** Constraints σ̂/σ₀. */
  constraint: readonly (number | null)[];
  /** The POI's name (axis title). */
  poi: string;
  /** Title. */
  title?: string;
  /** Width in pixels (default 480; the height grows with the number of parameters). */
  width?: number;
}

/** Legend names of {@link rankingPlot}. */
const RANKING_NAMES = [
  "pre-fit impact: θ = θ̂ + σ₀",
  "pre-fit impact: θ = θ̂ − σ₀",
  "post-fit impact: θ = θ̂ + σ̂",
  "post-fit impact: θ = θ̂ − σ̂",
  "pull",
] as const;

const finite = (v: number | null): v is number => v !== null && Number.isFinite(v);

/**
 * The impact ranking (cabinetry's ranking plot): per parameter, bars of the POI's shift with the
 * parameter fixed at θ̂ ± σ₀ (pre-fit, outlined) and θ̂ ± σ̂ (post-fit, filled) on the top axis,
 * and the pull (θ̂ − θ₀)/σ₀ ± σ̂/σ₀ as a point with an error bar on the bottom axis.
 *
 * @example
 * ```ts
 * import { rankingPlot, renderSvg } from "./mod.ts";
 * const svg = await renderSvg(rankingPlot({
 *   labels: ["jes", "lumi"], postfitUp: [0.1, 0.05], postfitDown: [-0.09, -0.05],
 *   prefitUp: [0.12, 0.05], prefitDown: [-0.11, -0.05], pull: [0.2, 0], constraint: [0.8, 1],
 *   poi: "mu",
 * }));
 * ```
 */
export function rankingPlot(o: RankingPlotOptions): TopLevelSpec {
  checkRows("rankingPlot", o.labels, [
    ["postfitUp", o.postfitUp],
    ["postfitDown", o.postfitDown],
    ["prefitUp", o.prefitUp],
    ["prefitDown", o.prefitDown],
    ["pull", o.pull],
    ["constraint", o.constraint],
  ]);
  const bars = (names: readonly [string, string], up: typeof o.prefitUp, down: typeof o.prefitUp) =>
    o.labels.flatMap((label, i) =>
      [[names[0], up[i]], [names[1], down[i]]].filter((e): e is [string, number] =>
        finite(e[1] as number | null)
      ).map(([name, value]) => ({ label, name, value, zero: 0 }))
    );
  const pre = bars([RANKING_NAMES[0], RANKING_NAMES[1]], o.prefitUp, o.prefitDown);
  const post = bars([RANKING_NAMES[2], RANKING_NAMES[3]], o.postfitUp, o.postfitDown);
  const pulls = o.labels.flatMap((label, i) => {
    const p = o.pull[i], c = o.constraint[i];
    return finite(p) && finite(c)
      ? [{ label, name: RANKING_NAMES[4], pull: p, lo: p - c, hi: p + c }]
      : [];
  });
  const m = Math.max(1e-12, ...[...pre, ...post].map((b) => Math.abs(b.value))) * 1.1;
  const reach = Math.max(2, ...pulls.map((p) => Math.max(Math.abs(p.lo), Math.abs(p.hi))));
  const y = labelAxis(o.labels);
  const color = {
    field: "name",
    type: "nominal" as const,
    title: null,
    scale: {
      domain: [...RANKING_NAMES],
      range: ["#7fb2e5", "#8fd18a", "#2f5f98", "#2e7d32", "black"],
    },
    legend: { labelLimit: 400 },
  };
  const impactX = {
    type: "quantitative" as const,
    title: `Δ${o.poi}`,
    scale: { domain: [-m, m] },
    axis: { orient: "top" as const },
  };
  const pullX = {
    type: "quantitative" as const,
    title: "(θ̂ − θ₀)/σ₀",
    scale: { domain: [-reach, reach] },
    axis: { orient: "bottom" as const },
  };
  const impacts: Layer = {
    layer: [
      {
        data: { values: pre },
        mark: { type: "bar", filled: false, strokeWidth: 2, height: { band: 0.7 } },
        encoding: { x: { ...impactX, field: "value" }, x2: { field: "zero" }, y, color },
      },
      {
        data: { values: post },
        mark: { type: "bar", opacity: 0.75, height: { band: 0.7 } },
        encoding: { x: { ...impactX, field: "value" }, x2: { field: "zero" }, y, color },
      },
    ],
  };
  const pullLayers: Layer = {
    layer: [
      {
        data: { values: pulls },
        mark: { type: "rule", strokeWidth: 1.5 },
        encoding: { x: { ...pullX, field: "lo" }, x2: { field: "hi" }, y, color },
      },
      {
        data: { values: pulls },
        mark: { type: "point", filled: true, size: 40 },
        encoding: { x: { ...pullX, field: "pull" }, y, color },
      },
    ],
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: o.title ?? "",
    width: o.width ?? 480,
    height: { step: 22 },
    layer: [impacts, pullLayers],
    resolve: { scale: { x: "independent" } },
  };
}
