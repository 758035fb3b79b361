/**
 * The WebGPU device: adapter and device setup (with the adapter's real limits), a buffer pool,
 * a pipeline cache, uploads, batched asynchronous readback, and the {@link WebGpuStorage} that
 * `DeviceArray`s on `"webgpu"` own.
 *
 * Deno exposes `navigator.gpu` without flags; on a machine without a GPU it is a software adapter
 * (llvmpipe). Call {@link initWebGPU} once (it is asynchronous) before using the device.
 *
 * Buffers hold float32 as `f32`, int32 as `i32` and bool as `u32` (0/1; WGSL storage has no bool).
 * Freed buffers return to a pool (`pool.ts`, bounded in bytes and trimmed when idle) keyed by their
 * rounded size and are reused by later allocations; all work goes through one queue, so reuse
 * after a submitted command is ordered after it.
 *
 * @module
 */
import type { DeviceStorage } from "../../core/device_array.ts";
import { allocate, type DType, type TypedArray } from "../../core/dtype.ts";
import { BufferPool, type BufferPoolLimits } from "./pool.ts";

/** The device's capabilities that kernels are planned against. */
export interface WebGpuLimits {
  /** Storage buffers one shader may bind. */
  maxStorageBuffersPerShaderStage: number;
  /** Largest storage buffer binding, in bytes. */
  maxStorageBufferBindingSize: number;
  /** Largest buffer, in bytes. */
  maxBufferSize: number;
  /** Largest dispatch along one dimension. */
  maxComputeWorkgroupsPerDimension: number;
  /** Threads per workgroup. */
  maxComputeInvocationsPerWorkgroup: number;
}

/**
 * The initialised WebGPU context.
 *
 * @example
 * ```ts
 * import { initWebGPU } from "./device.ts";
 * const ctx = await initWebGPU();
 * if (ctx) console.log(ctx.description, ctx.limits.maxStorageBuffersPerShaderStage);
 * ```
 */
export interface WebGpuContext {
  /** The device. */
  device: GPUDevice;
  /** Adapter description (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"). */
  description: string;
  /** True for a software (CPU) adapter such as llvmpipe. */
  isFallbackAdapter: boolean;
  /** Limits requested from the adapter. */
  limits: WebGpuLimits;
}

let ctx: WebGpuContext | null = null;
let deviceError: string | null = null;
/** Why the last device was lost (until a new one is initialised). */
let lostReason: string | null = null;

/** Throws (once) the first asynchronous device error since the last check. */
export function checkDeviceError(): void {
  const e = deviceError;
  deviceError = null;
  if (e) throw new Error(`webgpu: the device reported an error: ${e}`);
}
let initPromise: Promise<WebGpuContext | null> | null = null;

/**
 * Initialises the WebGPU device (once); resolves to null when `navigator.gpu` has no adapter.
 * Requests the adapter's own limits (storage buffers per stage, buffer sizes), not the defaults.
 *
 * @example
 * ```ts
 * import { initWebGPU } from "./device.ts";
 * if (!(await initWebGPU())) console.log("no WebGPU adapter");
 * ```
 */
export function initWebGPU(): Promise<WebGpuContext | null> {
  initPromise ??= (async () => {
    const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) return null;
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) return null;
    const a = adapter.limits;
    const limits: WebGpuLimits = {
      maxStorageBuffersPerShaderStage: a.maxStorageBuffersPerShaderStage,
      maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
      maxBufferSize: a.maxBufferSize,
      maxComputeWorkgroupsPerDimension: a.maxComputeWorkgroupsPerDimension,
      maxComputeInvocationsPerWorkgroup: a.maxComputeInvocationsPerWorkgroup,
    };
    const device = await adapter.requestDevice({
      requiredLimits: { ...limits } as unknown as Record<string, number>,
    });
    const info = adapter.info;
    ctx = {
      device,
      description: info.description || info.vendor || "webgpu",
      isFallbackAdapter: (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
      limits,
    };
    lostReason = null;
    device.lost.then((info) => {
      if (ctx?.device !== device) return;
      ctx = null;
      initPromise = null;
      lostReason = info.message || info.reason || "unknown reason";
    });
    // Validation and out-of-memory errors are asynchronous in WebGPU: keep the first one and
    // raise it on the next readback, instead of silently reading garbage.
    device.addEventListener("uncapturederror", (e) => {
      deviceError ??= (e as GPUUncapturedErrorEvent).error.message;
    });
    return ctx;
  })();
  return initPromise;
}

/**
 * The initialised context; throws a clear error when {@link initWebGPU} has not completed.
 *
 * @example
 * ```ts
 * import { initWebGPU, webgpu } from "./device.ts";
 * await initWebGPU();
 * console.log(webgpu().description);
 * ```
 */
export function webgpu(): WebGpuContext {
  if (!ctx && lostReason !== null) {
    throw new Error(
      `webgpu: the device was lost (${lostReason}); arrays on it are gone. ` +
        `\`await initDevice("webgpu")\` gets a new device.`,
    );
  }
  if (!ctx) {
    throw new Error(
      `device "webgpu" is not initialised: call \`await initWebGPU()\` first ` +
        `(it resolves to null when this machine has no WebGPU adapter)`,
    );
  }
  return ctx;
}

/** True once {@link initWebGPU} succeeded. */
export function webgpuReady(): boolean {
  return ctx !== null;
}

// ---------------------------------------------------------------------------
// Buffers
// ---------------------------------------------------------------------------

/** Bytes per element on the device (bool is stored as u32). */
export function deviceItemSize(dtype: DType): number {
  if (dtype === "float64") throw new Error("webgpu: float64 has no device representation");
  return 4;
}

const USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const pool = new BufferPool({ maxBytes: 256 * 2 ** 20, maxIdleMs: 5000 });
const live = { buffers: 0, bytes: 0 };

function sizeClass(bytes: number): number {
  const b = Math.max(16, bytes);
  return b <= 4096 ? 2 ** Math.ceil(Math.log2(b)) : Math.ceil(b / 4096) * 4096;
}

/**
 * A storage buffer of at least `bytes` bytes, from the pool when one is free.
 *
 * @example
 * ```ts
 * import { acquireBuffer, releaseBuffer } from "./device.ts";
 * const b = acquireBuffer(1024);
 * releaseBuffer(b);
 * ```
 */
export function acquireBuffer(bytes: number): GPUBuffer {
  const size = sizeClass(bytes);
  const { device, limits } = webgpu();
  if (size > limits.maxBufferSize) {
    throw new Error(
      `webgpu: a buffer of ${bytes} bytes exceeds the device's maxBufferSize ${limits.maxBufferSize}`,
    );
  }
  const buf = pool.take(size) ?? device.createBuffer({ size, usage: USAGE() });
  live.buffers++;
  live.bytes += size;
  return buf;
}

/** Returns a buffer to the pool. */
export function releaseBuffer(buf: GPUBuffer): void {
  live.buffers--;
  live.bytes -= buf.size;
  pool.put(buf);
}

/**
 * Destroys every pooled (free) buffer, or those unused for `idleMs` milliseconds.
 *
 * @example
 * ```ts
 * import { trimPool } from "./device.ts";
 * trimPool();
 * ```
 */
export function trimPool(idleMs = 0): void {
  pool.trim(idleMs);
}

/**
 * Bounds the pool of free WebGPU buffers: at most `maxBytes` bytes (default 256 MiB; the least
 * recently freed buffers go first), and none unused for more than `maxIdleMs` (default 5000).
 * Returns the limits now in force; call without arguments to read them.
 *
 * @example
 * ```ts
 * import { configureBufferPool } from "./device.ts";
 * configureBufferPool({ maxBytes: 64 * 2 ** 20 }); // keep at most 64 MiB of free buffers
 * ```
 */
export function configureBufferPool(limits: Partial<BufferPoolLimits> = {}): BufferPoolLimits {
  pool.limits = { ...pool.limits, ...limits };
  return pool.limits;
}

/**
 * Live (owned by arrays or running programs) and pooled buffers of the WebGPU device.
 *
 * @example
 * ```ts
 * import { webgpuMemoryStats } from "./device.ts";
 * console.log(webgpuMemoryStats().liveBytes);
 * ```
 */
export function webgpuMemoryStats(): {
  liveBuffers: number;
  liveBytes: number;
  pooledBuffers: number;
  pooledBytes: number;
} {
  return {
    liveBuffers: live.buffers,
    liveBytes: live.bytes,
    pooledBuffers: pool.count,
    pooledBytes: pool.bytes,
  };
}

/** Host data as the device stores it (bool → u32). */
export function toDeviceLayout(data: TypedArray, dtype: DType): ArrayBufferView {
  if (dtype === "bool") return Uint32Array.from(data as Uint8Array);
  return data;
}

/** Writes host data (in the device layout of `dtype`) to the start of `buf`. */
export function writeHost(buf: GPUBuffer, data: TypedArray, dtype: DType): void {
  const bytes = data.length * deviceItemSize(dtype);
  if (bytes === 0) return;
  const src = toDeviceLayout(data, dtype);
  webgpu().device.queue.writeBuffer(buf, 0, src.buffer as ArrayBuffer, src.byteOffset, bytes);
}

/** Uploads host data into a new pooled buffer. */
export function upload(data: TypedArray, dtype: DType): GPUBuffer {
  const buf = acquireBuffer(data.length * deviceItemSize(dtype));
  writeHost(buf, data, dtype);
  return buf;
}

// ---------------------------------------------------------------------------
// Readback, batched: reads requested in the same tick share one submit and one map.
// ---------------------------------------------------------------------------

interface ReadRequest {
  buffer: GPUBuffer;
  bytes: number;
  resolve: (b: ArrayBuffer) => void;
  reject: (e: unknown) => void;
}
let pendingReads: ReadRequest[] = [];

function flushReads(): void {
  const reqs = pendingReads;
  pendingReads = [];
  if (!reqs.length) return;
  // This runs as a microtask: an exception here (a lost device) would leave every awaiting
  // `data()` pending forever, so it rejects them instead.
  try {
    submitReads(reqs);
  } catch (e) {
    for (const r of reqs) r.reject(e);
  }
}

function submitReads(reqs: ReadRequest[]): void {
  const { device } = webgpu();
  const offsets: number[] = [];
  let total = 0;
  for (const r of reqs) {
    offsets.push(total);
    total += Math.ceil(r.bytes / 4) * 4;
  }
  const staging = device.createBuffer({
    size: Math.max(4, total),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const enc = device.createCommandEncoder();
  reqs.forEach((r, i) => {
    if (r.bytes > 0) {
      enc.copyBufferToBuffer(r.buffer, 0, staging, offsets[i], Math.ceil(r.bytes / 4) * 4);
    }
  });
  device.queue.submit([enc.finish()]);
  staging.mapAsync(GPUMapMode.READ).then(() => {
    const all = staging.getMappedRange();
    reqs.forEach((r, i) => r.resolve(all.slice(offsets[i], offsets[i] + r.bytes)));
    staging.unmap();
    staging.destroy();
  }, (e) => {
    staging.destroy();
    for (const r of reqs) r.reject(e);
  });
}

/** Reads `bytes` bytes of a buffer back to the host (batched with other reads of this tick). */
export function readBuffer(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  return new Promise((resolve, reject) => {
    if (pendingReads.length === 0) queueMicrotask(flushReads);
    pendingReads.push({ buffer, bytes, resolve, reject });
  });
}

/** Converts device bytes back to the dtype's host typed array. */
export function fromDeviceLayout(bytes: ArrayBuffer, dtype: DType, size: number): TypedArray {
  if (dtype === "bool") {
    const out = new Uint8Array(size);
    out.set(new Uint32Array(bytes, 0, size));
    return out;
  }
  const out = allocate(dtype, size);
  new Uint8Array(out.buffer).set(new Uint8Array(bytes, 0, size * 4));
  return out;
}

// ---------------------------------------------------------------------------
// Storage owned by DeviceArrays
// ---------------------------------------------------------------------------

/**
 * A `DeviceArray`'s data on the WebGPU device: a pooled buffer, and, when an asynchronous program
 * (one with host routines) is still producing it, the promise of its completion.
 *
 * @example
 * ```ts
 * import { WebGpuStorage, initWebGPU, upload } from "./device.ts";
 * await initWebGPU();
 * const s = new WebGpuStorage(upload(new Float32Array([1, 2]), "float32"), "float32", 2);
 * console.log(await s.read());
 * s.free();
 * ```
 */
export class WebGpuStorage implements DeviceStorage {
  /** Always `"webgpu"`. */
  readonly device = "webgpu";
  #buffer: GPUBuffer | null;
  /**
   * Pending producer (null when the data is already being computed by submitted work, and once
   * the producer succeeded; a failed producer stays, for reads to report).
   */
  ready: Promise<void> | null;
  /** Pending consumers that have not submitted their reads of the buffer yet. */
  #readers = new Set<Promise<void>>();

  /** Takes ownership of `buffer` holding `size` elements of `dtype`. */
  constructor(
    buffer: GPUBuffer,
    readonly dtype: DType,
    readonly size: number,
    ready: Promise<void> | null = null,
  ) {
    this.#buffer = buffer;
    this.ready = ready;
    ready?.then(() => {
      if (this.ready === ready) this.ready = null;
    }, () => {});
  }
  /** Bytes of the data on the device. */
  get byteSize(): number {
    return this.size * 4;
  }
  /** The buffer (throws after `free()`). */
  get buffer(): GPUBuffer {
    if (!this.#buffer) throw new Error("webgpu: buffer used after dispose()");
    return this.#buffer;
  }
  /** Waits for the producer, then reads the elements back. */
  async read(): Promise<TypedArray> {
    if (this.ready) await this.ready;
    const reading = readBuffer(this.buffer, this.byteSize);
    this.holdUntil(reading); // the copy is encoded later: a dispose() meanwhile must wait for it
    const bytes = await reading;
    checkDeviceError();
    return fromDeviceLayout(bytes, this.dtype, this.size);
  }
  /** Keeps the buffer out of the pool until `reader` settles (a program that reads it later). */
  holdUntil(reader: Promise<unknown>): void {
    // Held as a promise of nothing: the value of a read must not stay referenced by the storage.
    const held: Promise<void> = reader.then(() => {}, () => {}).then(() => {
      this.#readers.delete(held);
    });
    this.#readers.add(held);
  }
  /** Returns the buffer to the pool (after the producer and the pending readers finished). */
  free(): void {
    const b = this.#buffer;
    if (!b) return;
    this.#buffer = null;
    const pending = [...this.#readers, ...(this.ready ? [this.ready] : [])];
    // Released at once when nothing is pending, so a synchronous loop reuses it.
    if (pending.length) Promise.allSettled(pending).then(() => releaseBuffer(b));
    else releaseBuffer(b);
  }
}
