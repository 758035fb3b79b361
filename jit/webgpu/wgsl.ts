/**
 * The WGSL renderer: kernel IR → compute shaders (float32, int32, bool; no float64). Scheduling
 * (value numbering, hoisting, tables, sliding windows) is the shared `jit/schedule/`; this module
 * chooses the thread layout and loop nest and emits the passes.
 *
 * Thread layout, chosen per kernel (no workgroup barriers or shared memory, which turn llvmpipe
 * shaders into slow coroutines; see `../shared/bench/W1.md`):
 *
 * - **map**: threads over the domain points (grid stride).
 * - **per-output reduction** (many output elements): threads over the output elements, each
 *   computing its reduced points — unrolled when they are few and the elements many (shifted
 *   reads of one value, the CDF at neighbouring bin edges, are value-numbered once), else in a
 *   loop keeping shifted values in sliding windows. Values of the reduced points only (per-bin
 *   coefficients) are tables filled once by a looped pre-pass.
 * - **chunked reduction** (at most 32 output elements, or at most 160 accumulators — output
 *   elements × reduce outputs —, and many reduced points: a histogram over events, and its
 *   forward-mode tangents): each thread walks a contiguous chunk of the reduced points with one scalar
 *   accumulator per output element (the output axes are unrolled) and writes its partial sums;
 *   a second pass sums the partials of each output element in thread order. No atomics.
 *
 * Semantics follow the eager primitives in float32 arithmetic; WGSL lacks several functions
 * (`erf`, `erfc`, `log1p`, `lgamma`, ...), which are defined in a prelude (`z_*`), and NaN-aware
 * `max`/`min`. See the tolerance contract in `jit/README.md`.
 *
 * @module
 */
import { sizeOf } from "../../core/shape.ts";
import type { Kernel } from "../kernel_ir.ts";
import { SCALAR_OPS } from "../scalar_ops.ts";
import { chunkedPasses } from "./wgsl_chunked.ts";
import { gridPasses } from "./wgsl_grid.ts";

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
  for (const x of [...k.inputs, ...k.outputs]) {
    if (x.dtype === "float64") throw new Error(`wgsl: ${x.name} is float64`);
  }
  const strategy = wgslStrategy(k);
  const render = (hoist: boolean) =>
    strategy === "chunked" ? chunkedPasses(k, opts, hoist) : gridPasses(k, opts, strategy, hoist);
  // Values the same in every thread are computed once per thread, before its loops; a one-thread
  // pre-pass pays off only when they are costly and there are many threads (each pass costs
  // compile time: ~70 ms on llvmpipe).
  const plain = render(false);
  const invariantCost = plain.vals.vals.reduce(
    (t, v) => t + (v.used && v.op && v.level === 0 ? SCALAR_OPS[v.op].cost : 0),
    0,
  );
  const threads = plain.passes[0].threads;
  const built = invariantCost * threads >= HOIST_MIN_WORK ? render(true) : plain;
  return { kernel: k, strategy, passes: built.passes, scratch: built.scratch };
}

/**
 * The thread layout {@link renderWgsl} uses for `k`: a map, a chunked reduction (few output
 * elements, many reduced points) or per-output reductions.
 *
 * @example
 * ```ts
 * import { wgslStrategy } from "./wgsl.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * if (wgslStrategy(k) === "chunked") console.log("per-thread partial sums");
 * ```
 */
export function wgslStrategy(k: Kernel): WgslKernel["strategy"] {
  const kept = k.domain.map((_, d) => d).filter((d) => !k.reduceAxes.includes(d));
  const K = sizeOf(kept.map((d) => k.domain[d]));
  const R = sizeOf(k.reduceAxes.map((d) => k.domain[d]));
  const reduces = k.outputs.filter((o) => o.kind === "reduce").length;
  if (!reduces) return "map";
  return (K <= 32 || K * reduces <= CHUNKED_ACCUMULATORS) && R >= 2048 ? "chunked" : "per-output";
}

/**
 * Most scalar accumulators (output elements × reduce outputs) of a chunked reduction: W1's
 * forward pass has 50 (signal and background over 25 bins), its forward-mode pass (`jacfwd`, two
 * tangents) 100; the hand-written fused-tangent kernel keeps 150 in registers and is the fastest.
 */
const CHUNKED_ACCUMULATORS = 160;

/** Smallest (invariant op cost × threads) for which invariant values get a pre-pass. */
const HOIST_MIN_WORK = 1 << 16;
