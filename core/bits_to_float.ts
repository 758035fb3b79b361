/**
 * Random bits → uniform floats exactly as `jax.random.uniform` makes them (`_uniform` in
 * `jax/_src/random.py`): the mantissa trick of {@link bitsToUnitFloat32} /
 * {@link bitsToUnitFloat64} (random bits under the exponent of 1.0, minus 1.0), then the affine
 * map to `[minval, maxval)` of {@link bitsToUniformFloat32} / {@link bitsToUniformFloat64}.
 *
 * Plain, dependency-free math on typed arrays, the reference for the traced samplers of
 * `core/random.ts`; the bits usually come from `threefryRandomBits` (`core/threefry.ts`).
 *
 * @example
 * ```ts
 * import { threefryRandomBits, threefrySeed } from "./threefry.ts";
 * import { bitsToUnitFloat32 } from "./bits_to_float.ts";
 * const u = bitsToUnitFloat32(threefryRandomBits(threefrySeed(0), 32, [3])); // 3 floats in [0, 1)
 * ```
 *
 * @module
 */

// Whether the host stores the low word of a float64 first, as a Uint32Array view sees it (the
// typed arrays use the platform's byte order).
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * 32 random bits → float32 in `[0, 1)`, exactly as `jax.random.uniform` (`_uniform` in
 * `jax/_src/random.py`) does for `float32`: `nmant = 23`, so
 * `float_bits = (bits >>> (32 - 23)) | 0x3F800000` (the bits of `1.0f`), bitcast to float32
 * (a value in `[1, 2)`), minus `1.0f`. The subtraction is exact.
 *
 * @param bits random 32-bit words (e.g. from {@link threefryRandomBits}).
 * @returns float32 values in `[0, 1)` with 23 random mantissa bits.
 * @example
 * ```ts
 * bitsToUnitFloat32(new Uint32Array([0, 0xffffffff])); // Float32Array [0, 0.99999988]
 * ```
 */
export function bitsToUnitFloat32(bits: Uint32Array): Float32Array {
  const n = bits.length;
  const f = new Float32Array(n);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < n; i++) u[i] = (bits[i] >>> 9) | 0x3f800000;
  for (let i = 0; i < n; i++) f[i] = f[i] - 1;
  return f;
}

/**
 * 64 random bits `(hi, lo)` → float64 in `[0, 1)`, exactly as `jax.random.uniform` does for
 * `float64`: `nmant = 52`, so `float_bits = (bits >> (64 - 52)) | 0x3FF0000000000000` (the bits of
 * `1.0`), bitcast to float64 (a value in `[1, 2)`), minus `1.0`. On words:
 * high word `(hi >>> 12) | 0x3FF00000`, low word `((hi & 0xFFF) << 20) | (lo >>> 12)`.
 *
 * @param hi high 32 bits of each 64-bit random value.
 * @param lo low 32 bits of each 64-bit random value (same length as `hi`).
 * @returns float64 values in `[0, 1)` with 52 random mantissa bits.
 * @example
 * ```ts
 * bitsToUnitFloat64(new Uint32Array([0x80000000]), new Uint32Array([0])); // Float64Array [0.5]
 * ```
 */
export function bitsToUnitFloat64(hi: Uint32Array, lo: Uint32Array): Float64Array {
  const n = hi.length;
  if (lo.length !== n) {
    throw new RangeError(`bitsToUnitFloat64: hi and lo lengths differ (${n} vs ${lo.length})`);
  }
  const f = new Float64Array(n);
  const u = new Uint32Array(f.buffer);
  const ih = LITTLE_ENDIAN ? 1 : 0;
  const il = 1 - ih;
  for (let i = 0; i < n; i++) {
    const h = hi[i];
    u[2 * i + ih] = (h >>> 12) | 0x3ff00000;
    u[2 * i + il] = ((h & 0xfff) << 20) | (lo[i] >>> 12);
  }
  for (let i = 0; i < n; i++) f[i] = f[i] - 1;
  return f;
}

/**
 * 32 random bits → float32 uniform in `[minval, maxval)`: the rest of JAX's `_uniform` for
 * `float32`, all in float32 arithmetic: `minval`, `maxval` are rounded to float32, then
 * `max(minval, floats * (maxval - minval) + minval)` with `floats` from {@link bitsToUnitFloat32}.
 * (Each float32 operation is emulated exactly with `Math.fround` of the double result.)
 *
 * @param bits random 32-bit words.
 * @param minval inclusive lower bound (default 0).
 * @param maxval exclusive upper bound (default 1).
 * @returns float32 samples.
 * @example
 * ```ts
 * // jax.random.normal draws uniform(key, shape, float32, nextafter(-1, 0), 1) first:
 * const u = bitsToUniformFloat32(new Uint32Array([0x12345678]), -0.99999994, 1);
 * ```
 */
export function bitsToUniformFloat32(bits: Uint32Array, minval = 0, maxval = 1): Float32Array {
  const f = bitsToUnitFloat32(bits);
  const lo = Math.fround(minval);
  const span = Math.fround(Math.fround(maxval) - lo);
  for (let i = 0; i < f.length; i++) {
    const v = Math.fround(Math.fround(f[i] * span) + lo);
    f[i] = lo > v ? lo : v;
  }
  return f;
}

/**
 * 64 random bits → float64 uniform in `[minval, maxval)`: the rest of JAX's `_uniform` for
 * `float64`: `max(minval, floats * (maxval - minval) + minval)` with `floats` from
 * {@link bitsToUnitFloat64}.
 *
 * @param hi high 32 bits of each 64-bit random value.
 * @param lo low 32 bits of each 64-bit random value.
 * @param minval inclusive lower bound (default 0).
 * @param maxval exclusive upper bound (default 1).
 * @returns float64 samples.
 * @example
 * ```ts
 * bitsToUniformFloat64(new Uint32Array([0x80000000]), new Uint32Array([0]), 2, 4); // [3]
 * ```
 */
export function bitsToUniformFloat64(
  hi: Uint32Array,
  lo: Uint32Array,
  minval = 0,
  maxval = 1,
): Float64Array {
  const f = bitsToUnitFloat64(hi, lo);
  const span = maxval - minval;
  for (let i = 0; i < f.length; i++) {
    const v = f[i] * span + minval;
    f[i] = minval > v ? minval : v;
  }
  return f;
}
