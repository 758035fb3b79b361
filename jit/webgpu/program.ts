/**
 * Jaxprs compiled for WebGPU: the fusion plan (with the device's storage-buffer limit), every
 * kernel rendered to WGSL with cached pipelines, and an executor.
 *
 * Execution encodes all kernels of a call into one command encoder and submits once (llvmpipe
 * pays ~11 ms per submit + readback round trip). `gather` and `scatter_add` routines are WGSL
 * passes encoded with the kernels, and `while`/`cond`/`scan` are host loops around compiled
 * sub-programs whose values stay on the device (`routines.ts`). Plans with other routines (matmul,
 * linear algebra, sort, ...) or control flow run asynchronously: kernels up to the routine are
 * submitted, then the loop runs, or the routine's operands are read back, its eager implementation
 * runs on the host and its results are uploaded; the call still returns at once, with output arrays
 * whose storage becomes ready when the program finishes (`await x.data()` waits for it, and later
 * programs using them wait too).
 *
 * float64 has no WGSL representation: planning fails with an error naming the array.
 *
 * @module
 */
import { ShapedArray } from "../../core/aval.ts";
import { DeviceArray } from "../../core/device_array.ts";
import { allocate } from "../../core/dtype.ts";
import type { Jaxpr } from "../../core/jaxpr.ts";
import { sizeOf } from "../../core/shape.ts";
import { planJaxpr } from "../fusion.ts";
import { fuseKind } from "../fuse_kind.ts";
import type { Plan } from "../plan.ts";
import { reduceInit } from "../kernel_ir.ts";
import {
  acquireBuffer,
  fromDeviceLayout,
  readBuffer,
  releaseBuffer,
  upload,
  webgpu,
  WebGpuStorage,
  writeHost,
} from "./device.ts";
import { renderWgsl, type WgslKernel } from "./wgsl.ts";
import { wgslSupports } from "./wgsl_ops.ts";
import { describePlan, deviceRoutine } from "./routines.ts";
import { lowerMatmuls } from "./matmul.ts";
import { fuseTwoLevel } from "./nested.ts";

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

const pipelines = new Map<string, GPUComputePipeline>();

function pipelineFor(source: string): GPUComputePipeline {
  let p = pipelines.get(source);
  if (!p) {
    const { device } = webgpu();
    const module = device.createShaderModule({ code: source });
    // An explicit layout with every declared binding ("auto" drops the ones a pass does not use).
    const entries: GPUBindGroupLayoutEntry[] = [];
    for (const m of source.matchAll(/@binding\((\d+)\) var<storage, (read|read_write)>/g)) {
      entries.push({
        binding: Number(m[1]),
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: m[2] === "read" ? "read-only-storage" : "storage" },
      });
    }
    const layout = device.createPipelineLayout({
      bindGroupLayouts: [device.createBindGroupLayout({ entries })],
    });
    p = device.createComputePipeline({ layout, compute: { module, entryPoint: "main" } });
    pipelines.set(source, p);
  }
  return p;
}

/**
 * Number of compiled compute pipelines (the pipeline cache's size).
 *
 * @example
 * ```ts
 * import { pipelineCount } from "./program.ts";
 * console.log(pipelineCount());
 * ```
 */
export function pipelineCount(): number {
  return pipelines.size;
}

// CPU arrays used as inputs of WebGPU programs are uploaded once and the copy is cached with the
// array (arrays are immutable); it is freed when the CPU array is disposed, donated or collected.

/**
 * The device storage of `x`, uploading (and caching) CPU data.
 *
 * @example
 * ```ts
 * import { array } from "../../mod.ts";
 * import { deviceStorageOf } from "./program.ts";
 * declare const x: import("../../core/device_array.ts").DeviceArray;
 * deviceStorageOf(x).buffer;
 * ```
 */
export function deviceStorageOf(x: DeviceArray, what = "an argument"): WebGpuStorage {
  if (x.dtype === "float64") throw float64Error(what, `${x.aval}`);
  const s = x.storage;
  if (s) {
    if (s instanceof WebGpuStorage) return s;
    throw new Error(`webgpu: ${what} lives on device ${s.device}`);
  }
  const m = x.cachedCopy("webgpu", () => uploadCopy(x, what));
  if (!(m instanceof WebGpuStorage)) {
    throw new Error(`webgpu: the device copy of ${what} is not a WebGPU buffer`);
  }
  return m;
}

/**
 * A new device copy of a CPU array that the caller owns (`devicePut`): uploaded directly, without
 * caching a copy with the array.
 *
 * @example
 * ```ts
 * import { array } from "../../mod.ts";
 * import { initWebGPU } from "./device.ts";
 * import { uploadCopy } from "./program.ts";
 * if (await initWebGPU()) uploadCopy(array([1, 2]) as import("../../core/device_array.ts").DeviceArray).free();
 * ```
 */
export function uploadCopy(x: DeviceArray, what = "an argument"): WebGpuStorage {
  if (x.dtype === "float64") throw float64Error(what, `${x.aval}`);
  const data = x.dataSync();
  return new WebGpuStorage(upload(data, x.dtype), x.dtype, data.length);
}

function float64Error(what: string, aval: string): Error {
  return new TypeError(
    `webgpu has no float64: ${what} (${aval}) is float64. Use float32 on WebGPU — convert ` +
      `with x.astype("float32") (and create arrays with dtype "float32") — or run on device "cpu".`,
  );
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
  // float64 anywhere is an error that names the array.
  jaxpr.invars.forEach((v, i) => {
    if (v.aval.dtype === "float64") {
      throw float64Error(names ? names(i) : `input ${i}`, `${v.aval}`);
    }
  });
  for (const e of jaxpr.eqns) {
    for (const v of e.outputs) {
      if (v.aval.dtype === "float64") {
        throw float64Error(`the result of ${e.prim.name}`, `${v.aval}`);
      }
    }
  }
  // Matmuls become reductions the planner fuses with their operands' producers (./matmul.ts).
  // Two-level reductions (per event over bins, then over events) become one kernel (./nested.ts).
  const lowered = lowerMatmuls(jaxpr);
  const maxBuffersPerKernel = ctx.limits.maxStorageBuffersPerShaderStage - 1; // one for hoisted values
  const plan = fuseTwoLevel(
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
  // Software adapters (llvmpipe) pay per workgroup: few threads, each looping; GPUs want many.
  const maxThreads = ctx.isFallbackAdapter || /llvmpipe|swiftshader/i.test(ctx.description)
    ? 4096
    : 1 << 18;
  const kernels = plan.steps.map((s) =>
    s.kind === "kernel"
      ? renderWgsl(s.kernel, {
        maxWorkgroupsPerDimension: ctx.limits.maxComputeWorkgroupsPerDimension,
        maxStorageBuffers: ctx.limits.maxStorageBuffersPerShaderStage,
        maxThreads,
      })
      : null
  );
  // Compile every pipeline now, so the first call pays for it and later calls do not.
  for (const k of kernels) for (const p of k?.passes ?? []) pipelineFor(p.source);
  const routines = plan.steps.map((s) =>
    s.kind === "routine"
      ? deviceRoutine(s.eqn, {
        compile: (j) => compileWebGpuProgram(j),
        pipeline: pipelineFor,
        maxThreads,
        maxWorkgroupsPerDimension: ctx.limits.maxComputeWorkgroupsPerDimension,
      })
      : null
  );
  // Kernel routines encode like kernels; loops and host routines need the asynchronous path.
  const hasRoutines = plan.steps.some((s, k) =>
    s.kind === "routine" && routines[k]?.kind !== "kernel"
  );
  const bytesOf = (b: number) => plan.buffers[b].aval.size * 4;

  function run(args: readonly DeviceArray[]): DeviceArray[] {
    const { device } = webgpu();
    const env: (GPUBuffer | undefined)[] = new globalThis.Array(plan.buffers.length);
    const owned = new Set<number>(); // buffers this call acquired (temporaries and outputs)
    const waits: Promise<void>[] = [];
    const inputStorage = plan.inputs.map((b, i) => {
      const s = deviceStorageOf(args[i], names ? names(i) : `input ${i}`);
      env[b] = s.buffer;
      if (s.ready) waits.push(s.ready);
      return s;
    });
    for (const b of plan.buffers) {
      if (b.source.kind === "literal") {
        if (b.aval.dtype === "float64") throw float64Error(`literal ${b.name}`, `${b.aval}`);
        env[b.id] = upload(b.source.array.dataSync(), b.aval.dtype);
        owned.add(b.id);
      }
    }
    const outSet = new Set(plan.outputs);
    const inputSet = new Set(plan.inputs);
    const alloc = (b: number) => {
      const buf = env[b] ?? acquireBuffer(bytesOf(b)); // outputs may be allocated up front
      env[b] = buf;
      owned.add(b);
      return buf;
    };
    const free = (b: number) => {
      if (owned.has(b) && !outSet.has(b) && env[b]) {
        releaseBuffer(env[b]!);
        env[b] = undefined;
        owned.delete(b);
      }
    };

    let encoder: GPUCommandEncoder | null = null;
    let pass: GPUComputePassEncoder | null = null;
    const scratchToFree: GPUBuffer[] = [];
    const submit = () => {
      if (pass) pass.end();
      if (encoder) device.queue.submit([encoder.finish()]);
      pass = null;
      encoder = null;
      // Scratch buffers are reusable once their dispatches are submitted (queue order).
      for (const s of scratchToFree.splice(0)) releaseBuffer(s);
    };
    const kernelStep = (k: number) => {
      const r = routines[k];
      if (r?.kind === "kernel") {
        const s = plan.steps[k];
        r.encode(
          {
            pass: () => (pass ??= (encoder ??= device.createCommandEncoder()).beginComputePass()),
            scratch: (bytes) => {
              const b = acquireBuffer(bytes);
              scratchToFree.push(b);
              return b;
            },
          },
          s.inputs.map((b) => env[b]!),
          s.outputs.map(alloc),
        );
        return;
      }
      const s = plan.steps[k] as Extract<Plan["steps"][number], { kind: "kernel" }>;
      for (const b of s.outputs) alloc(b);
      const wk = kernels[k]!;
      if (sizeOf(s.kernel.domain) === 0) {
        // Empty domain: reductions are their initial values, maps are empty.
        s.kernel.outputs.forEach((o, j) => {
          const n = sizeOf(o.shape);
          if (o.kind !== "reduce" || n === 0) return;
          writeHost(env[s.outputs[j]]!, allocate(o.dtype, n).fill(reduceInit(o.reduce!)), o.dtype);
        });
        return;
      }
      encoder ??= device.createCommandEncoder();
      pass ??= encoder.beginComputePass();
      const scratch = wk.scratch.map((n) => acquireBuffer(n * 4));
      for (const p of wk.passes) {
        const pipeline = pipelineFor(p.source);
        const entries = p.bindings.map((ref, i) => ({
          binding: i,
          resource: {
            buffer: ref.kind === "input"
              ? env[s.inputs[ref.index]]!
              : ref.kind === "output"
              ? env[s.outputs[ref.index]]!
              : scratch[ref.index],
          },
        }));
        const group = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(p.groups[0], p.groups[1]);
      }
      scratchToFree.push(...scratch);
    };

    // The returned arrays: inputs passed through as they are, one array per output buffer (an
    // output listed twice is the same array), ready when `ready` resolves.
    const wrapOutputs = (buffer: (b: number) => GPUBuffer, ready?: Promise<void>) => {
      const made = new Map<number, DeviceArray>();
      return plan.outputs.map((b) => {
        if (inputSet.has(b)) return args[plan.inputs.indexOf(b)];
        let arr = made.get(b);
        if (!arr) {
          const aval = plan.buffers[b].aval;
          arr = new DeviceArray(
            new ShapedArray(aval.shape, aval.dtype, aval.weakType),
            new WebGpuStorage(buffer(b), aval.dtype, aval.size, ready),
          );
          made.set(b, arr);
        }
        return arr;
      });
    };

    if (!hasRoutines && waits.length === 0) {
      plan.steps.forEach((_, k) => {
        kernelStep(k);
        for (const b of plan.freeAfter[k]) free(b);
      });
      submit();
      for (const b of owned) if (!outSet.has(b)) free(b);
      return wrapOutputs((b) => env[b]!);
    }

    // Asynchronous path: allocate the outputs now (the arrays returned own them), fill them when
    // the program runs.
    for (const b of plan.outputs) if (!inputSet.has(b)) alloc(b);
    const outBufs = new Map(plan.outputs.filter((b) => !inputSet.has(b)).map((b) => [b, env[b]!]));
    const done = (async () => {
      await Promise.all(waits);
      for (let k = 0; k < plan.steps.length; k++) {
        const s = plan.steps[k];
        const r = routines[k];
        if (s.kind === "kernel" || r?.kind === "kernel") {
          kernelStep(k);
        } else if (r?.kind === "loop") {
          submit(); // the loop's sub-programs are queued after the work producing its operands
          await r.run(s.inputs.map((b) => env[b]!), s.outputs.map(alloc));
        } else {
          submit();
          const ins = await Promise.all(s.inputs.map(async (b) => {
            const aval = plan.buffers[b].aval;
            const bytes = await readBuffer(env[b]!, aval.size * 4);
            return new DeviceArray(aval, fromDeviceLayout(bytes, aval.dtype, aval.size));
          }));
          const outs = s.eqn.prim.impl(ins, s.eqn.params);
          s.outputs.forEach((b, j) => {
            const aval = plan.buffers[b].aval;
            if (aval.dtype === "float64") {
              throw float64Error(`the result of ${s.eqn.prim.name}`, `${aval}`);
            }
            writeHost(alloc(b), outs[j].dataSync(), aval.dtype);
          });
        }
        for (const b of plan.freeAfter[k]) free(b);
      }
      submit();
      for (const b of [...owned]) free(b);
    })();
    done.catch(() => {}); // failures surface when an output is read
    // The inputs are read after this call returns: disposing (or donating) one now must not hand
    // its buffer to other work before the program is done with it.
    for (const s of inputStorage) s.holdUntil(done);
    return wrapOutputs((b) => outBufs.get(b)!, done);
  }

  return {
    // Printed plans say which routines run on the device and which on the host.
    plan: { ...plan, toString: () => describePlan(plan, routines) },
    kernels,
    run,
    source: () =>
      [
        ...kernels.filter((k): k is WgslKernel => k !== null).flatMap((k) =>
          k.passes.map((p) => p.source)
        ),
        ...routines.flatMap((r) => (r ? [r.source()] : [])),
      ].join("\n\n"),
  };
}
