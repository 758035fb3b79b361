/**
 * The HistFactory XML commands of the `zgrad` command line, with pyhf's names and options:
 * `xml2json` (pyhf's `readxml`; prints what `pyhf xml2json` prints, `indent=4, sort_keys=True`)
 * and `json2xml` (pyhf's `writexml`, histograms as JSON: jsroot cannot write ROOT files).
 *
 * @module
 */
import { xml2json } from "../xml/readxml.ts";
import { json2xml } from "../xml/writexml.ts";
import { pythonFloatRepr } from "../tools/pyjson.ts";
import { errorMessage } from "../xml/dom.ts";
import { UsageError } from "./args.ts";
import { InputError, resolvePath } from "./input.ts";
import { readWorkspace } from "./tools.ts";

/** The commands this module runs. */
export const XML_COMMANDS = ["xml2json", "json2xml"] as const;

/** Help of each XML command. */
export const XML_USAGE: Record<string, string> = {
  xml2json:
    "zgrad xml2json TOP.xml [--basedir DIR] [-v|--mount LOCAL:INXML]... [--output-file F]\n" +
    "      [--track-progress|--hide-progress] [--validation-as-error|--validation-as-warning]\n" +
    "      HistFactory XML + ROOT histograms -> pyhf JSON workspace",
  json2xml: "zgrad json2xml WS.json [--output-dir DIR] [--specroot config] [--dataroot data]\n" +
    "      [--resultprefix FitConfig]   pyhf JSON -> HistFactory XML + histograms as JSON\n" +
    "      (data/data.json; jsroot cannot write ROOT files)",
};

/** Options that take a value; the others are switches. */
const VALUED = new Set([
  "--basedir",
  "--mount",
  "--output-file",
  "--output-dir",
  "--specroot",
  "--dataroot",
  "--resultprefix",
]);
const SWITCHES = new Set([
  "--track-progress",
  "--hide-progress",
  "--validation-as-error",
  "--validation-as-warning",
]);
const ALLOWED: Record<string, string[]> = {
  xml2json: ["--basedir", "--mount", "--output-file", ...SWITCHES],
  json2xml: ["--output-dir", "--specroot", "--dataroot", "--resultprefix"],
};

interface XmlArgs {
  positional: string[];
  values: Map<string, string[]>;
  switches: string[];
}

function parse(cmd: string, argv: readonly string[]): XmlArgs {
  const out: XmlArgs = { positional: [], values: new Map(), switches: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-") || a === "-") {
      out.positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const flag = (eq > 0 ? a.slice(0, eq) : a).replace(/^-v$/, "--mount");
    if (!ALLOWED[cmd].includes(flag)) throw new UsageError(`${cmd}: unknown option ${flag}`);
    if (!VALUED.has(flag)) {
      out.switches.push(flag);
      continue;
    }
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`${cmd}: ${flag} takes a value`);
    out.values.set(flag, [...out.values.get(flag) ?? [], value]);
  }
  return out;
}

/** A `--mount LOCAL:INXML` pair (pyhf's `VolumeMountPath`). */
function mount(spec: string): [string, string] {
  const i = spec.indexOf(":");
  if (i <= 0 || i === spec.length - 1) {
    throw new UsageError(`xml2json: --mount takes LOCAL:INXML, got ${JSON.stringify(spec)}`);
  }
  return [resolvePath(spec.slice(0, i)), spec.slice(i + 1)];
}

/**
 * Python's `json.dumps(x, indent=4, sort_keys=True)` for pyhf's readxml output, whose numbers
 * are all Python floats (`122.0`, not `122`), so the text is the one `pyhf xml2json` prints.
 *
 * @example
 * ```ts
 * import { pyhfIndentedJson } from "./xmltools.ts";
 * pyhfIndentedJson({ b: [1], a: null }); // '{\n    "a": null,\n    "b": [\n        1.0\n    ]\n}'
 * ```
 */
export function pyhfIndentedJson(x: unknown, depth = 0): string {
  const pad = (d: number) => "    ".repeat(d);
  if (x === null || typeof x === "boolean" || typeof x === "string") return JSON.stringify(x);
  if (typeof x === "number") return pythonFloatRepr(x);
  const items: string[] = Array.isArray(x)
    ? x.map((v) => pyhfIndentedJson(v, depth + 1))
    : Object.entries(x ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}: ${pyhfIndentedJson(v, depth + 1)}`);
  const [open, close] = Array.isArray(x) ? ["[", "]"] : ["{", "}"];
  if (items.length === 0) return open + close;
  return `${open}\n${items.map((s) => pad(depth + 1) + s).join(",\n")}\n${pad(depth)}${close}`;
}

function one(a: XmlArgs, cmd: string, what: string): string {
  if (a.positional.length !== 1) throw new UsageError(`${cmd}: expected ${what}`);
  return a.positional[0];
}

const lastValue = (a: XmlArgs, flag: string) => a.values.get(flag)?.at(-1);

async function runXml2Json(a: XmlArgs, err: (t: string) => void): Promise<string | null> {
  const config = resolvePath(one(a, "xml2json", "one top-level XML file"));
  const flags = a.switches;
  const ws = await xml2json(config, {
    basedir: resolvePath(lastValue(a, "--basedir") ?? "."),
    mounts: (a.values.get("--mount") ?? []).map(mount),
    trackProgress: flags.lastIndexOf("--track-progress") > flags.lastIndexOf("--hide-progress"),
    onProgress: err,
    warn: (m) => err(`zgrad: warning: ${m}`),
    validationAsError: flags.lastIndexOf("--validation-as-error") >=
      flags.lastIndexOf("--validation-as-warning"),
  });
  const text = pyhfIndentedJson(ws);
  const out = lastValue(a, "--output-file");
  if (!out) return text;
  await Deno.writeTextFile(resolvePath(out), text);
  return null;
}

async function runJson2Xml(a: XmlArgs): Promise<string> {
  const { ws } = await readWorkspace(one(a, "json2xml", "one workspace"));
  const r = await json2xml(ws, {
    outputDir: resolvePath(lastValue(a, "--output-dir") ?? "."),
    specroot: lastValue(a, "--specroot"),
    dataroot: lastValue(a, "--dataroot"),
    resultprefix: lastValue(a, "--resultprefix"),
  });
  return `wrote ${r.files.join(", ")}`;
}

/**
 * Runs `xml2json` or `json2xml` (`argv` without the program name) and returns what to print
 * (null when it went to `--output-file`); warnings and progress go to `err`. Bad usage throws
 * `UsageError`, bad input `InputError` (the CLI's exit codes 2 and 1).
 *
 * @example
 * ```ts ignore
 * import { runXmlTool } from "./xmltools.ts";
 * console.log(await runXmlTool(["xml2json", "config/example.xml"], console.error));
 * ```
 */
export async function runXmlTool(
  argv: readonly string[],
  err: (text: string) => void,
): Promise<string | null> {
  const [cmd, ...rest] = argv;
  if (!(cmd in ALLOWED)) throw new UsageError(`unknown command ${cmd}`);
  const a = parse(cmd, rest);
  try {
    return cmd === "xml2json" ? await runXml2Json(a, err) : await runJson2Xml(a);
  } catch (e) {
    if (e instanceof UsageError || e instanceof InputError) throw e;
    throw new InputError(`${cmd}: ${errorMessage(e)}`);
  }
}
