/**
 * The data path of the Z′→tt̄ analysis, one entry point: {@link loadDataset} takes a fileset (the
 * bundled generated samples by default, or NanoAOD ROOT files and URLs), preprocesses each file
 * (read → skim → Parquet cache, in parallel, resumable) and returns every process's skimmed
 * columns with normalised event weights.
 *
 * @example
 * ```ts ignore
 * import { loadDataset } from "./mod.ts";
 * const procs = await loadDataset({ cacheDir: ".cache/analysis" }); // bundled input, generated once
 * for (const p of procs) console.log(p.process, p.table.nEvents, p.weight.reduce((a, b) => a + b, 0));
 * ```
 *
 * @module
 */
import type { EventTable, ProcessEvents } from "./columns.ts";
import { isMcOnlyBranch } from "./branches.ts";
import { type BundledOptions, bundledProducer, defaultFileset } from "./bundled.ts";
import { DEFAULT_LUMI, eventWeights, type Fileset, loadFileset } from "./fileset.ts";
import { type FileResult, preprocess, type PreprocessOptions } from "./preprocess.ts";
import { DEFAULT_SKIM, type Skim } from "./skim.ts";
import { concatTables } from "./table.ts";

export type { Column, EventTable, Flat, Jagged, ProcessEvents } from "./columns.ts";
export { isJagged } from "./columns.ts";
export { type Fallbacks, NANOAOD_FALLBACKS, resolveBranches } from "./branches.ts";
export { defaultFileset } from "./bundled.ts";
export {
  DEFAULT_LUMI,
  eventWeights,
  type Fileset,
  FilesetError,
  loadFileset,
  parseFileset,
} from "./fileset.ts";
export type { FileResult } from "./preprocess.ts";
export { MissingBranchError, openEvents, readEvents, RootReadError } from "./reader.ts";
export { applySkim, DEFAULT_SKIM, NO_SKIM, type Skim, triggerMetSkim } from "./skim.ts";

/**
 * The branches the reference analysis reads, by canonical name.
 *
 * @example
 * ```ts
 * import { DEFAULT_BRANCHES } from "./mod.ts";
 * DEFAULT_BRANCHES.includes("FatJet_particleNet_TvsQCD"); // true
 * ```
 */
export const DEFAULT_BRANCHES: readonly string[] = [
  ...["pt", "eta", "phi", "mass", "miniIsoId", "tightId", "charge"].map((f) => `Muon_${f}`),
  ...["particleNet_TvsQCD", "pt", "eta", "phi", "mass"].map((f) => `FatJet_${f}`),
  ...["btagDeepB", "jetId", "pt", "eta", "phi", "mass"].map((f) => `Jet_${f}`),
  "MET_pt",
  "MET_phi",
  "HLT_TkMu50",
  "Pileup_nTrueInt",
  "genWeight",
  "run",
  "luminosityBlock",
  "event",
];

/** Options of {@link loadDataset}. */
export interface LoadOptions {
  /** A fileset, a path to a fileset JSON, or omitted for the bundled samples. */
  fileset?: Fileset | string;
  /** Size, seed and pseudo-data settings of the bundled samples (when `fileset` is omitted). */
  bundled?: BundledOptions;
  /** Only these processes (default: all). */
  processes?: readonly string[];
  /** At most this many files per process. */
  maxFiles?: number;
  /** Cache folder (default `.cache/analysis`). */
  cacheDir?: string;
  /** Use valid cache entries (default true). */
  readFromCache?: boolean;
  /** Read sources the cache cannot serve (default true). */
  runPreprocessing?: boolean;
  /** Canonical branches to keep (default {@link DEFAULT_BRANCHES}). */
  branches?: readonly string[];
  /** Preprocessing selection (default {@link DEFAULT_SKIM}). */
  skim?: Skim;
  /** A failing file fails the run (default) or is skipped with a warning. */
  onError?: "skip" | "fail";
  /** Progress display (default `auto`). */
  progress?: PreprocessOptions["progress"];
  /** Integrated luminosity for MC weights, /pb (default 16400). */
  lumi?: number;
  /** Files read at once (default: cores). */
  concurrency?: number;
  /** Read ROOT files in worker threads (default true). */
  workers?: boolean;
  /** TTree name (default `Events`). */
  tree?: string;
  /** Identify local files by SHA-256 too, not only size and mtime (default false; slower). */
  hashSources?: boolean;
  /** Called once per warning (skipped files, empty processes). */
  onWarning?: (message: string) => void;
}

/** Everything {@link loadDatasetWithReport} learned. */
export interface DatasetReport {
  /** One entry per process, in fileset order. */
  processes: ProcessEvents[];
  /** Per-file outcome: read, cached, generated or skipped. */
  files: FileResult[];
  /** Skipped files and empty processes. */
  warnings: string[];
}

function selectFileset(fs: Fileset, opts: LoadOptions): Fileset {
  const names = opts.processes ?? Object.keys(fs);
  const out: Fileset = {};
  for (const n of names) {
    const spec = fs[n];
    if (!spec) {
      throw new Error(
        `loadDataset: no process ${n} in the fileset (have ${Object.keys(fs).join(", ")})`,
      );
    }
    const files = opts.maxFiles !== undefined
      ? spec.files.slice(0, Math.max(0, opts.maxFiles))
      : spec.files;
    out[n] = { ...spec, files };
  }
  return out;
}

/**
 * Loads, preprocesses and weights every process of a fileset, reporting per-file outcomes and
 * warnings.
 *
 * @example
 * ```ts ignore
 * import { loadDatasetWithReport } from "./mod.ts";
 * const r = await loadDatasetWithReport({ bundled: { events: 10000 }, cacheDir: "/tmp/c" });
 * r.files.map((f) => f.status); // ["generated", …] the first time, ["cached", …] after
 * ```
 */
export async function loadDatasetWithReport(opts: LoadOptions = {}): Promise<DatasetReport> {
  const full = opts.fileset === undefined
    ? defaultFileset({ lumi: opts.lumi, ...opts.bundled })
    : typeof opts.fileset === "string"
    ? await loadFileset(opts.fileset)
    : opts.fileset;
  const fileset = selectFileset(full, opts);
  const tasks = Object.entries(fileset).flatMap(([process, s]) =>
    s.files.map((file) => ({ process, file }))
  );
  // MC weights need genWeight's sign whatever the caller asked for (data drops it below).
  const branches = [...new Set([...(opts.branches ?? DEFAULT_BRANCHES), "genWeight"])];
  const skim = opts.skim ?? DEFAULT_SKIM;
  const result = await preprocess(tasks, {
    cacheDir: opts.cacheDir ?? ".cache/analysis",
    branches,
    skim,
    tree: opts.tree,
    readFromCache: opts.readFromCache,
    runPreprocessing: opts.runPreprocessing,
    onError: opts.onError,
    progress: opts.progress,
    concurrency: opts.concurrency,
    workers: opts.workers,
    hashSources: opts.hashSources,
    producers: [bundledProducer],
    dropFor: (t) => fileset[t.process].isData ? isMcOnlyBranch : () => false,
  });
  const warnings = [...result.warnings];
  const lumi = opts.lumi ?? DEFAULT_LUMI;
  const processes: ProcessEvents[] = [];
  for (const [process, spec] of Object.entries(fileset)) {
    const files = result.files.filter((f) => f.process === process);
    const tables = files.flatMap((f) => f.table ? [f.table] : []);
    if (!tables.length) {
      const w = `process ${process}: no events (every file was skipped)`;
      warnings.push(w);
      // Skipped files were reported as they happened; this one is only known now.
      if (opts.progress !== "off") console.warn(`warning: ${w}`);
    }
    const table: EventTable = tables.length ? concatTables(tables) : { nEvents: 0, columns: {} };
    const gw = table.columns.genWeight;
    const genWeight = gw && !("offsets" in gw) ? gw : undefined;
    processes.push({
      process,
      isData: spec.isData,
      table,
      weight: eventWeights(spec, spec.isData ? undefined : genWeight, table.nEvents, lumi),
      xsec: spec.xsec,
      nGen: spec.nGen,
      files: files.filter((f) => f.status !== "skipped").map((f) => f.file),
    });
  }
  for (const w of warnings) opts.onWarning?.(w);
  return { processes, files: result.files, warnings };
}

/**
 * Loads every process of a fileset (the bundled samples by default): the one entry the physics
 * code calls. Warnings (skipped files) go to `opts.onWarning` and stderr.
 *
 * @example
 * ```ts ignore
 * import { loadDataset } from "./mod.ts";
 * const procs = await loadDataset({ bundled: { events: 10000 }, processes: ["signal", "ttbar_semilep"] });
 * ```
 */
export async function loadDataset(opts: LoadOptions = {}): Promise<ProcessEvents[]> {
  return (await loadDatasetWithReport(opts)).processes;
}
