/**
 * Example 2 — a neos-style learned summary statistic (the JAX / relaxed / neos workflow,
 * arXiv:2203.05570): the network's KDE histograms are the signal *and* the background templates
 * of a model with a histosys, so training sees the systematic uncertainty.
 *
 * neos's "blobs" setup, in 2-D: signal ~ N((−1, 1), I), nominal background ~ N((1, −1), I), and
 * the background's ±1σ variations ~ N((2.5, 2), I) and N((−2.5, −1.5), I), which become the
 * histosys `correlated_bkg_uncertainty`; 20 signal and 100 background events expected. A network
 * maps events to a sigmoid score; KDE histograms of the score (4 bins, bandwidth 0.1) of all four
 * samples build pyhf's `correlated_background` model; the loss is one of
 * - `cls`: the median expected CLs at μ = 1 (background-only Asimov data; five fits, implicit),
 * - `discovery`: −Z0, the median expected discovery significance (Asimov at μ = 1),
 * - `poiUncertainty`: σ(μ̂) from the Cramér–Rao bound, √(I⁻¹)_μμ at Asimov data (no fit).
 * The same network trained with binary cross-entropy (signal vs nominal background) is the
 * baseline. All are evaluated on held-out events with hard histograms by the statistic that
 * matters: the median expected 95% CL upper limit on μ (and CLs at μ = 1), systematics included.
 *
 * Run: `deno run -A examples/neos_summary_statistic.ts [--full] [--out DIR] [--loss NAME]`
 * (CI size: 200 events per sample, 15 steps; `--full`: 2000 per sample, 150 steps).
 *
 * @module
 */
import { type Array, concatenate, nn, ones, optim, sigmoid, valueAndGrad, zeros } from "../mod.ts";
import {
  clsArray,
  correlatedBackground,
  cramerRaoUncertainty,
  hist,
  hypotest,
  type Model,
  upperLimit,
  z0Array,
} from "../stats.ts";
import { linePlot, stackedHistogram, writePlot } from "../plots/mod.ts";
import { fmt, gaussian, hardHistogram, numbers, parseArgs, uniformEdges } from "./_common.ts";

const EDGES = uniformEdges(0, 1, 4);
const BANDWIDTH = 0.1, SIGNAL_EVENTS = 20, BACKGROUND_EVENTS = 100;
const MEANS = { sig: [-1, 1], nom: [1, -1], up: [2.5, 2], down: [-2.5, -1.5] } as const;
type SampleName = keyof typeof MEANS;

/** The inference-aware losses, each a function of the model built from the templates. */
export const LOSSES = {
  cls: (m: Model) => clsArray(1, m.expectedData(m.init({ mu: 0 })), m),
  discovery: (m: Model) => z0Array(m.expectedData(m.init({ mu: 1 })), m).neg(),
  poiUncertainty: (m: Model) => cramerRaoUncertainty(m, m.init({ mu: 1 })).slice(m.poiIndex!),
} as const;
/** Name of an inference-aware loss. */
export type LossName = keyof typeof LOSSES;

/** pyhf's correlated-background model from four templates (code4p: smooth in α). */
function buildModel(t: Record<SampleName, Array | number[]>): Model {
  return correlatedBackground(t.sig, t.nom, t.up, t.down, { interpcode: "code4p" });
}

/** Held-out evaluation of one trained network: expected limit and CLs with hard histograms. */
function evaluate(scores: Record<SampleName, number[]>) {
  const scale = (s: SampleName, n: number) =>
    hardHistogram(scores[s], EDGES).map((v) =>
      s === "sig" ? (v * SIGNAL_EVENTS) / n : Math.max((v * BACKGROUND_EVENTS) / n, 1e-3)
    );
  const n = scores.sig.length;
  const t = {
    sig: scale("sig", n),
    nom: scale("nom", n),
    up: scale("up", n),
    down: scale("down", n),
  };
  const m = buildModel(t);
  const asimov = m.expectedData(m.init({ mu: 0 }));
  const limit = upperLimit(asimov, m).expLimits[2];
  const cls = hypotest(1, asimov, m).cls;
  return { limit, cls, templates: t };
}

/** What {@link main} found, per training method. */
export interface NeosResult {
  /** Per method (`bce` and the chosen losses): training curve and held-out metrics. */
  methods: Record<string, { losses: number[]; limit: number; cls: number }>;
}

/**
 * Runs the example: trains one network per method, evaluates it on held-out events, prints a
 * table and writes `training.svg` and `templates_<method>.svg`.
 *
 * @example
 * ```ts
 * const r = await main(["--out", "/tmp/neos", "--loss", "cls"]);
 * console.log(r.methods.cls.limit < r.methods.bce.limit);
 * ```
 */
export async function main(argv: readonly string[] = []): Promise<NeosResult> {
  const args = parseArgs("neos_summary_statistic", argv);
  const [nmc, steps] = args.full ? [2000, 150] : [200, 15];
  const chosen = typeof args.extra.loss === "string"
    ? args.extra.loss.split(",") as LossName[]
    : Object.keys(LOSSES) as LossName[];
  for (const l of chosen) {
    if (!(l in LOSSES)) {
      throw new Error(`--loss: unknown ${JSON.stringify(l)} (${Object.keys(LOSSES).join(", ")})`);
    }
  }
  const names = Object.keys(MEANS) as SampleName[];
  const draw = (seed: number) =>
    Object.fromEntries(names.map((s, i) => [s, gaussian(seed + i, nmc, MEANS[s], 1)])) as Record<
      SampleName,
      Array
    >;
  const train = draw(10), heldOut = draw(20);
  const net = nn.mlp([2, 16, 16, 1], { seed: 3 });
  const score = (p: nn.MlpParams, x: Array) => sigmoid(net.apply(p, x).reshape([-1]));
  const templates = (p: nn.MlpParams, xs: Record<SampleName, Array>) =>
    Object.fromEntries(names.map((s) => {
      const h = hist(score(p, xs[s]), EDGES, { bandwidth: BANDWIDTH, overflow: "clip" });
      return [
        s,
        s === "sig" ? h.mul(SIGNAL_EVENTS / nmc) : h.mul(BACKGROUND_EVENTS / nmc).add(1e-3),
      ];
    })) as Record<SampleName, Array>;
  const scoresOf = (p: nn.MlpParams) =>
    Object.fromEntries(names.map((s) => [s, numbers(score(p, heldOut[s]))])) as Record<
      SampleName,
      number[]
    >;

  const methods: NeosResult["methods"] = {};
  const trained: Record<string, nn.MlpParams> = {};
  // The baseline: the same network, binary cross-entropy of signal vs nominal background.
  const bce = nn.train({
    ...net,
    x: concatenate([train.sig, train.nom]),
    y: concatenate([ones([nmc]), zeros([nmc])]),
    epochs: steps * 5,
    lr: 0.01,
  });
  trained.bce = bce.params;
  methods.bce = { losses: bce.losses, ...evaluate(scoresOf(bce.params)) };

  for (const name of chosen) {
    const loss = (p: nn.MlpParams) => LOSSES[name](buildModel(templates(p, train)));
    const opt = optim.adam(0.01);
    let params = net.params, state = opt.init(params);
    const losses: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      const [l, g] = valueAndGrad(loss)(params);
      losses.push(l.item());
      const [u, s2] = opt.update(g, state, params);
      params = optim.applyUpdates(params, u);
      state = s2;
    }
    trained[name] = params;
    methods[name] = { losses, ...evaluate(scoresOf(params)) };
    console.log(
      `  trained on ${name.padEnd(14)} ${steps} steps in ${
        fmt((performance.now() - t0) / 1000, 1)
      } s: loss ${fmt(losses[0])} -> ${fmt(losses.at(-1)!)}`,
    );
  }

  console.log("Held-out events, hard histograms, histosys included (lower is better):");
  console.log("  method          expected 95% CL limit on mu   expected CLs(mu = 1)");
  for (const [k, v] of Object.entries(methods)) {
    console.log(`  ${k.padEnd(15)} ${fmt(v.limit).padStart(27)}   ${fmt(v.cls).padStart(20)}`);
  }
  const best = chosen.reduce((a, b) => (methods[b].limit < methods[a].limit ? b : a), chosen[0]);
  console.log(
    `Best inference-aware loss: ${best}, limit ${fmt(methods[best].limit)} vs ${
      fmt(methods.bce.limit)
    } for binary cross-entropy (${methods[best].limit < methods.bce.limit ? "better" : "worse"})`,
  );

  await writePlot(
    `${args.out}/training.svg`,
    linePlot({
      series: chosen.map((k) => ({
        name: k,
        x: methods[k].losses.map((_, i) => i),
        y: methods[k].losses,
      })),
      title: "Inference-aware losses during training",
      xLabel: "step",
      yLabel: "loss",
    }),
  );
  for (const k of Object.keys(methods)) {
    const t = evaluate(scoresOf(trained[k])).templates;
    await writePlot(
      `${args.out}/templates_${k}.svg`,
      stackedHistogram({
        edges: EDGES,
        stack: [{ name: "background", values: t.nom }, { name: "signal", values: t.sig }],
        uncertainty: t.up.map((u, i) => Math.abs(u - t.down[i]) / 2),
        title: `Held-out templates, network trained on ${k}`,
        xLabel: "score",
      }),
    );
  }
  console.log(`Wrote ${args.out}/training.svg and templates_<method>.svg`);
  return {
    methods: Object.fromEntries(
      Object.entries(methods).map((
        [k, v],
      ) => [k, { losses: v.losses, limit: v.limit, cls: v.cls }]),
    ),
  };
}

if (import.meta.main) await main(Deno.args);
