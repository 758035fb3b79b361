/**
 * Routines that run on the WebGPU device instead of through a host readback: plan steps of kind
 * "routine" whose primitive has a device lowering. Everything else keeps the readback fallback of
 * `execute.ts` (operands read back, eager implementation, results uploaded).
 *
 * This module holds what the program and executor see (the routine types, the dispatcher
 * {@link deviceRoutine} and {@link describePlan}); the lowerings are in
 * - `routine_kernels.ts`: `gather`, `cumsum` and `scatter_add` as WGSL passes encoded into the
 *   caller's compute pass;
 * - `control_flow.ts`: `while`, `cond` and `scan` as host loops around sub-programs compiled for
 *   WebGPU, the carry staying in device buffers.
 *
 * @module
 */
import type { Eqn, Jaxpr } from "../../core/jaxpr.ts";
import { isEqnOf } from "../../core/primitives/mod.ts";
import type { Plan } from "../plan.ts";
import { condRoutine, indentText, scanRoutine, whileRoutine } from "./control_flow.ts";
import { cumsumRoutine, gatherRoutine, scatterAddRoutine } from "./routine_kernels.ts";
import type { WebGpuProgram } from "./program.ts";

/**
 * What a kernel routine needs from the program that encodes it.
 *
 * @example
 * ```ts
 * import type { RoutineEncoder } from "./routines.ts";
 * declare const enc: RoutineEncoder;
 * const scratch = enc.scratch(1024); // released once the caller's commands are submitted
 * ```
 */
export interface RoutineEncoder {
  /** The caller's open compute pass (opened on demand). */
  pass(): GPUComputePassEncoder;
  /** A scratch buffer of at least `bytes` bytes, released after the caller's next submit. */
  scratch(bytes: number): GPUBuffer;
}

/**
 * A routine step that runs on the device: `"kernel"` routines are compute passes encoded into the
 * caller's pass (synchronous, no submit of their own); `"loop"` routines are host loops around
 * compiled sub-programs (asynchronous: the caller submits its pending work first and awaits them).
 *
 * @example
 * ```ts
 * import type { DeviceRoutine } from "./routines.ts";
 * declare const r: DeviceRoutine;
 * console.log(r.kind, r.describe());
 * ```
 */
export type DeviceRoutine =
  | {
    kind: "kernel";
    /** One line for plans: what runs on the device. */
    describe(): string;
    /** WGSL of every pass. */
    source(): string;
    /** Encodes the passes reading `inputs` and writing `outputs` (buffers of the step). */
    encode(enc: RoutineEncoder, inputs: GPUBuffer[], outputs: GPUBuffer[]): void;
  }
  | {
    kind: "loop";
    /** One line for plans, followed by the sub-programs' plans (indented). */
    describe(): string;
    /** WGSL of the sub-programs. */
    source(): string;
    /** Runs the loop; resolves once every output buffer's content is submitted. */
    run(inputs: GPUBuffer[], outputs: GPUBuffer[]): Promise<void>;
  };

/**
 * What {@link deviceRoutine} needs from `program.ts` (passed in, so this module does not import
 * the compiler at run time and the two modules do not depend on each other's initialisation).
 *
 * @example
 * ```ts
 * import type { RoutineOptions } from "./routines.ts";
 * declare const o: RoutineOptions;
 * o.maxThreads; // 4096 on software adapters
 * ```
 */
export interface RoutineOptions {
  /** Compiles a sub-jaxpr (without constvars) for WebGPU. */
  compile(jaxpr: Jaxpr): WebGpuProgram;
  /** The (cached) compute pipeline of a WGSL source. */
  pipeline(source: string): GPUComputePipeline;
  /** Most threads of one pass before threads loop (see `WgslOptions.maxThreads`). */
  maxThreads: number;
  /** The device's `maxComputeWorkgroupsPerDimension`. */
  maxWorkgroupsPerDimension: number;
}

const routines = new WeakMap<object, DeviceRoutine | null>();

/**
 * The device lowering of a routine step's equation, or null when it runs on the host (readback,
 * eager implementation, upload): primitives without a lowering here, unsupported dtypes, and
 * control flow whose sub-programs cannot compile for WebGPU (float64 inside, for instance).
 * Cached per equation.
 *
 * @example
 * ```ts ignore
 * const r = deviceRoutine(step.eqn, options);
 * if (r?.kind === "kernel") r.encode(encoder, inputs, outputs);
 * ```
 */
export function deviceRoutine(eqn: Eqn, o: RoutineOptions): DeviceRoutine | null {
  const hit = routines.get(eqn);
  if (hit !== undefined) return hit;
  let r: DeviceRoutine | null = null;
  try {
    r = makeRoutine(eqn, o);
  } catch {
    r = null; // e.g. a float64 value inside a sub-jaxpr: the host runs it, as before
  }
  routines.set(eqn, r);
  return r;
}

function makeRoutine(eqn: Eqn, o: RoutineOptions): DeviceRoutine | null {
  if (isEqnOf(eqn, "gather")) return gatherRoutine(eqn, o);
  if (isEqnOf(eqn, "cumsum")) return cumsumRoutine(eqn, o);
  if (isEqnOf(eqn, "scatter_add")) return scatterAddRoutine(eqn, o);
  if (isEqnOf(eqn, "cond")) return condRoutine(eqn, o);
  if (isEqnOf(eqn, "while")) return whileRoutine(eqn, o);
  if (isEqnOf(eqn, "scan")) return scanRoutine(eqn, o);
  return null;
}

/**
 * The plan's text with each routine step marked as running on the device (with its passes or
 * its sub-programs' plans) or on the host (readback).
 *
 * @example
 * ```ts ignore
 * console.log(describePlan(program.plan, routinesOfEachStep));
 * ```
 */
export function describePlan(plan: Plan, stepRoutines: readonly (DeviceRoutine | null)[]): string {
  const text = plan.toString().split("\n");
  plan.steps.forEach((s, k) => {
    if (s.kind !== "routine") return;
    const at = text.findIndex((l) => l.startsWith(`step ${k}: routine `));
    if (at < 0) return;
    const r = stepRoutines[k];
    const note = r
      ? "\n" + indentText(r.describe())
      : "\n    on the host: operands read back, eager implementation, results uploaded";
    text[at] += note;
  });
  return text.join("\n");
}
