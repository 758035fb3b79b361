/**
 * JAX's counter-based Threefry-2x32 PRNG, as plain, dependency-free math on `Uint32Array`s.
 *
 * This module reproduces, bit for bit, the random streams of JAX's default PRNG implementation
 * (`threefry2x32`) with JAX's *current default* configuration `jax_threefry_partitionable=True`
 * (the default since JAX 0.5.0). Every function is pure and vectorised over typed arrays so that a
 * later layer can wrap it into traced primitives and a `jax.random`-like API.
 *
 * Source followed: `jax/_src/prng.py` in `jax-ml/jax` —
 * - {@link threefry2x32} / {@link threefry2x32Keys}: `_threefry2x32_lowering` (the body of the
 *   `threefry2x32_p` primitive, which broadcasts its four operands elementwise);
 * - {@link threefry2x32Counts}: `threefry_2x32(keypair, count)` (flatten, pad to even, halves);
 * - {@link threefrySeed}: `threefry_seed` / `_threefry_seed`, fed by `random_seed`;
 * - {@link threefrySplit}: `threefry_split` → `_threefry_split_foldlike` (partitionable) or
 *   `_threefry_split_original`;
 * - {@link threefryFoldIn}: `threefry_fold_in` / `_threefry_fold_in`;
 * - {@link threefryRandomBits}: `threefry_random_bits` → `_threefry_random_bits_partitionable` or
 *   `_threefry_random_bits_original`, with counters from `iota_2x32_shape`.
 *
 * The float conversions that mirror `_uniform` of `jax/_src/random.py` (`bitsToUnitFloat32`,
 * `bitsToUnitFloat64`, `bitsToUniformFloat32`, `bitsToUniformFloat64`) are in
 * `core/bits_to_float.ts`.
 *
 * Layout conventions:
 * - A *key* is JAX's `key_data`: a `Uint32Array` `[k0, k1]`. Functions taking `keys` accept a batch
 *   of `m` keys laid out as JAX's `(m, 2)` `key_data` (length `2m`, interleaved `k0, k1` pairs), and
 *   map over them like `jax.vmap` (JAX's `random_split_p`/`random_bits_p` are `defvectorized`).
 * - Shapes are row-major (C order); outputs are flat arrays in row-major order with the key batch as
 *   the leading axis, i.e. JAX's output shape `(m, *shape)` (`(m, *shape, 2)` for keys).
 * - 64-bit values are returned as two parallel `Uint32Array`s `[hi, lo]`.
 *
 * How the samplers in `jax/_src/random.py` consume these bits (for the later layer):
 * - `_uniform`: `random_bits(key, nbits, shape)`, then the mantissa trick of
 *   `bitsToUniformFloat32` / `bitsToUniformFloat64` (`core/bits_to_float.ts`).
 * - `_normal_real`: `u = uniform(key, shape, dtype, minval=nextafter(-1, 0), maxval=1)`, result
 *   `sqrt(2) * erf_inv(u)`; complex `_normal` splits the key into (re, im) and divides by `sqrt(2)`.
 * - `_bernoulli` (default mode `'low'`): `uniform(key, shape, dtype(p)) < p`.
 * - `_shuffle` (behind `permutation`): `num_rounds = ceil(3 * ln(max(1, n)) / ln(2**32 - 1))`; each
 *   round does `key, subkey = split(key)`, `sort_keys = random_bits(subkey, 32, x.shape)` and a
 *   stable `lax.sort_key_val(sort_keys, x, axis)`.
 *
 * @example
 * ```ts
 * import { threefryRandomBits, threefrySeed, threefrySplit } from "./threefry.ts";
 * import { bitsToUnitFloat32 } from "./bits_to_float.ts";
 * const key = threefrySeed(0); // [0, 0], like jax.random.key_data(jax.random.key(0))
 * const keys = threefrySplit(key, 2); // [1797259609, 2579123966, 928981903, 3453687069]
 * const u = bitsToUnitFloat32(threefryRandomBits(keys.subarray(2, 4), 32, [3]));
 * ```
 *
 * @module
 */

/** Options selecting between JAX's two Threefry counter layouts. */
export interface ThreefryOptions {
  /**
   * Mirror `jax_threefry_partitionable` (default `true`, JAX's default since 0.5.0). With `false`
   * the legacy layouts of `_threefry_split_original` / `_threefry_random_bits_original` are used.
   * `fold_in` and `seed` do not depend on this flag in JAX.
   */
  partitionable?: boolean;
}

/** Options for {@link threefrySeed}. */
export interface SeedOptions {
  /**
   * Mirror `jax_enable_x64` (default `false`, JAX's default). In JAX's default 32-bit mode the seed
   * is first reduced to a 32-bit integer (two's complement wrap), so the key's high word is always
   * 0; with `x64: true` the key is the 64-bit two's complement seed split as `[hi, lo]`.
   */
  x64?: boolean;
}

const TWO32 = 4294967296;
const KS_PARITY = 0x1bd11bda;

// Output registers of `block` (avoids allocating a tuple per element).
let out0 = 0;
let out1 = 0;

/**
 * One Threefry-2x32 block, 20 rounds: `_threefry2x32_lowering(key1, key2, x1, x2)` unrolled
 * (rotations [13, 15, 26, 6] and [17, 29, 16, 24], key schedule `ks = [k0, k1, k0 ^ k1 ^
 * 0x1BD11BDA]`, five key injections adding the injection index to the second word). All arithmetic
 * is int32 with `| 0` wrap-around, which is exact mod 2^32. Results land in `out0`, `out1`.
 */
function block(k0: number, k1: number, x0: number, x1: number): void {
  const ks2 = k0 ^ k1 ^ KS_PARITY;
  let a = (x0 + k0) | 0;
  let b = (x1 + k1) | 0;
  // rotations[0]
  a = (a + b) | 0;
  b = ((b << 13) | (b >>> 19)) ^ a;
  a = (a + b) | 0;
  b = ((b << 15) | (b >>> 17)) ^ a;
  a = (a + b) | 0;
  b = ((b << 26) | (b >>> 6)) ^ a;
  a = (a + b) | 0;
  b = ((b << 6) | (b >>> 26)) ^ a;
  a = (a + k1) | 0;
  b = (b + ks2 + 1) | 0;
  // rotations[1]
  a = (a + b) | 0;
  b = ((b << 17) | (b >>> 15)) ^ a;
  a = (a + b) | 0;
  b = ((b << 29) | (b >>> 3)) ^ a;
  a = (a + b) | 0;
  b = ((b << 16) | (b >>> 16)) ^ a;
  a = (a + b) | 0;
  b = ((b << 24) | (b >>> 8)) ^ a;
  a = (a + ks2) | 0;
  b = (b + k0 + 2) | 0;
  // rotations[0]
  a = (a + b) | 0;
  b = ((b << 13) | (b >>> 19)) ^ a;
  a = (a + b) | 0;
  b = ((b << 15) | (b >>> 17)) ^ a;
  a = (a + b) | 0;
  b = ((b << 26) | (b >>> 6)) ^ a;
  a = (a + b) | 0;
  b = ((b << 6) | (b >>> 26)) ^ a;
  a = (a + k0) | 0;
  b = (b + k1 + 3) | 0;
  // rotations[1]
  a = (a + b) | 0;
  b = ((b << 17) | (b >>> 15)) ^ a;
  a = (a + b) | 0;
  b = ((b << 29) | (b >>> 3)) ^ a;
  a = (a + b) | 0;
  b = ((b << 16) | (b >>> 16)) ^ a;
  a = (a + b) | 0;
  b = ((b << 24) | (b >>> 8)) ^ a;
  a = (a + k1) | 0;
  b = (b + ks2 + 4) | 0;
  // rotations[0]
  a = (a + b) | 0;
  b = ((b << 13) | (b >>> 19)) ^ a;
  a = (a + b) | 0;
  b = ((b << 15) | (b >>> 17)) ^ a;
  a = (a + b) | 0;
  b = ((b << 26) | (b >>> 6)) ^ a;
  a = (a + b) | 0;
  b = ((b << 6) | (b >>> 26)) ^ a;
  a = (a + ks2) | 0;
  b = (b + k0 + 5) | 0;
  out0 = a >>> 0;
  out1 = b >>> 0;
}

/** Validates a uint32 word given as a JS number; accepts int32 negatives and wraps them. */
function word(name: string, v: number): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v >= TWO32) {
    throw new RangeError(`threefry: ${name} must be an integer in [-2^31, 2^32), got ${v}`);
  }
  return v >>> 0;
}

/** Broadcast length of operands that each have length `n` or 1 (the primitive's broadcasting). */
function broadcastLength(op: string, lengths: readonly number[]): number {
  let n = 1;
  for (const l of lengths) {
    if (l === 1) continue;
    if (n === 1) n = l;
    else if (l !== n) {
      throw new RangeError(
        `${op}: operand lengths [${lengths.join(",")}] do not broadcast (each must be 1 or n)`,
      );
    }
  }
  return n;
}

/** Validates a key batch (`(m, 2)` key_data) and returns `m`. */
function keyCount(op: string, keys: Uint32Array): number {
  if (keys.length % 2 !== 0) {
    throw new RangeError(
      `${op}: key data length must be even (pairs [k0, k1]), got ${keys.length}`,
    );
  }
  return keys.length / 2;
}

/** Normalises a shape argument and returns its number of elements. */
function shapeSize(op: string, shape: number | readonly number[]): number {
  const dims = typeof shape === "number" ? [shape] : shape;
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`${op}: shape dimensions must be non-negative integers, got [${dims}]`);
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new RangeError(`${op}: shape [${dims}] is too large`);
  return n;
}

/**
 * Threefry-2x32 (20 rounds) of the counter pairs `(x0[i], x1[i])` under the key `(k0, k1)`: the
 * `threefry2x32_p` primitive of JAX (`_threefry2x32_lowering` in `jax/_src/prng.py`), checked
 * against the Random123 known-answer vectors JAX's `testThreefry2x32` uses.
 *
 * `x0` and `x1` must have equal lengths, or one of them length 1 (broadcast, as the primitive
 * does). Key words are integers in `[0, 2^32)`; int32 negatives are accepted and wrapped.
 *
 * @param k0 first key word (JAX `key1`).
 * @param k1 second key word (JAX `key2`).
 * @param x0 first counter words.
 * @param x1 second counter words.
 * @returns the two hashed words `[y0, y1]`, each of the broadcast length.
 * @example
 * ```ts
 * const [y0, y1] = threefry2x32(0, 0, new Uint32Array([0]), new Uint32Array([0]));
 * // y0[0] === 0x6b200159, y1[0] === 0x99ba4efe
 * ```
 */
export function threefry2x32(
  k0: number,
  k1: number,
  x0: Uint32Array,
  x1: Uint32Array,
): [Uint32Array, Uint32Array] {
  const a = word("k0", k0);
  const b = word("k1", k1);
  const n = broadcastLength("threefry2x32", [x0.length, x1.length]);
  const y0 = new Uint32Array(n);
  const y1 = new Uint32Array(n);
  const s0 = x0.length === 1 ? 0 : 1;
  const s1 = x1.length === 1 ? 0 : 1;
  for (let i = 0; i < n; i++) {
    block(a, b, x0[i * s0], x1[i * s1]);
    y0[i] = out0;
    y1[i] = out1;
  }
  return [y0, y1];
}

/**
 * Threefry-2x32 with per-element keys: element `i` hashes `(x0[i], x1[i])` under
 * `(k0[i], k1[i])`. This is `threefry2x32_p` with batched key operands, as produced when JAX
 * vmaps a random function over a batch of keys (the primitive is `defbroadcasting`).
 *
 * Every operand has length `n` or 1; length-1 operands are broadcast.
 *
 * @param k0 first key words.
 * @param k1 second key words.
 * @param x0 first counter words.
 * @param x1 second counter words.
 * @returns the two hashed words `[y0, y1]`, each of the broadcast length.
 * @example
 * ```ts
 * const [y0, y1] = threefry2x32Keys(
 *   new Uint32Array([0, 0x13198a2e]),
 *   new Uint32Array([0, 0x03707344]),
 *   new Uint32Array([0, 0x243f6a88]),
 *   new Uint32Array([0, 0x85a308d3]),
 * ); // y0 = [0x6b200159, 0xc4923a9c], y1 = [0x99ba4efe, 0x483df7a0]
 * ```
 */
export function threefry2x32Keys(
  k0: Uint32Array,
  k1: Uint32Array,
  x0: Uint32Array,
  x1: Uint32Array,
): [Uint32Array, Uint32Array] {
  const n = broadcastLength("threefry2x32Keys", [k0.length, k1.length, x0.length, x1.length]);
  const y0 = new Uint32Array(n);
  const y1 = new Uint32Array(n);
  const sk0 = k0.length === 1 ? 0 : 1;
  const sk1 = k1.length === 1 ? 0 : 1;
  const s0 = x0.length === 1 ? 0 : 1;
  const s1 = x1.length === 1 ? 0 : 1;
  for (let i = 0; i < n; i++) {
    block(k0[i * sk0], k1[i * sk1], x0[i * s0], x1[i * s1]);
    y0[i] = out0;
    y1[i] = out1;
  }
  return [y0, y1];
}

/**
 * JAX's `threefry_2x32(keypair, count)` (`jax/_src/prng.py`): hashes a flat array of counts by
 * padding it with one zero to even length if needed, hashing the first half against the second
 * half as counter pairs, concatenating the two outputs and dropping the padding.
 *
 * This is the hashing layout of the legacy (non-partitionable) split/random-bits and of
 * `fold_in` (whose counts are `[0, data]`).
 *
 * @param k0 first key word.
 * @param k1 second key word.
 * @param count the counts (any length).
 * @returns hashed words, same length as `count`.
 * @example
 * ```ts
 * threefry2x32Counts(0x13198a2e, 0x03707344, new Uint32Array([0x243f6a88, 0x85a308d3]));
 * // Uint32Array [0xc4923a9c, 0x483df7a0]
 * ```
 */
export function threefry2x32Counts(k0: number, k1: number, count: Uint32Array): Uint32Array {
  const a = word("k0", k0);
  const b = word("k1", k1);
  const n = count.length;
  const half = (n + 1) >>> 1; // = ceil(n / 2); the padded zero, if any, is the last x1 entry
  const out = new Uint32Array(n);
  for (let i = 0; i < half; i++) {
    const j = half + i;
    block(a, b, count[i], j < n ? count[j] : 0);
    out[i] = out0;
    if (j < n) out[j] = out1;
  }
  return out;
}

/**
 * Builds a threefry key from an integer seed: JAX's `threefry_seed` as reached from
 * `jax.random.key(seed)` / `jax.random.PRNGKey(seed)` (`random_seed` converts a Python int to
 * `int64` first, then the default 32-bit mode canonicalises it to `int32`).
 *
 * - Default (`x64: false`, JAX's default): the seed is wrapped to 32 bits (two's complement) and
 *   the key is `[0, seed mod 2^32]` (the logical shift right by 32 of a 32-bit value is 0).
 *   E.g. `-1 → [0, 4294967295]`, `2^31 + 99 → [0, 2147483747]`.
 * - `x64: true`: the key is the 64-bit two's complement seed as `[hi, lo]`,
 *   e.g. `-1 → [4294967295, 4294967295]`.
 *
 * Seeds are safe JS integers or bigints in `[-2^63, 2^63)` (JAX raises `OverflowError` outside
 * `int64`). These cases are JAX's `test_prng_seeds_and_keys` (non-jit rows).
 *
 * @param seed the seed.
 * @param options see {@link SeedOptions}.
 * @returns the key data `[k0, k1]`.
 * @example
 * ```ts
 * threefrySeed(42); // Uint32Array [0, 42]
 * threefrySeed(-3, { x64: true }); // Uint32Array [4294967295, 4294967293]
 * ```
 */
export function threefrySeed(seed: number | bigint, options: SeedOptions = {}): Uint32Array {
  let s: bigint;
  if (typeof seed === "bigint") {
    s = seed;
  } else {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`threefrySeed: seed must be a safe integer or a bigint, got ${seed}`);
    }
    s = BigInt(seed);
  }
  if (s < -(1n << 63n) || s >= 1n << 63n) {
    throw new RangeError(`threefrySeed: seed ${s} is outside the int64 range`);
  }
  const u = BigInt.asUintN(options.x64 ? 64 : 32, s);
  return new Uint32Array([Number(u >> 32n), Number(u & 0xffffffffn)]);
}

/**
 * Splits each key into `prod(shape)` new keys: JAX's `threefry_split(key, shape)` (what
 * `jax.random.split(key, num)` runs, with `shape = (num,)` for an integer `num`).
 *
 * Partitionable (default; `_threefry_split_foldlike`): new key `i` (row-major flat index) is
 * `threefry2x32(k0, k1, hi(i), lo(i))` with the 64-bit counter `i` split into words
 * (`iota_2x32_shape`), so `split(key, n)[i]` equals `fold_in(key, i)`.
 * Legacy (`partitionable: false`; `_threefry_split_original`):
 * `threefry_2x32(key, iota(2n)).reshape(n, 2)`.
 *
 * @param keys `m` keys as `(m, 2)` key data (a single key is `[k0, k1]`).
 * @param shape number of keys per input key, or their shape. Default 2.
 * @param options see {@link ThreefryOptions}.
 * @returns key data of shape `(m, *shape, 2)`, flat and interleaved `[k0, k1, k0, k1, …]`.
 * @example
 * ```ts
 * threefrySplit(new Uint32Array([0, 0]));
 * // Uint32Array [1797259609, 2579123966, 928981903, 3453687069]
 * ```
 */
export function threefrySplit(
  keys: Uint32Array,
  shape: number | readonly number[] = 2,
  options: ThreefryOptions = {},
): Uint32Array {
  const m = keyCount("threefrySplit", keys);
  const n = shapeSize("threefrySplit", shape);
  const out = new Uint32Array(2 * m * n);
  for (let k = 0; k < m; k++) {
    const k0 = keys[2 * k];
    const k1 = keys[2 * k + 1];
    const base = 2 * k * n;
    if (options.partitionable ?? true) {
      for (let i = 0; i < n; i++) {
        block(k0, k1, Math.floor(i / TWO32), i % TWO32);
        out[base + 2 * i] = out0;
        out[base + 2 * i + 1] = out1;
      }
    } else {
      if (2 * n >= TWO32) {
        throw new RangeError("threefrySplit: too many keys for the legacy layout");
      }
      const counts = new Uint32Array(2 * n);
      for (let i = 0; i < 2 * n; i++) counts[i] = i;
      out.set(threefry2x32Counts(k0, k1, counts), base);
    }
  }
  return out;
}

/**
 * Folds integer data into each key: JAX's `threefry_fold_in(key, data)`, i.e.
 * `threefry_2x32(key, threefry_seed(uint32(data)))`, which hashes the single counter pair
 * `(0, data)`. The result is the same in partitionable and legacy modes.
 *
 * `data` is a uint32 (JAX converts it with `jnp.uint32(data)`); int32 negatives are accepted and
 * reinterpreted as their two's complement bits, as JAX does for `int32` arrays. Keys and data
 * broadcast against each other (each a single value or `n` values), like `random_fold_in_p`.
 *
 * @param keys `m` keys as `(m, 2)` key data.
 * @param data one integer, or a `Uint32Array` of per-key data.
 * @returns key data of shape `(max(m, len(data)), 2)`.
 * @example
 * ```ts
 * threefryFoldIn(new Uint32Array([0, 0]), 4); // Uint32Array [2285895361, 433833334]
 * ```
 */
export function threefryFoldIn(keys: Uint32Array, data: number | Uint32Array): Uint32Array {
  const m = keyCount("threefryFoldIn", keys);
  const d = typeof data === "number" ? new Uint32Array([word("data", data)]) : data;
  const n = broadcastLength("threefryFoldIn", [m, d.length]);
  const sk = m === 1 ? 0 : 1;
  const sd = d.length === 1 ? 0 : 1;
  const out = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    block(keys[2 * i * sk], keys[2 * i * sk + 1], 0, d[i * sd]);
    out[2 * i] = out0;
    out[2 * i + 1] = out1;
  }
  return out;
}

/**
 * Uniform random bits for each key: JAX's `threefry_random_bits(key, bit_width, shape)` (what
 * `jax.random.bits` and every sampler call through `_random_bits`).
 *
 * Partitionable (default; `_threefry_random_bits_partitionable`): element `i` (row-major flat
 * index) hashes the counter pair `(hi(i), lo(i))` (`iota_2x32_shape`) to `(y0, y1)`; 32-bit bits
 * are `y0 ^ y1`, 64-bit bits are `y0 << 32 | y1`.
 * Legacy (`partitionable: false`; `_threefry_random_bits_original`):
 * `threefry_2x32(key, iota(ceil(bit_width * size / 32)))`; for 64 bits the first half of that
 * array is the high words and the second half the low words.
 *
 * 8/16-bit widths are not offered; in both modes JAX derives them from these words (partitionable:
 * truncation of the 32-bit value; legacy: a byte view of the 32-bit stream).
 *
 * @param keys `m` keys as `(m, 2)` key data.
 * @param bitWidth 32 or 64.
 * @param shape output shape per key.
 * @param options see {@link ThreefryOptions}.
 * @returns for 32 bits a `Uint32Array` of shape `(m, *shape)`; for 64 bits the pair `[hi, lo]`
 *   of such arrays (the full uint64 is `hi * 2^32 + lo`; JAX in its default 32-bit mode would
 *   truncate a 64-bit request to `lo`).
 * @example
 * ```ts
 * const key = threefrySeed(0);
 * threefryRandomBits(key, 32, [3]); // 3 words; element i hashes counter (0, i), words XORed
 * const [hi, lo] = threefryRandomBits(key, 64, [2, 3]);
 * ```
 */
export function threefryRandomBits(
  keys: Uint32Array,
  bitWidth: 32,
  shape: number | readonly number[],
  options?: ThreefryOptions,
): Uint32Array;
/**
 * 64-bit form of {@link threefryRandomBits}: returns `[hi, lo]` word arrays of shape `(m, *shape)`.
 *
 * @example
 * ```ts
 * const [hi, lo] = threefryRandomBits(threefrySeed(0), 64, [4]); // uint64 i = hi[i] * 2^32 + lo[i]
 * ```
 */
export function threefryRandomBits(
  keys: Uint32Array,
  bitWidth: 64,
  shape: number | readonly number[],
  options?: ThreefryOptions,
): [Uint32Array, Uint32Array];
/**
 * {@link threefryRandomBits} with a width known only at run time.
 *
 * @example
 * ```ts
 * const width: 32 | 64 = 32;
 * const bits = threefryRandomBits(threefrySeed(0), width, [4]); // Uint32Array (32) or [hi, lo] (64)
 * ```
 */
export function threefryRandomBits(
  keys: Uint32Array,
  bitWidth: 32 | 64,
  shape: number | readonly number[],
  options?: ThreefryOptions,
): Uint32Array | [Uint32Array, Uint32Array];
export function threefryRandomBits(
  keys: Uint32Array,
  bitWidth: 32 | 64,
  shape: number | readonly number[],
  options: ThreefryOptions = {},
): Uint32Array | [Uint32Array, Uint32Array] {
  if (bitWidth !== 32 && bitWidth !== 64) {
    throw new RangeError(`threefryRandomBits: bitWidth must be 32 or 64, got ${bitWidth}`);
  }
  const m = keyCount("threefryRandomBits", keys);
  const n = shapeSize("threefryRandomBits", shape);
  const partitionable = options.partitionable ?? true;
  const hi = new Uint32Array(m * n);
  const lo = bitWidth === 64 ? new Uint32Array(m * n) : hi;
  for (let k = 0; k < m; k++) {
    const k0 = keys[2 * k];
    const k1 = keys[2 * k + 1];
    const base = k * n;
    if (partitionable) {
      for (let i = 0; i < n; i++) {
        block(k0, k1, Math.floor(i / TWO32), i % TWO32);
        if (bitWidth === 32) {
          hi[base + i] = out0 ^ out1;
        } else {
          hi[base + i] = out0;
          lo[base + i] = out1;
        }
      }
    } else {
      const maxCount = (bitWidth / 32) * n;
      // JAX switches to per-block subkeys beyond 2^32 - 1 counts; such sizes exceed typed arrays.
      if (maxCount >= TWO32 - 1) {
        throw new RangeError("threefryRandomBits: too many values for the legacy layout");
      }
      const counts = new Uint32Array(maxCount);
      for (let i = 0; i < maxCount; i++) counts[i] = i;
      const bits = threefry2x32Counts(k0, k1, counts);
      if (bitWidth === 32) {
        hi.set(bits, base);
      } else {
        hi.set(bits.subarray(0, n), base);
        lo.set(bits.subarray(n), base);
      }
    }
  }
  return bitWidth === 32 ? hi : [hi, lo];
}
