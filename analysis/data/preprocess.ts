/**
 * Preprocessing: every source file of a fileset becomes one skimmed cache entry. Files are read in
 * parallel by a bounded pool of workers (`read_worker.ts`; about one per core), chunk by chunk so
 * memory stays bounded; the skim runs on the main thread as chunks arrive; finished files are
 * written to the cache atomically (`cache.ts`). Valid cache entries are used without opening the
 * source, so a re-run resumes where an interrupted one stopped.
 *
 * A file that fails (unreadable, corrupt, missing branch) either fails the whole run
 * (`onError: "fail"`, the default) or is skipped with a warning that is printed and returned in
 * {@link PreprocessResult.warnings} (`onError: "skip"`); it is never dropped silently.
 *
 * @module
 */
import type { EventTable } from "./columns.ts";
import type { Fallbacks } from "./branches.ts";
import {
  cacheKey,
  manifestMismatch,
  readCacheEntry,
  readManifest,
  type SourceStamp,
  stampSource,
  writeCacheEntry,
} from "./cache.ts";
import { openEvents } from "./reader.ts";
import type { ReadJob, WorkerMessage } from "./read_worker.ts";
import { applySkim, type Skim, skimId } from "./skim.ts";
import { concatTables, selectColumns } from "./table.ts";
import { type FileStatus, PreprocessProgress, type ProgressMode } from "./progress.ts";

/** One source file of one process. */
export interface FileTask {
  /** Process the file belongs to. */
  process: string;
  /** Path, URL or `bundled:` name. */
  file: string;
}

/** Makes the events of a non-ROOT source (the bundled generator), already skimmed. */
export interface Producer {
  /** True when this producer owns the source string (e.g. `bundled:…`). */
  handles(file: string): boolean;
  /** The source's identity for cache matching. */
  stamp(file: string): SourceStamp;
  /** Makes the skimmed events and says how many were made before the skim. */
  produce(
    file: string,
    skim: Skim,
    onProgress?: (events: number) => void,
  ): Promise<{ table: EventTable; nInput: number }>;
}

/** Options of {@link preprocess}. */
export interface PreprocessOptions {
  /** Cache folder; entries go to `<cacheDir>/<process>/`. */
  cacheDir: string;
  /** Canonical branches to keep (the skim's branches are added). */
  branches: readonly string[];
  /** Selection applied before caching. */
  skim: Skim;
  /** TTree name (default `Events`). */
  tree?: string;
  /** Use valid cache entries (default true). */
  readFromCache?: boolean;
  /** Read sources when the cache cannot serve them (default true; false makes a miss an error). */
  runPreprocessing?: boolean;
  /** A failing file fails the run (default) or is skipped with a warning. */
  onError?: "skip" | "fail";
  /** Progress display (default `auto`). */
  progress?: ProgressMode;
  /** Files read at once (default: number of cores). */
  concurrency?: number;
  /** Entries per chunk a worker reads (default 100000). */
  chunkSize?: number;
  /** Read in worker threads (default true); false reads on the main thread. */
  workers?: boolean;
  /** Branch-name fallbacks (default: NanoAOD's). */
  fallbacks?: Fallbacks;
  /** Identify local sources by SHA-256 as well as size and mtime (default false). */
  hashSources?: boolean;
  /** Producers of non-ROOT sources. */
  producers?: readonly Producer[];
  /** Branches to leave out for a given process (e.g. MC-only branches for data). */
  dropFor?: (task: FileTask) => (branch: string) => boolean;
}

/** What happened to one file. */
export interface FileResult extends FileTask {
  /** How the events were obtained. */
  status: FileStatus;
  /** The skimmed events (absent when skipped). */
  table?: EventTable;
  /** Events before the skim. */
  nInput: number;
  /** Why it was skipped. */
  error?: string;
  /** Wall time for this file. */
  seconds: number;
}

/** All files' results and the warnings to show. */
export interface PreprocessResult {
  /** One result per task, in task order. */
  files: FileResult[];
  /** One line per skipped file. */
  warnings: string[];
}

interface Ctx {
  opts: PreprocessOptions;
  tree: string;
  skimName: string;
  progress: PreprocessProgress;
  pool: WorkerPool | null;
}

/**
 * Preprocesses files: cache hits are read, misses are read from their source, skimmed and cached.
 *
 * @example
 * ```ts ignore
 * import { preprocess } from "./preprocess.ts";
 * import { DEFAULT_SKIM } from "./skim.ts";
 * const r = await preprocess([{ process: "dy", file: "nano_dy.root" }], {
 *   cacheDir: ".cache", branches: ["Muon_pt", "MET_pt"], skim: DEFAULT_SKIM,
 * });
 * r.files[0].status; // "read" the first time, "cached" after
 * ```
 */
export async function preprocess(
  tasks: readonly FileTask[],
  opts: PreprocessOptions,
): Promise<PreprocessResult> {
  const progress = new PreprocessProgress(tasks.length, opts.progress ?? "auto");
  const concurrency = Math.max(1, opts.concurrency ?? navigator.hardwareConcurrency ?? 2);
  const ctx: Ctx = {
    opts,
    tree: opts.tree ?? "Events",
    skimName: await skimId(opts.skim),
    progress,
    pool: opts.workers === false ? null : new WorkerPool(),
  };
  const results: FileResult[] = new Array(tasks.length);
  const warnings: string[] = [];
  let next = 0;
  let failure: unknown = null;
  const lane = async () => {
    while (next < tasks.length && failure === null) {
      const i = next++;
      const t0 = performance.now();
      try {
        results[i] = await processFile(tasks[i], ctx);
      } catch (e) {
        const raw = e instanceof Error ? e.message : String(e);
        // Every report names the file (a skim that throws does not know it).
        const msg = raw.includes(tasks[i].file) ? raw : `${tasks[i].file}: ${raw}`;
        if ((opts.onError ?? "fail") === "fail") {
          failure ??= msg === raw ? e : new Error(msg, { cause: e });
          return;
        }
        const w = `skipped ${tasks[i].file} (process ${tasks[i].process}): ${msg}`;
        warnings.push(w);
        progress.warn(w);
        results[i] = {
          ...tasks[i],
          status: "skipped",
          nInput: 0,
          error: msg,
          seconds: (performance.now() - t0) / 1000,
        };
        progress.fileDone(tasks[i].file, "skipped", 0, 0, results[i].seconds);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, lane));
  } finally {
    ctx.pool?.close();
    progress.finish();
  }
  if (failure !== null) throw failure;
  return { files: results, warnings };
}

function branchesFor(task: FileTask, opts: PreprocessOptions): string[] {
  const all = [...new Set([...opts.branches, ...opts.skim.branches])];
  const drop = opts.dropFor?.(task);
  return (drop ? all.filter((b) => !drop(b)) : all).sort();
}

async function processFile(task: FileTask, ctx: Ctx): Promise<FileResult> {
  const { opts } = ctx;
  const t0 = performance.now();
  const branches = branchesFor(task, opts);
  const producer = opts.producers?.find((p) => p.handles(task.file));
  const source = producer ? producer.stamp(task.file) : await stampOrFail(task.file, opts);
  const dir = `${opts.cacheDir}/${task.process}`;
  const key = await cacheKey(task.file, ctx.tree);
  const expect = { source, tree: ctx.tree, branches, skim: ctx.skimName };
  const done = (status: FileStatus, table: EventTable, nInput: number): FileResult => {
    const seconds = (performance.now() - t0) / 1000;
    ctx.progress.fileDone(task.file, status, nInput, table.nEvents, seconds);
    return { ...task, status, table, nInput, seconds };
  };
  let why = "no cache entry";
  if (opts.readFromCache ?? true) {
    const m = await readManifest(dir, key);
    const mismatch = m ? manifestMismatch(m, expect) : why;
    if (m && mismatch === null) {
      const table = await readCacheEntry(dir, key, m, branches);
      ctx.progress.advance(m.nInput);
      return done("cached", table, m.nInput);
    }
    why = mismatch ?? why;
  } else why = "readFromCache is false";
  // Generated sources are always made on a miss: they need no input files.
  if (opts.runPreprocessing === false && !producer) {
    throw new Error(
      `no usable cache for ${task.file} in ${dir} (${why}) and runPreprocessing is false`,
    );
  }
  if (producer) {
    const { table, nInput } = await producer.produce(
      task.file,
      opts.skim,
      (n) => ctx.progress.advance(n),
    );
    const have = Object.keys(table.columns);
    const lack = branches.filter((b) => !(b in table.columns));
    if (lack.length) {
      throw new Error(`${task.file} has no branch ${lack.join(", ")} (it has ${have.join(", ")})`);
    }
    // Everything generated is cached, so other branch lists are served without regenerating.
    await writeCacheEntry(dir, key, table, {
      source,
      tree: ctx.tree,
      branches: have,
      resolved: Object.fromEntries(have.map((b) => [b, b])),
      skim: ctx.skimName,
      nInput,
    });
    return done("generated", selectColumns(table, branches), nInput);
  }
  const { table, nInput, resolved } = await readSource(task.file, branches, ctx);
  await writeCacheEntry(dir, key, table, {
    source,
    tree: ctx.tree,
    branches,
    resolved,
    skim: ctx.skimName,
    nInput,
  });
  return done("read", table, nInput);
}

async function stampOrFail(file: string, opts: PreprocessOptions): Promise<SourceStamp> {
  try {
    return await stampSource(file, opts.hashSources ?? false);
  } catch (e) {
    throw new Error(`cannot access ${file}: ${e instanceof Error ? e.message : e}`);
  }
}

async function readSource(
  file: string,
  branches: string[],
  ctx: Ctx,
): Promise<{ table: EventTable; nInput: number; resolved: Record<string, string> }> {
  const chunkSize = ctx.opts.chunkSize ?? 100_000;
  const parts: EventTable[] = [];
  let nInput = 0;
  let resolved: Record<string, string> = {};
  const onChunk = (t: EventTable) => {
    nInput += t.nEvents;
    parts.push(applySkim(t, ctx.opts.skim));
  };
  if (ctx.pool) {
    resolved = await ctx.pool.read(
      { file, branches, tree: ctx.tree, chunkSize, fallbacks: ctx.opts.fallbacks },
      onChunk,
      (n) => ctx.progress.advance(n),
    );
  } else {
    const ev = await openEvents(file, { tree: ctx.tree, fallbacks: ctx.opts.fallbacks });
    resolved = Object.fromEntries(ev.resolve(branches));
    for (let s = 0; s < ev.nEntries; s += chunkSize) {
      let last = 0;
      onChunk(
        await ev.read(branches, {
          entryStart: s,
          entryStop: s + chunkSize,
          onProgress: (d) => {
            ctx.progress.advance(d - last);
            last = d;
          },
        }),
      );
    }
  }
  const table = parts.length
    ? concatTables(parts)
    : { nEvents: 0, columns: Object.fromEntries(branches.map((b) => [b, new Float32Array(0)])) };
  return { table, nInput, resolved };
}

/** Idle workers kept for reuse; a worker that reported an error is still reusable. */
class WorkerPool {
  private idle: Worker[] = [];
  private all: Worker[] = [];

  private take(): Worker {
    const w = this.idle.pop();
    if (w) return w;
    const fresh = new Worker(new URL("./read_worker.ts", import.meta.url), { type: "module" });
    this.all.push(fresh);
    return fresh;
  }

  read(
    job: ReadJob,
    onChunk: (t: EventTable) => void,
    onProgress: (n: number) => void,
  ): Promise<Record<string, string>> {
    const w = this.take();
    return new Promise((resolve, reject) => {
      let resolved: Record<string, string> = {};
      const finish = (err?: Error) => {
        w.onmessage = null;
        w.onerror = null;
        this.idle.push(w);
        if (err) reject(err);
        else resolve(resolved);
      };
      w.onerror = (e) => {
        e.preventDefault();
        // A crashed worker is not reused.
        this.all = this.all.filter((x) => x !== w);
        w.terminate();
        reject(new Error(`reader worker failed on ${job.file}: ${e.message}`));
      };
      w.onmessage = (e: MessageEvent<WorkerMessage>) => {
        const m = e.data;
        try {
          if (m.type === "meta") resolved = m.resolved;
          else if (m.type === "progress") onProgress(m.entries);
          else if (m.type === "chunk") {
            onChunk(m.table);
            w.postMessage("ack");
          } else if (m.type === "done") finish();
          else {
            const err = new Error(m.message);
            err.name = m.name;
            finish(err);
          }
        } catch (err) {
          // The skim threw: stop this file; the worker is replaced since it waits for an ack.
          this.all = this.all.filter((x) => x !== w);
          w.terminate();
          w.onmessage = null;
          reject(err);
        }
      };
      w.postMessage(job);
    });
  }

  close(): void {
    for (const w of this.all) w.terminate();
    this.all = [];
    this.idle = [];
  }
}
