/**
 * Jagged (per-object) arrays as zgrad arrays: a {@link Collection} keeps its objects' fields as flat
 * arrays (all objects, event after event) with host `offsets` and the per-object event index
 * (`ids`), so per-event reductions are segment sums (`segmentSum`) and picking the k-th object is a
 * gather (`take`) — both differentiable in the values and free of per-event loops, so the
 * differentiable path can `grad` and `jit` through them. Selections that change the number of
 * objects or events ({@link selectObjects}, {@link selectEvents}) compute their indices on the
 * host from a concrete mask (hard cuts); the values are still gathered with `take`.
 *
 * @module
 */
import { type Array, array, astype, full, segmentSum, take, where } from "../core/mod.ts";

/**
 * One collection (e.g. `Muon`): `fields[name]` holds the values of all objects, event after event;
 * event `i` owns objects `offsets[i] .. offsets[i + 1]`, and `ids[j]` is the event of object `j`.
 *
 * @example
 * ```ts
 * import { array } from "../core/mod.ts";
 * import { collection } from "./jagged.ts";
 * const jets = collection("Jet", new Int32Array([0, 2, 3]), { pt: array([50, 40, 30], "float64") });
 * console.log(jets.nEvents, jets.nObjects); // 2 3
 * ```
 */
export interface Collection {
  /** Collection name (for error messages). */
  readonly name: string;
  /** Number of events. */
  readonly nEvents: number;
  /** Number of objects (all events). */
  readonly nObjects: number;
  /** `nEvents + 1` non-decreasing offsets starting at 0 (host). */
  readonly offsets: Int32Array;
  /** `[nObjects]` int32: the event index of each object (the segment ids of `segmentSum`). */
  readonly ids: Array;
  /** Per-object fields, each `[nObjects]`. */
  readonly fields: Readonly<Record<string, Array>>;
}

/** The event index of every object, from offsets. */
function idsOf(offsets: Int32Array): Int32Array {
  const n = offsets.length - 1;
  const ids = new Int32Array(offsets[n]);
  for (let i = 0; i < n; i++) ids.fill(i, offsets[i], offsets[i + 1]);
  return ids;
}

/**
 * Builds a collection from offsets and per-object fields (checked: offsets start at 0, do not
 * decrease, and every field has `offsets[n]` values).
 *
 * @example
 * ```ts
 * import { array } from "../core/mod.ts";
 * import { collection } from "./jagged.ts";
 * const mu = collection("Muon", new Int32Array([0, 1, 1]), { pt: array([60], "float64") });
 * ```
 */
export function collection(
  name: string,
  offsets: Int32Array,
  fields: Record<string, Array>,
): Collection {
  const n = offsets.length - 1;
  if (n < 0 || offsets[0] !== 0) {
    throw new Error(`collection ${name}: offsets must start at 0 and have nEvents + 1 entries`);
  }
  for (let i = 0; i < n; i++) {
    if (offsets[i + 1] < offsets[i]) {
      throw new Error(`collection ${name}: offsets decrease at event ${i}`);
    }
  }
  const nObjects = offsets[n];
  for (const [k, v] of Object.entries(fields)) {
    if (v.ndim !== 1 || v.shape[0] !== nObjects) {
      throw new Error(
        `collection ${name}: field ${k} has shape [${v.shape}], expected [${nObjects}] (offsets end)`,
      );
    }
  }
  return {
    name,
    nEvents: n,
    nObjects,
    offsets,
    ids: array(idsOf(offsets), "int32"),
    fields: strictRecord(`collection ${name}`, fields),
  };
}

/**
 * A read-only view of `rec` whose missing keys throw an error naming `what` and the keys it has
 * (instead of `undefined` surfacing later as a shape error).
 *
 * @example
 * ```ts
 * import { strictRecord } from "./jagged.ts";
 * const r = strictRecord("collection Muon", { pt: 1 });
 * r.pt; // 1; r.eta throws "collection Muon has no field eta (fields: pt)"
 * ```
 */
export function strictRecord<T>(what: string, rec: Record<string, T>): Readonly<Record<string, T>> {
  return new Proxy(Object.freeze({ ...rec }), {
    get(target, key) {
      if (typeof key !== "string" || key in target) return Reflect.get(target, key);
      if (key === "then" || key === "toJSON") return undefined; // awaited / JSON.stringify probes
      throw new Error(
        `${what} has no field ${key} (fields: ${Object.keys(target).join(", ") || "none"})`,
      );
    },
  });
}

/**
 * Objects per event, `[nEvents]` int32.
 *
 * @example
 * ```ts
 * import { counts } from "./jagged.ts";
 * counts(jets); // e.g. [2, 1]
 * ```
 */
export function counts(c: Collection): Array {
  const out = new Int32Array(c.nEvents);
  for (let i = 0; i < c.nEvents; i++) out[i] = c.offsets[i + 1] - c.offsets[i];
  return array(out, "int32");
}

/**
 * Per-event sum of per-object `values` (`segmentSum` over the collection's ids): differentiable
 * in `values`, so a soft count is `perEventSum(c, sigmoid(...))`.
 *
 * @example
 * ```ts
 * import { perEventSum } from "./jagged.ts";
 * const ht = perEventSum(jets, jets.fields.pt); // scalar sum of jet pT per event
 * ```
 */
export function perEventSum(c: Collection, values: Array): Array {
  checkPerObject(c, values, "perEventSum");
  if (c.nObjects === 0) {
    return full([c.nEvents], 0, values.dtype === "bool" ? "int32" : values.dtype);
  }
  return segmentSum(values, c.ids, c.nEvents);
}

/**
 * Per-event number of objects passing `mask` (bool, or soft weights in [0, 1]).
 *
 * @example
 * ```ts
 * import { perEventCount } from "./jagged.ts";
 * const nB = perEventCount(jets, jets.fields.btagDeepB.gt(0.5));
 * ```
 */
export function perEventCount(c: Collection, mask: Array): Array {
  const m = mask.dtype === "bool" ? astype(mask, "float64") : mask;
  return perEventSum(c, m);
}

function checkPerObject(c: Collection, values: Array, op: string): void {
  if (values.ndim !== 1 || values.shape[0] !== c.nObjects) {
    throw new Error(
      `${op}: values of shape [${values.shape}] do not match collection ${c.name} ` +
        `(${c.nObjects} objects)`,
    );
  }
}

/**
 * The k-th object's value per event (0 = leading: NanoAOD collections are ordered by pT), or
 * `fill` for events with fewer than k + 1 objects. A gather, so differentiable in `values`.
 *
 * @example
 * ```ts
 * import { nth } from "./jagged.ts";
 * const leadPt = nth(jets, jets.fields.pt, 0);
 * const subleadMass = nth(jets, jets.fields.mass, 1, 0);
 * ```
 */
export function nth(c: Collection, values: Array, k: number, fill = 0): Array {
  checkPerObject(c, values, "nth");
  if (!Number.isInteger(k) || k < 0) throw new Error(`nth: k must be an integer ≥ 0, got ${k}`);
  const idx = new Int32Array(c.nEvents);
  const has = new Uint8Array(c.nEvents);
  for (let i = 0; i < c.nEvents; i++) {
    if (c.offsets[i] + k < c.offsets[i + 1]) {
      idx[i] = c.offsets[i] + k;
      has[i] = 1;
    }
  }
  if (c.nObjects === 0) return full([c.nEvents], fill, values.dtype);
  return where(array(has, "bool"), take(values, array(idx, "int32")), fill);
}

/** Host copy of a bool (or 0/1) mask. */
export function hostMask(mask: Array | Uint8Array, n: number, what: string): Uint8Array {
  const m = mask instanceof Uint8Array ? mask : mask.dataSync();
  if (m.length !== n) {
    throw new Error(`${what}: mask has ${m.length} entries, expected ${n}`);
  }
  if (m instanceof Uint8Array) return m;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = m[i] ? 1 : 0;
  return out;
}

/** Gathers every field at `idx` (host indices). */
function gatherFields(fields: Record<string, Array>, idx: Int32Array): Record<string, Array> {
  const out: Record<string, Array> = {};
  const ia = array(idx, "int32");
  for (const [k, v] of Object.entries(fields)) {
    out[k] = idx.length === 0 ? full([0], 0, v.dtype) : take(v, ia);
  }
  return out;
}

/**
 * Keeps the objects where `mask` is true (a hard object selection, e.g. good muons); events keep
 * their place (some become empty).
 *
 * @example
 * ```ts
 * import { selectObjects } from "./jagged.ts";
 * const good = selectObjects(jets, jets.fields.jetId.ge(4));
 * ```
 */
export function selectObjects(c: Collection, mask: Array | Uint8Array): Collection {
  const m = hostMask(mask, c.nObjects, `selectObjects(${c.name})`);
  const offsets = new Int32Array(c.nEvents + 1);
  const keep: number[] = [];
  for (let i = 0; i < c.nEvents; i++) {
    for (let j = c.offsets[i]; j < c.offsets[i + 1]; j++) if (m[j]) keep.push(j);
    offsets[i + 1] = keep.length;
  }
  return collection(c.name, offsets, gatherFields(c.fields, Int32Array.from(keep)));
}

/**
 * Keeps the events where `mask` (`[nEvents]`) is true, with their objects.
 *
 * @example
 * ```ts
 * import { selectCollectionEvents } from "./jagged.ts";
 * const sel = selectCollectionEvents(jets, new Uint8Array([1, 0]));
 * ```
 */
export function selectCollectionEvents(c: Collection, mask: Array | Uint8Array): Collection {
  const m = hostMask(mask, c.nEvents, `selectEvents(${c.name})`);
  const offsets: number[] = [0];
  const keep: number[] = [];
  for (let i = 0; i < c.nEvents; i++) {
    if (!m[i]) continue;
    for (let j = c.offsets[i]; j < c.offsets[i + 1]; j++) keep.push(j);
    offsets.push(keep.length);
  }
  return collection(
    c.name,
    Int32Array.from(offsets),
    gatherFields(c.fields, Int32Array.from(keep)),
  );
}

/**
 * Indices of the true entries of a host mask.
 *
 * @example
 * ```ts
 * import { maskIndices } from "./jagged.ts";
 * maskIndices(new Uint8Array([0, 1, 1])); // Int32Array [1, 2]
 * ```
 */
export function maskIndices(m: Uint8Array): Int32Array {
  let n = 0;
  for (let i = 0; i < m.length; i++) if (m[i]) n++;
  const out = new Int32Array(n);
  for (let i = 0, k = 0; i < m.length; i++) if (m[i]) out[k++] = i;
  return out;
}

/**
 * Keeps the entries of per-event arrays where the host mask is true.
 *
 * @example
 * ```ts
 * import { array } from "../core/mod.ts";
 * import { selectFlat } from "./jagged.ts";
 * selectFlat({ met: array([10, 20], "float64") }, new Uint8Array([0, 1])); // { met: [20] }
 * ```
 */
export function selectFlat(
  fields: Record<string, Array>,
  m: Uint8Array,
): Record<string, Array> {
  return gatherFields(fields, maskIndices(m));
}
