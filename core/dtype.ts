/**
 * Element types, their typed-array storage and JAX-style type promotion.
 *
 * zgrad has four dtypes. JS numbers are *weakly typed* (as Python scalars are in JAX): they take the
 * dtype of the array they meet, so `x.mul(2)` keeps a float64 `x` in float64.
 *
 * @module
 */

/** The element types zgrad supports. */
export type DType = "float32" | "float64" | "int32" | "bool";

/** All dtypes, in promotion order (bool < int32 < float32 < float64). */
export const DTYPES: readonly DType[] = ["bool", "int32", "float32", "float64"];

/** Typed-array storage used for each dtype on the CPU. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Throws a clear error unless `d` names a supported dtype. */
export function checkDType(d: unknown, where = "dtype"): DType {
  if (typeof d === "string" && (DTYPES as readonly string[]).includes(d)) return d as DType;
  throw new TypeError(
    `${where}: unknown dtype ${JSON.stringify(d)}; expected one of ${DTYPES.join(", ")}`,
  );
}

/** True for float32 and float64. */
export function isFloat(d: DType): boolean {
  return d === "float32" || d === "float64";
}

/** Allocates zero-filled CPU storage of `size` elements for `dtype`. */
export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
  }
}

/** Bytes per element of `dtype`. */
export function itemSize(dtype: DType): number {
  return dtype === "float64" ? 8 : dtype === "bool" ? 1 : 4;
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** A dtype together with JAX's weak-type flag (true for values that came from JS numbers). */
export interface TypeInfo {
  /** The element type. */
  dtype: DType;
  /** Weakly typed (gives way in promotion). */
  weak: boolean;
}

/**
 * JAX-style promotion of two (possibly weak) types.
 *
 * Strong types promote along bool < int32 < float32 < float64. A weak type gives way to a strong one of
 * the same or higher kind; a weak float meeting a strong int or bool gives float32 (like JAX's default
 * float). Two weak types give a weak result.
 */
export function promote(a: TypeInfo, b: TypeInfo): TypeInfo {
  if (a.weak && b.weak) {
    return { dtype: RANK[a.dtype] >= RANK[b.dtype] ? a.dtype : b.dtype, weak: true };
  }
  if (a.weak || b.weak) {
    const [w, s] = a.weak ? [a, b] : [b, a];
    if (isFloat(w.dtype) && !isFloat(s.dtype)) return { dtype: "float32", weak: false };
    if (w.dtype === "int32" && s.dtype === "bool") return { dtype: "int32", weak: false };
    return { dtype: s.dtype, weak: false };
  }
  return { dtype: RANK[a.dtype] >= RANK[b.dtype] ? a.dtype : b.dtype, weak: false };
}

/** The dtype used for floating-point results of an input of dtype `d` (int and bool → float32). */
export function floatOf(d: DType): DType {
  return isFloat(d) ? d : "float32";
}

/** Converts a JS number to the value stored for `dtype` (what the typed array would hold). */
export function castScalar(v: number, dtype: DType): number {
  switch (dtype) {
    case "float64":
      return v;
    case "float32":
      return Math.fround(v);
    case "int32":
      return Number.isFinite(v) ? Math.trunc(v) | 0 : 0;
    case "bool":
      return v ? 1 : 0;
  }
}
