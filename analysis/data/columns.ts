/**
 * The event-data contract between the data path (`analysis/data/`: ROOT reader, fileset, skim,
 * cache, bundled generator) and the physics (`analysis/` selection, observables, histograms,
 * differentiable chain). Columns are flat typed arrays; jagged (per-object) branches are offsets +
 * values, the layout segment sums consume directly. Names are canonical NanoAOD names after branch
 * fallbacks are resolved (e.g. `Jet_btagDeepB` even when the file has `Jet_btagDeepFlavB`, `MET_pt`
 * even when the file has `PuppiMET_pt`).
 *
 * @module
 */

/** A flat column: one value per event (or the values of a jagged column). */
export type Flat = Float32Array | Float64Array | Int32Array | Uint8Array;

/** A jagged column: event `i` owns `values[offsets[i] .. offsets[i + 1])`. */
export interface Jagged {
  /** `nEvents + 1` non-decreasing offsets, starting at 0. */
  offsets: Int32Array;
  /** All objects' values, event after event. */
  values: Flat;
}

/** A column of an event table. */
export type Column = Flat | Jagged;

/**
 * Events as columns.
 *
 * @example
 * ```ts
 * import type { EventTable } from "./columns.ts";
 * const t: EventTable = {
 *   nEvents: 2,
 *   columns: {
 *     MET_pt: new Float32Array([60, 80]),
 *     Jet_pt: { offsets: new Int32Array([0, 2, 3]), values: new Float32Array([50, 40, 30]) },
 *   },
 * };
 * ```
 */
export interface EventTable {
  nEvents: number;
  columns: Record<string, Column>;
}

/** True when the column is jagged. */
export function isJagged(c: Column): c is Jagged {
  return (c as Jagged).offsets !== undefined;
}

/**
 * One process's events after preprocessing, with their normalised weights.
 */
export interface ProcessEvents {
  /** Process name from the fileset (e.g. `ttbar_semilep`, `signal`, `data`). */
  process: string;
  /** True for collision (or pseudo-) data: weights are 1, no systematics. */
  isData: boolean;
  /** The skimmed events. */
  table: EventTable;
  /** Per-event weight `sign(genWeight) · σ · L / N_gen` (1 for data). */
  weight: Float64Array;
  /** Cross-section (pb), generated events and files that contributed (provenance). */
  xsec: number;
  nGen: number;
  files: string[];
}
