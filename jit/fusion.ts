/**
 * The fusion planner: jaxpr → {@link Plan}, a schedule of fused {@link Kernel}s and *routines*.
 *
 * 1. Call-like primitives (`jit_call`, `custom_jvp_call`, `custom_vjp_call`) are inlined, so a
 *    jitted function called inside another fuses with its caller. Duplicate fusible equations
 *    (same primitive, parameters and operands, as transforms emit them: the backward pass of two
 *    matmuls by one matrix transposes it twice) are merged (`cse.ts`), so no kernel computes or
 *    writes one value twice.
 * 2. Every equation is classified: *fusible* (the elementwise primitives of `SCALAR_OPS`,
 *    `select`, `convert_element_type`, `stop_gradient`, `iota`, the views `broadcast_in_dim`,
 *    `transpose`, `slice`, `rev`, `reshape`, `pad` without interior padding, `concatenate`, and the
 *    reductions `reduce_sum/max/min/prod`) or a *routine*: anything else (matmul, linalg, cumsum,
 *    gather/scatter-add, sort, control flow, random bits, and every primitive added later) runs its
 *    eager implementation on materialised operands.
 * 3. Materialised values (buffers): the program's inputs and outputs, the operands and results of
 *    routines, every reduction result, and the operand of a reshape that merges axes (which is not
 *    index arithmetic). Nothing else is ever stored: elementwise and view operations are inlined
 *    into each consumer and *recomputed* there. In particular the [N, B+1] matrix of normal CDFs of
 *    the W1 histogram is never materialised, neither in the forward pass (where it is reduced over
 *    events into bins) nor in the backward pass (where it is recomputed and reduced over bins).
 * 4. Each materialised value computed by fusible operations is a kernel *root*: a `reduce` root
 *    (domain = the reduction's operand shape) or a `map` root (domain = its own shape). Roots with
 *    the same domain (and the same reduced axes) that do not depend on each other are merged into
 *    one multi-output kernel, in program order ("sibling fusion"), so values they share are
 *    computed once per domain point.
 * 5. Steps are ordered topologically; each temporary buffer records the step after which it is
 *    dead, so executors free or pool it deterministically.
 *
 * @module
 */
import type { ShapedArray } from "../core/aval.ts";
import type { DeviceArray } from "../core/device_array.ts";
import type { DType } from "../core/dtype.ts";
import { type Atom, type Eqn, Jaxpr, Literal, Var } from "../core/jaxpr.ts";
import { fmtShape, sizeOf, stridesOf } from "../core/shape.ts";
import { P } from "../core/primitives/mod.ts";
import { cseEqns } from "./cse.ts";
import {
  type Affine,
  evalOp,
  type Kernel,
  type KernelInput,
  type KernelOutput,
  type KNode,
  printKernel,
  type ReduceOp,
  scalarOp,
} from "./kernel_ir.ts";

/**
 * Where a plan buffer comes from.
 *
 * @example
 * ```ts
 * import type { BufferSource } from "./fusion.ts";
 * const s: BufferSource = { kind: "input", index: 0 };
 * ```
 */
export type BufferSource =
  | { kind: "input"; index: number }
  | { kind: "literal"; array: DeviceArray }
  | { kind: "step"; step: number };

/**
 * A materialised value of a plan.
 *
 * @example
 * ```ts
 * import type { PlanBuffer } from "./fusion.ts";
 * declare const b: PlanBuffer;
 * console.log(b.name, b.aval.toString());
 * ```
 */
export interface PlanBuffer {
  /** Index in `Plan.buffers`. */
  id: number;
  /** Shape and dtype. */
  aval: ShapedArray;
  /** The jaxpr variable's printed name. */
  name: string;
  /** Who fills it. */
  source: BufferSource;
}

/**
 * One step of a plan: a fused kernel, or a routine (one primitive run by its eager implementation).
 *
 * @example
 * ```ts
 * import type { PlanStep } from "./fusion.ts";
 * declare const s: PlanStep;
 * if (s.kind === "kernel") console.log(s.kernel.name);
 * ```
 */
export type PlanStep =
  | { kind: "kernel"; kernel: Kernel; inputs: number[]; outputs: number[] }
  | { kind: "routine"; eqn: Eqn; inputs: number[]; outputs: number[] };

/**
 * An executable schedule for a jaxpr.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../mod.ts";
 * import { planJaxpr } from "./fusion.ts";
 * const j = makeJaxpr((x) => x.mul(2).sum())(array([1, 2, 3]));
 * console.log(planJaxpr(j.jaxpr).toString());
 * ```
 */
export interface Plan {
  /** The jaxpr the plan runs (with calls inlined). */
  jaxpr: Jaxpr;
  /** Every materialised value. */
  buffers: PlanBuffer[];
  /** Buffers holding the jaxpr's inputs, in order. */
  inputs: number[];
  /** Buffers holding the jaxpr's outputs, in order. */
  outputs: number[];
  /** The schedule. */
  steps: PlanStep[];
  /** `freeAfter[k]`: temporaries whose last use is step k. */
  freeAfter: number[][];
  /** Text of the plan: steps, kernels and buffers. */
  toString(): string;
}

/**
 * Options of {@link planJaxpr}.
 *
 * @example
 * ```ts
 * import type { PlanOptions } from "./fusion.ts";
 * const o: PlanOptions = { maxBuffersPerKernel: 8 };
 * ```
 */
export interface PlanOptions {
  /** Extra veto: equations for which this returns false become routines. */
  fusible?: (eqn: Eqn) => boolean;
  /** Upper bound on inputs + outputs of one kernel (a device's storage-buffer limit). */
  maxBuffersPerKernel?: number;
  /**
   * Values to store even though they are fusible: a renderer's cost choice (an operand whose
   * inlined expression would be recomputed for every element of a large matmul's output).
   */
  materialise?: ReadonlySet<Var>;
}

// ---------------------------------------------------------------------------
// Inlining of call-like primitives
// ---------------------------------------------------------------------------

const CALLS: Record<string, (params: Record<string, unknown>) => unknown> = {
  jit_call: (p) => p.jaxpr,
  custom_jvp_call: (p) => p.call,
  custom_vjp_call: (p) => p.call,
};

function callee(e: Eqn): Jaxpr | null {
  const get = CALLS[e.prim.name];
  if (!get) return null;
  const j = get(e.params);
  return j instanceof Jaxpr && j.constvars.length === 0 && j.invars.length === e.inputs.length
    ? j
    : null;
}

/**
 * Inlines nested `jit_call`/`custom_jvp_call`/`custom_vjp_call` equations (their bodies become
 * equations of the caller, with fresh variables).
 *
 * @example
 * ```ts
 * import { array, jit, makeJaxpr } from "../mod.ts";
 * import { inlineCalls } from "./fusion.ts";
 * const g = jit((x) => x.mul(2));
 * const j = makeJaxpr((x) => g(x).sum())(array([1, 2]));
 * console.log(inlineCalls(j.jaxpr).toString()); // no jit_call left
 * ```
 */
export function inlineCalls(j: Jaxpr): Jaxpr {
  if (!j.eqns.some((e) => callee(e))) return j;
  const eqns: Eqn[] = [];
  const emit = (jx: Jaxpr, env: Map<Var, Atom>, fresh: boolean): Atom[] => {
    const r = (a: Atom): Atom => (a instanceof Var ? env.get(a) ?? a : a);
    for (const e of jx.eqns) {
      const inputs = e.inputs.map(r);
      const body = callee(e);
      if (body) {
        const inner = new Map<Var, Atom>();
        body.invars.forEach((v, i) => inner.set(v, inputs[i]));
        const outs = emit(body, inner, true);
        e.outputs.forEach((v, i) => env.set(v, outs[i]));
        continue;
      }
      const outputs = fresh ? e.outputs.map((v) => new Var(v.aval)) : e.outputs;
      if (fresh) e.outputs.forEach((v, i) => env.set(v, outputs[i]));
      eqns.push({ prim: e.prim, inputs, params: e.params, outputs });
    }
    return jx.outvars.map(r);
  };
  const outvars = emit(j, new Map(), false);
  return new Jaxpr(j.constvars, j.invars, eqns, outvars);
}

// ---------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------

type FuseKind = "elementwise" | "identity" | "view" | "iota" | "reduce";

/**
 * How the planner treats each fusible primitive that is not a scalar op (those are `SCALAR_OPS`),
 * keyed by primitive name (checked against the primitive table): views are index arithmetic,
 * reductions become `reduce` outputs. `pad` is a view without interior padding only.
 */
const FUSIBLE: Partial<Record<PrimName, FuseKind>> = {
  stop_gradient: "identity",
  iota: "iota",
  broadcast_in_dim: "view",
  transpose: "view",
  slice: "view",
  rev: "view",
  reshape: "view",
  concatenate: "view",
  pad: "view",
  reduce_sum: "reduce",
  reduce_prod: "reduce",
  reduce_max: "reduce",
  reduce_min: "reduce",
};
/** The reduction of each reduce primitive. */
const REDUCES: Partial<Record<PrimName, ReduceOp>> = {
  reduce_sum: "sum",
  reduce_prod: "prod",
  reduce_max: "max",
  reduce_min: "min",
};
type PrimName = keyof typeof P;
const isPrimName = (n: string): n is PrimName => Object.hasOwn(P, n);

/** The reduction a reduce equation performs. */
function reduceOf(e: Eqn): ReduceOp {
  const n = e.prim.name;
  const r = isPrimName(n) ? REDUCES[n] : undefined;
  if (!r) throw new Error(`fusion: ${n} is not a reduction`);
  return r;
}

/**
 * How the planner treats an equation: a kind of fusible operation, or null for a routine.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../mod.ts";
 * import { fuseKind } from "./fusion.ts";
 * const j = makeJaxpr((x) => x.sin())(array([1]));
 * fuseKind(j.jaxpr.eqns[0]); // "elementwise"
 * ```
 */
export function fuseKind(e: Eqn): FuseKind | null {
  const n = e.prim.name;
  if (scalarOp(n)) return "elementwise";
  if (!isPrimName(n)) return null;
  if (n === "pad" && !(e.params.interior as number[]).every((v) => v === 0)) return null;
  return FUSIBLE[n] ?? null;
}

// ---------------------------------------------------------------------------
// Index maps: var index = off + rows · (domain index)
// ---------------------------------------------------------------------------

interface IndexMap {
  rows: number[][];
  off: number[];
}

function identityMap(rank: number): IndexMap {
  return {
    rows: globalThis.Array.from(
      { length: rank },
      (_, k) => globalThis.Array.from({ length: rank }, (_, d) => (d === k ? 1 : 0)),
    ),
    off: new globalThis.Array<number>(rank).fill(0),
  };
}

function mapKey(m: IndexMap): string {
  return `${m.off.join(",")}|${m.rows.map((r) => r.join(",")).join(";")}`;
}

/** Address of element (map) of a contiguous row-major buffer of `shape`, as an affine function. */
function bufferAffine(shape: readonly number[], m: IndexMap, rank: number): Affine {
  const rs = stridesOf(shape);
  const coefs = new globalThis.Array<number>(rank).fill(0);
  let offset = 0;
  shape.forEach((n, k) => {
    if (n === 1) return; // the index is 0
    offset += rs[k] * m.off[k];
    m.rows[k].forEach((c, d) => (coefs[d] += rs[k] * c));
  });
  return { offset, coefs };
}

/**
 * The operand map of `reshape(operand: inShape) → outShape` given the result's map, when it is
 * affine: every group of axes whose sizes multiply to the same product has one operand axis
 * (splits and size-1 axes). Merging axes is not affine: returns null.
 */
function reshapeMap(
  inShape: readonly number[],
  outShape: readonly number[],
  m: IndexMap,
  rank: number,
): IndexMap | null {
  const zero = () => new globalThis.Array<number>(rank).fill(0);
  const rows = inShape.map(() => zero());
  const off = inShape.map(() => 0);
  const ins = inShape.map((n, k) => [n, k]).filter(([n]) => n !== 1);
  const outs = outShape.map((n, k) => [n, k]).filter(([n]) => n !== 1);
  let a = 0, b = 0;
  while (a < ins.length && b < outs.length) {
    // One block: operand axes ins[a..a2), result axes outs[b..b2) with equal products.
    let pi = ins[a][0], po = outs[b][0];
    let a2 = a + 1, b2 = b + 1;
    while (pi !== po) {
      if (pi < po) pi *= ins[a2++][0];
      else po *= outs[b2++][0];
    }
    if (a2 - a !== 1) return null;
    const k = ins[a][1];
    let stride = 1;
    for (let j = b2 - 1; j >= b; j--) {
      const [n, o] = outs[j];
      off[k] += stride * m.off[o];
      m.rows[o].forEach((c, d) => (rows[k][d] += stride * c));
      stride *= n;
    }
    a = a2, b = b2;
  }
  return { rows, off };
}

/**
 * When map `b` is map `a` evaluated at a domain point shifted by `by` along one axis
 * (b.off = a.off + by·a.rows[·][axis], same rows), that axis and shift; else null.
 */
function shiftBetween(a: IndexMap, b: IndexMap): { axis: number; by: number } | null {
  if (mapKey({ rows: a.rows, off: b.off }) !== mapKey(b)) return null; // rows differ
  const delta = b.off.map((o, k) => o - a.off[k]);
  if (delta.every((d) => d === 0)) return null;
  const rank = a.rows[0]?.length ?? 0;
  for (let axis = 0; axis < rank; axis++) {
    const k0 = delta.findIndex((d, k) => d !== 0 && a.rows[k][axis] !== 0);
    if (k0 < 0) continue;
    const by = delta[k0] / a.rows[k0][axis];
    if (!Number.isInteger(by)) continue;
    if (delta.every((d, k) => d === by * a.rows[k][axis])) return { axis, by };
  }
  return null;
}

/** True when reshape(inShape → outShape) only splits axes or adds/removes size-1 axes. */
function reshapeIsAffine(inShape: readonly number[], outShape: readonly number[]): boolean {
  return reshapeMap(inShape, outShape, identityMap(outShape.length), outShape.length) !== null;
}

// ---------------------------------------------------------------------------
// Kernel building
// ---------------------------------------------------------------------------

class KernelBuilder {
  readonly nodes: KNode[] = [];
  readonly inputs: KernelInput[] = [];
  readonly inputVars: Var[] = [];
  readonly #keys = new Map<string, number>();
  readonly #memo = new Map<Var, Map<string, { id: number; map: IndexMap }>>();
  readonly #inputIndex = new Map<Var, number>();

  constructor(
    readonly domain: number[],
    readonly materialised: Set<Var>,
    readonly producer: Map<Var, Eqn>,
    readonly name: (v: Var) => string,
  ) {}

  get rank(): number {
    return this.domain.length;
  }

  add(n: KNode): number {
    let key: string;
    if (n.kind === "op") {
      const args = n.args.map((a) => this.nodes[a]);
      if (args.every((a) => a.kind === "const")) {
        const vals = args.map((a) => (a as { value: number }).value);
        const v = evalOp(n.op, vals, args.map((a) => a.dtype), n.dtype);
        return this.add({ kind: "const", value: v, dtype: n.dtype });
      }
      key = `o|${n.op}|${n.dtype}|${n.args.join(",")}`;
    } else if (n.kind === "const") {
      const v = Object.is(n.value, -0) ? "-0" : String(n.value);
      key = `c|${n.dtype}|${v}`;
    } else if (n.kind === "shift") {
      key = `s|${n.of}|${n.axis}|${n.by}`;
    } else {
      key = `${n.kind}|${n.kind === "load" ? n.input : ""}|${n.index.offset}|${n.index.coefs}`;
    }
    let id = this.#keys.get(key);
    if (id === undefined) {
      id = this.nodes.length;
      this.nodes.push(n);
      this.#keys.set(key, id);
    }
    return id;
  }

  inputOf(v: Var): number {
    let i = this.#inputIndex.get(v);
    if (i === undefined) {
      i = this.inputs.length;
      this.inputs.push({ dtype: v.aval.dtype, size: v.aval.size, name: this.name(v) });
      this.inputVars.push(v);
      this.#inputIndex.set(v, i);
    }
    return i;
  }

  const(value: number, dtype: DType): number {
    return this.add({ kind: "const", value, dtype });
  }

  /** The node computing `a` at the var index given by `m` (a function of the domain point). */
  atom(a: Atom, m: IndexMap): number {
    if (a instanceof Literal) return this.const(a.value, a.aval.dtype);
    if (this.materialised.has(a)) {
      const index = bufferAffine(a.aval.shape, m, this.rank);
      return this.add({ kind: "load", input: this.inputOf(a), index, dtype: a.aval.dtype });
    }
    return this.expand(a, m);
  }

  /** Like {@link atom} but expands the defining equation even if `v` is materialised (a root). */
  expand(v: Var, m: IndexMap): number {
    let byMap = this.#memo.get(v);
    if (!byMap) this.#memo.set(v, byMap = new Map());
    const key = mapKey(m);
    const hit = byMap.get(key);
    if (hit !== undefined) return hit.id;
    const e = this.producer.get(v);
    if (!e) throw new Error(`fusion: ${this.name(v)} has no defining equation`);
    // The same value at a point shifted along one domain axis: a `shift` node, so renderers can
    // compute it once and reuse it (stencils, `x[1:] - x[:-1]`).
    for (const prev of byMap.values()) {
      if (this.nodes[prev.id].kind !== "op") continue;
      const s = shiftBetween(prev.map, m);
      if (s) {
        const id = this.add({
          kind: "shift",
          of: prev.id,
          axis: s.axis,
          by: s.by,
          dtype: v.aval.dtype,
        });
        byMap.set(key, { id, map: m });
        return id;
      }
    }
    const id = this.#expandEqn(e, v, m);
    byMap.set(key, { id, map: m });
    return id;
  }

  #expandEqn(e: Eqn, v: Var, m: IndexMap): number {
    const kind = fuseKind(e);
    const p = e.params;
    const dtype = v.aval.dtype;
    const rank = this.rank;
    const zero = () => new globalThis.Array<number>(rank).fill(0);
    switch (kind) {
      case "identity":
        return this.atom(e.inputs[0], m);
      case "elementwise": {
        if (e.prim.name === "convert_element_type" && e.inputs[0].aval.dtype === dtype) {
          return this.atom(e.inputs[0], m);
        }
        const args = e.inputs.map((a) => this.atom(a, m));
        return this.add({ kind: "op", op: e.prim.name, args, dtype });
      }
      case "iota": {
        const d = p.dimension as number;
        const idx = this.add({
          kind: "index",
          index: { offset: m.off[d], coefs: [...m.rows[d]] },
          dtype: "int32",
        });
        return dtype === "int32"
          ? idx
          : this.add({ kind: "op", op: "convert_element_type", args: [idx], dtype });
      }
      case "view":
        return this.#view(e, m, dtype, zero);
      default:
        throw new Error(`fusion: cannot inline ${e.prim.name} (its result must be materialised)`);
    }
  }

  #view(e: Eqn, m: IndexMap, dtype: DType, zero: () => number[]): number {
    const p = e.params;
    const x = e.inputs[0];
    const xs = x.aval.shape;
    switch (e.prim.name) {
      case "broadcast_in_dim": {
        const bd = p.broadcastDimensions as number[];
        return this.atom(x, {
          rows: xs.map((n, i) => (n === 1 ? zero() : [...m.rows[bd[i]]])),
          off: xs.map((n, i) => (n === 1 ? 0 : m.off[bd[i]])),
        });
      }
      case "transpose": {
        const perm = p.perm as number[];
        const rows = xs.map(() => zero());
        const off = xs.map(() => 0);
        perm.forEach((src, k) => {
          rows[src] = [...m.rows[k]];
          off[src] = m.off[k];
        });
        return this.atom(x, { rows, off });
      }
      case "slice": {
        const { start, strides } = p as { start: number[]; strides: number[] };
        return this.atom(x, {
          rows: m.rows.map((r, k) => r.map((c) => c * strides[k])),
          off: m.off.map((o, k) => start[k] + strides[k] * o),
        });
      }
      case "rev": {
        const axes = p.axes as number[];
        return this.atom(x, {
          rows: m.rows.map((r, k) => (axes.includes(k) ? r.map((c) => -c) : [...r])),
          off: m.off.map((o, k) => (axes.includes(k) ? xs[k] - 1 - o : o)),
        });
      }
      case "reshape": {
        const outShape = p.shape as number[];
        if (x instanceof Var && this.materialised.has(x)) {
          // A contiguous buffer: the address is the result's row-major linear index.
          const index = bufferAffine(outShape, m, this.rank);
          return this.add({ kind: "load", input: this.inputOf(x), index, dtype: x.aval.dtype });
        }
        if (x instanceof Literal) return this.atom(x, m);
        const im = reshapeMap(xs, outShape, m, this.rank);
        if (!im) {
          throw new Error(`fusion: reshape ${fmtShape(xs)} → ${fmtShape(outShape)} is not affine`);
        }
        return this.atom(x, im);
      }
      case "pad": {
        const { lo, hi } = p as { lo: number[]; hi: number[] };
        const inner = this.atom(x, { rows: m.rows, off: m.off.map((o, k) => o - lo[k]) });
        let pred = -1;
        xs.forEach((n, k) => {
          if (lo[k] === 0 && hi[k] === 0) return;
          const idx = this.add({
            kind: "index",
            index: { offset: m.off[k], coefs: [...m.rows[k]] },
            dtype: "int32",
          });
          const ge = this.add({
            kind: "op",
            op: "ge",
            args: [idx, this.const(lo[k], "int32")],
            dtype: "bool",
          });
          const lt = this.add({
            kind: "op",
            op: "lt",
            args: [idx, this.const(lo[k] + n, "int32")],
            dtype: "bool",
          });
          const both = this.add({ kind: "op", op: "and", args: [ge, lt], dtype: "bool" });
          pred = pred < 0
            ? both
            : this.add({ kind: "op", op: "and", args: [pred, both], dtype: "bool" });
        });
        if (pred < 0) return inner;
        return this.add({
          kind: "op",
          op: "select",
          args: [pred, inner, this.const(0, dtype)],
          dtype,
        });
      }
      case "concatenate": {
        const axis = p.axis as number;
        const starts: number[] = [];
        let s = 0;
        for (const a of e.inputs) starts.push(s), s += a.aval.shape[axis];
        const idx = this.add({
          kind: "index",
          index: { offset: m.off[axis], coefs: [...m.rows[axis]] },
          dtype: "int32",
        });
        let out = -1;
        for (let k = e.inputs.length - 1; k >= 0; k--) {
          if (e.inputs[k].aval.shape[axis] === 0) continue;
          const shifted = {
            rows: m.rows,
            off: m.off.map((o, j) => (j === axis ? o - starts[k] : o)),
          };
          const val = this.atom(e.inputs[k], shifted);
          if (out < 0) {
            out = val;
            continue;
          }
          const end = starts[k] + e.inputs[k].aval.shape[axis];
          const pred = this.add({
            kind: "op",
            op: "lt",
            args: [idx, this.const(end, "int32")],
            dtype: "bool",
          });
          out = this.add({ kind: "op", op: "select", args: [pred, val, out], dtype });
        }
        return out < 0 ? this.const(0, dtype) : out;
      }
    }
    throw new Error(`fusion: unknown view ${e.prim.name}`);
  }
}

// ---------------------------------------------------------------------------
// The planner
// ---------------------------------------------------------------------------

interface Root {
  v: Var;
  eqn: Eqn;
  order: number;
  domain: number[];
  reduce: ReduceOp | null;
  reduceAxes: number[];
  deps: Set<Var>;
}

interface Group {
  roots: Root[];
  domain: number[];
  reduceAxes: number[] | null;
  outputs: Set<Var>;
  deps: Set<Var>;
  order: number;
}

/**
 * Names variables as `printJaxpr` does (constvars, invars, then each equation's outputs).
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../mod.ts";
 * import { jaxprNamer } from "./fusion.ts";
 * const j = makeJaxpr((x) => x.sin())(array([1])).jaxpr;
 * jaxprNamer(j)(j.invars[0]); // "a"
 * ```
 */
export function jaxprNamer(j: Jaxpr): (v: Var) => string {
  const names = new Map<Var, string>();
  const name = (k: number) => {
    let n = "";
    do {
      n = String.fromCharCode(97 + (k % 26)) + n;
      k = Math.floor(k / 26) - 1;
    } while (k >= 0);
    return n;
  };
  const see = (v: Var) => {
    if (!names.has(v)) names.set(v, name(names.size));
  };
  j.constvars.forEach(see);
  j.invars.forEach(see);
  for (const e of j.eqns) e.outputs.forEach(see);
  return (v) => names.get(v) ?? "?";
}

/**
 * Plans the execution of a jaxpr (without constvars) as fused kernels and routines.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr, sin } from "../mod.ts";
 * import { planJaxpr } from "./fusion.ts";
 * const j = makeJaxpr((x) => sin(x).mul(2).sum())(array([1, 2, 3])).jaxpr;
 * const plan = planJaxpr(j);
 * console.log(plan.steps.length); // 1: sin, mul and sum fuse into one kernel
 * ```
 */
export function planJaxpr(jaxpr0: Jaxpr, opts: PlanOptions = {}): Plan {
  if (jaxpr0.constvars.length) {
    throw new Error(
      "planJaxpr: the jaxpr has constvars; pass them as leading inputs (hoistConsts)",
    );
  }
  // Duplicate fusible equations (the transposes of a backward pass) are computed once (./cse.ts).
  const jaxpr = cseEqns(inlineCalls(jaxpr0), (e) => fuseKind(e) !== null);
  const name = jaxprNamer(jaxpr);
  const producer = new Map<Var, Eqn>();
  const order = new Map<Eqn, number>();
  jaxpr.eqns.forEach((e, i) => {
    order.set(e, i);
    for (const v of e.outputs) producer.set(v, e);
  });
  const kindOf = new Map<Eqn, FuseKind | null>();
  for (const e of jaxpr.eqns) {
    let k = fuseKind(e);
    if (k && opts.fusible && !opts.fusible(e)) k = null;
    kindOf.set(e, k);
  }

  // Materialised values.
  const mat = new Set<Var>(jaxpr.invars);
  for (const v of opts.materialise ?? []) mat.add(v);
  for (const o of jaxpr.outvars) if (o instanceof Var) mat.add(o);
  for (const e of jaxpr.eqns) {
    const k = kindOf.get(e);
    if (k === null) {
      for (const a of e.inputs) if (a instanceof Var) mat.add(a);
      for (const v of e.outputs) mat.add(v);
    } else if (k === "reduce") {
      for (const v of e.outputs) mat.add(v);
    } else if (e.prim.name === "reshape") {
      const x = e.inputs[0];
      if (x instanceof Var && !reshapeIsAffine(x.aval.shape, e.params.shape)) mat.add(x);
    }
  }

  // Direct buffer dependencies of a fusible value (the materialised values its expression reads).
  const depMemo = new Map<Var, Set<Var>>();
  const depsOf = (v: Var, root: boolean): Set<Var> => {
    if (!root && mat.has(v)) return new Set([v]);
    const hit = depMemo.get(v);
    if (hit && !root) return hit;
    const out = new Set<Var>();
    for (const a of producer.get(v)!.inputs) {
      if (a instanceof Var) { for (const d of depsOf(a, false)) out.add(d); }
    }
    if (!root) depMemo.set(v, out);
    return out;
  };

  // A kernel binds at most maxBuf buffers (inputs and its output): a root reading more gets the
  // fusible value in its expression that gathers the most of its inputs materialised (computed by
  // a kernel of its own), until it fits; one primitive that alone reads too many runs as a routine.
  const maxBuf = opts.maxBuffersPerKernel ?? Infinity;
  const rootDeps = (e: Eqn, v: Var): Set<Var> => {
    if (kindOf.get(e) !== "reduce") return depsOf(v, true);
    const x = e.inputs[0];
    return x instanceof Var ? (mat.has(x) ? new Set([x]) : depsOf(x, false)) : new Set();
  };
  for (let changed = Number.isFinite(maxBuf); changed;) {
    changed = false;
    for (const e of jaxpr.eqns) {
      if (kindOf.get(e) === null) continue;
      for (const v of e.outputs) {
        if (!mat.has(v)) continue;
        const deps = rootDeps(e, v);
        if (deps.size + 1 <= maxBuf) continue;
        let best: Var | null = null, bestSize = 1;
        const seen = new Set<Var>();
        const visit = (u: Var) => {
          if (seen.has(u) || mat.has(u) || !producer.has(u)) return;
          seen.add(u);
          const n = depsOf(u, false).size;
          if (n > bestSize && n + 1 <= maxBuf) [best, bestSize] = [u, n];
          for (const a of producer.get(u)!.inputs) if (a instanceof Var) visit(a);
        };
        for (const a of e.inputs) if (a instanceof Var) visit(a);
        if (best) mat.add(best);
        else {
          kindOf.set(e, null);
          for (const a of e.inputs) if (a instanceof Var) mat.add(a);
        }
        depMemo.clear();
        changed = true;
      }
    }
  }

  // Kernel roots.
  const roots: Root[] = [];
  for (const e of jaxpr.eqns) {
    const k = kindOf.get(e);
    if (k === null) continue;
    for (const v of e.outputs) {
      if (!mat.has(v)) continue;
      if (k === "reduce") {
        const x = e.inputs[0];
        const deps = x instanceof Var ? depsOf(x, false) : new Set<Var>();
        roots.push({
          v,
          eqn: e,
          order: order.get(e)!,
          domain: [...x.aval.shape],
          reduce: reduceOf(e),
          reduceAxes: [...(e.params.axes as number[])].sort((a, b) => a - b),
          deps,
        });
      } else {
        roots.push({
          v,
          eqn: e,
          order: order.get(e)!,
          domain: [...v.aval.shape],
          reduce: null,
          reduceAxes: [],
          deps: depsOf(v, true),
        });
      }
    }
  }

  // Transitive ancestors (materialised values) of every materialised value.
  const rootOf = new Map<Var, Root>(roots.map((r) => [r.v, r]));
  const anc = new Map<Var, Set<Var>>();
  const ancestors = (v: Var): Set<Var> => {
    const hit = anc.get(v);
    if (hit) return hit;
    const out = new Set<Var>();
    anc.set(v, out);
    const e = producer.get(v);
    if (!e) return out;
    const direct = kindOf.get(e) === null
      ? e.inputs.filter((a): a is Var => a instanceof Var)
      : [...(rootOf.get(v)?.deps ?? [])];
    for (const d of direct) {
      out.add(d);
      for (const x of ancestors(d)) out.add(x);
    }
    return out;
  };

  // Sibling fusion.
  const groups: Group[] = [];
  const groupOf = new Map<Var, Group>();
  const sameShape = (a: number[], b: number[]) =>
    a.length === b.length && a.every((d, i) => d === b[i]);
  /**
   * Whether the values `from` depend, through the steps as grouped so far, on one of `targets`. A
   * group runs as one step, so depending on one of its outputs means depending on all its inputs:
   * a root may join a group it does not depend on value by value and still close a cycle through
   * another group (the group's other members need that group, which needs the root's).
   */
  const reaches = (from: Iterable<Var>, targets: Set<Var>): boolean => {
    const seen = new Set<Var>(), stack = [...from];
    while (stack.length) {
      const v = stack.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      if (targets.has(v)) return true;
      const g = groupOf.get(v);
      if (g) {
        stack.push(...g.deps);
        continue;
      }
      const e = producer.get(v);
      if (!e) continue;
      if (kindOf.get(e) === null) {
        for (const x of e.inputs) if (x instanceof Var) stack.push(x);
      } else stack.push(...(rootOf.get(v)?.deps ?? []));
    }
    return false;
  };
  for (const r of roots) {
    const a = ancestors(r.v);
    let placed: Group | null = null;
    for (const g of groups) {
      if (!sameShape(g.domain, r.domain)) continue;
      if (r.reduce && g.reduceAxes && !sameShape(g.reduceAxes, r.reduceAxes)) continue;
      if ([...g.outputs].some((o) => a.has(o))) continue;
      const deps = new Set([...g.deps, ...r.deps]);
      if (deps.size + g.outputs.size + 1 > maxBuf) continue;
      if (reaches(deps, new Set([...g.outputs, r.v]))) continue;
      g.roots.push(r);
      g.outputs.add(r.v);
      g.deps = deps;
      if (r.reduce) g.reduceAxes = r.reduceAxes;
      placed = g;
      break;
    }
    if (!placed) {
      placed = {
        roots: [r],
        domain: r.domain,
        reduceAxes: r.reduce ? r.reduceAxes : null,
        outputs: new Set([r.v]),
        deps: new Set(r.deps),
        order: r.order,
      };
      groups.push(placed);
    }
    groupOf.set(r.v, placed);
  }

  // Buffers.
  const buffers: PlanBuffer[] = [];
  const bufOf = new Map<Var, number>();
  const newBuf = (aval: ShapedArray, nm: string, source: BufferSource) => {
    const id = buffers.length;
    buffers.push({ id, aval, name: nm, source });
    return id;
  };
  const inputs = jaxpr.invars.map((v, i) => {
    const id = newBuf(v.aval, name(v), { kind: "input", index: i });
    bufOf.set(v, id);
    return id;
  });
  const literalBuf = (l: Literal) =>
    newBuf(l.aval, String(l.value), { kind: "literal", array: l.array as DeviceArray });

  // Steps, unordered: kernels then routines, each with its buffer dependencies.
  interface Pending {
    order: number;
    deps: Var[];
    outs: Var[];
    make: () => PlanStep;
  }
  const pending: Pending[] = [];
  let kcount = 0;
  for (const g of groups) {
    pending.push({
      order: g.order,
      deps: [...g.deps],
      outs: [...g.outputs],
      make: () => buildKernel(g, `k${kcount++}`),
    });
  }
  const buildKernel = (g: Group, kname: string): PlanStep => {
    const b = new KernelBuilder(g.domain, mat, producer, name);
    const outputs: KernelOutput[] = [];
    const idm = identityMap(g.domain.length);
    for (const r of g.roots) {
      if (r.reduce) {
        const node = b.atom(r.eqn.inputs[0], idm);
        outputs.push({
          node,
          kind: "reduce",
          reduce: r.reduce,
          dtype: r.v.aval.dtype,
          shape: [...r.v.aval.shape],
          name: name(r.v),
        });
      } else {
        const node = b.expand(r.v, idm);
        outputs.push({
          node,
          kind: "map",
          dtype: r.v.aval.dtype,
          shape: [...r.v.aval.shape],
          name: name(r.v),
        });
      }
    }
    const kernel: Kernel = {
      name: kname,
      domain: g.domain,
      reduceAxes: g.reduceAxes ?? [],
      inputs: b.inputs,
      nodes: b.nodes,
      outputs,
    };
    return {
      kind: "kernel",
      kernel,
      inputs: b.inputVars.map((v) => bufOf.get(v)!),
      outputs: g.roots.map((r) => bufOf.get(r.v)!),
    };
  };
  for (const e of jaxpr.eqns) {
    if (kindOf.get(e) !== null) continue;
    pending.push({
      order: order.get(e)!,
      deps: e.inputs.filter((a): a is Var => a instanceof Var),
      outs: e.outputs,
      make: () => ({
        kind: "routine",
        eqn: e,
        inputs: e.inputs.map((a) => (a instanceof Literal ? literalBuf(a) : bufOf.get(a)!)),
        outputs: e.outputs.map((v) => bufOf.get(v)!),
      }),
    });
  }

  // Topological order (program order among ready steps).
  const made = new Set<Var>(jaxpr.invars);
  const steps: PlanStep[] = [];
  const left = [...pending].sort((a, b) => a.order - b.order);
  while (left.length) {
    const i = left.findIndex((p) => p.deps.every((d) => made.has(d)));
    if (i < 0) throw new Error("fusion: cyclic plan (internal error)");
    const [p] = left.splice(i, 1);
    const stepIndex = steps.length;
    for (const v of p.outs) {
      bufOf.set(v, newBuf(v.aval, name(v), { kind: "step", step: stepIndex }));
      made.add(v);
    }
    steps.push(p.make());
  }

  const outputs = jaxpr.outvars.map((o) => (o instanceof Literal ? literalBuf(o) : bufOf.get(o)!));

  // Lifetimes: temporaries die after their last reading step.
  const keep = new Set<number>([...inputs, ...outputs]);
  const last = new Map<number, number>();
  steps.forEach((s, k) => {
    for (const b of s.inputs) last.set(b, k);
    for (const b of s.outputs) if (!last.has(b)) last.set(b, k);
  });
  const freeAfter: number[][] = steps.map(() => []);
  for (const [b, k] of last) {
    if (!keep.has(b) && buffers[b].source.kind === "step") freeAfter[k].push(b);
  }

  const plan: Plan = {
    jaxpr,
    buffers,
    inputs,
    outputs,
    steps,
    freeAfter,
    toString: () => printPlan(plan),
  };
  return plan;
}

/**
 * Text of a plan: one block per step.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../mod.ts";
 * import { planJaxpr, printPlan } from "./fusion.ts";
 * console.log(printPlan(planJaxpr(makeJaxpr((x) => x.exp())(array([1])).jaxpr)));
 * ```
 */
export function printPlan(plan: Plan): string {
  const bn = (b: number) => `${plan.buffers[b].name}:${plan.buffers[b].aval}`;
  const lines = [
    `plan: ${plan.steps.length} steps, inputs (${plan.inputs.map(bn).join(", ")}) → outputs (${
      plan.outputs.map(bn).join(", ")
    })`,
  ];
  plan.steps.forEach((s, k) => {
    if (s.kind === "routine") {
      lines.push(
        `step ${k}: routine ${s.eqn.prim.name}(${s.inputs.map(bn).join(", ")}) → ${
          s.outputs.map(bn).join(", ")
        }`,
      );
    } else {
      lines.push(
        `step ${k}: ${s.kernel.name}(${s.inputs.map(bn).join(", ")}) → ${
          s.outputs.map(bn).join(", ")
        }`,
      );
      lines.push(printKernel(s.kernel).split("\n").map((l) => "    " + l).join("\n"));
    }
    if (plan.freeAfter[k].length) {
      lines.push(`    free ${plan.freeAfter[k].map((b) => plan.buffers[b].name).join(", ")}`);
    }
  });
  return lines.join("\n");
}

/** Number of elements a kernel's domain visits (for cost estimates and tests). */
export function domainSize(k: Kernel): number {
  return sizeOf(k.domain);
}
