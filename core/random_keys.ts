/**
 * Keys of `core/random.ts` and the Threefry hashing behind every sampler, on traced values:
 * {@link key}, {@link split}, {@link foldIn}, plus the random-bit helpers the samplers draw from
 * (`bits32`, `bits64`, `split2`), all in JAX's partitionable layout.
 *
 * @module
 */
import { Array } from "./array.ts";
import { P } from "./primitives/mod.ts";
import { sizeOf } from "./shape.ts";
import { threefrySeed } from "./threefry.ts";
import { bind, bind1 } from "./trace.ts";
import * as np from "./ops/mod.ts";
import { checkKey, checkShape, describe, i32, INT32_MIN } from "./random_args.ts";

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
export function bits64(key: Array, shape: number[]): [Array, Array] {
  const [x0, x1] = counters(shape);
  return hash(key, x0, x1);
}

/** 32 random bits per element: the two hashed words xor-ed (partitionable layout). */
export function bits32(key: Array, shape: number[]): Array {
  const [hi, lo] = bits64(key, shape);
  return np.bitwiseXor(hi, lo);
}

/** Keys `split(key, shape)`: new key i is the hash of counter i (`_threefry_split_foldlike`). */
function splitKeys(key: Array, shape: number[]): Array {
  const [y0, y1] = bits64(key, shape);
  return np.stack([y0, y1], -1);
}

/** The two halves of `split(key)` as single keys. */
export function split2(key: Array): [Array, Array] {
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
