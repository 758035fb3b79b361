/**
 * The CPU worker pool: its settings (`configureCpuParallel`), creating its workers on first use
 * (`getPool`), and what it reports (`cpuPoolStats`). Running a kernel split across it is
 * `cpu_parallel.ts` (with the job plumbing here: publishing a job, copying its inputs in); the
 * shared-memory protocol is `cpu_worker_loop.ts`.
 *
 * @module
 */
import { startWorker, threadsUnavailable } from "./threads.ts";
import type { TypedArray } from "../../core/dtype.ts";
import { CTL, sharedView } from "./worker_loop.ts";
import type { SplitCode } from "./parallel.ts";

/**
 * Settings of the CPU worker pool, process-wide (read at every kernel call, so changing them takes
 * effect without recompiling).
 *
 * @example
 * ```ts
 * import type { CpuParallelConfig } from "./pool.ts";
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
export const MIN_WORK_PER_BYTE = 1;

/** The settings in force (read at every kernel call). */
export const config: CpuParallelConfig = {
  threads: Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 16)),
  minWork: DEFAULT_MIN_WORK,
};

/**
 * Reads or changes the pool settings; returns the settings in force before the call (so a caller
 * can restore them). `threads: 1` turns splitting off.
 *
 * @example
 * ```ts
 * import { configureCpuParallel } from "./pool.ts";
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

const { STARTED, STATS, MAX_WORKERS } = CTL;
/** Bytes of the source area (the generated source of the kernel a job runs). */
export const SRC_BYTES = 1 << 20;
/** Largest arena: Int32 byte offsets in the descriptors. */
export const ARENA_MAX = 2 ** 31 - 8;

// --- Main-thread side.

/**
 * The pool's shared buffers and bookkeeping (one per process).
 *
 * @example
 * ```ts ignore
 * import { getPool, type Pool } from "./pool.ts";
 * const p: Pool | null = getPool(2);
 * ```
 */
export interface Pool {
  /** The control block (`CTL`). */
  ctl: Int32Array<SharedArrayBuffer>;
  /** The source area. */
  src: Uint8Array<SharedArrayBuffer>;
  /** The data arena (grown as jobs need). */
  arena: SharedArrayBuffer;
  /** Workers created (running, starting, or failed). */
  workers: number;
  /** Most workers the pool may have (lowered when creating one failed). */
  limit: number;
  /** Kernel id whose source is in the source area. */
  srcKid: number;
  /** Jobs published (also the source of job ids). */
  jobs: number;
  /** Workers that reported an error (their script failed), and the last such error. */
  failed: number;
  /** The last error of a worker. */
  error: string | null;
}

let pool: Pool | null = null;
/** Why the pool cannot be used (set once workers turned out unable to start). */
let poolFailed: string | null = null;

/**
 * The pool for `threads` threads (creating or growing it), or null when workers are unavailable.
 *
 * @example
 * ```ts ignore
 * import { getPool } from "./pool.ts";
 * const p = getPool(2); // null where workers cannot start
 * ```
 */
export function getPool(threads: number): Pool | null {
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
 * import { cpuPoolStats } from "./pool.ts";
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
 * import type { CpuPoolStats } from "./pool.ts";
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
 * import { cpuPoolStats, describeCpuThreads } from "./pool.ts";
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

/** Target work per chunk: small enough to balance 2–16 threads, large enough to amortise a call. */
export const CHUNK_WORK = 1 << 19;
/** Longest wait (ms) for a worker to leave the previous job before running on one thread. */
const IDLE_WAIT_MS = 0.2;
const { GEN, NEXT, DONE, ACTIVE, KID, SRCLEN, NIN, NOUT, FAILED, DESC, JOB } = CTL;
const encoder = new TextEncoder();

/**
 * Rounds a byte offset up to a multiple of 8.
 *
 * @example
 * ```ts
 * import { align8 } from "./pool.ts";
 * console.log(align8(12)); // 16
 * ```
 */
export const align8 = (x: number): number => (x + 7) & ~7;

/**
 * Whether no worker is inside a job (waiting up to {@link IDLE_WAIT_MS} for one to leave, or as
 * long as it takes when `patient`: forced splitting in tests): a descheduled worker may hold the
 * arena's previous contents for milliseconds, and the next job must not rewrite them under it.
 *
 * @example
 * ```ts ignore
 * import { idle } from "./pool.ts";
 * const ok = idle(pool); // false: run on the calling thread instead
 * ```
 */
export function idle(p: Pool, patient = false): boolean {
  if (Atomics.load(p.ctl, ACTIVE) === 0) return true;
  const end = patient ? Infinity : performance.now() + IDLE_WAIT_MS;
  for (let a, now; (a = Atomics.load(p.ctl, ACTIVE)) !== 0;) {
    if ((now = performance.now()) >= end) return false;
    Atomics.wait(p.ctl, ACTIVE, a, Math.min(5, end - now));
  }
  return true;
}

/** Layout of a job's inputs in the arena: byte offsets, and the end. *
 * @example
 * ```ts ignore
 * import { inputLayout } from "./pool.ts";
 * const { inOff, size } = inputLayout([new Float32Array(3)]); // [0], 16
 * ```
 */
export function inputLayout(inputs: readonly TypedArray[]): { inOff: number[]; size: number } {
  let size = 0;
  const inOff = inputs.map((a) => {
    const o = size;
    size = align8(size + a.byteLength);
    return o;
  });
  return { inOff, size };
}

/**
 * Publishes a job: odd generation, wait for workers to leave the previous one (only a worker that
 * joined between {@link idle} and now, which leaves at once unless it is descheduled), write, even
 * generation. Returns the job's id, or 0 when that worker did not leave within
 * {@link IDLE_WAIT_MS}: then nothing is written (the previous job's descriptors stay, its chunks
 * all taken, so a worker joining it finds nothing to do) and the caller runs the kernel itself.
 *
 * @example
 * ```ts ignore
 * import { publish } from "./pool.ts";
 * const id = publish(pool, () => writeDescriptors());
 * ```
 */
export function publish(p: Pool, write: () => void, patient = false): number {
  const ctl = p.ctl;
  const g = Atomics.load(ctl, GEN);
  Atomics.store(ctl, GEN, g + 1);
  if (!idle(p, patient)) {
    Atomics.store(ctl, GEN, g + 2);
    Atomics.notify(ctl, GEN);
    return 0;
  }
  write();
  const id = (p.jobs & 0x3fffffff) + 1;
  Atomics.store(ctl, JOB, id);
  Atomics.store(ctl, FAILED, 0);
  Atomics.store(ctl, NEXT, 0);
  Atomics.store(ctl, DONE, 0);
  Atomics.store(ctl, GEN, g + 2);
  Atomics.notify(ctl, GEN);
  p.jobs++;
  return id;
}

/**
 * Writes the job-wide part of a descriptor: grows the arena, installs the source, copies the
 * inputs in. Returns the inputs' arena views.
 *
 * @example
 * ```ts ignore
 * import { writeJob } from "./pool.ts";
 * const ins = writeJob(pool, code, inputs, inOff, size, outputs.length);
 * ```
 */
export function writeJob(
  p: Pool,
  c: SplitCode,
  inputs: readonly TypedArray[],
  inOff: number[],
  size: number,
  nOut: number,
): TypedArray[] {
  const ctl = p.ctl;
  if (p.arena.byteLength < size) {
    p.arena.grow(Math.min(ARENA_MAX, Math.max(size, Math.floor(p.arena.byteLength * 1.5))));
  }
  if (p.srcKid !== c.kid) {
    const bytes = encoder.encode(c.source);
    p.src.set(bytes);
    ctl[SRCLEN] = bytes.length;
    ctl[KID] = c.kid;
    p.srcKid = c.kid;
  }
  let d = DESC;
  const ins = inputs.map((a, i) => {
    const v = sharedView(p.arena, codeOf(a), inOff[i], a.length);
    v.set(a);
    ctl[d++] = codeOf(a), ctl[d++] = inOff[i], ctl[d++] = a.length;
    return v;
  });
  ctl[NIN] = inputs.length;
  ctl[NOUT] = nOut;
  return ins;
}

/**
 * The dtype code of a typed array in job descriptors (`sharedView`'s codes).
 *
 * @example
 * ```ts
 * import { codeOf } from "./pool.ts";
 * console.log(codeOf(new Float64Array(1))); // 1
 * ```
 */
export function codeOf(a: TypedArray): number {
  return a instanceof Float32Array
    ? 0
    : a instanceof Float64Array
    ? 1
    : a instanceof Int32Array
    ? 2
    : 3;
}
