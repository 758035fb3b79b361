/**
 * Tests for core/random.ts (the traced `random` API).
 *
 * References, never the code under test:
 * - numbers JAX documents (the same constants tests/core/threefry_test.ts reproduces, from
 *   jax/_src/stateful_rng.py doctests and tests/random_test.py in jax-ml/jax);
 * - the pure Uint32Array functions of core/threefry.ts (checked there against JAX's values), and
 *   plain-JS re-statements of JAX's `_normal_real`, `_randint` and `_shuffle` on top of them;
 * - statistics with fixed keys and bounds many standard errors wide (they cannot flake: the keys
 *   are fixed, and the bounds hold for any reasonable generator).
 */
import assert from "node:assert/strict";
import { arange, type Array, array, grad, jit, random, vmap, zeros } from "../../mod.ts";
import { erfinv } from "../../core/special.ts";
import { P } from "../../core/primitives/mod.ts";
import { bind1 } from "../../core/trace.ts";
import {
  bitsToUniformFloat32,
  bitsToUniformFloat64,
  bitsToUnitFloat32,
  bitsToUnitFloat64,
} from "../../core/bits_to_float.ts";
import {
  threefryFoldIn,
  threefryRandomBits,
  threefrySeed,
  threefrySplit,
} from "../../core/threefry.ts";

/** Elements as uint32 words. */
const words = (a: Array) => globalThis.Array.from(a.dataSync(), (v) => v >>> 0);
const values = (a: Array) => globalThis.Array.from(a.dataSync());

// From JAX (see tests/core/threefry_test.ts for the provenance of each).
const SPLIT_KEY0 = [1797259609, 2579123966, 928981903, 3453687069];
const FOLD_IN_KEY0_4 = [2285895361, 433833334];
const UNIFORM_KEY42 = [0.5302608, 0.72766423, 0.6672406, 0.3890121];
const UNIFORM_VMAP_KEY123 = [0.35525954, 0.21937883, 0.5336956];

function meanVar(xs: ArrayLike<number>): [number, number] {
  let s = 0, s2 = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const m = s / xs.length;
  for (let i = 0; i < xs.length; i++) s2 += (xs[i] - m) ** 2;
  return [m, s2 / xs.length];
}

/** JAX's `_shuffle` on a list, from the pure threefry functions and a stable JS sort. */
function shuffleOracle(key: Uint32Array, xs: number[]): number[] {
  const rounds = Math.ceil(3 * Math.log(Math.max(1, xs.length)) / Math.log(2 ** 32 - 1));
  let k = key;
  for (let r = 0; r < rounds; r++) {
    const s = threefrySplit(k, 2);
    k = s.slice(0, 2);
    const sortKeys = threefryRandomBits(s.slice(2, 4), 32, [xs.length]);
    const order = xs.map((_, i) => i).sort((i, j) => sortKeys[i] - sortKeys[j] || i - j);
    xs = order.map((i) => xs[i]);
  }
  return xs;
}

/** JAX's `_randint` (int32, in-range bounds) restated with BigInt on the pure threefry bits. */
function randintOracle(key: Uint32Array, n: number, minval: number, maxval: number): number[] {
  const s = threefrySplit(key, 2);
  const higher = threefryRandomBits(s.slice(0, 2), 32, [n]);
  const lower = threefryRandomBits(s.slice(2, 4), 32, [n]);
  const M = 2n ** 32n;
  const span = maxval <= minval ? 1n : BigInt(maxval - minval);
  const m16 = (2n ** 16n) % span;
  const multiplier = ((m16 * m16) % M) % span;
  return globalThis.Array.from({ length: n }, (_, i) => {
    const off = ((BigInt(higher[i]) % span) * multiplier % M + BigInt(lower[i]) % span) % M;
    return minval + Number(off % span);
  });
}

Deno.test("random keys", async (t) => {
  await t.step("key(seed) is JAX's key_data in 32-bit mode", () => {
    assert.deepEqual(words(random.key(0)), [0, 0]);
    assert.deepEqual(words(random.key(42)), [0, 42]);
    assert.deepEqual(words(random.key(-1)), [0, 4294967295]);
    assert.deepEqual(words(random.key(2 ** 31 + 99)), [0, 2147483747]);
    assert.deepEqual(random.key(7).shape, [2]);
    assert.equal(random.key(7).dtype, "int32");
    assert.deepEqual(words(random.key(array(-3, "int32"))), [0, 4294967293]);
  });

  await t.step("split and foldIn give JAX's documented keys", () => {
    const k0 = random.key(0);
    const s = random.split(k0);
    assert.deepEqual(s.shape, [2, 2]);
    assert.deepEqual(words(s), SPLIT_KEY0);
    assert.deepEqual(words(random.foldIn(k0, 4)), FOLD_IN_KEY0_4);
    assert.deepEqual(words(random.split(k0, 8).slice(4)), FOLD_IN_KEY0_4);
    assert.deepEqual(words(random.foldIn(random.key(42), 4)), [2954079971, 3276725750]);
    assert.deepEqual(words(random.foldIn(random.key(42), array(5, "int32"))), [
      2765691542,
      824333390,
    ]);
  });

  await t.step("split shapes and foldIn data agree with the pure reference", () => {
    const k = random.key(1234);
    const s = random.split(k, [2, 3]);
    assert.deepEqual(s.shape, [2, 3, 2]);
    assert.deepEqual(words(s), globalThis.Array.from(threefrySplit(threefrySeed(1234), [2, 3])));
    assert.deepEqual(random.split(k, 0).shape, [0, 2]);
    for (const d of [0, 1, -1, 2 ** 31, 2 ** 32 - 1, 123456]) {
      const want = globalThis.Array.from(threefryFoldIn(threefrySeed(1234), d));
      assert.deepEqual(words(random.foldIn(k, d)), want, `data ${d}`);
    }
  });

  await t.step("bad keys get clear errors", () => {
    const bad = (f: () => unknown, re: RegExp) => assert.throws(f, re);
    // deno-lint-ignore no-explicit-any
    const anyKey = (k: unknown) => k as any;
    bad(() => random.uniform(anyKey(0), [2]), /random\.uniform: key must be .*random\.key\(0\)/);
    bad(() => random.split(anyKey([0, 0])), /random\.split: key must be/);
    bad(() => random.normal(random.split(random.key(0)), [2]), /batch of keys.*vmap/);
    bad(() => random.bits(array([0, 0]), [2]), /int32 array of shape \[2\].*f32\[2\]/);
    bad(() => random.bits(array([0, 0, 0], "int32")), /got i32\[3\]/);
    bad(() => random.key(array(1.5)), /random\.key: an array seed must be an int32 scalar/);
    bad(() => random.key(0.5), /RangeError|safe integer/);
    bad(() => random.foldIn(random.key(0), 2 ** 32), /random\.foldIn: data/);
    bad(() => random.uniform(random.key(0), [2], { dtype: "int32" }), /float32 or float64/);
    bad(() => random.uniform(random.key(0), anyKey(3)), /shape must be a list/);
    bad(
      () => random.uniform(random.key(0), [2], { minval: array([0, 1, 2]) }),
      /random\.uniform/,
    );
  });
});

Deno.test("random samplers: values", async (t) => {
  await t.step("bits equal the pure reference (partitionable layout)", () => {
    const b = random.bits(random.key(2024), [3, 4]);
    assert.deepEqual(b.shape, [3, 4]);
    assert.equal(b.dtype, "int32");
    const want = threefryRandomBits(threefrySeed(2024), 32, [3, 4]);
    assert.deepEqual(words(b), globalThis.Array.from(want));
    assert.deepEqual(random.bits(random.key(0)).shape, []);
  });

  await t.step("uniform reproduces JAX's documented float32 values", () => {
    const k42 = random.key(42);
    for (let c = 0; c < 4; c++) {
      const u = random.uniform(random.foldIn(k42, c));
      assert.deepEqual(u.shape, []);
      assert.equal(u.dtype, "float32");
      assert.equal(u.item(), Math.fround(UNIFORM_KEY42[c]), `counter ${c}`);
    }
  });

  await t.step("float32 and float64 uniform equal the pure bit tricks", () => {
    const raw = threefrySeed(9);
    const k = random.key(9);
    const f32 = random.uniform(k, [1000]);
    assert.deepEqual(
      values(f32),
      globalThis.Array.from(bitsToUnitFloat32(threefryRandomBits(raw, 32, [1000]))),
    );
    const [hi, lo] = threefryRandomBits(raw, 64, [1000]);
    const f64 = random.uniform(k, [1000], { dtype: "float64" });
    assert.equal(f64.dtype, "float64");
    assert.deepEqual(values(f64), globalThis.Array.from(bitsToUnitFloat64(hi, lo)));
    // 64 random bits: float64 values have mantissa bits below float32's resolution.
    assert.ok(values(f64).some((v) => Math.fround(v) !== v));
    const scaled = random.uniform(k, [1000], { minval: -2, maxval: 3 });
    const want32 = bitsToUniformFloat32(threefryRandomBits(raw, 32, [1000]), -2, 3);
    assert.deepEqual(values(scaled), globalThis.Array.from(want32));
    const scaled64 = random.uniform(k, [1000], { dtype: "float64", minval: 0.1, maxval: 0.7 });
    assert.deepEqual(
      values(scaled64),
      globalThis.Array.from(bitsToUniformFloat64(hi, lo, 0.1, 0.7)),
    );
  });

  await t.step("uniform bounds broadcast per element", () => {
    const k = random.key(3);
    const lo = array([0, 10, 20]), hi = array([1, 11, 30]);
    const u = random.uniform(k, [2, 3], { minval: lo, maxval: hi });
    const v = values(u);
    for (let i = 0; i < 6; i++) {
      const j = i % 3;
      assert.ok(v[i] >= [0, 10, 20][j] && v[i] < [1, 11, 30][j], `${v[i]} at ${i}`);
    }
  });

  await t.step("normal is √2·erfinv(uniform(nextafter(-1, 0), 1)) as JAX computes it", () => {
    const raw = threefrySeed(11);
    const z = random.normal(random.key(11), [500]);
    assert.equal(z.dtype, "float32");
    const u = bitsToUniformFloat32(threefryRandomBits(raw, 32, [500]), -(1 - 2 ** -24), 1);
    const want = globalThis.Array.from(
      u,
      (x) => Math.fround(Math.fround(erfinv(x)) * Math.fround(Math.SQRT2)),
    );
    assert.deepEqual(values(z), want);
    const [hi, lo] = threefryRandomBits(raw, 64, [500]);
    const u64 = bitsToUniformFloat64(hi, lo, -(1 - 2 ** -53), 1);
    const z64 = random.normal(random.key(11), [500], { dtype: "float64" });
    assert.deepEqual(values(z64), globalThis.Array.from(u64, (x) => erfinv(x) * Math.SQRT2));
  });

  await t.step("randint equals JAX's algorithm restated on the pure bits", () => {
    const raw = threefrySeed(5);
    for (
      const [lo, hi] of [[0, 10], [-5, 6], [1, 7], [0, 2 ** 20], [-(2 ** 30), 2 ** 30], [3, 3], [
        4,
        1,
      ]]
    ) {
      const r = random.randint(random.key(5), [300], lo, hi);
      assert.equal(r.dtype, "int32");
      assert.deepEqual(values(r), randintOracle(raw, 300, lo, hi), `[${lo}, ${hi})`);
    }
  });

  await t.step("permutation equals JAX's _shuffle restated on the pure bits", () => {
    for (const n of [1, 2, 10, 1000, 2000]) {
      const p = random.permutation(random.key(17), n);
      const want = shuffleOracle(
        threefrySeed(17),
        globalThis.Array.from({ length: n }, (_, i) => i),
      );
      assert.deepEqual(values(p), want, `n = ${n}`);
    }
  });
});

Deno.test("random samplers: distributions", async (t) => {
  const n = 100_000;

  await t.step("uniform float32/float64 lie in [0, 1) with mean 1/2 and variance 1/12", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const u = values(random.uniform(random.key(0), [n], { dtype }));
      assert.ok(u.every((v) => v >= 0 && v < 1), dtype);
      const [m, v] = meanVar(u);
      // σ(mean) ≈ 0.0009, σ(var) ≈ 0.0003.
      assert.ok(Math.abs(m - 0.5) < 0.005, `${dtype} mean ${m}`);
      assert.ok(Math.abs(v - 1 / 12) < 0.003, `${dtype} var ${v}`);
    }
  });

  await t.step("normal: mean 0, variance 1, Φ(1) below 1", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const z = values(random.normal(random.key(1), [n], { dtype }));
      assert.ok(z.every(Number.isFinite));
      const [m, v] = meanVar(z);
      // σ(mean) ≈ 0.0032, σ(var) ≈ 0.0045.
      assert.ok(Math.abs(m) < 0.02, `${dtype} mean ${m}`);
      assert.ok(Math.abs(v - 1) < 0.03, `${dtype} var ${v}`);
      const below1 = z.filter((x) => x < 1).length / n;
      assert.ok(Math.abs(below1 - 0.8413447) < 0.006, `${dtype} P(z < 1) = ${below1}`);
    }
  });

  await t.step("bernoulli rate; shape from p", () => {
    const b = random.bernoulli(random.key(2), 0.3, [n]);
    assert.equal(b.dtype, "bool");
    const rate = values(b).reduce((s, v) => s + v, 0) / n;
    assert.ok(Math.abs(rate - 0.3) < 0.01, `rate ${rate}`); // σ ≈ 0.0015
    const p = array([0, 1, 0.5], "float64");
    const b2 = random.bernoulli(random.key(2), p);
    assert.deepEqual(b2.shape, [3]);
    assert.deepEqual(values(b2).slice(0, 2), [0, 1]);
    assert.deepEqual(random.bernoulli(random.key(2)).shape, []);
    assert.throws(() => random.bernoulli(random.key(2), array([1, 0], "int32")), /float array/);
  });

  await t.step("exponential: positive with mean 1", () => {
    const e = values(random.exponential(random.key(4), [n]));
    assert.ok(e.every((v) => v >= 0 && Number.isFinite(v)));
    const [m, v] = meanVar(e);
    assert.ok(Math.abs(m - 1) < 0.02 && Math.abs(v - 1) < 0.06, `mean ${m}, var ${v}`);
  });

  await t.step("randint covers [minval, maxval) evenly; edge bounds", () => {
    const r = values(random.randint(random.key(6), [60_000], 1, 7));
    const counts = [0, 0, 0, 0, 0, 0];
    for (const v of r) counts[v - 1]++;
    assert.ok(counts.every((c) => Math.abs(c - 10_000) < 500), `counts ${counts}`);
    assert.deepEqual(values(random.randint(random.key(6), [4], 5, 5)), [5, 5, 5, 5]);
    // The whole int32 range (maxval above it, as JAX allows): any int32, including negatives.
    const all = values(random.randint(random.key(6), [1000], -(2 ** 31), 2 ** 31));
    assert.ok(all.some((v) => v < 0) && all.some((v) => v > 0));
    const per = values(
      random.randint(
        random.key(6),
        [2, 3],
        array([0, 10, 100], "int32"),
        array([1, 12, 200], "int32"),
      ),
    );
    per.forEach((v, i) => {
      const j = i % 3;
      assert.ok(v >= [0, 10, 100][j] && v < [1, 12, 200][j], `${v} at ${i}`);
    });
  });

  await t.step("permutation is a permutation, deterministic, key-dependent", () => {
    for (const m of [0, 1, 7, 3000]) {
      const p = values(random.permutation(random.key(8), m));
      assert.deepEqual(
        [...p].sort((a, b) => a - b),
        globalThis.Array.from({ length: m }, (_, i) => i),
      );
      assert.deepEqual(values(random.permutation(random.key(8), m)), p);
    }
    const a = values(random.permutation(random.key(8), 50));
    const b = values(random.permutation(random.key(9), 50));
    assert.notDeepEqual(a, b);
  });

  await t.step("permutation of arrays: rows together, or each slice independently", () => {
    const x = arange(12).reshape([4, 3]);
    const rows = random.permutation(random.key(3), x).tolist() as number[][];
    const order = shuffleOracle(threefrySeed(3), [0, 1, 2, 3]);
    assert.deepEqual(rows, order.map((r) => [3 * r, 3 * r + 1, 3 * r + 2]));
    const cols = random.permutation(random.key(3), x, { axis: 1 }).tolist() as number[][];
    const corder = shuffleOracle(threefrySeed(3), [0, 1, 2]);
    assert.deepEqual(cols, [0, 1, 2, 3].map((r) => corder.map((c) => 3 * r + c)));
    const ind = random.permutation(random.key(3), x, { independent: true, axis: 1 });
    for (const row of ind.tolist() as number[][]) {
      const base = Math.min(...row);
      assert.deepEqual([...row].sort((a, b) => a - b), [base, base + 1, base + 2]);
    }
    assert.throws(() => random.permutation(random.key(3), -1), /non-negative integer/);
  });
});

Deno.test("random under transforms", async (t) => {
  const sample = (k: Array) => [
    random.uniform(k, [5]),
    random.uniform(k, [3], { dtype: "float64", minval: -1, maxval: 2 }),
    random.normal(k, [4]),
    random.bits(k, [2]),
    random.split(k, 3),
    random.foldIn(k, 7),
    random.bernoulli(k, 0.5, [6]),
    random.randint(k, [5], -3, 9),
    random.permutation(k, 6),
    random.exponential(k, [2]),
  ];

  await t.step("jit (exact) gives the eager results, with the key traced", () => {
    // The default precision evaluates float32 in double: samples within rounding. `exact`
    // reproduces the eager bits.
    const f = jit(sample, { precision: "exact" });
    for (const seed of [0, 1, 99]) {
      const k = random.key(seed);
      const eager = sample(k), jitted = f(k) as Array[];
      eager.forEach((e, i) => {
        assert.deepEqual(jitted[i].shape, e.shape);
        assert.deepEqual(values(jitted[i]), values(e), `output ${i}, seed ${seed}`);
      });
    }
    assert.equal(f.traceCount, 1);
    // Seeds and fold-in data can be traced too.
    const g = jit(
      (s: Array, d: Array) => random.uniform(random.foldIn(random.key(s), d), [3]),
      { precision: "exact" },
    );
    const want = random.uniform(random.foldIn(random.key(5), 2), [3]);
    assert.deepEqual(values(g(array(5, "int32"), array(2, "int32"))), values(want));
  });

  await t.step("vmap over keys equals per-key calls", () => {
    const keys = random.split(random.key(7), 4);
    const batched = vmap(sample)(keys) as Array[];
    for (let b = 0; b < 4; b++) {
      const single = sample(keys.slice(b));
      single.forEach((s, i) => {
        assert.deepEqual(values(batched[i].slice(b)), values(s), `output ${i}, key ${b}`);
      });
    }
  });

  await t.step("vmap reproduces JAX's documented StatefulPRNG.split values", () => {
    const children = random.split(random.foldIn(random.key(123), 0), 3);
    const u = vmap((k: Array) => random.uniform(random.foldIn(k, 0)))(children);
    assert.deepEqual(values(u), UNIFORM_VMAP_KEY123.map(Math.fround));
  });

  await t.step("vmap over seeds and jit of vmap", () => {
    const seeds = array([0, 42, -1], "int32");
    const keys = vmap((s: Array) => random.key(s))(seeds);
    assert.deepEqual(words(keys), [0, 0, 0, 42, 0, 4294967295]);
    const f = jit(vmap((k: Array) => random.normal(k, [2])), { precision: "exact" });
    const ks = random.split(random.key(1), 3);
    const out = f(ks) as Array;
    for (let b = 0; b < 3; b++) {
      assert.deepEqual(values(out.slice(b)), values(random.normal(ks.slice(b), [2])));
    }
  });

  await t.step("samples inside grad are constants: d/dx Σ x·u(key) = u", () => {
    const k = random.key(3);
    const f = (x: Array) => x.mul(random.normal(k, [4])).sum();
    const g = grad(f)(zeros([4])) as Array;
    assert.deepEqual(values(g), values(random.normal(k, [4])));
  });
});

Deno.test("erf_inv primitive (behind normal)", async (t) => {
  const erfInv = (x: Array) => bind1(P.erf_inv, [x]);
  const xs = [-0.999999, -0.9, -0.5, -1e-9, 0, 0.25, 0.7, 0.99, 0.9999999];

  await t.step("values: special.erfinv per element, rounded to the dtype", () => {
    assert.deepEqual(values(erfInv(array(xs, "float64"))), xs.map(erfinv));
    const f32 = xs.map(Math.fround);
    assert.deepEqual(values(erfInv(array(xs))), f32.map((x) => Math.fround(erfinv(x))));
    const edge = values(erfInv(array([-1, 1, 1.5, NaN], "float64")));
    assert.deepEqual(edge.slice(0, 2), [-Infinity, Infinity]);
    assert.ok(Number.isNaN(edge[2]) && Number.isNaN(edge[3]));
    // Shape rules run when tracing (eager binds go straight to the implementation).
    assert.throws(() => jit(erfInv)(array([1], "int32")), /erf_inv: expected a float array/);
  });

  await t.step("derivative vs central finite differences (float64)", () => {
    const f = (x: Array) => erfInv(x).sum();
    const g = values(grad(f)(array(xs, "float64")) as Array);
    xs.forEach((x, i) => {
      // Steps scaled to the distance from ±1; divide by the step actually taken.
      const h = 1e-4 * Math.min(1, 1 - Math.abs(x));
      const fd = (erfinv(x + h) - erfinv(x - h)) / ((x + h) - (x - h));
      assert.ok(Math.abs(g[i] - fd) <= 1e-6 * fd, `x = ${x}: ${g[i]} vs ${fd}`);
    });
    // The second derivative, f'' = 2·erfinv(x)·f'², against differences of the first.
    const g2 = values(
      grad((x: Array) => (grad(f)(x) as Array).sum())(array(xs, "float64")) as Array,
    );
    xs.forEach((x, i) => {
      const h = 1e-4 * Math.min(1, 1 - Math.abs(x));
      const d1 = (v: number) => (Math.sqrt(Math.PI) / 2) * Math.exp(erfinv(v) ** 2);
      const fd = (d1(x + h) - d1(x - h)) / ((x + h) - (x - h));
      assert.ok(
        Math.abs(g2[i] - fd) <= 1e-5 * Math.max(1, Math.abs(fd)),
        `x = ${x}: ${g2[i]} vs ${fd}`,
      );
    });
  });

  await t.step("derivative under jit and vmap, and in float32", () => {
    const df = grad((x: Array) => erfInv(x));
    const x64 = array(xs, "float64");
    const eager = values(vmap(df)(x64) as Array);
    assert.deepEqual(values(jit(vmap(df))(x64) as Array), eager);
    xs.forEach((x, i) => {
      const want = (Math.sqrt(Math.PI) / 2) * Math.exp(erfinv(x) ** 2);
      assert.ok(Math.abs(eager[i] - want) <= 1e-14 * want, `x = ${x}`);
    });
    const g32 = values(vmap(df)(array(xs)) as Array);
    xs.forEach((x, i) => {
      const want = (Math.sqrt(Math.PI) / 2) * Math.exp(erfinv(Math.fround(x)) ** 2);
      assert.ok(Math.abs(g32[i] - want) <= 1e-5 * want, `float32 x = ${x}`);
    });
  });
});
