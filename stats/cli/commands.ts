/**
 * The CLI's commands: load a pyhf workspace, run one computation of the statistics layer
 * (imported from `stats/mod.ts`), and describe the outcome as a {@link Report} — the stable JSON
 * document printed by `--json` (`report.ts`).
 *
 * @module
 */
import {
  discoverySignificance,
  fit,
  fixedPoiFit,
  hypotest,
  type Model,
  ranking,
  upperLimit,
} from "../mod.ts";
import { Progress, type ProgressSink, progressTask, silentSink } from "../../progress/mod.ts";
import type { CliArgs, Command } from "./args.ts";
import { InputError, loadModel, oneLine, resolvePath } from "./input.ts";
import { brazilFigure, type Figure, fitFigures, rankingFigure, writeFigures } from "./plots.ts";
import { provenance } from "./provenance.ts";
import type { Report } from "./report.ts";

function byLabel(model: Model, values: readonly number[]): Record<string, number> {
  return Object.fromEntries(model.parLabels.map((l, i) => [l, values[i]]));
}

/** A finite number or null (JSON has no NaN/∞). */
function n(x: number | null | undefined): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : x;
}

interface Computed {
  metric: Record<string, unknown>;
  uncertainty: Record<string, unknown>;
  converged: boolean;
  warnings: string[];
  /** Plots to write (with `--plot`). */
  figures?: Figure[];
}

function requirePoi(model: Model, command: Command): number {
  if (model.poiIndex === null) {
    throw new InputError(
      `${command}: measurement ${JSON.stringify(model.measurement)} has no parameter of interest`,
    );
  }
  return model.poiIndex;
}

/** The fit options the command line sets. */
function fitOptions(args: CliArgs): { restarts: boolean; maxIter?: number } {
  return args.maxIter === null
    ? { restarts: args.restarts }
    : { restarts: args.restarts, maxIter: args.maxIter };
}

function runFit(model: Model, args: CliArgs): Computed {
  const data = model.observed;
  if (args.mu !== null) requirePoi(model, "fit");
  const o = fitOptions(args);
  const r = args.mu === null ? fit(data, model, o) : fixedPoiFit(args.mu, data, model, o);
  const poi = model.poiIndex;
  return {
    metric: {
      twice_nll: n(r.twiceNll),
      nll: n(r.nll),
      poi_hat: poi === null ? null : n(r.bestfit[poi]),
      bestfit: byLabel(model, r.bestfit.map((v) => n(v)!)),
      iterations: r.iterations,
      edm: n(r.edm),
      start: r.start,
      at_kink: model.parLabels.filter((_, i) => r.atKink[i]),
      minima: r.minima?.map((m) => ({
        start: m.start,
        twice_nll: n(m.twiceNll),
        converged: m.converged,
      })) ?? null,
    },
    uncertainty: {
      poi: poi === null || r.fixed[poi] ? null : n(r.uncertainties[poi]),
      bestfit: Object.fromEntries(model.parLabels.map((l, i) => [l, n(r.uncertainties[i])])),
    },
    converged: r.converged,
    warnings: r.warnings,
    figures: args.plot === null ? undefined : fitFigures(model, r),
  };
}

function runRanking(model: Model, args: CliArgs, progress: Progress): Computed {
  requirePoi(model, "ranking");
  const task = progressTask(progress, "ranking: refits");
  const r = ranking(model.observed, model, {
    fitOptions: fitOptions(args),
    onProgress: task.onProgress,
  });
  task.done();
  return {
    metric: {
      poi_hat: n(r.poiBestfit),
      refits: r.refits,
      impacts: r.impacts.map((i) => ({
        label: i.label,
        bestfit: n(i.bestfit),
        postfit_up: n(i.postfit.up),
        postfit_down: n(i.postfit.down),
        prefit_up: i.prefit ? n(i.prefit.up) : null,
        prefit_down: i.prefit ? n(i.prefit.down) : null,
        impact: n(i.impact),
        pull: n(i.pull),
        constraint: n(i.constraint),
      })),
    },
    uncertainty: {
      poi: n(r.poiUncertainty),
      postfit: Object.fromEntries(r.impacts.map((i) => [i.label, n(i.postfitUncertainty)])),
      prefit: Object.fromEntries(r.impacts.map((i) => [i.label, n(i.prefitUncertainty)])),
    },
    converged: r.converged,
    warnings: r.warnings,
    figures: args.plot === null ? undefined : [rankingFigure(r)],
  };
}

function band(
  v: readonly number[],
): { one_sigma: (number | null)[]; two_sigma: (number | null)[] } {
  return { one_sigma: [n(v[1]), n(v[3])], two_sigma: [n(v[0]), n(v[4])] };
}

/**
 * The toy settings of hypotest / upper-limit and one progress line on stderr for all their toys
 * (`total`: toys in all, when known); call the second element when the command is done.
 */
/** Toy options of hypotest / upper-limit, with their progress on the command's progress bar. */
function toyOptions(args: CliArgs, what: string, progress: Progress) {
  if (args.calctype !== "toybased") return [{}, () => {}] as const;
  const task = progressTask(progress, `${what}: toys`);
  const opts = {
    calctype: "toybased" as const,
    ntoys: args.ntoys ?? 2000,
    seed: args.seed ?? 0,
    onToyProgress: task.onProgress,
  };
  return [opts, () => task.done()] as const;
}

function runHypotest(model: Model, args: CliArgs, progress: Progress): Computed {
  requirePoi(model, "hypotest");
  const mu = args.mu ?? 1;
  const testStat = (args.testStat ?? "qtilde") as "qtilde" | "q";
  const [toys, toysDone] = toyOptions(args, "hypotest", progress);
  const r = hypotest(mu, model.observed, model, {
    testStat,
    returnTail: true,
    returnExpectedSet: true,
    ...fitOptions(args),
    ...toys,
  });
  toysDone();
  const exp = r.clsExpectedSet!;
  return {
    metric: {
      cls_obs: n(r.cls),
      clsb_obs: n(r.clsb),
      clb_obs: n(r.clb),
      cls_exp: exp.map(n),
      q_obs: n(r.q),
      q_asimov: "qA" in r ? n(r.qA) : null,
    },
    uncertainty: { cls_exp: band(exp) },
    converged: r.converged,
    warnings: [...r.warnings, ...r.notes],
  };
}

function runUpperLimit(model: Model, args: CliArgs, progress: Progress): Computed {
  requirePoi(model, "upper-limit");
  const level = args.level ?? 0.05;
  const task = progressTask(progress, args.scan ? "upper-limit: scan" : "upper-limit: hypotests");
  const [toys, toysDone] = toyOptions(args, "upper-limit", progress);
  const r = upperLimit(model.observed, model, {
    level,
    testStat: (args.testStat ?? "qtilde") as "qtilde" | "q",
    ...(args.scan ? { scan: args.scan } : {}),
    ...(args.bracket ? { poiRange: args.bracket } : {}),
    onProgress: task.onProgress,
    ...fitOptions(args),
    ...toys,
  });
  task.done();
  toysDone();
  return {
    metric: {
      obs_limit: n(r.obsLimit),
      exp_limits: r.expLimits.map(n),
      hypotests: r.tested.length,
      method: args.scan ? "scan" : "root finding",
      scan: args.scan,
      bracket: args.bracket,
      curve: {
        mu: r.curve.mu,
        cls_obs: r.curve.cls.map(n),
        cls_exp: r.curve.clsExpected.map((v) => v.map(n)),
      },
    },
    uncertainty: { exp_limits: band(r.expLimits) },
    converged: r.converged,
    warnings: r.warnings,
    figures: args.plot === null ? undefined : [brazilFigure(r.curve, level, model.poiName!)],
  };
}

function runSignificance(model: Model, args: CliArgs): Computed {
  requirePoi(model, "significance");
  const r = discoverySignificance(model.observed, model, fitOptions(args));
  return {
    metric: {
      q0: n(r.q0),
      z0_obs: n(r.z0),
      p0_obs: n(r.p0),
      z0_exp: n(r.z0Expected),
      p0_exp: n(r.p0Expected),
      z0_exp_set: r.z0ExpectedSet.map(n),
      p0_exp_set: r.p0ExpectedSet.map(n),
    },
    uncertainty: { z0_exp: band(r.z0ExpectedSet), p0_exp: band(r.p0ExpectedSet) },
    converged: r.converged,
    warnings: r.warnings,
  };
}

/**
 * Runs one command and returns its report (throws {@link InputError} on bad input or a failed
 * computation).
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * import { runCommand } from "./commands.ts";
 * const report = await runCommand(parseArgs(["fit", "workspace.json"]));
 * console.log(report.metric.twice_nll, report.status.converged);
 * ```
 */
export async function runCommand(
  args: CliArgs,
  opts: { progress?: ProgressSink } = {},
): Promise<Report> {
  const command = args.command!;
  const progress = new Progress(args.progress ? opts.progress ?? silentSink() : silentSink());
  const t0 = performance.now();
  const model = await loadModel(args.workspace!, args.measurement, args.interp);
  const t1 = performance.now();
  let c: Computed;
  try {
    const run: Record<Command, () => Computed> = {
      fit: () => runFit(model, args),
      hypotest: () => runHypotest(model, args, progress),
      "upper-limit": () => runUpperLimit(model, args, progress),
      significance: () => runSignificance(model, args),
      ranking: () => runRanking(model, args, progress),
    };
    c = run[command]();
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${command} failed: ${oneLine(e)}`);
  }
  const t2 = performance.now();
  const plots = args.plot === null ? [] : await plotFiles(args.plot, c.figures ?? []);
  const settings: Report["settings"] = {
    interpolation: { ...model.interpolation },
    mu: command === "hypotest" ? (args.mu ?? 1) : command === "fit" ? args.mu : null,
    test_stat: command === "hypotest" || command === "upper-limit"
      ? (args.testStat ?? "qtilde")
      : command === "significance"
      ? "q0"
      : null,
    level: command === "upper-limit" ? (args.level ?? 0.05) : null,
    ...toySettings(command, args),
  };
  return {
    schema: "zgrad-cli/1",
    command,
    workspace: args.workspace!,
    measurement: model.measurement,
    poi: model.poiName,
    settings,
    metric: c.metric,
    uncertainty: c.uncertainty,
    timing: {
      load_s: (t1 - t0) / 1000,
      compute_s: (t2 - t1) / 1000,
      total_s: (t2 - t0) / 1000,
    },
    status: { converged: c.converged, warnings: [...model.warnings, ...c.warnings] },
    plots,
    provenance: await provenance(),
  };
}

/** Writes the figures into `dir` (relative to where the task started); the paths as given. */
async function plotFiles(dir: string, figures: readonly Figure[]): Promise<string[]> {
  try {
    await writeFigures(resolvePath(dir), figures);
  } catch (e) {
    throw new InputError(`cannot write plots to ${JSON.stringify(dir)}: ${oneLine(e)}`);
  }
  const base = dir.replace(/[\\/]+$/, "") || ".";
  return figures.map((f) => `${base}/${f.name}`);
}

/** The `calctype`, `ntoys` and `seed` of a report's settings (hypotest, upper-limit). */
function toySettings(command: Command, args: CliArgs): Partial<Report["settings"]> {
  if (command !== "hypotest" && command !== "upper-limit") return {};
  const toyBased = args.calctype === "toybased";
  return {
    calctype: args.calctype,
    ntoys: toyBased ? args.ntoys ?? 2000 : null,
    seed: toyBased ? args.seed ?? 0 : null,
  };
}
