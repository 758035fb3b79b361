/**
 * Parallel CPU kernels: a compiled kernel's outermost loop cut into chunks that the main thread
 * and a small pool of workers (`cpu_pool.ts`, `node:worker_threads`) run, synchronously from the
 * caller's point of view. This is the main thread's side; the shared-memory protocol and the
 * workers' loop are in `cpu_worker_loop.ts`.
 *
 * Why this shape:
 *
 * - **Synchronous.** `jit` calls return arrays, not promises, so a call cannot await workers. The
 *   main thread publishes a job and takes chunks itself from the same shared counter.
 * - **Deterministic.** Chunk boundaries are a function of the kernel only ({@link chunkCount}),
 *   never of the pool, the load or the timing. A reduction over the split loop produces one
 *   partial result per chunk, combined by the main thread in chunk order. Where that reordering
 *   changes bits (float sums in the default `fast` precision) the kernel runs in the same chunks
 *   on one thread too ({@link SplitInfo.blocked}), so a result is the same on every run and every
 *   thread count.
 * - **Never waits for a busy worker.** Workers may be descheduled (the machine is shared) or
 *   still starting. The main thread writes its own chunks straight into the results (no copy);
 *   once no chunk is left to take it waits at most about one chunk's time for the chunks workers
 *   hold, then computes those itself (the same code on the same chunk: the same bits) and ignores
 *   the worker's late copy. A job is published only when no worker is still inside the previous
 *   one; otherwise the kernel runs on the main thread alone (in the same chunks). So splitting
 *   costs at most about one chunk over running on one thread, however loaded the machine.
 * - **Exact sums stay exact.** In `exact` precision, sums whose bits partial sums would change
 *   (float32 and float64) store every term instead, and the main thread adds them in the
 *   one-thread order ({@link ReplayFn}), in rounds of at most 4 MB of terms. These jobs need
 *   every chunk's terms in the arena, so there the main thread does wait for the workers.
 * - **Shared memory only, no messages after start-up.** Workers block in `Atomics.wait`, so they
 *   cannot receive messages; everything a job needs is in three `SharedArrayBuffer`s posted once:
 *   a control block (job descriptor, counters, per-chunk completion), a source area (the
 *   generated kernel source, which a worker compiles with `new Function` once per kernel id) and
 *   a growable data arena (inputs copied in, workers' outputs and partial results, copied out
 *   afterwards; ~0.1 ms per MB, and every array the rest of zgrad sees stays an ordinary typed
 *   array).
 *
 * @module
 */
import type { TypedArray } from "../../core/dtype.ts";
import {
  align8,
  ARENA_MAX,
  CHUNK_WORK,
  codeOf,
  config,
  getPool,
  idle,
  inputLayout,
  MIN_WORK_PER_BYTE,
  type Pool,
  publish,
  SRC_BYTES,
  writeJob,
} from "./pool.ts";
import { runTermRounds } from "./terms.ts";
import {
  chunkRange,
  CTL,
  type KernelFn,
  OUT_KIND,
  type OutDesc,
  sharedView,
} from "./worker_loop.ts";
import { reduceInit, type ReduceOp, reduceStep } from "../kernel_ir.ts";

// The kernel signature is defined with the protocol (workers call kernels too).
export type { KernelFn };
export {
  configureCpuParallel,
  type CpuParallelConfig,
  type CpuPoolStats,
  cpuPoolStats,
  describeCpuThreads,
} from "./pool.ts";

/**
 * How a compiled kernel may be split (computed once per kernel by the renderer).
 *
 * @example
 * ```ts
 * import type { SplitInfo } from "./parallel.ts";
 * const s: SplitInfo = {
 *   extent: 1000, work: 5e6, kinds: ["partial"], reduce: ["sum"], termsPerIter: 25,
 *   blocked: true,
 * };
 * ```
 */
export interface SplitInfo {
  /** Extent of the outermost loop (the split axis). */
  extent: number;
  /** Estimated work of the whole kernel (points × weighted operations). */
  work: number;
  /**
   * Per output: `direct` (each element written by one chunk: maps, reductions over inner axes),
   * `partial` (a reduction over the split axis combined from one partial result per chunk) or
   * `terms` (a reduction over the split axis whose terms the chunks store, accumulated afterwards
   * in the one-thread order).
   */
  kinds: ("direct" | "partial" | "terms")[];
  /** Per output: its reduction (for combining partials). */
  reduce: (ReduceOp | undefined)[];
  /** Points per iteration of the split loop (terms each `terms` output stores per iteration). */
  termsPerIter: number;
  /**
   * Whether a `partial` output's bits depend on where chunks start (float sums and products in
   * `fast` precision): such a kernel always runs in chunks, on one thread too, so that its
   * results are the same for every thread count.
   */
  blocked: boolean;
}

/**
 * Accumulates stored terms of iterations `[lo, hi)` of the split loop into `accs` (one
 * `Float64Array` per reduce output), in the one-thread order.
 *
 * @example
 * ```ts
 * import type { ReplayFn } from "./parallel.ts";
 * const sum: ReplayFn = (terms, accs, lo, hi) => {
 *   for (let i = 0; i < hi - lo; i++) accs[0][0] += terms[0][i];
 * };
 * ```
 */
export type ReplayFn = (
  terms: Float64Array[],
  accs: Float64Array[],
  lo: number,
  hi: number,
) => void;

/**
 * The code a split run executes: the kernel (or its terms variant) with a source-cache id, and
 * for `terms` outputs the replay function.
 *
 * @example
 * ```ts ignore
 * import type { SplitCode } from "./parallel.ts";
 * const code: SplitCode = { kid: 0, source, fn };
 * ```
 */
export interface SplitCode {
  /** Identifies `source` in the workers' caches. */
  kid: number;
  /** Body of `new Function("H", source)`. */
  source: string;
  /** The same, compiled on the main thread. */
  fn: KernelFn;
  /** Length of `source` in UTF-8 bytes. */
  bytes: number;
  /** For `terms` outputs. */
  replay?: ReplayFn;
}

/**
 * Least work of a blocked kernel cut into chunks: the default least work split across threads
 * (below it a kernel never splits by default, so chunks would only cost: a stats hypotest's
 * kernels of ~1.5e5 units ran ~10% slower blocked). Smaller kernels run as one chunk, in the
 * one-thread (eager) order, whatever the thread count.
 */
const BLOCK_WORK = 3e5;
/** Bound on partial results held (bytes). */
const MAX_PARTIAL_BYTES = 1 << 24;
const { NEXT, DONE, NCHUNKS, FROM, TO, DESC, STATS, CHUNK_DONE } = CTL;
const { DIRECT, PARTIAL } = OUT_KIND;
const MAX_DESC = STATS - DESC;

/**
 * Number of chunks a kernel is cut into: a function of the kernel only (never of the pool), so
 * results of reductions over the split axis do not depend on the thread count or on timing.
 *
 * @example
 * ```ts
 * import { chunkCount } from "./parallel.ts";
 * chunkCount({
 *   extent: 1e6, work: 5e8, kinds: [], reduce: [], termsPerIter: 1, blocked: false,
 * }, []); // 954
 * ```
 */
export function chunkCount(s: SplitInfo, outSizes: number[]): number {
  if (s.blocked && s.work < BLOCK_WORK) return 1;
  let n = Math.min(s.extent, 4096, Math.max(8, Math.ceil(s.work / CHUNK_WORK)));
  const partialBytes = s.kinds.reduce(
    (t, k, j) => t + (k === "partial" ? align8(outSizes[j] * 8) : 0),
    0,
  );
  if (partialBytes > 0) n = Math.min(n, Math.floor(MAX_PARTIAL_BYTES / partialBytes));
  return Math.max(1, n);
}

/**
 * Timings of one compiled kernel's runs with and without the pool, for choosing between them
 * ({@link runSplit}). Results do not depend on the choice (chunks are fixed), so it may follow
 * timing: on a loaded machine a split run can lose badly (every hand-over to a worker is a
 * chance for the scheduler to run something else for milliseconds), and then the kernel stops
 * using the pool, trying it again every {@link PROBE_EVERY} calls.
 *
 * @example
 * ```ts
 * import { splitTimings } from "./parallel.ts";
 * const t = splitTimings(); // one per compiled kernel
 * ```
 */
export interface SplitTimings {
  /** Recent times (ms) of pool runs (the first, which starts workers, is not kept)... */
  pool: number[];
  /** ... and of runs on the calling thread. */
  local: number[];
  /** Runs that qualified for the pool. */
  calls: number;
}

/**
 * Empty {@link SplitTimings}.
 *
 * @example
 * ```ts
 * import { splitTimings } from "./parallel.ts";
 * console.log(splitTimings().calls); // 0
 * ```
 */
export function splitTimings(): SplitTimings {
  return { pool: [], local: [], calls: 0 };
}

/** Samples kept per mode; runs per mode before choosing; runs between probes of the other. */
const KEEP = 5, EXPLORE = 3, PROBE_EVERY = 16;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Whether the next qualifying run of a kernel should use the pool. */
function choosePool(t: SplitTimings): boolean {
  t.calls++;
  // Explore: alternate until each mode has EXPLORE samples (the pool's first run is a warm-up).
  if (t.pool.length < EXPLORE || t.local.length < EXPLORE) {
    return t.calls === 1 || t.pool.length <= t.local.length;
  }
  const pool = median(t.pool) <= median(t.local);
  return t.calls % PROBE_EVERY === 0 ? !pool : pool;
}

function record(xs: number[], ms: number): void {
  xs.push(ms);
  if (xs.length > KEEP) xs.shift();
}

/**
 * Runs a kernel (`fn`, the whole loop nest) into `outputs`: in fixed chunks split across the
 * pool when that pays (large work, more than one thread, workers available and idle, and — for
 * kernels run repeatedly — faster than one thread, per `timings`), otherwise on the calling
 * thread, whole or, for {@link SplitInfo.blocked} kernels, in the same chunks. `code` is asked
 * for the code workers run only when the kernel does split. `minWork: 0` splits every kernel
 * that can be split, whatever the timings (tests).
 *
 * @example
 * ```ts ignore
 * import { runSplit, splitTimings } from "./parallel.ts";
 * const outs = runSplit(fn, () => code, split, inputs, outputs, {}, splitTimings());
 * ```
 */
export function runSplit(
  fn: KernelFn,
  code: () => SplitCode,
  split: SplitInfo,
  inputs: readonly TypedArray[],
  outputs: TypedArray[],
  opts: { threads?: number; minWork?: number },
  timings: SplitTimings,
): TypedArray[] {
  const threads = opts.threads ?? config.threads;
  const minWork = opts.minWork ?? config.minWork;
  if (
    !split.blocked && (threads < 2 || split.extent < 2 || split.work < minWork)
  ) {
    // The common case (small kernels): no chunks, nothing to decide.
    fn(inputs, outputs);
    return outputs;
  }
  const nTerms = split.kinds.filter((k) => k === "terms").length;
  const n0 = nTerms ? 0 : chunkCount(split, outputs.map((o) => o.length));
  const local = () => {
    if (split.blocked && n0 >= 2) return runChunks(fn, split, n0, inputs, outputs, null);
    fn(inputs, outputs);
    return outputs;
  };
  if (threads < 2 || split.extent < 2 || split.work < minWork) return local();
  if (minWork > 0) {
    // Memory-bound kernels lose to the copies in and out of the arena (and the stored terms).
    let bytes = inputs.reduce((t, a) => t + a.byteLength, 0);
    outputs.forEach((a, j) => {
      if (split.kinds[j] === "direct") bytes += a.byteLength;
      // Terms are written once; their replay overlaps the next round's computation. (W1's
      // exact gradient kernel, 47 units per point against 24 bytes of inputs and 16 of terms,
      // gains 1.6×.)
      if (split.kinds[j] === "terms") bytes += 8 * split.termsPerIter * split.extent;
    });
    if (split.work < MIN_WORK_PER_BYTE * bytes) return local();
  }
  if (inputs.length * 3 + outputs.length * 5 > MAX_DESC) return local();
  if (!nTerms && n0 < 2) return local();
  const p = getPool(threads);
  if (!p) return local();
  const c = code();
  if (c.bytes > SRC_BYTES) return local();
  const adaptive = minWork > 0;
  const t0 = performance.now();
  if (adaptive && !choosePool(timings)) {
    local();
    record(timings.local, performance.now() - t0);
    return outputs;
  }
  // Forced splitting (tests) waits for a busy worker rather than running on one thread.
  const patient = minWork === 0;
  if (!idle(p, patient)) return local();
  const done = nTerms
    ? runTermRounds(p, c, split, inputs, outputs, threads, patient)
    : runChunks(fn, split, n0, inputs, outputs, { p, c, patient });
  if (!done) return local(); // a worker's chunk failed: outputs untouched
  // The first pool run of a kernel compiles it in the workers: not a sample.
  if (adaptive && timings.calls > 1) record(timings.pool, performance.now() - t0);
  return outputs;
}

/**
 * Runs a kernel without stored terms as `n` chunks, in chunk order on the calling thread
 * (`pool` null) or shared with the pool's workers. The calling thread writes its chunks straight
 * into `outputs` (partial results into its own buffer); workers write theirs into the arena,
 * copied out afterwards. Chunks a worker still holds when nothing is left to take are waited for
 * about one chunk's time, then computed here. Partial results are combined in chunk order.
 */
function runChunks(
  fn: KernelFn,
  split: SplitInfo,
  n: number,
  inputs: readonly TypedArray[],
  outputs: TypedArray[],
  pool: { p: Pool; c: SplitCode; patient: boolean } | null,
): TypedArray[] {
  const E = split.extent;
  const parts = outputs.map((o, j) =>
    split.kinds[j] === "partial" ? new Float64Array(n * o.length) : null
  );
  const mine = new Uint8Array(n);
  const runHere = (k: number) => {
    const [lo, hi] = chunkRange(k, n, 0, E);
    const outs = outputs.map((o, j) => {
      const part = parts[j];
      return part ? part.subarray(k * o.length, (k + 1) * o.length) : o;
    });
    fn(inputs, outs, lo, hi);
    mine[k] = 1;
  };
  if (!pool) {
    for (let k = 0; k < n; k++) runHere(k);
  } else {
    const { p, c, patient } = pool;
    const ctl = p.ctl;
    // Arena layout: inputs, then outputs (direct ones whole, partial ones n times).
    const { inOff, size: inBytes } = inputLayout(inputs);
    let size = inBytes;
    const outs: OutDesc[] = outputs.map((a, j) => {
      const offset = size;
      if (split.kinds[j] === "partial") {
        const stride = align8(a.length * 8);
        size += stride * n;
        return { code: 1, offset, length: a.length, stride, kind: PARTIAL, view: null };
      }
      size = align8(size + a.byteLength);
      return { code: codeOf(a), offset, length: a.length, stride: 0, kind: DIRECT, view: null };
    });
    if (size > ARENA_MAX) {
      for (let k = 0; k < n; k++) runHere(k);
      return combine(split, n, outputs, parts);
    }
    const id = publish(p, () => {
      writeJob(p, c, inputs, inOff, size, outputs.length);
      let d = DESC + 3 * inputs.length;
      for (const o of outs) {
        if (o.kind === DIRECT) o.view = sharedView(p.arena, o.code, o.offset, o.length);
        ctl.set([o.code, o.offset, o.length, o.stride, o.kind], d);
        d += 5;
      }
      ctl[FROM] = 0;
      ctl[TO] = E;
      ctl[NCHUNKS] = n;
    }, patient);
    if (id === 0) {
      // A worker is still inside an earlier job: nothing was published, run every chunk here.
      for (let k = 0; k < n; k++) runHere(k);
      return combine(split, n, outputs, parts);
    }
    const t0 = performance.now();
    let here = 0;
    for (let k; (k = Atomics.add(ctl, NEXT, 1)) < n; here++) runHere(k);
    // Chunks the workers hold: wait about one chunk's time, then do the unfinished ones here.
    if (Atomics.load(ctl, DONE) < n - here) {
      const end = performance.now() + Math.max(0.05, here ? (performance.now() - t0) / here : 1);
      for (let done, now; (done = Atomics.load(ctl, DONE)) < n - here;) {
        if ((now = performance.now()) >= end) break;
        Atomics.wait(ctl, DONE, done, end - now);
      }
    }
    for (let k = 0; k < n; k++) {
      if (mine[k]) continue;
      if (Atomics.load(ctl, CHUNK_DONE + k) !== id) {
        runHere(k);
        continue;
      }
      const [lo, hi] = chunkRange(k, n, 0, E);
      outputs.forEach((out, j) => {
        const o = outs[j];
        if (o.kind === DIRECT) {
          const s = out.length / E;
          out.set(o.view!.subarray(lo * s, hi * s), lo * s);
        } else {
          parts[j]!.set(new Float64Array(p.arena, o.offset + k * o.stride, o.length), k * o.length);
        }
      });
    }
  }
  return combine(split, n, outputs, parts);
}

/** Combines per-chunk partial results in chunk order into the reduce outputs. */
function combine(
  split: SplitInfo,
  n: number,
  outputs: TypedArray[],
  parts: (Float64Array | null)[],
): TypedArray[] {
  outputs.forEach((out, j) => {
    const part = parts[j];
    if (!part) return;
    const op = split.reduce[j]!;
    const len = out.length;
    for (let e = 0; e < len; e++) {
      let acc = reduceInit(op);
      for (let k = 0; k < n; k++) acc = reduceStep(op, acc, part[k * len + e]);
      out[e] = acc;
    }
  });
  return outputs;
}
