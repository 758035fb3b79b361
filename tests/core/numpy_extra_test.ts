/**
 * The numpy extras against numpy 2.4.6 (reference values computed offline with numpy and pasted
 * here; the tests never run Python): statistics, searching and binning, interpolation, array
 * manipulation, activations, einsum, dynamic indexing and functional updates, trig functions in
 * float32 and float64 — then `vmap` against a loop and `jit` against eager for each composition.
 */
import assert from "node:assert/strict";
import * as np from "../../mod.ts";
import { type Array, array, jit, vmap } from "../../mod.ts";

const f64 = (v: unknown) => array(v as number[], "float64");
const X = f64([[3, 1, 2], [0, 5, 4]]);

/** Asserts equal nested values (NaN equals NaN), with relative tolerance `rtol` (0: exact). */
function close(got: Array, want: unknown, rtol = 0, what = "") {
  const g = got.dataSync(), w = [want].flat(Infinity) as (number | boolean)[];
  assert.equal(g.length, w.length, `${what}: ${g.length} entries, expected ${w.length}`);
  for (let i = 0; i < g.length; i++) {
    const a = g[i], b = Number(w[i]);
    if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) continue;
    assert.ok(
      Math.abs(a - b) <= rtol * Math.abs(b),
      `${what}[${i}] = ${a}, expected ${b} (rtol ${rtol}); got ${got.toString()}`,
    );
  }
}

Deno.test("statistics match numpy", () => {
  close(np.variance(X), 2.9166666666666665, 1e-15, "var");
  close(np.variance(X, 1, { ddof: 1 }), [1, 7], 0, "var ddof");
  close(np.std(X, 0), [1.5, 2, 1], 0, "std");
  close(np.std(X, 1, { keepdims: true }), [[0.816496580927726], [2.160246899469287]], 1e-15);
  close(np.median(f64([3, 1, 4, 1])), 2, 0, "median even");
  close(np.median(X, 1), [2, 4], 0, "median axis");
  close(np.median(f64([1, NaN, 3])), NaN, 0, "median NaN");
  close(np.quantile(f64([1, 2, 3, 4]), [0, 0.25, 0.3, 0.5, 1]), [1, 1.75, 1.9, 2.5, 4], 0);
  close(np.quantile(X, [0.1, 0.9], 1), [[1.2, 0.8], [2.8, 4.8]], 1e-15, "quantile axis");
  assert.deepEqual(np.quantile(X, [0.1, 0.9], 1, { keepdims: true }).shape, [2, 2, 1]);
  const v = f64([1, 2, 3, 4, 5]), q = [0.125, 0.375, 0.5, 0.625, 0.875];
  close(np.quantile(v, q, null, { method: "lower" }), [1, 2, 3, 3, 4]);
  close(np.quantile(v, q, null, { method: "higher" }), [2, 3, 3, 4, 5]);
  close(np.quantile(v, q, null, { method: "midpoint" }), [1.5, 2.5, 3, 3.5, 4.5]);
  close(np.quantile(v, q, null, { method: "nearest" }), [1, 3, 3, 3, 5]);
  close(np.percentile(f64([1, 2, 3, 4]), 50), 2.5);
  assert.throws(() => np.quantile(v, 1.5), /quantile: q must be in \[0, 1\]/);
  assert.throws(() => np.median(np.zeros([0])), /median: axis 0 of \[0\] is empty/);
  close(np.any(array([[0, 1], [0, 0]]), 1), [true, false]);
  close(np.all(array([[1, 1], [0, 1]]), 1), [true, false]);
  close(np.all(np.zeros([0])), true, 0, "all([])");
  close(np.any(np.zeros([0])), false, 0, "any([])");
});

Deno.test("searching, binning and interpolation match numpy", () => {
  close(np.searchsorted(f64([1, 2, 2, 3]), f64([2, 5, 0])), [1, 4, 0]);
  close(np.searchsorted(f64([1, 2, 2, 3]), 2, "right"), 3);
  close(np.searchsorted(f64([1, 2, NaN]), f64([NaN, 3])), [2, 2], 0, "NaN sorts last");
  const x = f64([0.2, 1, 2.5, 7, -1]);
  close(np.digitize(x, f64([0, 1, 2, 3])), [1, 2, 3, 4, 0]);
  close(np.digitize(x, f64([0, 1, 2, 3]), true), [1, 1, 3, 4, 0]);
  close(np.digitize(x, f64([3, 2, 1, 0])), [3, 2, 1, 0, 4], 0, "decreasing bins");
  close(np.digitize(x, f64([3, 2, 1, 0]), true), [3, 3, 1, 0, 4]);
  const [h, e] = np.histogram(f64([1, 2, 2, 3, 4]), { bins: 3 });
  assert.equal(h.dtype, "int32");
  close(h, [1, 2, 2]), close(e, [1, 2, 3, 4]);
  const [h2] = np.histogram(f64([1, 2, 2, 3, 4, 9, -1, NaN]), {
    bins: f64([0, 1, 2.5, 4]),
    weights: f64([1, 2, 3, 4, 5, 6, 8, 7]),
    density: true,
  });
  close(h2, [0, 0.26666666666666666, 0.4], 0, "weighted density");
  const [h3, e3] = np.histogram(f64([0.1, 0.2, 0.35, 0.5, 0.9, 1.0]), { bins: 4, range: [0, 1] });
  close(h3, [2, 1, 1, 2]), close(e3, [0, 0.25, 0.5, 0.75, 1]);
  const [h4, e4] = np.histogram(f64([2, 2]), { bins: 2 }); // numpy widens an empty range
  close(h4, [0, 2]), close(e4, [1.5, 2, 2.5]);
  const xp = f64([0, 1, 2]), fp = f64([0, 10, 0]);
  close(np.interp(f64([0.5, 1.5, 3, -1, 1, 2, 0]), xp, fp), [5, 5, 0, 0, 10, 0, 0]);
  close(np.interp(f64([-1, 3, NaN]), xp, fp, { left: -5, right: 7 }), [-5, 7, NaN]);
});

Deno.test("array manipulation matches numpy", () => {
  close(np.diff(f64([1, 2, 4, 7])), [1, 2, 3]);
  close(np.diff(X, 2, 1), [[3], [-6]]);
  close(np.diff(f64([1, 3]), 1, -1, { prepend: 0, append: [5] }), [1, 2, 2]);
  close(np.diff(array([true, true, false])), [false, true]);
  close(np.tile(f64([1, 2]), [2, 2]), [[1, 2, 1, 2], [1, 2, 1, 2]]);
  close(np.repeat(X, 2, 1), [[3, 3, 1, 1, 2, 2], [0, 0, 5, 5, 4, 4]]);
  close(np.repeat(X, [1, 2], 0), [[3, 1, 2], [0, 5, 4], [0, 5, 4]]);
  close(np.roll(X, [1, -1], [0, 1]), [[5, 4, 0], [1, 2, 3]]);
  close(np.roll(X, 1), [[4, 3, 1], [2, 0, 5]]);
  close(np.tril(X), [[3, 0, 0], [0, 5, 0]]), close(np.triu(X, 1), [[0, 1, 2], [0, 0, 4]]);
  close(np.tril(np.ones([3, 4]), -1), [[0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0]]);
  const [xx, yy] = np.meshgrid(f64([1, 2, 3]), f64([10, 20]));
  close(xx, [[1, 2, 3], [1, 2, 3]]), close(yy, [[10, 10, 10], [20, 20, 20]]);
  const [ii] = np.meshgrid(f64([1, 2, 3]), f64([10, 20]), { indexing: "ij" });
  close(ii, [[1, 1], [2, 2], [3, 3]]);
  const a = f64([1, 2, 3]);
  close(np.pad(a, [1, 2]), [0, 1, 2, 3, 0, 0]);
  close(np.pad(a, 1, { constantValues: 7 }), [7, 1, 2, 3, 7]);
  close(np.pad(a, [2, 4], { mode: "edge" }), [1, 1, 1, 2, 3, 3, 3, 3, 3]);
  close(np.pad(a, [2, 4], { mode: "wrap" }), [2, 3, 1, 2, 3, 1, 2, 3, 1]);
  close(np.pad(a, [2, 4], { mode: "reflect" }), [3, 2, 1, 2, 3, 2, 1, 2, 3]);
  close(np.pad(a, [2, 4], { mode: "symmetric" }), [2, 1, 1, 2, 3, 3, 2, 1, 1]);
  close(np.pad(X, [[1, 0], [0, 2]], { mode: "reflect" }), [
    [0, 5, 4, 5, 0],
    [3, 1, 2, 1, 3],
    [0, 5, 4, 5, 0],
  ]);
  const big = np.nanToNum(f64([NaN, Infinity, -Infinity, 1]));
  close(big, [0, Number.MAX_VALUE, -Number.MAX_VALUE, 1]);
  close(np.nanToNum(array([Infinity]), { posinf: 9 }), [9]);
  close(np.nanToNum(array([-Infinity])), [-3.4028234663852886e38]);
  close(np.isinf(array([1, Infinity, -Infinity, NaN])), [false, true, true, false]);
  assert.throws(() => np.pad(a, [1, 2, 3]), /pad: pad width \[1,2,3\]/);
  assert.throws(() => np.repeat(X, [1, 2, 3], 0), /repeat: 3 counts for axis 0 of size 2/);
});

Deno.test("activations, einsum and dynamic indexing", () => {
  close(
    np.softmax(f64([1, 2, 3])),
    [0.09003057317038046, 0.24472847105479764, 0.6652409557748218],
    1e-15,
  );
  close(np.softmax(array([1000, 1000])), [0.5, 0.5]);
  close(np.logSoftmax(f64([0, 1000])), [-1000, 0]);
  close(np.relu(array([-1, 0, 2, NaN])), [0, 0, 2, NaN]);
  close(np.oneHot(array([0, 2, 5], "int32"), 3), [[1, 0, 0], [0, 0, 1], [0, 0, 0]]);
  close(np.einsum("ij,jk->ik", X, X.T), [[14, 13], [13, 41]]);
  close(np.einsum("ij,jk", X, X.T), [[14, 13], [13, 41]], 0, "implicit");
  close(np.einsum("ij,jk,kl->il", X, X.T, X), [[42, 79, 80], [39, 218, 190]]);
  close(np.einsum("ii", array([[1, 2], [3, 4]])), 5),
    close(np.einsum("ii->i", array([[1, 2], [3, 4]])), [1, 4]);
  close(np.einsum("ij->j", X), [3, 6, 6]), close(np.einsum("ij->ji", X), [[3, 0], [1, 5], [2, 4]]);
  close(np.einsum("i,j->ij", array([1, 2]), array([3, 4, 5])), [[3, 4, 5], [6, 8, 10]]);
  assert.deepEqual(np.einsum("...ij,...jk->...ik", np.ones([2, 2, 3]), np.ones([3, 2])).shape, [
    2,
    2,
    2,
  ]);
  assert.deepEqual(np.einsum("ba", np.ones([2, 3])).shape, [3, 2]); // numpy: implicit output sorted
  assert.throws(() => np.einsum("ij,jk", X, X), /einsum: label j has sizes 3 and 2/);
  assert.throws(() => np.einsum("ij->k", X), /einsum: output label k is not in any operand/);
  close(np.takeAlongAxis(X, np.argsort(X, 1), 1), [[1, 2, 3], [0, 4, 5]]);
  close(np.takeAlongAxis(X, array([[1, 0, 1]], "int32"), 0), [[0, 1, 4]]);
  close(np.dynamicSlice(np.arange(10), [7], [5]), [5, 6, 7, 8, 9]);
  close(np.dynamicSlice(X, [1, 1], [1, 2]), [[5, 4]]);
  close(np.dynamicUpdateSlice(np.zeros([5]), array([1, 2]), [1]), [0, 1, 2, 0, 0]);
  close(np.dynamicUpdateSlice(X, f64([[9, 8]]), [0, 5]), [[3, 9, 8], [0, 5, 4]]);
  close(array([1, 2, 3]).at([0, 2]).set(9), [9, 2, 9]);
  close(array([1, 2, 3]).at([0, 0, 2]).set(array([7, 8, 9])), [8, 2, 9], 0, "last write wins");
  close(array([1, 2, 3]).at([1, 1]).mul(3), [1, 18, 3]);
  close(array([1, 2, 3]).at([1, 2]).mul(array([-2, 0])), [1, -4, 0]);
  close(array([1, 2, 3]).at([-1]).get(), [3]);
  close(X.at([0, 2], 1).set(f64([[10, 20], [30, 40]])), [[10, 1, 20], [30, 5, 40]]);
});

Deno.test("trig functions match numpy (float32 within 1 ulp, float64 exactly)", () => {
  const x = [-3.5, -1, -0.25, 0, 0.3, 1, 2.5, 7];
  const ulp = 2 ** -23;
  close(np.tan(array(x)), [
    -0.3745856285095215,
    -1.5574077367782593,
    -0.25534191727638245,
    0,
    0.30933627486228943,
    1.5574077367782593,
    -0.747022271156311,
    0.8714479804039001,
  ], ulp);
  close(np.arctan(array(x)), [
    -1.292496681213379,
    -0.7853981852531433,
    -0.244978666305542,
    0,
    0.29145681858062744,
    0.7853981852531433,
    1.1902899742126465,
    1.4288992881774902,
  ], ulp);
  close(np.sinh(array(x)), [
    -16.542627334594727,
    -1.175201177597046,
    -0.25261232256889343,
    0,
    0.30452030897140503,
    1.175201177597046,
    6.050204277038574,
    548.3161010742188,
  ], ulp);
  close(np.cosh(array(x)), [
    16.572824478149414,
    1.5430806875228882,
    1.031413197517395,
    1,
    1.0453383922576904,
    1.5430806875228882,
    6.132289886474609,
    548.3170166015625,
  ], ulp);
  const u = [-0.9, -0.5, -0.1, 0, 0.3, 0.7, 0.95, 0.99];
  close(np.arcsin(array(u)), [
    -1.11976957321167,
    -0.5235987901687622,
    -0.1001674234867096,
    0,
    0.30469265580177307,
    0.775397539138794,
    1.253235936164856,
    1.4292569160461426,
  ], ulp);
  close(np.arccos(array(u)), [
    2.690565824508667,
    2.094395160675049,
    1.6709637641906738,
    1.5707963705062866,
    1.266103744506836,
    0.7953988313674927,
    0.31756046414375305,
    0.14153940975666046,
  ], ulp);
  const p = [0.1, 0.5, 1, 2, 3.5, 10, 100, 1e-3];
  close(np.log2(array(p)), [
    -3.321928024291992,
    -1,
    0,
    1,
    1.8073549270629883,
    3.321928024291992,
    6.643856048583984,
    -9.965784072875977,
  ], ulp);
  // numpy's float32 log10(100) is 2.0000002: 1 ulp from the exact 2 given here.
  close(np.log10(array(p)), [
    -1,
    -0.3010300099849701,
    0,
    0.3010300099849701,
    0.5440680980682373,
    1,
    2.000000238418579,
    -3.000000238418579,
  ], 2 * ulp);
  close(np.arctan2(array(x), -0.7), [
    -1.768191933631897,
    -2.1815223693847656,
    -2.7985687255859375,
    3.1415927410125732,
    2.736701011657715,
    2.1815223693847656,
    1.8438050746917725,
    1.6704649925231934,
  ], ulp);
  close(np.tan(f64(x)), [
    -0.3745856401585947,
    -1.5574077246549023,
    -0.25534192122103627,
    0,
    0.3093362496096232,
    1.5574077246549023,
    -0.7470222972386603,
    0.8714479827243188,
  ], 2 ** -52);
  close(np.sinh(f64(x)), [
    -16.542627287634996,
    -1.1752011936438014,
    -0.2526123168081683,
    0,
    0.3045202934471426,
    1.1752011936438014,
    6.0502044810397875,
    548.3161232732465,
  ], 2 ** -52);
  close(np.arctan2(f64(x), -0.7), [
    -1.7681918866447774,
    -2.1815222911841055,
    -2.79856871316909,
    3.141592653589793,
    2.7367008673047097,
    2.1815222911841055,
    1.843805029881607,
    1.6704649792860586,
  ], 2 ** -52);
  close(np.log10(f64([1000, 0.01, 100])), [3, -2, 2]);
  close(np.arctan2(f64([0, -0, 0, -0]), f64([0, 0, -0, -0])), [0, -0, Math.PI, -Math.PI]);
  assert.equal(np.tan(array([1], "int32")).dtype, "float32");
});

/** vmap(f) over the first axis equals stacking f of each row; jit equals eager, bit for bit. */
function checkVmapJit(name: string, f: (x: Array) => Array, x: Array) {
  const want = np.stack(globalThis.Array.from({ length: x.shape[0] }, (_, i) => f(x.slice(i))));
  const got = vmap(f)(x) as Array;
  assert.deepEqual(got.shape, want.shape, `${name}: vmap shape`);
  close(got, want.tolist(), 0, `${name} vmap`);
  close(jit(f)(x.slice(0)) as Array, f(x.slice(0)).tolist(), 0, `${name} jit`);
  close(jit(vmap(f))(x) as Array, want.tolist(), 0, `${name} jit of vmap`);
}

Deno.test("vmap equals a loop and jit equals eager", async (t) => {
  const A = f64([
    [[0.1, -0.7, 1.3, 0.5], [2.0, -1.1, 0.4, 0.9], [-0.3, 0.6, -1.8, 1.2]],
    [[0.8, 1.7, -0.2, -0.9], [0.35, -1.4, 1.1, 0.05], [1.6, -0.6, 0.25, -1.3]],
  ]);
  const edges = f64([-1, 0, 0.5, 1.5]);
  const cases: [string, (x: Array) => Array][] = [
    ["trig", (x) => np.arctan2(np.sinh(x), np.cosh(x)).add(np.tan(x)).add(np.log10(x.abs()))],
    ["var/std", (x) => np.variance(x, 0).add(np.std(x, 1, { keepdims: true }))],
    ["median/quantile", (x) => np.quantile(x, [0.3, 0.8], 1).sum(0).add(np.median(x, 1))],
    ["any/all", (x) => np.any(x.gt(1), 1).astype("float64").add(np.all(x.gt(-1), 1))],
    ["searchsorted/digitize", (x) => np.searchsorted(edges, x).add(np.digitize(x, edges, true))],
    ["histogram", (x) => np.histogram(x, { bins: edges, weights: x.abs() })[0]],
    ["histogram (data range)", (x) => np.histogram(x, { bins: 3 })[0]],
    ["interp", (x) => np.interp(x, edges, edges.square())],
    ["diff/tile/repeat/roll", (x) => np.diff(np.roll(np.tile(np.repeat(x, 2, 1), [1, 2]), 3, 1))],
    ["tril/pad", (x) => np.pad(np.tril(x, 1), [[1, 0], [2, 1]], { mode: "reflect" })],
    ["softmax/logSoftmax/relu", (x) => np.softmax(x, 0).add(np.logSoftmax(x)).add(np.relu(x))],
    ["oneHot", (x) => np.oneHot(np.argmax(x, 1), 5)],
    ["einsum", (x) => np.einsum("ij,kj->ik", x, x).add(np.einsum("ij->", x))],
    ["takeAlongAxis", (x) => np.takeAlongAxis(x, np.argsort(x, 0), 0)],
    [
      "dynamic slices",
      (x) =>
        np.dynamicUpdateSlice(
          x,
          np.dynamicSlice(x, [x.slice(0, 0).gt(0).astype("int32"), 1], [2, 2]),
          [1, 0],
        ),
    ],
    ["at().set/mul", (x) => x.at([0, 2, 0]).set(x.slice(1)).at([1, 1], 1).mul(3)],
    ["nanToNum/isinf", (x) => np.nanToNum(x.log()).add(np.isinf(x.div(0)))],
  ];
  for (const [name, f] of cases) await t.step(name, () => checkVmapJit(name, f, A));
});
