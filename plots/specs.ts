/**
 * Vega-Lite specifications of the plots physicists make: a stacked histogram of samples with an
 * uncertainty band and data points ({@link stackedHistogram}), and lines with optional shaded
 * bands ({@link linePlot}: a parameter vs iteration, a Brazil band). Specs are plain JSON, so
 * they can also be saved and opened in the Vega editor; {@link renderSvg} draws them headlessly.
 *
 * @module
 */
import type { TopLevelSpec } from "npm:vega-lite@^6";

/** One stacked component of a histogram. */
export interface StackComponent {
  /** Legend name. */
  name: string;
  /** Content per bin. */
  values: readonly number[];
  /** Colour (CSS); a default palette is used when absent. */
  color?: string;
}

/**
 * Options of {@link stackedHistogram}.
 *
 * @example
 * ```ts
 * import type { StackedHistogramOptions } from "./specs.ts";
 * const o: StackedHistogramOptions = { edges: [0, 1, 2], stack: [{ name: "bkg", values: [3, 1] }] };
 * ```
 */
export interface StackedHistogramOptions {
  /** Bin edges (B + 1). */
  edges: readonly number[];
  /** Components, stacked bottom to top in this order. */
  stack: readonly StackComponent[];
  /** Symmetric uncertainty of the stack's total per bin (drawn as a hatched-grey band). */
  uncertainty?: readonly number[];
  /** Observed counts per bin (points with √n error bars). */
  data?: readonly number[];
  /** Legend names of the data points and of the uncertainty band (default "data", "uncertainty"). */
  legend?: { data?: string; uncertainty?: string };
  /** Title. */
  title?: string;
  /** x-axis label. */
  xLabel?: string;
  /** y-axis label (default "Events"). */
  yLabel?: string;
  /** Logarithmic y axis. */
  logY?: boolean;
  /** Size in pixels (default 560 × 380). */
  width?: number;
  /** Height in pixels. */
  height?: number;
}

/** One layer of a layered Vega-Lite spec. */
type Layer = Extract<TopLevelSpec, { layer: unknown }>["layer"][number];

/** The top-level spec shared by the plots: title, size, layers. */
function layered(
  o: { title?: string; width?: number; height?: number },
  layers: Layer[],
): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: o.title ?? "",
    width: o.width ?? 560,
    height: o.height ?? 380,
    layer: layers,
  };
}

const PALETTE = ["#907AD6", "#72A1E5", "#7FDEFF", "#2C2A4A", "#DABFFF", "#4F518C", "#B3D89C"];

function checkLength(what: string, v: readonly number[], n: number): void {
  if (v.length !== n) throw new Error(`${what}: ${v.length} values for ${n} bins`);
  if (v.some((x) => !Number.isFinite(x))) throw new Error(`${what}: values must be finite`);
}

/**
 * A stacked histogram with an uncertainty band on the total and data points.
 *
 * @example
 * ```ts
 * import { renderSvg, stackedHistogram } from "./mod.ts";
 * const svg = await renderSvg(stackedHistogram({
 *   edges: [0, 1, 2, 3],
 *   stack: [{ name: "background", values: [5, 3, 1] }, { name: "signal", values: [0, 1, 2] }],
 *   uncertainty: [0.5, 0.4, 0.3],
 *   data: [6, 4, 2],
 *   xLabel: "m [TeV]",
 * }));
 * ```
 */
export function stackedHistogram(o: StackedHistogramOptions): TopLevelSpec {
  const B = o.edges.length - 1;
  if (B < 1) throw new Error("stackedHistogram: needs at least 2 edges");
  const total = new Array<number>(B).fill(0);
  const bars: Record<string, string | number>[] = [];
  o.stack.forEach((c, k) => {
    checkLength(`stackedHistogram: component ${c.name}`, c.values, B);
    for (let b = 0; b < B; b++) {
      bars.push({
        component: c.name,
        order: k,
        lo: o.edges[b],
        hi: o.edges[b + 1],
        y0: total[b],
        y1: total[b] + c.values[b],
      });
      total[b] += c.values[b];
    }
  });
  const yScale = o.logY ? { type: "log" as const } : { zero: true, domainMin: 0 };
  const x = {
    field: "lo",
    type: "quantitative" as const,
    title: o.xLabel ?? "",
    scale: { domain: [o.edges[0], o.edges[B]], nice: false },
  };
  // One colour scale (and legend) for the components, the band and the data.
  const bandName = o.legend?.uncertainty ?? "uncertainty", dataName = o.legend?.data ?? "data";
  const extra = [
    ...(o.uncertainty ? [[bandName, "#555555"]] : []),
    ...(o.data ? [[dataName, "black"]] : []),
  ];
  const names = [...o.stack.map((c) => c.name), ...extra.map((e) => e[0])];
  if (new Set(names).size !== names.length) {
    throw new Error(`stackedHistogram: legend names must differ, got ${names.join(", ")}`);
  }
  const layers: Layer[] = [{
    data: { values: bars },
    mark: { type: "rect", stroke: "white", strokeWidth: 0.3 },
    encoding: {
      x,
      x2: { field: "hi" },
      y: { field: "y0", type: "quantitative", title: o.yLabel ?? "Events", scale: yScale },
      y2: { field: "y1" },
      color: {
        field: "component",
        type: "nominal",
        title: null,
        sort: names,
        scale: {
          domain: names,
          range: [
            ...o.stack.map((c, k) => c.color ?? PALETTE[k % PALETTE.length]),
            ...extra.map((e) => e[1]),
          ],
        },
      },
    },
  }];
  if (o.uncertainty) {
    checkLength("stackedHistogram: uncertainty", o.uncertainty, B);
    layers.push({
      data: {
        values: total.map((t, b) => ({
          lo: o.edges[b],
          hi: o.edges[b + 1],
          down: Math.max(0, t - o.uncertainty![b]),
          up: t + o.uncertainty![b],
        })),
      },
      mark: { type: "rect", fillOpacity: 0.35, stroke: null },
      encoding: {
        x,
        x2: { field: "hi" },
        y: { field: "down", type: "quantitative" },
        y2: { field: "up" },
        color: { datum: bandName },
      },
    });
  }
  if (o.data) {
    checkLength("stackedHistogram: data", o.data, B);
    const pts = o.data.map((n, b) => ({
      c: (o.edges[b] + o.edges[b + 1]) / 2,
      n,
      down: Math.max(0, n - Math.sqrt(n)),
      up: n + Math.sqrt(n),
    })).filter((p) => p.n > 0 || !o.logY);
    layers.push({
      data: { values: pts },
      mark: { type: "rule" },
      encoding: {
        x: { field: "c", type: "quantitative" },
        y: { field: "down", type: "quantitative" },
        y2: { field: "up" },
        color: { datum: dataName },
      },
    }, {
      data: { values: pts },
      mark: { type: "point", filled: true, size: 30, opacity: 1 },
      encoding: {
        x: { field: "c", type: "quantitative" },
        y: { field: "n", type: "quantitative" },
        color: { datum: dataName },
      },
    });
  }
  return layered(o, layers);
}

/** One line of a {@link linePlot}. */
export interface LineSeries {
  /** Legend name. */
  name: string;
  /** x values. */
  x: readonly number[];
  /** y values. */
  y: readonly number[];
  /** Colour. */
  color?: string;
  /** Dashed line. */
  dashed?: boolean;
}

/** A shaded band between two curves (e.g. the ±1σ and ±2σ of a Brazil plot). */
export interface LineBand {
  /** Legend name. */
  name: string;
  /** x values. */
  x: readonly number[];
  /** Lower edge. */
  lo: readonly number[];
  /** Upper edge. */
  hi: readonly number[];
  /** Fill colour. */
  color: string;
}

/**
 * Options of {@link linePlot}.
 *
 * @example
 * ```ts
 * import type { LinePlotOptions } from "./specs.ts";
 * const o: LinePlotOptions = { series: [{ name: "Z0", x: [0, 1], y: [1.2, 1.5] }] };
 * ```
 */
export interface LinePlotOptions {
  /** Lines. */
  series: readonly LineSeries[];
  /** Bands, drawn below the lines (first one at the back). */
  bands?: readonly LineBand[];
  /** Title. */
  title?: string;
  /** Axis labels. */
  xLabel?: string;
  /** y-axis label. */
  yLabel?: string;
  /** Logarithmic y axis. */
  logY?: boolean;
  /** Horizontal reference lines (e.g. CLs = 0.05). */
  hlines?: readonly { y: number; color?: string }[];
  /** Size in pixels (default 560 × 380). */
  width?: number;
  /** Height in pixels. */
  height?: number;
}

/**
 * Lines (with points) and shaded bands, e.g. a parameter against the optimisation step or a
 * Brazil band of CLs against μ.
 *
 * @example
 * ```ts
 * import { linePlot, renderSvg } from "./mod.ts";
 * const svg = await renderSvg(linePlot({
 *   series: [{ name: "observed", x: [0, 1, 2], y: [0.5, 0.2, 0.04] }],
 *   bands: [{ name: "±1σ", x: [0, 1, 2], lo: [0.4, 0.1, 0.02], hi: [0.6, 0.3, 0.08], color: "#00cc00" }],
 *   hlines: [{ y: 0.05, color: "red" }],
 * }));
 * ```
 */
export function linePlot(o: LinePlotOptions): TopLevelSpec {
  const yScale = o.logY ? { type: "log" as const } : { zero: false };
  const names = [...(o.bands ?? []).map((b) => b.name), ...o.series.map((s) => s.name)];
  const colors = [
    ...(o.bands ?? []).map((b) => b.color),
    ...o.series.map((s, k) => s.color ?? PALETTE[k % PALETTE.length]),
  ];
  const color = {
    field: "name",
    type: "nominal" as const,
    title: null,
    scale: { domain: names, range: colors },
  };
  const layers: Layer[] = [];
  for (const b of o.bands ?? []) {
    if (b.lo.length !== b.x.length || b.hi.length !== b.x.length) {
      throw new Error(`linePlot: band ${b.name} has mismatched lengths`);
    }
    layers.push({
      data: { values: b.x.map((x, i) => ({ name: b.name, x, lo: b.lo[i], hi: b.hi[i] })) },
      mark: { type: "area", opacity: 0.8 },
      encoding: {
        x: { field: "x", type: "quantitative", title: o.xLabel ?? "" },
        y: { field: "lo", type: "quantitative", scale: yScale },
        y2: { field: "hi" },
        color,
      },
    });
  }
  for (const s of o.series) {
    if (s.x.length !== s.y.length) {
      throw new Error(`linePlot: series ${s.name} has mismatched lengths`);
    }
    layers.push({
      data: { values: s.x.map((x, i) => ({ name: s.name, x, y: s.y[i] })) },
      mark: { type: "line", point: s.x.length <= 60, strokeDash: s.dashed ? [6, 4] : [] },
      encoding: {
        x: { field: "x", type: "quantitative", title: o.xLabel ?? "" },
        y: { field: "y", type: "quantitative", title: o.yLabel ?? "", scale: yScale },
        color,
      },
    });
  }
  for (const h of o.hlines ?? []) {
    layers.push({
      data: { values: [{ y: h.y }] },
      mark: { type: "rule", color: h.color ?? "red", strokeDash: [4, 4] },
      encoding: { y: { field: "y", type: "quantitative" } },
    });
  }
  return layered(o, layers);
}
