/**
 * From loaded events and the configuration to the differentiable chain's inputs
 * (`analysis/diff/inputs.ts`): per process, the events that pass a channel's hard selection in the
 * nominal or any object variation (on the MVA object masks: the b-tag requirement on jets becomes
 * the soft b-tag cut), with
 *
 * - `MET_pt`, `Muon_pt`, `Jet_btagDeepB`, `Jet_mass` of the selected objects (the soft cuts and the
 *   MVA features);
 * - the fit observable per channel, `obs_<channel>`, and per object systematic
 *   `obs_<channel>_<name>Up/Down`, set far outside the binning (no KDE mass) where the event
 *   fails that variation's selection;
 * - per weight systematic (event corrections and systematics with up/down) the factors
 *   `weight_<name>Up/Down`, and the nominal weight with the corrections applied.
 *
 * Normalisation systematics become normsys specs. Fit-observable bins without background are
 * merged, as on the non-differentiable path.
 *
 * @module
 */
import type { Column, EventTable, ProcessEvents } from "./data/columns.ts";
import { binEdges, type Config } from "./config/schema.ts";
import type { ChannelSpec, SystematicSpec } from "./diff/inputs.ts";
import { defaultSampleOf } from "./diff/inputs.ts";
import { applyObjectMasks, type Events, eventsFromTable, selectEvents } from "./events.ts";
import { fillHistogram } from "./histograms.ts";
import { mergeEdges, populatedGroups } from "./rebin.ts";
import { activeChannels, applySelection } from "./selection.ts";
import { applyObjectLevel, eventWeights, objectVariations, type Variation } from "./variations.ts";

/** Where a failed variation puts the observable: far outside any binning, no KDE mass there. */
const OUTSIDE = -1e9;

/** The chain's inputs built from the configuration. */
export interface DiffEvents {
  /** One table per process, columns as the module doc says (data included, for plots). */
  events: ProcessEvents[];
  /** The channels (`useInDiff`), with the merged fit-observable edges. */
  channels: ChannelSpec[];
  /** The systematics as nuisance parameters. */
  systematics: SystematicSpec[];
  /** Notes (merged bins, channels without events). */
  warnings: string[];
}

const NOMINAL: Variation = { name: "nominal", direction: "nominal", kind: "nominal" };

function host(a: { dataSync(): ArrayLike<number> }): Float64Array {
  return Float64Array.from(a.dataSync());
}

/** A jagged column of `field` of collection `name` (the events' own objects). */
function jaggedOf(ev: Events, name: string, field: string): Column {
  const c = ev.objects[name];
  if (!c || !c.fields[field]) throw new Error(`diff inputs: no ${name}_${field} in the events`);
  return { offsets: Int32Array.from(c.offsets), values: host(c.fields[field]) };
}

interface Passing {
  /** Per channel, per variation key: event index → observable. */
  obs: Record<string, Record<string, Map<number, number>>>;
}

function passing(
  ev: Events,
  pe: ProcessEvents,
  cfg: Config,
  variations: Variation[],
  keys: string[],
): Passing {
  const out: Passing = { obs: {} };
  for (const ch of activeChannels(cfg).filter((c) => c.useInDiff)) {
    const o = ch.observables.find((x) => x.name === ch.fitObservable)!;
    out.obs[ch.name] = {};
    for (const [k, v] of variations.entries()) {
      const varied = applyObjectLevel(ev, cfg, pe.process, pe.isData, v);
      const good = applyObjectMasks(varied, cfg.goodObjectMasks.mva);
      const sel = applySelection(good, ch.selection.function, `channel ${ch.name}`);
      const values = host(o.function(sel.events));
      out.obs[ch.name][keys[k]] = new Map(Array.from(sel.index, (i, k) => [i, values[k]]));
    }
  }
  return out;
}

/** One process's table for the chain. */
function processTable(pe: ProcessEvents, cfg: Config): ProcessEvents {
  const ev = eventsFromTable(pe.table);
  const withSys = cfg.general.runSystematics && !pe.isData;
  const variations = [
    NOMINAL,
    ...(withSys ? objectVariations(cfg.systematics, pe.process, pe.isData) : []),
  ];
  // Up and down of an object systematic share its name: key them apart.
  const keys = variations.map((v) =>
    v.kind === "nominal" ? "nominal" : `${v.name}${v.direction === "up" ? "Up" : "Down"}`
  );
  const pass = passing(ev, pe, cfg, variations, keys);
  const union = new Set<number>();
  for (const byVar of Object.values(pass.obs)) {
    for (const m of Object.values(byVar)) for (const i of m.keys()) union.add(i);
  }
  const index = Int32Array.from([...union].sort((a, b) => a - b));
  const mask = new Uint8Array(ev.nEvents);
  for (const i of index) mask[i] = 1;
  const good = selectEvents(
    applyObjectMasks(
      applyObjectLevel(ev, cfg, pe.process, pe.isData, NOMINAL),
      cfg.goodObjectMasks.mva,
    ),
    mask,
  );
  const columns: Record<string, Column> = {
    MET_pt: host(good.event.MET_pt),
    Muon_pt: jaggedOf(good, "Muon", "pt"),
    Jet_btagDeepB: jaggedOf(good, "Jet", "btagDeepB"),
    Jet_mass: jaggedOf(good, "Jet", "mass"),
  };
  for (const [ch, byVar] of Object.entries(pass.obs)) {
    for (const [v, m] of Object.entries(byVar)) {
      const col = v === "nominal" ? `obs_${ch}` : `obs_${ch}_${v}`;
      columns[col] = Float64Array.from(index, (i) => m.get(i) ?? OUTSIDE);
    }
  }
  const w0 = Float64Array.from(index, (i) => pe.weight[i]);
  const weights = eventWeights(good, w0, cfg, pe.process, pe.isData, withSys);
  for (const [k, w] of Object.entries(weights.variations)) {
    const name = k.replace(/_up$/, "Up").replace(/_down$/, "Down");
    columns[`weight_${name}`] = Float64Array.from(
      w,
      (x, i) => (weights.nominal[i] !== 0 ? x / weights.nominal[i] : 1),
    );
  }
  const table: EventTable = { nEvents: index.length, columns };
  return { ...pe, table, weight: weights.nominal };
}

/**
 * The chain's per-process tables, channels and systematics from loaded events and the
 * configuration (see the module doc).
 *
 * @example
 * ```ts ignore
 * import { diffEvents } from "./diff_events.ts";
 * const d = diffEvents(events, cfg);
 * const inputs = prepareInputs(d.events, { channels: d.channels, systematics: d.systematics });
 * ```
 */
export function diffEvents(events: readonly ProcessEvents[], cfg: Config): DiffEvents {
  const channels0 = activeChannels(cfg).filter((c) => c.useInDiff);
  if (channels0.length === 0) {
    throw new Error("diff path: no channel has useInDiff = true");
  }
  const tables = events.map((pe) => processTable(pe, cfg));
  const warnings: string[] = [];
  const signal = cfg.statistics.signal;
  const channels: ChannelSpec[] = channels0.map((ch) => {
    const o = ch.observables.find((x) => x.name === ch.fitObservable)!;
    const edges = binEdges(o.binning);
    // Merge bins without background (nominal hard histogram of the selected events).
    const bkg = tables.filter((t) => !t.isData && !signal.includes(t.process));
    const total = new Array<number>(edges.length - 1).fill(0);
    for (const t of bkg) {
      const h = fillHistogram(t.table.columns[`obs_${ch.name}`] as Float64Array, t.weight, edges);
      h.sumw.forEach((x, b) => (total[b] += Math.max(0, x)));
    }
    const groups = populatedGroups(total);
    const merged = mergeEdges(edges, groups);
    if (groups.length < total.length) {
      warnings.push(
        `diff ${ch.name}/${o.name}: ${total.length} bins merged into ${groups.length} so that ` +
          `every bin has background`,
      );
    }
    return { name: ch.name, observable: `obs_${ch.name}`, edges: merged };
  });
  const sampleOf = defaultSampleOf;
  const samplesOf = (processes: readonly string[] | null | undefined) =>
    processes
      ? [...new Set(processes.map(sampleOf).filter((s): s is string => s !== null))]
      : undefined;
  const systematics: SystematicSpec[] = [];
  if (cfg.general.runSystematics) {
    for (const s of cfg.systematics) {
      if (s.type === "object") systematics.push({ name: s.name, kind: "observable" });
      else if (s.type === "event") systematics.push({ name: s.name, kind: "weight" });
      else {
        systematics.push({
          name: s.name,
          kind: "norm",
          hi: s.up,
          lo: s.down,
          samples: samplesOf(s.processes),
        });
      }
    }
    for (const c of cfg.corrections) {
      if (c.type === "event" && c.upFunction && c.downFunction) {
        systematics.push({ name: c.name, kind: "weight" });
      }
    }
  }
  // Weight and observable systematics act on the samples whose tables carry their columns.
  const mc = tables.filter((t) => !t.isData);
  const usable: SystematicSpec[] = [];
  for (const s of systematics) {
    if (s.kind === "norm") {
      usable.push(s);
      continue;
    }
    const col = s.kind === "weight"
      ? `weight_${s.name}Up`
      : `${channels[0].observable}_${s.name}Up`;
    const samples = samplesOf(mc.filter((t) => col in t.table.columns).map((t) => t.process));
    if (samples && samples.length) usable.push({ ...s, samples });
    else warnings.push(`diff: systematic ${s.name} applies to no sample; left out`);
  }
  return { events: tables, channels, systematics: usable, warnings };
}
