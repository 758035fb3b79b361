/**
 * Tests for the `sort` primitive and `sort` / `argsort` (core/ops/sort.ts): values against JS's
 * own sort (with numpy's NaN-last order), stability, every axis, and the transforms: jit, vmap,
 * jvp and grad (against finite differences).
 */
import assert from "node:assert/strict";
import {
  arange,
  argsort,
  type Array,
  array,
  grad,
  jit,
  jvp,
  random,
  sort,
  vmap,
} from "../../mod.ts";

const values = (a: Array) => globalThis.Array.from(a.dataSync());

/** numpy's order for JS's sort: ascending, NaN last. */
const npOrder = (a: number, b: number) =>
  Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : Number.isNaN(b) ? -1 : a - b;

/** Deterministic pseudo-random numbers (a small LCG), independent of zgrad. */
function lcg(seed: number, n: number, scale = 1): number[] {
  let s = seed >>> 0;
  return globalThis.Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * scale;
  });
}

/** Rows of a row-major [rows, cols] list. */
const rowsOf = (xs: number[], cols: number) =>
  globalThis.Array.from(
    { length: xs.length / cols },
    (_, r) => xs.slice(r * cols, r * cols + cols),
  );

Deno.test("sort and argsort: values", async (t) => {
  await t.step("1-D floats and ints match JS's sort", () => {
    const xs = lcg(1, 500, 100);
    assert.deepEqual(values(sort(array(xs, "float64"))), [...xs].sort((a, b) => a - b));
    const f32 = xs.map(Math.fround);
    assert.deepEqual(values(sort(array(xs))), [...f32].sort((a, b) => a - b));
    const ints = xs.map((v) => Math.round(v) + 0);
    const s = sort(array(ints, "int32"));
    assert.equal(s.dtype, "int32");
    assert.deepEqual(values(s), [...ints].sort((a, b) => a - b));
    assert.deepEqual(values(sort(array([true, false, true, false]))), [0, 0, 1, 1]);
  });

  await t.step("argsort indexes the sorted order, stable on ties", () => {
    assert.deepEqual(values(argsort(array([3, 1, 2, 1, 3, 1]))), [1, 3, 5, 2, 0, 4]);
    const ints = lcg(2, 400, 20).map((v) => Math.round(v) + 0); // many ties
    const idx = values(argsort(array(ints, "int32")));
    assert.equal(argsort(array(ints, "int32")).dtype, "int32");
    assert.deepEqual([...idx].sort((a, b) => a - b), ints.map((_, i) => i));
    for (let k = 1; k < idx.length; k++) {
      const [a, b] = [ints[idx[k - 1]], ints[idx[k]]];
      assert.ok(a < b || (a === b && idx[k - 1] < idx[k]), `position ${k}`);
    }
  });

  await t.step("NaN sorts last (like numpy); -0 and +0 tie", () => {
    const x = array([NaN, 1, -Infinity, NaN, 0, Infinity, -2], "float64");
    const s = values(sort(x));
    assert.deepEqual(s.slice(0, 5), [-Infinity, -2, 0, 1, Infinity]);
    assert.ok(Number.isNaN(s[5]) && Number.isNaN(s[6]));
    assert.deepEqual(values(argsort(x)), [2, 6, 4, 1, 5, 0, 3]);
    assert.deepEqual(values(argsort(array([0, -0, 0, -0]))), [0, 1, 2, 3]);
    const xs = lcg(3, 200).map((v, i) => (i % 7 === 0 ? NaN : v));
    const got = values(sort(array(xs, "float64")));
    const want = [...xs].sort(npOrder);
    assert.deepEqual(got.map(String), want.map(String));
  });

  await t.step("any axis of a 3-D array; axis null flattens", () => {
    const shape = [3, 4, 5];
    const xs = lcg(4, 60, 10);
    const x = array(xs, "float64").reshape(shape);
    const at = (i: number, j: number, k: number) => xs[(i * 4 + j) * 5 + k];
    for (const axis of [0, 1, 2, -1, -3]) {
      const ax = (axis + 3) % 3;
      const got = sort(x, axis).tolist() as number[][][];
      const gi = argsort(x, axis).tolist() as number[][][];
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 4; j++) {
          for (let k = 0; k < 5; k++) {
            // The line through (i, j, k) along `ax`, sorted by JS.
            const line = globalThis.Array.from(
              { length: shape[ax] },
              (_, m) => ax === 0 ? at(m, j, k) : ax === 1 ? at(i, m, k) : at(i, j, m),
            );
            const sorted = [...line].sort((a, b) => a - b);
            const pos = [i, j, k][ax];
            assert.equal(got[i][j][k], sorted[pos], `axis ${axis} at ${[i, j, k]}`);
            assert.equal(line[gi[i][j][k]], sorted[pos], `argsort axis ${axis} at ${[i, j, k]}`);
          }
        }
      }
    }
    assert.deepEqual(values(sort(x, null)), [...xs].sort((a, b) => a - b));
    assert.deepEqual(sort(x, null).shape, [60]);
    assert.deepEqual(values(x.slice(null, 0, 0)), [at(0, 0, 0), at(1, 0, 0), at(2, 0, 0)]);
  });

  await t.step("errors name the op and the problem", () => {
    assert.throws(() => sort(array(3)), /sort: cannot sort a scalar/);
    assert.throws(() => argsort(array([1, 2]), 1), /argsort: axis 1 is out of bounds/);
    assert.deepEqual(sort(array([], "float32")).shape, [0]);
  });
});

Deno.test("sort under transforms", async (t) => {
  const x = array(lcg(5, 24, 10), "float64").reshape([4, 6]);

  await t.step("jit and vmap give the eager results", () => {
    const both = (a: Array) => [sort(a, 0), argsort(a, 1)];
    const [s, i] = jit(both)(x) as Array[];
    assert.deepEqual(values(s), values(sort(x, 0)));
    assert.deepEqual(values(i), values(argsort(x, 1)));
    // vmap over rows (batch axis 0) and over columns (batch axis 1).
    const rows = vmap((r: Array) => sort(r))(x) as Array;
    assert.deepEqual(values(rows), values(sort(x, 1)));
    const cols = vmap((c: Array) => argsort(c), { inAxes: 1 })(x) as Array;
    assert.deepEqual(values(cols), values(argsort(x, 0).T));
    const nested = vmap((r: Array) => sort(r.reshape([2, 3]), 0))(x) as Array;
    for (let b = 0; b < 4; b++) {
      assert.deepEqual(values(nested.slice(b)), values(sort(x.slice(b).reshape([2, 3]), 0)));
    }
  });

  await t.step("jvp permutes the tangent like the values", () => {
    const v = array([3, 1, 2], "float64");
    const [y, dy] = jvp((a: Array) => sort(a), [v], [array([10, 20, 30], "float64")]);
    assert.deepEqual(values(y), [1, 2, 3]);
    assert.deepEqual(values(dy), [20, 30, 10]);
    const tx = array(lcg(6, 24), "float64").reshape([4, 6]);
    const [, dy2] = jvp((a: Array) => sort(a, 0), [x], [tx]);
    const perm = argsort(x, 0).tolist() as number[][];
    const tl = tx.tolist() as number[][];
    const want = perm.map((row) => row.map((p, j) => tl[p][j]));
    assert.deepEqual(dy2.tolist(), want);
  });

  await t.step("grad of a top-k sum and of a rank-weighted sum vs finite differences", () => {
    const n = 8, k = 3;
    const xs = lcg(7, n, 10);
    const topK = (a: Array) => sort(a).slice(`${n - k}:`).sum();
    const weights = array(xs.map((_, i) => (i + 1) ** 2), "float64");
    const ranked = (a: Array) => sort(a).mul(weights).sum();
    for (const f of [topK, ranked]) {
      const g = values(grad(f)(array(xs, "float64")) as Array);
      const h = 1e-6;
      xs.forEach((_, j) => {
        const plus = xs.map((v, i) => (i === j ? v + h : v));
        const minus = xs.map((v, i) => (i === j ? v - h : v));
        const fd = ((f(array(plus, "float64")).item()) - f(array(minus, "float64")).item()) /
          (2 * h);
        assert.ok(
          Math.abs(g[j] - fd) <= 1e-6 * Math.max(1, Math.abs(fd)),
          `x${j}: ${g[j]} vs ${fd}`,
        );
      });
    }
    // Top-k: a gradient of exactly 1 on the k largest entries, 0 elsewhere.
    const g = values(grad(topK)(array(xs, "float64")) as Array);
    const kth = [...xs].sort((a, b) => a - b)[n - k];
    assert.deepEqual(g, xs.map((v) => (v >= kth ? 1 : 0)));
  });

  await t.step("grad along axis 0 of a matrix, under jit and vmap", () => {
    const f = (a: Array) => sort(a, 0).slice(-1).sum(); // Σ of column maxima
    const g = values(jit(grad(f))(x) as Array);
    const cols = rowsOf(values(x.T), 4);
    const want = new Float64Array(24);
    cols.forEach((c, j) => (want[c.indexOf(Math.max(...c)) * 6 + j] = 1));
    assert.deepEqual(g, globalThis.Array.from(want));
    const perRow = vmap(grad((r: Array) => sort(r).slice("-2:").sum()))(x) as Array;
    rowsOf(values(x), 6).forEach((r, i) => {
      const cut = [...r].sort((a, b) => a - b)[4];
      assert.deepEqual(values(perRow.slice(i)), r.map((v) => (v >= cut ? 1 : 0)));
    });
  });

  await t.step("sorting random normals: ordered and finite", () => {
    const z = sort(random.normal(random.key(0), [1000]));
    const v = values(z);
    for (let i = 1; i < v.length; i++) assert.ok(v[i - 1] <= v[i]);
    assert.deepEqual(values(argsort(arange(5).mul(-1))), [4, 3, 2, 1, 0]);
  });
});
