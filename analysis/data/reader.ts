/**
 * NanoAOD ROOT files in, columns out, through jsroot's I/O and tree modules only (its main entry
 * pulls drawing code and a native canvas build). Flat branches arrive as typed arrays, jagged
 * (per-object) branches as offsets + values; names are canonical after the fallbacks of
 * `branches.ts` are resolved.
 *
 * Speed: flat branches are read basket by basket through jsroot's array mode
 * (`TSelector.ProcessArrays`, one typed array per basket); jagged branches come event by event
 * (jsroot cannot hand out their baskets as arrays) and are appended to growable typed arrays,
 * so no per-event JS objects outlive the callback. The two kinds are read in separate passes for
 * that reason.
 *
 * Stored types map to column types as: `F`→Float32, `D`→Float64, `O` (bool) and unsigned `B`
 * (UChar)→Uint8, signed `B`/`S`/`I` and unsigned `S`→Int32, unsigned `I` (run, luminosityBlock)
 * and 64-bit `L`/`l` (event)→Float64 (exact below 2^53).
 *
 * @module
 */
import { openFile } from "npm:jsroot@7.11.2/io";
import { treeProcess, TSelector } from "npm:jsroot@7.11.2/tree";
import type { EventTable } from "./columns.ts";
import { type Fallbacks, NANOAOD_FALLBACKS, resolveBranches } from "./branches.ts";
import {
  allocFlat,
  FlatBuilder,
  type FlatKind,
  JaggedBuilder,
  type NumericArrayLike,
  shareOffsets,
} from "./table.ts";

/** A ROOT file: a local path, a `file:`/`http(s):` URL, or the file's bytes. */
export type RootSource = string | URL | Uint8Array;

/** A ROOT file could not be opened or read (corrupt, truncated, not ROOT, no such tree). */
export class RootReadError extends Error {
  /** The file, as given. */
  readonly file: string;
  /** An error about `file`. */
  constructor(file: string, detail: string, options?: ErrorOptions) {
    super(`cannot read ROOT file ${file}: ${detail}`, options);
    this.name = "RootReadError";
    this.file = file;
  }
}

/** Requested branches a file does not have under any of their fallback names. */
export class MissingBranchError extends Error {
  /** The file, as given. */
  readonly file: string;
  /** Each missing branch with the names tried. */
  readonly missing: { branch: string; tried: string[] }[];
  /** An error listing what `file` lacks. */
  constructor(file: string, missing: { branch: string; tried: string[] }[]) {
    const list = missing.map((m) =>
      m.tried.length > 1 || m.tried[0] !== m.branch
        ? `${m.branch} (tried ${m.tried.join(", ")})`
        : m.branch
    );
    super(`ROOT file ${file} has no branch ${list.join("; ")}`);
    this.name = "MissingBranchError";
    this.file = file;
    this.missing = missing;
  }
}

/** Options for {@link openEvents}. */
export interface OpenOptions {
  /** TTree name (default `Events`). */
  tree?: string;
  /** Name fallbacks (default {@link NANOAOD_FALLBACKS}). */
  fallbacks?: Fallbacks;
}

/** An entry range `[entryStart, entryStop)` and a progress callback. */
export interface ReadOptions {
  /** First entry (default 0). */
  entryStart?: number;
  /** One past the last entry (default: all). */
  entryStop?: number;
  /** Called with entries read so far in this call (of `entryStop - entryStart`). */
  onProgress?: (entriesDone: number) => void;
}

/** An opened tree of events. */
export interface RootEvents {
  /** The file as given (path or URL; `<bytes>` for in-memory files). */
  readonly file: string;
  /** Entries in the tree. */
  readonly nEntries: number;
  /** Every branch name the tree has. */
  readonly branchNames: readonly string[];
  /** canonical → stored branch name; throws {@link MissingBranchError} naming the file. */
  resolve(branches: readonly string[]): Map<string, string>;
  /** Reads canonical branches over an entry range. */
  read(branches: readonly string[], opts?: ReadOptions): Promise<EventTable>;
}

/** jsroot's leaf, the fields we use. */
interface Leaf {
  _typename: string;
  fIsUnsigned?: boolean;
  fLen?: number;
  fLeafCount?: { fName: string } | null;
}
interface Branch {
  fName: string;
  fLeaves?: { arr: Leaf[] };
}
interface Tree {
  fEntries: number | bigint;
  fBranches: { arr: Branch[] };
}

interface BranchInfo {
  kind: FlatKind;
  jagged: boolean;
}

function leafInfo(file: string, branch: Branch): BranchInfo {
  const leaves = branch.fLeaves?.arr ?? [];
  if (leaves.length !== 1) {
    throw new RootReadError(
      file,
      `branch ${branch.fName} has ${leaves.length} leaves; only one-leaf (NanoAOD) branches are supported`,
    );
  }
  const leaf = leaves[0];
  const jagged = !!leaf.fLeafCount;
  if (!jagged && (leaf.fLen ?? 1) > 1) {
    throw new RootReadError(file, `branch ${branch.fName} is a fixed-size array, not supported`);
  }
  const u = !!leaf.fIsUnsigned;
  const kinds: Record<string, FlatKind | undefined> = {
    TLeafF: "f32",
    TLeafD: "f64",
    TLeafO: "u8",
    TLeafB: u ? "u8" : "i32",
    TLeafS: "i32",
    TLeafI: u ? "f64" : "i32",
    TLeafL: "f64",
    TLeafG: "f64",
  };
  const kind = kinds[leaf._typename];
  if (!kind) {
    throw new RootReadError(
      file,
      `branch ${branch.fName} has leaf type ${leaf._typename}, not a NanoAOD number type`,
    );
  }
  return { kind, jagged };
}

/**
 * Runs a jsroot call with its console output held back: jsroot logs its own failures (with stack
 * traces) before rejecting, and we report those failures as errors naming the file. What it logs
 * is shown after the call, once, prefixed, and appended to the message of an error it throws.
 */
async function quietly<T>(call: () => Promise<T>): Promise<T> {
  const held: string[] = [];
  const saved = { error: console.error, warn: console.warn, log: console.log };
  const hold = (...args: unknown[]) => {
    const first = args.map((a) => a instanceof Error ? a.message : String(a)).join(" ");
    held.push(first.split("\n")[0]);
  };
  console.error = console.warn = console.log = hold;
  try {
    return await call();
  } catch (e) {
    if (held.length && e instanceof Error) e.message += ` [jsroot: ${held.join("; ")}]`;
    held.length = 0;
    throw e;
  } finally {
    Object.assign(console, saved);
    for (const h of held) console.warn(`jsroot: ${h}`);
  }
}

function describeSource(source: RootSource): { label: string; arg: string | ArrayBuffer } {
  if (source instanceof Uint8Array) {
    const copy = new Uint8Array(source.byteLength);
    copy.set(source);
    return { label: "<bytes>", arg: copy.buffer };
  }
  const s = source instanceof URL ? source.href : source;
  if (s.startsWith("file:")) return { label: s, arg: decodeURIComponent(new URL(s).pathname) };
  return { label: s, arg: s };
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Opens a tree of events (default `Events`) in a ROOT file.
 *
 * @example
 * ```ts ignore
 * import { openEvents } from "./reader.ts";
 * const ev = await openEvents("../shared/data/nanoaod/nano_dy.root");
 * ev.nEntries; // 40
 * const t = await ev.read(["Muon_pt", "MET_pt"], { entryStop: 10 });
 * ```
 */
export async function openEvents(source: RootSource, opts: OpenOptions = {}): Promise<RootEvents> {
  const { label, arg } = describeSource(source);
  const treeName = opts.tree ?? "Events";
  const fallbacks = opts.fallbacks ?? NANOAOD_FALLBACKS;
  // deno-lint-ignore no-explicit-any
  let file: any;
  try {
    file = await quietly(() => openFile(arg));
  } catch (e) {
    throw new RootReadError(label, `not a readable ROOT file (${errText(e)})`, { cause: e });
  }
  if (!file) throw new RootReadError(label, "not a readable ROOT file");
  const keys: string[] = (file.fKeys ?? []).map((k: { fName: string }) => k.fName);
  if (!keys.includes(treeName)) {
    throw new RootReadError(
      label,
      `no TTree ${treeName} (keys: ${keys.join(", ") || "none"}; a truncated file loses its keys)`,
    );
  }
  let tree: Tree | null;
  try {
    tree = await quietly(() => file.readObject(treeName));
  } catch (e) {
    throw new RootReadError(
      label,
      `cannot read TTree ${treeName} (${errText(e)}); the file may be truncated or corrupt`,
      { cause: e },
    );
  }
  if (!tree || !tree.fBranches) throw new RootReadError(label, `${treeName} is not a TTree`);
  const branches = new Map(tree.fBranches.arr.map((b) => [b.fName, b]));
  const available = new Set(branches.keys());
  const nEntries = Number(tree.fEntries);

  const resolve = (names: readonly string[]) => {
    const r = resolveBranches(names, available, fallbacks);
    if (r.missing.length) throw new MissingBranchError(label, r.missing);
    return r.resolved;
  };

  const read = (names: readonly string[], ro: ReadOptions = {}) =>
    readBranches({ label, tree: tree!, nEntries, branches, resolve }, names, ro);

  return { file: label, nEntries, branchNames: [...available], resolve, read };
}

/** What reading needs from an opened tree. */
interface OpenTree {
  label: string;
  tree: Tree;
  nEntries: number;
  branches: Map<string, Branch>;
  resolve: (names: readonly string[]) => Map<string, string>;
}

/** Reads canonical branches over an entry range: flat ones in array mode, jagged ones per event. */
async function readBranches(
  t: OpenTree,
  names: readonly string[],
  ro: ReadOptions,
): Promise<EventTable> {
  const { label, tree, nEntries, branches } = t;
  const start = Math.max(0, ro.entryStart ?? 0);
  const stop = Math.min(nEntries, ro.entryStop ?? nEntries);
  const resolved = t.resolve(names);
  const infos = new Map(
    names.map((n) => [n, leafInfo(label, branches.get(resolved.get(n)!)!)] as const),
  );
  const columns: EventTable["columns"] = {};
  const nEvents = Math.max(0, stop - start);
  // Each stored branch is read once (two canonical names may resolve to it: MET_pt and
  // PuppiMET_pt); the others become aliases of its column.
  const firstOf = new Map<string, string>();
  for (const n of names) if (!firstOf.has(resolved.get(n)!)) firstOf.set(resolved.get(n)!, n);
  const unique = [...firstOf.values()];
  const flat = unique.filter((n) => !infos.get(n)!.jagged);
  const jagged = unique.filter((n) => infos.get(n)!.jagged);
  // Progress over both passes: each pass covers nEvents entries.
  const passes = (flat.length ? 1 : 0) + (jagged.length ? 1 : 0);
  let doneBefore = 0;
  const progress = (done: number) => ro.onProgress?.(Math.round((doneBefore + done) / passes));
  if (nEvents > 0 && flat.length) {
    const builders = flat.map((n) => new FlatBuilder(infos.get(n)!.kind, nEvents));
    await runSelector(tree, label, flat.map((n) => resolved.get(n)!), start, nEvents, {
      arrays(arrs) {
        for (let k = 0; k < arrs.length; k++) builders[k].pushArray(arrs[k]);
      },
      entry(values) {
        for (let k = 0; k < values.length; k++) builders[k].push(Number(values[k]));
      },
    }, progress);
    flat.forEach((n, k) => columns[n] = builders[k].finish());
    doneBefore += nEvents;
  } else {
    for (const n of flat) columns[n] = new FlatBuilder(infos.get(n)!.kind, 0).finish();
  }
  if (nEvents > 0 && jagged.length) {
    const builders = jagged.map((n) => new JaggedBuilder(infos.get(n)!.kind));
    await runSelector(tree, label, jagged.map((n) => resolved.get(n)!), start, nEvents, {
      arrays() {
        throw new Error("jsroot used array mode for a jagged branch");
      },
      entry(values) {
        for (let k = 0; k < values.length; k++) {
          builders[k].pushEvent(values[k] as NumericArrayLike);
        }
      },
    }, progress);
    jagged.forEach((n, k) => columns[n] = builders[k].finish());
  } else {
    for (const n of jagged) {
      columns[n] = {
        offsets: new Int32Array(nEvents + 1),
        values: allocFlat(infos.get(n)!.kind, 0),
      };
    }
  }
  for (const n of names) columns[n] ??= columns[firstOf.get(resolved.get(n)!)!];
  return shareOffsets({ nEvents, columns });
}

interface Sink {
  /** One basket's worth of entries per branch (array mode). */
  arrays(arrs: NumericArrayLike[]): void;
  /** One entry: a scalar (flat) or a typed array (jagged) per branch. */
  entry(values: unknown[]): void;
}

async function runSelector(
  tree: Tree,
  label: string,
  stored: string[],
  start: number,
  count: number,
  sink: Sink,
  progress: (done: number) => void,
): Promise<void> {
  const sel = new TSelector();
  const keys = stored.map((s, k) => {
    sel.addBranch(s, `c${k}`);
    return `c${k}`;
  });
  let done = 0;
  let lastReport = 0;
  const tick = (n: number) => {
    done += n;
    if (done - lastReport >= 20000 || done === count) {
      lastReport = done;
      progress(done);
    }
  };
  const self = sel as unknown as {
    tgtobj: Record<string, unknown>;
    tgtarr: Record<string, NumericArrayLike>;
    Process: () => void;
    ProcessArrays: () => void;
  };
  const row = new Array<unknown>(keys.length);
  self.Process = function () {
    for (let k = 0; k < keys.length; k++) row[k] = self.tgtobj[keys[k]];
    sink.entry(row);
    tick(1);
  };
  self.ProcessArrays = function () {
    const arrs = keys.map((k) => self.tgtarr[k]);
    sink.arrays(arrs);
    tick(arrs[0].length);
  };
  try {
    await quietly(() => treeProcess(tree, sel, { firstentry: start, numentries: count }));
  } catch (e) {
    throw new RootReadError(
      label,
      `reading branches ${stored.join(", ")} failed (${
        errText(e)
      }); the file may be truncated or corrupt`,
      { cause: e },
    );
  }
  if (done !== count) {
    throw new RootReadError(
      label,
      `read ${done} of ${count} entries of branches ${
        stored.join(", ")
      }; the file may be truncated`,
    );
  }
}

/**
 * Reads canonical branches of a NanoAOD file into columns (the one-call form of
 * {@link openEvents}).
 *
 * @example
 * ```ts ignore
 * import { readEvents } from "./reader.ts";
 * const t = await readEvents("../shared/data/nanoaod/nano_dy.root", ["nMuon", "Muon_pt", "MET_pt"]);
 * t.columns.Muon_pt; // { offsets: Int32Array(41), values: Float32Array(...) }
 * ```
 */
export async function readEvents(
  source: RootSource,
  branches: readonly string[],
  opts: OpenOptions & ReadOptions = {},
): Promise<EventTable> {
  const ev = await openEvents(source, opts);
  return await ev.read(branches, opts);
}
