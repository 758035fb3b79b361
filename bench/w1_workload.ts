/**
 * Workload W1's function (`../shared/bench/W1.md`) written with zgrad's public API, shared by the
 * benchmark, the tests that check how it compiles and the web page (`examples/web/`): per-event soft cuts, a KDE histogram of
 * `mtt` (25 bins on [0, 3000], bandwidth 60) for signal and background, and the Asimov
 * significance Z(θ), θ = (metCut, btagCut).
 *
 * @example
 * ```ts
 * import { array, valueAndGrad } from "../mod.ts";
 * import { w1Significance } from "./w1_workload.ts";
 * const col = (v: number[]) => array(v, "float32");
 * const d = { mtt: col([1900, 800]), met: col([150, 30]), btag: col([0.9, 0.2]), wgt: col([0.05, 1]), sig: col([1, 0]) };
 * const [z, dz] = valueAndGrad(w1Significance)(array([50, 0.5], "float32"), d);
 * ```
 *
 * @module
 */
import * as zg from "../mod.ts";
import type { Array } from "../mod.ts";

/** W1's event columns. */
export interface Columns<T> {
  /** Invariant mass of the tt̄ system (the histogrammed observable). */
  mtt: T;
  /** Missing transverse energy (cut from below). */
  met: T;
  /** b-tag score (cut from below). */
  btag: T;
  /** Event weight. */
  wgt: T;
  /** 1 for signal, 0 for background. */
  sig: T;
}

/** Number of bins, range and KDE bandwidth of the histogram. */
export const B = 25, LO = 0, HI = 3000, H = 60;
/** The B + 1 bin edges. */
export const EDGES: Float64Array = Float64Array.from(
  { length: B + 1 },
  (_, j) => LO + (j * (HI - LO)) / B,
);

/** Per-event soft-cut weights `w` ([N]) and the KDE matrix of CDF differences ([N, B]). */
function weightsAndKde(
  theta: Array,
  d: Columns<Array>,
  h: Array | number,
): { w: Array; kde: Array } {
  const edges = zg.array(EDGES, theta.dtype);
  const metCut = theta.slice(0), btagCut = theta.slice(1);
  const w = d.wgt.mul(zg.sigmoid(d.met.sub(metCut).div(25)))
    .mul(zg.sigmoid(d.btag.sub(btagCut).mul(10)));
  const cdf = zg.normalCdf(edges.reshape([1, -1]).sub(d.mtt.reshape([-1, 1])).div(h));
  return { w, kde: cdf.slice(null, "1:").sub(cdf.slice(null, ":-1")) };
}

/**
 * W1's soft-cut KDE histograms of `mtt` for signal (`s`) and background (`b`) at θ =
 * (metCut, btagCut), in the dtype of θ. The KDE matrix [N, B] is written as differences of normal
 * CDFs at the edges; a compiler should never store it. `h` is the KDE bandwidth (W1's 60 unless
 * given; an array makes it an argument of a jitted function, the web page's slider).
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { w1Data, w1Histograms } from "./w1_workload.ts";
 * const { s, b } = w1Histograms(array([50, 0.5], "float32"), w1Data(1000), 80);
 * console.log(s.shape, b.shape); // [25] [25]
 * ```
 */
export function w1Histograms(
  theta: Array,
  d: Columns<Array>,
  h: Array | number = H,
): { s: Array; b: Array } {
  const { w, kde } = weightsAndKde(theta, d, h); // kde: [N, B], never materialised
  const s = kde.mul(w.mul(d.sig).reshape([-1, 1])).sum(0);
  const b = kde.mul(w.mul(d.sig.neg().add(1)).reshape([-1, 1])).sum(0);
  return { s, b };
}

/**
 * W1's histograms in the "matmul" form, as PyTorch and JAX users write them: the KDE matrix
 * `frac = cdf[:, 1:] − cdf[:, :-1]` ([N, B]) multiplied by the row vectors of per-event weights,
 * `(w·isSig) @ frac` and `(w·(1 − isSig)) @ frac`. Same values as {@link w1Histograms} (up to
 * summation order); a compiler should store neither `cdf` nor `frac`.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { w1Data, w1MatmulHistograms } from "./w1_workload.ts";
 * const { s, b } = w1MatmulHistograms(array([50, 0.5], "float32"), w1Data(1000));
 * console.log(s.shape, b.shape); // [25] [25]
 * ```
 */
export function w1MatmulHistograms(
  theta: Array,
  d: Columns<Array>,
  h: Array | number = H,
): { s: Array; b: Array } {
  const { w, kde: frac } = weightsAndKde(theta, d, h); // frac: [N, B]
  const s = w.mul(d.sig).reshape([1, -1]).matmul(frac).reshape([-1]);
  const b = w.mul(d.sig.neg().add(1)).reshape([1, -1]).matmul(frac).reshape([-1]);
  return { s, b };
}

/**
 * W1's Asimov significance of histograms `s` and `b`:
 * `sqrt(Σ_j 2·((s_j + b_j)·ln(1 + s_j/b_j) − s_j))`, `b_j` clamped below at 1e-3.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { asimovZ } from "./w1_workload.ts";
 * console.log(asimovZ(array([5, 1]), array([100, 4])).item());
 * ```
 */
export function asimovZ(s: Array, b: Array): Array {
  const bc = b.maximum(1e-3);
  return s.add(bc).mul(zg.log1p(s.div(bc))).sub(s).mul(2).sum().sqrt();
}

/**
 * Z(θ) with the histograms of {@link w1MatmulHistograms} (the "matmul" form).
 *
 * @example
 * ```ts
 * import { array, valueAndGrad } from "../mod.ts";
 * import { w1Data, w1MatmulSignificance } from "./w1_workload.ts";
 * const [z, dz] = valueAndGrad(w1MatmulSignificance)(array([50, 0.5], "float32"), w1Data(1000));
 * ```
 */
export function w1MatmulSignificance(
  theta: Array,
  d: Columns<Array>,
  h: Array | number = H,
): Array {
  const { s, b } = w1MatmulHistograms(theta, d, h);
  return asimovZ(s, b);
}

/** Z(θ) on the columns `d` (float32 or float64 throughout, the dtype of θ); `h` as in {@link w1Histograms}. */
export function w1Significance(theta: Array, d: Columns<Array>, h: Array | number = H): Array {
  const { s, b } = w1Histograms(theta, d, h);
  return asimovZ(s, b);
}

/**
 * W1's events (`../shared/bench/W1.md`): `n` events, 10% signal, shuffled, as float32 columns,
 * from zgrad's PRNG with key `seed` (the benchmark's 20240601 + n unless given). The same seed
 * gives the same columns in Deno and in a browser.
 *
 * @example
 * ```ts
 * import { w1Data } from "./w1_workload.ts";
 * const d = w1Data(1000);
 * console.log(d.mtt.shape, d.sig.sum().item()); // [1000] 100
 * ```
 */
export function w1Data(n: number, seed: number = 20240601 + n): Columns<Array> {
  const keys = zg.random.split(zg.random.key(seed), 8);
  const k = (i: number) => keys.slice(i);
  const ns = Math.round(n / 10), nb = n - ns;
  const { normal, exponential, uniform } = zg.random;
  const sig: Columns<Array> = {
    mtt: normal(k(0), [ns]).mul(150).add(2000),
    met: exponential(k(1), [ns]).mul(120),
    btag: uniform(k(2), [ns]).sqrt(),
    wgt: zg.full([ns], 0.05),
    sig: zg.ones([ns]),
  };
  const bkg: Columns<Array> = {
    mtt: exponential(k(3), [nb]).mul(500).add(400),
    met: exponential(k(4), [nb]).mul(50),
    btag: uniform(k(5), [nb]).square(),
    wgt: zg.ones([nb]),
    sig: zg.zeros([nb]),
  };
  const perm = zg.random.permutation(k(6), n);
  const col = (name: keyof Columns<Array>) =>
    zg.concatenate([sig[name], bkg[name]]).take(perm).astype("float32");
  return { mtt: col("mtt"), met: col("met"), btag: col("btag"), wgt: col("wgt"), sig: col("sig") };
}
