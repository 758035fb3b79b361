/**
 * `deno task analysis [--config FILE] [block.key=value ...]`: the Z′→tt̄ analysis in one command.
 * Builds the configuration (defaults ← `--config` ← overrides), loads the events (the data path,
 * or an injected loader), runs the path chosen by `general.analysis`, prints the summary and
 * writes the outputs into `general.outputDir`. Exit codes: 0 done, 1 failed, 2 bad command line
 * or configuration.
 *
 * @example
 * ```sh
 * deno task analysis general.analysis=nondiff general.maxFiles=2
 * ```
 *
 * @module
 */
import { resolvePath } from "../stats/cli/input.ts";
import { ConfigError, OVERRIDABLE, resolveConfig } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import type { ProcessEvents } from "./data/columns.ts";
import { loadDataset, type Loader, loadOptions } from "./input.ts";
import { runDiff } from "./diff_run.ts";
import { formatSummary } from "./metrics.ts";
import { type NondiffResult, runNondiff } from "./nondiff.ts";
import { Progress, type ProgressSink, stderrSink } from "../progress/mod.ts";

/**
 * The help text.
 *
 * @example
 * ```ts
 * import { USAGE } from "./run.ts";
 * console.log(USAGE);
 * ```
 */
export const USAGE = `Z′→tt̄ analysis (zgrad)

usage: deno task analysis [--config FILE] [block.key=value ...]

  --config FILE   a user configuration merged over the defaults: a TypeScript/JavaScript module
                  exporting \`config\` (or a default export; functions allowed), or JSON / YAML
                  (plain values). Objects merge key by key; arrays and functions are replaced.
  -h, --help      this text

Overrides (applied last) set one key of the blocks ${OVERRIDABLE.join(", ")}:
  general.analysis=nondiff          values are parsed as JSON where possible,
  general.maxFiles=2                else taken as a string
  general.processes='["signal","wjets"]'
  statistics.lumiUncertainty=0.03
Other blocks hold functions or structure: set them in a --config file.

Configuration blocks:
  general            lumi (/pb), weightsBranch, analysis (nondiff | diff | both), maxFiles,
                     run* switches, readFromCache, outputDir, cacheDir, fileset, processes,
                     channels, device (cpu | webgpu), onError (fail | skip)
  preprocess         branches to keep per collection, skim (cuts ANDed, or a function)
  goodObjectMasks    per-collection object masks: analysis and mva variants
  baselineSelection  event selection applied before the channels
  channels           name, selection, observables (binning, function), fitObservable, useInDiff
  ghostObservables   per-event quantities computed once (MVA inputs)
  corrections        nominal object/event corrections (event ones may have up/down)
  systematics        object | event (mult/add, up/down functions) | normalisation (up, down)
  mva                the W+jets vs tt̄ network (layers, training, features)
  optimisation       the differentiable path's parameters, clamps and learning rates
  statistics         measurement, POI, signal samples, lumi uncertainty, staterror, shape
                     systematics (split | histosys), interpolation (pyhf | root), CLs settings
  plotting           colours, labels, order, png

Outputs in general.outputDir: the pyhf workspace, metrics.json, plots/*.svg. See docs/analysis.md.`;

/**
 * A parsed command line.
 *
 * @example
 * ```ts
 * import { parseRunArgs } from "./run.ts";
 * parseRunArgs(["--config", "my.yaml", "general.maxFiles=1"]);
 * ```
 */
export interface RunArgs {
  /** Show the help. */
  help: boolean;
  /** User config file. */
  config: string | null;
  /** Overrides in order. */
  overrides: string[];
}

/**
 * Parses the command line (a {@link ConfigError} for anything unknown).
 *
 * @example
 * ```ts
 * import { parseRunArgs } from "./run.ts";
 * parseRunArgs(["general.analysis=nondiff"]).overrides; // ["general.analysis=nondiff"]
 * ```
 */
export function parseRunArgs(argv: readonly string[]): RunArgs {
  const out: RunArgs = { help: false, config: null, overrides: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") out.help = true;
    else if (a === "--config") {
      if (i + 1 >= argv.length) throw new ConfigError(["--config needs a file"], "command line");
      out.config = argv[++i];
    } else if (a.startsWith("--config=")) out.config = a.slice("--config=".length);
    else if (a.startsWith("-")) {
      throw new ConfigError([`unknown option ${a} (see --help)`], "command line");
    } else if (a.includes("=")) out.overrides.push(a);
    else {
      throw new ConfigError(
        [`${JSON.stringify(a)}: expected block.key=value or --config FILE (see --help)`],
        "command line",
      );
    }
  }
  return out;
}

/**
 * The differentiable path, when available (injected until it exists).
 *
 * @example
 * ```ts
 * import type { DiffRunner } from "./run.ts";
 * const diff: DiffRunner = async (cfg, events) => "Z0 = 2.1";
 * ```
 */
export type DiffRunner = (
  cfg: Config,
  events: readonly ProcessEvents[],
  progress: Progress,
) => Promise<string>;

/**
 * Options of {@link main}: injectable pieces and output streams.
 *
 * @example
 * ```ts
 * import type { RunOptions } from "./run.ts";
 * const o: RunOptions = { loader: async () => [], out: console.log };
 * ```
 */
export interface RunOptions {
  /** The data loader (default: the data path's `loadDataset`). */
  loader?: Loader;
  /** The differentiable path (default: {@link runDiff}). */
  diff?: DiffRunner;
  /** Summary output (default: stdout). */
  out?: (text: string) => void;
  /** Error output (default: stderr). */
  err?: (text: string) => void;
  /** Progress output (default: stderr). */
  progress?: ProgressSink;
  /** Receives the non-differentiable result (tests). */
  onResult?: (r: NondiffResult) => void;
}

/**
 * Runs the analysis; returns the exit code.
 *
 * @example
 * ```ts
 * import { main } from "./run.ts";
 * Deno.exit(await main(["general.analysis=nondiff"]));
 * ```
 */
export async function main(argv: readonly string[], opts: RunOptions = {}): Promise<number> {
  const out = opts.out ?? ((t: string) => console.log(t));
  const err = opts.err ?? ((t: string) => console.error(t));
  let cfg: Config;
  let args: RunArgs;
  try {
    args = parseRunArgs(argv);
    if (args.help) {
      out(USAGE);
      return 0;
    }
    cfg = await resolveConfig({
      path: args.config ? resolvePath(args.config) : undefined,
      overrides: args.overrides,
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`analysis: error: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const progress = new Progress(opts.progress ?? stderrSink());
  try {
    const mode = cfg.general.analysis;
    const diff = opts.diff ?? runDiff;
    const loader = opts.loader ?? loadDataset;
    const events = await progress.run("loading events", () => loader(loadOptions(cfg)));
    const load_s = progress.timings["loading events"];
    if (mode === "nondiff" || mode === "both") {
      const r = await runNondiff(cfg, events, progress, { load_s });
      opts.onResult?.(r);
      out(formatSummary(r.metrics));
      out(`metrics: ${r.metricsPath}`);
      if (r.metrics.plots.length) {
        out(`plots: ${r.metrics.plots.length} files in ${cfg.general.outputDir}/plots`);
      }
    }
    if (mode === "diff" || mode === "both") out(await diff(cfg, events, progress));
    return 0;
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split("\n").map((s) => s.trim())
      .filter(Boolean).join("; ");
    err(`analysis: error: ${msg}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
