/**
 * Value numbering of a kernel body at concrete points of a loop nest: the backend-neutral core of
 * every renderer.
 *
 * A renderer describes where it evaluates the body with an {@link Env}: for each domain axis, a
 * loop variable plus a constant offset, or a constant (an unrolled or size-1 axis). {@link Values}
 * then instantiates each node once per distinct concrete index (loads keyed by their address,
 * ops by their operands: CSE), folds constants with the eager semantics, places each value in the
 * scope of its deepest operand (the outermost loop where it varies: hoisting), reads tables
 * (`tables.ts`) and sliding-window registers (`windows.ts`) where they hold the value, and
 * optionally moves thread-invariant ops to a pre-pass (`hoist`). The renderer's {@link Lang} only
 * spells values in its language; it then emits the declarations of each scope
 * ({@link Values.declared}) inside its own loops.
 *
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import type { Kernel, KNode } from "../kernel_ir.ts";
import { evalOp, SCALAR_OPS, type ScalarOpName } from "../scalar_ops.ts";
import type { NodeInfo } from "./analysis.ts";
import type { Table } from "./tables.ts";
import type { WindowLoop } from "./windows.ts";

/**
 * A loop variable of generated code: its name, the scope (block) it is defined in and that scope's
 * nesting level (0 = before every loop), and the range of values it takes.
 *
 * @example
 * ```ts
 * import type { LoopVar } from "./values.ts";
 * const i0: LoopVar = { name: "i0", scope: "m1", level: 1, lo: 0, hi: 99 };
 * ```
 */
export interface LoopVar {
  /** Name in generated code. */
  name: string;
  /** Scope it is defined in. */
  scope: string;
  /** Nesting level of that scope. */
  level: number;
  /** Smallest value. */
  lo: number;
  /** Largest value. */
  hi: number;
}

/**
 * The index of each domain axis at a point of generated code: `v + c`, or the constant `c` when
 * `v` is null.
 *
 * @example
 * ```ts
 * import type { Env } from "./values.ts";
 * const e: Env = [{ v: null, c: 0 }];
 * ```
 */
export type Env = { v: LoopVar | null; c: number }[];

/**
 * A scheduled value.
 *
 * @example
 * ```ts
 * import type { SValue } from "./values.ts";
 * declare const v: SValue;
 * console.log(v.code, v.level);
 * ```
 */
export interface SValue {
  /** What produces it. */
  kind: "const" | "index" | "load" | "op" | "round" | "table" | "hoisted" | "window";
  /** Expression in the renderer's language (for `hoisted`: set by {@link Values.hoistedSlots}). */
  code: string;
  /** Element type. */
  dtype: DType;
  /** Scope it is declared in, and its nesting level. */
  scope: string;
  /** Nesting level of `scope`. */
  level: number;
  /** Constant value (inlined, never declared). */
  value?: number;
  /** Declared as a local rather than inlined. */
  named: boolean;
  /** Values its expression reads. */
  args: number[];
  /** Reached from an output (only used values are declared). */
  used: boolean;
  /** The op computed (`op` and `hoisted` values). */
  op?: ScalarOpName;
}

/**
 * How a renderer spells values (the only backend-specific part of scheduling).
 *
 * @example
 * ```ts
 * import type { Lang } from "./values.ts";
 * declare const js: Lang;
 * js.literal(2, "float64");
 * ```
 */
export interface Lang {
  /** A literal of `dtype`. */
  literal(v: number, dtype: DType): string;
  /** `offset + Σ coef·name` (at least one term). */
  affine(terms: { coef: number; name: string }[], offset: number): string;
  /** `addr` clamped to [0, size − 1] (for loads whose address may leave the buffer). */
  clamp(addr: string, size: number): string;
  /** Element `addr` of input `input`. */
  load(input: number, addr: string, dtype: DType): string;
  /** An op on its operands' expressions (`args` are the operand values themselves). */
  op(op: ScalarOpName, refs: string[], args: SValue[], argDtype: DType, dtype: DType): string;
  /** Entry `addr` of table `id` (holding values of `dtype`). */
  tableRead?(id: number, addr: string, dtype: DType): string;
  /**
   * Rounding of a float32 value to float32, for renderers that evaluate float32 expressions in
   * higher precision: applied to the operands of discontinuous ops (comparisons, rounding,
   * conversions), so discrete decisions see float32 values.
   */
  round32?(code: string): string;
}

/** Which tables a value may read: those computed before node `node` at loop depth `p`. */
export interface Limit {
  /** Loop depth of the code being generated. */
  p: number;
  /** Node being computed (tables of later nodes at the same depth are not ready). */
  node: number;
}
/** No restriction: every table is ready (code after all tables). */
export const NO_LIMIT: Limit = { p: Infinity, node: Infinity };

/**
 * A thread-invariant op moved to a pre-pass: node `node` at `env`.
 *
 * @example
 * ```ts
 * import type { HoistedValue } from "./values.ts";
 * declare const h: HoistedValue;
 * console.log(h.slot, h.node);
 * ```
 */
export interface HoistedValue {
  /** The value read in the main code. */
  id: number;
  /** Its slot in the pre-pass's output. */
  slot: number;
  /** Node and point to compute. */
  node: number;
  /** Point to compute it at. */
  env: Env;
  /** Element type. */
  dtype: DType;
}

/** Options of {@link Values}. */
export interface ValuesOptions {
  /** Node analysis (needed with tables). */
  info?: NodeInfo;
  /** Tables by node, and the point of the main loop nest (where tables are indexed). */
  tables?: Map<number, Table>;
  /** The environment of the main loop nest (tables hold values at it). */
  mainEnv?: Env;
  /** Move ops that vary with no loop variable (level 0) to a pre-pass. */
  hoist?: boolean;
  /** Read `hoisted` values with this (slot, dtype) → expression. */
  hoistedRead?: (slot: number, dtype: DType) => string;
  /** Sliding windows of shifted values over one loop. */
  window?: WindowLoop;
}

const ROOT = { scope: "m0", level: 0 };

/**
 * The value-numbered body of one kernel (see the module docs).
 *
 * @example
 * ```ts
 * import { Values } from "./values.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * declare const lang: import("./values.ts").Lang;
 * const vals = new Values(k, lang);
 * const id = vals.node(k.outputs[0].node, k.domain.map(() => ({ v: null, c: 0 })));
 * vals.use(id);
 * console.log(vals.declared("m0"), vals.ref(id));
 * ```
 */
export class Values {
  /** Every value, in creation order (operands first). */
  readonly vals: SValue[] = [];
  readonly #keys = new Map<string, number>();
  readonly #hoisted: { id: number; node: number; env: Env; dtype: DType }[] = [];

  constructor(readonly k: Kernel, readonly lang: Lang, readonly opts: ValuesOptions = {}) {}

  #val(key: string, make: () => SValue): number {
    let id = this.#keys.get(key);
    if (id === undefined) {
      id = this.vals.length;
      this.vals.push(make());
      this.#keys.set(key, id);
    }
    return id;
  }

  /** The expression reading value `id` (its name, or its inlined code). */
  ref(id: number): string {
    const v = this.vals[id];
    return v.named ? `v${id}` : v.code;
  }

  /** Marks `id` and everything it reads as used. */
  use(id: number): void {
    const stack = [id];
    while (stack.length) {
      const v = this.vals[stack.pop()!];
      if (v.used) continue;
      v.used = true;
      stack.push(...v.args);
    }
  }

  /** Used named values of `scope`, in dependency order: `[id, code]`. */
  declared(scope: string): [number, string][] {
    const out: [number, string][] = [];
    this.vals.forEach((v, id) => {
      if (v.used && v.named && v.scope === scope) out.push([id, v.code]);
    });
    return out;
  }

  /** A constant. */
  constant(value: number, dtype: DType): number {
    return this.#val(`c|${dtype}|${Object.is(value, -0) ? "-0" : value}`, () => ({
      kind: "const",
      code: this.lang.literal(value, dtype),
      dtype,
      ...ROOT,
      value,
      named: false,
      args: [],
      used: false,
    }));
  }

  /** An affine index at `env`: code, range, constant value, and the scope it varies in. */
  affine(offset: number, coefs: readonly number[], env: Env) {
    let off = offset, lo = 0, hi = 0;
    const terms: { coef: number; name: string }[] = [];
    let place = ROOT;
    coefs.forEach((c, d) => {
      if (c === 0) return;
      off += c * env[d].c;
      const v = env[d].v;
      if (v === null) return;
      if (v.level > place.level) place = { scope: v.scope, level: v.level };
      terms.push({ coef: c, name: v.name });
      const a = c * v.lo, b = c * v.hi;
      lo += Math.min(a, b);
      hi += Math.max(a, b);
    });
    const constant = terms.length === 0;
    return {
      code: constant ? String(off) : this.lang.affine(terms, off),
      lo: lo + off,
      hi: hi + off,
      constant,
      value: off,
      ...place,
    };
  }

  /** The value of node `i` at `env`; `limit` bounds which tables may be read. */
  node(i: number, env: Env, limit: Limit = NO_LIMIT): number {
    const n = this.k.nodes[i];
    switch (n.kind) {
      case "const":
        return this.constant(n.value, n.dtype);
      case "index": {
        const a = this.affine(n.index.offset, n.index.coefs, env);
        if (a.constant) return this.constant(a.value, "int32");
        return this.#val(`i|${a.code}`, () => ({
          kind: "index",
          code: `(${a.code})`,
          dtype: "int32",
          scope: a.scope,
          level: a.level,
          named: false,
          args: [],
          used: false,
        }));
      }
      case "load": {
        const a = this.affine(n.index.offset, n.index.coefs, env);
        const last = Math.max(this.k.inputs[n.input].size - 1, 0);
        const addr = a.constant
          ? String(Math.min(Math.max(a.value, 0), last))
          : a.lo < 0 || a.hi > last
          ? this.lang.clamp(a.code, last + 1)
          : a.code;
        return this.#val(`l|${n.input}|${addr}`, () => ({
          kind: "load",
          code: this.lang.load(n.input, addr, n.dtype),
          dtype: n.dtype,
          scope: a.scope,
          level: a.level,
          named: true,
          args: [],
          used: false,
        }));
      }
      case "shift": {
        const e2 = env.map((x, d) => (d === n.axis ? { v: x.v, c: x.c + n.by } : x));
        return this.node(n.of, e2, limit);
      }
      case "op": {
        const w = this.#windowRead(i, env);
        if (w !== null) return w;
        const t = this.opts.tables?.get(i);
        const ready = t && (t.p < limit.p || (t.p === limit.p && i < limit.node));
        if (ready && this.#tableHolds(t, env)) return this.#tableRead(t, env);
        return this.op(i, env, limit);
      }
    }
  }

  /** The value of op node `i` at `env`, computed here (never read from its own table). */
  op(i: number, env: Env, limit: Limit = NO_LIMIT): number {
    const n = this.k.nodes[i] as Extract<KNode, { kind: "op" }>;
    const axes = this.opts.info?.axes[i];
    const fastKey = axes && `o|${i}|${axes.map((a) => `${env[a].v?.name ?? ""}${env[a].c}`)}`;
    const hit = fastKey ? this.#keys.get(fastKey) : undefined;
    if (hit !== undefined) return hit;
    let args = n.args.map((a) => this.node(a, env, limit));
    const vals = args.map((a) => this.vals[a].value);
    const op = n.op as ScalarOpName;
    const decl = SCALAR_OPS[op];
    let id: number;
    if (op === "select" && vals[0] !== undefined) {
      id = vals[0] ? args[1] : args[2];
    } else if (vals.every((v) => v !== undefined)) {
      const dts = n.args.map((a) => this.k.nodes[a].dtype);
      id = this.constant(evalOp(op, vals as number[], dts, n.dtype), n.dtype);
    } else {
      if (decl.discontinuous && this.lang.round32) args = args.map((a) => this.#round32(a));
      const argDtype = this.k.nodes[n.args[op === "select" ? 1 : 0]].dtype;
      const key = `x|${op}|${n.dtype}|${args.join(",")}`;
      const place = this.#deepest(args);
      if (place.level === 0 && this.opts.hoist) {
        id = this.#val(key, () => {
          this.#hoisted.push({ id: this.vals.length, node: i, env, dtype: n.dtype });
          return {
            kind: "hoisted",
            op,
            code: "",
            dtype: n.dtype,
            ...ROOT,
            named: true,
            args: [],
            used: false,
          };
        });
      } else {
        id = this.#val(key, () => ({
          kind: "op",
          op,
          code: this.lang.op(
            op,
            args.map((a) => this.ref(a)),
            args.map((a) => this.vals[a]),
            argDtype,
            n.dtype,
          ),
          dtype: n.dtype,
          ...place,
          named: true,
          args,
          used: false,
        }));
      }
    }
    if (fastKey) this.#keys.set(fastKey, id);
    return id;
  }

  /**
   * The used hoisted values with their pre-pass slots (numbered in order); sets their code to
   * `hoistedRead(slot, dtype)`.
   */
  hoistedSlots(): HoistedValue[] {
    const read = this.opts.hoistedRead;
    return this.#hoisted.filter((h) => this.vals[h.id].used).map((h, slot) => {
      if (read) this.vals[h.id].code = read(slot, h.dtype);
      return { ...h, slot };
    });
  }

  /** The register holding node `i` at `env`, when a window keeps it; else null. */
  #windowRead(i: number, env: Env): number | null {
    const loop = this.opts.window;
    const w = loop?.windows.get(i);
    if (!loop || !w) return null;
    const e = env[loop.axis];
    if (e.v !== loop.v || e.c < w.lo || e.c >= w.hi) return null;
    const same = this.opts.info!.axes[i].every((a) =>
      a === loop.axis || (env[a].v === loop.env[a].v && env[a].c === loop.env[a].c)
    );
    if (!same) return null;
    return this.#val(`w|${i}|${e.c}`, () => ({
      kind: "window",
      code: w.regs[e.c - w.lo],
      dtype: this.k.nodes[i].dtype,
      scope: loop.v.scope,
      level: loop.v.level,
      named: false,
      args: [],
      used: false,
    }));
  }

  #deepest(args: number[]): { scope: string; level: number } {
    let place = ROOT;
    for (const a of args) {
      const v = this.vals[a];
      if (v.level > place.level) place = { scope: v.scope, level: v.level };
    }
    return place;
  }

  #round32(id: number): number {
    const v = this.vals[id];
    if (v.dtype !== "float32" || v.value !== undefined) return id;
    return this.#val(`r|${id}`, () => ({
      kind: "round",
      code: this.lang.round32!(this.ref(id)),
      dtype: "float32",
      scope: v.scope,
      level: v.level,
      named: true,
      args: [id],
      used: false,
    }));
  }

  /** True when table `t` has the value at `env` (other axes at the main nest's own point). */
  #tableHolds(t: Table, env: Env): boolean {
    const main = this.opts.mainEnv!;
    return this.opts.info!.axes[t.node].every((a) => {
      const j = t.axes.indexOf(a);
      if (j >= 0) {
        const v = env[a].v;
        const lo = (v ? v.lo : 0) + env[a].c, hi = (v ? v.hi : 0) + env[a].c;
        return lo >= t.lo[j] && hi < t.hi[j];
      }
      return env[a].c === 0 && env[a].v === main[a].v;
    });
  }

  #tableRead(t: Table, env: Env): number {
    const coefs = new Array<number>(this.k.domain.length).fill(0);
    let offset = 0;
    t.axes.forEach((a, j) => {
      coefs[a] = t.strides[j];
      offset -= t.strides[j] * t.lo[j];
    });
    const a = this.affine(offset, coefs, env);
    return this.#val(`t|${t.id}|${a.code}`, () => ({
      kind: "table",
      code: this.lang.tableRead!(t.id, a.code, this.k.nodes[t.node].dtype),
      dtype: this.k.nodes[t.node].dtype,
      scope: a.scope,
      level: a.level,
      named: true,
      args: [],
      used: false,
    }));
  }
}
