/**
 * The on-disk columnar cache of skimmed events, one entry per source file, in Parquet
 * (`npm:hyparquet-writer` writes, `npm:hyparquet` reads). An entry `<key>` is:
 *
 * - `<key>.events.parquet`: one row per event: every flat column, plus one `#<group>` counts
 *   column per jagged collection (columns sharing offsets, e.g. all `Muon_*`);
 * - `<key>.<group>.parquet`: one row per object: the values of that collection's jagged columns;
 * - `<key>.manifest.json`: what the entry was made from (source identity, branches, skim, format
 *   version) and each part's size.
 *
 * Every file is written under a temporary name and renamed into place; the old manifest is removed
 * before the parts are replaced and the new one is renamed in last. So a crash at any point leaves
 * either a complete entry or none: an entry without a manifest, whose manifest does not match
 * what is asked, or whose parts have other sizes than the manifest says, is a miss, never read.
 *
 * @module
 */
import { parquetWriteBuffer } from "npm:hyparquet-writer@^0.17.0";
import { parquetMetadata, parquetRead } from "npm:hyparquet@^1.31.5";
import { type Column, type EventTable, type Flat, isJagged } from "./columns.ts";
import { allocFlat, countsToOffsets, type FlatKind, flatKind, offsetsToCounts } from "./table.ts";
import { sha256Hex } from "./skim.ts";

/** Bumped whenever the layout or the meaning of cached columns changes. */
export const CACHE_VERSION = 1;

/** Where an entry's events came from: a file's identity, a URL, or the bundled generator. */
export type SourceStamp =
  | { kind: "file"; path: string; size: number; mtimeMs: number; sha256?: string }
  | { kind: "url"; url: string }
  | { kind: "bundled"; process: string; seed: number; events: number; generator: string };

/** A cached column's description. */
export interface ColumnMeta {
  /** Column name. */
  name: string;
  /** Element kind. */
  kind: FlatKind;
  /** Collection group for jagged columns (the part file holding its values). */
  group?: string;
}

/** The contents of `<key>.manifest.json`. */
export interface Manifest {
  /** {@link CACHE_VERSION} at writing. */
  version: number;
  /** Identity of the source the events came from. */
  source: SourceStamp;
  /** TTree read. */
  tree: string;
  /** Canonical branches cached (sorted). */
  branches: string[];
  /** canonical → stored branch name in the source. */
  resolved: Record<string, string>;
  /** The skim's identity (`skimId`). */
  skim: string;
  /** Events in the source before the skim. */
  nInput: number;
  /** Events stored (after the skim). */
  nEvents: number;
  /** Every stored column. */
  columns: ColumnMeta[];
  /** Part files and their sizes in bytes. */
  parts: { file: string; size: number }[];
  /** ISO time of writing. */
  created: string;
}

/** What a cache lookup must match. */
export interface CacheExpect {
  /** Identity of the source. */
  source: SourceStamp;
  /** TTree name. */
  tree: string;
  /** Needed branches (the entry may hold more). */
  branches: readonly string[];
  /** The skim's identity. */
  skim: string;
}

/**
 * A file-system-safe entry key for a source: its base name plus a hash of the whole source string.
 *
 * @example
 * ```ts
 * import { cacheKey } from "./cache.ts";
 * await cacheKey("/data/x.root", "Events"); // "x-<12 hex>"
 * ```
 */
export async function cacheKey(source: string, tree: string): Promise<string> {
  const base = source.replace(/[?#].*$/, "").split(/[/\\]/).pop()!.replace(/\.root$/, "");
  const safe = base.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 60) || "source";
  const h = await sha256Hex(new TextEncoder().encode(`${source}\n${tree}`));
  return `${safe}-${h.slice(0, 12)}`;
}

function sameSource(a: SourceStamp, b: SourceStamp): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Why a lookup missed (for logs), or null when the entry is usable. */
export function manifestMismatch(m: Manifest, want: CacheExpect): string | null {
  if (m.version !== CACHE_VERSION) return `cache version ${m.version}, want ${CACHE_VERSION}`;
  if (!sameSource(m.source, want.source)) return "source file changed";
  if (m.tree !== want.tree) return `tree ${m.tree}, want ${want.tree}`;
  if (m.skim !== want.skim) return `skim "${m.skim}", want "${want.skim}"`;
  const have = new Set(m.branches);
  const lack = want.branches.filter((b) => !have.has(b));
  if (lack.length) return `lacks branches ${lack.join(", ")}`;
  return null;
}

const PARQUET_TYPE = { f32: "FLOAT", f64: "DOUBLE", i32: "INT32", u8: "INT32" } as const;

function groupName(name: string, used: Set<string>): string {
  const base = (name.includes("_") ? name.slice(0, name.indexOf("_")) : name)
    .replace(/[^A-Za-z0-9]+/g, "") || "objects";
  let g = base;
  for (let k = 2; used.has(g); k++) g = `${base}${k}`;
  used.add(g);
  return g;
}

async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

type ColumnSource = { name: string; data: Flat | number[]; type: string; nullable: false };

function toParquet(columns: ColumnSource[]): Uint8Array {
  const buf = parquetWriteBuffer({
    // deno-lint-ignore no-explicit-any
    columnData: columns as any,
    rowGroupSize: 1 << 20,
  });
  return new Uint8Array(buf);
}

/** Manifest fields the caller provides. */
export type EntryInfo = Omit<Manifest, "version" | "nEvents" | "columns" | "parts" | "created">;

/**
 * Writes a table as cache entry `<dir>/<key>` (atomically, see the module doc).
 *
 * @example
 * ```ts ignore
 * import { writeCacheEntry } from "./cache.ts";
 * await writeCacheEntry("cache/signal", "sig-0123", table, info);
 * ```
 */
export async function writeCacheEntry(
  dir: string,
  key: string,
  table: EventTable,
  info: EntryInfo,
): Promise<Manifest> {
  await Deno.mkdir(dir, { recursive: true });
  const manifestPath = `${dir}/${key}.manifest.json`;
  await Deno.remove(manifestPath).catch(() => {});
  const used = new Set<string>(["events"]);
  const groups = new Map<Int32Array, { name: string; cols: ColumnSource[] }>();
  const events: ColumnSource[] = [];
  const metas: ColumnMeta[] = [];
  for (const name of Object.keys(table.columns).sort()) {
    const col: Column = table.columns[name];
    if (!isJagged(col)) {
      const kind = flatKind(col);
      events.push({ name, data: col, type: PARQUET_TYPE[kind], nullable: false });
      metas.push({ name, kind });
      continue;
    }
    let g = groups.get(col.offsets);
    if (!g) {
      g = { name: groupName(name, used), cols: [] };
      groups.set(col.offsets, g);
      events.push({
        name: `#${g.name}`,
        data: offsetsToCounts(col.offsets),
        type: "INT32",
        nullable: false,
      });
    }
    const kind = flatKind(col.values);
    const n = col.offsets[col.offsets.length - 1];
    g.cols.push({
      name,
      data: col.values.subarray(0, n),
      type: PARQUET_TYPE[kind],
      nullable: false,
    });
    metas.push({ name, kind, group: g.name });
  }
  const parts: { file: string; size: number }[] = [];
  const writePart = async (suffix: string, cols: ColumnSource[]) => {
    const file = `${key}.${suffix}.parquet`;
    const bytes = toParquet(cols);
    await writeAtomic(`${dir}/${file}`, bytes);
    parts.push({ file, size: bytes.byteLength });
  };
  await writePart(
    "events",
    events.length ? events : [{
      name: "#events",
      data: new Int32Array(table.nEvents),
      type: "INT32",
      nullable: false,
    }],
  );
  for (const g of groups.values()) await writePart(g.name, g.cols);
  const manifest: Manifest = {
    version: CACHE_VERSION,
    ...info,
    branches: [...info.branches].sort(),
    nEvents: table.nEvents,
    columns: metas,
    parts,
    created: new Date().toISOString(),
  };
  await writeAtomic(manifestPath, new TextEncoder().encode(JSON.stringify(manifest, null, 1)));
  return manifest;
}

/**
 * The manifest of entry `<dir>/<key>` if it exists, parses, and all its parts have the recorded
 * sizes; otherwise null.
 *
 * @example
 * ```ts ignore
 * import { readManifest } from "./cache.ts";
 * const m = await readManifest("cache/signal", "sig-0123");
 * ```
 */
export async function readManifest(dir: string, key: string): Promise<Manifest | null> {
  let m: Manifest;
  try {
    m = JSON.parse(await Deno.readTextFile(`${dir}/${key}.manifest.json`));
  } catch {
    return null;
  }
  if (!m || typeof m !== "object" || !Array.isArray(m.parts) || !Array.isArray(m.columns)) {
    return null;
  }
  for (const p of m.parts) {
    const st = await Deno.stat(`${dir}/${p.file}`).catch(() => null);
    if (!st || st.size !== p.size) return null;
  }
  return m;
}

async function readParquetColumns(
  path: string,
  want: Map<string, FlatKind>,
): Promise<{ nRows: number; columns: Map<string, Flat> }> {
  const bytes = await Deno.readFile(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const nRows = Number(parquetMetadata(file).num_rows);
  const columns = new Map<string, Flat>();
  for (const [name, kind] of want) columns.set(name, allocFlat(kind, nRows));
  await parquetRead({
    file,
    columns: [...want.keys()],
    onChunk(chunk) {
      const out = columns.get(chunk.columnName);
      if (!out) return;
      const data: ArrayLike<unknown> = chunk.columnData;
      const isNumberView = data instanceof Float32Array || data instanceof Float64Array ||
        data instanceof Int32Array || data instanceof Uint8Array;
      if (isNumberView) out.set(data, chunk.rowStart);
      else for (let i = 0; i < data.length; i++) out[chunk.rowStart + i] = Number(data[i]);
    },
  });
  return { nRows, columns };
}

/**
 * Reads the columns `branches` (all cached columns when omitted) of a cache entry whose manifest
 * was returned by {@link readManifest}.
 *
 * @example
 * ```ts ignore
 * import { readCacheEntry, readManifest } from "./cache.ts";
 * const m = (await readManifest("cache/signal", "sig-0123"))!;
 * const t = await readCacheEntry("cache/signal", "sig-0123", m, ["Muon_pt"]);
 * ```
 */
export async function readCacheEntry(
  dir: string,
  key: string,
  manifest: Manifest,
  branches?: readonly string[],
): Promise<EventTable> {
  const names = new Set(branches ?? manifest.columns.map((c) => c.name));
  const metas = manifest.columns.filter((c) => names.has(c.name));
  const eventsWant = new Map<string, FlatKind>();
  const groupWant = new Map<string, Map<string, FlatKind>>();
  for (const c of metas) {
    if (c.group === undefined) eventsWant.set(c.name, c.kind);
    else {
      eventsWant.set(`#${c.group}`, "i32");
      groupWant.set(c.group, (groupWant.get(c.group) ?? new Map()).set(c.name, c.kind));
    }
  }
  const ev = await readParquetColumns(`${dir}/${key}.events.parquet`, eventsWant);
  if (ev.nRows !== manifest.nEvents) {
    throw new Error(
      `cache entry ${dir}/${key}: ${ev.nRows} rows, manifest says ${manifest.nEvents}`,
    );
  }
  const columns: Record<string, Column> = {};
  for (const c of metas) if (c.group === undefined) columns[c.name] = ev.columns.get(c.name)!;
  for (const [g, want] of groupWant) {
    const offsets = countsToOffsets(ev.columns.get(`#${g}`)!);
    const part = await readParquetColumns(`${dir}/${key}.${g}.parquet`, want);
    if (part.nRows !== offsets[offsets.length - 1]) {
      throw new Error(
        `cache entry ${dir}/${key}: ${g} has ${part.nRows} objects, counts say ${
          offsets[offsets.length - 1]
        }`,
      );
    }
    for (const [name, values] of part.columns) columns[name] = { offsets, values };
  }
  return { nEvents: manifest.nEvents, columns };
}

/**
 * The identity of a source for cache matching: size and modification time of a local file (and
 * its SHA-256 when `hash` is set — slower, but immune to tools that keep mtimes), or the URL
 * itself (remote NanoAOD files are immutable, as CMS Open Data records are).
 *
 * @example
 * ```ts ignore
 * import { stampSource } from "./cache.ts";
 * const s = await stampSource("../shared/data/nanoaod/nano_dy.root");
 * ```
 */
export async function stampSource(source: string, hash = false): Promise<SourceStamp> {
  if (/^https?:/i.test(source)) return { kind: "url", url: source };
  const path = source.startsWith("file:") ? decodeURIComponent(new URL(source).pathname) : source;
  const abs = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const st = await Deno.stat(abs);
  const stamp: SourceStamp = {
    kind: "file",
    path: abs,
    size: st.size,
    mtimeMs: st.mtime?.getTime() ?? 0,
  };
  if (hash) stamp.sha256 = await sha256Hex(await Deno.readFile(abs));
  return stamp;
}
