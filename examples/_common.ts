/**
 * What the examples share and is not part of zgrad: their command line (`--full`, `--out DIR`),
 * toy Gaussian samples, plain (hard) histograms for evaluating a trained analysis, and number
 * formatting. Only zgrad's public entries are imported.
 *
 * @module
 */
import { type Array, array, random } from "../mod.ts";

/** The command line every example understands. */
export interface ExampleArgs {
  /** Full size (`--full`); the default is the small size CI runs. */
  full: boolean;
  /** Output directory (`--out DIR`; default `outputs/examples/<name>/`, gitignored). */
  out: string;
  /** Options after the common ones, as `--key value` pairs or bare `--flag`s (true). */
  extra: Record<string, string | true>;
}

/**
 * Parses `--full`, `--out DIR` and any other `--key value` / `--flag`.
 *
 * @example
 * ```ts
 * const a = parseArgs("w1", ["--full", "--out", "/tmp/x", "--loss", "cls"]);
 * // { full: true, out: "/tmp/x", extra: { loss: "cls" } }
 * ```
 */
export function parseArgs(name: string, argv: readonly string[]): ExampleArgs {
  const out: ExampleArgs = { full: false, out: `outputs/examples/${name}`, extra: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`${name}: unexpected argument ${JSON.stringify(a)}`);
    const key = a.slice(2);
    const value = argv[i + 1] !== undefined && !argv[i + 1].startsWith("--") ? argv[++i] : true;
    if (key === "full") out.full = true;
    else if (key === "out") {
      if (value === true) throw new Error(`${name}: --out needs a directory`);
      out.out = value;
    } else out.extra[key] = value;
  }
  return out;
}

/**
 * `n` draws from N(mean, sigma²·I) in `mean.length` dimensions, as an `[n, d]` array.
 *
 * @example
 * ```ts
 * const x = gaussian(1, 500, [0.5, 0.5, 0.5], 0.5, "float32"); // [500, 3]
 * ```
 */
export function gaussian(
  seed: number,
  n: number,
  mean: readonly number[],
  sigma: number,
  dtype: "float32" | "float64" = "float32",
): Array {
  const z = random.normal(random.key(seed), [n, mean.length], { dtype });
  return z.mul(sigma).add(array([...mean], dtype));
}

/**
 * A plain histogram: Σ of `weights` (default 1) per bin of `edges`; values outside the edges go
 * to the first / last bin (as the KDE histograms with `overflow: "clip"`).
 *
 * @example
 * ```ts
 * hardHistogram([0.1, 0.6, 0.7], [0, 0.5, 1]); // [1, 2]
 * ```
 */
export function hardHistogram(
  values: ArrayLike<number>,
  edges: readonly number[],
  weights?: ArrayLike<number>,
): number[] {
  const B = edges.length - 1;
  const h = new globalThis.Array<number>(B).fill(0);
  for (let i = 0; i < values.length; i++) {
    let b = 0;
    while (b < B - 1 && values[i] >= edges[b + 1]) b++;
    h[b] += weights ? weights[i] : 1;
  }
  return h;
}

/**
 * B equal bins on [lo, hi]: B + 1 edges.
 *
 * @example
 * ```ts
 * uniformEdges(0, 1, 4); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function uniformEdges(lo: number, hi: number, bins: number): number[] {
  return globalThis.Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
}

/**
 * Formats numbers for the printed tables: fixed decimals, or exponent notation when tiny.
 *
 * @example
 * ```ts
 * fmt(0.123456); // "0.1235"
 * ```
 */
export function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) !== 0 && Math.abs(x) < 10 ** -digits ? x.toExponential(2) : x.toFixed(digits);
}

/**
 * {@link fmt} with an explicit sign.
 *
 * @example
 * ```ts
 * signed(0.5); // "+0.5000"
 * ```
 */
export function signed(x: number, digits = 4): string {
  return (x >= 0 ? "+" : "") + fmt(x, digits);
}

/**
 * The values of a 1-D zgrad array as plain numbers.
 *
 * @example
 * ```ts
 * numbers(array([1, 2])); // [1, 2]
 * ```
 */
export function numbers(a: Array): number[] {
  return globalThis.Array.from(a.dataSync(), Number);
}
