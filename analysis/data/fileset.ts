/**
 * Filesets: which files make up each process, and the numbers that normalise its events. JSON on
 * disk, checked with zod; every error names the key path (`fileset.signal.xsec: …`).
 *
 * ```json
 * {
 *   "ttbar_semilep": { "files": ["/data/TTToSemiLeptonic_1.root"], "xsec": 364.31, "nGen": 1.4e8 },
 *   "data": { "files": ["https://…/SingleMuon_1.root"], "isData": true }
 * }
 * ```
 *
 * An MC event's weight is `sign(genWeight) · σ · L / N_gen` ({@link eventWeights}); `nGen` is the
 * number of generated events, or the sum of `sign(genWeight)` for samples with negative weights,
 * before any skim. Relative paths are resolved against the fileset file's folder. A file named
 * `bundled:<process>` is an event sample made by the bundled generator (`generate.ts`).
 *
 * @module
 */
import { z } from "npm:zod@^4.6.7";

/** One process of a fileset. */
export interface ProcessSpec {
  /** Local paths, `file:`/`http(s):` URLs, or `bundled:<process>`. */
  files: string[];
  /** Cross-section in pb (MC). */
  xsec: number;
  /** Generated events, or the sum of sign(genWeight), before any skim (MC). */
  nGen: number;
  /** Collision (or pseudo-) data: weights 1. */
  isData: boolean;
}

/** process name → spec. */
export type Fileset = Record<string, ProcessSpec>;

const ProcessSchema = z.strictObject({
  files: z.array(z.string().min(1)).min(1),
  xsec: z.number().positive().optional(),
  nGen: z.number().positive().optional(),
  isData: z.boolean().optional(),
});

const FilesetSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/), ProcessSchema);

/** A fileset that does not validate; `issues` are `key.path: message` lines. */
export class FilesetError extends Error {
  /** `key.path: message` lines. */
  readonly issues: string[];
  /** An error for fileset `source` with its issues. */
  constructor(source: string, issues: string[]) {
    super(`invalid fileset ${source}:\n  ${issues.join("\n  ")}`);
    this.name = "FilesetError";
    this.issues = issues;
  }
}

function pathText(path: readonly PropertyKey[]): string {
  return ["fileset", ...path.map(String)].join(".");
}

/**
 * Validates a parsed fileset: MC processes need `xsec` and `nGen`, data needs neither.
 * `baseDir` resolves relative file paths.
 *
 * @example
 * ```ts
 * import { parseFileset } from "./fileset.ts";
 * const fs = parseFileset({ signal: { files: ["bundled:signal"], xsec: 1, nGen: 2e5 } });
 * fs.signal.isData; // false
 * ```
 */
export function parseFileset(
  json: unknown,
  opts: { source?: string; baseDir?: string } = {},
): Fileset {
  const source = opts.source ?? "<object>";
  const parsed = FilesetSchema.safeParse(json);
  if (!parsed.success) {
    throw new FilesetError(
      source,
      parsed.error.issues.map((i) => `${pathText(i.path)}: ${i.message}`),
    );
  }
  const issues: string[] = [];
  const out: Fileset = {};
  for (const [name, p] of Object.entries(parsed.data)) {
    const isData = p.isData ?? false;
    if (!isData) {
      if (p.xsec === undefined) issues.push(`${pathText([name, "xsec"])}: required for MC (pb)`);
      if (p.nGen === undefined) issues.push(`${pathText([name, "nGen"])}: required for MC`);
    }
    out[name] = {
      files: p.files.map((f) => resolveFile(f, opts.baseDir)),
      xsec: p.xsec ?? 0,
      nGen: p.nGen ?? 0,
      isData,
    };
  }
  if (Object.keys(out).length === 0) issues.push("fileset: no processes");
  if (issues.length) throw new FilesetError(source, issues);
  return out;
}

function resolveFile(f: string, baseDir?: string): string {
  if (!baseDir || /^[a-z][a-z0-9+.-]*:/i.test(f) || f.startsWith("/")) return f;
  return `${baseDir.replace(/\/+$/, "")}/${f}`;
}

/**
 * Reads and validates a fileset JSON file.
 *
 * @example
 * ```ts ignore
 * import { loadFileset } from "./fileset.ts";
 * const fs = await loadFileset("my_fileset.json");
 * ```
 */
export async function loadFileset(path: string): Promise<Fileset> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new FilesetError(path, [`cannot read: ${e instanceof Error ? e.message : e}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FilesetError(path, [`not JSON: ${e instanceof Error ? e.message : e}`]);
  }
  const slash = path.lastIndexOf("/");
  return parseFileset(json, { source: path, baseDir: slash >= 0 ? path.slice(0, slash) : "." });
}

/** The default integrated luminosity, /pb (2016 post-VFP-like, as the reference analysis). */
export const DEFAULT_LUMI = 16400;

/**
 * Per-event weights `sign(genWeight) · σ · L / N_gen` for MC, 1 for data. Without a `genWeight`
 * column every MC event counts +1.
 *
 * @example
 * ```ts
 * import { eventWeights } from "./fileset.ts";
 * const w = eventWeights({ files: ["x"], xsec: 2, nGen: 100, isData: false }, new Float32Array([5, -3]));
 * // Float64Array [0.02 * 16400, -0.02 * 16400]
 * ```
 */
export function eventWeights(
  spec: ProcessSpec,
  genWeight: ArrayLike<number> | undefined,
  nEvents = genWeight?.length ?? 0,
  lumi = DEFAULT_LUMI,
): Float64Array {
  const w = new Float64Array(nEvents);
  if (spec.isData) return w.fill(1);
  if (!(spec.nGen > 0) || !(spec.xsec > 0) || !(lumi > 0)) {
    throw new RangeError(
      `eventWeights: need xsec > 0, nGen > 0, lumi > 0 (got ${spec.xsec}, ${spec.nGen}, ${lumi})`,
    );
  }
  const scale = spec.xsec * lumi / spec.nGen;
  if (!genWeight) return w.fill(scale);
  if (genWeight.length !== nEvents) {
    throw new RangeError(`eventWeights: ${genWeight.length} genWeights for ${nEvents} events`);
  }
  for (let i = 0; i < nEvents; i++) {
    const g = genWeight[i];
    w[i] = g > 0 ? scale : g < 0 ? -scale : 0;
  }
  return w;
}
