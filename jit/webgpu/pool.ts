/**
 * The WebGPU buffer pool: freed buffers kept for reuse by later allocations of the same size
 * class, bounded in bytes and trimmed when idle.
 *
 * Creating a buffer costs far more than reusing one (a jitted call allocates its outputs and
 * temporaries every time), so freed buffers wait here. Two limits keep the pool from holding memory
 * nobody uses: at most `maxBytes` bytes (the least recently freed buffers are destroyed first), and
 * buffers unused for `maxIdleMs` are destroyed — when the pool is next used, or by an unref'd timer
 * (which does not keep the process alive) when it is not.
 *
 * Destruction is deferred to a microtask: a buffer freed while a command encoder still refers to it
 * (temporaries are released as soon as their last kernel is encoded) must not be destroyed before
 * that encoder is submitted, and every encoder is submitted before its code yields.
 *
 * @module
 */

/**
 * Limits of the WebGPU buffer pool.
 *
 * @example
 * ```ts
 * import type { BufferPoolLimits } from "./pool.ts";
 * const limits: BufferPoolLimits = { maxBytes: 64 * 2 ** 20, maxIdleMs: 2000 };
 * ```
 */
export interface BufferPoolLimits {
  /** Most bytes of free buffers kept (default 256 MiB); 0 keeps none. */
  maxBytes: number;
  /** Free buffers unused this long (milliseconds, default 5000) are destroyed. */
  maxIdleMs: number;
}

interface Entry {
  buffer: GPUBuffer;
  /** When the buffer was freed (`performance.now()`). */
  since: number;
}

/**
 * Free GPU buffers by size, least recently freed first.
 *
 * @example
 * ```ts
 * import { BufferPool } from "./pool.ts";
 * const pool = new BufferPool({ maxBytes: 1 << 20, maxIdleMs: 1000 });
 * declare const buf: GPUBuffer;
 * pool.put(buf);
 * pool.take(buf.size) === buf; // true
 * ```
 */
export class BufferPool {
  /** Free buffers per size; each list oldest first (puts append, takes pop the newest). */
  #bySize = new Map<number, Entry[]>();
  /** Every free buffer, oldest first (a Set iterates in insertion order). */
  #all = new Set<Entry>();
  #bytes = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #limits: BufferPoolLimits;

  /** A pool with the given limits. */
  constructor(limits: BufferPoolLimits) {
    this.#limits = { ...limits };
  }

  /** The current limits. */
  get limits(): BufferPoolLimits {
    return { ...this.#limits };
  }
  /** Changes the limits (and applies them now). */
  set limits(l: BufferPoolLimits) {
    for (const [k, v] of Object.entries(l)) {
      if (!(typeof v === "number" && v >= 0)) {
        throw new RangeError(`webgpu buffer pool: ${k} must be a number ≥ 0, got ${v}`);
      }
    }
    this.#limits = { ...l };
    this.#trim(performance.now());
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#schedule();
  }
  /** Number of free buffers. */
  get count(): number {
    return this.#all.size;
  }
  /** Bytes of free buffers. */
  get bytes(): number {
    return this.#bytes;
  }

  /** A free buffer of exactly `size` bytes, or undefined. */
  take(size: number): GPUBuffer | undefined {
    this.#trim(performance.now());
    const e = this.#bySize.get(size)?.pop();
    if (!e) return undefined;
    this.#all.delete(e);
    this.#bytes -= size;
    return e.buffer;
  }

  /** Keeps a freed buffer for reuse (or destroys it, when over the byte limit). */
  put(buffer: GPUBuffer): void {
    const e = { buffer, since: performance.now() };
    let list = this.#bySize.get(buffer.size);
    if (!list) this.#bySize.set(buffer.size, list = []);
    list.push(e);
    this.#all.add(e);
    this.#bytes += buffer.size;
    this.#trim(e.since);
    this.#schedule();
  }

  /** Destroys every free buffer unused for `idleMs` milliseconds (all of them by default). */
  trim(idleMs = 0): void {
    this.#trim(performance.now(), idleMs);
  }

  #trim(now: number, idleMs = this.#limits.maxIdleMs): void {
    for (const e of this.#all) {
      if (this.#bytes <= this.#limits.maxBytes && now - e.since < idleMs) break;
      this.#evict(e);
    }
  }

  /** Removes the oldest entry `e` and destroys its buffer once the current job is done. */
  #evict(e: Entry): void {
    this.#all.delete(e);
    const list = this.#bySize.get(e.buffer.size)!;
    list.shift(); // the oldest of its size, as `e` is the oldest of all
    if (list.length === 0) this.#bySize.delete(e.buffer.size);
    this.#bytes -= e.buffer.size;
    queueMicrotask(() => e.buffer.destroy());
  }

  /** Arms a timer to trim idle buffers when nothing else touches the pool. */
  #schedule(): void {
    if (this.#timer !== null || this.#all.size === 0) return;
    const oldest = this.#all.values().next().value!;
    const wait = Math.max(0, oldest.since + this.#limits.maxIdleMs - performance.now()) + 1;
    const timer = setTimeout(() => {
      this.#timer = null;
      this.#trim(performance.now());
      this.#schedule();
    }, wait);
    // An idle pool must not keep the process alive.
    if (typeof Deno !== "undefined") Deno.unrefTimer(timer);
    this.#timer = timer;
  }
}
