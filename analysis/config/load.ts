/**
 * Building the configuration: the defaults, a user config merged over them (a TypeScript/JavaScript
 * module exporting `config` or a default export; or JSON; or YAML), then dotted command-line
 * overrides (`general.maxFiles=2`, only for the blocks in {@link OVERRIDABLE}), then validation
 * against {@link ConfigSchema}. Every error names the key path, in one {@link ConfigError}.
 *
 * @module
 */
import YAML from "npm:yaml@^2";
import type { z } from "npm:zod@^4.6.7";
import { formatPath } from "../../stats/workspace.ts";
import { DEFAULT_CONFIG } from "./defaults.ts";
import { type Config, ConfigSchema } from "./schema.ts";

/**
 * A configuration problem; `issues` name the key paths (`general.maxFiles: expected ...`).
 *
 * @example
 * ```ts
 * import { ConfigError, resolveConfig } from "./load.ts";
 * try { await resolveConfig({ overrides: ["general.maxFiles=zero"] }); }
 * catch (e) { if (e instanceof ConfigError) console.log(e.issues); }
 * ```
 */
export class ConfigError extends Error {
  /** One `path: message` line per problem. */
  readonly issues: string[];
  /** A configuration error with these issues (`where` says which config). */
  constructor(issues: string[], where = "configuration") {
    super(`invalid ${where}:\n  ${issues.join("\n  ")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/**
 * The blocks that command-line overrides may set. The others hold functions or structure
 * (channels, systematics, ...) that a `key=value` cannot express safely: set them in a config file.
 *
 * @example
 * ```ts
 * import { OVERRIDABLE } from "./load.ts";
 * OVERRIDABLE.includes("general"); // true
 * ```
 */
export const OVERRIDABLE = ["general", "preprocess", "statistics"] as const;

function formatKeyPath(parts: readonly PropertyKey[]): string {
  return parts.length === 0 ? "(config)" : formatPath(parts);
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "function") return "a function";
  if (globalThis.Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}

function valueAt(root: unknown, parts: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const p of parts) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function issueLines(err: z.ZodError, root: unknown): string[] {
  return err.issues.map((iss) => {
    const path = formatKeyPath(iss.path);
    if (iss.code === "unrecognized_keys") {
      return iss.keys.map((k) => {
        const known = Object.keys(valueAt(DEFAULT_CONFIG, iss.path) ?? {});
        return `${formatKeyPath([...iss.path, k])}: unknown key` +
          (known.length ? ` (known: ${known.join(", ")})` : "");
      }).join("\n  ");
    }
    if (iss.code === "invalid_type") {
      const got = valueAt(root, iss.path);
      return got === undefined
        ? `${path}: required ${iss.expected} is missing`
        : `${path}: expected ${iss.expected}, got ${describe(got)}`;
    }
    return `${path}: ${iss.message}`;
  });
}

/**
 * Validates a complete configuration object.
 *
 * @example
 * ```ts
 * import { validateConfig } from "./load.ts";
 * import { formatPath } from "../../stats/workspace.ts";
import { DEFAULT_CONFIG } from "./defaults.ts";
 * const c = validateConfig({ ...DEFAULT_CONFIG, general: { ...DEFAULT_CONFIG.general, lumi: 1 } });
 * ```
 */
export function validateConfig(raw: unknown, where = "configuration"): Config {
  const r = ConfigSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(issueLines(r.error, raw), where);
  return r.data;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !globalThis.Array.isArray(v) &&
    Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * `over` merged into `base`: plain objects key by key, everything else (arrays, functions, values)
 * replaced whole.
 *
 * @example
 * ```ts
 * import { deepMerge } from "./load.ts";
 * deepMerge({ a: { b: 1, c: 2 } }, { a: { c: 3 } }); // { a: { b: 1, c: 3 } }
 * ```
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/**
 * One parsed `key.path=value` override.
 *
 * @example
 * ```ts
 * import { parseOverride } from "./load.ts";
 * parseOverride("general.maxFiles=2"); // { path: ["general", "maxFiles"], value: 2 }
 * ```
 */
export function parseOverride(arg: string): { path: string[]; value: unknown } {
  const eq = arg.indexOf("=");
  if (eq <= 0) {
    throw new ConfigError([`${JSON.stringify(arg)}: expected key.path=value`], "override");
  }
  const key = arg.slice(0, eq).trim();
  const text = arg.slice(eq + 1);
  const path = key.split(".");
  if (path.some((p) => p === "" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) {
    throw new ConfigError(
      [`${key}: expected dotted names like general.maxFiles (no indices or spaces)`],
      "override",
    );
  }
  const block = path[0];
  if (!(OVERRIDABLE as readonly string[]).includes(block)) {
    const why = block in DEFAULT_CONFIG
      ? `block ${block} holds functions or structure that a key=value cannot express; set it ` +
        `in a config file (--config my_config.ts)`
      : `there is no block ${block} (blocks: ${Object.keys(DEFAULT_CONFIG).join(", ")})`;
    throw new ConfigError(
      [`${key}: command-line overrides are allowed only for ${OVERRIDABLE.join(", ")}: ${why}`],
      "override",
    );
  }
  if (path.length < 2) {
    throw new ConfigError([`${key}: name a key inside the block, e.g. ${block}.<key>`], "override");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text; // not JSON: a plain string (general.outputDir=out/run1)
  }
  return { path, value };
}

/**
 * Applies overrides to a (merged) config object, returning a new one.
 *
 * @example
 * ```ts
 * import { applyOverrides } from "./load.ts";
 * import { formatPath } from "../../stats/workspace.ts";
import { DEFAULT_CONFIG } from "./defaults.ts";
 * const raw = applyOverrides(DEFAULT_CONFIG, ["general.maxFiles=2"]);
 * ```
 */
export function applyOverrides(config: unknown, overrides: readonly string[]): unknown {
  let out = config;
  for (const o of overrides) {
    const { path, value } = parseOverride(o);
    // An override replaces the value at its path; objects along it are copied, not replaced.
    out = setAt(out, path, value);
  }
  return out;
}

function setAt(root: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const base = isPlainObject(root) ? root : {};
  return { ...base, [path[0]]: setAt(base[path[0]], path.slice(1), value) };
}

/**
 * Reads a user config: `.ts`/`.js`/`.mjs` (export `config` or default), `.json`, `.yaml`/`.yml`.
 *
 * @example
 * ```ts
 * import { readUserConfig } from "./load.ts";
 * const partial = await readUserConfig("my_config.yaml");
 * ```
 */
export async function readUserConfig(path: string): Promise<unknown> {
  const lower = path.toLowerCase();
  let text: string | undefined;
  if (!/\.(m?[jt]s)$/.test(lower)) {
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      throw new ConfigError([`cannot read ${path}: ${(e as Error).message}`], `config ${path}`);
    }
  }
  try {
    if (lower.endsWith(".json")) return JSON.parse(text!);
    if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return YAML.parse(text!);
  } catch (e) {
    throw new ConfigError([`cannot parse ${path}: ${(e as Error).message}`], `config ${path}`);
  }
  if (text !== undefined) {
    throw new ConfigError(
      [`${path}: unknown config format (use .ts, .js, .json, .yaml or .yml)`],
      `config ${path}`,
    );
  }
  const url = path.startsWith("file:") || /^[a-z]+:\/\//.test(path)
    ? path
    : new URL(path, `file://${Deno.cwd()}/`).href;
  let mod: Record<string, unknown>;
  try {
    mod = await import(url);
  } catch (e) {
    throw new ConfigError([`cannot import ${path}: ${(e as Error).message}`], `config ${path}`);
  }
  const cfg = mod.config ?? mod.default;
  if (cfg === undefined) {
    throw new ConfigError(
      [`${path}: exports neither \`config\` nor a default export`],
      `config ${path}`,
    );
  }
  return cfg;
}

/**
 * Options of {@link resolveConfig}.
 *
 * @example
 * ```ts
 * import type { ResolveOptions } from "./load.ts";
 * const o: ResolveOptions = { path: "my.yaml", overrides: ["general.maxFiles=1"] };
 * ```
 */
export interface ResolveOptions {
  /** A user config file merged over the defaults. */
  path?: string;
  /** A user config object merged over the defaults (after `path`'s). */
  config?: unknown;
  /** Dotted `key=value` overrides, applied last. */
  overrides?: readonly string[];
}

/**
 * Defaults ← user config ← overrides, validated.
 *
 * @example
 * ```ts
 * import { resolveConfig } from "./load.ts";
 * const cfg = await resolveConfig({ overrides: ["general.analysis=nondiff"] });
 * ```
 */
export async function resolveConfig(opts: ResolveOptions = {}): Promise<Config> {
  let raw: unknown = DEFAULT_CONFIG;
  let where = "configuration";
  if (opts.path) {
    raw = deepMerge(raw, await readUserConfig(opts.path));
    where = `configuration (defaults + ${opts.path})`;
  }
  if (opts.config !== undefined) raw = deepMerge(raw, opts.config);
  raw = applyOverrides(raw, opts.overrides ?? []);
  return validateConfig(raw, where);
}

/**
 * A stable SHA-256 of the configuration (functions by their source text), for provenance.
 *
 * @example
 * ```ts
 * import { configHash } from "./load.ts";
 * import { formatPath } from "../../stats/workspace.ts";
import { DEFAULT_CONFIG } from "./defaults.ts";
 * console.log(await configHash(DEFAULT_CONFIG)); // "3f2a…"
 * ```
 */
export async function configHash(config: Config): Promise<string> {
  const canon = (v: unknown): unknown => {
    if (typeof v === "function") return `fn:${v.toString()}`;
    if (globalThis.Array.isArray(v)) return v.map(canon);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  const bytes = new TextEncoder().encode(JSON.stringify(canon(config)));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
