/**
 * The preprocessing skim: an event selection over columns applied before events are cached, so a
 * cache holds only events the analysis can use. The default is the reference analysis's
 * `HLT_TkMu50 && PuppiMET_pt > 50` (here `MET_pt`, whose canonical source is PuppiMET; see
 * `branches.ts`).
 *
 * A skim is identified in cache manifests by its name and a hash of its function's source text,
 * so editing the selection invalidates caches made with the old one.
 *
 * @module
 */
import type { EventTable, Flat } from "./columns.ts";
import { isJagged } from "./columns.ts";
import { filterTable } from "./table.ts";

/** An event selection over columns. */
export interface Skim {
  /** Human-readable description, stored in cache manifests. */
  name: string;
  /** Canonical branches the selection reads (read even when not requested). */
  branches: readonly string[];
  /** Non-zero for events to keep; length `table.nEvents`. */
  select: (table: EventTable) => ArrayLike<number | boolean>;
}

function flat(t: EventTable, name: string): Flat {
  const c = t.columns[name];
  if (c === undefined) throw new Error(`skim: column ${name} is missing`);
  if (isJagged(c)) throw new Error(`skim: column ${name} is jagged, expected one value per event`);
  return c;
}

/**
 * A skim `trigger && MET_pt > metCut` (defaults: `HLT_TkMu50`, 50 GeV).
 *
 * @example
 * ```ts
 * import { triggerMetSkim } from "./skim.ts";
 * const s = triggerMetSkim({ metCut: 80 });
 * s.name; // "HLT_TkMu50 && MET_pt > 80"
 * ```
 */
export function triggerMetSkim(opts: { trigger?: string; metCut?: number } = {}): Skim {
  const trigger = opts.trigger ?? "HLT_TkMu50";
  const cut = opts.metCut ?? 50;
  return {
    name: `${trigger} && MET_pt > ${cut}`,
    branches: [trigger, "MET_pt"],
    select(t) {
      const trg = flat(t, trigger);
      const met = flat(t, "MET_pt");
      const m = new Uint8Array(t.nEvents);
      for (let i = 0; i < m.length; i++) m[i] = trg[i] !== 0 && met[i] > cut ? 1 : 0;
      return m;
    },
  };
}

/**
 * The default skim, `HLT_TkMu50 && MET_pt > 50`.
 *
 * @example
 * ```ts
 * import { DEFAULT_SKIM } from "./skim.ts";
 * DEFAULT_SKIM.branches; // ["HLT_TkMu50", "MET_pt"]
 * ```
 */
export const DEFAULT_SKIM: Skim = triggerMetSkim();

/**
 * The skim that keeps every event.
 *
 * @example
 * ```ts
 * import { NO_SKIM } from "./skim.ts";
 * NO_SKIM.name; // "none"
 * ```
 */
export const NO_SKIM: Skim = {
  name: "none",
  branches: [],
  select: (t) => new Uint8Array(t.nEvents).fill(1),
};

/**
 * The selected events of a table (checks the mask's length).
 *
 * @example
 * ```ts
 * import { applySkim, DEFAULT_SKIM } from "./skim.ts";
 * const t = { nEvents: 2, columns: {
 *   HLT_TkMu50: new Uint8Array([1, 1]), MET_pt: new Float32Array([40, 60]) } };
 * applySkim(t, DEFAULT_SKIM).nEvents; // 1
 * ```
 */
export function applySkim(table: EventTable, skim: Skim): EventTable {
  const mask = skim.select(table);
  if (mask.length !== table.nEvents) {
    throw new RangeError(
      `skim "${skim.name}" returned ${mask.length} flags for ${table.nEvents} events`,
    );
  }
  return filterTable(table, mask);
}

/**
 * The skim's identity for cache manifests: its name and a SHA-256 of the selection's source.
 *
 * @example
 * ```ts
 * import { DEFAULT_SKIM, skimId } from "./skim.ts";
 * const id = await skimId(DEFAULT_SKIM); // "HLT_TkMu50 && MET_pt > 50#<12 hex>"
 * ```
 */
export async function skimId(skim: Skim): Promise<string> {
  const text = `${skim.name}\n${[...skim.branches].sort().join(",")}\n${skim.select.toString()}`;
  return `${skim.name}#${(await sha256Hex(new TextEncoder().encode(text))).slice(0, 12)}`;
}

/**
 * SHA-256 of bytes, as lowercase hex.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./skim.ts";
 * await sha256Hex(new Uint8Array()); // "e3b0c442…"
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}
