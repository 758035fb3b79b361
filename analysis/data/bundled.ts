/**
 * The bundled default fileset: every process is one generated "file" named
 * `bundled:<process>?events=N&seed=S` (`bundled:data?seed=S&lumi=L&mu=μ` for pseudo-data), made on
 * first use by `generate.ts` and kept in the cache like a skimmed ROOT file. The fileset's `nGen`
 * follows from the event count, so weights are right at any size.
 *
 * @module
 */
import type { SourceStamp } from "./cache.ts";
import { DEFAULT_LUMI, type Fileset } from "./fileset.ts";
import {
  BUNDLED_PROCESSES,
  bundledNGen,
  DEFAULT_EVENTS,
  DEFAULT_MUON_FILTER_PT,
  defaultEventCounts,
  generateProcess,
  generatePseudoData,
  GENERATOR_VERSION,
} from "./generate.ts";
import type { Producer } from "./preprocess.ts";
import type { Skim } from "./skim.ts";

/** Options of {@link defaultFileset}. */
export interface BundledOptions {
  /** Total MC events generated, split over processes (default 100000; CI uses ~10000). */
  events?: number;
  /** Generator seed (default 42). */
  seed?: number;
  /** Luminosity of the pseudo-data, /pb (default 16400). */
  lumi?: number;
  /** Signal strength injected into the pseudo-data (default 0.3). */
  signalStrength?: number;
}

/**
 * The bundled fileset: Z′ signal, three tt̄ decay channels, W+jets and pseudo-data.
 *
 * @example
 * ```ts
 * import { defaultFileset } from "./bundled.ts";
 * const fs = defaultFileset({ events: 10000 });
 * fs.signal.files; // ["bundled:signal?events=1500&seed=42"]
 * ```
 */
export function defaultFileset(opts: BundledOptions = {}): Fileset {
  const seed = opts.seed ?? 42;
  const counts = defaultEventCounts(opts.events ?? DEFAULT_EVENTS);
  const fs: Fileset = {};
  for (const [name, p] of Object.entries(BUNDLED_PROCESSES)) {
    fs[name] = {
      files: [`bundled:${name}?events=${counts[name]}&seed=${seed}`],
      xsec: p.xsec,
      nGen: bundledNGen(name, counts[name]),
      isData: false,
    };
  }
  const lumi = opts.lumi ?? DEFAULT_LUMI;
  const mu = opts.signalStrength ?? 0.3;
  fs.data = {
    files: [`bundled:data?seed=${seed}&lumi=${lumi}&mu=${mu}`],
    xsec: 0,
    nGen: 0,
    isData: true,
  };
  return fs;
}

/** A parsed `bundled:` source name. */
export interface BundledSpec {
  /** Process (or `data`). */
  process: string;
  /** MC events to generate. */
  events: number;
  /** Seed. */
  seed: number;
  /** Pseudo-data luminosity, /pb. */
  lumi: number;
  /** Pseudo-data signal strength. */
  mu: number;
}

/**
 * Parses a `bundled:` source name.
 *
 * @example
 * ```ts
 * import { parseBundled } from "./bundled.ts";
 * parseBundled("bundled:signal?events=100&seed=1").events; // 100
 * ```
 */
export function parseBundled(file: string): BundledSpec {
  const m = /^bundled:([A-Za-z0-9_]+)(?:\?(.*))?$/.exec(file);
  if (!m) {
    throw new Error(`not a bundled source: ${file} (expected bundled:<process>?events=N&seed=S)`);
  }
  const q = new URLSearchParams(m[2] ?? "");
  const num = (k: string, dflt: number) => {
    const v = q.get(k);
    if (v === null) return dflt;
    const x = Number(v);
    if (!Number.isFinite(x) || x < 0) {
      throw new Error(`bundled source ${file}: ${k}=${v} is not a number ≥ 0`);
    }
    return x;
  };
  const process = m[1];
  if (process !== "data" && !(process in BUNDLED_PROCESSES)) {
    throw new Error(
      `bundled source ${file}: no process ${process} (have ${
        Object.keys(BUNDLED_PROCESSES).join(", ")
      }, data)`,
    );
  }
  const events = Math.round(num("events", defaultEventCounts()[process] ?? 0));
  return {
    process,
    events,
    seed: num("seed", 42),
    lumi: num("lumi", DEFAULT_LUMI),
    mu: num("mu", 0.3),
  };
}

/**
 * The producer that makes `bundled:` sources for preprocessing.
 *
 * @example
 * ```ts
 * import { bundledProducer } from "./bundled.ts";
 * bundledProducer.handles("bundled:signal"); // true
 * ```
 */
export const bundledProducer: Producer = {
  handles: (file) => file.startsWith("bundled:"),
  stamp(file): SourceStamp {
    const s = parseBundled(file);
    const extra = s.process === "data" ? `;lumi=${s.lumi};mu=${s.mu}` : "";
    return {
      kind: "bundled",
      process: s.process,
      seed: s.seed,
      events: s.process === "data" ? 0 : s.events,
      generator: `${GENERATOR_VERSION};muonFilterPt=${DEFAULT_MUON_FILTER_PT}${extra}`,
    };
  },
  produce(file: string, skim: Skim, onProgress?: (events: number) => void) {
    const s = parseBundled(file);
    const g = s.process === "data"
      ? generatePseudoData({ seed: s.seed, skim, lumi: s.lumi, signalStrength: s.mu, onProgress })
      : generateProcess(s.process, { events: s.events, seed: s.seed, skim, onProgress });
    return Promise.resolve(g);
  },
};
