/**
 * The command line of `zgrad` (`cli.ts`): a small hand-written parser. Grammar:
 * `zgrad <command> WORKSPACE.json [--flag value | --flag=value | --switch]...`; flags may come
 * before or after the workspace. Anything unknown, missing or malformed is a {@link UsageError}
 * with a one-line message.
 *
 * @module
 */

import type { Interpolation } from "../model.ts";
import {
  HISTOSYS_CODES,
  type HistosysCode,
  NORMSYS_CODES,
  type NormsysCode,
} from "../modifiers/interp.ts";

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
 * Interpolation presets accepted by `--interp` (besides an explicit `NORMSYS,HISTOSYS` pair).
 *
 * @example
 * ```ts
 * import { INTERP_PRESETS } from "./args.ts";
 * console.log(Object.keys(INTERP_PRESETS)); // ["pyhf", "root"]
 * ```
 */
export const INTERP_PRESETS: Readonly<Record<string, Interpolation>> = {
  pyhf: { normsys: "code4", histosys: "code4p" },
  root: { normsys: "code1", histosys: "code0" },
};

/**
 * A parsed command line.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * const a = parseArgs(["fit", "ws.json", "--interp", "root"]);
 * console.log(a.command, a.workspace, a.interp); // fit ws.json { normsys: "code1", histosys: "code0" }
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
  /** `--interp` (default `pyhf`: normsys code4, histosys code4p, as `pyhf.Workspace.model()`). */
  interp: Interpolation;
  /** `--strict`: a fit that does not converge is an error (exit 1). */
  strict: boolean;
  /** `--restarts`: refit from pyhf's suggested init and from the free fit; keep the best. */
  restarts: boolean;
  /** `--max-iter N`: Newton iterations per fit (default 200). */
  maxIter: number | null;
  /** `--level`: the CLs level of `upper-limit` (default 0.05, a 95% CL limit). */
  level: number | null;
  /**
   * `--scan START:STOP:COUNT` (COUNT points from START to STOP, numpy's `linspace`) or
   * `--scan X1,X2,...`: upper-limit by interpolating CLs on these POI values (pyhf's
   * `upper_limit(scan=...)`).
   */
  scan: number[] | null;
  /** `--bracket LO,HI`: the initial root-finding interval of upper-limit (default: POI bounds). */
  bracket: [number, number] | null;
  /** `--plot DIR`: write the command's plots (SVG) into DIR. */
  plot: string | null;
  /** False with `--no-progress`: no progress bar on stderr. */
  progress: boolean;
  /** `--calctype`: `asymptotics` (default) or `toybased` (hypotest, upper-limit). */
  calctype: "asymptotics" | "toybased";
  /** `--ntoys N`: toys per hypothesis with `--calctype toybased` (default 2000, as pyhf). */
  ntoys: number | null;
  /** `--seed S`: seed of the toys (default 0). */
  seed: number | null;
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
  fit: ["mu", "plot"],
  hypotest: ["mu", "test-stat", "calctype", "ntoys", "seed"],
  "upper-limit": ["test-stat", "level", "scan", "bracket", "plot", "calctype", "ntoys", "seed"],
  significance: ["test-stat"],
  ranking: ["plot"],
};

/** Flags every command takes. */
const GENERAL = ["measurement", "interp", "max-iter"];

const VALUE_FLAGS = [
  "mu",
  "test-stat",
  "measurement",
  "interp",
  "level",
  "max-iter",
  "scan",
  "bracket",
  "plot",
  "calctype",
  "ntoys",
  "seed",
] as const;
const CALCTYPES = ["asymptotics", "toybased"] as const;
const SWITCHES = ["json", "help", "version", "strict", "restarts", "no-progress"] as const;

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
  const out = defaultArgs();
  const { given, positional } = readFlags(argv, out);
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
  checkFlagsOf(out.command, given, out);
  return out;
}

/** A command line with nothing given: every default. */
function defaultArgs(): CliArgs {
  return {
    command: null,
    workspace: null,
    mu: null,
    testStat: null,
    measurement: null,
    interp: INTERP_PRESETS.pyhf,
    strict: false,
    restarts: false,
    maxIter: null,
    level: null,
    scan: null,
    bracket: null,
    plot: null,
    progress: true,
    calctype: "asymptotics",
    ntoys: null,
    seed: null,
    json: false,
    help: false,
    version: false,
  };
}

/**
 * Reads the switches and flags of `argv` into `out`, in order (so that the first bad one is the
 * one reported). Returns the flags given (by name) and the positional arguments.
 */
function readFlags(
  argv: readonly string[],
  out: CliArgs,
): { given: Set<string>; positional: string[] } {
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
    if (isSwitch(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      setSwitch(out, name);
      continue;
    }
    if (!isValueFlag(name)) throw new UsageError(`unknown option ${JSON.stringify(`--${name}`)}`);
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
    setFlag(out, name, value);
  }
  return { given, positional };
}

type Switch = (typeof SWITCHES)[number];
type ValueFlag = (typeof VALUE_FLAGS)[number];

function isSwitch(name: string): name is Switch {
  return SWITCHES.some((s) => s === name);
}

function isValueFlag(name: string): name is ValueFlag {
  return VALUE_FLAGS.some((f) => f === name);
}

/** Sets what switch `name` turns on (or off, for `--no-progress`). */
function setSwitch(out: CliArgs, name: Switch): void {
  if (name === "no-progress") out.progress = false;
  else out[name] = true;
}

/** Parses the value of flag `name` into its field of `out`. */
function setFlag(out: CliArgs, name: ValueFlag, value: string): void {
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
      out.interp = interpolation(value);
      break;
    case "scan":
      out.scan = scanValues(value);
      break;
    case "bracket":
      out.bracket = bracketValues(value);
      break;
    case "plot":
      if (value.trim() === "") throw new UsageError("--plot needs a directory");
      out.plot = value;
      break;
    case "max-iter":
      out.maxIter = positiveInteger(name, value);
      break;
    case "calctype":
      out.calctype = oneOf(name, value, CALCTYPES);
      break;
    case "ntoys":
      out.ntoys = positiveInteger(name, value);
      break;
    case "seed": {
      const k = finite(name, value);
      if (!(Number.isInteger(k) && k >= 0 && k <= 0xffffffff)) {
        throw new UsageError(`--seed must be an integer in [0, 2^32), got ${value}`);
      }
      out.seed = k;
      break;
    }
  }
}

function positiveInteger(flag: string, v: string): number {
  const k = finite(flag, v);
  if (!(Number.isInteger(k) && k >= 1)) {
    throw new UsageError(`--${flag} must be a positive integer, got ${v}`);
  }
  return k;
}

/** The test statistics each command takes with `--test-stat`. */
const TEST_STATS_OF: Record<Command, readonly TestStatName[]> = {
  fit: [],
  hypotest: ["qtilde", "q"],
  "upper-limit": ["qtilde", "q"],
  significance: ["q0"],
  ranking: [],
};

/**
 * Checks the flags `given` against `cmd` (each must be one it takes) and against each other
 * (`--scan` or `--bracket`; toy settings need the toy calculator; the test statistic of the
 * command).
 */
function checkFlagsOf(cmd: Command, given: Set<string>, out: CliArgs): void {
  for (const f of given) {
    if (GENERAL.includes(f)) continue;
    if (!ACCEPTS[cmd].includes(f)) {
      throw new UsageError(`${cmd} does not take --${f}`);
    }
  }
  if (out.scan !== null && out.bracket !== null) {
    throw new UsageError(
      "--scan and --bracket exclude each other (a scan interpolates, a bracket " +
        "starts the root finding)",
    );
  }
  if ((out.ntoys !== null || out.seed !== null) && out.calctype !== "toybased") {
    throw new UsageError(`--${out.ntoys !== null ? "ntoys" : "seed"} needs --calctype toybased`);
  }
  if (out.testStat !== null && !TEST_STATS_OF[cmd].includes(out.testStat)) {
    throw new UsageError(
      `${cmd}: --test-stat must be ${TEST_STATS_OF[cmd].join(" or ")}, got ${out.testStat}`,
    );
  }
}

/** `START:STOP:COUNT` (numpy's linspace, both ends included) or a comma-separated list. */
function scanValues(v: string): number[] {
  const bad = (why: string) =>
    new UsageError(
      `--scan expects START:STOP:COUNT (e.g. 0:5:51) or X1,X2,..., ${why}: ${JSON.stringify(v)}`,
    );
  let xs: number[];
  if (v.includes(":")) {
    const parts = v.split(":");
    if (parts.length !== 3) throw bad("three fields needed");
    const [a, b, n] = parts.map((p) => (p.trim() === "" ? NaN : Number(p)));
    if (!Number.isFinite(a) || !Number.isFinite(b)) throw bad("START and STOP must be numbers");
    if (!(Number.isInteger(n) && n >= 2)) throw bad("COUNT must be an integer >= 2");
    if (!(a < b)) throw bad("START must be below STOP");
    xs = Array.from({ length: n }, (_, i) => (i === n - 1 ? b : a + ((b - a) * i) / (n - 1)));
  } else {
    xs = v.split(",").map((p) => (p.trim() === "" ? NaN : Number(p)));
    if (xs.length < 2 || !xs.every(Number.isFinite)) throw bad("at least two numbers needed");
    if (!xs.every((x, i) => i === 0 || x > xs[i - 1])) throw bad("values must increase");
  }
  return xs;
}

/** `LO,HI` with LO < HI. */
function bracketValues(v: string): [number, number] {
  const xs = v.split(",").map((p) => (p.trim() === "" ? NaN : Number(p)));
  if (xs.length !== 2 || !xs.every(Number.isFinite) || !(xs[0] < xs[1])) {
    throw new UsageError(`--bracket expects LO,HI with LO < HI, got ${JSON.stringify(v)}`);
  }
  return [xs[0], xs[1]];
}

function interpolation(v: string): Interpolation {
  if (Object.hasOwn(INTERP_PRESETS, v)) return INTERP_PRESETS[v];
  const [n, h, extra] = v.split(",");
  const ns = NORMSYS_CODES as readonly string[], hs = HISTOSYS_CODES as readonly string[];
  if (extra !== undefined || !ns.includes(n) || !hs.includes(h)) {
    throw new UsageError(
      `--interp must be pyhf, root or NORMSYS,HISTOSYS (normsys ${ns.join("|")}, histosys ${
        hs.join("|")
      }), got ${JSON.stringify(v)}`,
    );
  }
  return { normsys: n as NormsysCode, histosys: h as HistosysCode };
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
  hypotest       CLs at --mu (default 1): observed CLs, CLsb, CLb, expected band
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
  --scan A:B:N           upper-limit: interpolate CLs on N POI values from A to B (or a list
                         X1,X2,...), as pyhf's upper_limit(scan=...)
  --bracket LO,HI        upper-limit: start the root finding on [LO, HI] (default: POI bounds;
                         widened as pyhf does when it does not bracket the limits)
  --calctype TYPE        hypotest / upper-limit: asymptotics (default) or toybased (pyhf's
                         ToyCalculator; toys fitted in batches, progress on stderr)
  --ntoys N              toys per hypothesis with --calctype toybased (default 2000)
  --seed S               seed of the toys (default 0; the same seed gives the same numbers)
  --measurement NAME     measurement in the workspace (default: the first)
  --interp CODES         interpolation: pyhf = normsys code4, histosys code4p (default, as
                         pyhf's Workspace.model() and CLI); root = code1 / code0; or a pair
                         NORMSYS,HISTOSYS (normsys code0|code1|code2|code4, histosys
                         code0|code2|code4|code4p), e.g. code2,code0
  --strict               a fit that does not converge is an error (exit 1)
  --max-iter N           Newton iterations per fit (default 200)
  --restarts             refit from pyhf's suggested init and from the free fit, keep the
                         lowest minimum, and report every minimum found (multimodal models)
  --plot DIR             write SVG plots into DIR: fit -> pulls, pre-/post-fit yields per
                         channel; upper-limit -> Brazil band; ranking -> impact ranking
  --no-progress          no progress bar on stderr (upper-limit, ranking)
  --json                 print one JSON document (metric, uncertainty, timing, status, provenance)
  -h, --help             this text (zgrad <command> --help: that command's options)
  --version              zgrad version

exit codes: 0 ok (check status.converged), 1 bad input or failed computation, 2 bad command line`;

const TOY_FLAGS = [
  "  --calctype TYPE        asymptotics (default) or toybased (pyhf's ToyCalculator)",
  "  --ntoys N              toys per hypothesis with toybased (default 2000)",
  "  --seed S               seed of the toys (default 0)",
];

const COMMAND_HELP: Record<Command, { what: string; pyhf: string; flags: string[] }> = {
  fit: {
    what: "maximum-likelihood fit: best-fit values, uncertainties, -2 log L, convergence",
    pyhf: "pyhf fit (pyhf.infer.mle.fit / fixed_poi_fit)",
    flags: [
      "  --mu X                 fit with the POI fixed at X (a conditional fit)",
      "  --plot DIR             pulls.svg (pulls and constraints), prefit_<channel>.svg and",
      "                         postfit_<channel>.svg (stacked yields, data, uncertainty band)",
    ],
  },
  hypotest: {
    what: "CLs at a POI value (asymptotic or from toys): observed CLs, CLsb, CLb, expected band",
    pyhf: "pyhf cls (pyhf.infer.hypotest, return_tail_probs, return_expected_set)",
    flags: [
      "  --mu X                 the tested POI value (default 1; must be within the POI bounds)",
      "  --test-stat NAME       qtilde (default) or q",
      ...TOY_FLAGS,
    ],
  },
  "upper-limit": {
    what: "upper limit on the POI at CL 1 - level: observed and the 5-value expected band",
    pyhf: "pyhf.infer.intervals.upper_limits.upper_limit (toms748 root finding)",
    flags: [
      "  --level A              CLs level (default 0.05, a 95% CL limit)",
      "  --test-stat NAME       qtilde (default) or q",
      "  --scan A:B:N           interpolate CLs on N POI values from A to B (or X1,X2,...),",
      "                         as pyhf's upper_limit(scan=...); the JSON has the CLs curve",
      "  --bracket LO,HI        start the root finding on [LO, HI] (default: the POI bounds)",
      "  --plot DIR             brazil.svg: CLs against the POI, observed and expected bands",
      "  --no-progress          no progress bar on stderr",
      ...TOY_FLAGS,
    ],
  },
  significance: {
    what: "discovery significance: observed and expected Z0 and p0 (q0, Asimov at mu' = 1)",
    pyhf: 'pyhf.infer.hypotest(0, ..., test_stat="q0")',
    flags: ["  --test-stat NAME       q0 (the only one)"],
  },
  ranking: {
    what: "impacts of every nuisance parameter on the POI (pre- and post-fit), sorted",
    pyhf: "no pyhf command (cabinetry.fit.ranking)",
    flags: [
      "  --plot DIR             ranking.svg: pre-/post-fit impacts as bars, sorted, with pulls",
      "  --no-progress          no progress bar on stderr",
    ],
  },
};

/**
 * The `--help` text of one command.
 *
 * @example
 * ```ts
 * import { commandUsage } from "./args.ts";
 * console.log(commandUsage("hypotest"));
 * ```
 */
export function commandUsage(c: Command): string {
  const h = COMMAND_HELP[c];
  return [
    `usage: zgrad ${c} WORKSPACE.json [options]     (WORKSPACE.json "-": read stdin)`,
    "",
    `${h.what}`,
    `pyhf equivalent: ${h.pyhf}`,
    "",
    "options:",
    ...h.flags,
    "  --measurement NAME     measurement in the workspace (default: the first)",
    "  --interp CODES         pyhf (default: normsys code4, histosys code4p), root (code1 /",
    "                         code0) or NORMSYS,HISTOSYS, e.g. code2,code0",
    "  --strict               a fit that does not converge is an error (exit 1)",
    "  --max-iter N           Newton iterations per fit (default 200)",
    "  --restarts             refit from pyhf's suggested init and the free fit; keep the best",
    "  --json                 one JSON document (metric, uncertainty, timing, status, provenance)",
    "  -h, --help             this text",
  ].join("\n");
}
