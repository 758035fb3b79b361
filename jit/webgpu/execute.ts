/**
 * Running a compiled WebGPU program on its arguments.
 *
 * A call whose steps are all kernels (or kernel routines: gather, scatter-add, cumsum) and whose
 * inputs are ready encodes everything and submits once, synchronously. Otherwise (loops, routines
 * run on the host, inputs still being produced) the call returns at once with output arrays whose
 * storage becomes ready when the program finishes: kernels up to a loop are submitted, then the
 * loop runs (`control_flow.ts`); for a host routine its operands are read back, its eager
 * implementation runs and its results are uploaded. `await x.data()` waits for the outputs, and
 * later programs using them wait too.
 *
 * @module
 */
import { ShapedArray } from "../../core/aval.ts";
import { DeviceArray } from "../../core/device_array.ts";
import type { Plan, PlanStep } from "../plan.ts";
import { fromDeviceLayout, readBuffer, webgpu, WebGpuStorage, writeHost } from "./device.ts";
import { CallBuffers } from "./call_buffers.ts";
import { CommandRecorder, encodeKernel } from "./dispatch.ts";
import type { DeviceRoutine } from "./routines.ts";
import { deviceStorageOf, float64Error } from "./upload.ts";
import type { WgslKernel } from "./wgsl.ts";

/**
 * What running needs of a compiled program.
 *
 * @example
 * ```ts
 * import type { CompiledSteps } from "./execute.ts";
 * declare const c: CompiledSteps;
 * console.log(c.hostSteps ? "asynchronous" : "one submit");
 * ```
 */
export interface CompiledSteps {
  /** The plan. */
  plan: Plan;
  /** The rendered kernel of each kernel step (null for routines). */
  kernels: readonly (WgslKernel | null)[];
  /** The device lowering of each routine step (null for kernels and routines run on the host). */
  routines: readonly (DeviceRoutine | null)[];
  /** Whether a step is a loop or runs on the host (then every call runs asynchronously). */
  hostSteps: boolean;
  /** The name of input `i` in errors. */
  inputName(i: number): string;
}

/**
 * Runs a compiled program: inputs may live on the CPU (uploaded) or on the device. The outputs
 * are device arrays, ready at once or when the program's asynchronous steps finish.
 *
 * @example
 * ```ts
 * import { runProgram } from "./execute.ts";
 * declare const program: import("./execute.ts").CompiledSteps;
 * declare const args: import("../../core/device_array.ts").DeviceArray[];
 * const outputs = runProgram(program, args);
 * ```
 */
export function runProgram(program: CompiledSteps, args: readonly DeviceArray[]): DeviceArray[] {
  const call = new ProgramCall(program, args);
  return program.hostSteps || call.waitsForInputs() ? call.runAsync() : call.runSync();
}

/** One call of a program: its arguments bound to device buffers, and its command encoder. */
class ProgramCall {
  readonly #program: CompiledSteps;
  readonly #plan: Plan;
  readonly #args: readonly DeviceArray[];
  readonly #buffers: CallBuffers;
  readonly #commands: CommandRecorder;
  /** The inputs' storage (uploaded if they lived on the CPU). */
  readonly #inputStorage: WebGpuStorage[];
  /** Inputs whose producing program has not finished yet. */
  readonly #waits: Promise<void>[] = [];

  /** Binds the inputs (uploading CPU arrays) and uploads the plan's literals. */
  constructor(program: CompiledSteps, args: readonly DeviceArray[]) {
    this.#program = program;
    this.#plan = program.plan;
    this.#args = args;
    this.#buffers = new CallBuffers(this.#plan);
    this.#commands = new CommandRecorder(webgpu().device);
    this.#inputStorage = this.#plan.inputs.map((b, i) => {
      const s = deviceStorageOf(args[i], program.inputName(i));
      this.#buffers.bind(b, s.buffer);
      if (s.ready) this.#waits.push(s.ready);
      return s;
    });
    this.#buffers.uploadLiterals();
  }

  /** Whether an input is still being produced by another program. */
  waitsForInputs(): boolean {
    return this.#waits.length > 0;
  }

  /** Encodes every step, submits once and returns outputs that are ready. */
  runSync(): DeviceArray[] {
    this.#plan.steps.forEach((_, k) => {
      this.#encodeStep(k);
      for (const b of this.#plan.freeAfter[k]) this.#buffers.free(b);
    });
    this.#commands.submit();
    this.#buffers.releaseTemporaries();
    return this.#wrapOutputs();
  }

  /**
   * Allocates the outputs now (the arrays returned own them) and fills them when the program
   * runs, once its inputs are ready.
   */
  runAsync(): DeviceArray[] {
    for (const b of this.#plan.outputs) {
      if (!this.#plan.inputs.includes(b)) this.#buffers.alloc(b);
    }
    const done = this.#runSteps();
    done.catch(() => {}); // failures surface when an output is read
    // The inputs are read after this call returns: disposing (or donating) one now must not hand
    // its buffer to other work before the program is done with it.
    for (const s of this.#inputStorage) s.holdUntil(done);
    return this.#wrapOutputs(done);
  }

  /**
   * Runs the steps in order once the inputs are ready: kernels are encoded, and the work so far is
   * submitted before each loop or host routine. Frees the call's temporaries at the end.
   */
  async #runSteps(): Promise<void> {
    await Promise.all(this.#waits);
    const { plan, routines } = this.#program;
    for (let k = 0; k < plan.steps.length; k++) {
      const s = plan.steps[k];
      const r = routines[k];
      if (s.kind === "kernel" || r?.kind === "kernel") {
        this.#encodeStep(k);
      } else if (r?.kind === "loop") {
        // The loop's sub-programs are queued after the work producing its operands.
        this.#commands.submit();
        await r.run(
          s.inputs.map((b) => this.#buffers.get(b)),
          s.outputs.map((b) => this.#buffers.alloc(b)),
        );
      } else {
        this.#commands.submit();
        await this.#runOnHost(s);
      }
      for (const b of plan.freeAfter[k]) this.#buffers.free(b);
    }
    this.#commands.submit();
    this.#buffers.releaseTemporaries();
  }

  /** Encodes a kernel or kernel routine step into the call's compute pass. */
  #encodeStep(k: number): void {
    const s = this.#plan.steps[k];
    const r = this.#program.routines[k];
    const rendered = this.#program.kernels[k];
    if (r?.kind === "kernel") {
      r.encode(
        this.#commands,
        s.inputs.map((b) => this.#buffers.get(b)),
        s.outputs.map((b) => this.#buffers.alloc(b)),
      );
    } else if (s.kind === "kernel" && rendered) {
      encodeKernel(s, rendered, this.#buffers, this.#commands);
    } else {
      throw new Error(`webgpu: step ${k} is neither a kernel nor a kernel routine`);
    }
  }

  /**
   * A routine without a device lowering: operands read back, eager implementation, results
   * uploaded.
   */
  async #runOnHost(s: Extract<PlanStep, { kind: "routine" }>): Promise<void> {
    const ins = await Promise.all(s.inputs.map(async (b) => {
      const aval = this.#plan.buffers[b].aval;
      const bytes = await readBuffer(this.#buffers.get(b), aval.size * 4);
      return new DeviceArray(aval, fromDeviceLayout(bytes, aval.dtype, aval.size));
    }));
    const outs = s.eqn.prim.impl(ins, s.eqn.params);
    s.outputs.forEach((b, j) => {
      const aval = this.#plan.buffers[b].aval;
      if (aval.dtype === "float64") {
        throw float64Error(`the result of ${s.eqn.prim.name}`, `${aval}`);
      }
      writeHost(this.#buffers.alloc(b), outs[j].dataSync(), aval.dtype);
    });
  }

  /**
   * The returned arrays: inputs passed through as they are, one array per output buffer (an
   * output listed twice is the same array), ready when `ready` resolves.
   */
  #wrapOutputs(ready?: Promise<void>): DeviceArray[] {
    const made = new Map<number, DeviceArray>();
    return this.#plan.outputs.map((b) => {
      const input = this.#plan.inputs.indexOf(b);
      if (input >= 0) return this.#args[input];
      let arr = made.get(b);
      if (!arr) {
        const aval = this.#plan.buffers[b].aval;
        arr = new DeviceArray(
          new ShapedArray(aval.shape, aval.dtype, aval.weakType),
          new WebGpuStorage(this.#buffers.get(b), aval.dtype, aval.size, ready),
        );
        made.set(b, arr);
      }
      return arr;
    });
  }
}
