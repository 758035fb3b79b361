/**
 * Example 1 — a classifier trained on the discovery significance (the NextStat / PyTorch
 * workflow: a network's output histogram fed to a profiled-likelihood loss).
 *
 * A HistFactory workspace (10 bins of a score c on [0, 1]; signal 30·exp(−½((c−0.5)/0.1)²)·w,
 * background 150·exp(−1.5c)·w, w = 0.1; `mu` normfactor, `bkg_norm` normsys 0.9/1.1) sets the
 * analysis: its channel, modifiers and total yields. An MLP on 5-D toy events (signal ~
 * N(0.5, 0.5²), background ~ N(0, 1)) gives a sigmoid score; KDE histograms of the score
 * (bandwidth 0.05), scaled to the workspace's totals, become the signal and background templates;
 * the loss is −Z0 (median expected discovery significance, `bkg_norm` profiled by a real fit,
 * differentiated implicitly), minimised with Adam. Then the analysis is frozen with hard
 * histograms (and the background's MC statistical uncertainty as staterror) and its nuisance
 * parameters are ranked by impact.
 *
 * Run: `deno run -A examples/discovery_classifier.ts [--full] [--out DIR]`
 * (CI size: 150 + 400 events, 12 epochs; `--full`: 500 + 2000 events, 100 epochs).
 *
 * @module
 */
import { type Array, array, nn, optim, sigmoid, valueAndGrad } from "../mod.ts";
import {
  discoverySignificance,
  fromPyhf,
  hist,
  type Model,
  ranking,
  type Workspace,
  z0Array,
} from "../stats.ts";
import { linePlot, stackedHistogram, writePlot } from "../plots/mod.ts";
import {
  fmt,
  gaussian,
  hardHistogram,
  numbers,
  parseArgs,
  signed,
  uniformEdges,
} from "./_common.ts";

const BINS = 10, BANDWIDTH = 0.05, W = 0.1;
const EDGES = uniformEdges(0, 1, BINS);
const CENTRES = EDGES.slice(0, -1).map((e) => e + W / 2);
const SIGNAL = CENTRES.map((c) => 30 * Math.exp(-0.5 * ((c - 0.5) / 0.1) ** 2) * W);
const BACKGROUND = CENTRES.map((c) => 150 * Math.exp(-1.5 * c) * W);
const sum = (v: readonly number[]) => v.reduce((a, b) => a + b, 0);

/** The analysis workspace; `bkgStat` adds the background's MC statistical uncertainty. */
function workspace(signal: number[], background: number[], bkgStat?: number[]): Workspace {
  const bkgModifiers: Workspace["channels"][number]["samples"][number]["modifiers"] = [
    { name: "bkg_norm", type: "normsys", data: { hi: 1.1, lo: 0.9 } },
  ];
  if (bkgStat) bkgModifiers.push({ name: "mc_stat", type: "staterror", data: bkgStat });
  return {
    channels: [{
      name: "SR",
      samples: [
        {
          name: "signal",
          data: signal,
          modifiers: [{ name: "mu", type: "normfactor", data: null }],
        },
        { name: "background", data: background, modifiers: bkgModifiers },
      ],
    }],
    observations: [{ name: "SR", data: background.map(Math.round) }],
    measurements: [{ name: "discovery", config: { poi: "mu", parameters: [] } }],
    version: "1.0.0",
  };
}

/** Median expected Z0 of a model: the Asimov data at μ = 1, `bkg_norm` profiled. */
function expectedZ0(m: Model): Array {
  return z0Array(m.expectedData(m.init({ mu: 1 })), m);
}

/** What {@link main} found. */
export interface DiscoveryResult {
  /** Soft (KDE) Z0 per epoch, before each update. */
  z0: number[];
  /** Hard-histogram Z0 of the untrained and of the trained network. */
  hardZ0: { before: number; after: number };
  /** Nuisance parameters ranked by impact on μ̂ (label, impact). */
  ranking: { label: string; impact: number }[];
}

/**
 * Runs the example: trains, prints, writes `z0_vs_epoch.svg`, `learned_histogram.svg` and the
 * frozen workspace `trained_workspace.json` to the output directory.
 *
 * @example
 * ```ts
 * const r = await main(["--out", "/tmp/w1"]);
 * console.log(r.z0.at(-1)! > r.z0[0]);
 * ```
 */
export async function main(argv: readonly string[] = []): Promise<DiscoveryResult> {
  const args = parseArgs("discovery_classifier", argv);
  const [nSig, nBkg, epochs] = args.full ? [500, 2000, 100] : [150, 400, 12];
  const sTot = sum(SIGNAL), bTot = sum(BACKGROUND);
  const model = fromPyhf(workspace(SIGNAL, BACKGROUND));
  console.log(
    `Workspace: ${BINS} bins, signal ${fmt(sTot, 2)} and background ${fmt(bTot, 2)} events; ` +
      `Z0 of its own templates = ${fmt(discoverySignificance(model.observed, model).z0Expected)}`,
  );

  const xSig = gaussian(1, nSig, [0.5, 0.5, 0.5, 0.5, 0.5], 0.5);
  const xBkg = gaussian(2, nBkg, [0, 0, 0, 0, 0], 1);
  const net = nn.mlp([5, 16, 16, 1], { seed: 7 });
  const score = (p: nn.MlpParams, x: Array) => sigmoid(net.apply(p, x).reshape([-1]));
  const edges = array(EDGES, "float32");
  // The KDE templates, scaled to the workspace's totals; a 1e-3 floor keeps every background bin
  // positive so the likelihood stays defined whatever the network does.
  const templates = (p: nn.MlpParams) => ({
    signal: hist(score(p, xSig), edges, { bandwidth: BANDWIDTH, overflow: "clip" })
      .mul(sTot / nSig),
    background: hist(score(p, xBkg), edges, { bandwidth: BANDWIDTH, overflow: "clip" })
      .mul(bTot / nBkg).add(1e-3),
  });
  const loss = (p: nn.MlpParams) => expectedZ0(model.withNominals(templates(p))).neg();

  const opt = optim.adam(0.02);
  let params = net.params, state = opt.init(params);
  const z0: number[] = [];
  const hardZ0 = (p: nn.MlpParams) => frozen(p).z0;
  const frozen = (p: nn.MlpParams) => {
    const s = numbers(score(p, xSig)), b = numbers(score(p, xBkg));
    const hs = hardHistogram(s, EDGES).map((v) => (v * sTot) / nSig);
    const hb = hardHistogram(b, EDGES).map((v) => Math.max((v * bTot) / nBkg, 1e-3));
    // The background's MC statistical uncertainty per bin: √n events of weight bTot/nBkg.
    const stat = hardHistogram(b, EDGES).map((n) => (Math.sqrt(Math.max(n, 1)) * bTot) / nBkg);
    const ws = workspace(hs, hb, stat);
    const m = fromPyhf(ws);
    return { ws, model: m, z0: discoverySignificance(m.observed, m).z0Expected, hs, hb };
  };
  const before = hardZ0(params);
  const t0 = performance.now();
  for (let e = 0; e < epochs; e++) {
    const [l, g] = valueAndGrad(loss)(params);
    z0.push(-l.item());
    const [u, s2] = opt.update(g, state, params);
    params = optim.applyUpdates(params, u);
    state = s2;
    if (e % Math.max(1, Math.floor(epochs / 4)) === 0) {
      console.log(`  epoch ${String(e).padStart(3)}: Z0 (soft) = ${fmt(z0[e])}`);
    }
  }
  z0.push(-loss(params).item());
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `Trained ${epochs} epochs in ${fmt(secs, 1)} s: Z0 (soft) ${fmt(z0[0])} -> ${fmt(z0.at(-1)!)}`,
  );

  const f = frozen(params);
  console.log(
    `Hard histograms (with MC-stat staterror): Z0 ${fmt(before)} before training -> ${
      fmt(f.z0)
    } after`,
  );
  const asimov = f.model.expectedData(f.model.init({ mu: 1 }));
  const rk = ranking(asimov, f.model);
  console.log("Impacts on mu (Asimov, mu = 1), largest first:");
  for (const i of rk.impacts.slice(0, 5)) {
    console.log(
      `  ${i.label.padEnd(12)} impact ${fmt(i.impact)}  (post-fit ${signed(i.postfit.up)} / ${
        signed(i.postfit.down)
      })`,
    );
  }

  await Deno.mkdir(args.out, { recursive: true });
  await Deno.writeTextFile(`${args.out}/trained_workspace.json`, JSON.stringify(f.ws, null, 2));
  await writePlot(
    `${args.out}/z0_vs_epoch.svg`,
    linePlot({
      series: [{ name: "Z0 (KDE)", x: z0.map((_, i) => i), y: z0 }],
      title: "Median expected discovery significance during training",
      xLabel: "epoch",
      yLabel: "Z0",
    }),
  );
  const soft = templates(params);
  await writePlot(
    `${args.out}/learned_histogram.svg`,
    stackedHistogram({
      edges: EDGES,
      stack: [
        { name: "background", values: numbers(soft.background) },
        { name: "signal", values: numbers(soft.signal) },
      ],
      title: "Learned KDE templates of the classifier score",
      xLabel: "score",
    }),
  );
  console.log(`Wrote ${args.out}/{z0_vs_epoch.svg, learned_histogram.svg, trained_workspace.json}`);
  return {
    z0,
    hardZ0: { before, after: f.z0 },
    ranking: rk.impacts.map((i) => ({ label: i.label, impact: i.impact })),
  };
}

if (import.meta.main) await main(Deno.args);
