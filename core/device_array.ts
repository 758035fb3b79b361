/**
 * Concrete arrays: data that exists on a device — the CPU (a typed array) or an accelerator
 * (a {@link DeviceStorage}, e.g. a WebGPU buffer managed by `jit/webgpu/`).
 *
 * @module
 */
import { Array } from "./array.ts";
import { ShapedArray } from "./aval.ts";
import { allocate, type DType, type TypedArray } from "./dtype.ts";
import type { Shape } from "./shape.ts";

/**
 * Data held on a non-CPU device (implemented by the device's runtime in `jit/`). The array owns it:
 * `dispose()` (or garbage collection of the array) calls `free()`.
 *
 * @example
 * ```ts
 * import type { DeviceStorage } from "./device_array.ts";
 * declare const s: DeviceStorage;
 * console.log(s.device, s.byteSize);
 * ```
 */
export interface DeviceStorage {
  /** The device's name, e.g. `"webgpu"`. */
  readonly device: string;
  /** Bytes held on the device. */
  readonly byteSize: number;
  /** Reads the elements back to the host (row-major, the dtype's typed array). */
  read(): Promise<TypedArray>;
  /** Releases the device memory (idempotent). */
  free(): void;
}

// Live CPU arrays, for memory statistics (jit/ reports them with its own devices').
const cpuLive = { arrays: 0, bytes: 0 };
const cpuRegistry = new FinalizationRegistry<number>((bytes) => {
  cpuLive.arrays--;
  cpuLive.bytes -= bytes;
});
// Device storage of arrays dropped without dispose() is freed when they are collected.
const storageRegistry = new FinalizationRegistry<DeviceStorage>((s) => s.free());

/**
 * Number and bytes of CPU arrays that are neither disposed (nor donated) nor known to be
 * garbage-collected. CPU memory belongs to the JavaScript garbage collector: an array dropped
 * without `dispose()` is counted until its finalizer runs, which happens between tasks — never
 * during a synchronous loop — so in such a loop this is an upper bound on the memory actually
 * held (donate or dispose arrays to keep it exact).
 *
 * @example
 * ```ts
 * import { cpuMemoryStats } from "./device_array.ts";
 * console.log(cpuMemoryStats().bytes);
 * ```
 */
export function cpuMemoryStats(): { arrays: number; bytes: number } {
  return { ...cpuLive };
}

/**
 * An array with concrete data on a device. Created by `array`, `zeros`, ... and by eager operations
 * (CPU), or by `jit` on another device / `devicePut` (device storage).
 */
export class DeviceArray extends Array {
  #aval: ShapedArray;
  #data: TypedArray | null;
  #storage: DeviceStorage | null = null;
  /** Why the data is gone (for the error of a later use), null while it is there. */
  #released: string | null = null;
  /** Copies of this CPU array's data cached on other devices, freed with it. */
  #copies: Map<string, DeviceStorage> | null = null;

  /**
   * Wraps row-major `data` (not copied) with the given shape and dtype, or takes ownership of
   * device storage holding it.
   */
  constructor(aval: ShapedArray, data: TypedArray | DeviceStorage) {
    super();
    this.#aval = aval;
    if (ArrayBuffer.isView(data)) {
      if (data.length !== aval.size) {
        throw new Error(`DeviceArray: ${data.length} elements do not fill shape [${aval.shape}]`);
      }
      this.#data = data;
      cpuLive.arrays++;
      cpuLive.bytes += data.byteLength;
      cpuRegistry.register(this, data.byteLength, this);
    } else {
      this.#data = null;
      this.#storage = data;
      storageRegistry.register(this, data, this);
    }
  }
  /** The device holding the data: `"cpu"` or the storage's device. */
  get device(): string {
    return this.#storage ? this.#storage.device : "cpu";
  }
  /**
   * The device storage (null for CPU arrays); for device runtimes in `jit/`.
   *
   * @ignore
   */
  get storage(): DeviceStorage | null {
    return this.#storage;
  }
  /** Allocates a zero-filled array. */
  static zeros(shape: Shape, dtype: DType, weakType = false): DeviceArray {
    const aval = new ShapedArray(shape, dtype, weakType);
    return new DeviceArray(aval, allocate(dtype, aval.size));
  }
  /** Shape, dtype and weak type. */
  get aval(): ShapedArray {
    return this.#aval;
  }
  /** Elements, row-major (CPU arrays, and device arrays once read back with `data()`). */
  override dataSync(): TypedArray {
    if (this.#data) return this.#data;
    if (this.#storage) {
      throw new Error(
        `array ${this.#aval} lives on ${this.#storage.device} and cannot be read synchronously: ` +
          `read it with \`await x.data()\`, or move it with devicePut(x, "cpu") after that`,
      );
    }
    throw new Error(`array ${this.#aval} was used after ${this.#released ?? "dispose()"}`);
  }
  /** Elements, row-major, read back from the device if needed (then also kept on the host). */
  override async data(): Promise<TypedArray> {
    if (this.#data || !this.#storage) return this.dataSync();
    const d = await this.#storage.read();
    this.#data ??= d;
    return this.#data;
  }
  /** Drops the storage (frees device memory now); any later use throws. */
  override dispose(): void {
    this.#release("dispose()");
  }
  /**
   * Invalidates the array because its buffer was handed to `consumer` (`jit`'s `donateArgnums`):
   * the storage is released for reuse and any later use throws an error naming the donation.
   *
   * @ignore
   */
  donate(consumer: string): void {
    this.#release(
      `being donated to ${consumer} (donateArgnums): its buffer may now hold another array; ` +
        `keep using the call's result, or do not donate this argument`,
    );
  }
  #release(why: string): void {
    if (this.#data && !this.#storage) {
      cpuLive.arrays--;
      cpuLive.bytes -= this.#data.byteLength;
      cpuRegistry.unregister(this);
    }
    if (this.#storage || this.#copies) storageRegistry.unregister(this);
    this.#storage?.free();
    for (const c of this.#copies?.values() ?? []) c.free();
    if (this.#data || this.#storage) this.#released = why;
    this.#data = null;
    this.#storage = null;
    this.#copies = null;
  }
  /** True once `dispose()` ran (or the array was donated). */
  get disposed(): boolean {
    return this.#data === null && this.#storage === null;
  }
  /**
   * A copy of this CPU array's data on another device, made by `make` on first use and cached
   * (arrays are immutable); it is freed when the array is disposed, donated or collected. For
   * device runtimes in `jit/`.
   *
   * @ignore
   */
  cachedCopy(device: string, make: () => DeviceStorage): DeviceStorage {
    const have = this.#copies?.get(device);
    if (have) return have;
    const copy = make(); // throws (naming the reason) when the data is gone
    (this.#copies ??= new Map()).set(device, copy);
    storageRegistry.register(this, copy, this);
    return copy;
  }
  /** `+x`, `x > 0` and template strings work on concrete scalars. */
  [Symbol.toPrimitive](hint: string): number | string {
    if (hint === "string") return this.toString();
    return this.item();
  }
}
