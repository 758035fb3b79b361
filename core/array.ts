/**
 * The one array type users see. Concrete arrays ({@link DeviceArray}) and tracers (values inside a
 * transform) both extend it, so user code is written once and works eagerly, under `grad`, `vmap` and
 * `jit`. Operations never consume their inputs.
 *
 * Methods forward to the numpy-style functions in `core/ops/`; they are installed at load time (by
 * `installOps`) because the ops depend on this class and a static import would be circular.
 *
 * @module
 */
import type { ShapedArray } from "./aval.ts";
import type { DType, TypedArray } from "./dtype.ts";
import type * as OpsModule from "./ops/mod.ts";
import type { Shape } from "./shape.ts";

/** Anything that can stand where an array is expected: an array, a JS number or boolean, nested lists. */
export type ArrayLike = Array | number | boolean | NestedNumbers;
/** Nested JS lists of numbers (or booleans), as accepted by `array`. */
export type NestedNumbers = readonly (number | boolean | NestedNumbers)[];

/** One entry of a slice: an index, `null`/`":"` (everything), `"a:b:c"`, or `{start, stop, step}`. */
export type SliceSpec =
  | number
  | null
  | string
  | { start?: number | null; stop?: number | null; step?: number | null };

let ops: typeof OpsModule | undefined;

/** Installs the op functions behind the methods (called once by `core/ops/mod.ts`). */
export function installOps(o: typeof OpsModule): void {
  ops = o;
}
function O(): typeof OpsModule {
  if (!ops) throw new Error("zgrad: core/ops/mod.ts has not been loaded; import from mod.ts");
  return ops;
}

/**
 * An n-dimensional array of `float32`, `float64`, `int32` or `bool` elements.
 *
 * @example
 * ```ts
 * import { array } from "./mod.ts";
 * const x = array([[1, 2], [3, 4]]);
 * console.log(x.mul(2).sum().item()); // 20
 * ```
 */
export abstract class Array {
  /** Shape, dtype and weak type of this array. */
  abstract get aval(): ShapedArray;
  /** The dimensions. */
  get shape(): Shape {
    return this.aval.shape;
  }
  /** The element type. */
  get dtype(): DType {
    return this.aval.dtype;
  }
  /** Number of dimensions. */
  get ndim(): number {
    return this.aval.ndim;
  }
  /** Number of elements. */
  get size(): number {
    return this.aval.size;
  }
  /** True when the dtype came from a JS number and gives way to other dtypes in promotion. */
  get weakType(): boolean {
    return this.aval.weakType;
  }

  /** Reads the elements (row-major) from any device. */
  abstract data(): Promise<TypedArray>;
  /** Reads the elements synchronously (CPU arrays only). */
  abstract dataSync(): TypedArray;
  /** Releases the storage now rather than when garbage collected. Later use is an error. */
  abstract dispose(): void;
  /** `using x = ...` releases the array at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
  /** The single element of a size-1 array as a JS number (booleans as 0/1). */
  item(): number {
    if (this.size !== 1) {
      throw new Error(`item: array of shape [${this.shape}] has ${this.size} elements, not 1`);
    }
    return this.dataSync()[0];
  }
  /** Nested JS lists of the elements (like numpy's `tolist`). */
  tolist(): unknown {
    return O().tolist(this);
  }

  // Elementwise arithmetic.
  /** `this + y` with broadcasting. */
  add(y: ArrayLike): Array {
    return O().add(this, y);
  }
  /** `this - y`. */
  sub(y: ArrayLike): Array {
    return O().sub(this, y);
  }
  /** `this * y`. */
  mul(y: ArrayLike): Array {
    return O().mul(this, y);
  }
  /** `this / y` (true division; ints give floats). */
  div(y: ArrayLike): Array {
    return O().div(this, y);
  }
  /** `this ** y`. */
  pow(y: ArrayLike): Array {
    return O().pow(this, y);
  }
  /** `-this`. */
  neg(): Array {
    return O().neg(this);
  }
  /** `|this|`. */
  abs(): Array {
    return O().abs(this);
  }
  /** `this²`. */
  square(): Array {
    return O().square(this);
  }
  /** `√this`. */
  sqrt(): Array {
    return O().sqrt(this);
  }
  /** `eˣ`. */
  exp(): Array {
    return O().exp(this);
  }
  /** Natural logarithm. */
  log(): Array {
    return O().log(this);
  }
  /** Elementwise maximum with `y`. */
  maximum(y: ArrayLike): Array {
    return O().maximum(this, y);
  }
  /** Elementwise minimum with `y`. */
  minimum(y: ArrayLike): Array {
    return O().minimum(this, y);
  }
  /** Clips into `[lo, hi]`. */
  clip(lo?: ArrayLike | null, hi?: ArrayLike | null): Array {
    return O().clip(this, lo, hi);
  }

  // Comparisons (bool results).
  /** `this < y`. */
  lt(y: ArrayLike): Array {
    return O().less(this, y);
  }
  /** `this <= y`. */
  le(y: ArrayLike): Array {
    return O().lessEqual(this, y);
  }
  /** `this > y`. */
  gt(y: ArrayLike): Array {
    return O().greater(this, y);
  }
  /** `this >= y`. */
  ge(y: ArrayLike): Array {
    return O().greaterEqual(this, y);
  }
  /** `this == y` elementwise. */
  eq(y: ArrayLike): Array {
    return O().equal(this, y);
  }
  /** `this != y` elementwise. */
  ne(y: ArrayLike): Array {
    return O().notEqual(this, y);
  }

  // Reductions.
  /** Sum over `axis` (all axes by default). */
  sum(axis?: number | number[], opts?: { keepdims?: boolean }): Array {
    return O().sum(this, axis, opts);
  }
  /** Mean over `axis`. */
  mean(axis?: number | number[], opts?: { keepdims?: boolean }): Array {
    return O().mean(this, axis, opts);
  }
  /** Product over `axis`. */
  prod(axis?: number | number[], opts?: { keepdims?: boolean }): Array {
    return O().prod(this, axis, opts);
  }
  /** Maximum over `axis`. */
  max(axis?: number | number[], opts?: { keepdims?: boolean }): Array {
    return O().max(this, axis, opts);
  }
  /** Minimum over `axis`. */
  min(axis?: number | number[], opts?: { keepdims?: boolean }): Array {
    return O().min(this, axis, opts);
  }
  /** Index of the maximum along `axis` (flattened when omitted). */
  argmax(axis?: number): Array {
    return O().argmax(this, axis);
  }
  /** Index of the minimum along `axis`. */
  argmin(axis?: number): Array {
    return O().argmin(this, axis);
  }
  /** Cumulative sum along `axis` (flattened when omitted). */
  cumsum(axis?: number): Array {
    return O().cumsum(this, axis);
  }

  // Shapes and types.
  /** Same data, new shape; one entry may be -1. */
  reshape(shape: readonly number[]): Array {
    return O().reshape(this, shape);
  }
  /** Permutes axes (reverses them by default). */
  transpose(axes?: readonly number[]): Array {
    return O().transpose(this, axes);
  }
  /** The transpose (axes reversed). */
  get T(): Array {
    return O().transpose(this);
  }
  /** Flattens to one dimension. */
  flatten(): Array {
    return O().reshape(this, [-1]);
  }
  /** Removes size-1 axes. */
  squeeze(axis?: number | number[]): Array {
    return O().squeeze(this, axis);
  }
  /** Inserts a size-1 axis. */
  expandDims(axis: number): Array {
    return O().expandDims(this, axis);
  }
  /** Converts to another dtype. */
  astype(dtype: DType): Array {
    return O().astype(this, dtype);
  }
  /**
   * numpy-style basic indexing: numbers pick (and drop) an axis, `"a:b:c"` strings or
   * `{start, stop, step}` slice it, `null` keeps it whole. Negative indices and steps work.
   */
  slice(...specs: SliceSpec[]): Array {
    return O().slice(this, ...specs);
  }
  /** Gathers entries at integer `indices` along `axis` (default 0); see `take` for `opts.mode`. */
  take(indices: ArrayLike, axis = 0, opts?: OpsModule.TakeOptions): Array {
    return O().take(this, indices, axis, opts);
  }
  /**
   * Functional indexed updates along `axis`, like JAX's `x.at[idx]`: `.set(v)` (last write wins
   * for repeated indices), `.add(v)` and `.mul(v)` (repeated indices accumulate), `.get()` (take).
   */
  at(indices: ArrayLike, axis = 0): {
    get(): Array;
    set(v: ArrayLike): Array;
    add(v: ArrayLike): Array;
    mul(v: ArrayLike): Array;
  } {
    return {
      get: () => O().take(this, indices, axis),
      set: (v: ArrayLike) => O().indexSet(this, indices, v, axis),
      add: (v: ArrayLike) => O().indexAdd(this, indices, v, axis),
      mul: (v: ArrayLike) => O().indexMul(this, indices, v, axis),
    };
  }
  /** Matrix product with `y`. */
  matmul(y: ArrayLike): Array {
    return O().matmul(this, y);
  }

  /** numpy-like rendering of the elements (CPU) or a description of a traced value. */
  toString(): string {
    return O().formatArray(this);
  }
}
