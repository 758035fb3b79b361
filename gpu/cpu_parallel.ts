/**
 * Parallel CPU kernels: a compiled kernel's outermost loop split across a small pool of workers
 * (`node:worker_threads`, one per extra core), synchronously from the caller's point of view.
 * This is the main thread's side; the shared-memory protocol and the workers' loop are in
 * `cpu_worker_loop.ts`, starting workers in `cpu_threads.ts`.
 *
 * Why this shape:
 *
 * - **Synchronous.** `jit` calls return arrays, not promises, so a call cannot await workers. The
 *   main thread publishes a job, takes chunks itself, then blocks in `Atomics.wait` (allowed on
 *   Deno's main thread) until the chunks the workers took are done.
 * - **Work stealing, no dependence on workers.** The outer loop is cut into chunks that fixed
 *   boundaries (a function of the kernel, not of the pool) define; whoever is awake takes the next
 *   one from a shared counter. A worker still starting up (Deno loads a worker's modules while the
 *   main thread runs) simply takes none, so a job never waits for a worker that is not running.
 *   Reductions over the split axis produce one partial result per chunk, combined by the main
 *   thread in chunk order: the result does not depend on which thread ran which chunk.
 * - **Exact sums stay exact.** Where partial sums would change bits the precision promises
 *   (float32 in `exact`, float64 always), chunks store every term instead, and the main thread
 *   adds them in the one-thread order ({@link ReplayFn}), in rounds of at most 4 MB of terms. The
 *   expensive part (W1: the normal CDFs) runs in parallel; the replay is one add per term.
 * - **Shared memory only, no messages after start-up.** Workers block in `Atomics.wait`, so they
 *   cannot receive messages; everything a job needs is in three `SharedArrayBuffer`s posted once:
 *   a control block (job descriptor, counters), a source area (the generated kernel source, which
 *   a worker compiles with `new Function` once per kernel id and caches) and a growable data arena
 *   (inputs copied in, outputs and partial results written there, copied out afterwards; copying
 *   costs ~0.1 ms per MB, under 2% of W1's time, and keeps every array the rest of zgrad sees an
 *   ordinary typed array).
 * - **Never keeps the process alive.** Workers are `unref`'d and need no cleanup: processes and
 *   `deno test` exit with them parked in `Atomics.wait` (and the test sanitizers see no pending
 *   op, since no message listener remains on the main thread after start-up).
 * - **Starts wherever it can.** Workers run a bundled copy of `cpu_worker.ts` from a `data:` or
 *   `blob:` URL (`cpu_threads.ts`), so they start when zgrad is imported by `https://` URL,
 *   without `--allow-read`, or from a bundle. Where they cannot (no `SharedArrayBuffer`: a
 *   browser page that is not cross-origin isolated; a browser's main thread, which may not block)
 *   every kernel quietly runs on one thread, and {@link cpuPoolStats} (`inspect()`,
 *   `memoryStats()`) says why. On a machine whose other cores are busy, splitting gains nothing and the copies
 *   (and, for exact sums, the stored terms) cost up to ~20%: `configureCpuParallel({ threads: 1 })`.
 *
 * @module
 */
import type { TypedArray } from "../core/dtype.ts";
import { startWorker, threadsUnavailable } from "./cpu_threads.ts";
import {
  CTL,
  type Job,
  type KernelFn,
  OUT_KIND,
  type OutDesc,
  runChunk,
  sharedView,
} from "./cpu_worker_loop.ts";
import { reduceInit, type ReduceOp, reduceStep } from "./kernel_ir.ts";

// The kernel signature is defined with the protocol (workers call kernels too).
export type { KernelFn };

/**
 * Settings of the CPU worker pool, process-wide (read at every kernel call, so changing them takes
 * effect without recompiling).
 *
 * @example
 * ```ts
 * import type { CpuParallelConfig } from "./cpu_parallel.ts";
 * const c: CpuParallelConfig = { threads: 2, minWork: 3e5 };
 * ```
 */
export interface CpuParallelConfig {
  /**
   * Smallest estimated work (points × weighted operations per point) worth splitting; 0 splits
   * every kernel that can be split, whatever it costs (tests).
   */
  minWork: number;
  /** Threads sharing a kernel, the main thread included (1 = never split). */
  threads: number;
}

/**
 * Default smallest work to split. Measured on the 2-core bench machine (maps of 3e4–3e6 points):
 * a map with one `exp` per point (9.5 work units) gains from 3e4 points on (0.23 → 0.20 ms;
 * 1e6 points: 7.8 → 5.2 ms), one with `erfc`, `exp` and `logistic` (30 units) too (1.33 → 1.03
 * ms; 1e6: 45 → 24 ms).
 */
const DEFAULT_MIN_WORK = 3e5;
/**
 * Least work per byte copied through the arena for a split to pay. The same measurements: a
 * `neg` map (2.5 work units per point, 8 bytes copied) never gains (1e6 points: 0.75 → 1.04
 * ms), since copying costs ~0.1 ms per MB; an `exp` map (9.5 units, 8 bytes) gains 1.5×.
 */
const MIN_WORK_PER_BYTE = 1;

const config: CpuParallelConfig = {
  threads: Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 16)),
  minWork: DEFAULT_MIN_WORK,
};

/**
 * Reads or changes the pool settings; returns the settings in force before the call (so a caller
 * can restore them). `threads: 1` turns splitting off.
 *
 * @example
 * ```ts
 * import { configureCpuParallel } from "./cpu_parallel.ts";
 * const before = configureCpuParallel({ threads: 1 }); // single-threaded kernels
 * configureCpuParallel(before); // restore
 * ```
 */
export function configureCpuParallel(c: Partial<CpuParallelConfig> = {}): CpuParallelConfig {
  const before = { ...config };
  if (c.threads !== undefined) config.threads = Math.max(1, Math.floor(c.threads));
  if (c.minWork !== undefined) config.minWork = Math.max(0, c.minWork);
  return before;
}

const { GEN, NEXT, DONE, ACTIVE, NCHUNKS, KID, SRCLEN, NIN, NOUT, FROM, TO, FAILED } = CTL;
const { STARTED, DESC, STATS, MAX_WORKERS } = CTL;
const { DIRECT, PARTIAL, TERMS } = OUT_KIND;
const MAX_DESC = STATS - DESC;
const SRC_BYTES = 1 << 20;
/** Largest arena: Int32 byte offsets in the descriptors. */
const ARENA_MAX = 2 ** 31 - 8;

// --- Main-thread side.

interface Pool {
  ctl: Int32Array<SharedArrayBuffer>;
  src: Uint8Array<SharedArrayBuffer>;
  arena: SharedArrayBuffer;
  /** Workers created (running, starting, or failed). */
  workers: number;
  /** Most workers the pool may have (lowered when creating one failed). */
  limit: number;
  /** Kernel id whose source is in the source area. */
  srcKid: number;
  jobs: number;
  /** Workers that reported an error (their script failed), and the last such error. */
  failed: number;
  error: string | null;
}

let pool: Pool | null = null;
/** Why the pool cannot be used (set once workers turned out unable to start). */
let poolFailed: string | null = null;
const encoder = new TextEncoder();

/** The pool for `threads` threads (creating or growing it), or null when workers are unavailable. */
function getPool(threads: number): Pool | null {
  if (poolFailed !== null || threadsUnavailable() !== null) return null;
  if (!pool) {
    pool = {
      ctl: new Int32Array(new SharedArrayBuffer(CTL.INTS * 4)),
      src: new Uint8Array(new SharedArrayBuffer(SRC_BYTES)),
      arena: new SharedArrayBuffer(1 << 16, { maxByteLength: ARENA_MAX }),
      workers: 0,
      limit: MAX_WORKERS,
      srcKid: -1,
      jobs: 0,
      failed: 0,
      error: null,
    };
  }
  const p = pool;
  // Every worker failed before starting: no worker will ever take a chunk, so stop splitting
  // (each split would only add the copies through the arena).
  if (p.failed > 0 && p.failed === p.workers && Atomics.load(p.ctl, STARTED) === 0) {
    poolFailed = `worker threads failed to start: ${p.error}`;
    return null;
  }
  try {
    while (p.workers < Math.min(threads - 1, p.limit)) {
      const index = p.workers;
      startWorker({ ctl: p.ctl.buffer, src: p.src.buffer, arena: p.arena, index }, (why) => {
        p.error = why;
        p.failed++;
      });
      p.workers++;
    }
  } catch (e) {
    // Workers cannot be created here (a host policy, a resource limit): keep those that exist,
    // or run single-threaded.
    const why = `worker threads could not be created: ${e instanceof Error ? e.message : e}`;
    p.limit = p.workers;
    if (p.workers === 0) poolFailed = why;
    p.error = why;
    return p.workers > 0 ? p : null;
  }
  return p;
}

/**
 * The worker pool and the threads kernels use: how many threads a split kernel may use, workers
 * created and running, jobs split and chunks each worker ran (the calling thread runs the rest),
 * and, when kernels run on one thread, why. Tests use it to check that workers are reused and
 * actually take work; `jit(f).inspect()` and `memoryStats()` report it.
 *
 * @example
 * ```ts
 * import { cpuPoolStats } from "./cpu_parallel.ts";
 * const s = cpuPoolStats();
 * console.log(s.workers, s.unavailable); // 0 and null until a large kernel runs
 * ```
 */
export function cpuPoolStats(): CpuPoolStats {
  const configured = config.threads;
  const unavailable = threadsUnavailable() ?? poolFailed;
  if (!pool) {
    return { configured, workers: 0, running: 0, jobs: 0, workerChunks: [], unavailable };
  }
  const p = pool;
  return {
    configured,
    workers: p.workers,
    running: Atomics.load(p.ctl, STARTED),
    jobs: p.jobs,
    workerChunks: Array.from({ length: p.workers }, (_, i) => Atomics.load(p.ctl, STATS + i)),
    unavailable,
  };
}

/**
 * What {@link cpuPoolStats} reports.
 *
 * @example
 * ```ts
 * import type { CpuPoolStats } from "./cpu_parallel.ts";
 * const s: CpuPoolStats = {
 *   configured: 2, workers: 1, running: 1, jobs: 3, workerChunks: [12], unavailable: null,
 * };
 * ```
 */
export interface CpuPoolStats {
  /** Threads a split kernel may use, the calling thread included (`configureCpuParallel`). */
  configured: number;
  /** Worker threads created (started on the first kernel large enough to split). */
  workers: number;
  /** Workers that have started and take chunks of split kernels. */
  running: number;
  /** Kernels run split across the pool. */
  jobs: number;
  /** Chunks each worker ran (the calling thread ran the rest). */
  workerChunks: number[];
  /** Why kernels run on one thread (workers cannot start here); null when they can. */
  unavailable: string | null;
}

/**
 * One line on the threads kernels use ({@link cpuPoolStats} as text), for `inspect()` output.
 *
 * @example
 * ```ts
 * import { cpuPoolStats, describeCpuThreads } from "./cpu_parallel.ts";
 * console.log(describeCpuThreads(cpuPoolStats()));
 * ```
 */
export function describeCpuThreads(s: CpuPoolStats): string {
  if (s.unavailable !== null) return `1 thread (worker threads unavailable: ${s.unavailable})`;
  if (s.configured < 2) return "1 thread (threads: 1)";
  const chunks = s.workerChunks.reduce((t, c) => t + c, 0);
  return `up to ${s.configured} threads; ${s.running} of ${s.workers} worker(s) running, ` +
    `${s.jobs} split kernel run(s), ${chunks} chunk(s) run by workers`;
}

/**
 * How a compiled kernel may be split (computed once per kernel by the renderer).
 *
 * @example
 * ```ts
 * import type { SplitInfo } from "./cpu_parallel.ts";
 * const s: SplitInfo = {
 *   extent: 1000, work: 5e6, kinds: ["partial"], reduce: ["sum"], termsPerIter: 25,
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
}

/**
 * Accumulates stored terms of iterations `[lo, hi)` of the split loop into `accs` (one
 * `Float64Array` per reduce output), in the one-thread order.
 *
 * @example
 * ```ts
 * import type { ReplayFn } from "./cpu_parallel.ts";
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
 * import type { SplitCode } from "./cpu_parallel.ts";
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
  /** For `terms` outputs. */
  replay?: ReplayFn;
}

/** Target work per chunk: small enough to balance 2–16 threads, large enough to amortise a call. */
const CHUNK_WORK = 1 << 19;
/** Bound on partial results held in the arena (bytes). */
const MAX_PARTIAL_BYTES = 1 << 24;
/**
 * Bound on stored terms per round (bytes): a long loop runs as several rounds. Measured on W1
 * (200k events): 4 MB and 32 MB rounds run equally fast; the smaller keeps the arena small.
 */
const TERMS_BYTES = 1 << 22;

const align8 = (x: number) => (x + 7) & ~7;

/**
 * Number of chunks a kernel is cut into: a function of the kernel only (never of the pool), so
 * results of reductions over the split axis do not depend on the thread count or on timing.
 *
 * @example
 * ```ts
 * import { chunkCount } from "./cpu_parallel.ts";
 * chunkCount({ extent: 1e6, work: 5e8, kinds: [], reduce: [], termsPerIter: 1 }, []); // 954
 * ```
 */
export function chunkCount(s: SplitInfo, outSizes: number[]): number {
  let n = Math.min(s.extent, 4096, Math.max(8, Math.ceil(s.work / CHUNK_WORK)));
  const partialBytes = s.kinds.reduce(
    (t, k, j) => t + (k === "partial" ? align8(outSizes[j] * 8) : 0),
    0,
  );
  if (partialBytes > 0) n = Math.min(n, Math.floor(MAX_PARTIAL_BYTES / partialBytes));
  return n;
}

/**
 * Runs a kernel split across the pool when that pays (large work, more than one thread, workers
 * available); returns null when it should run single-threaded instead. `code` is asked for the
 * code to run only when the kernel does split.
 *
 * @example
 * ```ts ignore
 * import { runSplit } from "./cpu_parallel.ts";
 * const outs = runSplit(() => code, split, inputs, outputs, {}) ?? runSerially();
 * ```
 */
export function runSplit(
  code: () => SplitCode,
  split: SplitInfo,
  inputs: readonly TypedArray[],
  outputs: TypedArray[],
  opts: { threads?: number; minWork?: number },
): TypedArray[] | null {
  const threads = opts.threads ?? config.threads;
  const minWork = opts.minWork ?? config.minWork;
  if (threads < 2 || split.extent < 2 || split.work < minWork) return null;
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
    if (split.work < MIN_WORK_PER_BYTE * bytes) return null;
  }
  if (inputs.length * 3 + outputs.length * 5 > MAX_DESC) return null;
  const E = split.extent;
  const nTerms = split.kinds.filter((k) => k === "terms").length;
  // Rounds: terms of at most TERMS_BYTES per round; otherwise one round over the whole loop.
  const perIter = split.termsPerIter * 8;
  const roundIters = nTerms ? Math.max(1, Math.floor(TERMS_BYTES / (perIter * nTerms))) : E;
  // One round: chunks fixed by the kernel (partial results are combined in chunk order). Several
  // rounds (terms only, replayed in loop order whatever the chunks): chunks per round.
  const single = roundIters >= E;
  const n0 = single ? chunkCount(split, outputs.map((o) => o.length)) : 0;
  if (single && n0 < 2) return null;
  const roundChunks = (from: number, to: number) =>
    single ? n0 : Math.min(
      to - from,
      Math.max(
        4 * threads,
        Math.ceil(
          (split.work * (to - from)) / E / CHUNK_WORK,
        ),
      ),
    );
  // Layout: inputs, then outputs (partial ones n0 times, terms ones one round long, in float64).
  let size = 0;
  const inOff = inputs.map((a) => {
    const o = size;
    size = align8(size + a.byteLength);
    return o;
  });
  const outs: OutDesc[] = outputs.map((a, j) => {
    const offset = size;
    const kind = split.kinds[j];
    if (kind === "partial") {
      const stride = align8(a.length * 8);
      size += stride * n0;
      return { code: 1, offset, length: a.length, stride, kind: PARTIAL, view: null };
    }
    if (kind === "terms") {
      // Two regions when there are several rounds: workers fill one while the main thread
      // replays the other.
      size += align8(perIter * Math.min(roundIters, E)) * (single ? 1 : 2);
      return {
        code: 1,
        offset,
        length: split.termsPerIter,
        stride: perIter,
        kind: TERMS,
        view: null,
      };
    }
    size = align8(size + a.byteLength);
    return { code: codeOf(a), offset, length: a.length, stride: 0, kind: DIRECT, view: null };
  });
  if (size > ARENA_MAX) return null;
  const p = getPool(threads);
  if (!p) return null;
  const c = code();
  const bytes = encoder.encode(c.source);
  if (bytes.length > SRC_BYTES) return null;
  const ctl = p.ctl;

  /** Publishes a job: odd generation, wait for workers to leave the previous one, write, even. */
  const publish = (write: () => void) => {
    const g = Atomics.load(ctl, GEN);
    Atomics.store(ctl, GEN, g + 1);
    for (let a; (a = Atomics.load(ctl, ACTIVE)) !== 0;) Atomics.wait(ctl, ACTIVE, a, 5);
    write();
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, NEXT, 0);
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, GEN, g + 2);
    Atomics.notify(ctl, GEN);
    p.jobs++;
  };

  let ins: TypedArray[] = [];
  const accs = outputs.map((a, j) =>
    split.kinds[j] === "terms"
      ? new Float64Array(a.length).fill(reduceInit(split.reduce[j]!))
      : new Float64Array(0)
  );
  /** The outputs as round `r` addresses them (terms outputs alternate between two regions). */
  const outsOf = (r: number) =>
    outs.map((o) =>
      o.kind === TERMS && r % 2 ? { ...o, offset: o.offset + align8(perIter * roundIters) } : o
    );
  const replay = (r: number) => {
    const from = r * roundIters, to = Math.min(E, from + roundIters);
    const terms = outsOf(r).map((o) =>
      o.kind === TERMS ? new Float64Array(p.arena, o.offset, (to - from) * o.length) : accs[0]
    );
    c.replay!(terms, accs, from, to);
  };
  const rounds = Math.ceil(E / roundIters);
  for (let r = 0; r < rounds; r++) {
    const from = r * roundIters, to = Math.min(E, from + roundIters);
    const n = roundChunks(from, to);
    const rOuts = outsOf(r);
    publish(() => {
      let d = DESC;
      if (r === 0) {
        if (p.arena.byteLength < size) {
          p.arena.grow(Math.min(ARENA_MAX, Math.max(size, Math.floor(p.arena.byteLength * 1.5))));
        }
        if (p.srcKid !== c.kid) {
          p.src.set(bytes);
          ctl[SRCLEN] = bytes.length;
          ctl[KID] = c.kid;
          p.srcKid = c.kid;
        }
        ins = inputs.map((a, i) => {
          const v = sharedView(p.arena, codeOf(a), inOff[i], a.length);
          v.set(a);
          ctl[d++] = codeOf(a), ctl[d++] = inOff[i], ctl[d++] = a.length;
          return v;
        });
        // No clearing needed: a kernel writes every element of its outputs (maps at every
        // point, reductions through their accumulators), so each chunk overwrites its share.
        for (const o of outs) {
          if (o.kind === DIRECT) o.view = sharedView(p.arena, o.code, o.offset, o.length);
        }
        ctl[NIN] = inputs.length;
        ctl[NOUT] = outputs.length;
      }
      d = DESC + 3 * inputs.length;
      for (const o of rOuts) {
        ctl.set([o.code, o.offset, o.length, o.stride, o.kind], d);
        d += 5;
      }
      ctl[FROM] = from;
      ctl[TO] = to;
      ctl[NCHUNKS] = n;
    });
    // While the workers start on this round, the main thread replays the previous one.
    if (r > 0 && nTerms) replay(r - 1);
    // The main thread's share: whatever the workers have not taken.
    const job: Job = { n, from, to, ins, outs: rOuts, buf: p.arena };
    let k: number;
    while ((k = Atomics.add(ctl, NEXT, 1)) < n) {
      runChunk(c.fn, job, k);
      Atomics.add(ctl, DONE, 1);
    }
    for (let done; (done = Atomics.load(ctl, DONE)) < n;) Atomics.wait(ctl, DONE, done, 50);
    if (Atomics.load(ctl, FAILED)) return null; // outputs untouched: the caller runs serially
  }
  if (nTerms) replay(rounds - 1);

  // Results: copy maps out; combine partial reductions in chunk order; store replayed sums.
  outputs.forEach((out, j) => {
    const o = outs[j];
    if (o.kind === DIRECT) return out.set(o.view!);
    if (o.kind === TERMS) return out.set(accs[j]);
    const op = split.reduce[j]!;
    const step = o.stride / 8;
    const parts = new Float64Array(p.arena, o.offset, step * n0);
    for (let e = 0; e < out.length; e++) {
      let acc = reduceInit(op);
      for (let k = 0; k < n0; k++) acc = reduceStep(op, acc, parts[k * step + e]);
      out[e] = acc;
    }
  });
  return outputs;
}

function codeOf(a: TypedArray): number {
  return a instanceof Float32Array
    ? 0
    : a instanceof Float64Array
    ? 1
    : a instanceof Int32Array
    ? 2
    : 3;
}
