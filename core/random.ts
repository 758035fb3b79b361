/**
 * Random numbers with JAX's semantics (`jax.random`): explicit keys, counter-based Threefry-2x32,
 * the same streams as JAX bit for bit (JAX's default `jax_threefry_partitionable=True` layout).
 *
 * A key is an int32 array of shape `[2]` holding the two uint32 words of JAX's `key_data`
 * (`random.key(0)` is `[0, 0]`); `split` returns a batch `[num, 2]`. Every function takes a single
 * key first and never mutates it: the same key gives the same numbers, so split it to get fresh
 * ones. To draw with a batch of keys, `vmap` over it.
 *
 * Everything is built from ordinary ops plus the `threefry2x32` primitive, so samplers trace: they
 * work eagerly, under `jit` (keys may be traced arguments) and under `vmap`. The pure
 * `core/threefry.ts` is the reference the tests compare with; its module doc lists the JAX
 * functions each piece follows (`jax/_src/prng.py`, `jax/_src/random.py`).
 *
 * zgrad has no unsigned dtype: random bits are int32 arrays holding uint32 bit patterns; where JAX
 * compares or divides them as unsigned numbers (sorting in `permutation`, remainders in
 * `randint`), this module does so explicitly.
 *
 * @example
 * ```ts
 * import { random } from "./mod.ts";
 * const key = random.key(0);
 * const [k1, k2] = [0, 1].map((i) => random.split(key).slice(i));
 * const x = random.normal(k1, [3]);
 * const u = random.uniform(k2, [2, 2], { minval: -1, maxval: 1 });
 * ```
 *
 * @module
 */
import { Array, type ArrayLike } from "./array.ts";
import { DeviceArray } from "./device_array.ts";
import { type DType, isFloat } from "./dtype.ts";
import { P } from "./primitives/mod.ts";
import { broadcastShapes, fmtShape, normAxis, shapesEqual, sizeOf } from "./shape.ts";
import { threefrySeed } from "./threefry.ts";
import { bind, bind1 } from "./trace.ts";
import * as np from "./ops/mod.ts";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** An int32 scalar: keeps bit-pattern constants (shifts, masks, the sign bit) explicitly int32. */
const i32 = (v: number): Array => np.array(v, "int32");

// ---------------------------------------------------------------------------
// Argument checks
// ---------------------------------------------------------------------------

function describe(x: unknown): string {
  if (x instanceof Array) return `an array ${x.aval}`;
  if (x === null || x === undefined) return String(x);
  if (typeof x === "object") return `an object of class ${x.constructor?.name ?? "?"}`;
  return `the JS ${typeof x} ${String(x)}`;
}

/** Checks that `key` is one key: an int32 array of shape [2]. */
function checkKey(op: string, key: unknown): Array {
  if (!(key instanceof Array)) {
    const hint = typeof key === "number" || typeof key === "bigint"
      ? ` (make one with random.key(${key}))`
      : "";
    throw new TypeError(
      `random.${op}: key must be an int32 array of shape [2] from random.key(seed), got ` +
        `${describe(key)}${hint}`,
    );
  }
  if (key.dtype !== "int32" || !shapesEqual(key.shape, [2])) {
    const batch = key.dtype === "int32" && key.ndim > 1 && key.shape[key.ndim - 1] === 2
      ? `; ${fmtShape(key.shape)} is a batch of keys: map over it with vmap, or pick one key`
      : "";
    throw new TypeError(
      `random.${op}: key must be an int32 array of shape [2] from random.key(seed), got ` +
        `${key.aval}${batch}`,
    );
  }
  return key;
}

/** Checks a shape argument (a list of non-negative integers). */
function checkShape(op: string, shape: unknown): number[] {
  const ok = globalThis.Array.isArray(shape) &&
    shape.every((d) => Number.isInteger(d) && d >= 0);
  if (!ok) {
    throw new TypeError(
      `random.${op}: shape must be a list of non-negative integers, got ${describe(shape)}`,
    );
  }
  const s = [...(shape as number[])];
  if (sizeOf(s) > INT32_MAX) {
    throw new RangeError(`random.${op}: shape ${fmtShape(s)} has more than 2^31 - 1 elements`);
  }
  return s;
}

/** Checks that parameter shapes broadcast to exactly `shape` (JAX's `_check_shape`). */
function checkParamShapes(op: string, shape: number[], params: Record<string, Array>): void {
  for (const [name, p] of Object.entries(params)) {
    const b = broadcastShapes(`random.${op}`, shape, p.shape);
    if (!shapesEqual(b, shape)) {
      throw new Error(
        `random.${op}: ${name} of shape ${fmtShape(p.shape)} does not broadcast to the ` +
          `requested shape ${fmtShape(shape)}`,
      );
    }
  }
}

function checkFloatDType(op: string, dtype: DType | undefined): DType {
  const d = dtype ?? "float32";
  if (d !== "float32" && d !== "float64") {
    throw new TypeError(`random.${op}: dtype must be float32 or float64, got ${JSON.stringify(d)}`);
  }
  return d;
}

/** A parameter as an array of `dtype`; JS numbers are made in `dtype` directly (no float32 detour). */
function param(x: ArrayLike, dtype: DType): Array {
  return x instanceof Array ? np.astype(x, dtype) : np.array(x, dtype);
}

// ---------------------------------------------------------------------------
// Threefry on traced values
// ---------------------------------------------------------------------------

/** Word `i` (0 or 1) of a key, as an int32 scalar. */
function keyWord(key: Array, i: 0 | 1): Array {
  return np.slice(key, i);
}

/**
 * Hashes counter pairs `(x0, x1)` under `key`: the two output words, shaped like the counters.
 */
function hash(key: Array, x0: Array, x1: Array): [Array, Array] {
  const k0 = np.broadcastTo(keyWord(key, 0), x0.shape);
  const k1 = np.broadcastTo(keyWord(key, 1), x0.shape);
  const [y0, y1] = bind(P.threefry2x32, [k0, k1, x0, x1]);
  return [y0, y1];
}

/**
 * JAX's `iota_2x32_shape`: element i (row-major) gets the 64-bit counter i as (hi, lo) words.
 * Shapes hold fewer than 2^31 elements, so hi is 0.
 */
function counters(shape: number[]): [Array, Array] {
  const n = sizeOf(shape);
  const lo = bind1(P.iota, [], { shape: [n], dtype: "int32", dimension: 0 });
  return [np.zeros(shape, "int32"), np.reshape(lo, shape)];
}

/** 64 random bits per element, as the (hi, lo) words (`_threefry_random_bits_partitionable`). */
function bits64(key: Array, shape: number[]): [Array, Array] {
  const [x0, x1] = counters(shape);
  return hash(key, x0, x1);
}

/** 32 random bits per element: the two hashed words xor-ed (partitionable layout). */
function bits32(key: Array, shape: number[]): Array {
  const [hi, lo] = bits64(key, shape);
  return np.bitwiseXor(hi, lo);
}

/** Keys `split(key, shape)`: new key i is the hash of counter i (`_threefry_split_foldlike`). */
function splitKeys(key: Array, shape: number[]): Array {
  const [y0, y1] = bits64(key, shape);
  return np.stack([y0, y1], -1);
}

/** The two halves of `split(key)` as single keys. */
function split2(key: Array): [Array, Array] {
  const s = splitKeys(key, [2]);
  return [np.slice(s, 0), np.slice(s, 1)];
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/**
 * A key from an integer seed, like `jax.random.key(seed)` in JAX's default 32-bit mode: the seed is
 * wrapped to 32 bits and the key is `[0, seed mod 2^32]` (as int32 bits). `seed` may be a JS
 * integer, a bigint, or an int32 scalar array (which may be traced, e.g. under `vmap`).
 *
 * @example
 * ```ts
 * import { random } from "./mod.ts";
 * random.key(42).tolist(); // [0, 42]
 * ```
 */
export function key(seed: number | bigint | Array): Array {
  if (seed instanceof Array) {
    if (seed.dtype !== "int32" || seed.ndim !== 0) {
      throw new TypeError(`random.key: an array seed must be an int32 scalar, got ${seed.aval}`);
    }
    return np.stack([i32(0), seed]);
  }
  if (typeof seed !== "number" && typeof seed !== "bigint") {
    throw new TypeError(`random.key: seed must be an integer, got ${describe(seed)}`);
  }
  const words = threefrySeed(seed);
  return np.array(new Int32Array(words.buffer, words.byteOffset, 2), "int32");
}

/**
 * Splits a key into `num` new keys (`jax.random.split`): an int32 array `[num, 2]`, or
 * `[...shape, 2]` when `num` is a shape. Under JAX's partitionable layout `split(key, n)[i]` equals
 * `foldIn(key, i)`.
 *
 * @example
 * ```ts
 * import { random } from "./mod.ts";
 * const keys = random.split(random.key(0)); // [[1797259609, -1715843330], [928981903, -841280227]]
 * const sub = keys.slice(1); // one key, shape [2]
 * ```
 */
export function split(key: Array, num: number | readonly number[] = 2): Array {
  const k = checkKey("split", key);
  const shape = checkShape("split", typeof num === "number" ? [num] : num);
  return splitKeys(k, shape);
}

/**
 * Folds integer `data` into a key (`jax.random.fold_in`): a new key that depends on both. `data`
 * is a JS integer in [-2^31, 2^32) (taken as uint32 bits) or an int32 scalar array (may be traced).
 *
 * @example
 * ```ts
 * import { random } from "./mod.ts";
 * const k = random.foldIn(random.key(0), 4); // [-2009071935, 433833334] (uint32 2285895361, ...)
 * ```
 */
export function foldIn(key: Array, data: number | Array): Array {
  const k = checkKey("foldIn", key);
  let d: Array;
  if (data instanceof Array) {
    if (data.dtype !== "int32" || data.ndim !== 0) {
      throw new TypeError(`random.foldIn: data must be an int32 scalar, got ${data.aval}`);
    }
    d = data;
  } else {
    if (!Number.isInteger(data) || data < INT32_MIN || data >= 2 ** 32) {
      throw new RangeError(
        `random.foldIn: data must be an integer in [-2^31, 2^32), got ${describe(data)}`,
      );
    }
    d = i32(data | 0);
  }
  // threefry_fold_in hashes the single counter pair (0, data).
  const [y0, y1] = hash(k, i32(0), d);
  return np.stack([y0, y1]);
}

// ---------------------------------------------------------------------------
// Samplers
// ---------------------------------------------------------------------------

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
export { poisson } from "./random_poisson.ts";
