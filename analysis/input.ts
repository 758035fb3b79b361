/**
 * The one place where the analysis reaches the data path (`analysis/data/`): the options of
 * `loadDataset` built from the configuration, and the loader itself. The driver takes a
 * {@link Loader} as a parameter, so tests inject synthetic events.
 *
 * Until the data path is merged, {@link loadDataset} is a stub that throws; when it lands this
 * module becomes `export { loadDataset } from "./data/mod.ts";` (same signature).
 *
 * @module
 */
import type { ProcessEvents } from "./data/columns.ts";
import type { Config } from "./config/schema.ts";

/**
 * The options of the data path's `loadDataset`.
 *
 * @example
 * ```ts
 * import { loadOptions } from "./input.ts";
 * import { DEFAULT_CONFIG } from "./config/defaults.ts";
 * const o = loadOptions(DEFAULT_CONFIG); // { fileset: null, cacheDir: "outputs/cache", ... }
 * ```
 */
export interface LoadOptions {
  /** Fileset JSON path (null: the bundled generated input). */
  fileset: string | null;
  /** Only these processes (all when absent). */
  processes?: string[];
  /** At most this many files per process (absent: all). */
  maxFiles?: number;
  /** The skim cache directory. */
  cacheDir: string;
  /** Use cached skims when present. */
  readFromCache: boolean;
  /** Run the skim (ROOT → cache) where no cache exists. */
  runPreprocessing: boolean;
  /** Branches to keep, by collection (`{ Muon: ["pt", ...], event: ["genWeight"] }`). */
  branches: Record<string, string[]>;
  /** The skim selection (cuts ANDed, or a function of the table). */
  skim: Config["preprocess"]["skim"];
  /** A failing file stops the run (`fail`) or is reported and skipped (`skip`). */
  onError: "fail" | "skip";
}

/**
 * A data loader: options in, weighted events per process out.
 *
 * @example
 * ```ts
 * import type { Loader } from "./input.ts";
 * const fake: Loader = async () => [];
 * ```
 */
export type Loader = (opts: LoadOptions) => Promise<ProcessEvents[]>;

/**
 * `loadDataset` options from the configuration (`general` and `preprocess`).
 *
 * @example
 * ```ts
 * import { loadOptions } from "./input.ts";
 * import { DEFAULT_CONFIG } from "./config/defaults.ts";
 * loadOptions(DEFAULT_CONFIG).skim;
 * ```
 */
export function loadOptions(cfg: Config): LoadOptions {
  const g = cfg.general;
  return {
    fileset: g.fileset,
    ...(g.processes ? { processes: g.processes } : {}),
    ...(g.maxFiles > 0 ? { maxFiles: g.maxFiles } : {}),
    cacheDir: g.cacheDir,
    readFromCache: g.readFromCache,
    runPreprocessing: g.runPreprocessing,
    branches: cfg.preprocess.branches,
    skim: cfg.preprocess.skim,
    onError: g.onError,
  };
}

/**
 * The data path's loader (stub until `analysis/data/mod.ts` is merged: it throws).
 *
 * @example
 * ```ts
 * import { loadDataset, loadOptions } from "./input.ts";
 * import { DEFAULT_CONFIG } from "./config/defaults.ts";
 * const events = await loadDataset(loadOptions(DEFAULT_CONFIG));
 * ```
 */
export function loadDataset(_opts: LoadOptions): Promise<ProcessEvents[]> {
  return Promise.reject(
    new Error(
      "data path not merged yet: analysis/data/mod.ts (loadDataset) is built on another branch",
    ),
  );
}
