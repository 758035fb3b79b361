/**
 * The device buffers of one call of a WebGPU program: which buffer holds each plan buffer, and
 * which of them the call acquired (temporaries, literals and outputs) and so must give back to the
 * pool. Inputs belong to their arrays and outputs to the arrays the call returns; everything else
 * is released as soon as its last step is encoded (the pool defers destruction until the encoder is
 * submitted, `pool.ts`).
 *
 * @module
 */
import type { Plan } from "../plan.ts";
import { acquireBuffer, releaseBuffer, upload } from "./device.ts";
import { float64Error } from "./upload.ts";

/**
 * Plan buffer ids → device buffers for one call, with the ones the call owns.
 *
 * @example
 * ```ts
 * import { CallBuffers } from "./call_buffers.ts";
 * declare const plan: import("../plan.ts").Plan;
 * const buffers = new CallBuffers(plan);
 * buffers.uploadLiterals();
 * for (const b of plan.outputs) buffers.alloc(b);
 * buffers.releaseTemporaries();
 * ```
 */
export class CallBuffers {
  readonly #plan: Plan;
  readonly #env: (GPUBuffer | undefined)[];
  /** Buffers this call acquired (temporaries, literals and outputs). */
  readonly #owned = new Set<number>();
  readonly #outputs: ReadonlySet<number>;

  /** No buffers bound yet. */
  constructor(plan: Plan) {
    this.#plan = plan;
    this.#env = new globalThis.Array(plan.buffers.length);
    this.#outputs = new Set(plan.outputs);
  }

  /** The device buffer bound to plan buffer `b` (bound, allocated or uploaded before). */
  get(b: number): GPUBuffer {
    return this.#env[b]!;
  }

  /** Binds plan buffer `b` to a buffer the call does not own (an input's storage). */
  bind(b: number, buffer: GPUBuffer): void {
    this.#env[b] = buffer;
  }

  /** Uploads the plan's literal buffers (owned by the call, freed with the temporaries). */
  uploadLiterals(): void {
    for (const b of this.#plan.buffers) {
      if (b.source.kind === "literal") {
        if (b.aval.dtype === "float64") throw float64Error(`literal ${b.name}`, `${b.aval}`);
        this.#env[b.id] = upload(b.source.array.dataSync(), b.aval.dtype);
        this.#owned.add(b.id);
      }
    }
  }

  /**
   * The buffer of `b`, acquired from the pool unless it already has one (outputs may be allocated
   * up front).
   */
  alloc(b: number): GPUBuffer {
    const buf = this.#env[b] ?? acquireBuffer(this.#plan.buffers[b].aval.size * 4);
    this.#env[b] = buf;
    this.#owned.add(b);
    return buf;
  }

  /** Returns `b`'s buffer to the pool if the call owns it and it is no output. */
  free(b: number): void {
    const buf = this.#env[b];
    if (this.#owned.has(b) && !this.#outputs.has(b) && buf) {
      releaseBuffer(buf);
      this.#env[b] = undefined;
      this.#owned.delete(b);
    }
  }

  /** Frees every buffer the call still owns except its outputs (in the order acquired). */
  releaseTemporaries(): void {
    for (const b of [...this.#owned]) this.free(b);
  }
}
