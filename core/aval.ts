/**
 * Abstract values: what tracing knows about an array (shape, dtype, weak type) without its data.
 *
 * @module
 */
import type { DType } from "./dtype.ts";
import { type Shape, shapesEqual, sizeOf } from "./shape.ts";

const SHORT: Record<DType, string> = { float32: "f32", float64: "f64", int32: "i32", bool: "bool" };

/** The abstract value of an array: shape, dtype and JAX's weak-type flag. */
export class ShapedArray {
  /** Creates an abstract value. */
  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    readonly weakType = false,
  ) {}
  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }
  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }
  /** Same shape and dtype (weak type ignored). */
  equals(o: ShapedArray): boolean {
    return this.dtype === o.dtype && shapesEqual(this.shape, o.shape);
  }
  /** The same shape and dtype with the weak-type flag cleared. */
  strengthen(): ShapedArray {
    return this.weakType ? new ShapedArray(this.shape, this.dtype) : this;
  }
  /** Like JAX: `f32[3,2]`. */
  toString(): string {
    return `${SHORT[this.dtype]}[${this.shape.join(",")}]`;
  }
}
