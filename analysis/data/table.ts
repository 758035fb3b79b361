/**
 * Building, filtering and joining {@link EventTable}s without per-event objects: growable typed
 * arrays for readers and generators, a boolean-mask filter for skims, concatenation for files and
 * chunks. Jagged columns of one collection that end up with equal offsets share one `Int32Array`,
 * so consumers (and the cache) can tell collections apart by identity.
 *
 * @module
 */
import { type Column, type EventTable, type Flat, isJagged, type Jagged } from "./columns.ts";

/** The element kinds a {@link Flat} column can have. */
export type FlatKind = "f32" | "f64" | "i32" | "u8";

const CTORS = {
  f32: Float32Array,
  f64: Float64Array,
  i32: Int32Array,
  u8: Uint8Array,
} as const;

/** The kind of a flat typed array. */
export function flatKind(a: Flat): FlatKind {
  if (a instanceof Float32Array) return "f32";
  if (a instanceof Float64Array) return "f64";
  if (a instanceof Int32Array) return "i32";
  return "u8";
}

/**
 * A new zero-filled typed array of a kind.
 *
 * @example
 * ```ts
 * import { allocFlat } from "./table.ts";
 * allocFlat("f32", 3); // Float32Array [0, 0, 0]
 * ```
 */
export function allocFlat(kind: FlatKind, n: number): Flat {
  return new CTORS[kind](n);
}

/** Array-likes a builder can append from (typed arrays of any width, plain number arrays). */
export type NumericArrayLike = ArrayLike<number | bigint | boolean>;

/**
 * A growable flat column: amortised O(1) appends, one copy at {@link FlatBuilder.finish}.
 *
 * @example
 * ```ts
 * import { FlatBuilder } from "./table.ts";
 * const b = new FlatBuilder("f32");
 * b.push(1.5);
 * b.pushArray(new Float64Array([2, 3]));
 * b.finish(); // Float32Array [1.5, 2, 3]
 * ```
 */
export class FlatBuilder {
  /** Element kind of the finished array. */
  readonly kind: FlatKind;
  private data: Flat;
  /** Number of values appended so far. */
  length = 0;

  /** A builder of `kind` values with room for `capacity` before growing. */
  constructor(kind: FlatKind, capacity = 1024) {
    this.kind = kind;
    this.data = allocFlat(kind, Math.max(16, capacity));
  }

  /** Grows the storage (doubling) to fit `extra` more values. */
  private reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.data.length) return;
    let cap = this.data.length * 2;
    while (cap < need) cap *= 2;
    const next = allocFlat(this.kind, cap);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }

  /** Appends one value. */
  push(v: number): void {
    this.reserve(1);
    this.data[this.length++] = v;
  }

  /** Appends the first `n` values of `src` (all of it by default), converting element types. */
  pushArray(src: NumericArrayLike, n = src.length): void {
    this.reserve(n);
    const d = this.data;
    let o = this.length;
    if (
      ArrayBuffer.isView(src) && !(src instanceof BigInt64Array || src instanceof BigUint64Array)
    ) {
      // Same-width numeric typed arrays: one native conversion loop.
      d.set((src as unknown as Flat).subarray(0, n), o);
      o += n;
    } else {
      for (let i = 0; i < n; i++) d[o++] = Number(src[i]);
    }
    this.length = o;
  }

  /** The values as an exactly-sized typed array (a copy; the builder may be reused). */
  finish(): Flat {
    return this.data.slice(0, this.length);
  }
}

/**
 * A growable jagged column: append one event's objects at a time.
 *
 * @example
 * ```ts
 * import { JaggedBuilder } from "./table.ts";
 * const b = new JaggedBuilder("f32");
 * b.pushEvent([50, 40]);
 * b.pushEvent([]);
 * b.finish(); // { offsets: [0, 2, 2], values: [50, 40] }
 * ```
 */
export class JaggedBuilder {
  private readonly counts = new FlatBuilder("i32");
  private readonly values: FlatBuilder;

  /** A builder of `kind` values. */
  constructor(kind: FlatKind) {
    this.values = new FlatBuilder(kind);
  }

  /** Appends one event's objects. */
  pushEvent(objects: NumericArrayLike): void {
    this.counts.push(objects.length);
    this.values.pushArray(objects);
  }

  /** Number of events appended so far. */
  get nEvents(): number {
    return this.counts.length;
  }

  /** Offsets (`nEvents + 1`) and values. */
  finish(): Jagged {
    return {
      offsets: countsToOffsets(this.counts.finish() as Int32Array),
      values: this.values.finish(),
    };
  }
}

/**
 * Offsets from per-event counts: `offsets[i + 1] = offsets[i] + counts[i]`.
 *
 * @example
 * ```ts
 * import { countsToOffsets } from "./table.ts";
 * countsToOffsets(new Int32Array([2, 0, 1])); // Int32Array [0, 2, 2, 3]
 * ```
 */
export function countsToOffsets(counts: ArrayLike<number>): Int32Array {
  const off = new Int32Array(counts.length + 1);
  for (let i = 0; i < counts.length; i++) off[i + 1] = off[i] + counts[i];
  return off;
}

/**
 * Per-event counts from offsets.
 *
 * @example
 * ```ts
 * import { offsetsToCounts } from "./table.ts";
 * offsetsToCounts(new Int32Array([0, 2, 2, 3])); // Int32Array [2, 0, 1]
 * ```
 */
export function offsetsToCounts(offsets: Int32Array): Int32Array {
  const n = offsets.length - 1;
  const c = new Int32Array(Math.max(0, n));
  for (let i = 0; i < n; i++) c[i] = offsets[i + 1] - offsets[i];
  return c;
}

function sameValues(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Makes jagged columns with equal offsets share one offsets array (so a collection's columns are
 * recognisably aligned and the offsets are stored once). Mutates and returns `table`.
 *
 * @example
 * ```ts
 * import { shareOffsets } from "./table.ts";
 * const t = shareOffsets({ nEvents: 1, columns: {
 *   a: { offsets: new Int32Array([0, 1]), values: new Float32Array([1]) },
 *   b: { offsets: new Int32Array([0, 1]), values: new Float32Array([2]) },
 * } });
 * ```
 */
export function shareOffsets(table: EventTable): EventTable {
  const seen: Int32Array[] = [];
  for (const [name, col] of Object.entries(table.columns)) {
    if (!isJagged(col)) continue;
    const same = seen.find((o) => sameValues(o, col.offsets));
    if (same) table.columns[name] = { offsets: same, values: col.values };
    else seen.push(col.offsets);
  }
  return table;
}

/**
 * The events where `mask[i]` is non-zero, every column filtered (jagged offsets rebuilt once per
 * distinct offsets array).
 *
 * @example
 * ```ts
 * import { filterTable } from "./table.ts";
 * const t = { nEvents: 2, columns: { x: new Float32Array([1, 2]) } };
 * filterTable(t, new Uint8Array([0, 1])).columns.x; // Float32Array [2]
 * ```
 */
export function filterTable(table: EventTable, mask: ArrayLike<number | boolean>): EventTable {
  if (mask.length !== table.nEvents) {
    throw new RangeError(
      `filterTable: mask has ${mask.length} entries but the table has ${table.nEvents} events`,
    );
  }
  const keep: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) keep.push(i);
  const newOffsets = new Map<Int32Array, Int32Array>();
  const columns: Record<string, Column> = {};
  for (const [name, col] of Object.entries(table.columns)) {
    if (!isJagged(col)) {
      const out = allocFlat(flatKind(col), keep.length);
      for (let j = 0; j < keep.length; j++) out[j] = col[keep[j]];
      columns[name] = out;
      continue;
    }
    let off = newOffsets.get(col.offsets);
    if (!off) {
      off = new Int32Array(keep.length + 1);
      for (let j = 0; j < keep.length; j++) {
        off[j + 1] = off[j] + col.offsets[keep[j] + 1] - col.offsets[keep[j]];
      }
      newOffsets.set(col.offsets, off);
    }
    const vals = allocFlat(flatKind(col.values), off[keep.length]);
    for (let j = 0; j < keep.length; j++) {
      const s = col.offsets[keep[j]];
      vals.set(col.values.subarray(s, col.offsets[keep[j] + 1]), off[j]);
    }
    columns[name] = { offsets: off, values: vals };
  }
  return { nEvents: keep.length, columns };
}

/**
 * Tables one after the other (same column names and kinds in each; offsets shared where they
 * were shared in the inputs).
 *
 * @example
 * ```ts
 * import { concatTables } from "./table.ts";
 * const a = { nEvents: 1, columns: { x: new Float32Array([1]) } };
 * concatTables([a, a]).columns.x; // Float32Array [1, 1]
 * ```
 */
export function concatTables(tables: EventTable[]): EventTable {
  if (tables.length === 1) return tables[0];
  if (tables.length === 0) return { nEvents: 0, columns: {} };
  const names = Object.keys(tables[0].columns);
  for (const [k, t] of tables.entries()) {
    const have = Object.keys(t.columns);
    if (have.length !== names.length || names.some((n) => !(n in t.columns))) {
      throw new Error(
        `concatTables: table ${k} has columns [${have.join(", ")}], expected [${names.join(", ")}]`,
      );
    }
  }
  const nEvents = tables.reduce((s, t) => s + t.nEvents, 0);
  const columns: Record<string, Column> = {};
  const joinedOffsets = new Map<Int32Array, Int32Array>();
  for (const name of names) {
    const first = tables[0].columns[name];
    if (!isJagged(first)) {
      const out = allocFlat(flatKind(first), nEvents);
      let o = 0;
      for (const t of tables) {
        const c = t.columns[name];
        if (isJagged(c)) {
          throw new Error(`concatTables: column ${name} is jagged in one table only`);
        }
        out.set(c, o);
        o += c.length;
      }
      columns[name] = out;
      continue;
    }
    const parts = tables.map((t) => {
      const c = t.columns[name];
      if (!isJagged(c)) throw new Error(`concatTables: column ${name} is jagged in one table only`);
      return c;
    });
    let off = joinedOffsets.get(parts[0].offsets);
    if (!off) {
      off = new Int32Array(nEvents + 1);
      let e = 0;
      for (const p of parts) {
        const base = off[e];
        for (let i = 1; i < p.offsets.length; i++) off[e + i] = base + p.offsets[i];
        e += p.offsets.length - 1;
      }
      joinedOffsets.set(parts[0].offsets, off);
    }
    const vals = allocFlat(flatKind(first.values), off[nEvents]);
    let o = 0;
    for (const p of parts) {
      vals.set(p.values.subarray(0, p.offsets[p.offsets.length - 1]), o);
      o += p.offsets[p.offsets.length - 1];
    }
    columns[name] = { offsets: off, values: vals };
  }
  return shareOffsets({ nEvents, columns });
}

/**
 * The named columns only (throws naming the first missing one).
 *
 * @example
 * ```ts
 * import { selectColumns } from "./table.ts";
 * const t = { nEvents: 1, columns: { x: new Float32Array([1]), y: new Float32Array([2]) } };
 * selectColumns(t, ["y"]).columns; // { y: Float32Array [2] }
 * ```
 */
export function selectColumns(table: EventTable, names: readonly string[]): EventTable {
  const columns: Record<string, Column> = {};
  for (const n of names) {
    const c = table.columns[n];
    if (c === undefined) {
      throw new Error(
        `selectColumns: no column ${n} (have ${Object.keys(table.columns).join(", ")})`,
      );
    }
    columns[n] = c;
  }
  return { nEvents: table.nEvents, columns };
}
