/**
 * Pieces of WGSL passes shared by the thread layouts of `wgsl.ts`: the pre-pass of hoisted
 * invariant values, the passes combining partial reductions, accumulators, bindings, dispatch.
 *
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import { stridesOf } from "../../core/shape.ts";
import type { Kernel, ReduceOp } from "../kernel_ir.ts";
import { type Table, tableEntry } from "../schedule/tables.ts";
import type { Env, HoistedValue, Values } from "../schedule/values.ts";
import type { BindingRef, WgslOptions, WgslPass } from "./wgsl.ts";
import { BUF_TYPE, declared, toBits, WGSL_TYPE, wgslValues } from "./wgsl_lang.ts";
import { INF, Prelude } from "./wgsl_prelude.ts";

/**
 * What a pre-pass computes once for every thread of a main pass: tables of values of the reduced
 * points only (at the start of the `hz` buffer, one after the other), then hoisted scalars.
 */
export interface Invariants {
  /** Hoisted scalars (slots after the tables). */
  hz: HoistedValue[];
  /** Tables (`schedule/tables.ts`), all at loop depth 0. */
  tables: Table[];
  /** The main pass' loop body environment (tables are indexed at it). */
  mainEnv: Env;
}

/** Entries of the `hz` buffer: tables, then hoisted scalars. */
export function invariantSize(inv: Invariants): number {
  return inv.tables.reduce((t, x) => t + x.size, 0) + inv.hz.length;
}

/** Offset of each table in the `hz` buffer, by table id. */
export function tableOffsets(tables: Table[]): Map<number, number> {
  const out = new Map<number, number>();
  let at = 0;
  for (const t of tables) {
    out.set(t.id, at);
    at += t.size;
  }
  return out;
}

/** The pre-pass computing tables (loops over their axes) and hoisted values into `hz`. */
function invariantPass(k: Kernel, inv: Invariants, wg: number): string {
  const pre = new Prelude();
  const vals = wgslValues(k, pre, false);
  const offsets = tableOffsets(inv.tables);
  const lines: string[] = [];
  for (const t of inv.tables) {
    const { vars, value, addr } = tableEntry(vals, t, inv.mainEnv);
    const dtype = vals.k.nodes[t.node].dtype;
    const fill = (j: number): string[] => {
      const { name, scope, lo, hi } = vars[j];
      return [
        `for (var ${name}: i32 = ${lo}i; ${name} <= ${hi}i; ${name} = ${name} + 1i) {`,
        ...declared(vals, scope).map((l) => "  " + l),
        ...(j + 1 < vars.length
          ? fill(j + 1)
          : [`hz[${offsets.get(t.id)}i + ${addr}] = ${toBits(vals.ref(value), dtype)};`])
          .map((l) => "  " + l),
        `}`,
      ];
    };
    lines.push(...fill(0));
  }
  const base = invariantSize({ ...inv, hz: [] });
  const stores = inv.hz.map((h) => {
    const id = vals.node(h.node, h.env);
    vals.use(id);
    return `hz[${base + h.slot}] = ${toBits(vals.ref(id), h.dtype)};`;
  });
  const bindings = [
    ...k.inputs.map((x, i) => ({ name: `in${i}`, type: BUF_TYPE[x.dtype], write: false })),
    { name: "hz", type: "u32", write: true },
  ];
  return [
    `// kernel ${k.name}: pre-pass computing ${inv.tables.length} table(s) and ` +
    `${inv.hz.length} thread-invariant value(s)`,
    pre.toString(),
    header(bindings, wg),
    `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {`,
    `  if (gid.x + gid.y > 0u) { return; }`,
    ...declared(vals, "m0").map((l) => "  " + l),
    ...lines.map((l) => "  " + l),
    ...stores.map((l) => "  " + l),
    `}`,
  ].join("\n");
}

/**
 * llvmpipe stops any loop after 65535 iterations per invocation, counted across all entries of a
 * nested loop; kernels keep every invocation's loop trips below this.
 */
export const LOOP_CAP = 60000;
/** Reduced points per work item when a per-output reduction loops (then partials are combined). */
export const RCHUNK = 4096;

/**
 * Passes combining `C` partials per element into the outputs, each binding at most the device's
 * storage buffers.
 *
 * @example
 * ```ts
 * import { combinePasses } from "./wgsl_passes.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * combinePasses(k, [{ o: k.outputs[0], j: 0 }], 25, 782, {});
 * ```
 */
export function combinePasses(
  k: Kernel,
  reduceOuts: ReduceOut[],
  E: number,
  C: number,
  opts: WgslOptions,
): WgslPass[] {
  const wg = opts.workgroupSize ?? 64;
  const maxDim = opts.maxWorkgroupsPerDimension ?? 65535;
  const maxBuffers = opts.maxStorageBuffers ?? 8;
  const per = Math.max(1, Math.floor(maxBuffers / 2));
  const passes: WgslPass[] = [];
  for (let a = 0; a < reduceOuts.length; a += per) {
    const part = reduceOuts.slice(a, a + per);
    const pass = combinePass(k, part, E, C, wg, maxDim);
    // Scratch indices are positions among all reduce outputs.
    pass.bindings = pass.bindings.map((
      b,
    ) => (b.kind === "scratch" ? { ...b, index: b.index + a } : b));
    passes.push(pass);
  }
  return passes;
}

/** Pass combining `C` partials per element (scratch 0..S-1, [C, E] each) into the outputs. */
function combinePass(
  k: Kernel,
  reduceOuts: ReduceOut[],
  E: number,
  C: number,
  wg: number,
  maxDim: number,
): WgslPass {
  const pre = new Prelude();
  const threads = reduceOuts.length * E;
  const d = dispatch(threads, wg, maxDim);
  const cases = reduceOuts.map(({ o, j }, s) => {
    const ld = o.dtype === "bool" ? `(p${s}[q * ${E}u + e] != 0u)` : `p${s}[q * ${E}u + e]`;
    return [
      `  if (w == ${s}u) {`,
      `    var acc: ${WGSL_TYPE[o.dtype]} = ${accInit(o.reduce!, o.dtype)};`,
      `    for (var q: u32 = 0u; q < ${C}u; q = q + 1u) { ${
        accStep(o.reduce!, o.dtype, "acc", ld, pre.use)
      } }`,
      `    out${j}[e] = ${store(o.dtype, "acc")};`,
      `  }`,
    ].join("\n");
  });
  const bindings = [
    ...reduceOuts.map(({ o }, s) => ({ name: `p${s}`, type: BUF_TYPE[o.dtype], write: false })),
    ...reduceOuts.map(({ o, j }) => ({ name: `out${j}`, type: BUF_TYPE[o.dtype], write: true })),
  ];
  const source = [
    `// kernel ${k.name}: combine ${C} partials per output element`,
    pre.toString(),
    header(bindings, wg),
    `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {`,
    `  let t = gid.x + gid.y * ${d.nx}u;`,
    `  if (t >= ${threads}u) { return; }`,
    `  let w = t / ${E}u;`,
    `  let e = t % ${E}u;`,
    ...cases,
    `}`,
  ].join("\n");
  return {
    source,
    threads,
    groups: d.groups,
    bindings: [
      ...reduceOuts.map((_, s) => ({ kind: "scratch" as const, index: s })),
      ...reduceOuts.map(({ j }) => ({ kind: "output" as const, index: j })),
    ],
  };
}

/**
 * The one-thread pre-pass computing hoisted invariant values into scratch buffer `scratchIndex`.
 *
 * @example
 * ```ts
 * import { prePass } from "./wgsl_passes.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * declare const hz: import("../schedule/values.ts").HoistedValue[];
 * prePass(k, { hz, tables: [], mainEnv: [] }, 64, 0);
 * ```
 */
export function prePass(
  k: Kernel,
  inv: Invariants,
  wg: number,
  scratchIndex: number,
): WgslPass {
  return {
    source: invariantPass(k, inv, wg),
    threads: 1,
    groups: [1, 1],
    bindings: [
      ...k.inputs.map((_, i) => ({ kind: "input" as const, index: i })),
      { kind: "scratch", index: scratchIndex },
    ],
  };
}

/** Initial accumulator value of a reduction, in WGSL. */
export function accInit(op: ReduceOp, dtype: DType): string {
  if (dtype === "bool") return op === "min" || op === "prod" ? "true" : "false";
  if (dtype === "int32") {
    return op === "sum"
      ? "0i"
      : op === "prod"
      ? "1i"
      : op === "max"
      ? "bitcast<i32>(0x80000000u)"
      : "2147483647i";
  }
  return op === "sum" ? "0.0f" : op === "prod" ? "1.0f" : op === "max" ? `(-${INF})` : INF;
}

/** One accumulation step, in WGSL (`use` records prelude functions). */
export function accStep(
  op: ReduceOp,
  dtype: DType,
  acc: string,
  v: string,
  use: (f: string) => string,
): string {
  if (op === "sum") return `${acc} = ${acc} + ${v};`;
  if (op === "prod") return `${acc} = ${acc} * ${v};`;
  if (dtype === "float32") {
    return `${acc} = ${use(op === "max" ? "z_max" : "z_min")}(${v}, ${acc});`;
  }
  if (dtype === "int32") return `${acc} = ${op}(${acc}, ${v});`;
  return `${acc} = ${acc} ${op === "max" ? "||" : "&&"} ${v};`;
}

/** A value as stored in a buffer of its dtype. */
export function store(dtype: DType, v: string): string {
  return dtype === "bool" ? `select(0u, 1u, ${v})` : v;
}

/** Workgroups (x, y) for `threads` invocations, and the x extent in threads. */
export function dispatch(
  threads: number,
  wg: number,
  maxDim: number,
): { groups: [number, number]; nx: number } {
  const total = Math.max(1, Math.ceil(threads / wg));
  const gx = Math.min(total, maxDim);
  const gy = Math.ceil(total / gx);
  return { groups: [gx, gy], nx: gx * wg };
}

/**
 * One storage binding of a pass: its name and element type in the shader, whether it is written,
 * and the buffer it points to.
 */
export interface Binding {
  /** Name in the shader. */
  name: string;
  /** WGSL element type. */
  type: string;
  /** Written by the pass. */
  write: boolean;
  /** The buffer bound. */
  ref: BindingRef;
}

/** Bindings of a kernel's inputs (read-only). */
export function inputBindings(k: Kernel): Binding[] {
  return k.inputs.map((x, i) => ({
    name: `in${i}`,
    type: BUF_TYPE[x.dtype],
    write: false,
    ref: { kind: "input", index: i },
  }));
}

/** A written binding of a buffer of `dtype`. */
export function outBinding(name: string, dtype: DType, ref: BindingRef): Binding {
  return { name, type: BUF_TYPE[dtype], write: true, ref };
}

/** The binding of the hoisted values (scratch buffer `index`), read by a main pass. */
export function hzBinding(index: number): Binding {
  return { name: "hz", type: "u32", write: false, ref: { kind: "scratch", index } };
}

/** Reduce outputs of a kernel with their output positions. */
export type ReduceOut = { o: Kernel["outputs"][number]; j: number };

/**
 * Where a kernel's kept axes and outputs sit: kept axes, strides of the output of kept axes
 * (0 for reduced axes) and of the domain, and the reduce outputs.
 */
export function layout(k: Kernel): {
  kept: number[];
  keptStrides: number[];
  domStrides: number[];
  reduceOuts: ReduceOut[];
} {
  const kept = k.domain.map((_, d) => d).filter((d) => !k.reduceAxes.includes(d));
  const keptStrides = new Array<number>(k.domain.length).fill(0);
  const st = stridesOf(kept.map((d) => k.domain[d]));
  kept.forEach((d, j) => (keptStrides[d] = st[j]));
  const reduceOuts = k.outputs.map((o, j) => ({ o, j })).filter(({ o }) => o.kind === "reduce");
  return { kept, keptStrides, domStrides: stridesOf(k.domain), reduceOuts };
}

/** The binding declarations of a pass and its entry point's attribute. */
export function header(
  bindings: { name: string; type: string; write: boolean }[],
  wg: number,
): string {
  return bindings.map((b, i) =>
    `@group(0) @binding(${i}) var<storage, ${
      b.write ? "read_write" : "read"
    }> ${b.name}: array<${b.type}>;`
  ).join("\n") + `\n\n@compute @workgroup_size(${wg})`;
}

/**
 * Row-major unravel of `lin` (a u32 expression below the product of `extents`, which every caller
 * guarantees) over `extents`, as i32 lets named `names`.
 */
export function unravel(lin: string, extents: number[], names: string[]): string[] {
  // `lin` < Π extents: the first axis needs no modulo, the last no division (a modulo left in a
  // matmul's inner loop made it 2.5× slower on llvmpipe).
  const st = stridesOf(extents);
  return extents.map((n, j) => {
    const q = st[j] === 1 ? lin : `${lin} / ${st[j]}u`;
    return `let ${names[j]} = i32(${j === 0 ? q : `(${q}) % ${n}u`});`;
  });
}

/** Passes of a rendered kernel, and the values of its main pass. */
export interface RenderedPasses {
  passes: WgslPass[];
  scratch: number[];
  vals: Values;
}

/**
 * Most reduced points per output element that are unrolled (per-output reductions) or per point
 * of a chunked reduction's loop (its inner reduce axes).
 */
export const UNROLL_MAX = 64;
