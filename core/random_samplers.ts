/**
 * The samplers of `core/random.ts` other than Poisson (`core/random_poisson.ts`): {@link bits},
 * {@link uniform}, {@link normal}, {@link bernoulli}, {@link exponential}, {@link randint} and
 * {@link permutation}, each JAX's algorithm on the random bits of `core/random_keys.ts`.
 *
 * @module
 */
import { Array, type ArrayLike } from "./array.ts";
import { DeviceArray } from "./device_array.ts";
import { type DType, isFloat } from "./dtype.ts";
import { P } from "./primitives/mod.ts";
import { normAxis } from "./shape.ts";
import { bind, bind1 } from "./trace.ts";
import * as np from "./ops/mod.ts";
import {
  checkFloatDType,
  checkKey,
  checkParamShapes,
  checkShape,
  describe,
  i32,
  INT32_MAX,
  INT32_MIN,
  param,
} from "./random_args.ts";
import { bits32, bits64, split2 } from "./random_keys.ts";

/**
 * Uniform random bits (`jax.random.bits` with uint32): int32 array of `shape` holding the uint32
 * words (reinterpret with `>>> 0` in JS).
 *
 * @example
 * ```ts
 * import { random } from "./mod.ts";
 * const b = random.bits(random.key(0), [4]); // int32 bits
 * ```
 */
export function bits(key: Array, shape: readonly number[] = []): Array {
  return bits32(checkKey("bits", key), checkShape("bits", shape));
}

/**
 * Options of {@link uniform}.
 *
 * @example
 * ```ts
 * const opts: UniformOptions = { dtype: "float64", minval: -1, maxval: 1 };
 * ```
 */
export interface UniformOptions {
  /** float32 (default) or float64 (drawn from 64 random bits, as JAX does). */
  dtype?: DType;
  /** Inclusive lower bound, broadcastable to the shape (default 0). */
  minval?: ArrayLike;
  /** Exclusive upper bound, broadcastable to the shape (default 1). */
  maxval?: ArrayLike;
}

/** Uniform floats in [0, 1) from random bits, exactly as JAX's `_uniform` mantissa trick. */
function unitFloats(key: Array, shape: number[], dtype: DType): Array {
  if (dtype === "float32") {
    // bitcast((bits >>> 9) | bits(1.0f)) - 1 is m·2^-23 for the 23-bit mantissa m: exact here.
    const m = np.shiftRightLogical(bits32(key, shape), i32(9));
    return np.mul(np.astype(m, "float32"), 2 ** -23);
  }
  // float64: the top 52 of 64 bits, (hi >>> 12)·2^-20 + (hi & 0xfff)·2^-32 + (lo >>> 12)·2^-52.
  // The three terms occupy disjoint bits, so the sums are exact (= bitcast(...) - 1 in JAX).
  const [hi, lo] = bits64(key, shape);
  const f = (x: Array, scale: number) => np.mul(np.astype(x, "float64"), scale);
  const top = f(np.shiftRightLogical(hi, i32(12)), 2 ** -20);
  const mid = f(np.bitwiseAnd(hi, i32(0xfff)), 2 ** -32);
  return np.add(np.add(top, mid), f(np.shiftRightLogical(lo, i32(12)), 2 ** -52));
}

/**
 * Uniform random floats in `[minval, maxval)` (`jax.random.uniform`), bit-identical to JAX:
 * `max(minval, u·(maxval − minval) + minval)` with `u` in [0, 1) from 23 (float32) or 52 (float64)
 * random mantissa bits.
 *
 * @example
 * ```ts
 * import { random } from "./mod.ts";
 * const u = random.uniform(random.key(0), [3]);
 * const v = random.uniform(random.key(1), [2], { dtype: "float64", minval: -1, maxval: 1 });
 * ```
 */
export function uniform(
  key: Array,
  shape: readonly number[] = [],
  opts: UniformOptions = {},
): Array {
  const k = checkKey("uniform", key);
  const s = checkShape("uniform", shape);
  const dtype = checkFloatDType("uniform", opts.dtype);
  const minval = opts.minval ?? 0, maxval = opts.maxval ?? 1;
  const unit = unitFloats(k, s, dtype);
  // u·1 + 0 = u and max(0, u) = u: skip the affine map for the default bounds.
  if (minval === 0 && maxval === 1) return unit;
  const lo = param(minval, dtype), hi = param(maxval, dtype);
  checkParamShapes("uniform", s, { minval: lo, maxval: hi });
  return np.maximum(lo, np.add(np.mul(unit, np.sub(hi, lo)), lo));
}

/**
 * Options of samplers that only choose a float dtype ({@link normal}, {@link exponential}).
 *
 * @example
 * ```ts
 * const opts: FloatOptions = { dtype: "float64" };
 * ```
 */
export interface FloatOptions {
  /** float32 (default) or float64. */
  dtype?: DType;
}

/**
 * Standard normal random floats (`jax.random.normal`), by JAX's algorithm:
 * `√2 · erfinv(u)` with `u` uniform in `(nextafter(−1, 0), 1)`.
 *
 * @example
 * ```ts
 * import { random } from "./mod.ts";
 * const z = random.normal(random.key(0), [1000]); // mean ≈ 0, variance ≈ 1
 * ```
 */
export function normal(key: Array, shape: readonly number[] = [], opts: FloatOptions = {}): Array {
  const k = checkKey("normal", key);
  const s = checkShape("normal", shape);
  const dtype = checkFloatDType("normal", opts.dtype);
  // nextafter(-1, 0): the float just above -1, so erfinv never sees -1.
  const lo = dtype === "float32" ? -(1 - 2 ** -24) : -(1 - 2 ** -53);
  const u = uniform(k, s, { dtype, minval: lo, maxval: 1 });
  return np.mul(bind1(P.erf_inv, [u]), Math.SQRT2);
}

/**
 * Bernoulli draws (`jax.random.bernoulli`): a bool array, true with probability `p`, computed as
 * `uniform(key, shape, p's dtype) < p`. `shape` defaults to `p`'s shape; `p` must broadcast to it.
 *
 * @example
 * ```ts
 * import { random } from "./mod.ts";
 * const coin = random.bernoulli(random.key(0), 0.3, [10]); // bool[10]
 * ```
 */
export function bernoulli(key: Array, p: ArrayLike = 0.5, shape?: readonly number[]): Array {
  const k = checkKey("bernoulli", key);
  if (p instanceof Array && !isFloat(p.dtype)) {
    throw new TypeError(`random.bernoulli: p must be a float array, got ${p.aval}`);
  }
  const dtype = p instanceof Array ? p.dtype : "float32";
  const pa = param(p, dtype);
  const s = checkShape("bernoulli", shape ?? [...pa.shape]);
  checkParamShapes("bernoulli", s, { p: pa });
  return np.less(uniform(k, s, { dtype }), pa);
}

/**
 * Exponential draws with rate 1 (`jax.random.exponential`): `−log1p(−u)` with `u` uniform in [0, 1).
 *
 * @example
 * ```ts
 * import { random } from "./mod.ts";
 * const t = random.exponential(random.key(0), [5]); // mean ≈ 1
 * ```
 */
export function exponential(
  key: Array,
  shape: readonly number[] = [],
  opts: FloatOptions = {},
): Array {
  const k = checkKey("exponential", key);
  const dtype = checkFloatDType("exponential", opts.dtype);
  const u = uniform(k, checkShape("exponential", shape), { dtype });
  return np.neg(np.log1p(np.neg(u)));
}

/** A uint32 bit pattern (held in int32) as its unsigned value, in float64 (exact). */
function unsignedValue(x: Array): Array {
  const f = np.astype(x, "float64");
  return np.where(np.less(x, i32(0)), np.add(f, 2 ** 32), f);
}

/**
 * Unsigned remainder `a mod b` of uint32 bit patterns (XLA's `rem` on uint32; `b = 0` gives `a`).
 * Computed in float64, where both operands and the product `q·b` are exact.
 */
function unsignedRem(a: Array, b: Array): Array {
  const af = unsignedValue(a), bf = unsignedValue(b);
  const q = np.floor(np.div(af, bf));
  let r = np.sub(af, np.mul(q, bf));
  // The rounded quotient can be off by one: bring the remainder back into [0, b).
  r = np.where(np.less(r, 0), np.add(r, bf), r);
  r = np.where(np.greaterEqual(r, bf), np.sub(r, bf), r);
  r = np.where(np.equal(bf, 0), af, r);
  // Values below 2^32 convert to int32 modulo 2^32: the same bit pattern.
  return np.astype(r, "int32");
}

/** An integer bound of randint, clipped into int32; `above` flags values above the int32 range. */
function intBound(name: string, v: ArrayLike): { value: Array; above: boolean } {
  if (v instanceof Array) return { value: np.astype(v, "int32"), above: false };
  if (typeof v !== "number" || Number.isNaN(v)) {
    throw new TypeError(
      `random.randint: ${name} must be an integer or an array, got ${describe(v)}`,
    );
  }
  const t = Math.trunc(v);
  const clipped = Math.min(Math.max(t, INT32_MIN), INT32_MAX);
  return { value: i32(clipped), above: t > INT32_MAX };
}

/**
 * Uniform random int32 in `[minval, maxval)` (`jax.random.randint`), bit-identical to JAX: two
 * 32-bit draws combined modulo the span to reduce bias. Bounds broadcast to `shape`; where
 * `maxval <= minval` the result is `minval`. JS bounds are clipped into the int32 range, and a
 * `maxval` above it includes 2^31 − 1 (as JAX does).
 *
 * @example
 * ```ts
 * import { random } from "./mod.ts";
 * const dice = random.randint(random.key(0), [10], 1, 7); // int32 in 1..6
 * ```
 */
export function randint(
  key: Array,
  shape: readonly number[],
  minval: ArrayLike,
  maxval: ArrayLike,
): Array {
  const k = checkKey("randint", key);
  const s = checkShape("randint", shape);
  const lo0 = intBound("minval", minval), hi0 = intBound("maxval", maxval);
  checkParamShapes("randint", s, { minval: lo0.value, maxval: hi0.value });
  const lo = np.broadcastTo(lo0.value, s), hi = np.broadcastTo(hi0.value, s);
  const [k1, k2] = split2(k);
  const higher = bits32(k1, s), lower = bits32(k2, s);
  // int32 subtraction wraps, giving the uint32 span's bits.
  let span = np.where(np.lessEqual(hi, lo), i32(1), np.sub(hi, lo));
  // maxval above the int32 range: one more value (2^32 wraps to 0 = "no reduction").
  if (hi0.above) span = np.where(np.greater(hi, lo), np.add(span, i32(1)), span);
  // multiplier = 2^32 mod span, computed as JAX does: ((2^16 mod span)^2 mod 2^32) mod span.
  const m16 = unsignedRem(np.fullLike(span, 2 ** 16), span);
  const multiplier = unsignedRem(np.mul(m16, m16), span);
  // int32 mul and add wrap modulo 2^32 like uint32 arithmetic.
  const offset = unsignedRem(
    np.add(np.mul(unsignedRem(higher, span), multiplier), unsignedRem(lower, span)),
    span,
  );
  return np.add(lo, offset);
}

/**
 * Options of {@link permutation}.
 *
 * @example
 * ```ts
 * const opts: PermutationOptions = { axis: 1, independent: true };
 * ```
 */
export interface PermutationOptions {
  /** The axis permuted (default 0). */
  axis?: number;
  /** Shuffle each slice along `axis` independently (default false: permute whole slices). */
  independent?: boolean;
}

/**
 * JAX's `_shuffle`: rounds of stable sorts by fresh 32-bit random keys; enough rounds that all
 * elements almost surely got distinct key strings (`ceil(3 ln n / ln(2^32 − 1))`).
 */
function shuffle(key: Array, x: Array, axis: number): Array {
  const rounds = Math.ceil(3 * Math.log(Math.max(1, x.size)) / Math.log(2 ** 32 - 1));
  let k = key;
  for (let r = 0; r < rounds; r++) {
    const [next, sub] = split2(k);
    k = next;
    // Flipping the sign bit makes int32 order equal to the uint32 order JAX sorts by.
    const sortKeys = np.bitwiseXor(bits32(sub, [...x.shape]), i32(INT32_MIN));
    x = bind(P.sort, [sortKeys, x], { dimension: axis, numKeys: 1 })[1];
  }
  return x;
}

/**
 * A random permutation (`jax.random.permutation`): of `arange(n)` for an integer `n`, or of an
 * array's slices along `axis` (each 1-D slice independently with `independent: true`).
 *
 * @example
 * ```ts
 * import { random, arange } from "./mod.ts";
 * random.permutation(random.key(0), 5); // a permutation of [0, 1, 2, 3, 4] (int32)
 * random.permutation(random.key(0), arange(6).reshape([3, 2])); // rows shuffled
 * ```
 */
export function permutation(
  key: Array,
  x: number | ArrayLike,
  opts: PermutationOptions = {},
): Array {
  const k = checkKey("permutation", key);
  const a = typeof x === "number" ? null : np.asArray(x);
  if (a === null || a.ndim === 0) {
    const n = a === null
      ? x as number
      : a instanceof DeviceArray && a.dtype === "int32"
      ? a.item()
      : NaN;
    if (!Number.isInteger(n) || n < 0) {
      throw new TypeError(
        `random.permutation: x must be a non-negative integer (concrete) or an array with at ` +
          `least one axis, got ${describe(x)}`,
      );
    }
    return shuffle(k, np.arange(n), 0);
  }
  const axis = normAxis("random.permutation", opts.axis ?? 0, a.ndim);
  if (opts.independent || a.ndim === 1) return shuffle(k, a, axis);
  return np.take(a, shuffle(k, np.arange(a.shape[axis]), 0), axis);
}
