/**
 * The kernel IR: what `jit` compiles below the jaxpr, shared by every backend.
 *
 * A {@link Kernel} is one loop nest over an iteration *domain* (a shape). Its body is a DAG of
 * scalar {@link KNode}s evaluated at every point `i = (i_0, ..., i_{r-1})` of the domain:
 *
 * - `load`: an element of an input buffer at an {@link Affine} address `offset + Σ_d coefs[d]·i_d`.
 *   Broadcasting (coefficient 0), transposition (permuted coefficients), slicing (scaled
 *   coefficients and an offset), reversal (negative coefficients) and reshapes are all index
 *   arithmetic: no view is ever copied.
 * - `index`: the integer value of an affine function of the domain point (`iota`, and the range
 *   tests behind `pad`/`concatenate`).
 * - `const`: a scalar literal.
 * - `op`: an elementwise primitive (`add`, `erfc`, `select`, `convert_element_type`, ...), named
 *   as in the jaxpr, with the result dtype.
 * - `shift`: the value of another node at a shifted domain point (`i_axis + by`). The planner emits
 *   it when one value is used at several offsets (`cdf[:, 1:] - cdf[:, :-1]` in a KDE histogram),
 *   so renderers can compute that value once per point and reuse it (`jit/schedule/`: the CPU
 *   renderer keeps a row of it in a small table; the WGSL renderer carries it in a sliding window
 *   over a loop, or value-numbers it over an unrolled axis).
 *
 * Each output is either a `map` output (the value at every domain point, stored row-major: the
 * output has the domain's shape) or a `reduce` output (sum/max/min/prod over the kernel's
 * `reduceAxes`; the output has the shape of the remaining axes). All reductions of a kernel share
 * the same axes, so one pass over the domain computes them all ("sibling fusion": the forward KDE
 * histogram of W1 computes the signal and background histograms from one evaluation of the
 * normal CDFs).
 *
 * Scalar semantics (`SCALAR_OPS` in `scalar_ops.ts`, rounded with `castScalar`) are those of
 * the eager primitives (`core/primitives/elementwise.ts`): every operation is computed in double
 * precision and rounded to its result dtype (`Math.fround` for float32, ToInt32 for int32), and
 * reductions accumulate in double precision in row-major order of the reduced axes and round once
 * at the end. A compiled kernel therefore reproduces eager results bit for bit in float64 *and*
 * float32.
 *
 * @module
 */
import type { DType } from "../core/dtype.ts";
import { fmtShape, sizeOf } from "../core/shape.ts";
import { scalarOp } from "./scalar_ops.ts";

/**
 * An affine function of the domain point: `offset + Σ_d coefs[d]·i_d` (one coefficient per domain
 * axis).
 *
 * @example
 * ```ts
 * import type { Affine } from "./kernel_ir.ts";
 * // element [i0, i1 + 1] of a row-major [N, 26] buffer, over an [N, 25] domain:
 * const a: Affine = { offset: 1, coefs: [26, 1] };
 * ```
 */
export interface Affine {
  /** Constant term. */
  offset: number;
  /** Coefficient of each domain index. */
  coefs: number[];
}

/**
 * A scalar node of a kernel body (see the module docs).
 *
 * @example
 * ```ts
 * import type { KNode } from "./kernel_ir.ts";
 * const two: KNode = { kind: "const", value: 2, dtype: "float32" };
 * ```
 */
export type KNode =
  | { kind: "load"; input: number; index: Affine; dtype: DType }
  | { kind: "index"; index: Affine; dtype: "int32" }
  | { kind: "const"; value: number; dtype: DType }
  | { kind: "op"; op: string; args: number[]; dtype: DType }
  | { kind: "shift"; of: number; axis: number; by: number; dtype: DType };

/** The reductions a kernel can perform. */
export type ReduceOp = "sum" | "prod" | "max" | "min";

/**
 * An input buffer of a kernel.
 *
 * @example
 * ```ts
 * import type { KernelInput } from "./kernel_ir.ts";
 * const x: KernelInput = { dtype: "float32", size: 100, name: "c" };
 * ```
 */
export interface KernelInput {
  /** Element type. */
  dtype: DType;
  /** Number of elements. */
  size: number;
  /** The jaxpr variable it holds (for printing and error messages). */
  name: string;
}

/**
 * An output buffer of a kernel.
 *
 * @example
 * ```ts
 * import type { KernelOutput } from "./kernel_ir.ts";
 * const s: KernelOutput = { node: 7, kind: "reduce", reduce: "sum", dtype: "float32", shape: [25], name: "az" };
 * ```
 */
export interface KernelOutput {
  /** The node whose value is written. */
  node: number;
  /** `map`: written at every domain point; `reduce`: reduced over the kernel's `reduceAxes`. */
  kind: "map" | "reduce";
  /** The reduction, for `reduce` outputs. */
  reduce?: ReduceOp;
  /** Element type (that of the node). */
  dtype: DType;
  /** Output shape: the domain, or the domain without the reduced axes. */
  shape: number[];
  /** The jaxpr variable it defines. */
  name: string;
}

/**
 * One fused kernel: a loop nest over `domain` with a scalar DAG, map and reduce outputs.
 *
 * @example
 * ```ts
 * import type { Kernel } from "./kernel_ir.ts";
 * // out[j] = Σ_i x[i] * y[j]
 * const k: Kernel = {
 *   name: "k0", domain: [4, 3], reduceAxes: [0],
 *   inputs: [{ dtype: "float64", size: 4, name: "x" }, { dtype: "float64", size: 3, name: "y" }],
 *   nodes: [
 *     { kind: "load", input: 0, index: { offset: 0, coefs: [1, 0] }, dtype: "float64" },
 *     { kind: "load", input: 1, index: { offset: 0, coefs: [0, 1] }, dtype: "float64" },
 *     { kind: "op", op: "mul", args: [0, 1], dtype: "float64" },
 *   ],
 *   outputs: [{ node: 2, kind: "reduce", reduce: "sum", dtype: "float64", shape: [3], name: "z" }],
 * };
 * ```
 */
export interface Kernel {
  /** A name for printing. */
  name: string;
  /** The iteration space. */
  domain: number[];
  /** Axes of the domain that `reduce` outputs sum (or max/min/prod) over, ascending. */
  reduceAxes: number[];
  /** Input buffers, addressed by `load` nodes. */
  inputs: KernelInput[];
  /** The scalar DAG; a node's arguments come before it. */
  nodes: KNode[];
  /** What the kernel writes. */
  outputs: KernelOutput[];
}

/**
 * The initial accumulator value of a reduction.
 *
 * @example
 * ```ts
 * import { reduceInit } from "./kernel_ir.ts";
 * reduceInit("max"); // -Infinity
 * ```
 */
export function reduceInit(op: ReduceOp): number {
  return op === "sum" ? 0 : op === "prod" ? 1 : op === "max" ? -Infinity : Infinity;
}

/**
 * One accumulation step, as the eager reductions do it (NaN propagates through max/min).
 *
 * @example
 * ```ts
 * import { reduceStep } from "./kernel_ir.ts";
 * reduceStep("max", 1, NaN); // NaN
 * ```
 */
export function reduceStep(op: ReduceOp, acc: number, v: number): number {
  switch (op) {
    case "sum":
      return acc + v;
    case "prod":
      return acc * v;
    case "max":
      return v > acc || Number.isNaN(v) ? v : acc;
    case "min":
      return v < acc || Number.isNaN(v) ? v : acc;
  }
}

/** Output shape of a kernel output. */
function keptShape(k: Kernel): number[] {
  return k.domain.filter((_, i) => !k.reduceAxes.includes(i));
}

/**
 * Checks a kernel's internal consistency (argument order, shapes, dtypes); throws a descriptive
 * error naming the kernel and node.
 *
 * @example
 * ```ts
 * import { validateKernel } from "./kernel_ir.ts";
 * validateKernel({ name: "k", domain: [2], reduceAxes: [], inputs: [],
 *   nodes: [{ kind: "const", value: 1, dtype: "int32" }],
 *   outputs: [{ node: 0, kind: "map", dtype: "int32", shape: [2], name: "a" }] });
 * ```
 */
export function validateKernel(k: Kernel): void {
  const fail = (msg: string) => {
    throw new Error(`kernel ${k.name}: ${msg}`);
  };
  k.nodes.forEach((n, i) => {
    if (n.kind === "load") {
      if (n.input < 0 || n.input >= k.inputs.length) fail(`node ${i} loads missing input`);
      if (n.index.coefs.length !== k.domain.length) fail(`node ${i} has a bad index`);
      if (k.inputs[n.input].dtype !== n.dtype) fail(`node ${i} loads with the wrong dtype`);
    } else if (n.kind === "index") {
      if (n.index.coefs.length !== k.domain.length) fail(`node ${i} has a bad index`);
    } else if (n.kind === "shift") {
      if (n.of >= i || n.of < 0) fail(`node ${i} shifts a later node`);
      if (n.axis < 0 || n.axis >= k.domain.length) fail(`node ${i} shifts a missing axis`);
      if (k.nodes[n.of].dtype !== n.dtype) fail(`node ${i} changes dtype`);
    } else if (n.kind === "op") {
      if (n.args.some((a) => a >= i || a < 0)) fail(`node ${i} uses a later node`);
      const arity = scalarOp(n.op)?.arity;
      if (arity === undefined) fail(`node ${i}: unknown op '${n.op}'`);
      if (arity !== n.args.length) fail(`node ${i}: ${n.op} takes ${arity} operands`);
    }
  });
  const kept = keptShape(k);
  for (const o of k.outputs) {
    const want = o.kind === "map" ? k.domain : kept;
    if (o.shape.length !== want.length || o.shape.some((d, i) => d !== want[i])) {
      fail(`output ${o.name} has shape ${fmtShape(o.shape)}, expected ${fmtShape(want)}`);
    }
    if (k.nodes[o.node].dtype !== o.dtype) fail(`output ${o.name} has the wrong dtype`);
    if (o.kind === "reduce" && !o.reduce) fail(`output ${o.name} lacks its reduction`);
  }
}

/** Formats an affine index like `3 + 26·i0 + i1`. */
export function fmtAffine(a: Affine, names = (d: number) => `i${d}`): string {
  const terms: string[] = [];
  a.coefs.forEach((c, d) => {
    if (c === 0) return;
    terms.push(c === 1 ? names(d) : c === -1 ? `-${names(d)}` : `${c}·${names(d)}`);
  });
  if (a.offset !== 0 || terms.length === 0) terms.unshift(String(a.offset));
  return terms.join(" + ").replaceAll("+ -", "- ");
}

const SHORT: Record<DType, string> = { float32: "f32", float64: "f64", int32: "i32", bool: "bool" };

/**
 * Human-readable text of a kernel (what `jit(f).inspect(...)` prints).
 *
 * @example
 * ```ts
 * import { printKernel } from "./kernel_ir.ts";
 * console.log(printKernel({ name: "k", domain: [2], reduceAxes: [0], inputs: [],
 *   nodes: [{ kind: "const", value: 1, dtype: "int32" }],
 *   outputs: [{ node: 0, kind: "reduce", reduce: "sum", dtype: "int32", shape: [], name: "a" }] }));
 * ```
 */
export function printKernel(k: Kernel): string {
  const red = k.reduceAxes.length ? ` reduce axes (${k.reduceAxes.join(", ")})` : "";
  const lines = [
    `kernel ${k.name} over ${fmtShape(k.domain)}${red} (${sizeOf(k.domain)} points)`,
    `  inputs: ${
      k.inputs.map((x, i) => `in${i}=${x.name}:${SHORT[x.dtype]}[${x.size}]`).join(" ")
    }`,
  ];
  k.nodes.forEach((n, i) => {
    const t = `${SHORT[n.dtype]}`;
    let rhs: string;
    if (n.kind === "load") rhs = `in${n.input}[${fmtAffine(n.index)}]`;
    else if (n.kind === "index") rhs = `index(${fmtAffine(n.index)})`;
    else if (n.kind === "const") rhs = String(n.value);
    else if (n.kind === "shift") {
      rhs = `%${n.of} at i${n.axis} ${n.by < 0 ? "-" : "+"} ${Math.abs(n.by)}`;
    } else rhs = `${n.op} ${n.args.map((a) => `%${a}`).join(" ")}`;
    lines.push(`  %${i}:${t} = ${rhs}`);
  });
  for (const o of k.outputs) {
    const how = o.kind === "map" ? "map" : `reduce_${o.reduce}`;
    lines.push(`  out ${o.name}:${SHORT[o.dtype]}${fmtShape(o.shape)} = ${how} %${o.node}`);
  }
  return lines.join("\n");
}
