/**
 * The command line of `zgrad` (`cli.ts`): a small hand-written parser. Grammar:
 * `zgrad <command> WORKSPACE.json [--flag value | --flag=value | --switch]...`; flags may come
 * before or after the workspace. Anything unknown, missing or malformed is a {@link UsageError}
 * with a one-line message.
 *
 * @module
 */

/**
 * The subcommands.
 *
 * @example
 * ```ts
 * import { COMMANDS } from "./args.ts";
 * console.log(COMMANDS.join(", "));
 * ```
 */
export const COMMANDS = ["fit", "hypotest", "upper-limit", "significance", "ranking"] as const;
/**
 * One subcommand.
 *
 * @example
 * ```ts
 * import type { Command } from "./args.ts";
 * const c: Command = "upper-limit";
 * ```
 */
export type Command = (typeof COMMANDS)[number];

/**
 * Test statistics accepted by `--test-stat`.
 *
 * @example
 * ```ts
 * import { TEST_STATS } from "./args.ts";
 * TEST_STATS.includes("qtilde"); // true
 * ```
 */
export const TEST_STATS = ["qtilde", "q", "q0"] as const;
/**
 * One test statistic.
 *
 * @example
 * ```ts
 * import type { TestStatName } from "./args.ts";
 * const t: TestStatName = "q0";
 * ```
 */
export type TestStatName = (typeof TEST_STATS)[number];

/**
 * Interpolation presets accepted by `--interp`.
 *
 * @example
 * ```ts
 * import { INTERP_PRESETS } from "./args.ts";
 * console.log(INTERP_PRESETS); // ["root", "pyhf"]
 * ```
 */
export const INTERP_PRESETS = ["root", "pyhf"] as const;
/**
 * `root`: normsys code1, histosys code0 (zgrad's default); `pyhf`: code4 / code4p.
 *
 * @example
 * ```ts
 * import type { InterpPreset } from "./args.ts";
 * const p: InterpPreset = "pyhf"; // code4 / code4p
 * ```
 */
export type InterpPreset = (typeof INTERP_PRESETS)[number];

/**
 * A parsed command line.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * const a = parseArgs(["fit", "ws.json", "--interp", "pyhf"]);
 * console.log(a.command, a.workspace, a.interp);
 * ```
 */
export interface CliArgs {
  /** What to do (null with `--help` / `--version` alone). */
  command: Command | null;
  /** Path of the pyhf JSON workspace. */
  workspace: string | null;
  /** `--mu`: POI value (hypotest: the tested value; fit: fit with the POI fixed there). */
  mu: number | null;
  /** `--test-stat`. */
  testStat: TestStatName | null;
  /** `--measurement`. */
  measurement: string | null;
  /** `--interp` (default `root`). */
  interp: InterpPreset;
  /** `--level`: the CLs level of `upper-limit` (default 0.05, a 95% CL limit). */
  level: number | null;
  /** `--json`: one JSON document on stdout instead of tables. */
  json: boolean;
  /** `--help` / `-h`. */
  help: boolean;
  /** `--version`. */
  version: boolean;
}

/**
 * A bad command line (exit code 2).
 *
 * @example
 * ```ts
 * import { parseArgs, UsageError } from "./args.ts";
 * try { parseArgs(["frobnicate"]); } catch (e) { console.log(e instanceof UsageError); } // true
 * ```
 */
export class UsageError extends Error {
  /** A usage error saying `message`. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The flags each command accepts (besides `--json`, `--measurement`, `--interp`, `--help`). */
const ACCEPTS: Record<Command, readonly string[]> = {
  fit: ["mu"],
  hypotest: ["mu", "test-stat"],
  "upper-limit": ["test-stat", "level"],
  significance: ["test-stat"],
  ranking: [],
};

const VALUE_FLAGS = ["mu", "test-stat", "measurement", "interp", "level"] as const;
const SWITCHES = ["json", "help", "version"] as const;

function finite(flag: string, v: string): number {
  const x = Number(v);
  if (v.trim() === "" || !Number.isFinite(x)) {
    throw new UsageError(`--${flag} expects a number, got ${JSON.stringify(v)}`);
  }
  return x;
}

function oneOf<T extends string>(flag: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) {
    throw new UsageError(
      `--${flag} must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`,
    );
  }
  return v as T;
}

/**
 * Parses `argv` (without the program name). Throws a {@link UsageError} on unknown commands or
 * flags, missing values, malformed numbers, a flag the command does not take, or a missing
 * workspace.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * const a = parseArgs(["hypotest", "ws.json", "--mu", "1.5", "--json"]);
 * console.log(a.command, a.mu, a.json); // "hypotest" 1.5 true
 * ```
 */
export function parseArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = {
    command: null,
    workspace: null,
    mu: null,
    testStat: null,
    measurement: null,
    interp: "root",
    level: null,
    json: false,
    help: false,
    version: false,
  };
  const given = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-h") {
      out.help = true;
      continue;
    }
    if (!arg.startsWith("--") || arg === "-") {
      if (arg.startsWith("-") && arg !== "-" && Number.isNaN(Number(arg))) {
        throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
      }
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if ((SWITCHES as readonly string[]).includes(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      out[name as (typeof SWITCHES)[number]] = true;
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(name)) {
      throw new UsageError(`unknown option ${JSON.stringify(`--${name}`)}`);
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length || (argv[i + 1].startsWith("--"))) {
        throw new UsageError(`--${name} needs a value`);
      }
      value = argv[++i];
    }
    if (given.has(name)) throw new UsageError(`--${name} given twice`);
    given.add(name);
    switch (name) {
      case "mu":
        out.mu = finite(name, value);
        break;
      case "level": {
        const l = finite(name, value);
        if (!(l > 0 && l < 1)) throw new UsageError(`--level must be in (0, 1), got ${value}`);
        out.level = l;
        break;
      }
      case "test-stat":
        out.testStat = oneOf(name, value, TEST_STATS);
        break;
      case "measurement":
        out.measurement = value;
        break;
      case "interp":
        out.interp = oneOf(name, value, INTERP_PRESETS);
        break;
    }
  }
  if (out.help || out.version) {
    if (positional.length > 0) out.command = command(positional[0]);
    return out;
  }
  if (positional.length === 0) throw new UsageError("missing command");
  out.command = command(positional[0]);
  if (positional.length < 2) throw new UsageError(`${out.command}: missing WORKSPACE.json`);
  if (positional.length > 2) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positional[2])}`);
  }
  out.workspace = positional[1];
  for (const f of given) {
    if (["measurement", "interp"].includes(f)) continue;
    if (!ACCEPTS[out.command].includes(f)) {
      throw new UsageError(`${out.command} does not take --${f}`);
    }
  }
  if (out.testStat !== null) {
    const ok: Record<Command, readonly TestStatName[]> = {
      fit: [],
      hypotest: ["qtilde", "q"],
      "upper-limit": ["qtilde", "q"],
      significance: ["q0"],
      ranking: [],
    };
    if (!ok[out.command].includes(out.testStat)) {
      throw new UsageError(
        `${out.command}: --test-stat must be ${ok[out.command].join(" or ")}, got ${out.testStat}`,
      );
    }
  }
  return out;
}

function command(c: string): Command {
  if (!(COMMANDS as readonly string[]).includes(c)) {
    throw new UsageError(`unknown command ${JSON.stringify(c)} (commands: ${COMMANDS.join(", ")})`);
  }
  return c as Command;
}

/**
 * The `--help` text.
 *
 * @example
 * ```ts
 * import { USAGE } from "./args.ts";
 * console.log(USAGE);
 * ```
 */
export const USAGE = `zgrad — pyhf-compatible statistics on zgrad (float64, CPU)

usage: zgrad <command> WORKSPACE.json [options]     (WORKSPACE.json "-": read stdin)
       deno task zgrad <command> WORKSPACE.json [options]

commands:
  fit            maximum-likelihood fit: best-fit values, uncertainties, -2 log L
                 (--mu X: the POI fixed at X, a conditional fit)
  hypotest       asymptotic CLs at --mu (default 1): observed CLs, CLsb, CLb, expected band
  upper-limit    upper limit on the POI at CL 1 - level (default level 0.05): observed and band
  significance   discovery significance (q0): observed and expected Z0, p0
  ranking        impacts of every nuisance parameter on the POI (pre- and post-fit), sorted

workspace tools (pyhf's commands and options; zgrad <tool> --help for each):
  inspect, prune, rename, combine, sort, digest, patchset apply|verify|extract|inspect
  xml2json TOP.xml [--basedir DIR]   HistFactory XML + ROOT histograms -> pyhf JSON
  json2xml WS.json [--output-dir DIR]   pyhf JSON -> HistFactory XML (histograms as JSON)

options:
  --mu X                 POI value (hypotest: tested value, default 1; fit: fixed POI)
  --test-stat NAME       qtilde (default) or q for hypotest / upper-limit; q0 for significance
  --level A              upper-limit: CLs level (default 0.05)
  --measurement NAME     measurement in the workspace (default: the first)
  --interp root|pyhf     interpolation codes: root = normsys code1, histosys code0 (default);
                         pyhf = code4 / code4p, as pyhf's Workspace.model() and pyhf's CLI
  --json                 print one JSON document (metric, uncertainty, timing, status, provenance)
  -h, --help             this text
  --version              zgrad version

exit codes: 0 ok (check status.converged), 1 bad input or failed computation, 2 bad command line`;
