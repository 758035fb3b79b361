/**
 * The one place where the analysis reaches the data path (`analysis/data/`): the configuration's
 * `general` and `preprocess` blocks become `loadDataset` options (branches by collection become
 * canonical branch names, the skim's cuts a {@link Skim}). The driver takes a {@link Loader} as a
 * parameter, so tests inject synthetic events.
 *
 * @module
 */
import type { ProcessEvents } from "./data/columns.ts";
import { loadDataset, type LoadOptions, type Skim } from "./data/mod.ts";
import type { Config } from "./config/schema.ts";

export { loadDataset, type LoadOptions };

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

/** Canonical branch names of `preprocess.branches` (`{Muon: ["pt"]}` → `Muon_pt`; `event` fields as they are). */
export function branchNames(branches: Config["preprocess"]["branches"]): string[] {
  return Object.entries(branches).flatMap(([coll, fields]) =>
    fields.map((f) => (coll === "event" ? f : `${coll}_${f}`))
  );
}

const OPS = {
  ">": (a: number, b: number) => a > b,
  ">=": (a: number, b: number) => a >= b,
  "<": (a: number, b: number) => a < b,
  "<=": (a: number, b: number) => a <= b,
  "==": (a: number, b: number) => a === b,
  "!=": (a: number, b: number) => a !== b,
} as const;

/** The configuration's skim (cuts ANDed, or a function of the table) as the data path's {@link Skim}. */
export function skimOf(skim: Config["preprocess"]["skim"]): Skim {
  if (typeof skim === "function") {
    return { name: skim.name || "custom skim", branches: [], select: skim };
  }
  return {
    name: skim.map((c) => `${c.branch} ${c.op} ${c.value}`).join(" && ") || "all events",
    branches: skim.map((c) => c.branch),
    select: (t) => {
      const mask = new Uint8Array(t.nEvents).fill(1);
      for (const c of skim) {
        const col = t.columns[c.branch];
        if (!col || !ArrayBuffer.isView(col)) {
          throw new Error(`preprocess.skim: ${c.branch} is not a per-event column of the input`);
        }
        const v = col as ArrayLike<number>, op = OPS[c.op];
        for (let i = 0; i < t.nEvents; i++) if (mask[i] && !op(v[i], c.value)) mask[i] = 0;
      }
      return mask;
    },
  };
}

/**
 * `loadDataset` options from the configuration (`general` and `preprocess`).
 *
 * @example
 * ```ts
 * import { loadOptions } from "./input.ts";
 * import { DEFAULT_CONFIG } from "./config/defaults.ts";
 * const o = loadOptions(DEFAULT_CONFIG); // bundled input, cache in outputs/cache, ...
 * ```
 */
export function loadOptions(cfg: Config): LoadOptions {
  const g = cfg.general;
  return {
    ...(g.fileset
      ? { fileset: g.fileset }
      : { bundled: { events: g.bundledEvents, lumi: g.lumi } }),
    ...(g.processes ? { processes: g.processes } : {}),
    ...(g.maxFiles > 0 ? { maxFiles: g.maxFiles } : {}),
    cacheDir: g.cacheDir,
    readFromCache: g.readFromCache,
    runPreprocessing: g.runPreprocessing,
    branches: branchNames(cfg.preprocess.branches),
    skim: skimOf(cfg.preprocess.skim),
    onError: g.onError,
    lumi: g.lumi,
  };
}
