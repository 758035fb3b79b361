/**
 * Kernel construction: the values a fused kernel computes, expanded into its scalar node DAG
 * ({@link Kernel}). Each fusible value is expanded at the index map where its consumer reads it
 * (views become index arithmetic on the way to the loads of materialised values); equal nodes are
 * shared, constant operations folded, and a value read again at a point shifted along one domain
 * axis becomes a `shift` node.
 *
 * @module
 */
import type { DType } from "../core/dtype.ts";
import { type Atom, type Eqn, Literal, Var } from "../core/jaxpr.ts";
import { fmtShape } from "../core/shape.ts";
import { isEqnOf } from "../core/primitives/mod.ts";
import { fuseKind } from "./fuse_kind.ts";
import {
  bufferAffine,
  identityMap,
  type IndexMap,
  mapKey,
  reshapeMap,
  shiftBetween,
} from "./index_map.ts";
import type { Kernel, KernelInput, KernelOutput, KNode, ReduceOp } from "./kernel_ir.ts";
import { evalOp } from "./scalar_ops.ts";

/**
 * What expanding values into kernel nodes needs to know about the program.
 *
 * @example
 * ```ts
 * import type { ExpansionContext } from "./kernel_builder.ts";
 * const ctx: ExpansionContext = { materialised: new Set(), producer: new Map(), name: () => "x" };
 * ```
 */
export interface ExpansionContext {
  /** Values kernels read from buffers instead of recomputing them. */
  materialised: ReadonlySet<Var>;
  /** The equation defining each variable. */
  producer: ReadonlyMap<Var, Eqn>;
  /** Printed names (kernel inputs and outputs are named after their variables). */
  name: (v: Var) => string;
}

/**
 * A value a kernel writes: a `map` output (the value at every domain point) or, when `reduce` is
 * set, the reduction of its equation's operand over the kernel's reduce axes.
 */
export interface KernelRoot {
  /** The value. */
  v: Var;
  /** Its defining equation. */
  eqn: Eqn;
  /** The reduction of a reduce root; null for a map output. */
  reduce: ReduceOp | null;
}

/** The loop nest and outputs of a kernel to build. */
export interface KernelSpec {
  /** The domain: the shape of the loop nest. */
  domain: number[];
  /** Axes the reduce outputs reduce over (null or empty: none). */
  reduceAxes: number[] | null;
  /** The values written, in output order. */
  roots: readonly KernelRoot[];
}

/**
 * Builds the kernel computing `spec.roots` over `spec.domain`; also returns the materialised
 * values it reads, in the order of `kernel.inputs`.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr, sin } from "../mod.ts";
 * import { buildKernel } from "./kernel_builder.ts";
 * const j = makeJaxpr((x) => sin(x))(array([1, 2])).jaxpr;
 * const [e] = j.eqns;
 * const { kernel } = buildKernel("k0", { domain: [2], reduceAxes: null, roots: [
 *   { v: e.outputs[0], eqn: e, reduce: null },
 * ] }, {
 *   materialised: new Set([j.invars[0], e.outputs[0]]),
 *   producer: new Map([[e.outputs[0], e]]),
 *   name: String,
 * });
 * console.log(kernel.nodes.length); // 2: a load and sin
 * ```
 */
export function buildKernel(
  name: string,
  spec: KernelSpec,
  ctx: ExpansionContext,
): { kernel: Kernel; inputVars: Var[] } {
  const b = new KernelBuilder(spec.domain, ctx.materialised, ctx.producer, ctx.name);
  const outputs: KernelOutput[] = [];
  const idm = identityMap(spec.domain.length);
  for (const r of spec.roots) {
    if (r.reduce) {
      const node = b.atom(r.eqn.inputs[0], idm);
      outputs.push({
        node,
        kind: "reduce",
        reduce: r.reduce,
        dtype: r.v.aval.dtype,
        shape: [...r.v.aval.shape],
        name: ctx.name(r.v),
      });
    } else {
      const node = b.expand(r.v, idm);
      outputs.push({
        node,
        kind: "map",
        dtype: r.v.aval.dtype,
        shape: [...r.v.aval.shape],
        name: ctx.name(r.v),
      });
    }
  }
  const kernel: Kernel = {
    name,
    domain: spec.domain,
    reduceAxes: spec.reduceAxes ?? [],
    inputs: b.inputs,
    nodes: b.nodes,
    outputs,
  };
  return { kernel, inputVars: b.inputVars };
}

/**
 * The nodes of one kernel under construction: values expanded at index maps, memoised per
 * (value, map), with hash-consing of equal nodes.
 */
class KernelBuilder {
  readonly nodes: KNode[] = [];
  readonly inputs: KernelInput[] = [];
  readonly inputVars: Var[] = [];
  readonly #keys = new Map<string, number>();
  readonly #memo = new Map<Var, Map<string, { id: number; map: IndexMap }>>();
  readonly #inputIndex = new Map<Var, number>();

  constructor(
    readonly domain: number[],
    readonly materialised: ReadonlySet<Var>,
    readonly producer: ReadonlyMap<Var, Eqn>,
    readonly name: (v: Var) => string,
  ) {}

  /** Number of domain axes. */
  get rank(): number {
    return this.domain.length;
  }

  /** The id of node `n`: an equal node's if there is one, folding ops on constants. */
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

  /** The kernel input reading materialised `v` (added on first use). */
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

  /** A constant node. */
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

  /** The node of `v` at `m` from its defining equation `e`. */
  #expandEqn(e: Eqn, v: Var, m: IndexMap): number {
    const kind = fuseKind(e);
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
        if (!isEqnOf(e, "iota")) break;
        const idx = this.#axisIndex(m, e.params.dimension);
        return dtype === "int32"
          ? idx
          : this.add({ kind: "op", op: "convert_element_type", args: [idx], dtype });
      }
      case "view":
        return this.#view(e, m, dtype, zero);
    }
    throw new Error(`fusion: cannot inline ${e.prim.name} (its result must be materialised)`);
  }

  /** A view of `e.inputs[0]`: the operand at the index map the view implies. */
  #view(e: Eqn, m: IndexMap, dtype: DType, zero: () => number[]): number {
    const x = e.inputs[0];
    const xs = x.aval.shape;
    if (isEqnOf(e, "broadcast_in_dim")) {
      const bd = e.params.broadcastDimensions;
      return this.atom(x, {
        rows: xs.map((n, i) => (n === 1 ? zero() : [...m.rows[bd[i]]])),
        off: xs.map((n, i) => (n === 1 ? 0 : m.off[bd[i]])),
      });
    }
    if (isEqnOf(e, "transpose")) {
      const rows = xs.map(() => zero());
      const off = xs.map(() => 0);
      e.params.perm.forEach((src, k) => {
        rows[src] = [...m.rows[k]];
        off[src] = m.off[k];
      });
      return this.atom(x, { rows, off });
    }
    if (isEqnOf(e, "slice")) {
      const { start, strides } = e.params;
      return this.atom(x, {
        rows: m.rows.map((r, k) => r.map((c) => c * strides[k])),
        off: m.off.map((o, k) => start[k] + strides[k] * o),
      });
    }
    if (isEqnOf(e, "rev")) {
      const axes = e.params.axes;
      return this.atom(x, {
        rows: m.rows.map((r, k) => (axes.includes(k) ? r.map((c) => -c) : [...r])),
        off: m.off.map((o, k) => (axes.includes(k) ? xs[k] - 1 - o : o)),
      });
    }
    if (isEqnOf(e, "reshape")) {
      const outShape = e.params.shape;
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
    if (isEqnOf(e, "pad")) return this.#pad(x, e.params, m, dtype);
    if (isEqnOf(e, "concatenate")) return this.#concatenate(e, e.params.axis, m, dtype);
    throw new Error(`fusion: unknown view ${e.prim.name}`);
  }

  /** `pad` (no interior padding): the operand inside the padded box, 0 outside. */
  #pad(x: Atom, p: { lo: number[]; hi: number[] }, m: IndexMap, dtype: DType): number {
    const { lo, hi } = p;
    const inner = this.atom(x, { rows: m.rows, off: m.off.map((o, k) => o - lo[k]) });
    let pred = -1;
    x.aval.shape.forEach((n, k) => {
      if (lo[k] === 0 && hi[k] === 0) return;
      const idx = this.#axisIndex(m, k);
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

  /** `concatenate` along `axis`: a chain of selects on the index, last operand innermost. */
  #concatenate(e: Eqn, axis: number, m: IndexMap, dtype: DType): number {
    const starts: number[] = [];
    let s = 0;
    for (const a of e.inputs) starts.push(s), s += a.aval.shape[axis];
    const idx = this.#axisIndex(m, axis);
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

  /** The `index` node of a value's axis `k` (an int32 affine function of the domain point). */
  #axisIndex(m: IndexMap, k: number): number {
    return this.add({
      kind: "index",
      index: { offset: m.off[k], coefs: [...m.rows[k]] },
      dtype: "int32",
    });
  }
}
