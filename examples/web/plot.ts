/**
 * The page's two plots as inline SVG text, without dependencies: the soft histograms (log scale)
 * and Z against the optimiser's step. Pure functions of numbers, so Deno can test them.
 *
 * @module
 */

/** Size of a plot in pixels. */
export interface PlotSize {
  /** Width. */
  width: number;
  /** Height. */
  height: number;
}

const M = { left: 56, right: 12, top: 14, bottom: 36 };
const fmt = (v: number, digits = 3) => Number(v.toPrecision(digits)).toString();
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** A linear map from [d0, d1] to [r0, r1]. */
function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** "Nice" tick values covering [lo, hi] (about `n` of them). */
export function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

function frame(size: PlotSize, xLabel: string, yLabel: string): string {
  const { width: w, height: h } = size;
  return `<rect x="${M.left}" y="${M.top}" width="${w - M.left - M.right}" height="${
    h - M.top - M.bottom
  }" fill="none" stroke="#888"/>` +
    `<text x="${(M.left + w - M.right) / 2}" y="${h - 4}" text-anchor="middle" font-size="12">${
      esc(xLabel)
    }</text>` +
    `<text transform="translate(13 ${(M.top + h - M.bottom) / 2}) rotate(-90)" ` +
    `text-anchor="middle" font-size="12">${esc(yLabel)}</text>`;
}

function xTicks(values: number[], x: (v: number) => number, y0: number): string {
  return values.map((v) =>
    `<line x1="${x(v)}" x2="${x(v)}" y1="${y0}" y2="${y0 + 4}" stroke="#888"/>` +
    `<text x="${x(v)}" y="${y0 + 16}" text-anchor="middle" font-size="11">${fmt(v, 4)}</text>`
  ).join("");
}

function yTicks(values: number[], y: (v: number) => number, label: (v: number) => string): string {
  return values.map((v) =>
    `<line x1="${M.left - 4}" x2="${M.left}" y1="${y(v)}" y2="${y(v)}" stroke="#888"/>` +
    `<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${label(v)}</text>`
  ).join("");
}

/** A histogram's outline: a step path over the bin edges. */
function steps(
  edges: ArrayLike<number>,
  v: number[],
  x: (e: number) => number,
  y: (c: number) => number,
): string {
  let d = `M${x(edges[0])},${y(v[0])}`;
  for (let j = 0; j < v.length; j++) {
    d += `H${x(edges[j + 1])}` + (j + 1 < v.length ? `V${y(v[j + 1])}` : "");
  }
  return d;
}

/**
 * The signal and background soft histograms over `edges`, on a log scale (background filled,
 * signal as a line), with a legend.
 *
 * @example
 * ```ts
 * import { histogramSvg } from "./plot.ts";
 * const svg = histogramSvg([0, 1, 2], [1, 5], [100, 10], { width: 400, height: 240 });
 * console.log(svg.startsWith("<svg")); // true
 * ```
 */
export function histogramSvg(
  edges: ArrayLike<number>,
  s: number[],
  b: number[],
  size: PlotSize,
): string {
  if (edges.length !== s.length + 1 || s.length !== b.length) {
    throw new RangeError(
      `histogramSvg: ${edges.length} edges for ${s.length} signal and ${b.length} background bins`,
    );
  }
  const { width: w, height: h } = size;
  const positive = [...s, ...b].filter((v) => v > 0);
  const top = Math.ceil(Math.log10(Math.max(1, ...positive)));
  const bottom = Math.min(top - 1, Math.floor(Math.log10(Math.min(...positive, 10 ** top))));
  const lo = Math.max(bottom, top - 6); // six decades at most: the tails are invisible anyway
  const y = (v: number) =>
    scale(lo, top, h - M.bottom, M.top)(Math.max(lo, Math.log10(Math.max(v, 10 ** lo))));
  const x = scale(edges[0], edges[edges.length - 1], M.left, w - M.right);
  const decades = Array.from({ length: top - lo + 1 }, (_, i) => 10 ** (lo + i));
  const bPath = steps(edges, b, x, y);
  const base = y(10 ** lo);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">` +
    frame(size, "mtt (GeV)", "weighted events / bin") +
    xTicks(ticks(edges[0], edges[edges.length - 1], 6), x, h - M.bottom) +
    yTicks(decades, y, (v) => (v >= 1e4 || v < 1e-2 ? v.toExponential(0) : fmt(v))) +
    `<path d="${bPath}V${base}H${x(edges[0])}Z" fill="#9ecae1" stroke="#3182bd"/>` +
    `<path d="${steps(edges, s, x, y)}" fill="none" stroke="#d62728" stroke-width="2"/>` +
    `<rect x="${w - M.right - 124}" y="${M.top + 2}" width="118" height="38" fill="#fff" ` +
    `fill-opacity="0.85" stroke="#ccc"/>` +
    `<rect x="${w - M.right - 118}" y="${M.top + 6}" width="12" height="10" fill="#9ecae1" ` +
    `stroke="#3182bd"/><text x="${w - M.right - 100}" y="${
      M.top + 15
    }" font-size="12">background</text>` +
    `<line x1="${w - M.right - 118}" x2="${w - M.right - 106}" y1="${M.top + 29}" y2="${
      M.top + 29
    }" stroke="#d62728" stroke-width="2"/><text x="${w - M.right - 100}" y="${
      M.top + 33
    }" font-size="12">signal</text></svg>`;
}

/**
 * A line of `values` against their index (the optimiser's step), with points.
 *
 * @example
 * ```ts
 * import { lineSvg } from "./plot.ts";
 * const svg = lineSvg([9.1, 9.4, 9.6], "Z", { width: 400, height: 200 });
 * console.log(svg.includes("<polyline")); // true
 * ```
 */
export function lineSvg(values: number[], yLabel: string, size: PlotSize): string {
  const { width: w, height: h } = size;
  const n = Math.max(values.length - 1, 1);
  let lo = Math.min(...values), hi = Math.max(...values);
  if (!(hi > lo)) [lo, hi] = values.length ? [lo - 0.5, hi + 0.5] : [0, 1];
  const pad = (hi - lo) * 0.08;
  [lo, hi] = [lo - pad, hi + pad];
  const x = scale(0, n, M.left, w - M.right);
  const y = scale(lo, hi, h - M.bottom, M.top);
  const pts = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">` +
    frame(size, "Adam step", yLabel) +
    xTicks(ticks(0, n, 6).filter(Number.isInteger), x, h - M.bottom) +
    yTicks(ticks(lo, hi, 4), y, (v) => fmt(v, 4)) +
    `<polyline points="${pts}" fill="none" stroke="#2ca02c" stroke-width="2"/>` +
    (values.length <= 60
      ? values.map((v, i) => `<circle cx="${x(i)}" cy="${y(v)}" r="2.5" fill="#2ca02c"/>`).join("")
      : "") +
    "</svg>";
}
