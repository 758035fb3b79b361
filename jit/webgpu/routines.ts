/**
 * Routines that run on the WebGPU device instead of through a host readback: plan steps of kind
 * "routine" whose primitive has a device lowering here. Everything else keeps the readback
 * fallback of `execute.ts` (operands read back, eager implementation, results uploaded).
 *
 * - **`gather`** (take along an axis, indices clamped): one map pass, encoded into the caller's
 *   compute pass.
 * - **`cumsum`** (float32, int32): one map pass, a line per item, accumulated in the dtype in
 *   eager order. (`matmul` is no routine on WebGPU: `./matmul.ts` lowers it to a fused reduction.)
 * - **`scatter_add`** (histograms, segment sums): WGSL has no float atomics, so each of `Tc`
 *   event chunks owns a partial copy of the operand in a scratch buffer `[Tc, size]` (bounded by
 *   {@link SCATTER_SCRATCH} elements): accumulate passes add each event's updates into its chunk's
 *   partial (threads over (chunk, outer, inner), so no two threads write one element; with at most
 *   32 rows a thread keeps one register per row, otherwise a pass first zeroes the partials and
 *   events add into memory), and a last pass writes `operand + Σ partials` in chunk order. No
 *   barriers (slow on llvmpipe), every loop below llvmpipe's 65535-iteration cap. Out-of-range
 *   indices are dropped, as the eager implementation drops them. float32 and int32 (int32 wraps as
 *   eager int32 does).
 * - **`while`, `cond`, `scan`**: a host loop around sub-programs compiled for WebGPU (one per
 *   jaxpr, cached), with the carry staying in device buffers between iterations. `while` compiles
 *   "body, then predicate" as one program, so an iteration is one submit and one 4-byte readback;
 *   `cond` reads back only the branch index; `scan` reads back nothing: each iteration copies its
 *   `xs` slices out of the stacked inputs and its `y`s into the stacked outputs on the device.
 *
 * @module
 */
import { ShapedArray } from "../../core/aval.ts";
import { DeviceArray } from "../../core/device_array.ts";
import type { DType } from "../../core/dtype.ts";
import { type Eqn, Jaxpr, Var } from "../../core/jaxpr.ts";
import { sizeOf } from "../../core/shape.ts";
import { type EqnOf, isEqnOf, P } from "../../core/primitives/mod.ts";
import type { WhileParams } from "../../core/primitives/control.ts";
import type { Plan } from "../plan.ts";
import { acquireBuffer, checkDeviceError, readBuffer, webgpu, WebGpuStorage } from "./device.ts";
import type { WebGpuProgram } from "./program.ts";

/**
 * What a kernel routine needs from the program that encodes it.
 *
 * @example
 * ```ts
 * import type { RoutineEncoder } from "./routines.ts";
 * declare const enc: RoutineEncoder;
 * const scratch = enc.scratch(1024); // released once the caller's commands are submitted
 * ```
 */
export interface RoutineEncoder {
  /** The caller's open compute pass (opened on demand). */
  pass(): GPUComputePassEncoder;
  /** A scratch buffer of at least `bytes` bytes, released after the caller's next submit. */
  scratch(bytes: number): GPUBuffer;
}

/**
 * A routine step that runs on the device: `"kernel"` routines are compute passes encoded into the
 * caller's pass (synchronous, no submit of their own); `"loop"` routines are host loops around
 * compiled sub-programs (asynchronous: the caller submits its pending work first and awaits them).
 *
 * @example
 * ```ts
 * import type { DeviceRoutine } from "./routines.ts";
 * declare const r: DeviceRoutine;
 * console.log(r.kind, r.describe());
 * ```
 */
export type DeviceRoutine =
  | {
    kind: "kernel";
    /** One line for plans: what runs on the device. */
    describe(): string;
    /** WGSL of every pass. */
    source(): string;
    /** Encodes the passes reading `inputs` and writing `outputs` (buffers of the step). */
    encode(enc: RoutineEncoder, inputs: GPUBuffer[], outputs: GPUBuffer[]): void;
  }
  | {
    kind: "loop";
    /** One line for plans, followed by the sub-programs' plans (indented). */
    describe(): string;
    /** WGSL of the sub-programs. */
    source(): string;
    /** Runs the loop; resolves once every output buffer's content is submitted. */
    run(inputs: GPUBuffer[], outputs: GPUBuffer[]): Promise<void>;
  };

/**
 * What {@link deviceRoutine} needs from `program.ts` (passed in, so this module does not import
 * the compiler at run time and the two modules do not depend on each other's initialisation).
 *
 * @example
 * ```ts
 * import type { RoutineOptions } from "./routines.ts";
 * declare const o: RoutineOptions;
 * o.maxThreads; // 4096 on software adapters
 * ```
 */
export interface RoutineOptions {
  /** Compiles a sub-jaxpr (without constvars) for WebGPU. */
  compile(jaxpr: Jaxpr): WebGpuProgram;
  /** The (cached) compute pipeline of a WGSL source. */
  pipeline(source: string): GPUComputePipeline;
  /** Most threads of one pass before threads loop (see `WgslOptions.maxThreads`). */
  maxThreads: number;
  /** The device's `maxComputeWorkgroupsPerDimension`. */
  maxWorkgroupsPerDimension: number;
}

/**
 * Most elements of scatter-add's partial sums (`[chunks, operand size]`, 4 bytes each): 16 MiB.
 *
 * @example
 * ```ts
 * import { SCATTER_SCRATCH } from "./routines.ts";
 * console.log(SCATTER_SCRATCH * 4, "bytes");
 * ```
 */
export const SCATTER_SCRATCH = 1 << 22;

/** llvmpipe stops a loop after 65535 iterations per invocation; passes stay below this. */
const LOOP_CAP = 60000;
/** Accumulate passes of one scatter-add (one pipeline each); beyond this, the host runs it. */
const MAX_ROUNDS = 16;
/** Fewest events per chunk worth a partial histogram of its own. */
const MIN_EVENTS_PER_CHUNK = 32;
/** Most chunks: the combine pass sums this many partials per element. */
const MAX_CHUNKS = 8192;
const WG = 64;
/** Scatter-adds into at most this many rows accumulate in registers. */
const REGISTER_ROWS = 32;

const BUF: Record<DType, string> = { float32: "f32", int32: "i32", bool: "u32", float64: "?" };

interface Pass {
  source: string;
  groups: [number, number];
  /** Buffer of each binding: `in k`, `out k` or `scratch k`. */
  bindings: ["in" | "out" | "scratch", number][];
}

/** Workgroups for `threads` threads and the row length `nx` of the 2-D dispatch. */
function grid(threads: number, maxDim: number): { groups: [number, number]; nx: number } {
  const total = Math.max(1, Math.ceil(threads / WG));
  const gx = Math.min(total, maxDim);
  return { groups: [gx, Math.ceil(total / gx)], nx: gx * WG };
}

/** Threads for a grid-stride loop over `n` items of `trips` iterations each, under LOOP_CAP. */
function strideThreads(n: number, trips: number, maxThreads: number): number {
  const perThread = Math.max(1, Math.floor(LOOP_CAP / Math.max(1, trips)));
  return Math.max(1, Math.min(n, Math.max(maxThreads, Math.ceil(n / perThread))));
}

/** A shader: storage bindings, then `main` with `t` (the thread) and the early exit. */
function shader(
  comment: string,
  bindings: { name: string; type: string; write: boolean }[],
  threads: number,
  nx: number,
  body: string[],
): string {
  return [
    `// ${comment}`,
    ...bindings.map((b, i) =>
      `@group(0) @binding(${i}) var<storage, ${
        b.write ? "read_write" : "read"
      }> ${b.name}: array<${b.type}>;`
    ),
    "",
    `@compute @workgroup_size(${WG})`,
    `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {`,
    `  let t = gid.x + gid.y * ${nx}u;`,
    `  if (t >= ${threads}u) { return; }`,
    ...body.map((l) => "  " + l),
    `}`,
  ].join("\n");
}

/** A grid-stride pass over `n` items, `trips` inner iterations each. */
function stridePass(
  comment: string,
  bindings: { name: string; type: string; write: boolean }[],
  refs: Pass["bindings"],
  n: number,
  trips: number,
  o: RoutineOptions,
  item: string[],
): Pass {
  const threads = strideThreads(n, trips, o.maxThreads);
  const { groups, nx } = grid(threads, o.maxWorkgroupsPerDimension);
  return {
    source: shader(comment, bindings, threads, nx, [
      `for (var g: u32 = t; g < ${n}u; g = g + ${threads}u) {`,
      ...item.map((l) => "  " + l),
      `}`,
    ]),
    groups,
    bindings: refs,
  };
}

/** Splits `x.shape` around `axis`: elements before, along and after it. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

function gatherPasses(eqn: EqnOf<"gather">, o: RoutineOptions): Pass[] | null {
  const [x, idx] = eqn.inputs.map((a) => a.aval);
  const [outer, n, inner] = around(x.shape, eqn.params.axis);
  const K = idx.size, total = outer * K * inner;
  if (total === 0) return [];
  if (n === 0) return null; // eager reads out of bounds here (NaN/0): leave that to the host
  // Elements are copied as bits, so every dtype (bool is u32 on the device) shares one shader.
  return [stridePass(
    `gather: out[a, k, c] = x[a, clamp(idx[k], 0, ${n - 1}), c]; [${outer}, ${K}, ${inner}]`,
    [
      { name: "x", type: "u32", write: false },
      { name: "idx", type: "i32", write: false },
      { name: "out", type: "u32", write: true },
    ],
    [["in", 0], ["in", 1], ["out", 0]],
    total,
    1,
    o,
    [
      `let c = g % ${inner}u;`,
      `let k = (g / ${inner}u) % ${K}u;`,
      `let a = g / ${inner * K}u;`,
      `let j = u32(clamp(idx[k], 0i, ${n - 1}i));`,
      `out[g] = x[(a * ${n}u + j) * ${inner}u + c];`,
    ],
  )];
}

/** `cumsum` along an axis: one line per item, accumulated in the dtype in scan order. */
function cumsumPasses(eqn: EqnOf<"cumsum">, o: RoutineOptions): Pass[] | null {
  const [x] = eqn.inputs.map((a) => a.aval);
  const { axis, reverse } = eqn.params;
  const [outer, n, inner] = around(x.shape, axis);
  const lines = outer * inner;
  if (lines * n === 0) return [];
  if (n > LOOP_CAP || (x.dtype !== "float32" && x.dtype !== "int32")) return null;
  const t = BUF[x.dtype];
  const at = reverse ? `${n - 1}u - q` : "q";
  return [stridePass(
    `cumsum${reverse ? " (reverse)" : ""}: [${outer}, ${n}, ${inner}] along the middle axis`,
    [
      { name: "x", type: t, write: false },
      { name: "out", type: t, write: true },
    ],
    [["in", 0], ["out", 0]],
    lines,
    n,
    o,
    [
      `let base = (g / ${inner}u) * ${n * inner}u + g % ${inner}u;`,
      `var acc = ${t}(0);`,
      `for (var q: u32 = 0u; q < ${n}u; q = q + 1u) {`,
      `  let i = base + (${at}) * ${inner}u;`,
      `  acc = acc + x[i];`,
      `  out[i] = acc;`,
      `}`,
    ],
  )];
}

interface ScatterPlan {
  passes: Pass[];
  /** Scratch buffer sizes in elements. */
  scratch: number[];
}

function scatterPasses(eqn: EqnOf<"scatter_add">, o: RoutineOptions): ScatterPlan | null {
  const [x, idx] = eqn.inputs.map((a) => a.aval);
  if (x.dtype !== "float32" && x.dtype !== "int32") return null;
  const [outer, n, inner] = around(x.shape, eqn.params.axis);
  const M = x.size, N = idx.size, Pq = outer * inner, T = BUF[x.dtype];
  if (M === 0) return { passes: [], scratch: [] };
  // Event chunks: enough events each to be worth a partial, partials within the scratch budget,
  // (chunk, outer, inner) threads within the thread budget.
  const Tc = N === 0 ? 0 : Math.max(
    1,
    Math.min(
      Math.ceil(N / MIN_EVENTS_PER_CHUNK),
      // Zeroing and combining the partials should cost no more than the events themselves.
      Math.ceil((2 * N) / M),
      Math.floor(SCATTER_SCRATCH / M),
      Math.floor(o.maxThreads / Pq),
      MAX_CHUNKS,
    ),
  );
  const CH = Tc && Math.min(Math.ceil(N / Tc), LOOP_CAP);
  const rounds = Tc && Math.ceil(N / (Tc * CH));
  if (rounds > MAX_ROUNDS) return null;
  const combine = stridePass(
    `scatter-add: out = operand + the sum of ${Tc} partials, ${M} elements`,
    [
      { name: "x", type: T, write: false },
      { name: "p", type: T, write: false },
      { name: "out", type: T, write: true },
    ],
    [["in", 0], ["scratch", 0], ["out", 0]],
    M,
    Tc,
    o,
    [
      `var acc: ${T} = x[g];`,
      `for (var s: u32 = 0u; s < ${Tc}u; s = s + 1u) { acc = acc + p[s * ${M}u + g]; }`,
      `out[g] = acc;`,
    ],
  );
  // Without events the partials are never read; the pass still needs a buffer bound.
  if (Tc === 0) return { passes: [combine], scratch: [1] };
  // Few rows: each thread keeps one register per row and writes all of its partial, so no
  // zeroing pass and no read-modify-write of memory per event (twice as fast on llvmpipe).
  const inRegisters = n <= REGISTER_ROWS;
  const zero = stridePass(
    `scatter-add: zero ${Tc} partials of ${M} elements`,
    [{ name: "p", type: "u32", write: true }],
    [["scratch", 0]],
    Tc * M,
    1,
    o,
    [`p[g] = 0u;`],
  );
  const threads = Tc * Pq;
  const { groups, nx } = grid(threads, o.maxWorkgroupsPerDimension);
  const rows = globalThis.Array.from({ length: n }, (_, b) => b);
  const zeroT = T === "f32" ? "0.0f" : "0i";
  const partial = (b: number | string) => `p[s * ${M}u + (a * ${n}u + ${b}) * ${inner}u + c]`;
  const accumulate = globalThis.Array.from({ length: rounds }, (_, r) => ({
    source: shader(
      `scatter-add: accumulate round ${r + 1}/${rounds}: ${Tc} chunks × ${CH} events, ` +
        `outer ${outer}, inner ${inner}, ${n} rows${inRegisters ? " in registers" : ""}`,
      [
        { name: "idx", type: "i32", write: false },
        { name: "upd", type: T, write: false },
        { name: "p", type: T, write: true },
      ],
      threads,
      nx,
      [
        `let q = t % ${Pq}u;`,
        `let s = t / ${Pq}u;`,
        `let a = q / ${inner}u;`,
        `let c = q % ${inner}u;`,
        `let k0 = ${r * Tc * CH}u + s * ${CH}u;`,
        `let k1 = min(k0 + ${CH}u, ${N}u);`,
        ...(inRegisters ? rows.map((b) => `var r${b}: ${T} = ${zeroT};`) : []),
        `for (var k: u32 = k0; k < k1; k = k + 1u) {`,
        `  let j = idx[k];`,
        `  let u = upd[(a * ${N}u + k) * ${inner}u + c];`,
        // Out-of-range indices drop their updates, as the eager implementation does.
        ...(inRegisters
          ? rows.map((b) => `  r${b} = r${b} + select(${zeroT}, u, j == ${b}i);`)
          : [`  if (j >= 0i && j < ${n}i) { ${partial("u32(j)")} = ${partial("u32(j)")} + u; }`]),
        `}`,
        ...(inRegisters
          ? rows.map((b) => `${partial(`${b}u`)} = ${r ? `${partial(`${b}u`)} + ` : ""}r${b};`)
          : []),
      ],
    ),
    groups,
    bindings: [["in", 1], ["in", 2], ["scratch", 0]] as Pass["bindings"],
  }));
  return {
    passes: [...(inRegisters ? [] : [zero]), ...accumulate, combine],
    scratch: [Tc * M],
  };
}

function kernelRoutine(
  what: string,
  passes: Pass[],
  scratch: number[],
  o: RoutineOptions,
): DeviceRoutine {
  for (const p of passes) o.pipeline(p.source); // compile now, so calls do not pay for it
  return {
    kind: "kernel",
    describe: () => `on the device: ${what} (${passes.length} WGSL pass(es))`,
    source: () => passes.map((p) => p.source).join("\n\n"),
    encode(enc, inputs, outputs) {
      if (!passes.length) return;
      const { device } = webgpu();
      const scr = scratch.map((n) => enc.scratch(n * 4));
      const pass = enc.pass();
      for (const p of passes) {
        const pipeline = o.pipeline(p.source);
        const entries = p.bindings.map(([kind, i], binding) => ({
          binding,
          resource: { buffer: kind === "in" ? inputs[i] : kind === "out" ? outputs[i] : scr[i] },
        }));
        pass.setPipeline(pipeline);
        pass.setBindGroup(
          0,
          device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }),
        );
        pass.dispatchWorkgroups(p.groups[0], p.groups[1]);
      }
    },
  };
}

// ---------------------------------------------------------------------------
// Control flow: host loops around compiled sub-programs
// ---------------------------------------------------------------------------

/**
 * Storage of a buffer the routine's caller owns, lent to a sub-program: freeing it (when the
 * wrapping array is disposed or collected) must not return the caller's buffer to the pool.
 */
class Borrowed extends WebGpuStorage {
  override free(): void {}
}

function borrow(buf: GPUBuffer, aval: ShapedArray): DeviceArray {
  return new DeviceArray(aval, new Borrowed(buf, aval.dtype, aval.size));
}

function bufferOf(x: DeviceArray): GPUBuffer {
  return (x.storage as WebGpuStorage).buffer;
}

/** Waits until the (asynchronous) producers of `xs`, if any, have submitted their work. */
async function settle(xs: readonly DeviceArray[]): Promise<void> {
  const ready = new Set<Promise<void>>();
  for (const x of xs) {
    const r = (x.storage as WebGpuStorage).ready;
    if (r) ready.add(r);
  }
  if (ready.size) await Promise.all(ready);
}

/** Disposes the arrays of `xs` that are not in `keep` (each once). */
function disposeExcept(xs: Iterable<DeviceArray>, keep: Iterable<DeviceArray>): void {
  const k = new Set(keep);
  for (const x of new Set(xs)) if (!k.has(x)) x.dispose();
}

/** Copies whole arrays into buffers (at byte offsets), on one encoder. */
function copyInto(
  enc: GPUCommandEncoder,
  srcs: readonly DeviceArray[],
  dsts: readonly GPUBuffer[],
  offsets?: readonly number[],
): void {
  srcs.forEach((x, i) => {
    const bytes = x.size * 4;
    if (bytes) enc.copyBufferToBuffer(bufferOf(x), 0, dsts[i], offsets?.[i] ?? 0, bytes);
  });
}

function submit(enc: GPUCommandEncoder): void {
  webgpu().device.queue.submit([enc.finish()]);
}

function indent(text: string): string {
  return text.split("\n").map((l) => "    " + l).join("\n");
}

const subPrograms = new WeakMap<Jaxpr, WebGpuProgram>();
function subProgram(j: Jaxpr, o: RoutineOptions): WebGpuProgram {
  let p = subPrograms.get(j);
  if (!p) subPrograms.set(j, p = o.compile(j));
  return p;
}

/** `(condConsts, bodyConsts, carry) → (body(carry), cond(body(carry)))` as one jaxpr. */
const whileSteps = new WeakMap<Jaxpr, WeakMap<Jaxpr, Jaxpr>>();
function whileStep(p: WhileParams): Jaxpr {
  let byCond = whileSteps.get(p.bodyJaxpr);
  if (!byCond) whileSteps.set(p.bodyJaxpr, byCond = new WeakMap());
  let j = byCond.get(p.condJaxpr);
  if (!j) {
    const fresh = (vs: readonly Var[]) => vs.map((v) => new Var(v.aval));
    const cc = fresh(p.condJaxpr.invars.slice(0, p.condNConsts));
    const bc = fresh(p.bodyJaxpr.invars.slice(0, p.bodyNConsts));
    const carry = fresh(p.bodyJaxpr.invars.slice(p.bodyNConsts));
    const next = p.bodyJaxpr.outAvals.map((a) => new Var(a));
    const pred = new Var(p.condJaxpr.outAvals[0]);
    // jit_calls are inlined by the planner: body and predicate fuse into one program.
    j = new Jaxpr([], [...cc, ...bc, ...carry], [
      {
        prim: P.jit_call,
        inputs: [...bc, ...carry],
        params: { jaxpr: p.bodyJaxpr, name: "body" },
        outputs: next,
      },
      {
        prim: P.jit_call,
        inputs: [...cc, ...next],
        params: { jaxpr: p.condJaxpr, name: "cond" },
        outputs: [pred],
      },
    ], [...next, pred]);
    byCond.set(p.condJaxpr, j);
  }
  return j;
}

function loopRoutine(
  what: string,
  programs: [string, WebGpuProgram][],
  run: (inputs: GPUBuffer[], outputs: GPUBuffer[]) => Promise<void>,
): DeviceRoutine {
  return {
    kind: "loop",
    describe: () =>
      [
        `on the device: ${what}`,
        ...programs.map(([name, p]) => `${name}:\n${indent(p.plan.toString())}`),
      ].join("\n"),
    source: () => programs.map(([name, p]) => `// ${name}\n${p.source()}`).join("\n\n"),
    run,
  };
}

function condRoutine(eqn: EqnOf<"cond">, o: RoutineOptions): DeviceRoutine {
  const { branches } = eqn.params;
  const programs = branches.map((b) => subProgram(b, o));
  const inAvals = eqn.inputs.map((a) => a.aval);
  return loopRoutine(
    `host reads the branch index, runs that branch's program`,
    programs.map((p, i) => [`branch ${i}`, p]),
    async (inputs, outputs) => {
      const raw = new Int32Array(await readBuffer(inputs[0], 4));
      checkDeviceError();
      const i = Math.min(Math.max(raw[0], 0), branches.length - 1);
      const args = inputs.slice(1).map((b, k) => borrow(b, inAvals[k + 1]));
      const outs = programs[i].run(args);
      await settle(outs);
      const enc = webgpu().device.createCommandEncoder();
      copyInto(enc, outs, outputs);
      submit(enc);
      disposeExcept(outs, []);
    },
  );
}

function whileRoutine(eqn: EqnOf<"while">, o: RoutineOptions): DeviceRoutine {
  const p = eqn.params;
  const first = subProgram(p.condJaxpr, o);
  const step = subProgram(whileStep(p), o);
  const inAvals = eqn.inputs.map((a) => a.aval);
  const nc = p.condNConsts, nb = p.bodyNConsts;
  return loopRoutine(
    `host loop; each iteration one submit (body, then predicate) and a 4-byte readback`,
    [["predicate", first], ["body + predicate", step]],
    async (inputs, outputs) => {
      const args = inputs.map((b, k) => borrow(b, inAvals[k]));
      const cc = args.slice(0, nc), bc = args.slice(nc, nc + nb);
      let carry = args.slice(nc + nb);
      const [p0] = first.run([...cc, ...carry]);
      let go = (await p0.data())[0] !== 0;
      // The predicate may be a carried value or a constant: keep those.
      disposeExcept([p0], [...carry, ...cc]);
      while (go) {
        const outs = step.run([...cc, ...bc, ...carry]);
        const next = outs.slice(0, carry.length);
        const pred = outs[carry.length];
        // Reading the predicate waits for this step, so the old carry is no longer read.
        go = (await pred.data())[0] !== 0;
        disposeExcept([...carry, pred], [...next, ...cc, ...bc]); // outputs may be constants
        carry = next;
      }
      const enc = webgpu().device.createCommandEncoder();
      copyInto(enc, carry, outputs);
      submit(enc);
      disposeExcept(carry, []);
    },
  );
}

function scanRoutine(eqn: EqnOf<"scan">, o: RoutineOptions): DeviceRoutine {
  const { jaxpr, numConsts, numCarry, length, reverse } = eqn.params;
  const body = subProgram(jaxpr, o);
  const inAvals = eqn.inputs.map((a) => a.aval);
  const xAvals = inAvals.slice(numConsts + numCarry).map((a) =>
    new ShapedArray(a.shape.slice(1), a.dtype, a.weakType)
  );
  const yBytes = jaxpr.outAvals.slice(numCarry).map((a) => a.size * 4);
  return loopRoutine(
    `host loop of ${length} iterations, one submit each; xs sliced and ys stacked on the device`,
    [["body", body]],
    async (inputs, outputs) => {
      const { device } = webgpu();
      const args = inputs.map((b, k) => borrow(b, inAvals[k]));
      const consts = args.slice(0, numConsts);
      const xs = inputs.slice(numConsts + numCarry);
      const ys = outputs.slice(numCarry);
      let carry = args.slice(numConsts, numConsts + numCarry);
      let enc = device.createCommandEncoder();
      let spent: DeviceArray[] = []; // released after `enc` (which reads them) is submitted
      const flush = () => {
        submit(enc);
        enc = device.createCommandEncoder();
        disposeExcept(spent, [...carry, ...consts]); // outputs may be constants
        spent = [];
      };
      for (let k = 0; k < length; k++) {
        const i = reverse ? length - 1 - k : k;
        const x = xAvals.map((a, j) => {
          const buf = acquireBuffer(a.size * 4);
          if (a.size) enc.copyBufferToBuffer(xs[j], i * a.size * 4, buf, 0, a.size * 4);
          return new DeviceArray(a, new WebGpuStorage(buf, a.dtype, a.size));
        });
        flush();
        const outs = body.run([...consts, ...carry, ...x]);
        await settle(outs);
        const next = outs.slice(0, numCarry);
        const y = outs.slice(numCarry);
        copyInto(enc, y, ys, yBytes.map((b) => i * b));
        spent = [...carry, ...x, ...y];
        carry = next;
      }
      copyInto(enc, carry, outputs);
      flush();
      disposeExcept(carry, []);
    },
  );
}

const routines = new WeakMap<object, DeviceRoutine | null>();

/**
 * The device lowering of a routine step's equation, or null when it runs on the host (readback,
 * eager implementation, upload): primitives without a lowering here, unsupported dtypes, and
 * control flow whose sub-programs cannot compile for WebGPU (float64 inside, for instance).
 * Cached per equation.
 *
 * @example
 * ```ts ignore
 * const r = deviceRoutine(step.eqn, options);
 * if (r?.kind === "kernel") r.encode(encoder, inputs, outputs);
 * ```
 */
export function deviceRoutine(eqn: Eqn, o: RoutineOptions): DeviceRoutine | null {
  const hit = routines.get(eqn);
  if (hit !== undefined) return hit;
  let r: DeviceRoutine | null = null;
  try {
    r = makeRoutine(eqn, o);
  } catch {
    r = null; // e.g. a float64 value inside a sub-jaxpr: the host runs it, as before
  }
  routines.set(eqn, r);
  return r;
}

function makeRoutine(eqn: Eqn, o: RoutineOptions): DeviceRoutine | null {
  if (isEqnOf(eqn, "gather")) {
    const passes = gatherPasses(eqn, o);
    return passes && kernelRoutine("WGSL gather", passes, [], o);
  }
  if (isEqnOf(eqn, "cumsum")) {
    const passes = cumsumPasses(eqn, o);
    return passes && kernelRoutine("WGSL cumsum", passes, [], o);
  }
  if (isEqnOf(eqn, "scatter_add")) {
    const s = scatterPasses(eqn, o);
    return s && kernelRoutine("WGSL scatter-add into per-chunk partials", s.passes, s.scratch, o);
  }
  if (isEqnOf(eqn, "cond")) return condRoutine(eqn, o);
  if (isEqnOf(eqn, "while")) return whileRoutine(eqn, o);
  if (isEqnOf(eqn, "scan")) return scanRoutine(eqn, o);
  return null;
}

/**
 * The plan's text with each routine step marked as running on the device (with its passes or
 * its sub-programs' plans) or on the host (readback).
 *
 * @example
 * ```ts ignore
 * console.log(describePlan(program.plan, routinesOfEachStep));
 * ```
 */
export function describePlan(plan: Plan, stepRoutines: readonly (DeviceRoutine | null)[]): string {
  const text = plan.toString().split("\n");
  plan.steps.forEach((s, k) => {
    if (s.kind !== "routine") return;
    const at = text.findIndex((l) => l.startsWith(`step ${k}: routine `));
    if (at < 0) return;
    const r = stepRoutines[k];
    const note = r
      ? "\n" + indent(r.describe())
      : "\n    on the host: operands read back, eager implementation, results uploaded";
    text[at] += note;
  });
  return text.join("\n");
}
