/**
 * CPU arrays as WebGPU storage: the cached device copy of a program's input, a copy the caller owns
 * (`devicePut`), and the error for float64, which has no WGSL representation.
 *
 * CPU arrays used as inputs of WebGPU programs are uploaded once and the copy is cached with the
 * array (arrays are immutable); it is freed when the CPU array is disposed, donated or collected.
 *
 * @module
 */
import type { DeviceArray } from "../../core/device_array.ts";
import { upload, WebGpuStorage } from "./device.ts";

/**
 * The device storage of `x`, uploading (and caching) CPU data.
 *
 * @example
 * ```ts
 * import { array } from "../../mod.ts";
 * import { deviceStorageOf } from "./upload.ts";
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
 * import { uploadCopy } from "./upload.ts";
 * if (await initWebGPU()) uploadCopy(array([1, 2]) as import("../../core/device_array.ts").DeviceArray).free();
 * ```
 */
export function uploadCopy(x: DeviceArray, what = "an argument"): WebGpuStorage {
  if (x.dtype === "float64") throw float64Error(what, `${x.aval}`);
  const data = x.dataSync();
  return new WebGpuStorage(upload(data, x.dtype), x.dtype, data.length);
}

/**
 * The error for a float64 array on WebGPU, naming the array (`what`, with its aval) and the ways
 * out.
 *
 * @example
 * ```ts
 * import { float64Error } from "./upload.ts";
 * console.log(float64Error("input 0", "f64[3]").message);
 * ```
 */
export function float64Error(what: string, aval: string): Error {
  return new TypeError(
    `webgpu has no float64: ${what} (${aval}) is float64. Use float32 on WebGPU — convert ` +
      `with x.astype("float32") (and create arrays with dtype "float32") — or run on device "cpu".`,
  );
}
