/**
 * The workspace tools of the `zgrad` command line, with pyhf's command names and options:
 * `inspect`, `prune`, `rename`, `combine`, `sort`, `digest` and `patchset apply|verify|extract|
 * inspect`. Workspaces are read from a file or `-` (stdin); results go to stdout as JSON (pyhf's
 * `indent=4, sort_keys=True`) or to `--output-file`.
 *
 * @module
 */
import {
  applyPatch,
  combine,
  digest,
  DIGEST_ALGORITHMS,
  type DigestAlgorithm,
  findPatch,
  formatSummary,
  inspectWorkspace,
  type Join,
  JOINS,
  parsePatchset,
  prune,
  type PruneOptions,
  rename,
  type RenameOptions,
  sorted,
  verifyPatchset,
} from "../tools/mod.ts";
import { parseWorkspace, type Workspace } from "../workspace.ts";
import { UsageError } from "./args.ts";
import { InputError, readInputText, resolvePath } from "./input.ts";

/** The commands this module runs. */
export const TOOL_COMMANDS = [
  "inspect",
  "prune",
  "rename",
  "combine",
  "sort",
  "digest",
  "patchset",
] as const;

/** Help of each tool command. */
export const TOOL_USAGE: Record<string, string> = {
  inspect: "zgrad inspect WS.json [--measurement NAME] [--output-file F]   summary of a workspace",
  prune: "zgrad prune WS.json [-c CHANNEL]... [-s SAMPLE]... [-m MODIFIER]... [-t TYPE]...\n" +
    "      [--measurement NAME]... [--output-file F]   remove components",
  rename: "zgrad rename WS.json [-c OLD NEW]... [-s OLD NEW]... [-m OLD NEW]...\n" +
    "      [--measurement OLD NEW]... [--output-file F]   rename components",
  combine: `zgrad combine WS1.json WS2.json [--join ${
    JOINS.map((j) => JSON.stringify(j)).join("|")
  }]\n      [--merge-channels] [--output-file F]   combine two workspaces`,
  sort: "zgrad sort WS.json [--output-file F]   sort channels, samples, modifiers by name",
  digest: `zgrad digest WS.json [-a ${DIGEST_ALGORITHMS.join("|")}]... [--json|--plaintext]` +
    "   pyhf's digest",
  patchset: "zgrad patchset apply BKG.json PATCHSET.json --name NAME [--output-file F]\n" +
    "zgrad patchset verify BKG.json PATCHSET.json\n" +
    "zgrad patchset extract PATCHSET.json --name NAME [--output-file F]\n" +
    "zgrad patchset inspect PATCHSET.json",
};

/** Options with two values (rename's OLD NEW), one value, or none. */
const ARITY: Record<string, number> = {
  "--output-file": 1,
  "--measurement": 1,
  "--join": 1,
  "--name": 1,
  "-a": 1,
  "--algorithm": 1,
  "-c": 1,
  "--channel": 1,
  "-s": 1,
  "--sample": 1,
  "-m": 1,
  "--modifier": 1,
  "-t": 1,
  "--modifier-type": 1,
  "--merge-channels": 0,
  "--json": 0,
  "-j": 0,
  "--plaintext": 0,
  "-p": 0,
};
const LONG: Record<string, string> = {
  "-a": "--algorithm",
  "-c": "--channel",
  "-s": "--sample",
  "-m": "--modifier",
  "-t": "--modifier-type",
  "-j": "--json",
  "-p": "--plaintext",
};

interface ToolArgs {
  positional: string[];
  options: Map<string, string[][]>;
}

function parse(cmd: string, argv: readonly string[]): ToolArgs {
  const positional: string[] = [];
  const options = new Map<string, string[][]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-") || a === "-") {
      positional.push(a);
      continue;
    }
    const [flag, inline] = a.includes("=")
      ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
      : [a, undefined];
    if (!(flag in ARITY)) throw new UsageError(`${cmd}: unknown option ${flag}`);
    const name = LONG[flag] ?? flag;
    // rename takes OLD NEW pairs; the measurement option of rename too.
    const n = cmd === "rename" && name !== "--output-file" ? 2 : ARITY[flag];
    const vals = inline !== undefined ? [inline] : argv.slice(i + 1, i + 1 + n);
    if (inline === undefined) i += n;
    if (vals.length !== n || vals.some((v) => v === undefined)) {
      throw new UsageError(`${cmd}: ${flag} takes ${n} value(s)`);
    }
    options.set(name, [...options.get(name) ?? [], vals]);
  }
  return { positional, options };
}

const all = (a: ToolArgs, name: string) => (a.options.get(name) ?? []).map((v) => v[0]);
const last = (a: ToolArgs, name: string) => a.options.get(name)?.at(-1)?.[0];
const pairs = (a: ToolArgs, name: string) =>
  Object.fromEntries((a.options.get(name) ?? []).map(([o, n]) => [o, n]));

/**
 * Reads and validates a workspace file (`-`: stdin); failures are `InputError`s naming the path.
 *
 * @example
 * ```ts ignore
 * import { readWorkspace } from "./tools.ts";
 * const { ws } = await readWorkspace("workspace.json");
 * ```
 */
export async function readWorkspace(path: string): Promise<{ text: string; ws: Workspace }> {
  const text = await readInputText(path, "workspace");
  try {
    return { text, ws: parseWorkspace(text) };
  } catch (e) {
    throw new InputError(`invalid workspace ${JSON.stringify(path)}: ${(e as Error).message}`);
  }
}

/** pyhf's `json.dumps(x, indent=4, sort_keys=True)` layout (numbers as JavaScript prints them). */
function dumpJson(x: unknown): string {
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sortKeys) : v && typeof v === "object"
      ? Object.fromEntries(
        Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
      )
      : v;
  return JSON.stringify(sortKeys(x), null, 4);
}

function positional(a: ToolArgs, cmd: string, n: number, what: string): string[] {
  const p = a.positional.length ? a.positional : n === 1 ? ["-"] : [];
  if (p.length !== n) throw new UsageError(`${cmd}: expected ${what}`);
  return p;
}

/**
 * Runs one tool command (`argv` without the program name) and returns what to print (or null
 * when the result went to `--output-file`). Bad usage throws `UsageError`, bad input
 * `InputError` (the CLI's exit codes 2 and 1).
 *
 * @example
 * ```ts ignore
 * import { runTool } from "./tools.ts";
 * console.log(await runTool(["digest", "workspace.json"]));
 * ```
 */
export async function runTool(argv: readonly string[]): Promise<string | null> {
  const [cmd, ...rest] = argv;
  const sub = cmd === "patchset" ? rest[0] : undefined;
  const a = parse(cmd, cmd === "patchset" ? rest.slice(1) : rest);
  const emit = async (value: unknown): Promise<string | null> => {
    const text = typeof value === "string" ? value : dumpJson(value);
    const out = last(a, "--output-file");
    if (!out) return text;
    await Deno.writeTextFile(resolvePath(out), text + "\n");
    return null;
  };
  try {
    switch (cmd) {
      case "inspect": {
        const { ws } = await readWorkspace(positional(a, cmd, 1, "one workspace")[0]);
        const s = inspectWorkspace(ws);
        const out = last(a, "--output-file");
        if (out) await Deno.writeTextFile(resolvePath(out), dumpJson(s) + "\n");
        return formatSummary(s);
      }
      case "prune": {
        const { ws } = await readWorkspace(positional(a, cmd, 1, "one workspace")[0]);
        const opts: PruneOptions = {
          channels: all(a, "--channel"),
          samples: all(a, "--sample"),
          modifiers: all(a, "--modifier"),
          modifierTypes: all(a, "--modifier-type"),
          measurements: all(a, "--measurement"),
        };
        return await emit(prune(ws, opts));
      }
      case "rename": {
        const { ws } = await readWorkspace(positional(a, cmd, 1, "one workspace")[0]);
        const opts: RenameOptions = {
          channels: pairs(a, "--channel"),
          samples: pairs(a, "--sample"),
          modifiers: pairs(a, "--modifier"),
          measurements: pairs(a, "--measurement"),
        };
        return await emit(rename(ws, opts));
      }
      case "combine": {
        const [p1, p2] = positional(a, cmd, 2, "two workspaces");
        const join = (last(a, "--join") ?? "none") as Join;
        if (!JOINS.includes(join)) {
          throw new UsageError(`combine: --join must be one of ${JOINS.join(", ")}`);
        }
        const [w1, w2] = [(await readWorkspace(p1)).ws, (await readWorkspace(p2)).ws];
        return await emit(
          combine(w1, w2, { join, mergeChannels: a.options.has("--merge-channels") }),
        );
      }
      case "sort": {
        const { ws } = await readWorkspace(positional(a, cmd, 1, "one workspace")[0]);
        return await emit(sorted(ws));
      }
      case "digest": {
        const { text } = await readWorkspace(positional(a, cmd, 1, "one workspace")[0]);
        const algs = all(a, "--algorithm");
        for (const alg of algs) {
          if (!DIGEST_ALGORITHMS.includes(alg as DigestAlgorithm)) {
            throw new UsageError(`digest: -a must be one of ${DIGEST_ALGORITHMS.join(", ")}`);
          }
        }
        const d = Object.fromEntries(
          (algs.length ? algs : ["sha256"]).map((
            alg,
          ) => [alg, digest(text, alg as DigestAlgorithm)]),
        );
        return a.options.has("--json")
          ? dumpJson(d)
          : Object.entries(d).map(([k, v]) => `${k}:${v}`).join("\n");
      }
      case "patchset":
        return await runPatchset(sub, a, emit);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof InputError) throw e;
    throw new InputError(`${cmd}: ${(e as Error).message}`);
  }
  throw new UsageError(`unknown command ${cmd}`);
}

async function runPatchset(
  sub: string | undefined,
  a: ToolArgs,
  emit: (v: unknown) => Promise<string | null>,
): Promise<string | null> {
  const readPatchset = async (path: string) =>
    parsePatchset(JSON.parse(await readInputText(path, "patchset")));
  const name = last(a, "--name");
  switch (sub) {
    case "apply": {
      const [bkg, ps] = positional(a, "patchset apply", 2, "BKG.json PATCHSET.json");
      if (!name) throw new UsageError("patchset apply: --name is required");
      const { text } = await readWorkspace(bkg);
      return await emit(applyPatch(await readPatchset(ps), text, name));
    }
    case "verify": {
      const [bkg, ps] = positional(a, "patchset verify", 2, "BKG.json PATCHSET.json");
      verifyPatchset(await readPatchset(ps), (await readWorkspace(bkg)).text);
      return "All good.";
    }
    case "extract": {
      const [ps] = positional(a, "patchset extract", 1, "PATCHSET.json");
      if (!name) throw new UsageError("patchset extract: --name is required");
      return await emit(findPatch(await readPatchset(ps), name).patch);
    }
    case "inspect": {
      const [ps] = positional(a, "patchset inspect", 1, "PATCHSET.json");
      const p = await readPatchset(ps);
      return [
        "",
        `    ${p.patches.length} patches found in Patchset`,
        "---------------------------------",
        "",
        ...p.patches.map((q) => q.metadata.name),
      ].join("\n");
    }
  }
  throw new UsageError("patchset: expected apply, verify, extract or inspect");
}
