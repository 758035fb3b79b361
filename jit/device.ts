/**
 * Devices: where arrays live and where `jit` runs.
 *
 * - `"cpu"`: typed arrays; `jit` compiles kernels to JavaScript.
 * - `"webgpu"`: buffers of a WebGPU device (a software adapter such as llvmpipe on machines without a
 *   GPU); `jit` compiles kernels to WGSL. float32, int32 and bool only. Initialise it once with
 *   `await initWebGPU()`.
 *
 * Arrays stay on their device between calls. `devicePut(x, "webgpu")` uploads, `await
 * deviceGet(x)` (or `await x.data()`) reads back. A jitted call runs on `jit(f, {device})`'s
 * device, else on the device of its arguments (WebGPU if any argument lives there), else on the
 * default device ({@link setDefaultDevice}).
 *
 * @module
 */
import { cpuMemoryStats, DeviceArray } from "../core/device_array.ts";
import type { Array } from "../core/array.ts";
import { initWebGPU, type WebGpuContext, webgpuMemoryStats } from "./webgpu/device.ts";
import { uploadCopy } from "./webgpu/upload.ts";
import { type CpuPoolStats, cpuPoolStats } from "./cpu/parallel.ts";
export { configureBufferPool } from "./webgpu/device.ts";
export type { BufferPoolLimits } from "./webgpu/pool.ts";

/**
 * The devices zgrad runs on.
 *
 * @example
 * ```ts
 * import type { Device } from "./device.ts";
 * const d: Device = "webgpu";
 * ```
 */
export type Device = "cpu" | "webgpu";

let defaultDev: Device = "cpu";

/**
 * Sets the device `jit` uses when neither its options nor its arguments choose one.
 *
 * @example
 * ```ts
 * import { setDefaultDevice } from "./device.ts";
 * setDefaultDevice("cpu");
 * ```
 */
export function setDefaultDevice(d: Device): void {
  if (d !== "cpu" && d !== "webgpu") {
    throw new TypeError(
      `setDefaultDevice: unknown device ${JSON.stringify(d)}; use "cpu" or "webgpu"`,
    );
  }
  defaultDev = d;
}

/**
 * The default device of `jit`.
 *
 * @example
 * ```ts
 * import { defaultDevice } from "./device.ts";
 * console.log(defaultDevice()); // "cpu" unless changed
 * ```
 */
export function defaultDevice(): Device {
  return defaultDev;
}

/**
 * Initialises the WebGPU device; resolves to its description and limits, or null when there is
 * no WebGPU adapter.
 *
 * @example
 * ```ts
 * import { initDevice } from "./device.ts";
 * const gpu = await initDevice("webgpu");
 * console.log(gpu ? gpu.description : "no WebGPU");
 * ```
 */
export function initDevice(d: "webgpu"): Promise<WebGpuContext | null> {
  if (d !== "webgpu") throw new TypeError(`initDevice: only "webgpu" needs initialising`);
  return initWebGPU();
}

function concrete(x: Array, op: string): DeviceArray {
  if (!(x instanceof DeviceArray)) {
    throw new TypeError(`${op}: expected a concrete array, got a traced value ${x.aval}`);
  }
  return x;
}

/**
 * Moves an array to a device (a no-op when it is already there). To WebGPU: uploads now. To the
 * CPU: only arrays whose data was already read back (use `await deviceGet(x)` otherwise).
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { devicePut, initDevice } from "./device.ts";
 * if (await initDevice("webgpu")) {
 *   const x = devicePut(array([1, 2, 3]), "webgpu");
 *   console.log(x.device, await x.data());
 * }
 * ```
 */
export function devicePut(x: Array, device: Device): DeviceArray {
  const a = concrete(x, "devicePut");
  if (a.device === device) return a;
  // A fresh storage the new array owns (`a` is a CPU array here).
  if (device === "webgpu") return new DeviceArray(a.aval, uploadCopy(a, `devicePut's array`));
  if (device === "cpu") {
    let data;
    try {
      data = a.dataSync();
    } catch {
      throw new Error(
        `devicePut: ${a.aval} on ${a.device} has not been read back; use \`await deviceGet(x)\``,
      );
    }
    return new DeviceArray(a.aval, data);
  }
  throw new TypeError(`devicePut: unknown device ${JSON.stringify(device)}; use "cpu" or "webgpu"`);
}

/**
 * Reads an array back to the CPU (waiting for the device), as a CPU array.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { deviceGet } from "./device.ts";
 * const x = await deviceGet(array([1, 2]));
 * console.log(x.device); // "cpu"
 * ```
 */
export async function deviceGet(x: Array): Promise<DeviceArray> {
  const a = concrete(x, "deviceGet");
  if (a.device === "cpu") return a;
  return new DeviceArray(a.aval, await a.data());
}

/**
 * Memory per device. WebGPU: live buffers (owned by arrays or running programs; those of arrays
 * dropped without `dispose()` until their finalizer runs) and pooled ones (free for reuse, bounded
 * by {@link configureBufferPool}). CPU: arrays neither disposed, donated nor known to be collected
 * — an upper bound, since finalizers never run during a synchronous loop (see jit/README.md,
 * Memory). And the CPU's threads (`cpuThreads`): how many a kernel may use, worker threads
 * running, kernels split so far, and why kernels run on one thread where worker threads cannot
 * start (`cpuThreads.unavailable`).
 *
 * @example
 * ```ts
 * import { memoryStats } from "./device.ts";
 * const m = memoryStats();
 * console.log(m.cpu.bytes, m.webgpu.liveBytes, m.cpuThreads.running, m.cpuThreads.unavailable);
 * ```
 */
export function memoryStats(): {
  cpu: { arrays: number; bytes: number };
  webgpu: { liveBuffers: number; liveBytes: number; pooledBuffers: number; pooledBytes: number };
  cpuThreads: CpuPoolStats;
} {
  return { cpu: cpuMemoryStats(), webgpu: webgpuMemoryStats(), cpuThreads: cpuPoolStats() };
}
