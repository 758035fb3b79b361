/**
 * The `zgrad` command line: parse, run, print. Errors become one line on stderr and a non-zero
 * exit code (2 for a bad command line, 1 for bad input or a failed computation); no stack traces.
 *
 * @module
 */
import { commandUsage, parseArgs, USAGE, UsageError } from "./args.ts";
import { runCommand } from "./commands.ts";
import { InputError } from "./input.ts";
import { formatReport } from "./report.ts";
import { type ProgressSink, stderrSink } from "../../progress/mod.ts";
import { ZGRAD_VERSION } from "./provenance.ts";
import { runTool, TOOL_COMMANDS, TOOL_USAGE } from "./tools.ts";
import { runXmlTool, XML_COMMANDS, XML_USAGE } from "./xmltools.ts";

/**
 * Where {@link main} writes (stdout/stderr by default; tests may capture).
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * const lines: string[] = [];
 * const code = await main(["--version"], { out: (t) => lines.push(t), err: (t) => lines.push(t) });
 * ```
 */
export interface Io {
  /** Normal output. */
  out(text: string): void;
  /** Errors and diagnostics. */
  err(text: string): void;
  /** Progress of long work (default: stderr, a bar on a terminal, lines otherwise). */
  progress?: ProgressSink;
}

const stdio: Io = {
  out: (t) => console.log(t),
  err: (t) => console.error(t),
};

/**
 * Escapes control characters (C0, DEL, C1 — NUL included) as `\xNN`, so that an error message
 * quoting a malformed input cannot write raw control bytes to the terminal.
 *
 * @example
 * ```ts
 * import { escapeControl } from "./main.ts";
 * escapeControl("bad key \u0000x"); // "bad key \\x00x"
 * ```
 */
export function escapeControl(s: string): string {
  // deno-lint-ignore no-control-regex
  const control = /[\u0000-\u001f\u007f-\u009f]/g;
  return s.replace(control, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/**
 * Runs the CLI on `argv` (without the program name) and returns the exit code.
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * Deno.exit(await main(["fit", "workspace.json", "--json"]));
 * ```
 */
export async function main(argv: readonly string[], io: Io = stdio): Promise<number> {
  try {
    if ((TOOL_COMMANDS as readonly string[]).includes(argv[0])) {
      if (argv.includes("--help") || argv.includes("-h")) {
        io.out(TOOL_USAGE[argv[0]]);
        return 0;
      }
      const text = await runTool(argv);
      if (text !== null) io.out(text);
      return 0;
    }
    if ((XML_COMMANDS as readonly string[]).includes(argv[0])) {
      if (argv.includes("--help") || argv.includes("-h")) {
        io.out(XML_USAGE[argv[0]]);
        return 0;
      }
      const text = await runXmlTool(argv, (t) => io.err(t));
      if (text !== null) io.out(text);
      return 0;
    }
    const args = parseArgs(argv);
    if (args.help) {
      io.out(args.command ? commandUsage(args.command) : USAGE);
      return 0;
    }
    if (args.version) {
      io.out(`zgrad ${ZGRAD_VERSION}`);
      return 0;
    }
    const report = await runCommand(args, { progress: io.progress ?? stderrSink() });
    io.out(
      args.json
        ? JSON.stringify(report, null, 2)
        : formatReport(report).split("\n").map(escapeControl).join("\n"),
    );
    if (args.strict && !report.status.converged) {
      const why = report.status.warnings.slice(0, 3).join("; ");
      io.err(
        escapeControl(`zgrad: error: a fit did not converge (--strict)${why ? `: ${why}` : ""}`),
      );
      return 1;
    }
    return 0;
  } catch (e) {
    const msg = escapeControl(
      (e instanceof Error ? e.message : String(e)).split("\n").map((s) => s.trim())
        .filter(Boolean).join("; "),
    );
    if (e instanceof UsageError) {
      io.err(`zgrad: error: ${msg} (see zgrad --help)`);
      return 2;
    }
    if (e instanceof InputError) {
      io.err(`zgrad: error: ${msg}`);
      return 1;
    }
    io.err(`zgrad: internal error: ${msg}`);
    return 1;
  }
}
