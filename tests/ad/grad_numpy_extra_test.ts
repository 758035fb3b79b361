/**
 * Derivatives of the numpy extras: `checkGrads` (float64, both modes, against central finite
 * differences) on every new primitive — trig/hyperbolic/log2/log10 at order 2, the decompositions
 * (eigh, svd, qr) at order 1 and 2 — and on the compositions built from existing primitives
 * (statistics, interpolation, padding, einsum, dynamic slices, functional updates, activations),
 * plus the zero derivatives of searchsorted/digitize/histogram counts.
 */
import assert from "node:assert/strict";
import * as np from "../../mod.ts";
import { type Array, array, checkGrads, grad, jvp, makeJaxpr } from "../../mod.ts";

const f64 = (v: number | number[] | number[][] | number[][][]) => array(v, "float64");
const X = f64([-1.3, 0.4, 2.1]);
const UNIT = f64([-0.7, 0.2, 0.55]);
const POS = f64([0.5, 1.3, 4.2]);
const M = f64([[0.3, -1.2, 0.8], [1.5, -0.4, -2.2]]);

/** Names of the primitives in f's jaxpr. */
const primsOf = (f: (...a: Array[]) => unknown, ...args: Array[]) =>
  new Set(makeJaxpr(f)(...args).jaxpr.eqns.map((e) => e.prim.name));

Deno.test("trig family: checkGrads order 2 on every primitive", async (t) => {
  const cases: [string, string, (x: Array) => Array, Array][] = [
    ["tan", "tan", np.tan, f64([-1.1, 0.4, 1.2])],
    ["arctan", "atan", np.arctan, X],
    ["arcsin", "asin", np.arcsin, UNIT],
    ["arccos", "acos", np.arccos, UNIT],
    ["sinh", "sinh", np.sinh, X],
    ["cosh", "cosh", np.cosh, X],
    ["log2", "log2", np.log2, POS],
    ["log10", "log10", np.log10, POS],
  ];
  for (const [name, prim, f, x] of cases) {
    await t.step(name, () => {
      assert.ok(primsOf(f, x).has(prim), `${name} binds ${prim}`);
      checkGrads(f, [x], { order: 2 });
    });
  }
  await t.step("arctan2 in both arguments, with broadcasting", () => {
    const y = f64([[0.3, -1.2, 0.8], [1.5, -0.4, -2.2]]), x = f64([-0.7, 0.9, 1.4]);
    assert.ok(primsOf(np.arctan2, y, x).has("atan2"));
    checkGrads(np.arctan2, [y, x], { order: 2 });
  });
  await t.step("values of the derivatives", () => {
    // d/dx tan = 1 + tan², d arcsin = 1/√(1−x²), d log10 = 1/(x ln 10).
    const g = grad((v: Array) => np.tan(v).sum())(f64([0.5])).item();
    assert.ok(Math.abs(g - (1 + Math.tan(0.5) ** 2)) < 1e-15);
    const ga = grad((v: Array) => np.arcsin(v).sum())(f64([0.6])).item();
    assert.ok(Math.abs(ga - 1.25) < 1e-15);
    const gl = grad((v: Array) => np.log10(v).sum())(f64([2])).item();
    assert.ok(Math.abs(gl - 1 / (2 * Math.LN10)) < 1e-15);
  });
});

/** A symmetric matrix with well-separated eigenvalues. */
const S = f64([[4, 1, 0.5], [1, 3, -0.7], [0.5, -0.7, 1]]);
const TALL = f64([[1.2, -0.3], [0.4, 2.1], [-0.8, 0.5], [0.3, 0.9]]);
const SQ = f64([[2, -0.5, 0.3], [0.7, 1.4, -0.9], [0.1, 0.6, 3.1]]);

Deno.test("decompositions: checkGrads", async (t) => {
  await t.step("eigh: eigenvalues and eigenvectors, order 2", () => {
    // Sign-invariant functions of the vectors (v_j v_jᵀ), and the values.
    const f = (a: Array) => {
      const [w, v] = np.eigh(a);
      return [w, np.mul(v, v), np.matmul(v.mul(w), v.T)];
    };
    checkGrads(f, [S], { order: 2 });
  });
  await t.step("eigh: the eigenvectors themselves, order 1", () => {
    checkGrads((a: Array) => np.eigh(a)[1], [S], { order: 1 });
  });
  await t.step("svd (reduced) of tall, wide and square matrices, order 1", () => {
    for (const a of [TALL, TALL.T, SQ]) {
      checkGrads((m: Array) => np.svd(m, { fullMatrices: false }), [a], { order: 1 });
    }
  });
  await t.step("svd: order 2 of u·s (sign-consistent products) and svdvals", () => {
    const f = (m: Array) => {
      const [u, s, vt] = np.svd(m, { fullMatrices: false });
      return [s, np.matmul(u.mul(s), vt), np.mul(u, u)];
    };
    checkGrads(f, [TALL], { order: 2 });
    checkGrads(np.svdvals, [TALL.T], { order: 2 });
  });
  await t.step("square svd with fullMatrices (the default) differentiates", () => {
    checkGrads((m: Array) => np.svd(m), [SQ], { order: 1 });
  });
  await t.step("qr (reduced) of tall and square matrices, order 1 and 2", () => {
    for (const a of [TALL, SQ]) checkGrads((m: Array) => np.qr(m), [a], { order: 1 });
    checkGrads((m: Array) => np.qr(m), [TALL], { order: 2, modes: ["rev"] });
  });
  await t.step("unsupported derivatives fail clearly", () => {
    assert.throws(
      () => grad((m: Array) => np.svd(m)[0].sum())(TALL),
      /svd: derivatives of full u\/vt for a non-square matrix .* fullMatrices: false/,
    );
    assert.throws(
      () => grad((m: Array) => np.qr(m)[1].sum())(TALL.T),
      /qr: derivatives need m ≥ n/,
    );
    assert.throws(
      () => grad((m: Array) => np.qr(m, "complete")[0].sum())(TALL),
      /qr: derivatives need m ≥ n and reduced factors/,
    );
  });
  await t.step("eigh gradient of the largest eigenvalue is v vᵀ", () => {
    const g = grad((a: Array) => np.eigh(a)[0].slice("2"))(S);
    const v = np.eigh(S)[1].slice(null, "2");
    const want = np.outer(v, v).dataSync();
    const got = g.dataSync();
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-12);
  });
});

Deno.test("compositions: checkGrads order 2 (order 1 where piecewise)", async (t) => {
  const A3 = f64([
    [[0.1, -0.7, 1.3, 0.5], [2.0, -1.1, 0.4, 0.9], [-0.3, 0.6, -1.8, 1.2]],
    [[0.8, 1.7, -0.2, -0.9], [0.35, -1.4, 1.1, 0.05], [1.6, -0.6, 0.25, -1.3]],
  ]);
  // deno-lint-ignore no-explicit-any
  const cases: [string, (...a: any[]) => unknown, Array[], number][] = [
    ["var", (x: Array) => np.variance(x, 1, { ddof: 1 }), [A3], 2],
    ["std", (x: Array) => np.std(x, [0, 2]), [A3], 2],
    ["median (odd and even)", (x: Array) => [np.median(x, 2), np.median(x, 1)], [A3], 2],
    ["quantile in x and q", (x: Array, q: Array) => np.quantile(x, q, 2), [A3, f64([0.2, 0.7])], 2],
    ["percentile", (x: Array) => np.percentile(x, [10, 90], null), [A3], 2],
    ["diff", (x: Array) => np.diff(x, 2, 1, { prepend: 0.5 }), [A3], 2],
    [
      "tile/repeat/roll",
      (
        x: Array,
      ) => [np.tile(x, [2, 1, 1]), np.repeat(x, [1, 0, 2], 1), np.roll(x, [1, -2], [1, 2])],
      [A3],
      2,
    ],
    ["tril/triu", (x: Array) => np.tril(x, -1).add(np.triu(x, 2).mul(2)), [A3], 2],
    ["meshgrid", (x: Array, y: Array) => np.meshgrid(x, y), [X, POS], 2],
    [
      "pad modes",
      (x: Array) => [
        np.pad(x, 2, { constantValues: 3 }),
        np.pad(x, [[1, 2], [3, 1]], { mode: "reflect" }),
        np.pad(x, [2, 1], { mode: "symmetric" }),
        np.pad(x, 4, { mode: "wrap" }),
        np.pad(x, 1, { mode: "edge" }),
      ],
      [M],
      2,
    ],
    ["nanToNum", (x: Array) => np.nanToNum(x.div(x.add(0.4))), [X], 2],
    ["softmax/logSoftmax", (x: Array) => [np.softmax(x, 1), np.logSoftmax(x, [0, 2])], [A3], 2],
    ["relu", (x: Array) => np.relu(x), [X], 2],
    [
      "einsum matmul/trace/batch",
      (a: Array, b: Array) => [
        np.einsum("bij,bjk->bik", a, np.moveaxis(a, 1, 2)),
        np.einsum("ii", b.slice(null, "0:2")),
        np.einsum("...j,...j->...", a, a),
        np.einsum("bij,ij,b->j", a, a.slice(0), f64([0.5, -1])),
      ],
      [A3, M],
      2,
    ],
    ["takeAlongAxis", (x: Array) => np.takeAlongAxis(x, np.argsort(x, 2), 2), [A3], 2],
    [
      "dynamicSlice (traced start)",
      (x: Array, s: Array) => np.dynamicSlice(x, [0, s, 1], [2, 2, 2]),
      [A3, array(1, "int32")],
      2,
    ],
    ["dynamicUpdateSlice", (x: Array, u: Array) => np.dynamicUpdateSlice(x, u, [0, 1, 2]), [
      A3,
      f64([[[9, 8]], [[7, 6]]]),
    ], 2],
    [
      "at().set / add / mul",
      (x: Array, v: Array) => [
        x.at([0, 2, 0]).set(v),
        x.at([1, 1]).add(v.slice("0:2")),
        x.at([2, 0]).mul(v.slice("1:3")),
        x.at([1, 1]).mul(v.slice("0:2")),
      ],
      [X, f64([1.5, -0.5, 2.5])],
      2,
    ],
    ["interp in x, xp and fp", (x: Array, xp: Array, fp: Array) => np.interp(x, xp, fp), [
      f64([-0.5, 0.3, 1.7, 2.6]),
      f64([0, 1, 2]),
      f64([1, -2, 0.5]),
    ], 2],
    [
      "histogram weights",
      (w: Array) =>
        np.histogram(f64([0.1, 0.5, 0.7, 2.2, 1.5]), {
          bins: 3,
          range: [0, 2.5],
          weights: w,
          density: true,
        })[0],
      [f64([1, 2, 0.5, 1.5, 3])],
      2,
    ],
  ];
  for (const [name, f, args, order] of cases) {
    await t.step(name, () => checkGrads(f, args, { order }));
  }
});

Deno.test("piecewise-constant results have zero derivatives", () => {
  const x = f64([0.2, 1.4, 2.5]);
  const edges = f64([0, 1, 2, 3]);
  const f = (v: Array, e: Array) =>
    np.searchsorted(e, v).astype("float64").add(np.digitize(v, e).astype("float64"))
      .add(np.histogram(v, { bins: e })[0].astype("float64")).sum();
  const [gx, ge] = grad(f, { argnums: [0, 1] })(x, edges) as Array[];
  assert.deepEqual(gx.tolist(), [0, 0, 0]);
  assert.deepEqual(ge.tolist(), [0, 0, 0, 0]);
  const [, tan] = jvp((v: Array) => np.searchsorted(edges, v), [x], [f64([1, 1, 1])]);
  assert.ok(tan === null || tan.tolist().every((v: number) => v === 0));
});
