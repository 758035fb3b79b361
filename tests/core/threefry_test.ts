/**
 * Tests for core/threefry.ts and core/bits_to_float.ts against values hard-coded in the JAX
 * repository (jax-ml/jax).
 *
 * Sources of the expected values (all from jax-ml/jax):
 * - tests/random_test.py `testThreefry2x32`: the Random123 known-answer vectors.
 * - tests/random_test.py `test_prng_seeds_and_keys`: seed → key data (x32 and x64 rows).
 * - tests/random_test.py `testPRNGValues`, `testRngRandomBits`, `_RANDOM_VALUES_CASES`: legacy
 *   (`jax_threefry_partitionable=False`) split / fold_in / random bits / uniform values (these
 *   tests are skipped by JAX under the partitionable default, so they pin the legacy layout).
 * - tests/random_test.py `test_threefry_split_fold_in_symmetry`: partitionable split == fold_in.
 * - jax/_src/stateful_rng.py doctests (`StatefulPRNG.key`, `StatefulPRNG.split`, `stateful_rng`):
 *   concrete outputs of the current default (partitionable) mode, e.g. `fold_in(key(0), 0)`.
 */
import assert from "node:assert/strict";
import {
  bitsToUniformFloat32,
  bitsToUniformFloat64,
  bitsToUnitFloat32,
  bitsToUnitFloat64,
} from "../../core/bits_to_float.ts";
import {
  threefry2x32,
  threefry2x32Counts,
  threefry2x32Keys,
  threefryFoldIn,
  threefryRandomBits,
  threefrySeed,
  threefrySplit,
} from "../../core/threefry.ts";

const u32 = (...xs: number[]) => new Uint32Array(xs);
const arr = (a: ArrayLike<number>) => Array.from(a);

/** zlib.adler32, as used by JAX's `RandomValuesCase._seed`. */
function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (const c of new TextEncoder().encode(s)) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** uint64 (as bigint) of a (hi, lo) pair at index i. */
const u64 = (hi: Uint32Array, lo: Uint32Array, i: number) => (BigInt(hi[i]) << 32n) | BigInt(lo[i]);

Deno.test("threefry2x32 hash", async (t) => {
  // jax tests/random_test.py testThreefry2x32 (Random123 test_threefry.cpp vectors).
  const kat: [number, number, number, number, number, number][] = [
    [0, 0, 0, 0, 0x6b200159, 0x99ba4efe],
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x1cb996fc, 0xbb002be7],
    [0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3, 0xc4923a9c, 0x483df7a0],
  ];

  await t.step("Random123 known answers (threefry2x32)", () => {
    for (const [k0, k1, x0, x1, y0, y1] of kat) {
      const [a, b] = threefry2x32(k0, k1, u32(x0), u32(x1));
      assert.deepEqual([a[0], b[0]], [y0, y1]);
    }
  });

  await t.step("Random123 known answers with per-element keys (threefry2x32Keys)", () => {
    const [a, b] = threefry2x32Keys(
      u32(...kat.map((r) => r[0])),
      u32(...kat.map((r) => r[1])),
      u32(...kat.map((r) => r[2])),
      u32(...kat.map((r) => r[3])),
    );
    assert.deepEqual(arr(a), kat.map((r) => r[4]));
    assert.deepEqual(arr(b), kat.map((r) => r[5]));
  });

  await t.step("Random123 known answers through threefry_2x32 count layout", () => {
    for (const [k0, k1, x0, x1, y0, y1] of kat) {
      assert.deepEqual(arr(threefry2x32Counts(k0, k1, u32(x0, x1))), [y0, y1]);
    }
    // testThreefry2x32Large, scaled down: halves of the count array are hashed pairwise.
    const n = 1000;
    const counts = new Uint32Array(2 * n);
    counts.fill(0x243f6a88, 0, n);
    counts.fill(0x85a308d3, n);
    const out = threefry2x32Counts(0x13198a2e, 0x03707344, counts);
    assert.ok(out.subarray(0, n).every((v) => v === 0xc4923a9c));
    assert.ok(out.subarray(n).every((v) => v === 0x483df7a0));
    assert.equal(threefry2x32Counts(1, 2, new Uint32Array(0)).length, 0);
  });

  await t.step("odd-length counts are padded with one zero, which is dropped", () => {
    const [y0, y1] = threefry2x32(7, 9, u32(10, 11), u32(12, 0));
    assert.deepEqual(arr(threefry2x32Counts(7, 9, u32(10, 11, 12))), [y0[0], y0[1], y1[0]]);
  });

  await t.step("broadcasting of length-1 operands and int32 key words", () => {
    const [a, b] = threefry2x32(1, 2, u32(5), u32(6, 7, 8));
    for (let i = 0; i < 3; i++) {
      const [c, d] = threefry2x32(1, 2, u32(5), u32(6 + i));
      assert.deepEqual([a[i], b[i]], [c[0], d[0]]);
    }
    const [e, f] = threefry2x32Keys(u32(1), u32(2, 2, 2), u32(5), u32(6, 7, 8));
    assert.deepEqual([arr(e), arr(f)], [arr(a), arr(b)]);
    const [g] = threefry2x32(-1, -1, u32(0xffffffff), u32(0xffffffff));
    assert.equal(g[0], 0x1cb996fc);
  });

  await t.step("rejects bad operands", () => {
    assert.throws(() => threefry2x32(0, 0, u32(1, 2), u32(1, 2, 3)), RangeError);
    assert.throws(() => threefry2x32(0.5, 0, u32(1), u32(1)), RangeError);
    assert.throws(() => threefry2x32(2 ** 32, 0, u32(1), u32(1)), RangeError);
    assert.throws(() => threefry2x32Keys(u32(1, 2), u32(1, 2, 3), u32(1), u32(1)), RangeError);
  });
});

Deno.test("threefrySeed", async (t) => {
  // jax tests/random_test.py test_prng_seeds_and_keys (the non-jit rows; jit rows only differ by
  // raising OverflowError for out-of-int32 Python ints in x32 mode).
  const i32max = 2 ** 31 - 1;
  const i32min = -(2 ** 31);
  const rows: [number, number[], number[]][] = [
    // seed, key (x32 default), key (x64)
    [0, [0, 0], [0, 0]],
    [1, [0, 1], [0, 1]],
    [2, [0, 2], [0, 2]],
    [3, [0, 3], [0, 3]],
    [-1, [0, 4294967295], [4294967295, 4294967295]],
    [-3, [0, 4294967293], [4294967295, 4294967293]],
    [i32max + 100, [0, 2147483747], [0, 2147483747]],
    [i32max + 101, [0, 2147483748], [0, 2147483748]],
    [i32min - 100, [0, 2147483548], [4294967295, 2147483548]],
    [i32min - 101, [0, 2147483547], [4294967295, 2147483547]],
  ];

  await t.step("matches JAX test_prng_seeds_and_keys", () => {
    for (const [seed, x32, x64] of rows) {
      assert.deepEqual(arr(threefrySeed(seed)), x32, `seed ${seed}`);
      assert.deepEqual(arr(threefrySeed(seed, { x64: true })), x64, `seed ${seed} (x64)`);
      assert.deepEqual(arr(threefrySeed(BigInt(seed), { x64: true })), x64);
    }
    // int32 -2 (np.int32 row): [0, 4294967294] in both modes.
    assert.deepEqual(arr(threefrySeed(-2)), [0, 4294967294]);
  });

  await t.step("64-bit seeds keep their high word only with x64", () => {
    const seed = 2 ** 52 + 7;
    assert.deepEqual(arr(threefrySeed(seed, { x64: true })), [2 ** 20, 7]);
    assert.deepEqual(arr(threefrySeed(seed)), [0, 7]);
    assert.deepEqual(arr(threefrySeed(-(2n ** 63n), { x64: true })), [0x80000000, 0]);
    assert.deepEqual(arr(threefrySeed(2n ** 63n - 1n, { x64: true })), [0x7fffffff, 0xffffffff]);
  });

  await t.step("rejects non-integer and out-of-int64 seeds", () => {
    assert.throws(() => threefrySeed(Math.PI), RangeError);
    assert.throws(() => threefrySeed(2 ** 53), RangeError);
    assert.throws(() => threefrySeed(2n ** 63n), RangeError);
  });
});

Deno.test("threefrySplit", async (t) => {
  const key0 = threefrySeed(0);

  await t.step("partitionable split of key(0) matches JAX's documented keys", () => {
    // jax/_src/stateful_rng.py StatefulPRNG.key doctest: stateful_rng(0).key() is
    // fold_in(key(0), 0) = [1797259609 2579123966], then fold_in(key(0), 1) =
    // [928981903 3453687069]; under the partitionable default split(key, n)[i] == fold_in(key, i)
    // (tests/random_test.py test_threefry_split_fold_in_symmetry).
    assert.deepEqual(arr(threefrySplit(key0)), [1797259609, 2579123966, 928981903, 3453687069]);
    // legacy testPRNGValues: fold_in(key(0), 4) = [2285895361, 433833334] -> split(.., 8)[4].
    assert.deepEqual(arr(threefrySplit(key0, 8).subarray(8, 10)), [2285895361, 433833334]);
  });

  await t.step("split == fold_in symmetry (JAX test_threefry_split_fold_in_symmetry)", () => {
    const key = threefrySeed(72);
    const s = threefrySplit(key, 3);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(arr(s.subarray(2 * i, 2 * i + 2)), arr(threefryFoldIn(key, i)));
    }
  });

  await t.step("legacy split matches JAX testPRNGValues", () => {
    assert.deepEqual(arr(threefrySplit(key0, 4, { partitionable: false })), [
      2285895361,
      1501764800,
      1518642379,
      4090693311,
      433833334,
      4221794875,
      839183663,
      3740430601,
    ]);
  });

  await t.step("deterministic, distinct keys; shapes flatten row-major", () => {
    const key = threefrySeed(1234);
    const a = threefrySplit(key, 1000);
    assert.deepEqual(arr(a), arr(threefrySplit(key, 1000)));
    const seen = new Set<string>([`${key[0]},${key[1]}`]);
    for (let i = 0; i < 1000; i++) seen.add(`${a[2 * i]},${a[2 * i + 1]}`);
    assert.equal(seen.size, 1001);
    assert.deepEqual(arr(threefrySplit(key, [2, 3])), arr(threefrySplit(key, 6)));
    assert.deepEqual(arr(threefrySplit(key, [2, 3])), arr(threefrySplit(key, [6])));
    assert.equal(threefrySplit(key, [0]).length, 0);
    assert.deepEqual(arr(threefrySplit(key, [])), arr(threefrySplit(key, 1)));
    const b = threefrySplit(key, 10, { partitionable: false });
    assert.notDeepEqual(arr(b), arr(a.subarray(0, 20)));
  });

  await t.step("batched keys map like vmap", () => {
    const keys = threefrySplit(threefrySeed(5), 3);
    const out = threefrySplit(keys, [2, 2]);
    assert.equal(out.length, 3 * 4 * 2);
    for (let k = 0; k < 3; k++) {
      const single = threefrySplit(keys.subarray(2 * k, 2 * k + 2), [2, 2]);
      assert.deepEqual(arr(out.subarray(8 * k, 8 * k + 8)), arr(single));
      const legacy = threefrySplit(keys, 2, { partitionable: false }).subarray(4 * k, 4 * k + 4);
      const legacy1 = threefrySplit(keys.subarray(2 * k, 2 * k + 2), 2, { partitionable: false });
      assert.deepEqual(arr(legacy), arr(legacy1));
    }
  });

  await t.step("rejects bad keys and shapes", () => {
    assert.throws(() => threefrySplit(u32(1, 2, 3)), RangeError);
    assert.throws(() => threefrySplit(key0, [-1]), RangeError);
    assert.throws(() => threefrySplit(key0, 1.5), RangeError);
  });
});

Deno.test("threefryFoldIn", async (t) => {
  await t.step("matches JAX testPRNGValues and stateful_rng doctests", () => {
    // tests/random_test.py testPRNGValues: fold_in(key(0), 4).
    assert.deepEqual(arr(threefryFoldIn(threefrySeed(0), 4)), [2285895361, 433833334]);
    // jax/_src/stateful_rng.py stateful_rng doctest: after four draws from stateful_rng(42),
    // rng.key() is fold_in(key(42), 4), then fold_in(key(42), 5).
    const key42 = threefrySeed(42);
    assert.deepEqual(arr(key42), [0, 42]); // "[ 0 42]" in the StatefulPRNG repr doctest
    assert.deepEqual(arr(threefryFoldIn(key42, 4)), [2954079971, 3276725750]);
    assert.deepEqual(arr(threefryFoldIn(key42, 5)), [2765691542, 824333390]);
  });

  await t.step("equals the hash of counter (0, data)", () => {
    const key = threefrySeed(99);
    const [a, b] = threefry2x32(key[0], key[1], u32(0), u32(123456));
    assert.deepEqual(arr(threefryFoldIn(key, 123456)), [a[0], b[0]]);
  });

  await t.step("different data give different keys; same data the same key", () => {
    const key = threefrySeed(7);
    const seen = new Set<string>();
    for (let d = 0; d < 500; d++) {
      const k = threefryFoldIn(key, d);
      assert.deepEqual(arr(k), arr(threefryFoldIn(key, d)));
      seen.add(`${k[0]},${k[1]}`);
    }
    assert.equal(seen.size, 500);
    assert.notDeepEqual(arr(threefryFoldIn(key, 0)), arr(key));
  });

  await t.step("int32 data wraps; array data and key batches broadcast", () => {
    const key = threefrySeed(3);
    assert.deepEqual(arr(threefryFoldIn(key, -1)), arr(threefryFoldIn(key, 0xffffffff)));
    const many = threefryFoldIn(key, u32(0, 1, 2));
    assert.deepEqual(arr(many), arr(threefrySplit(key, 3)));
    const keys = threefrySplit(key, 3);
    const both = threefryFoldIn(keys, u32(10, 11, 12));
    const one = threefryFoldIn(keys, 10);
    for (let i = 0; i < 3; i++) {
      const ki = keys.subarray(2 * i, 2 * i + 2);
      assert.deepEqual(arr(both.subarray(2 * i, 2 * i + 2)), arr(threefryFoldIn(ki, 10 + i)));
      assert.deepEqual(arr(one.subarray(2 * i, 2 * i + 2)), arr(threefryFoldIn(ki, 10)));
    }
    assert.throws(() => threefryFoldIn(keys, u32(1, 2)), RangeError);
    assert.throws(() => threefryFoldIn(key, 2 ** 32), RangeError);
  });
});

Deno.test("threefryRandomBits", async (t) => {
  await t.step("legacy layout matches JAX testRngRandomBits (key 1701)", () => {
    const key = threefrySeed(1701);
    const opts = { partitionable: false };
    assert.deepEqual(
      arr(threefryRandomBits(key, 32, [3], opts)),
      [56197195, 4200222568, 961309823],
    );
    const [hi, lo] = threefryRandomBits(key, 64, [3], opts);
    // x64 expectation; in x32 mode JAX returns just the low words [676898860, ...].
    assert.deepEqual(
      [0, 1, 2].map((i) => u64(hi, lo, i)),
      [3982329540505020460n, 16822122385914693683n, 7882654074788531506n],
    );
    assert.deepEqual(arr(lo), [676898860, 3164047411, 4010691890]);
  });

  await t.step("legacy layout matches JAX _RANDOM_VALUES_CASES 'bits'", () => {
    const key = threefrySeed(adler32("bits" + "threefry2x32"));
    const opts = { partitionable: false };
    assert.deepEqual(
      arr(threefryRandomBits(key, 32, [5], opts)),
      [1978747883, 4134381225, 3628107870, 689687174, 2788938207],
    );
    const [hi, lo] = threefryRandomBits(key, 64, [5], opts);
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => u64(hi, lo, i)), [
      17649965731882839947n,
      1415307058040849897n,
      8282622628079774249n,
      14024425113645909402n,
      2012979996110532418n,
    ]);
  });

  await t.step("partitionable layout: counter i = flat index, 32-bit = y0 ^ y1", () => {
    const key = threefrySeed(2024);
    const shape = [3, 4];
    const bits = threefryRandomBits(key, 32, shape);
    const [hi, lo] = threefryRandomBits(key, 64, shape);
    const iota = new Uint32Array(12).map((_, i) => i);
    const [y0, y1] = threefry2x32(key[0], key[1], new Uint32Array(12), iota);
    assert.deepEqual(arr(hi), arr(y0));
    assert.deepEqual(arr(lo), arr(y1));
    assert.deepEqual(arr(bits), arr(y0.map((v, i) => v ^ y1[i])));
    // The 64-bit words coincide with split's key words (same counters, same hash).
    const s = threefrySplit(key, shape);
    assert.deepEqual(arr(hi), arr(s.filter((_, i) => i % 2 === 0)));
    // scalar shape uses counter (0, 0); shapes are flattened row-major.
    assert.equal(threefryRandomBits(key, 32, [])[0], bits[0]);
    assert.deepEqual(arr(threefryRandomBits(key, 32, 12)), arr(bits));
    assert.equal(threefryRandomBits(key, 32, [0, 5]).length, 0);
  });

  await t.step("batched keys map like vmap, deterministic", () => {
    const keys = threefrySplit(threefrySeed(1), 4);
    const out = threefryRandomBits(keys, 32, [5]);
    const [hi, lo] = threefryRandomBits(keys, 64, [5], { partitionable: false });
    for (let k = 0; k < 4; k++) {
      const key = keys.subarray(2 * k, 2 * k + 2);
      assert.deepEqual(arr(out.subarray(5 * k, 5 * k + 5)), arr(threefryRandomBits(key, 32, 5)));
      const [h1, l1] = threefryRandomBits(key, 64, 5, { partitionable: false });
      assert.deepEqual(arr(hi.subarray(5 * k, 5 * k + 5)), arr(h1));
      assert.deepEqual(arr(lo.subarray(5 * k, 5 * k + 5)), arr(l1));
    }
    assert.deepEqual(arr(threefryRandomBits(keys, 32, [5])), arr(out));
  });

  await t.step("rejects unsupported widths", () => {
    assert.throws(
      () => threefryRandomBits(threefrySeed(0), 16 as unknown as 32, [2]),
      RangeError,
    );
  });
});

Deno.test("uniform floats", async (t) => {
  await t.step("bit tricks: float32 = (bits >>> 9 | 0x3F800000) - 1", () => {
    const f = bitsToUnitFloat32(u32(0, 0x1ff, 0x200, 0x80000000, 0xffffffff));
    assert.deepEqual(arr(f), [0, 0, 2 ** -23, 0.5, 1 - 2 ** -23]);
  });

  await t.step("bit tricks: float64 = (bits >> 12 | 0x3FF0000000000000) - 1", () => {
    const f = bitsToUnitFloat64(
      u32(0, 0, 0, 0x80000000, 0xffffffff, 0x00000fff),
      u32(0, 0xfff, 0x1000, 0, 0xffffffff, 0xfffff000),
    );
    assert.deepEqual(arr(f), [0, 0, 2 ** -52, 0.5, 1 - 2 ** -52, 1 / 2 ** 20 - 2 ** -52]);
    assert.throws(() => bitsToUnitFloat64(u32(1), u32(1, 2)), RangeError);
  });

  await t.step("matches jax/_src/stateful_rng.py uniform doctests (partitionable)", () => {
    // rng = stateful_rng(42); rng.uniform() is uniform(fold_in(key(42), counter)) for
    // counter 0, 1 (eager) and 2, 3 (jit): 0.5302608, 0.72766423, 0.6672406, 0.3890121.
    const key42 = threefrySeed(42);
    const expected = [0.5302608, 0.72766423, 0.6672406, 0.3890121];
    for (let c = 0; c < 4; c++) {
      const bits = threefryRandomBits(threefryFoldIn(key42, c), 32, []);
      assert.equal(bitsToUnitFloat32(bits)[0], Math.fround(expected[c]), `counter ${c}`);
      assert.equal(bitsToUniformFloat32(bits, 0, 1)[0], Math.fround(expected[c]));
    }
    // StatefulPRNG.split doctest: rng = stateful_rng(123); jax.vmap(f)(rng.split(3), zeros(3))
    // draws uniform(fold_in(child, 0)) for child in split(fold_in(key(123), 0), 3).
    const children = threefrySplit(threefryFoldIn(threefrySeed(123), 0), 3);
    const u = bitsToUnitFloat32(threefryRandomBits(threefryFoldIn(children, 0), 32, []));
    assert.deepEqual(arr(u), [0.35525954, 0.21937883, 0.5336956].map(Math.fround));
  });

  await t.step("legacy layout matches JAX _RANDOM_VALUES_CASES 'uniform'", () => {
    const key = threefrySeed(adler32("uniform" + "threefry2x32"));
    const bits = threefryRandomBits(key, 32, [5], { partitionable: false });
    const u = bitsToUniformFloat32(bits);
    const expected = [0.298671, 0.073213, 0.873356, 0.260549, 0.412797];
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(u[i] - expected[i]) < 1e-6, `${u[i]}`);
  });

  await t.step("1e5 draws lie in [0, 1) with mean near 0.5", () => {
    const n = 100_000;
    const key = threefrySeed(0);
    const f32 = bitsToUnitFloat32(threefryRandomBits(key, 32, [n]));
    const [hi, lo] = threefryRandomBits(key, 64, [n]);
    const f64 = bitsToUnitFloat64(hi, lo);
    for (const f of [f32, f64]) {
      let sum = 0;
      for (const v of f) {
        assert.ok(v >= 0 && v < 1);
        sum += v;
      }
      assert.ok(Math.abs(sum / n - 0.5) < 0.01, `mean ${sum / n}`);
    }
    // A different key gives a different stream.
    const other = bitsToUnitFloat32(threefryRandomBits(threefrySeed(1), 32, [n]));
    assert.notDeepEqual(arr(other.subarray(0, 10)), arr(f32.subarray(0, 10)));
  });

  await t.step("scaled uniforms stay in [minval, maxval)", () => {
    const bits = threefryRandomBits(threefrySeed(3), 32, [10_000]);
    const lo = Math.fround(-0.99999994); // nextafter(-1, 0) in float32, as jax _normal_real uses
    assert.equal(lo, -(1 - 2 ** -24));
    const u = bitsToUniformFloat32(bits, lo, 1);
    assert.ok(u.every((v) => v >= lo && v < 1));
    assert.equal(bitsToUniformFloat32(u32(0), lo, 1)[0], lo);
    const v = bitsToUniformFloat32(bits, 2, 5);
    assert.ok(v.every((x) => x >= 2 && x < 5));
    const [hi, lw] = threefryRandomBits(threefrySeed(3), 64, [10_000]);
    const w = bitsToUniformFloat64(hi, lw, -3, 7);
    assert.ok(w.every((x) => x >= -3 && x < 7));
    assert.deepEqual(arr(bitsToUniformFloat64(u32(0x80000000), u32(0), 2, 4)), [3]);
  });
});
