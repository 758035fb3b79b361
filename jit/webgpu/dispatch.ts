/**
 * Encoding one call's kernels and kernel routines (which encode through the same
 * {@link CommandRecorder}). Every step goes into one command encoder and one compute pass,
 * submitted once at the end (llvmpipe pays ~11 ms per submit + readback round trip), or earlier
 * when a loop or host routine needs the work so far on the queue.
 *
 * @module
 */
import { allocate } from "../../core/dtype.ts";
import { sizeOf } from "../../core/shape.ts";
import type { PlanStep } from "../plan.ts";
import { reduceInit } from "../kernel_ir.ts";
import { acquireBuffer, releaseBuffer, writeHost } from "./device.ts";
import { pipelineFor } from "./pipelines.ts";
import type { RoutineEncoder } from "./routines.ts";
import type { BindingRef, WgslKernel, WgslPass } from "./wgsl.ts";
import type { CallBuffers } from "./call_buffers.ts";

/** A plan step that is a fused kernel. */
export type KernelStep = Extract<PlanStep, { kind: "kernel" }>;

/**
 * The open command encoder and compute pass of a call, and the scratch buffers its encoded passes
 * use (given back once they are submitted).
 *
 * @example
 * ```ts
 * import { webgpu } from "./device.ts";
 * import { CommandRecorder } from "./dispatch.ts";
 * const commands = new CommandRecorder(webgpu().device);
 * commands.scratch(1024); // released by the next submit
 * commands.submit();
 * ```
 */
export class CommandRecorder implements RoutineEncoder {
  readonly #device: GPUDevice;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  readonly #scratchToFree: GPUBuffer[] = [];

  /** Nothing encoded yet; the encoder is created by the first pass. */
  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** The open compute pass (with its encoder, opened on demand). */
  pass(): GPUComputePassEncoder {
    return this.#pass ??= (this.#encoder ??= this.#device.createCommandEncoder())
      .beginComputePass();
  }

  /** A pool buffer of at least `bytes` bytes, released after the next submit. */
  scratch(bytes: number): GPUBuffer {
    const b = acquireBuffer(bytes);
    this.#scratchToFree.push(b);
    return b;
  }

  /** Encodes one pass of a rendered kernel, its bindings given by `bufferOf`. */
  dispatch(p: WgslPass, bufferOf: (ref: BindingRef) => GPUBuffer): void {
    const pass = this.pass();
    const pipeline = pipelineFor(p.source);
    const entries = p.bindings.map((ref, i) => ({
      binding: i,
      resource: { buffer: bufferOf(ref) },
    }));
    const group = this.#device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(p.groups[0], p.groups[1]);
  }

  /** Ends the pass and submits what is encoded (if anything); a later step opens a new encoder. */
  submit(): void {
    if (this.#pass) this.#pass.end();
    if (this.#encoder) this.#device.queue.submit([this.#encoder.finish()]);
    this.#pass = null;
    this.#encoder = null;
    // Scratch buffers are reusable once their dispatches are submitted (queue order).
    for (const s of this.#scratchToFree.splice(0)) releaseBuffer(s);
  }
}

/**
 * Allocates a kernel step's outputs and encodes its passes (with their scratch buffers); a kernel
 * over an empty domain dispatches nothing and writes its reductions' initial values instead.
 *
 * @example
 * ```ts
 * import { encodeKernel } from "./dispatch.ts";
 * declare const args: Parameters<typeof encodeKernel>;
 * encodeKernel(...args);
 * ```
 */
export function encodeKernel(
  step: KernelStep,
  rendered: WgslKernel,
  buffers: CallBuffers,
  commands: CommandRecorder,
): void {
  for (const b of step.outputs) buffers.alloc(b);
  if (sizeOf(step.kernel.domain) === 0) {
    writeEmptyReductions(step, buffers);
    return;
  }
  const scratch = rendered.scratch.map((n) => commands.scratch(n * 4));
  const bufferOf = (ref: BindingRef) =>
    ref.kind === "input"
      ? buffers.get(step.inputs[ref.index])
      : ref.kind === "output"
      ? buffers.get(step.outputs[ref.index])
      : scratch[ref.index];
  for (const p of rendered.passes) commands.dispatch(p, bufferOf);
}

/** Empty domain: reductions are their initial values, maps are empty. */
function writeEmptyReductions(step: KernelStep, buffers: CallBuffers): void {
  step.kernel.outputs.forEach((o, j) => {
    const n = sizeOf(o.shape);
    if (o.kind !== "reduce" || n === 0) return;
    const init = allocate(o.dtype, n).fill(reduceInit(o.reduce!));
    writeHost(buffers.get(step.outputs[j]), init, o.dtype);
  });
}
