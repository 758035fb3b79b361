/**
 * Concrete arrays: data that exists on a device (today: the CPU, as a typed array).
 *
 * @module
 */
import { Array } from "./array.ts";
import { ShapedArray } from "./aval.ts";
import { allocate, type DType, type TypedArray } from "./dtype.ts";
import type { Shape } from "./shape.ts";

/**
 * An array with concrete data on a device. Created by `array`, `zeros`, ... and by eager operations.
 */
export class DeviceArray extends Array {
  #aval: ShapedArray;
  #data: TypedArray | null;
  /** The device holding the data. */
  readonly device = "cpu";

  /** Wraps row-major `data` (not copied) with the given shape and dtype. */
  constructor(aval: ShapedArray, data: TypedArray) {
    super();
    if (data.length !== aval.size) {
      throw new Error(`DeviceArray: ${data.length} elements do not fill shape [${aval.shape}]`);
    }
    this.#aval = aval;
    this.#data = data;
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
  /** Elements, row-major. */
  override dataSync(): TypedArray {
    if (!this.#data) throw new Error(`array ${this.#aval} was used after dispose()`);
    return this.#data;
  }
  /** Elements, row-major. */
  override data(): Promise<TypedArray> {
    return Promise.resolve(this.dataSync());
  }
  /** Drops the storage; any later use throws. */
  override dispose(): void {
    this.#data = null;
  }
  /** True once `dispose()` ran. */
  get disposed(): boolean {
    return this.#data === null;
  }
  /** `+x`, `x > 0` and template strings work on concrete scalars. */
  [Symbol.toPrimitive](hint: string): number | string {
    if (hint === "string") return this.toString();
    return this.item();
  }
}
