/**
 * The WGSL renderer: kernel IR → compute shaders (float32, int32, bool; no float64).
 *
 * Thread layout, chosen per kernel (no workgroup barriers or shared memory, which turn llvmpipe
 * shaders into slow coroutines; see `../shared/bench/W1.md`):
 *
 * - **map**: one thread per domain point.
 * - **per-output reduction** (many output elements): one thread per output element, looping over
 *   the reduced points — unrolled when there are at most 64 of them, so shifted reads of one value
 *   (the CDF at neighbouring bin edges) are value-numbered and computed once.
 * - **chunked reduction** (at most 32 output elements, many reduced points: a histogram over
 *   events): each thread walks a contiguous chunk of the reduced points with one scalar
 *   accumulator per output element (the output axes are unrolled) and writes its partial sums;
 *   a second pass sums the partials of each output element in thread order. No atomics.
 *
 * Semantics follow the eager primitives in float32 arithmetic; WGSL lacks several functions
 * (`erf`, `erfc`, `log1p`, `lgamma`, ...), which are defined in a prelude (`z_*`), and NaN-aware
 * `max`/`min`. See the tolerance contract in `gpu/README.md`.
 *
 * @module
 */
import { sizeOf, stridesOf } from "../../core/shape.ts";
import type { DType } from "../../core/dtype.ts";
import type { Kernel, ReduceOp } from "../kernel_ir.ts";
import {
  type Env,
  type HoistedValue,
  type Lang,
  type LoopVar,
  Values,
} from "../schedule/values.ts";
import { WGSL_OPS } from "./wgsl_ops.ts";
import { INF, Prelude } from "./wgsl_prelude.ts";

/** Where a binding of a pass points. */
export type BindingRef =
  | { kind: "input"; index: number }
  | { kind: "output"; index: number }
  | { kind: "scratch"; index: number };

/**
 * One compute pass of a rendered kernel.
 *
 * @example
 * ```ts
 * import type { WgslPass } from "./wgsl.ts";
 * declare const p: WgslPass;
 * console.log(p.threads, p.source);
 * ```
 */
export interface WgslPass {
  /** The shader. */
  source: string;
  /** Buffer of each binding, in binding order. */
  bindings: BindingRef[];
  /** Number of invocations (threads). */
  threads: number;
  /** Workgroups along x and y. */
  groups: [number, number];
}

/**
 * A kernel rendered to WGSL: one or two passes and the scratch buffers between them.
 *
 * @example
 * ```ts
 * import { renderWgsl } from "./wgsl.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * console.log(renderWgsl(k).passes.map((p) => p.source).join("\n"));
 * ```
 */
export interface WgslKernel {
  /** The kernel. */
  kernel: Kernel;
  /** Thread layout chosen. */
  strategy: "map" | "per-output" | "chunked";
  /** Passes, run in order. */
  passes: WgslPass[];
  /** Sizes (elements, 4 bytes each) of scratch buffers. */
  scratch: number[];
}

/**
 * Options of {@link renderWgsl}.
 *
 * @example
 * ```ts
 * import type { WgslOptions } from "./wgsl.ts";
 * const o: WgslOptions = { workgroupSize: 64, maxWorkgroupsPerDimension: 65535 };
 * ```
 */
export interface WgslOptions {
  /** Threads per workgroup (default 64). */
  workgroupSize?: number;
  /** The device's `maxComputeWorkgroupsPerDimension` (default 65535). */
  maxWorkgroupsPerDimension?: number;
  /**
   * Most threads of a map or per-output pass; each thread then loops over elements with a grid
   * stride (default 4096: software adapters pay per workgroup; use more on real GPUs).
   */
  maxThreads?: number;
  /** The device's storage buffers per shader stage (default 8): combine passes are split to fit. */
  maxStorageBuffers?: number;
}

const WGSL_TYPE: Record<DType, string> = {
  float32: "f32",
  int32: "i32",
  bool: "bool",
  float64: "?",
};
const BUF_TYPE: Record<DType, string> = { float32: "f32", int32: "i32", bool: "u32", float64: "?" };

function f32Bits(v: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, v);
  return b.getUint32(0);
}

/** A WGSL literal of `dtype`. */
export function wgslConst(v: number, dtype: DType): string {
  if (dtype === "bool") return v ? "true" : "false";
  if (dtype === "int32") {
    const i = v | 0;
    return i === -2147483648 ? "bitcast<i32>(0x80000000u)" : i < 0 ? `(${i}i)` : `${i}i`;
  }
  const f = Math.fround(v);
  if (Number.isInteger(f) && Math.abs(f) <= 2 ** 24 && !Object.is(f, -0)) {
    return f < 0 ? `(${f}.0f)` : `${f}.0f`;
  }
  return `bitcast<f32>(0x${f32Bits(f).toString(16).padStart(8, "0")}u)`;
}

// ---------------------------------------------------------------------------
// Values: the shared schedule (gpu/schedule) spelled in WGSL
// ---------------------------------------------------------------------------

/** WGSL spelling of scheduled values; `use` records prelude functions. */
function wgslLang(use: (f: string) => string): Lang {
  return {
    literal: wgslConst,
    affine: (terms, off) => {
      const parts = terms.map(({ coef, name }) => (coef === 1 ? name : `${coef}i * ${name}`));
      if (off) parts.push(`${off}i`);
      return parts.join(" + ").replaceAll("+ -", "- ");
    },
    clamp: (addr, size) => `clamp(${addr}, 0i, ${size - 1}i)`,
    load: (input, addr, dtype) =>
      dtype === "bool" ? `(in${input}[${addr}] != 0u)` : `in${input}[${addr}]`,
    op(op, refs, _args, argT, dt) {
      const render = WGSL_OPS[op];
      if (!render) throw new Error(`wgsl: no rendering for ${op}`);
      return render(refs, argT, dt, use);
    },
  };
}

/** The value numbering of a kernel's body in WGSL; `hoist`: invariant ops go to a pre-pass. */
function wgslValues(k: Kernel, prelude: Prelude, hoist: boolean): Values {
  return new Values(k, wgslLang(prelude.use), {
    hoist,
    hoistedRead: (slot, dtype) => fromBits(`hz[${slot}]`, dtype),
  });
}

/** Declarations of a scope's used values. */
function declared(vals: Values, scope: string): string[] {
  return vals.declared(scope).map(([id, code]) => `let v${id} = ${code};`);
}

/** A loop variable of a WGSL shader: thread index (level 1) or reduced-points loop (level 2). */
function loopVar(name: string, level: number, extent: number): LoopVar {
  return { name, scope: `m${level}`, level, lo: 0, hi: extent - 1 };
}

function fromBits(u: string, dtype: DType): string {
  if (dtype === "float32") return `bitcast<f32>(${u})`;
  return dtype === "int32" ? `bitcast<i32>(${u})` : `(${u} != 0u)`;
}
function toBits(v: string, dtype: DType): string {
  return dtype === "bool" ? `select(0u, 1u, ${v})` : `bitcast<u32>(${v})`;
}

/** The pre-pass computing hoisted invariant values into the `hz` scratch buffer. */
function hoistPass(k: Kernel, hz: HoistedValue[], wg: number): string {
  const pre = new Prelude();
  const vals = wgslValues(k, pre, false);
  const stores = hz.map((h) => {
    const id = vals.node(h.node, h.env);
    vals.use(id);
    return `hz[${h.slot}] = ${toBits(vals.ref(id), h.dtype)};`;
  });
  const bindings = [
    ...k.inputs.map((x, i) => ({ name: `in${i}`, type: BUF_TYPE[x.dtype], write: false })),
    { name: "hz", type: "u32", write: true },
  ];
  return [
    `// kernel ${k.name}: pre-pass computing ${hz.length} thread-invariant value(s)`,
    pre.toString(),
    header(bindings, wg),
    `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {`,
    `  if (gid.x + gid.y > 0u) { return; }`,
    ...declared(vals, "m0").map((l) => "  " + l),
    ...stores.map((l) => "  " + l),
    `}`,
  ].join("\n");
}

/**
 * llvmpipe stops any loop after 65535 iterations per invocation, counted across all entries of a
 * nested loop; kernels keep every invocation's loop trips below this.
 */
const LOOP_CAP = 60000;
/** Reduced points per work item when a per-output reduction loops (then partials are combined). */
const RCHUNK = 4096;

/** Passes combining partials into outputs, each binding at most `maxBuffers` buffers. */
function combinePasses(
  k: Kernel,
  reduceOuts: { o: Kernel["outputs"][number]; j: number }[],
  E: number,
  C: number,
  wg: number,
  maxDim: number,
  maxBuffers: number,
): WgslPass[] {
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
  reduceOuts: { o: Kernel["outputs"][number]; j: number }[],
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

function prePass(k: Kernel, hz: HoistedValue[], wg: number, scratchIndex: number): WgslPass {
  return {
    source: hoistPass(k, hz, wg),
    threads: 1,
    groups: [1, 1],
    bindings: [
      ...k.inputs.map((_, i) => ({ kind: "input" as const, index: i })),
      { kind: "scratch", index: scratchIndex },
    ],
  };
}

function accInit(op: ReduceOp, dtype: DType): string {
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

function accStep(
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

function store(dtype: DType, v: string): string {
  return dtype === "bool" ? `select(0u, 1u, ${v})` : v;
}

function dispatch(
  threads: number,
  wg: number,
  maxDim: number,
): { groups: [number, number]; nx: number } {
  const total = Math.max(1, Math.ceil(threads / wg));
  const gx = Math.min(total, maxDim);
  const gy = Math.ceil(total / gx);
  return { groups: [gx, gy], nx: gx * wg };
}

function header(
  bindings: { name: string; type: string; write: boolean }[],
  wg: number,
): string {
  return bindings.map((b, i) =>
    `@group(0) @binding(${i}) var<storage, ${
      b.write ? "read_write" : "read"
    }> ${b.name}: array<${b.type}>;`
  ).join("\n") + `\n\n@compute @workgroup_size(${wg})`;
}

/** Row-major unravel of `lin` (a u32 expression) over `extents`, as i32 lets named `names`. */
function unravel(lin: string, extents: number[], names: string[]): string[] {
  const st = stridesOf(extents);
  return extents.map((n, j) => `let ${names[j]} = i32((${lin} / ${st[j]}u) % ${n}u);`);
}

/**
 * Renders a kernel to WGSL compute passes (see the module docs for the thread layouts).
 *
 * @example
 * ```ts
 * import { renderWgsl } from "./wgsl.ts";
 * const w = renderWgsl({
 *   name: "k", domain: [4], reduceAxes: [],
 *   inputs: [{ dtype: "float32", size: 4, name: "x" }],
 *   nodes: [
 *     { kind: "load", input: 0, index: { offset: 0, coefs: [1] }, dtype: "float32" },
 *     { kind: "op", op: "erfc", args: [0], dtype: "float32" },
 *   ],
 *   outputs: [{ node: 1, kind: "map", dtype: "float32", shape: [4], name: "y" }],
 * });
 * console.log(w.passes[0].source);
 * ```
 */
export function renderWgsl(k: Kernel, opts: WgslOptions = {}): WgslKernel {
  const wg = opts.workgroupSize ?? 64;
  const maxDim = opts.maxWorkgroupsPerDimension ?? 65535;
  const maxBuffers = opts.maxStorageBuffers ?? 8;
  for (const x of [...k.inputs, ...k.outputs]) {
    if (x.dtype === "float64") throw new Error(`wgsl: ${x.name} is float64`);
  }
  const r = k.domain.length;
  const red = k.reduceAxes;
  const kept = k.domain.map((_, d) => d).filter((d) => !red.includes(d));
  const K = sizeOf(kept.map((d) => k.domain[d]));
  const R = sizeOf(red.map((d) => k.domain[d]));
  const hasReduce = k.outputs.some((o) => o.kind === "reduce");
  const strategy: WgslKernel["strategy"] = !hasReduce
    ? "map"
    : K <= 32 && R >= 2048
    ? "chunked"
    : "per-output";

  const pre = new Prelude();
  const body = wgslValues(k, pre, true);
  const inputDecls = k.inputs.map((x, i) => ({
    name: `in${i}`,
    type: BUF_TYPE[x.dtype],
    write: false,
  }));
  const domStrides = stridesOf(k.domain);
  const keptStrides = new globalThis.Array<number>(r).fill(0);
  {
    const st = stridesOf(kept.map((d) => k.domain[d]));
    kept.forEach((d, j) => (keptStrides[d] = st[j]));
  }
  const affineCode = (coefs: number[], env: Env) => body.affine(0, coefs, env).code;
  /** The expression of node `i` at `env`, marked used. */
  const valueAt = (i: number, env: Env) => {
    const id = body.node(i, env);
    body.use(id);
    return body.ref(id);
  };

  const reduceOuts = k.outputs.map((o, j) => ({ o, j })).filter(({ o }) => o.kind === "reduce");

  if (strategy === "map" || strategy === "per-output") {
    // Work items: (element e, chunk c of the reduced points). Each thread takes items t, t + T,
    // ... (grid stride). Per-invocation loop trips stay under llvmpipe's cap (LOOP_CAP).
    const tAxes = strategy === "map" ? k.domain.map((_, d) => d) : kept;
    const E = sizeOf(tAxes.map((d) => k.domain[d]));
    const unrollR = strategy === "per-output" && R <= 64;
    const looped = strategy === "per-output" && !unrollR;
    const C = looped ? Math.ceil(R / RCHUNK) : 1; // chunks of the reduced points
    const CH = looped ? Math.ceil(R / C) : 1; // reduced points per chunk
    const W = E * C;
    const threads = Math.max(
      1,
      Math.min(W, Math.max(opts.maxThreads ?? 4096, Math.ceil(W / Math.floor(LOOP_CAP / CH)))),
    );
    const { groups, nx } = dispatch(threads, wg, maxDim);
    const env: Env = k.domain.map(() => ({ v: null, c: 0 }));
    const tNames = tAxes.map((d) => `i${d}`);
    tAxes.forEach((d) => {
      if (k.domain[d] > 1) env[d] = { v: loopVar(`i${d}`, 1, k.domain[d]), c: 0 };
    });
    const lines: string[] = [];
    const loopLines: string[] = [];
    const accs: string[] = [];
    const accFinal: string[] = [];
    const combos: Env[] = [];
    if (!looped) {
      const walk = (j: number, e: Env) => {
        if (strategy === "map" || j === red.length) return void combos.push(e);
        for (let v = 0; v < k.domain[red[j]]; v++) {
          const e2 = [...e];
          e2[red[j]] = { v: null, c: v };
          walk(j + 1, e2);
        }
      };
      walk(0, env);
    } else {
      const e2 = [...env];
      red.forEach((d) => {
        if (k.domain[d] > 1) e2[d] = { v: loopVar(`r${d}`, 2, k.domain[d]), c: 0 };
      });
      combos.push(e2);
    }
    reduceOuts.forEach(({ o, j }, s) => {
      accs.push(`var acc${j}: ${WGSL_TYPE[o.dtype]} = ${accInit(o.reduce!, o.dtype)};`);
      accFinal.push(
        C > 1
          ? `p${s}[c * ${E}u + e] = ${store(o.dtype, `acc${j}`)};`
          : `out${j}[${affineCode(keptStrides, env)}] = ${store(o.dtype, `acc${j}`)};`,
      );
    });
    for (const e of combos) {
      k.outputs.forEach((o, j) => {
        const v = valueAt(o.node, e);
        if (o.kind === "map") {
          (looped ? loopLines : lines).push(
            `out${j}[${affineCode(domStrides, e)}] = ${store(o.dtype, v)};`,
          );
        } else {
          (looped ? loopLines : lines).push(accStep(o.reduce!, o.dtype, `acc${j}`, v, pre.use));
        }
      });
    }
    const hz = body.hoistedSlots();
    const main = [
      `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {`,
      `  let t = gid.x + gid.y * ${nx}u;`,
      `  if (t >= ${threads}u) { return; }`,
      ...declared(body, "m0").map((l) => "  " + l),
      `  for (var g: u32 = t; g < ${W}u; g = g + ${threads}u) {`,
      `    let e = g % ${E}u;`,
      `    let c = g / ${E}u;`,
      ...unravel("e", tAxes.map((d) => k.domain[d]), tNames).map((l) => "    " + l),
      ...accs.map((l) => "    " + l),
      ...declared(body, "m1").map((l) => "    " + l),
      ...lines.map((l) => "    " + l),
    ];
    if (looped) {
      main.push(
        `    for (var rr: u32 = c * ${CH}u; rr < min(c * ${CH}u + ${CH}u, ${R}u); rr = rr + 1u) {`,
        ...unravel("rr", red.map((d) => k.domain[d]), red.map((d) => `r${d}`)).map((l) =>
          "      " + l
        ),
        ...declared(body, "m2").map((l) => "      " + l),
        ...loopLines.map((l) => "      " + l),
        `    }`,
      );
    }
    main.push(...accFinal.map((l) => "    " + l), `  }`, `}`);
    const split = C > 1;
    const bindings = [
      ...inputDecls,
      ...k.outputs.map((o, j) => ({ o, j }))
        .filter(({ o }) => !split || o.kind === "map")
        .map(({ o, j }) => ({ name: `out${j}`, type: BUF_TYPE[o.dtype], write: true })),
      ...(split
        ? reduceOuts.map(({ o }, s) => ({ name: `p${s}`, type: BUF_TYPE[o.dtype], write: true }))
        : []),
    ];
    const refs: BindingRef[] = [
      ...k.inputs.map((_, i) => ({ kind: "input" as const, index: i })),
      ...k.outputs.map((o, j) => ({ o, j }))
        .filter(({ o }) => !split || o.kind === "map")
        .map(({ j }) => ({ kind: "output" as const, index: j })),
      ...(split ? reduceOuts.map((_, s) => ({ kind: "scratch" as const, index: s })) : []),
    ];
    const nPartials = split ? reduceOuts.length : 0;
    if (hz.length) {
      bindings.push({ name: "hz", type: "u32", write: false });
      refs.push({ kind: "scratch", index: nPartials });
    }
    const source = [
      `// kernel ${k.name}: ${strategy}, domain [${k.domain}], reduce axes [${red}], ` +
      `${threads} threads over ${E} elements${split ? ` × ${C} chunks of ${CH} points` : ""}`,
      pre.toString(),
      header(bindings, wg),
      ...main,
    ].join("\n");
    return {
      kernel: k,
      strategy,
      scratch: [...(split ? reduceOuts.map(() => E * C) : []), ...(hz.length ? [hz.length] : [])],
      passes: [
        ...(hz.length ? [prePass(k, hz, wg, nPartials)] : []),
        { source, threads, groups, bindings: refs },
        ...(split ? combinePasses(k, reduceOuts, E, C, wg, maxDim, maxBuffers) : []),
      ],
    };
  }

  // Chunked reduction: T threads, each over a contiguous chunk of the reduced points, with the
  // (at most 32) output elements unrolled as scalar accumulators; then a pass over the partials.
  const T = Math.max(
    Math.ceil(R / LOOP_CAP),
    Math.min(opts.maxThreads ?? 4096, Math.ceil(R / 128)),
    1,
  );
  const chunk = Math.ceil(R / T);
  const { groups, nx } = dispatch(T, wg, maxDim);
  const env: Env = k.domain.map(() => ({ v: null, c: 0 }));
  red.forEach((d) => {
    if (k.domain[d] > 1) env[d] = { v: loopVar(`r${d}`, 1, k.domain[d]), c: 0 };
  });
  const combos: Env[] = [];
  const walk = (j: number, e: Env) => {
    if (j === kept.length) return void combos.push(e);
    for (let v = 0; v < k.domain[kept[j]]; v++) {
      const e2 = [...e];
      e2[kept[j]] = { v: null, c: v };
      walk(j + 1, e2);
    }
  };
  walk(0, env);
  const scratchIndex = new Map(reduceOuts.map(({ j }, s) => [j, s]));
  const accs: string[] = [];
  const loop: string[] = [];
  const fin: string[] = [];
  combos.forEach((e, c) => {
    k.outputs.forEach((o, j) => {
      const v = valueAt(o.node, e);
      if (o.kind === "map") {
        loop.push(`out${j}[${affineCode(domStrides, e)}] = ${store(o.dtype, v)};`);
        return;
      }
      const s = scratchIndex.get(j)!;
      accs.push(`var a${s}_${c}: ${WGSL_TYPE[o.dtype]} = ${accInit(o.reduce!, o.dtype)};`);
      loop.push(accStep(o.reduce!, o.dtype, `a${s}_${c}`, v, pre.use));
      fin.push(`p${s}[t * ${K}u + ${c}u] = ${store(o.dtype, `a${s}_${c}`)};`);
    });
  });
  const pass1Bindings = [
    ...inputDecls,
    ...k.outputs.map((o, j) => ({ o, j })).filter(({ o }) => o.kind === "map").map(({ o, j }) => ({
      name: `out${j}`,
      type: BUF_TYPE[o.dtype],
      write: true,
    })),
    ...reduceOuts.map(({ o }, s) => ({ name: `p${s}`, type: BUF_TYPE[o.dtype], write: true })),
  ];
  const hz = body.hoistedSlots();
  if (hz.length) pass1Bindings.push({ name: "hz", type: "u32", write: false });
  const src1 = [
    `// kernel ${k.name}: chunked reduction (pass 1 of 2), domain [${k.domain}], reduce axes [${red}], ` +
    `${T} threads × ${chunk} points, ${K} outputs each`,
    pre.toString(),
    header(pass1Bindings, wg),
    `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {`,
    `  let t = gid.x + gid.y * ${nx}u;`,
    `  if (t >= ${T}u) { return; }`,
    ...declared(body, "m0").map((l) => "  " + l),
    ...accs.map((l) => "  " + l),
    `  let c0 = t * ${chunk}u;`,
    `  let c1 = min(c0 + ${chunk}u, ${R}u);`,
    `  for (var rr: u32 = c0; rr < c1; rr = rr + 1u) {`,
    ...unravel("rr", red.map((d) => k.domain[d]), red.map((d) => `r${d}`)).map((l) => "    " + l),
    ...declared(body, "m1").map((l) => "    " + l),
    ...loop.map((l) => "    " + l),
    `  }`,
    ...fin.map((l) => "  " + l),
    `}`,
  ].join("\n");
  return {
    kernel: k,
    strategy,
    scratch: [...reduceOuts.map(() => T * K), ...(hz.length ? [hz.length] : [])],
    passes: [
      ...(hz.length ? [prePass(k, hz, wg, reduceOuts.length)] : []),
      {
        source: src1,
        threads: T,
        groups,
        bindings: [
          ...k.inputs.map((_, i) => ({ kind: "input" as const, index: i })),
          ...k.outputs.map((o, j) => ({ o, j })).filter(({ o }) => o.kind === "map").map((
            { j },
          ) => ({
            kind: "output" as const,
            index: j,
          })),
          ...reduceOuts.map((_, s) => ({ kind: "scratch" as const, index: s })),
          ...(hz.length ? [{ kind: "scratch" as const, index: reduceOuts.length }] : []),
        ],
      },
      ...combinePasses(k, reduceOuts, K, T, wg, maxDim, maxBuffers),
    ],
  };
}
