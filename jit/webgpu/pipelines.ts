/**
 * Compute pipelines of WGSL sources: compiled once per source and kept for the process, so a
 * program pays for its pipelines when it is compiled and later calls (and other programs with the
 * same kernels) do not.
 *
 * @module
 */
import { webgpu } from "./device.ts";

const pipelines = new Map<string, GPUComputePipeline>();

/**
 * The compute pipeline of a WGSL source (entry point `main`), compiled on first use.
 *
 * @example
 * ```ts
 * import { initWebGPU } from "./device.ts";
 * import { pipelineFor } from "./pipelines.ts";
 * if (await initWebGPU()) {
 *   pipelineFor("@compute @workgroup_size(1) fn main() {}");
 * }
 * ```
 */
export function pipelineFor(source: string): GPUComputePipeline {
  let p = pipelines.get(source);
  if (!p) {
    const { device } = webgpu();
    const module = device.createShaderModule({ code: source });
    const layout = device.createPipelineLayout({
      bindGroupLayouts: [device.createBindGroupLayout({ entries: declaredBindings(source) })],
    });
    p = device.createComputePipeline({ layout, compute: { module, entryPoint: "main" } });
    pipelines.set(source, p);
  }
  return p;
}

/**
 * Every storage binding the source declares, for an explicit layout: "auto" drops the ones a pass
 * does not use, and callers bind all of them.
 */
function declaredBindings(source: string): GPUBindGroupLayoutEntry[] {
  const entries: GPUBindGroupLayoutEntry[] = [];
  for (const m of source.matchAll(/@binding\((\d+)\) var<storage, (read|read_write)>/g)) {
    entries.push({
      binding: Number(m[1]),
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: m[2] === "read" ? "read-only-storage" : "storage" },
    });
  }
  return entries;
}

/**
 * Number of compiled compute pipelines (the pipeline cache's size).
 *
 * @example
 * ```ts
 * import { pipelineCount } from "./pipelines.ts";
 * console.log(pipelineCount());
 * ```
 */
export function pipelineCount(): number {
  return pipelines.size;
}
