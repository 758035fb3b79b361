/**
 * The differentiable path of `deno task analysis` (`general.analysis = diff | both`): events →
 * chain inputs (`diff_events.ts`) → MVA pre-training (saved and re-used) → gradient-descent
 * optimisation of the soft cuts, the KDE bandwidth and the MLP on the profiled discovery
 * significance → the optimised thresholds re-applied as hard cuts. Writes, in `outputDir`:
 * `diff_metrics.json`, `diff_history.jsonl` (one line per iteration), `diff_workspace.json` (the
 * final soft histograms as a pyhf workspace) and the plots of `diff_plots.ts` under `plots/`.
 *
 * @module
 */
import { type Array as ZArray, array, initDevice } from "../mod.ts";
import { num, table } from "../stats/cli/format.ts";
import type { ProcessEvents } from "./data/columns.ts";
import type { Config } from "./config/schema.ts";
import { CUT_NAMES, PARAM_NAMES, type ParamSettings } from "./diff/chain.ts";
import { hardHistograms } from "./diff/histograms.ts";
import { type DiffInputs, prepareInputs } from "./diff/inputs.ts";
import { type Mva, pretrainMva } from "./diff/mva.ts";
import { type IterationRecord, optimise, type OptimiseResult } from "./diff/optimise.ts";
import { diffModel as buildDiffModel, profiledZ0 } from "./diff/model.ts";
import type { DiffParams } from "./diff/soft.ts";
import { mergeBins, mergeEdges, populatedGroups } from "./rebin.ts";
import { diffEvents } from "./diff_events.ts";
import { numbers, writeDiffPlots } from "./diff_plots.ts";
import type { Progress } from "../progress/mod.ts";

/** The chain's settings from `optimisation` (initial values, clamps, learning rates). */
export function settingsOf(cfg: Config): ParamSettings {
  const o = cfg.optimisation;
  const one = (k: keyof typeof PARAM_NAMES) => {
    const n = PARAM_NAMES[k];
    for (
      const [what, rec] of [["params", o.params], ["clamps", o.clamps], [
        "learningRates",
        o.learningRates,
      ]] as const
    ) {
      if (!(n in rec)) throw new Error(`optimisation.${what}.${n} is missing`);
    }
    return { init: o.params[n], bounds: o.clamps[n] as [number, number], lr: o.learningRates[n] };
  };
  return {
    met: one("met"),
    btag: one("btag"),
    lepHt: one("lepHt"),
    bandwidth: one("bandwidth"),
    nnLr: o.learningRates.nn ?? 5e-4,
  };
}

/**
 * Z0 with the parameters' cuts applied hard: the hard-cut histograms (bins without background
 * merged: hard cuts can empty bins that the soft weights kept), the same model, profiled.
 */
function hardZ0(
  params: DiffParams,
  inputs: DiffInputs,
  mva: Mva,
  signal: readonly string[],
  opts: { ttbarNorm: "none" },
): { z0: number; bins: Record<string, number> } {
  const h = hardHistograms(params, inputs, mva.net.apply);
  const channels = inputs.channels.map((ch) => {
    const bkg = inputs.samples.filter((s) => !signal.includes(s));
    const total = bkg.map((s) => numbers(h[s][ch.name].nominal))
      .reduce(
        (a, b) => a.map((x, i) => x + Math.max(0, b[i])),
        new Array<number>(ch.edges.length - 1).fill(0),
      );
    const groups = populatedGroups(total);
    const edges = mergeEdges(ch.edges, groups);
    const merge = (a: ZArray) => array(mergeBins(a.dataSync(), groups), "float64");
    for (const s of inputs.samples) {
      const c = h[s][ch.name];
      h[s][ch.name] = {
        nominal: merge(c.nominal),
        sumw2: merge(c.sumw2),
        variations: Object.fromEntries(
          Object.entries(c.variations).map(([k, [u, d]]) => [k, [merge(u), merge(d)]]),
        ),
      };
    }
    return { ...ch, edges };
  });
  const model = buildDiffModel({ ...inputs, channels }, h, opts).model;
  return {
    z0: profiledZ0(model).z0.item(),
    bins: Object.fromEntries(channels.map((c) => [c.name, c.edges.length - 1])),
  };
}

/**
 * Runs the differentiable path and returns the summary to print.
 *
 * @example
 * ```ts ignore
 * import { runDiff } from "./diff_run.ts";
 * console.log(await runDiff(cfg, events, progress));
 * ```
 */
export async function runDiff(
  cfg: Config,
  events: readonly ProcessEvents[],
  progress: Progress,
): Promise<string> {
  const out = cfg.general.outputDir.replace(/\/+$/, "");
  await Deno.mkdir(`${out}/plots`, { recursive: true });
  const device = cfg.general.device;
  if (device === "webgpu" && !(await initDevice("webgpu"))) {
    throw new Error("general.device = webgpu: no WebGPU adapter is available here");
  }
  const t0 = performance.now();
  const d = await progress.run("diff: inputs", () => diffEvents(events, cfg));
  const { inputs, dataInputs } = chainInputs(d);
  const { mva, path: mvaPath } = await loadMva(cfg, inputs, progress);

  const iterations = cfg.optimisation.optimise ? cfg.optimisation.maxIterations : 0;
  const opts = { ttbarNorm: "none" as const };
  const step = progress.start("diff: optimisation", iterations + 1);
  const r = await optimise(inputs, { apply: mva.net.apply, params: mva.params }, {
    ...opts,
    iterations,
    settings: settingsOf(cfg),
    device,
    onProgress: (it: IterationRecord) =>
      step.tick(1, `Z0 ${it.z0.toFixed(4)}, step ${it.stepMs.toFixed(0)} ms`),
  });
  step.done(`Z0 ${r.initialZ0.toFixed(4)} → ${r.finalZ0.toFixed(4)}`);

  // The optimised thresholds as hard cuts (what would be published).
  const hard = hardZ0(r.params, inputs, mva, cfg.statistics.signal, opts);
  const finalWs = buildDiffModel(inputs, r.histograms.final, opts).workspace;
  await Deno.writeTextFile(`${out}/diff_workspace.json`, JSON.stringify(finalWs, null, 2) + "\n");
  await Deno.writeTextFile(
    `${out}/diff_history.jsonl`,
    r.history.map((h) => JSON.stringify(h)).join("\n") + "\n",
  );
  const plots = await writeDiffPlots(`${out}/plots`, { cfg, result: r, inputs, dataInputs, mva });

  const final = r.history[r.history.length - 1];
  const metrics = {
    schema: "zgrad-analysis-diff/1",
    initial: { z0: r.initialZ0, params: r.history[0].params },
    final: { z0: r.finalZ0, params: final.params },
    hard_cuts: { z0: hard.z0, params: final.params },
    iterations: r.history.length - 1,
    step_ms: r.history.slice(0, -1).map((h) => h.stepMs),
    fits_converged: r.history.map((h) => h.fitsConverged),
    device,
    samples: Object.fromEntries(inputs.samples.map((s) => [s, inputs.nEvents[s]])),
    systematics: d.systematics.map((s) => s.name),
    channels: d.channels,
    mva: { path: mvaPath, loaded: mva.loaded, epochs: mva.losses.length },
    timings: { total_s: (performance.now() - t0) / 1000, ...progress.timings },
    warnings: d.warnings,
    plots,
  };
  await Deno.writeTextFile(`${out}/diff_metrics.json`, JSON.stringify(metrics, null, 2) + "\n");
  return summary(r, hard.z0, metrics, out);
}

/** The chain's MC inputs and the pseudo-data as a one-sample input (null without data). */
function chainInputs(
  d: Awaited<ReturnType<typeof diffEvents>>,
): { inputs: DiffInputs; dataInputs: DiffInputs | null } {
  const mc = d.events.filter((e) => !e.isData);
  const inputs = prepareInputs(mc, { channels: d.channels, systematics: d.systematics });
  const dataEvents = d.events.filter((e) => e.isData && e.table.nEvents > 0);
  const dataInputs = dataEvents.length
    ? prepareInputs(dataEvents.map((e) => ({ ...e, isData: false })), {
      channels: d.channels,
      sampleOf: () => "signal",
    })
    : null;
  return { inputs, dataInputs };
}

/** The MVA of the `useInDiff` entry: read from the cache, or pre-trained and saved there. */
async function loadMva(
  cfg: Config,
  inputs: DiffInputs,
  progress: Progress,
): Promise<{ mva: Mva; path: string }> {
  const mcfg = cfg.mva.find((m) => m.useInDiff);
  if (!mcfg) throw new Error("diff path: no mva entry with useInDiff = true");
  const path = `${cfg.general.cacheDir.replace(/\/+$/, "")}/mva_${mcfg.name}.json`;
  await Deno.mkdir(cfg.general.cacheDir, { recursive: true });
  const mva = await progress.run("diff: MVA pre-training", async (step) => {
    const exists = await Deno.stat(path).then(() => true, () => false);
    if (!exists && !cfg.general.runMvaTraining) {
      throw new Error(`general.runMvaTraining = false and no trained MVA at ${path}`);
    }
    return await pretrainMva(inputs, {
      hidden: mcfg.hiddenLayers,
      epochs: mcfg.epochs,
      lr: mcfg.learningRate,
      seed: mcfg.seed,
      path,
      onProgress: (epoch, loss) => step.tick(1, `epoch ${epoch}, loss ${loss.toFixed(4)}`),
    });
  }, mcfg.epochs);
  return { mva, path };
}

/** The summary printed by `deno task analysis`: cuts, Z0 soft and hard, steps, where files went. */
function summary(
  r: OptimiseResult,
  hardZ0: number,
  metrics: {
    iterations: number;
    step_ms: number[];
    fits_converged: boolean[];
    device: string;
    warnings: string[];
    plots: string[];
  },
  out: string,
): string {
  const final = r.history[r.history.length - 1];
  const rows = CUT_NAMES.map((k) => [
    PARAM_NAMES[k],
    num(r.history[0].params[k]),
    num(final.params[k]),
  ]);
  const steps = metrics.step_ms.slice().sort((a, b) => a - b);
  return [
    "differentiable analysis",
    "",
    table(["parameter", "initial", "optimised"], rows),
    "",
    table(["", "Z0"], [
      ["soft cuts, initial", num(r.initialZ0)],
      ["soft cuts, optimised", num(r.finalZ0)],
      ["optimised cuts applied hard", num(hardZ0)],
    ]),
    "",
    `${metrics.iterations} iterations on ${metrics.device}, median step ${
      steps.length ? (steps[steps.length >> 1] / 1000).toFixed(3) : "-"
    } s; every fit converged: ${metrics.fits_converged.every(Boolean)}`,
    ...metrics.warnings.map((w) => `warning: ${w}`),
    `metrics: ${out}/diff_metrics.json`,
    `plots: ${metrics.plots.length} files in ${out}/plots`,
  ].join("\n");
}
