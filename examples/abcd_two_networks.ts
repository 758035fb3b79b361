/**
 * Example 3 — ABCD with two networks trained through the likelihood (the "CLsLoss" method for
 * data-driven backgrounds).
 *
 * Two networks score every event; smooth sigmoid gates (steepness 20) at score 0.5 split events
 * into the signal region A (both high) and control regions B, C, D. In each region a KDE
 * histogram of a final discriminant m (4 bins on [0, 1]) is made. The background in A is
 * predicted bin by bin from the control regions, `pred_j = B_j·C_j/D_j`, which is exact only if
 * the two scores are independent for the background; here the background's features are
 * correlated, so the prediction does not close. The non-closure `δ_j = obs_j/pred_j − 1`
 * (observed = the true background in A) enters the likelihood of region A as a bin-wise nuisance:
 * background `pred_j·(1 + δ_j)^θ_j`, θ_j ~ N(0, 1) (a normsys with hi = 1 + δ_j, lo = 1/(1 + δ_j)
 * per bin, exponential interpolation).
 *
 * The forward pass runs three profile-likelihood fits, all differentiated implicitly: (1) μ = 0
 * fixed, to the observed background, giving the nuisance values of the Asimov dataset; (2) free
 * and (3) μ = 1 fixed, on that Asimov dataset, giving qμ. The loss is p_{s+b} = 1 − Φ(√qμ) at
 * μ = 1, half the median expected CLs (p_b = ½ on Asimov data). The script checks the gradient
 * with respect to both networks' weights against central finite differences, then trains with
 * Adam and reports CLs before and after.
 *
 * Run: `deno run -A examples/abcd_two_networks.ts [--full] [--out DIR]`
 * (CI size: 400 background + 150 signal events, 10 steps; `--full`: 4000 + 1500, 100 steps).
 *
 * @module
 */
import {
  type Array,
  array,
  matmul,
  nn,
  normalCdf,
  optim,
  sigmoid,
  tree,
  valueAndGrad,
} from "../mod.ts";
import { fitParams, fromPyhf, hist, type Model, safeSqrt, type Workspace } from "../stats.ts";
import { linePlot, stackedHistogram, writePlot } from "../plots/mod.ts";
import { fmt, gaussian, numbers, parseArgs, uniformEdges } from "./_common.ts";

const BINS = 4, STEEPNESS = 20, CUT = 0.5, BANDWIDTH = 0.1;
const EDGES = uniformEdges(0, 1, BINS);
const SIGNAL_EVENTS = 15, BACKGROUND_EVENTS = 400;
const REGIONS = ["A", "B", "C", "D"] as const;
type Region = typeof REGIONS[number];

/** Region A's likelihood: one single-bin channel per bin of m, each with its own θ_j. */
function baseModel(): Model {
  const ws: Workspace = {
    channels: EDGES.slice(1).map((_, j) => ({
      name: `SR_${j}`,
      samples: [
        { name: "signal", data: [1], modifiers: [{ name: "mu", type: "normfactor", data: null }] },
        {
          name: "background",
          data: [10],
          modifiers: [{ name: `nonclosure_${j}`, type: "normsys", data: { hi: 1.1, lo: 0.9 } }],
        },
      ],
    })),
    observations: EDGES.slice(1).map((_, j) => ({ name: `SR_${j}`, data: [10] })),
    measurements: [{ name: "abcd", config: { poi: "mu", parameters: [] } }],
    version: "1.0.0",
  };
  return fromPyhf(ws, { modifierSettings: { normsys: { interpcode: "code1" } } });
}

/** Toy events: features x (3-D) and the final discriminant m; background x1, x2 correlated. */
function events(nBkg: number, nSig: number) {
  const zb = gaussian(11, nBkg, [0, 0, 0], 1, "float64");
  // x1 and x2 share a component (correlation 0.5), so a cut on each does not factorise.
  const mix = array([[1, 0, 0], [0.5, Math.sqrt(0.75), 0], [0, 0, 1]], "float64");
  const xb = matmul(zb, mix.T);
  const xs = gaussian(12, nSig, [1.5, 1.5, 0.5], 1, "float64");
  // m: flat for the background, a peak at 0.5 for the signal; clipped into [0, 1] by hist.
  const mb = numbers(gaussian(13, nBkg, [0], 1, "float64").reshape([-1])).map((z) =>
    normalCdfNumber(z)
  );
  const ms = numbers(gaussian(14, nSig, [0.5], 0.12, "float64").reshape([-1]));
  return {
    bkg: { x: xb, m: array(mb, "float64"), w: BACKGROUND_EVENTS / nBkg },
    sig: { x: xs, m: array(ms, "float64"), w: SIGNAL_EVENTS / nSig },
  };
}

function normalCdfNumber(z: number): number {
  return normalCdf(array(z, "float64")).item();
}

type Nets = { one: nn.MlpParams; two: nn.MlpParams };

/** What {@link main} found. */
export interface AbcdResult {
  /** Analytic (implicit) and finite-difference directional derivatives of the loss. */
  gradientCheck: { analytic: number; numeric: number; relError: number };
  /** Median expected CLs (= 2 p_{s+b}) per step, and after the last. */
  cls: number[];
}

/**
 * Runs the example: gradient check, training, prints, writes `cls_vs_step.svg` and
 * `signal_region.svg`.
 *
 * @example
 * ```ts
 * const r = await main(["--out", "/tmp/abcd"]);
 * console.log(r.gradientCheck.relError < 1e-4, r.cls.at(-1)! < r.cls[0]);
 * ```
 */
export async function main(argv: readonly string[] = []): Promise<AbcdResult> {
  const args = parseArgs("abcd_two_networks", argv);
  const [nBkg, nSig, steps] = args.full ? [4000, 1500, 100] : [400, 150, 10];
  const data = events(nBkg, nSig);
  const netA = nn.mlp([3, 8, 1], { seed: 1, dtype: "float64" });
  const netB = nn.mlp([3, 8, 1], { seed: 2, dtype: "float64" });
  const base = baseModel();
  const edges = array(EDGES, "float64");

  /** KDE histograms of m per region, for one sample. */
  const regionHists = (p: Nets, s: { x: Array; m: Array; w: number }) => {
    const g1 = sigmoid(sigmoid(netA.apply(p.one, s.x).reshape([-1])).sub(CUT).mul(STEEPNESS));
    const g2 = sigmoid(sigmoid(netB.apply(p.two, s.x).reshape([-1])).sub(CUT).mul(STEEPNESS));
    const gates: Record<Region, Array> = {
      A: g1.mul(g2),
      B: g1.mul(g2.neg().add(1)),
      C: g1.neg().add(1).mul(g2),
      D: g1.neg().add(1).mul(g2.neg().add(1)),
    };
    const h = (r: Region) =>
      hist(s.m, edges, { bandwidth: BANDWIDTH, weights: gates[r].mul(s.w), overflow: "clip" })
        .add(1e-3);
    return { A: h("A"), B: h("B"), C: h("C"), D: h("D") };
  };

  /** The forward pass: regions → ABCD prediction, δ → model → three fits → p_{s+b}. */
  const forward = (p: Nets) => {
    const b = regionHists(p, data.bkg), s = regionHists(p, data.sig);
    const pred = b.B.mul(b.C).div(b.D);
    const ratio = b.A.div(pred); // 1 + δ
    const bin = (a: Array, j: number) => a.slice(`${j}:${j + 1}`);
    const model = base.withSamples(Object.fromEntries(
      EDGES.slice(1).map((_, j) => [`SR_${j}`, {
        signal: { data: bin(s.A, j) },
        background: {
          data: bin(pred, j),
          modifiers: {
            [`nonclosure_${j}`]: { hi: ratio.slice(j), lo: ratio.slice(j).pow(-1) },
          },
        },
      }]),
    ));
    const observed = model.data(b.A);
    // (1) μ = 0 fit to the observed background: the nuisance values of the Asimov dataset.
    const bOnly = fitParams(observed, model, { fixedPoi: 0 });
    const asimov = model.expectedData(bOnly);
    // (2) free and (3) μ = 1 fits on the Asimov dataset.
    const free = fitParams(asimov, model, { init: bOnly });
    const fixed = fitParams(asimov, model, { fixedPoi: 1, init: free });
    const llr = model.twiceNll(fixed, asimov).sub(model.twiceNll(free, asimov));
    const muhat = free.slice(model.poiIndex!);
    const qmu = llr.mul(muhat.le(1)).maximum(0);
    return { psb: normalCdf(safeSqrt(qmu)).neg().add(1), pred, observed: b.A, signal: s.A };
  };
  const loss = (p: Nets) => forward(p).psb;

  let params: Nets = { one: netA.params, two: netB.params };
  const [l0, g0] = valueAndGrad(loss)(params);
  const gradientCheck = checkGradient(loss, params, g0);
  console.log(
    `Gradient check (random direction, all weights of both networks): implicit ${
      gradientCheck.analytic.toExponential(8)
    }, finite differences ${gradientCheck.numeric.toExponential(8)}, relative difference ${
      gradientCheck.relError.toExponential(2)
    }`,
  );

  const opt = optim.adam(0.02);
  let state = opt.init(params);
  const cls: number[] = [2 * l0.item()];
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const [l, g] = i === 0 ? [l0, g0] : valueAndGrad(loss)(params);
    if (i > 0) cls.push(2 * l.item());
    const [u, s2] = opt.update(g, state, params);
    params = optim.applyUpdates(params, u);
    state = s2;
  }
  const final = forward(params);
  cls.push(2 * final.psb.item());
  console.log(
    `Trained ${steps} steps in ${fmt((performance.now() - t0) / 1000, 1)} s: median expected ` +
      `CLs(mu = 1) ${fmt(cls[0])} -> ${fmt(cls.at(-1)!)}`,
  );
  const pred = numbers(final.pred), obs = numbers(final.observed);
  console.log(
    `Signal region after training: ABCD prediction [${pred.map((v) => fmt(v, 2))}], observed [${
      obs.map((v) => fmt(v, 2))
    }], signal [${numbers(final.signal).map((v) => fmt(v, 2))}]`,
  );

  await writePlots(args.out, cls, pred, obs);
  console.log(`Wrote ${args.out}/cls_vs_step.svg and signal_region.svg`);
  return { gradientCheck, cls };
}

/**
 * The gradient `g` of `loss` at `params` against central finite differences along a random
 * direction of all weights.
 */
function checkGradient(
  loss: (p: Nets) => Array,
  params: Nets,
  g: Nets,
): AbcdResult["gradientCheck"] {
  const [leaves, def] = tree.flatten<Array>(params);
  const dir = tree.unflatten(
    def,
    leaves.map((a, i) => gaussian(100 + i, a.size, [0], 1, "float64").reshape(a.shape)),
  ) as Nets;
  const dot = (a: Nets, b: Nets) =>
    (tree.leaves(a) as Array[]).reduce(
      (acc, x, i) => acc + x.mul((tree.leaves(b) as Array[])[i]).sum().item(),
      0,
    );
  const shift = (eps: number) =>
    tree.map((x: Array, d: Array) => x.add(d.mul(eps)), params, dir) as Nets;
  const eps = 1e-5;
  const numeric = (loss(shift(eps)).item() - loss(shift(-eps)).item()) / (2 * eps);
  const analytic = dot(g, dir);
  const relError = Math.abs(analytic - numeric) / Math.max(Math.abs(numeric), 1e-300);
  return { analytic, numeric, relError };
}

/** CLs against the step, and region A after training: prediction ± non-closure vs truth. */
async function writePlots(out: string, cls: number[], pred: number[], obs: number[]) {
  await writePlot(
    `${out}/cls_vs_step.svg`,
    linePlot({
      series: [{ name: "CLs (median expected)", x: cls.map((_, i) => i), y: cls }],
      title: "ABCD analysis: CLs at mu = 1 during training",
      xLabel: "step",
      yLabel: "CLs",
      logY: true,
    }),
  );
  await writePlot(
    `${out}/signal_region.svg`,
    stackedHistogram({
      edges: EDGES,
      stack: [{ name: "ABCD prediction", values: pred }],
      uncertainty: pred.map((p, j) => Math.abs(obs[j] - p)),
      data: obs,
      title: "Region A after training: ABCD prediction ± non-closure vs true background",
      xLabel: "m",
    }),
  );
}

if (import.meta.main) await main(Deno.args);
