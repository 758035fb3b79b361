/**
 * Jaxprs compiled for WebGPU: the fusion plan (with the device's storage-buffer limit), every
 * kernel rendered to WGSL with cached pipelines (`pipelines.ts`), the routines that run on the
 * device (`routines.ts`), and an executor (`execute.ts`).
 *
 * Execution encodes all kernels of a call into one command encoder and submits once (llvmpipe
 * pays ~11 ms per submit + readback round trip). `gather` and `scatter_add` routines are WGSL
 * passes encoded with the kernels, and `while`/`cond`/`scan` are host loops around compiled
 * sub-programs whose values stay on the device (`routines.ts` dispatches to `routine_kernels.ts`
 * and `control_flow.ts`). Plans with other routines (matmul, linear algebra, sort, ...) or control
 * flow run asynchronously: kernels up to the routine are submitted, then the loop runs, or the
 * routine's operands are read back, its eager implementation runs on the host and its results are
 * uploaded; the call still returns at once, with output arrays whose storage becomes ready when
 * the program finishes (`await x.data()` waits for it, and later programs using them wait too).
 *
 * float64 has no WGSL representation: planning fails with an error naming the array.
 *
 * @module
 */
import type { DeviceArray } from "../../core/device_array.ts";
import type { Jaxpr } from "../../core/jaxpr.ts";
import { planJaxpr } from "../fusion.ts";
import { fuseKind } from "../fuse_kind.ts";
import type { Plan } from "../plan.ts";
import { webgpu, type WebGpuContext } from "./device.ts";
import { type CompiledSteps, runProgram } from "./execute.ts";
import { pipelineFor } from "./pipelines.ts";
import { renderWgsl, type WgslKernel } from "./wgsl.ts";
import { wgslSupports } from "./wgsl_ops.ts";
import { describePlan, type DeviceRoutine, deviceRoutine } from "./routines.ts";
import { lowerMatmuls } from "./matmul.ts";
import { fuseTwoLevel } from "./nested.ts";
import { float64Error } from "./upload.ts";

/**
 * A jaxpr compiled for the WebGPU device.
 *
 * @example
 * ```ts
 * import { compileWebGpuProgram } from "./program.ts";
 * declare const jaxpr: import("../../core/jaxpr.ts").Jaxpr;
 * console.log(compileWebGpuProgram(jaxpr).source());
 * ```
 */
export interface WebGpuProgram {
  /** The plan. */
  plan: Plan;
  /** The rendered kernel of each kernel step (null for routines). */
  kernels: (WgslKernel | null)[];
  /** Runs the program; inputs may live on the CPU (uploaded) or on the device. */
  run(args: readonly DeviceArray[]): DeviceArray[];
  /** All WGSL sources. */
  source(): string;
}

/**
 * Plans and renders a jaxpr (without constvars) for WebGPU.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../../mod.ts";
 * import { compileWebGpuProgram } from "./program.ts";
 * import { initWebGPU } from "./device.ts";
 * await initWebGPU();
 * const p = compileWebGpuProgram(makeJaxpr((x) => x.exp().sum())(array([1, 2])).jaxpr);
 * ```
 */
export function compileWebGpuProgram(jaxpr: Jaxpr, names?: (i: number) => string): WebGpuProgram {
  const ctx = webgpu();
  const inputName = (i: number) => names ? names(i) : `input ${i}`;
  rejectFloat64(jaxpr, inputName);
  const plan = planForDevice(jaxpr, ctx);
  const maxThreads = threadBudget(ctx);
  const kernels = renderKernels(plan, ctx, maxThreads);
  // Compile every pipeline now, so the first call pays for it and later calls do not.
  for (const k of kernels) for (const p of k?.passes ?? []) pipelineFor(p.source);
  const routines = lowerRoutines(plan, ctx, maxThreads);
  const steps: CompiledSteps = {
    plan,
    kernels,
    routines,
    hostSteps: hasHostSteps(plan, routines),
    inputName,
  };
  return {
    // Printed plans say which routines run on the device and which on the host.
    plan: { ...plan, toString: () => describePlan(plan, routines) },
    kernels,
    run: (args) => runProgram(steps, args),
    source: () => programSource(kernels, routines),
  };
}

/** float64 anywhere is an error that names the array. */
function rejectFloat64(jaxpr: Jaxpr, inputName: (i: number) => string): void {
  jaxpr.invars.forEach((v, i) => {
    if (v.aval.dtype === "float64") throw float64Error(inputName(i), `${v.aval}`);
  });
  for (const e of jaxpr.eqns) {
    for (const v of e.outputs) {
      if (v.aval.dtype === "float64") {
        throw float64Error(`the result of ${e.prim.name}`, `${v.aval}`);
      }
    }
  }
}

/**
 * The fusion plan within the device's storage-buffer limit. Matmuls become reductions the planner
 * fuses with their operands' producers (./matmul.ts); two-level reductions (per event over bins,
 * then over events) become one kernel (./nested.ts).
 */
function planForDevice(jaxpr: Jaxpr, ctx: WebGpuContext): Plan {
  const lowered = lowerMatmuls(jaxpr);
  // One storage buffer of each kernel is kept for hoisted values.
  const maxBuffersPerKernel = ctx.limits.maxStorageBuffersPerShaderStage - 1;
  return fuseTwoLevel(
    planJaxpr(lowered.jaxpr, {
      materialise: lowered.materialise,
      fusible: (e) => {
        const k = fuseKind(e);
        return k !== "elementwise" || wgslSupports(e.prim.name);
      },
      maxBuffersPerKernel,
    }),
    maxBuffersPerKernel,
  );
}

/**
 * Most threads of one pass: software adapters (llvmpipe) pay per workgroup, so few threads, each
 * looping; GPUs want many.
 */
function threadBudget(ctx: WebGpuContext): number {
  return ctx.isFallbackAdapter || /llvmpipe|swiftshader/i.test(ctx.description) ? 4096 : 1 << 18;
}

/** The WGSL of every kernel step (null for routines). */
function renderKernels(plan: Plan, ctx: WebGpuContext, maxThreads: number): (WgslKernel | null)[] {
  return plan.steps.map((s) =>
    s.kind === "kernel"
      ? renderWgsl(s.kernel, {
        maxWorkgroupsPerDimension: ctx.limits.maxComputeWorkgroupsPerDimension,
        maxStorageBuffers: ctx.limits.maxStorageBuffersPerShaderStage,
        maxThreads,
      })
      : null
  );
}

/** The device lowering of every routine step (null for kernels and routines run on the host). */
function lowerRoutines(
  plan: Plan,
  ctx: WebGpuContext,
  maxThreads: number,
): (DeviceRoutine | null)[] {
  return plan.steps.map((s) =>
    s.kind === "routine"
      ? deviceRoutine(s.eqn, {
        compile: (j) => compileWebGpuProgram(j),
        pipeline: pipelineFor,
        maxThreads,
        maxWorkgroupsPerDimension: ctx.limits.maxComputeWorkgroupsPerDimension,
      })
      : null
  );
}

/** Kernel routines encode like kernels; loops and host routines need the asynchronous path. */
function hasHostSteps(plan: Plan, routines: readonly (DeviceRoutine | null)[]): boolean {
  return plan.steps.some((s, k) => s.kind === "routine" && routines[k]?.kind !== "kernel");
}

/** Every kernel pass's WGSL, then the routines'. */
function programSource(
  kernels: readonly (WgslKernel | null)[],
  routines: readonly (DeviceRoutine | null)[],
): string {
  return [
    ...kernels.filter((k): k is WgslKernel => k !== null).flatMap((k) =>
      k.passes.map((p) => p.source)
    ),
    ...routines.flatMap((r) => (r ? [r.source()] : [])),
  ].join("\n\n");
}
