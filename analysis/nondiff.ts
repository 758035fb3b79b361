/**
 * The non-differentiable path: hard cuts and ordinary histograms per process and channel (with
 * every systematic variation), the pyhf workspace written to `outputDir` and checked by loading
 * it back, the fit / CLs / Z0 / upper limit with the stats layer, plots, and `metrics.json`.
 *
 * @module
 */
import { gitCommit, ZGRAD_VERSION } from "../stats/cli/provenance.ts";
import type { ProcessEvents } from "./data/columns.ts";
import { configHash } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { histogramProcess, type ProcessHistograms } from "./histograms.ts";
import { buildMetrics, type Metrics } from "./metrics.ts";
import type { Progress } from "../progress/mod.ts";
import { writeAnalysisPlots } from "./report_plots.ts";
import { loadWorkspaceModel, runStatistics, type StatisticsResult } from "./statistics.ts";
import { buildWorkspace } from "./workspace.ts";
import { mergeEmptyBins } from "./rebin.ts";
import { activeChannels } from "./selection.ts";

/**
 * What the non-differentiable path produced.
 *
 * @example
 * ```ts
 * import { runNondiff } from "./nondiff.ts";
 * const r = await runNondiff(cfg, events, progress);
 * console.log(r.metrics.significance?.z0_obs, r.metricsPath);
 * ```
 */
export interface NondiffResult {
  /** Per-process histograms. */
  histograms: ProcessHistograms[];
  /** The statistics (null when `runStatistics` is off). */
  stats: StatisticsResult | null;
  /** The metrics document written. */
  metrics: Metrics;
  /** Paths written. */
  workspacePath: string | null;
  /** Path of metrics.json. */
  metricsPath: string;
}

/**
 * Runs the non-differentiable analysis on loaded events (see the module doc).
 *
 * @example
 * ```ts
 * import { runNondiff } from "./nondiff.ts";
 * import { Progress, stderrSink } from "../progress/mod.ts";
 * const r = await runNondiff(cfg, events, new Progress(stderrSink()));
 * ```
 */
export async function runNondiff(
  cfg: Config,
  events: readonly ProcessEvents[],
  progress: Progress,
  extraTimings: Record<string, number> = {},
): Promise<NondiffResult> {
  const t0 = performance.now();
  const out = cfg.general.outputDir.replace(/\/+$/, "");
  await Deno.mkdir(out, { recursive: true });
  const want = cfg.general.processes;
  const selected = want ? events.filter((e) => want.includes(e.process)) : [...events];
  if (selected.length === 0) {
    throw new Error(
      `no events to analyse (processes loaded: ${
        events.map((e) => e.process).join(", ") || "none"
      }` +
        (want ? `; general.processes = ${JSON.stringify(want)}` : "") + ")",
    );
  }
  const warnings: string[] = [];
  const timings: Record<string, number> = { ...extraTimings };

  let histograms: ProcessHistograms[] = [];
  if (cfg.general.runHistogramming) {
    histograms = await progress.run("histogramming", (step) =>
      selected.map((pe) => {
        const h = histogramProcess(pe, cfg);
        step.tick(1, `${pe.process}: ${pe.table.nEvents} events`);
        return h;
      }), selected.length);
    timings.histogramming_s = progress.timings.histogramming;
  }

  // Bins of the fit observable without background make the likelihood zero: merge them first.
  for (const ch of activeChannels(cfg)) {
    const merged = mergeEmptyBins(histograms, ch.name, ch.fitObservable, cfg.statistics.signal);
    histograms = merged.histograms;
    if (merged.warning) warnings.push(merged.warning);
  }

  let workspacePath: string | null = null;
  let stats: StatisticsResult | null = null;
  if (histograms.length > 0) {
    const built = await progress.run("workspace", () => {
      const b = buildWorkspace(histograms, cfg);
      workspacePath = `${out}/${cfg.statistics.workspaceFile}`;
      Deno.writeTextFileSync(workspacePath, JSON.stringify(b.workspace, null, 2) + "\n");
      // Read back what was written and build its model: the file itself must be valid.
      loadWorkspaceModel(JSON.parse(Deno.readTextFileSync(workspacePath)), cfg.statistics);
      return b;
    });
    warnings.push(...built.warnings);
    timings.workspace_s = progress.timings.workspace;
    if (cfg.general.runStatistics) {
      stats = await progress.run(
        "statistics (fit, CLs, Z0, upper limit)",
        () => runStatistics(built.workspace, cfg),
      );
      for (const [k, v] of Object.entries(stats.timings)) timings[`statistics_${k}`] = v;
    }
  }

  let plots: string[] = [];
  if (cfg.plotting.enabled && histograms.length > 0) {
    plots = await progress.run(
      "plots",
      () => writeAnalysisPlots(`${out}/plots`, cfg, histograms, stats),
    );
    timings.plots_s = progress.timings.plots;
  }
  timings.total_s = (performance.now() - t0) / 1000 + (extraTimings.load_s ?? 0);

  const metrics = buildMetrics({
    cfg,
    hists: histograms,
    stats,
    workspace: workspacePath,
    plots,
    timings,
    warnings,
    provenance: {
      config_hash: await configHash(cfg),
      git_commit: await gitCommit(),
      zgrad_version: ZGRAD_VERSION,
      runtime: `deno ${Deno.version.deno}`,
      interpolation: cfg.statistics.interpolation,
      input_files: Object.fromEntries(selected.map((e) => [e.process, e.files])),
    },
  });
  const metricsPath = `${out}/metrics.json`;
  await Deno.writeTextFile(metricsPath, JSON.stringify(metrics, null, 2) + "\n");
  return { histograms, stats, metrics, workspacePath, metricsPath };
}
