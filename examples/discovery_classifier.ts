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

/** The workspace's templates for `bins` equal bins on [0, 1] (w = the bin width, 0.1 for 10). */
export function analysisTemplates(bins = 10): { signal: number[]; background: number[] } {
  const w = 1 / bins;
  const centres = uniformEdges(0, 1, bins).slice(0, -1).map((e) => e + w / 2);
  return {
    signal: centres.map((c) => 30 * Math.exp(-0.5 * ((c - 0.5) / 0.1) ** 2) * w),
    background: centres.map((c) => 150 * Math.exp(-1.5 * c) * w),
  };
}

const sum = (v: readonly number[]) => v.reduce((a, b) => a + b, 0);

/**
 * The analysis workspace (channel `SR`; `mu` normfactor on the signal, `bkg_norm` normsys
 * 0.9/1.1 on the background); `bkgStat` adds the background's MC statistical uncertainty as a
 * staterror.
 */
export function analysisWorkspace(
  signal: number[],
  background: number[],
  bkgStat?: number[],
): Workspace {
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

/** Options of {@link trainDiscovery}. */
export interface TrainDiscoveryOptions {
  /** Toy signal events (default 500). */
  nSig?: number;
  /** Toy background events (default 2000). */
  nBkg?: number;
  /** Adam steps on the full sample (default 100). */
  epochs?: number;
  /** Bins of the score on [0, 1] (default 10). */
  bins?: number;
  /** KDE bandwidth (default 0.05). */
  bandwidth?: number;
  /** Adam learning rate (default 0.02). */
  lr?: number;
  /** Called with each epoch's soft Z0 (before its update). */
  onEpoch?: (epoch: number, z0: number) => void;
}

/** A trained classifier and the analysis frozen from it. */
export interface TrainedDiscovery {
  /** Soft (KDE) Z0 per epoch before each update, then after the last. */
  z0: number[];
  /** The trained network's KDE templates. */
  soft: { signal: number[]; background: number[] };
  /** Hard-histogram Z0 (MC-stat staterror included) before and after training. */
  hardZ0: { before: number; after: number };
  /** The frozen analysis: hard histograms of the trained score, with MC-stat staterror. */
  workspace: Workspace;
  /** Bin edges. */
  edges: number[];
}

/**
 * Trains the classifier on −Z0 and freezes the analysis (see the module doc).
 *
 * @example
 * ```ts
 * const t = trainDiscovery({ nSig: 100, nBkg: 300, epochs: 5 });
 * console.log(t.z0.at(-1)! > t.z0[0], t.hardZ0.after);
 * ```
 */
export function trainDiscovery(opts: TrainDiscoveryOptions = {}): TrainedDiscovery {
  const { nSig = 500, nBkg = 2000, epochs = 100, bins = 10, bandwidth = 0.05, lr = 0.02 } = opts;
  const tmpl = analysisTemplates(bins);
  const sTot = sum(tmpl.signal), bTot = sum(tmpl.background);
  const model = fromPyhf(analysisWorkspace(tmpl.signal, tmpl.background));
  const EDGES = uniformEdges(0, 1, bins);
  const xSig = gaussian(1, nSig, [0.5, 0.5, 0.5, 0.5, 0.5], 0.5);
  const xBkg = gaussian(2, nBkg, [0, 0, 0, 0, 0], 1);
  const net = nn.mlp([5, 16, 16, 1], { seed: 7 });
  const score = (p: nn.MlpParams, x: Array) => sigmoid(net.apply(p, x).reshape([-1]));
  const edges = array(EDGES, "float32");
  // The KDE templates, scaled to the workspace's totals; a 1e-3 floor keeps every background bin
  // positive so the likelihood stays defined whatever the network does.
  const templates = (p: nn.MlpParams) => ({
    signal: hist(score(p, xSig), edges, { bandwidth, overflow: "clip" }).mul(sTot / nSig),
    background: hist(score(p, xBkg), edges, { bandwidth, overflow: "clip" })
      .mul(bTot / nBkg).add(1e-3),
  });
  const loss = (p: nn.MlpParams) => expectedZ0(model.withNominals(templates(p))).neg();
  const frozen = (p: nn.MlpParams) => {
    const nb = hardHistogram(numbers(score(p, xBkg)), EDGES);
    const hs = hardHistogram(numbers(score(p, xSig)), EDGES).map((v) => (v * sTot) / nSig);
    const hb = nb.map((v) => Math.max((v * bTot) / nBkg, 1e-3));
    // The background's MC statistical uncertainty per bin: √n events of weight bTot/nBkg.
    const stat = nb.map((n) => (Math.sqrt(Math.max(n, 1)) * bTot) / nBkg);
    const ws = analysisWorkspace(hs, hb, stat);
    const m = fromPyhf(ws);
    return { ws, z0: discoverySignificance(m.observed, m).z0Expected };
  };

  const opt = optim.adam(lr);
  let params = net.params, state = opt.init(params);
  const before = frozen(params).z0;
  const z0: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const [l, g] = valueAndGrad(loss)(params);
    z0.push(-l.item());
    opts.onEpoch?.(e, z0[e]);
    const [u, s2] = opt.update(g, state, params);
    params = optim.applyUpdates(params, u);
    state = s2;
  }
  z0.push(-loss(params).item());
  const f = frozen(params);
  const t = templates(params);
  return {
    z0,
    soft: { signal: numbers(t.signal), background: numbers(t.background) },
    hardZ0: { before, after: f.z0 },
    workspace: f.ws,
    edges: EDGES,
  };
}

/** What {@link main} found. */
export interface DiscoveryResult {
  /** Soft (KDE) Z0 per epoch, before each update, then after the last. */
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
  const tmpl = analysisTemplates();
  const model = fromPyhf(analysisWorkspace(tmpl.signal, tmpl.background));
  console.log(
    `Workspace: 10 bins, signal ${fmt(sum(tmpl.signal), 2)} and background ${
      fmt(sum(tmpl.background), 2)
    } events; Z0 of its own templates = ${
      fmt(discoverySignificance(model.observed, model).z0Expected)
    }`,
  );
  const t0 = performance.now();
  const every = Math.max(1, Math.floor(epochs / 4));
  const t = trainDiscovery({
    nSig,
    nBkg,
    epochs,
    onEpoch: (e, z) => {
      if (e % every === 0) console.log(`  epoch ${String(e).padStart(3)}: Z0 (soft) = ${fmt(z)}`);
    },
  });
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `Trained ${epochs} epochs in ${fmt(secs, 1)} s: Z0 (soft) ${fmt(t.z0[0])} -> ${
      fmt(t.z0.at(-1)!)
    }`,
  );
  console.log(
    `Hard histograms (with MC-stat staterror): Z0 ${fmt(t.hardZ0.before)} before training -> ${
      fmt(t.hardZ0.after)
    } after`,
  );
  const m = fromPyhf(t.workspace);
  const rk = ranking(m.expectedData(m.init({ mu: 1 })), m);
  console.log("Impacts on mu (Asimov, mu = 1), largest first:");
  for (const i of rk.impacts.slice(0, 5)) {
    console.log(
      `  ${i.label.padEnd(12)} impact ${fmt(i.impact)}  (post-fit ${signed(i.postfit.up)} / ${
        signed(i.postfit.down)
      })`,
    );
  }

  await Deno.mkdir(args.out, { recursive: true });
  await Deno.writeTextFile(`${args.out}/trained_workspace.json`, JSON.stringify(t.workspace));
  await writePlot(
    `${args.out}/z0_vs_epoch.svg`,
    linePlot({
      series: [{ name: "Z0 (KDE)", x: t.z0.map((_, i) => i), y: t.z0 }],
      title: "Median expected discovery significance during training",
      xLabel: "epoch",
      yLabel: "Z0",
    }),
  );
  await writePlot(
    `${args.out}/learned_histogram.svg`,
    stackedHistogram({
      edges: t.edges,
      stack: [
        { name: "background", values: t.soft.background },
        { name: "signal", values: t.soft.signal },
      ],
      title: "Learned KDE templates of the classifier score",
      xLabel: "score",
    }),
  );
  console.log(`Wrote ${args.out}/{z0_vs_epoch.svg, learned_histogram.svg, trained_workspace.json}`);
  return {
    z0: t.z0,
    hardZ0: t.hardZ0,
    ranking: rk.impacts.map((i) => ({ label: i.label, impact: i.impact })),
  };
}

if (import.meta.main) await main(Deno.args);
