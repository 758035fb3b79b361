/**
 * Events as zgrad arrays: the physics view of an {@link EventTable}. Jagged columns `X_f` become
 * field `f` of collection `X` (`ev.objects.Jet.fields.pt`); flat columns stay in `ev.event` under
 * their NanoAOD name (`ev.event.MET_pt`, `ev.event.HLT_TkMu50`, `ev.event.genWeight`); ghost
 * observables, computed once per event, are in `ev.ghost`. Every value is converted to one float
 * dtype (float64 by default; float32 for the device path), so comparisons like `jetId >= 4` and
 * `tightId > 0` work on any input type. Missing names throw errors that list what exists.
 *
 * @module
 */
import { type Array, array, type DType } from "../core/mod.ts";
import { type EventTable, isJagged } from "./data/columns.ts";
import {
  type Collection,
  collection,
  hostMask,
  selectCollectionEvents,
  selectFlat,
  selectObjects,
  strictRecord,
} from "./jagged.ts";

/**
 * A set of events: jagged collections, flat event columns and ghost observables.
 *
 * @example
 * ```ts
 * import { eventsFromTable } from "./events.ts";
 * const ev = eventsFromTable(table);
 * ev.objects.Muon.fields.pt; ev.event.MET_pt; ev.nEvents;
 * ```
 */
export interface Events {
  /** Number of events. */
  readonly nEvents: number;
  /** Jagged collections by name (`Muon`, `Jet`, `FatJet`, ...). */
  readonly objects: Readonly<Record<string, Collection>>;
  /** Flat per-event columns by NanoAOD name (`MET_pt`, `HLT_TkMu50`, `genWeight`, ...). */
  readonly event: Readonly<Record<string, Array>>;
  /** Ghost observables (computed once per event, see the config's `ghostObservables`). */
  readonly ghost: Readonly<Record<string, Array>>;
}

/**
 * Builds {@link Events} from parts (wrapping the records so that missing names throw clearly).
 *
 * @example
 * ```ts
 * import { makeEvents } from "./events.ts";
 * const ev2 = makeEvents(ev.nEvents, ev.objects, ev.event, { n_jet: nJet });
 * ```
 */
export function makeEvents(
  nEvents: number,
  objects: Record<string, Collection>,
  event: Record<string, Array>,
  ghost: Record<string, Array> = {},
): Events {
  for (const [k, v] of Object.entries(event)) {
    if (v.ndim !== 1 || v.shape[0] !== nEvents) {
      throw new Error(`events: column ${k} has shape [${v.shape}], expected [${nEvents}]`);
    }
  }
  for (const [k, v] of Object.entries(ghost)) {
    if (v.ndim !== 1 || v.shape[0] !== nEvents) {
      throw new Error(
        `events: ghost observable ${k} has shape [${v.shape}], expected [${nEvents}]`,
      );
    }
  }
  for (const c of Object.values(objects)) {
    if (c.nEvents !== nEvents) {
      throw new Error(`events: collection ${c.name} has ${c.nEvents} events, expected ${nEvents}`);
    }
  }
  return {
    nEvents,
    objects: strictRecord("events: collections", objects),
    event: strictRecord("events: event columns", event),
    ghost: strictRecord("events: ghost observables", ghost),
  };
}

/**
 * The physics view of a table: jagged `X_f` columns grouped into collections, flat columns kept by
 * name, every value as `dtype` (default float64).
 *
 * @example
 * ```ts
 * import { eventsFromTable } from "./events.ts";
 * const ev = eventsFromTable({ nEvents: 1, columns: { MET_pt: new Float32Array([70]) } });
 * ```
 */
export function eventsFromTable(table: EventTable, dtype: DType = "float64"): Events {
  const groups = new Map<string, { offsets: Int32Array; fields: Record<string, Array> }>();
  const event: Record<string, Array> = {};
  for (const [name, col] of Object.entries(table.columns)) {
    if (!isJagged(col)) {
      if (col.length !== table.nEvents) {
        throw new Error(
          `events: column ${name} has ${col.length} values, expected ${table.nEvents}`,
        );
      }
      event[name] = array(col, dtype);
      continue;
    }
    const us = name.indexOf("_");
    if (us <= 0) {
      throw new Error(`events: jagged column ${name} is not named Collection_field`);
    }
    const coll = name.slice(0, us), field = name.slice(us + 1);
    if (col.offsets.length !== table.nEvents + 1) {
      throw new Error(
        `events: column ${name} has ${col.offsets.length} offsets, expected ${table.nEvents + 1}`,
      );
    }
    const g = groups.get(coll);
    if (g && !sameOffsets(g.offsets, col.offsets)) {
      throw new Error(`events: column ${name} has other offsets than the rest of ${coll}`);
    }
    const entry = g ?? { offsets: col.offsets, fields: {} };
    entry.fields[field] = array(col.values, dtype);
    groups.set(coll, entry);
  }
  const objects: Record<string, Collection> = {};
  for (const [name, g] of groups) objects[name] = collection(name, g.offsets, g.fields);
  return makeEvents(table.nEvents, objects, event);
}

function sameOffsets(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Keeps the events where `mask` (`[nEvents]`, bool) is true.
 *
 * @example
 * ```ts
 * import { selectEvents } from "./events.ts";
 * const passing = selectEvents(ev, ev.event.MET_pt.gt(50));
 * ```
 */
export function selectEvents(ev: Events, mask: Array | Uint8Array): Events {
  const m = hostMask(mask, ev.nEvents, "selectEvents");
  let n = 0;
  for (let i = 0; i < m.length; i++) if (m[i]) n++;
  const objects: Record<string, Collection> = {};
  for (const [k, c] of Object.entries(ev.objects)) objects[k] = selectCollectionEvents(c, m);
  return makeEvents(n, objects, selectFlat({ ...ev.event }, m), selectFlat({ ...ev.ghost }, m));
}

/**
 * Replaces some collections (e.g. by their good objects), keeping everything else.
 *
 * @example
 * ```ts
 * import { withObjects } from "./events.ts";
 * const ev2 = withObjects(ev, { Jet: goodJets });
 * ```
 */
export function withObjects(ev: Events, objects: Record<string, Collection>): Events {
  return makeEvents(ev.nEvents, { ...ev.objects, ...objects }, { ...ev.event }, { ...ev.ghost });
}

/**
 * Replaces or adds event columns / ghost observables.
 *
 * @example
 * ```ts
 * import { withColumns } from "./events.ts";
 * const ev2 = withColumns(ev, { MET_pt: ev.event.MET_pt.mul(1.1) });
 * ```
 */
export function withColumns(
  ev: Events,
  event: Record<string, Array>,
  ghost: Record<string, Array> = {},
): Events {
  return makeEvents(
    ev.nEvents,
    { ...ev.objects },
    { ...ev.event, ...event },
    { ...ev.ghost, ...ghost },
  );
}

/**
 * One object mask per collection (the config's `goodObjectMasks` entries).
 *
 * @example
 * ```ts
 * import type { ObjectMask } from "./events.ts";
 * const m: ObjectMask = { object: "Jet", function: (j) => j.jetId.ge(4) };
 * ```
 */
export interface ObjectMask {
  /** Collection name. */
  object: string;
  /** Per-object fields → bool mask (`[nObjects]`). */
  function: (fields: Readonly<Record<string, Array>>) => Array;
}

/**
 * Applies hard object masks: each named collection keeps only its objects passing the mask.
 *
 * @example
 * ```ts
 * import { applyObjectMasks } from "./events.ts";
 * const good = applyObjectMasks(ev, [{ object: "Jet", function: (j) => j.jetId.ge(4) }]);
 * ```
 */
export function applyObjectMasks(ev: Events, masks: readonly ObjectMask[]): Events {
  const replaced: Record<string, Collection> = {};
  for (const m of masks) {
    const c = replaced[m.object] ?? ev.objects[m.object];
    const mask = m.function(c.fields);
    if (mask.ndim !== 1 || mask.shape[0] !== c.nObjects) {
      throw new Error(
        `good object mask for ${m.object}: returned shape [${mask.shape}], expected [${c.nObjects}]`,
      );
    }
    replaced[m.object] = selectObjects(c, mask);
  }
  return withObjects(ev, replaced);
}
