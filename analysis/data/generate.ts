/**
 * The bundled default input: a seeded generator of NanoAOD-like events for the Z′→tt̄ search, so
 * the analysis runs on a fresh machine without downloads. Processes (real cross-sections):
 *
 * | process | σ (pb) | model |
 * |---|---|---|
 * | `signal` | 1 | Z′ (M = 2000 GeV, Γ/M = 2%) → tt̄, all decay modes |
 * | `ttbar_semilep` | 364.31 | SM tt̄ → ℓν b b q q̄′, m_tt > 1 TeV |
 * | `ttbar_had` | 380.11 | SM tt̄ → all hadronic, m_tt > 1 TeV |
 * | `ttbar_dilep` | 87.33 | SM tt̄ → ℓν ℓν b b, m_tt > 1 TeV |
 * | `wjets` | 61526.7 | W(→ℓν)+jets, W pT > 400 GeV; 16% negative genWeights (aMC@NLO-like) |
 * | `data` | — | pseudo-data: fresh events of every process, Poisson counts at L, signal × `signalStrength` |
 *
 * Each MC sample covers a known fraction ε of its process's cross-section (the boosted tail of the
 * toy spectra in `truth.ts`), so `N_gen = (Σ sign(genWeight)) / ε` makes `σ·L/N_gen` weights give
 * the yields of a real analysis. Events are skimmed like ROOT input and go straight into the cache
 * format; everything is deterministic for a seed.
 *
 * @module
 */
import type { EventTable } from "./columns.ts";
import { EventWriter, reconstruct } from "./detector.ts";
import { DEFAULT_LUMI } from "./fileset.ts";
import { pt } from "./kinematics.ts";
import { Rng } from "./prng.ts";
import { applySkim, DEFAULT_SKIM, type Skim } from "./skim.ts";
import { concatTables } from "./table.ts";
import {
  type TruthEvent,
  ttbarEvent,
  ttbarTailFraction,
  wjetsEvent,
  wTailFraction,
} from "./truth.ts";

/** Version of the generator's physics; part of cache identities. */
export const GENERATOR_VERSION = "zprime-toy-1";

/** A bundled MC process. */
export interface BundledProcess {
  /** Cross-section, pb. */
  xsec: number;
  /** Fraction of the process's cross-section the generated phase space covers. */
  filterEff: number;
  /** Fraction of events with negative genWeight. */
  negativeFraction: number;
  /** Share of the `events` budget of {@link defaultEventCounts}. */
  share: number;
  /** |genWeight|. */
  genWeight: number;
  /** Draws one truth-level event. */
  truth(rng: Rng): TruthEvent;
}

/**
 * The bundled MC processes.
 *
 * @example
 * ```ts
 * import { BUNDLED_PROCESSES } from "./generate.ts";
 * BUNDLED_PROCESSES.ttbar_semilep.xsec; // 364.31
 * ```
 */
export const BUNDLED_PROCESSES: Record<string, BundledProcess> = {
  signal: {
    xsec: 1,
    filterEff: 1,
    negativeFraction: 0,
    share: 0.15,
    genWeight: 1,
    truth: (rng) => ttbarEvent({ mode: "inclusive", resonance: { mass: 2000, width: 0.02 } }, rng),
  },
  ttbar_semilep: {
    xsec: 364.31,
    filterEff: ttbarTailFraction(),
    negativeFraction: 0,
    share: 0.35,
    genWeight: 1,
    truth: (rng) => ttbarEvent({ mode: "semilep" }, rng),
  },
  ttbar_had: {
    xsec: 380.11,
    filterEff: ttbarTailFraction(),
    negativeFraction: 0,
    share: 0.1,
    genWeight: 1,
    truth: (rng) => ttbarEvent({ mode: "had" }, rng),
  },
  ttbar_dilep: {
    xsec: 87.33,
    filterEff: ttbarTailFraction(),
    negativeFraction: 0,
    share: 0.1,
    genWeight: 1,
    truth: (rng) => ttbarEvent({ mode: "dilep" }, rng),
  },
  wjets: {
    xsec: 61526.7,
    filterEff: wTailFraction(),
    negativeFraction: 0.16,
    share: 0.3,
    genWeight: 225892.45,
    truth: wjetsEvent,
  },
};

/** Default total MC events (before the skim) of the bundled samples. */
export const DEFAULT_EVENTS = 100_000;

/**
 * Events per MC process for a total budget.
 *
 * @example
 * ```ts
 * import { defaultEventCounts } from "./generate.ts";
 * defaultEventCounts(10000).signal; // 1500
 * ```
 */
export function defaultEventCounts(total = DEFAULT_EVENTS): Record<string, number> {
  return Object.fromEntries(
    Object.entries(BUNDLED_PROCESSES).map((
      [k, p],
    ) => [k, Math.max(1, Math.round(total * p.share))]),
  );
}

/**
 * N_gen of a bundled sample of `events` events: Σ sign(genWeight) / ε.
 *
 * @example
 * ```ts
 * import { bundledNGen } from "./generate.ts";
 * bundledNGen("signal", 15000); // 15000
 * ```
 */
export function bundledNGen(process: string, events: number): number {
  const p = bundledProcess(process);
  const neg = Math.round(events * p.negativeFraction);
  return (events - 2 * neg) / p.filterEff;
}

function bundledProcess(name: string): BundledProcess {
  const p = BUNDLED_PROCESSES[name];
  if (!p) {
    throw new Error(
      `no bundled process ${name} (have ${Object.keys(BUNDLED_PROCESSES).join(", ")}, data)`,
    );
  }
  return p;
}

const PROGRESS_EVERY = 10000;

/** Reports progress every {@link PROGRESS_EVERY} events (the generator loop is synchronous). */
function ticker(onProgress?: (events: number) => void): { tick(): void; flush(): void } {
  let pending = 0;
  return {
    tick() {
      if (++pending === PROGRESS_EVERY) {
        onProgress?.(pending);
        pending = 0;
      }
    },
    flush() {
      if (pending) onProgress?.(pending);
      pending = 0;
    },
  };
}

/** A generated, skimmed sample. */
export interface Generated {
  /** The skimmed events. */
  table: EventTable;
  /** Events generated before the skim. */
  nInput: number;
}

/** Options of {@link generateProcess}. */
export interface GenerateOptions {
  /** Events generated (before the generator filter and the skim). */
  events: number;
  /** Seed (default 42). */
  seed?: number;
  /** Skim applied to the generated events (default: the default skim). */
  skim?: Skim;
  /**
   * Generator-level filter: only events with a muon (prompt or from a b decay) above this pT
   * (GeV) are reconstructed, like CMS's muon-enriched samples. Default 40, safely below what
   * `HLT_TkMu50` needs, so with the default skim it only saves time; use 0 with skims that do not
   * require the muon trigger.
   */
  muonFilterPt?: number;
  /** Called with the number of events generated since the last call (every 10000 events). */
  onProgress?: (events: number) => void;
}

/** The default generator-level muon filter (GeV). */
export const DEFAULT_MUON_FILTER_PT = 40;

function passesFilter(ev: TruthEvent, ptMin: number): boolean {
  if (ptMin <= 0) return true;
  for (const m of ev.muons) if (pt(m.p) > ptMin) return true;
  return false;
}

/**
 * Generates one MC process, skimmed (default skim: `HLT_TkMu50 && MET_pt > 50`).
 *
 * @example
 * ```ts
 * import { generateProcess } from "./generate.ts";
 * const g = generateProcess("signal", { events: 100, seed: 1 });
 * g.nInput; // 100
 * ```
 */
export function generateProcess(process: string, opts: GenerateOptions): Generated {
  const p = bundledProcess(process);
  const seed = opts.seed ?? 42;
  const rng = new Rng(seed, `mc/${process}`);
  const signs = new Rng(seed, `sign/${process}`).subset(
    opts.events,
    Math.round(opts.events * p.negativeFraction),
  );
  const filter = opts.muonFilterPt ?? DEFAULT_MUON_FILTER_PT;
  const w = new EventWriter();
  const progress = ticker(opts.onProgress);
  for (let i = 0; i < opts.events; i++) {
    progress.tick();
    const truth = p.truth(rng);
    if (!passesFilter(truth, filter)) continue;
    reconstruct(truth, rng, w, {
      genWeight: signs[i] ? -p.genWeight : p.genWeight,
      run: 1,
      luminosityBlock: 1 + Math.floor(i / 500),
      event: i + 1,
    });
  }
  progress.flush();
  return { table: applySkim(w.finish(), opts.skim ?? DEFAULT_SKIM), nInput: opts.events };
}

/** Options of {@link generatePseudoData}. */
export interface PseudoDataOptions {
  /** Seed (default 42). */
  seed?: number;
  /** Skim applied (default: the default skim). */
  skim?: Skim;
  /** Integrated luminosity, /pb (default 16400). */
  lumi?: number;
  /** Signal cross-section multiplier in the pseudo-data (default 0.3: a small signal). */
  signalStrength?: number;
  /** See {@link GenerateOptions.muonFilterPt}. */
  muonFilterPt?: number;
  /** See {@link GenerateOptions.onProgress}. */
  onProgress?: (events: number) => void;
}

/**
 * Pseudo-data: for every bundled process, Poisson(σ·ε·L·μ) fresh events (μ = 1 for backgrounds,
 * `signalStrength` for the signal), with collision-data run numbers, no MC-only columns, skimmed.
 *
 * @example
 * ```ts ignore
 * import { generatePseudoData } from "./generate.ts";
 * const d = generatePseudoData({ seed: 1 });
 * ```
 */
export function generatePseudoData(opts: PseudoDataOptions = {}): Generated {
  const seed = opts.seed ?? 42;
  const lumi = opts.lumi ?? DEFAULT_LUMI;
  const mu = opts.signalStrength ?? 0.3;
  const counts = new Rng(seed, "data/counts");
  const ids = new Rng(seed, "data/ids");
  const parts: EventTable[] = [];
  let nInput = 0;
  let event = 0;
  const progress = ticker(opts.onProgress);
  for (const [name, p] of Object.entries(BUNDLED_PROCESSES)) {
    const n = counts.poisson(p.xsec * p.filterEff * lumi * (name === "signal" ? mu : 1));
    const rng = new Rng(seed, `data/${name}`);
    const filter = opts.muonFilterPt ?? DEFAULT_MUON_FILTER_PT;
    const w = new EventWriter();
    for (let i = 0; i < n; i++) {
      progress.tick();
      const truth = p.truth(rng);
      if (!passesFilter(truth, filter)) continue;
      // 2016 (post-VFP-like) run range; lumi sections and event numbers like collision data.
      reconstruct(truth, rng, w, {
        genWeight: 1,
        run: 278769 + Math.floor(ids.uniform() * 5275),
        luminosityBlock: 1 + Math.floor(ids.uniform() * 1500),
        event: ++event * 7919 + Math.floor(ids.uniform() * 7919),
      });
    }
    nInput += n;
    parts.push(applySkim(w.finish(), opts.skim ?? DEFAULT_SKIM));
  }
  progress.flush();
  const table = concatTables(parts);
  delete table.columns.genWeight;
  delete table.columns.Pileup_nTrueInt;
  return { table, nInput };
}
