/**
 * Turning JS values into arrays, and the shared helpers that prepare operands for primitives.
 *
 * @module
 */
import { Array, type ArrayLike } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { DeviceArray } from "../device_array.ts";
import { allocate, castScalar, checkDType, type DType, type TypedArray } from "../dtype.ts";
import { P } from "../primitives/mod.ts";
import { broadcastShapes, type Shape, shapesEqual } from "../shape.ts";
import { bind1 } from "../trace.ts";
import { promote, type TypeInfo } from "../dtype.ts";

function dtypeOfTyped(t: TypedArray): DType {
  if (t instanceof Float64Array) return "float64";
  if (t instanceof Float32Array) return "float32";
  if (t instanceof Int32Array) return "int32";
  return "bool";
}

function nestedShape(x: unknown, op: string): number[] {
  const shape: number[] = [];
  let cur: unknown = x;
  while (globalThis.Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  if (cur !== undefined && typeof cur !== "number" && typeof cur !== "boolean") {
    throw new TypeError(`${op}: cannot make an array from ${typeof cur} elements`);
  }
  return shape;
}

/**
 * Creates a concrete array from a JS number, boolean, nested lists, a typed array or another array.
 * JS numbers default to float32 (weakly typed when scalar); booleans to bool; typed arrays keep
 * their type. Pass `dtype` to choose.
 *
 * @example
 * ```ts
 * import { array } from "./mod.ts";
 * const a = array([[1, 2], [3, 4]], "float64");
 * console.log(a.shape); // [2, 2]
 * ```
 */
export function array(
  x: ArrayLike | TypedArray,
  dtype?: DType,
  opts: { shape?: readonly number[] } = {},
): Array {
  if (dtype !== undefined) checkDType(dtype, "array");
  if (x instanceof Array) return dtype && dtype !== x.dtype ? astype(x, dtype) : x;
  if (ArrayBuffer.isView(x)) {
    const t = x as TypedArray;
    const dt = dtype ?? dtypeOfTyped(t);
    const data = allocate(dt, t.length);
    data.set(t);
    const shape = opts.shape ?? [t.length];
    return new DeviceArray(new ShapedArray(shape, dt), data);
  }
  if (typeof x === "number" || typeof x === "boolean") {
    const dt = dtype ?? (typeof x === "boolean" ? "bool" : "float32");
    const data = allocate(dt, 1);
    data[0] = Number(x);
    return new DeviceArray(new ShapedArray([], dt, dtype === undefined), data);
  }
  if (!globalThis.Array.isArray(x)) throw new TypeError(`array: cannot convert ${typeof x}`);
  const shape = nestedShape(x, "array");
  const flat = (x as unknown[]).flat(Infinity) as (number | boolean)[];
  const size = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== size) {
    throw new Error(`array: ragged nested lists (expected shape [${shape}])`);
  }
  const dt = dtype ?? (typeof flat[0] === "boolean" ? "bool" : "float32");
  const data = allocate(dt, size);
  for (let i = 0; i < size; i++) {
    const v = flat[i];
    if (typeof v !== "number" && typeof v !== "boolean") {
      throw new TypeError(`array: element ${i} is ${typeof v}, not a number`);
    }
    data[i] = Number(v);
  }
  return new DeviceArray(new ShapedArray(shape, dt), data);
}

/** Converts any array-like to an array (JS scalars become weakly typed scalars). */
export function asArray(x: ArrayLike): Array {
  return x instanceof Array ? x : array(x);
}

/** Converts `x` to `dtype` (returns `x` itself when nothing changes). */
export function astype(x: ArrayLike, dtype: DType): Array {
  checkDType(dtype, "astype");
  const a = asArray(x);
  return castTo(a, { dtype, weak: false });
}

/** Casts `x` to `dtype`, keeping it weak if it was weak (used by promotion). */
export function castTo(x: Array, t: TypeInfo): Array {
  if (x.dtype === t.dtype && x.weakType === t.weak) return x;
  const params = { dtype: t.dtype, weakType: t.weak };
  // Constants are converted now, so jaxprs show `mul b 2.0`, not a conversion of a literal.
  if (x instanceof DeviceArray) return P.convert_element_type.impl([x], params)[0];
  return bind1(P.convert_element_type, [x], params);
}

/** Broadcasts `x` to `shape` (numpy rules; `x`'s axes align with the trailing axes). */
export function broadcastTo(x: ArrayLike, shape: Shape): Array {
  const a = asArray(x);
  if (shapesEqual(a.shape, shape)) return a;
  const out = broadcastShapes("broadcastTo", a.shape, shape);
  if (!shapesEqual(out, shape)) {
    throw new Error(`broadcastTo: cannot broadcast shape [${a.shape}] to [${shape}]`);
  }
  const lead = shape.length - a.ndim;
  // Drop size-1 axes being stretched so the primitive only sees exact matches.
  const keep = a.shape.map((d, i) => d === shape[lead + i]);
  const squeezed = keep.every(Boolean)
    ? a
    : bind1(P.reshape, [a], { shape: a.shape.filter((_, i) => keep[i]) });
  const dims = a.shape.map((_, i) => lead + i).filter((_, i) => keep[i]);
  return bind1(P.broadcast_in_dim, [squeezed], { shape: [...shape], broadcastDimensions: dims });
}

/**
 * The type an operand contributes to promotion. JS numbers are weak: integer values within int32
 * range count as weak int32 (so `int32Array.add(1)` stays int32), others as weak float.
 */
export function operandType(x: ArrayLike): TypeInfo {
  if (x instanceof Array) return { dtype: x.dtype, weak: x.weakType };
  if (typeof x === "number") {
    const int = Number.isInteger(x) && x >= -2147483648 && x <= 2147483647;
    return { dtype: int ? "int32" : "float32", weak: true };
  }
  if (typeof x === "boolean") return { dtype: "bool", weak: true };
  return { dtype: asArray(x).dtype, weak: false };
}

/** The promoted type of several operands (arrays or JS scalars). */
export function resultType(...xs: ArrayLike[]): TypeInfo {
  return xs.map(operandType).reduce((a, b) => promote(a, b));
}

/**
 * Promotes and broadcasts operands to one dtype and shape (naming `op` in errors), as numpy does
 * before an elementwise operation. JS scalars are converted straight to the result dtype, so
 * `float64Array.mul(0.1)` multiplies by the double 0.1, not by its float32 rounding.
 */
export function prepare(op: string, xs: ArrayLike[], force?: (t: TypeInfo) => TypeInfo): Array[] {
  let t = resultType(...xs);
  if (force) t = force(t);
  const arrs = xs.map((x) =>
    typeof x === "number" || typeof x === "boolean" ? scalar(Number(x), t) : castTo(exact(x, t), t)
  );
  return broadcastArrays(op, arrs);
}

// The JS numbers passed to `jit` as arguments: each is traced as a float64 weak scalar (its exact
// value; the value is not part of the cache key) and the function sees that value converted to
// the number's own weak type (`operandType`). This map leads from what the function sees back to
// the exact value, so that `prepare` converts the exact value straight to the result type, as it
// does with a JS number, instead of the rounded one: jit(f)(x, 0.1) then equals f(x, 0.1).
const exactValues = new WeakMap<Array, Array>();

/** The exact value behind `x` when `x` stands for a JS number and `t` is not its own type. */
function exact(x: ArrayLike, t: TypeInfo): Array {
  const a = asArray(x);
  const src = exactValues.get(a);
  return src && (a.dtype !== t.dtype || a.weakType !== t.weak) ? src : a;
}

/**
 * The array that carries JS number `v` into a traced function at full precision (a float64 weak
 * scalar); {@link numberArgValue} turns its traced counterpart into what the function sees.
 *
 * @example
 * ```ts
 * import { numberArgCarrier } from "./convert.ts";
 * numberArgCarrier(0.1).dtype; // "float64"
 * ```
 */
export function numberArgCarrier(v: number): Array {
  const data = allocate("float64", 1);
  data[0] = v;
  return new DeviceArray(new ShapedArray([], "float64", true), data);
}

/**
 * What a traced function sees for a JS number argument carried by `carrier`: the value as the
 * number's weak type `t` (`operandType(v)`), remembered as exact so that operations combining it
 * with an array convert the exact value to their result type (as they do with the JS number).
 *
 * @example
 * ```ts
 * import { numberArgCarrier, numberArgValue, operandType } from "./convert.ts";
 * numberArgValue(numberArgCarrier(0.1), operandType(0.1)).dtype; // "float32" (weak)
 * ```
 */
export function numberArgValue(carrier: Array, t: TypeInfo): Array {
  const v = castTo(carrier, t);
  exactValues.set(v, carrier);
  return v;
}

/** A 0-d constant of type `t` holding `v` (rounded once, to `t.dtype`). */
export function scalar(v: number, t: TypeInfo): Array {
  const data = allocate(t.dtype, 1);
  data[0] = castScalar(v, t.dtype);
  return new DeviceArray(new ShapedArray([], t.dtype, t.weak), data);
}

/** Broadcasts arrays to their common shape (no dtype change), naming `op` in errors. */
export function broadcastArrays(op: string, xs: Array[]): Array[] {
  const shape = broadcastShapes(op, ...xs.map((a) => a.shape));
  return xs.map((a) => broadcastTo(a, shape));
}
