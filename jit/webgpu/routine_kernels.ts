/**
 * Kernel routines on the WebGPU device: `gather`, `cumsum` and `scatter_add` as strided
 * data-parallel WGSL passes, encoded into the caller's compute pass (no submit of their own).
 *
 * - **`gather`** (take along an axis, indices clamped): one map pass.
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
 *
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import { sizeOf } from "../../core/shape.ts";
import type { EqnOf } from "../../core/primitives/mod.ts";
import { webgpu } from "./device.ts";
import type { DeviceRoutine, RoutineOptions } from "./routines.ts";

/**
 * Most elements of scatter-add's partial sums (`[chunks, operand size]`, 4 bytes each): 16 MiB.
 *
 * @example
 * ```ts
 * import { SCATTER_SCRATCH } from "./routine_kernels.ts";
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

/**
 * `gather` as one WGSL pass, or null when the host runs it (an empty axis to gather from).
 *
 * @example
 * ```ts ignore
 * const r = gatherRoutine(eqn, options); // kind "kernel"
 * ```
 */
export function gatherRoutine(eqn: EqnOf<"gather">, o: RoutineOptions): DeviceRoutine | null {
  const passes = gatherPasses(eqn, o);
  return passes && kernelRoutine("WGSL gather", passes, [], o);
}

/**
 * `cumsum` as one WGSL pass, or null when the host runs it (other dtypes, or lines longer than
 * llvmpipe's loop cap).
 *
 * @example
 * ```ts ignore
 * const r = cumsumRoutine(eqn, options); // kind "kernel"
 * ```
 */
export function cumsumRoutine(eqn: EqnOf<"cumsum">, o: RoutineOptions): DeviceRoutine | null {
  const passes = cumsumPasses(eqn, o);
  return passes && kernelRoutine("WGSL cumsum", passes, [], o);
}

/**
 * `scatter_add` as WGSL passes over per-chunk partials, or null when the host runs it (other
 * dtypes, or more than `MAX_ROUNDS` accumulate passes).
 *
 * @example
 * ```ts ignore
 * const r = scatterAddRoutine(eqn, options); // kind "kernel"
 * ```
 */
export function scatterAddRoutine(
  eqn: EqnOf<"scatter_add">,
  o: RoutineOptions,
): DeviceRoutine | null {
  const s = scatterPasses(eqn, o);
  return s && kernelRoutine("WGSL scatter-add into per-chunk partials", s.passes, s.scratch, o);
}
