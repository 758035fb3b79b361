/**
 * The CLI's commands: load a pyhf workspace, run one computation of the statistics layer
 * (imported from `stats/mod.ts`), and describe the outcome as a {@link Report} — the stable JSON
 * document printed by `--json` — which {@link formatReport} renders as tables.
 *
 * JSON document (`schema: "zgrad-cli/1"`; numbers that are not available are `null`):
 * - `command`, `workspace`, `measurement`, `poi`, `settings` (interpolation codes, `mu`,
 *   `test_stat`, `level` where they apply; hypotest and upper-limit also `calctype`, `ntoys`,
 *   `seed`, the last two null without toys);
 * - `metric`: the command's results (see each command in docs/stats.md); 5-value expected bands
 *   (`cls_exp`, `exp_limits`, `z0_exp_set`, `p0_exp_set`) are in pyhf's order, b-only
 *   test-statistic shifts [2, 1, 0, −1, −2] σ (CLs, limits and p0 ascend, Z0 descends);
 * - `uncertainty`: their uncertainties where defined (fit: per parameter; ranking: σ̂ and σ₀);
 * - `timing`: `load_s` (read, validate, build the model), `compute_s`, `total_s`;
 * - `status`: `converged` (every fit involved met its criterion) and `warnings`;
 * - `plots`: the SVG files written with `--plot DIR` (else empty);
 * - `provenance`: `zgrad_version`, `git_commit` (or null), `device` "cpu", `dtype` "float64",
 *   `runtime`.
 *
 * @module
 */
import {
  discoverySignificance,
  fit,
  fixedPoiFit,
  fromPyhf,
  hypotest,
  type Model,
  parseWorkspace,
  ranking,
  upperLimit,
} from "../mod.ts";
import type { Interpolation } from "../model.ts";
import { Progress, type ProgressSink, progressTask, silentSink } from "../../progress/mod.ts";
import type { CliArgs, Command } from "./args.ts";
import { num, table } from "./format.ts";
import { brazilFigure, type Figure, fitFigures, rankingFigure, writeFigures } from "./plots.ts";
import { type Provenance, provenance } from "./provenance.ts";
import { decodeUtf8 } from "./utf8.ts";

/**
 * Bad input or a failed computation (exit code 1), with a one-line message.
 *
 * @example
 * ```ts
 * import { InputError, loadModel } from "./commands.ts";
 * try { await loadModel("missing.json", null); }
 * catch (e) { console.log(e instanceof InputError, (e as Error).message); }
 * ```
 */
export class InputError extends Error {
  /** An input error saying `message`. */
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/**
 * The stable JSON document of one CLI run (see the module doc).
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * import { runCommand } from "./commands.ts";
 * const r = await runCommand(parseArgs(["hypotest", "ws.json"]));
 * console.log(r.metric.cls_obs, r.status.converged, r.provenance.git_commit);
 * ```
 */
export interface Report {
  /** Format version of this document. */
  schema: "zgrad-cli/1";
  /** The command run. */
  command: Command;
  /** The workspace path as given. */
  workspace: string;
  /** The measurement used. */
  measurement: string;
  /** The parameter of interest (null if the measurement has none). */
  poi: string | null;
  /** Settings the result depends on. */
  settings: {
    /** Interpolation codes used. */
    interpolation: { normsys: string; histosys: string };
    /** POI value (hypotest; fit with a fixed POI), else null. */
    mu: number | null;
    /** Test statistic (hypotest, upper-limit, significance), else null. */
    test_stat: string | null;
    /** CLs level (upper-limit), else null. */
    level: number | null;
    /** hypotest, upper-limit: `asymptotics` or `toybased` (absent for other commands). */
    calctype?: "asymptotics" | "toybased";
    /** hypotest, upper-limit: toys per hypothesis (toybased), else null. */
    ntoys?: number | null;
    /** hypotest, upper-limit: seed of the toys (toybased), else null. */
    seed?: number | null;
  };
  /** The results. */
  metric: Record<string, unknown>;
  /** Their uncertainties, where defined. */
  uncertainty: Record<string, unknown>;
  /** Wall-clock seconds. */
  timing: { load_s: number; compute_s: number; total_s: number };
  /** Convergence and warnings. */
  status: { converged: boolean; warnings: string[] };
  /** SVG files written with `--plot DIR` (empty without). */
  plots: string[];
  /** Version, commit, device, dtype. */
  provenance: Provenance;
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n").map((s) => s.trim()).filter(Boolean).join("; ");
}

/**
 * Reads a CLI input file (`"-"`: stdin) as UTF-8 text; unreadable files and invalid UTF-8 (with
 * the byte offset) are {@link InputError}s naming `what` and the path.
 *
 * @example
 * ```ts ignore
 * import { readInputText } from "./commands.ts";
 * const text = await readInputText("patchset.json", "patchset");
 * ```
 */
export async function readInputText(path: string, what: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = path === "-"
      ? new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer())
      : await Deno.readFile(resolvePath(path));
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file"
      : e instanceof Deno.errors.IsADirectory
      ? "is a directory"
      : e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? "permission denied (run with --allow-read)"
      : oneLine(e);
    throw new InputError(`cannot read ${what} ${JSON.stringify(path)}: ${why}`);
  }
  try {
    return decodeUtf8(bytes, `${what} ${JSON.stringify(path)}`);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

/**
 * Reads (`"-"`: from stdin), validates and builds the model. Every failure is an
 * {@link InputError}.
 *
 * @example
 * ```ts
 * import { loadModel } from "./commands.ts";
 * const model = await loadModel("workspace.json", null); // pyhf's interpolation codes
 * ```
 */
export async function loadModel(
  path: string,
  measurement: string | null,
  interp?: Interpolation,
): Promise<Model> {
  const text = await readInputText(path, "workspace");
  try {
    const ws = parseWorkspace(text);
    return fromPyhf(ws, {
      measurement: measurement ?? undefined,
      modifierSettings: interp && {
        normsys: { interpcode: interp.normsys },
        histosys: { interpcode: interp.histosys },
      },
    });
  } catch (e) {
    throw new InputError(`invalid workspace ${JSON.stringify(path)}: ${oneLine(e)}`);
  }
}

/**
 * `deno task` runs in the directory of deno.json; a relative path is taken relative to where the
 * task was started (`INIT_CWD`, which deno task and npm set), else to the working directory.
 *
 * @example
 * ```ts ignore
 * import { resolvePath } from "./commands.ts";
 * await Deno.readTextFile(resolvePath("workspace.json"));
 * ```
 */
export function resolvePath(path: string): string {
  if (path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)) return path;
  let base: string | undefined;
  try {
    base = Deno.env.get("INIT_CWD");
  } catch {
    base = undefined; // no env permission
  }
  return base ? `${base.replace(/[\\/]+$/, "")}/${path}` : path;
}

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

/** How the CLs values were computed, for table headers. */
function calcLabel(s: Report["settings"]): string {
  return s.calctype === "toybased"
    ? `${s.ntoys} toys per hypothesis, seed ${s.seed}`
    : "asymptotics";
}

// deno-lint-ignore no-explicit-any
type Json = any;

/**
 * A 5-value expected band as a table, in pyhf's order (b-only test-statistic shifts
 * [2, 1, 0, −1, −2]): labelled −2σ … +2σ for CLs and limits (ascending), +2σ … −2σ for Z0.
 */
function bandTable(what: string, v: readonly (number | null)[], descending = false): string {
  const names = ["-2σ", "-1σ", "median", "+1σ", "+2σ"];
  if (descending) names.reverse();
  return table([what, ...names], [["", ...v.map(num)]]).split("\n").map((l) => l.trimEnd())
    .join("\n");
}

/**
 * The human-readable rendering of a report: a header line, the command's table(s), and a status
 * line (warnings included).
 *
 * @example
 * ```ts
 * import { formatReport, runCommand } from "./commands.ts";
 * import { parseArgs } from "./args.ts";
 * console.log(formatReport(await runCommand(parseArgs(["fit", "workspace.json"]))));
 * ```
 */
export function formatReport(r: Report): string {
  const m: Json = r.metric, u: Json = r.uncertainty;
  const out: string[] = [];
  const interp =
    `normsys ${r.settings.interpolation.normsys}, histosys ${r.settings.interpolation.histosys}`;
  out.push(
    `zgrad ${r.command}: ${r.workspace} (measurement ${JSON.stringify(r.measurement)}, POI ${
      r.poi === null ? "none" : JSON.stringify(r.poi)
    }, ${interp})`,
    "",
  );
  switch (r.command) {
    case "fit": {
      if (r.settings.mu !== null) out.push(`POI fixed at ${r.poi} = ${r.settings.mu}`, "");
      const labels = Object.keys(m.bestfit);
      out.push(table(
        ["parameter", "best fit", "uncertainty"],
        labels.map((l) => [l, num(m.bestfit[l]), num(u.bestfit[l])]),
      ));
      out.push(
        "",
        `-2 log L = ${num(m.twice_nll)}   (${m.iterations} iterations, EDM ${num(m.edm)}, ` +
          `started from ${m.start})`,
      );
      if (m.at_kink.length) out.push(`at an interpolation kink: ${m.at_kink.join(", ")}`);
      if (m.minima) {
        out.push(
          `minima found (--restarts): ${
            m.minima.map((x: Json) => `${num(x.twice_nll)} from ${x.start}`).join("; ")
          }`,
        );
      }
      break;
    }
    case "ranking": {
      out.push(
        `${r.poi} = ${num(m.poi_hat)} ± ${num(u.poi)}`,
        `up/down: Δ${r.poi} with the parameter fixed at θ̂ ± σ (post: σ̂, pre: σ₀); sorted by ` +
          `impact = (|post up| + |post down|)/2, largest first`,
        "",
      );
      out.push(table(
        ["parameter", "impact", "post up", "post down", "pre up", "pre down", "pull", "constraint"],
        m.impacts.map((i: Json) => [
          i.label,
          num(i.impact),
          num(i.postfit_up),
          num(i.postfit_down),
          num(i.prefit_up),
          num(i.prefit_down),
          num(i.pull),
          num(i.constraint),
        ]),
      ));
      out.push("", `${m.refits} refits`);
      break;
    }
    case "hypotest": {
      const s = r.settings;
      out.push(`CLs for ${r.poi} = ${s.mu} (test statistic ${s.test_stat}, ${calcLabel(s)})`, "");
      out.push(table(["", "observed"], [
        ["CLs", num(m.cls_obs)],
        ["CLsb", num(m.clsb_obs)],
        ["CLb", num(m.clb_obs)],
        ["q", num(m.q_obs)],
        ["q (Asimov)", num(m.q_asimov)],
      ]));
      out.push("", bandTable("expected CLs", m.cls_exp));
      break;
    }
    case "upper-limit": {
      const s = r.settings;
      out.push(
        `${(100 * (1 - s.level!)).toFixed(1)}% CL upper limit on ${r.poi} (CLs = ${s.level}, ` +
          `test statistic ${s.test_stat}, ${calcLabel(s)})`,
        "",
      );
      out.push(`observed: ${num(m.obs_limit)}`, "", bandTable("expected limit", m.exp_limits));
      const how = m.scan
        ? `CLs interpolated on a scan of ${m.scan.length} values from ${num(m.scan[0])} to ${
          num(m.scan[m.scan.length - 1])
        }`
        : `root finding${
          m.bracket ? ` from the bracket [${num(m.bracket[0])}, ${num(m.bracket[1])}]` : ""
        }`;
      out.push("", `${m.hypotests} hypothesis tests (${how}; the CLs curve is in --json)`);
      break;
    }
    case "significance": {
      out.push(`discovery significance (q0, asymptotics)`, "");
      out.push(table(["", "Z0", "p0"], [
        ["observed", num(m.z0_obs), num(m.p0_obs)],
        ["expected", num(m.z0_exp), num(m.p0_exp)],
      ]));
      out.push("", `q0 = ${num(m.q0)}`, "");
      out.push(bandTable("expected Z0", m.z0_exp_set, true));
      break;
    }
  }
  out.push(
    `${r.status.converged ? "converged" : "NOT CONVERGED"} in ${r.timing.total_s.toFixed(3)} s ` +
      `(load ${r.timing.load_s.toFixed(3)} s, compute ${r.timing.compute_s.toFixed(3)} s); ` +
      `zgrad ${r.provenance.zgrad_version}${
        r.provenance.git_commit ? ` @ ${r.provenance.git_commit.slice(0, 12)}` : ""
      }, ${r.provenance.device}, ${r.provenance.dtype}`,
  );
  if (r.plots.length) out.push(`plots: ${r.plots.join(", ")}`);
  for (const w of r.status.warnings) out.push(`warning: ${w}`);
  return out.join("\n");
}
