/**
 * Plain-text tables for the CLI's human-readable output.
 *
 * @module
 */

/**
 * A number for a table: 6 significant digits, `-` for null/NaN (not available), `inf` for ±∞.
 *
 * @example
 * ```ts
 * import { num } from "./format.ts";
 * num(Math.PI); // "3.14159"
 * num(null);    // "-"
 * ```
 */
export function num(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return "-";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a < 1e-4 || a >= 1e7) return x.toExponential(4);
  return String(Number(x.toPrecision(6)));
}

/**
 * Left-aligned first column, right-aligned others, two spaces apart, with a header rule.
 *
 * @example
 * ```ts
 * import { table } from "./format.ts";
 * console.log(table(["parameter", "value"], [["mu", "1.2"], ["theta", "-0.3"]]));
 * ```
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((s, c) => (c === 0 ? s.padEnd(width[c]) : s.padStart(width[c]))).join("  ")
      .trimEnd();
  return [line(headers), width.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join(
    "\n",
  );
}
