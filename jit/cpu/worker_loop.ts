/**
 * The CPU pool's shared-memory protocol and its workers' side: the control block's layout, how a
 * job's inputs and outputs are described in it, and the loop each worker runs (`workerLoop`, the
 * body of `cpu_worker.ts`). The main thread's side is `cpu_parallel.ts`.
 *
 * This module and what it imports run inside workers (bundled into `cpu_worker_source.ts`):
 * keep it free of anything that only the main thread needs.
 *
 * @module
 */
import type { TypedArray } from "../../core/dtype.ts";

/**
 * A kernel function as generated: the whole loop nest, or with `lo`/`hi` only the iterations
 * `[lo, hi)` of the outermost loop.
 *
 * @example
 * ```ts
 * import type { KernelFn } from "./worker_loop.ts";
 * const double: KernelFn = (ins, outs, lo = 0, hi = ins[0].length) => {
 *   for (let i = lo; i < hi; i++) outs[0][i] = 2 * ins[0][i];
 * };
 * ```
 */
export type KernelFn = (
  ins: readonly TypedArray[],
  outs: TypedArray[],
  lo?: number,
  hi?: number,
) => void;

/**
 * Slots of the control block (an `Int32Array` over shared memory), the same for every thread.
 *
 * - `GEN`: job generation, odd while the main thread writes a job, even when it is ready.
 * - `NEXT`, `DONE`: next chunk to take, chunks finished. `ACTIVE`: workers inside a job.
 * - `NCHUNKS`, `FROM`, `TO`: the job's chunks and its range of the split loop. `KID`, `SRCLEN`:
 *   kernel id (the workers' source cache key) and bytes of source in the source area.
 * - `NIN`, `NOUT`: inputs and outputs described from `DESC` on: inputs (dtype, offset, length),
 *   outputs (dtype, offset, length, stride, kind).
 * - `FAILED`: set by a worker whose chunk threw (a job whose terms must all come from the arena is
 *   discarded; other jobs redo that chunk on the main thread).
 * - `JOB`: the job's id, which a worker writes to `CHUNK_DONE + c` once chunk `c` is in the arena
 *   (so the main thread can tell finished chunks from chunks a descheduled worker still holds).
 * - `STARTED`: workers that have received their buffers and entered the loop.
 * - `STATS + i`: chunks worker `i` ran.
 *
 * @example
 * ```ts
 * import { CTL } from "./worker_loop.ts";
 * const ctl = new Int32Array(new SharedArrayBuffer(CTL.INTS * 4));
 * console.log(Atomics.load(ctl, CTL.STARTED)); // 0
 * ```
 */
export const CTL = {
  GEN: 0,
  NEXT: 1,
  DONE: 2,
  ACTIVE: 3,
  NCHUNKS: 4,
  KID: 5,
  SRCLEN: 6,
  NIN: 7,
  NOUT: 8,
  FROM: 9,
  TO: 10,
  FAILED: 11,
  STARTED: 12,
  JOB: 13,
  DESC: 16,
  STATS: 4096,
  /** Most workers (one `STATS` slot each). */
  MAX_WORKERS: 63,
  /** Per chunk (at most 4096): id of the last job whose chunk a worker finished. */
  CHUNK_DONE: 4096 + 64,
  /** Length of the control block. */
  INTS: 4096 + 64 + 4096,
} as const;

/**
 * Output kinds in descriptors: written directly, one partial result per chunk, or stored terms.
 *
 * @example
 * ```ts
 * import { OUT_KIND } from "./worker_loop.ts";
 * console.log(OUT_KIND.TERMS); // 2
 * ```
 */
export const OUT_KIND = { DIRECT: 0, PARTIAL: 1, TERMS: 2 } as const;

const { GEN, NEXT, DONE, ACTIVE, NCHUNKS, KID, SRCLEN, NIN, NOUT, FROM, TO, FAILED } = CTL;
const { STARTED, DESC, STATS, JOB, CHUNK_DONE } = CTL;
const { DIRECT, PARTIAL } = OUT_KIND;

/**
 * A typed-array view of `dtype` over shared memory (worker side and main side agree on codes).
 *
 * @example
 * ```ts
 * import { sharedView } from "./worker_loop.ts";
 * const v = sharedView(new SharedArrayBuffer(16), 0, 0, 4); // Float32Array(4)
 * ```
 */
export function sharedView(
  buf: SharedArrayBuffer,
  code: number,
  offset: number,
  length: number,
): TypedArray {
  switch (code) {
    case 0:
      return new Float32Array(buf, offset, length);
    case 1:
      return new Float64Array(buf, offset, length);
    case 2:
      return new Int32Array(buf, offset, length);
    default:
      return new Uint8Array(buf, offset, length);
  }
}

/**
 * Runs one worker's share of published jobs forever (the body of `cpu_worker.ts`).
 *
 * @example
 * ```ts ignore
 * import { workerLoop } from "./worker_loop.ts";
 * import { CPU_HELPERS } from "./codegen.ts";
 * workerLoop(ctl, src, arena, 0, CPU_HELPERS); // never returns
 * ```
 */
export function workerLoop(
  ctlBuf: SharedArrayBuffer,
  srcBuf: SharedArrayBuffer,
  arena: SharedArrayBuffer,
  index: number,
  helpers: Record<string, unknown>,
): never {
  const ctl = new Int32Array(ctlBuf);
  const src = new Uint8Array(srcBuf);
  const cache = new Map<number, KernelFn>();
  const decoder = new TextDecoder();
  let seen = Atomics.load(ctl, GEN);
  Atomics.add(ctl, STARTED, 1);
  for (;;) {
    Atomics.wait(ctl, GEN, seen);
    const g = Atomics.load(ctl, GEN);
    if (g === seen) continue;
    seen = g;
    if (g & 1) continue; // being written: wait for the next even generation
    Atomics.add(ctl, ACTIVE, 1);
    // Joined in time only if no newer job started meanwhile (the main thread waits for ACTIVE to
    // drop to 0 before rewriting the descriptors, so this job's descriptors stay valid).
    if (Atomics.load(ctl, GEN) === g) {
      const kid = ctl[KID];
      let fn = cache.get(kid);
      if (!fn) {
        // TextDecoder does not accept views of shared memory: copy the bytes first.
        const text = decoder.decode(src.slice(0, ctl[SRCLEN]));
        fn = new Function("H", text)(helpers) as KernelFn;
        cache.set(kid, fn);
      }
      const job = readJob(ctl, arena);
      let c: number;
      while ((c = Atomics.add(ctl, NEXT, 1)) < job.n) {
        // A chunk that throws must still count as done, or the main thread would wait forever;
        // FAILED makes it discard the job or redo the chunk (it is not marked in CHUNK_DONE).
        try {
          runChunk(fn, job, c);
          Atomics.store(ctl, CHUNK_DONE + c, job.id);
        } catch {
          Atomics.store(ctl, FAILED, 1);
        }
        ctl[STATS + index]++;
        Atomics.add(ctl, DONE, 1);
        Atomics.notify(ctl, DONE);
      }
    }
    Atomics.sub(ctl, ACTIVE, 1);
    Atomics.notify(ctl, ACTIVE);
  }
}

/**
 * An output of a job: where it lives in the arena and how chunks address it.
 *
 * @example
 * ```ts
 * import type { OutDesc } from "./worker_loop.ts";
 * const o: OutDesc = { code: 1, offset: 0, length: 4, stride: 0, kind: 0, view: null };
 * ```
 */
export interface OutDesc {
  code: number;
  offset: number;
  /** Elements (TERMS: elements per iteration of the split loop). */
  length: number;
  /** Bytes between chunks (PARTIAL) or between iterations of the split loop (TERMS). */
  stride: number;
  kind: number;
  /** The whole output (DIRECT). */
  view: TypedArray | null;
}

/**
 * A job as a thread sees it: `n` chunks over `[from, to)` of the split loop, inputs and outputs
 * in the arena `buf`.
 *
 * @example
 * ```ts
 * import type { Job } from "./worker_loop.ts";
 * const job: Job = {
 *   id: 1, n: 1, from: 0, to: 0, ins: [], outs: [], buf: new SharedArrayBuffer(8),
 * };
 * ```
 */
export interface Job {
  /** The job's id (`CTL.JOB`). */
  id: number;
  n: number;
  from: number;
  to: number;
  ins: TypedArray[];
  outs: OutDesc[];
  buf: SharedArrayBuffer;
}

function readJob(ctl: Int32Array, buf: SharedArrayBuffer): Job {
  let p = DESC;
  const ins: TypedArray[] = [];
  for (let i = 0; i < ctl[NIN]; i++, p += 3) {
    ins.push(sharedView(buf, ctl[p], ctl[p + 1], ctl[p + 2]));
  }
  const outs: OutDesc[] = [];
  for (let j = 0; j < ctl[NOUT]; j++, p += 5) {
    const [code, offset, length, stride, kind] = ctl.subarray(p, p + 5);
    const view = kind === DIRECT ? sharedView(buf, code, offset, length) : null;
    outs.push({ code, offset, length, stride, kind, view });
  }
  return { id: ctl[JOB], n: ctl[NCHUNKS], from: ctl[FROM], to: ctl[TO], ins, outs, buf };
}

/**
 * Chunk `c` of `n` over `[from, to)`: the iterations of the split loop it covers.
 *
 * @example
 * ```ts
 * import { chunkRange } from "./worker_loop.ts";
 * console.log(chunkRange(1, 4, 0, 10)); // [2, 5]
 * ```
 */
export function chunkRange(c: number, n: number, from: number, to: number): [number, number] {
  const e = to - from;
  return [from + Math.floor((c * e) / n), from + Math.floor(((c + 1) * e) / n)];
}

/**
 * Runs chunk `c` of a job (on a worker, or on the main thread for the chunks it takes).
 *
 * @example
 * ```ts ignore
 * import { runChunk } from "./worker_loop.ts";
 * runChunk(kernel, job, 0);
 * ```
 */
export function runChunk(fn: KernelFn, job: Job, c: number): void {
  const [lo, hi] = chunkRange(c, job.n, job.from, job.to);
  const outs = job.outs.map((o) =>
    o.kind === DIRECT
      ? o.view!
      : o.kind === PARTIAL
      ? sharedView(job.buf, o.code, o.offset + c * o.stride, o.length)
      : sharedView(job.buf, o.code, o.offset + (lo - job.from) * o.stride, (hi - lo) * o.length)
  );
  fn(job.ins, outs, lo, hi);
}
