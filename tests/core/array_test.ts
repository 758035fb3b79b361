/**
 * Arrays: creation, dtype promotion (JAX-style weak typing), astype, printing, item/tolist,
 * dispose/using, pytrees, makeJaxpr printing and jit's trace cache. Expected values are written
 * out by hand (numpy/JAX semantics), never computed by the code under test.
 */
import assert from "node:assert/strict";
import {
  arange,
  type Array,
  array,
  type DType,
  eye,
  full,
  linspace,
  maximum,
  mul,
  ones,
  onesLike,
  sin,
  sum,
  take,
  tree,
  zeros,
  zerosLike,
} from "../../core/mod.ts";
import { makeJaxpr } from "../../core/make_jaxpr.ts";
import { grad } from "../../ad/api.ts";
import { jit } from "../../jit/jit.ts";

const desc = (x: Array) => ({ shape: [...x.shape], dtype: x.dtype, values: x.tolist() });

Deno.test("creation", async (t) => {
  await t.step("array from nested lists, scalars, booleans", () => {
    assert.deepEqual(desc(array([[1, 2, 3], [4, 5, 6]])), {
      shape: [2, 3],
      dtype: "float32",
      values: [[1, 2, 3], [4, 5, 6]],
    });
    assert.deepEqual(desc(array([[[1], [2]]], "int32")), {
      shape: [1, 2, 1],
      dtype: "int32",
      values: [[[1], [2]]],
    });
    assert.deepEqual(desc(array([true, false])), {
      shape: [2],
      dtype: "bool",
      values: [true, false],
    });
    const s = array(2.5);
    assert.deepEqual([s.shape, s.dtype, s.weakType, s.item()], [[], "float32", true, 2.5]);
    const s64 = array(0.1, "float64");
    assert.deepEqual([s64.dtype, s64.weakType, s64.item()], ["float64", false, 0.1]);
    assert.equal(array(0.1).item(), Math.fround(0.1)); // stored as float32
    assert.deepEqual(desc(array([], "float64")), { shape: [0], dtype: "float64", values: [] });
    assert.throws(() => array([[1, 2], [3]]), /ragged/);
    assert.throws(() => array(["a"] as never), /array/);
  });

  await t.step("array from typed arrays keeps their dtype; shape option", () => {
    assert.equal(array(new Float64Array([1, 2])).dtype, "float64");
    assert.equal(array(new Float32Array([1, 2])).dtype, "float32");
    assert.equal(array(new Int32Array([1, 2])).dtype, "int32");
    const m = array(new Float64Array([1, 2, 3, 4, 5, 6]), undefined, { shape: [3, 2] });
    assert.deepEqual(desc(m), {
      shape: [3, 2],
      dtype: "float64",
      values: [[1, 2], [3, 4], [5, 6]],
    });
    // The data is copied: later writes to the typed array do not change the array.
    const src = new Float64Array([1, 2]);
    const a = array(src);
    src[0] = 99;
    assert.deepEqual(a.tolist(), [1, 2]);
    assert.equal(array(new Int32Array([7]), "float64").dtype, "float64");
  });

  await t.step("zeros, ones, full, zerosLike, onesLike", () => {
    assert.deepEqual(desc(zeros([2, 2])), {
      shape: [2, 2],
      dtype: "float32",
      values: [[0, 0], [0, 0]],
    });
    assert.deepEqual(desc(ones([3], "int32")), { shape: [3], dtype: "int32", values: [1, 1, 1] });
    assert.deepEqual(desc(full([2], 7.5, "float64")), {
      shape: [2],
      dtype: "float64",
      values: [7.5, 7.5],
    });
    assert.deepEqual(desc(full([1, 2], true, "bool")), {
      shape: [1, 2],
      dtype: "bool",
      values: [[true, true]],
    });
    assert.deepEqual(desc(zeros([])), { shape: [], dtype: "float32", values: 0 });
    const x = array([[1, 2]], "float64");
    assert.deepEqual(desc(zerosLike(x)), { shape: [1, 2], dtype: "float64", values: [[0, 0]] });
    assert.deepEqual(desc(onesLike(x)), { shape: [1, 2], dtype: "float64", values: [[1, 1]] });
    assert.deepEqual(desc(onesLike(x, "int32")), {
      shape: [1, 2],
      dtype: "int32",
      values: [[1, 1]],
    });
    assert.throws(() => zeros([2, -1]), /invalid shape/);
  });

  await t.step("arange (ints, float steps, negative steps) and linspace", () => {
    assert.deepEqual(desc(arange(4)), { shape: [4], dtype: "int32", values: [0, 1, 2, 3] });
    assert.deepEqual(desc(arange(2, 9, 3)), { shape: [3], dtype: "int32", values: [2, 5, 8] });
    assert.deepEqual(desc(arange(0, 1, 0.25)), {
      shape: [4],
      dtype: "float32",
      values: [0, 0.25, 0.5, 0.75],
    });
    assert.deepEqual(desc(arange(5, 0, -2)), { shape: [3], dtype: "int32", values: [5, 3, 1] });
    // ceil((0 − 1) / −0.3) = 4 elements.
    assert.deepEqual(
      arange(1, 0, -0.3, "float64").tolist(),
      [1, 1 - 0.3, 1 - 2 * 0.3, 1 - 3 * 0.3],
    );
    assert.deepEqual(arange(3, 3).shape, [0]);
    assert.throws(() => arange(0, 1, 0), /step/);
    assert.deepEqual(linspace(0, 1, 5).tolist(), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(linspace(0, 1, 4, { endpoint: false }).tolist(), [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(linspace(2, 3, 1).tolist(), [2]);
    const l = linspace(0, 0.3, 4, { dtype: "float64" });
    assert.equal(l.dtype, "float64");
    assert.equal((l.tolist() as number[])[3], 0.3); // the endpoint is exact
  });

  await t.step("eye", () => {
    assert.deepEqual(eye(3).tolist(), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    assert.deepEqual(eye(2, 3, 1).tolist(), [[0, 1, 0], [0, 0, 1]]);
    assert.deepEqual(eye(3, 2, -1, "int32").tolist(), [[0, 0], [1, 0], [0, 1]]);
  });
});

Deno.test("dtype promotion (JAX-style, JS numbers weakly typed)", async (t) => {
  const of = (d: DType) => ones([2], d);
  const name = (x: Array) => `${x.dtype}${x.weakType ? "(weak)" : ""}`;

  await t.step("strong × strong: JAX's lattice bool < int32 < float32 < float64", () => {
    const table: [DType, DType, DType][] = [
      ["bool", "bool", "bool"],
      ["bool", "int32", "int32"],
      ["bool", "float32", "float32"],
      ["bool", "float64", "float64"],
      ["int32", "int32", "int32"],
      ["int32", "float32", "float32"],
      ["int32", "float64", "float64"],
      ["float32", "float32", "float32"],
      ["float32", "float64", "float64"],
      ["float64", "float64", "float64"],
    ];
    for (const [a, b, want] of table) {
      assert.equal(maximum(of(a), of(b)).dtype, want, `${a} with ${b}`);
      assert.equal(maximum(of(b), of(a)).dtype, want, `${b} with ${a}`);
    }
  });

  await t.step("array × JS number: the number takes the array's type where it fits", () => {
    assert.equal(name(mul(of("float64"), 2)), "float64");
    assert.equal(name(mul(of("float64"), 0.1)), "float64");
    assert.deepEqual(mul(of("float64"), 0.1).tolist(), [0.1, 0.1]); // not float32(0.1)
    assert.equal(name(mul(of("float32"), 2.5)), "float32");
    assert.equal(name(of("int32").add(1)), "int32");
    assert.equal(name(of("int32").add(1.5)), "float32");
    assert.equal(name(of("bool").add(of("int32"))), "int32");
    assert.equal(name(maximum(of("bool"), 2)), "int32");
    assert.equal(name(maximum(of("bool"), 2.5)), "float32");
    assert.equal(name(maximum(of("bool"), true)), "bool");
    assert.equal(name(of("int32").div(2)), "float32"); // true division of ints
    // Weak scalar arrays behave like JS numbers; two weak values stay weak.
    assert.equal(name(array(2).mul(of("float64"))), "float64");
    assert.equal(name(array(2).mul(3)), "float32(weak)");
  });

  await t.step("astype: truncation toward zero, NaN → 0, bool, and no-op", () => {
    const x = array([-1.7, -0.5, 0.5, 2.9, NaN], "float64");
    assert.deepEqual(x.astype("int32").tolist(), [-1, 0, 0, 2, 0]);
    assert.deepEqual(
      x.astype("bool").tolist(),
      [true, true, true, true, true].map((v, i) => i === 4 ? false : v),
    );
    assert.deepEqual(array([0, 2], "int32").astype("bool").tolist(), [false, true]);
    assert.deepEqual(array([true, false]).astype("float64").tolist(), [1, 0]);
    assert.equal(array(0.1, "float64").astype("float32").item(), Math.fround(0.1));
    const y = array([1, 2], "float64");
    assert.equal(y.astype("float64"), y);
    const w = array(2);
    assert.deepEqual([w.astype("float32").weakType, w.astype("float32").dtype], [false, "float32"]);
  });
});

Deno.test("printing, item, tolist", async (t) => {
  await t.step("toString is numpy-like", () => {
    assert.equal(array([[1, 2], [3, 4]]).toString(), "[[1., 2.],\n [3., 4.]]");
    assert.equal(array([1, 2, 3], "int32").toString(), "[1, 2, 3] (int32)");
    assert.equal(array([true, false]).toString(), "[true, false]");
    assert.equal(array([0.5, -2], "float64").toString(), "[0.5, -2.] (float64)");
    assert.equal(array([0.5, -20], "float64").toString(), "[ 0.5, -20.] (float64)");
    assert.equal(array(3.5).toString(), "3.5");
    assert.equal(array([NaN, Infinity, -Infinity, 0.25]).toString(), "[ nan,  inf, -inf, 0.25]");
    assert.equal(zeros([2, 1, 2]).toString(), "[[[0., 0.]],\n\n [[0., 0.]]]");
    assert.equal(`${array([1, 2])}`, "[1., 2.]");
  });

  await t.step("item and tolist", () => {
    assert.equal(array(3.5).item(), 3.5);
    assert.equal(array([[7]], "int32").item(), 7);
    assert.equal(array(true).item(), 1);
    assert.equal(array(0.1).item(), Math.fround(0.1));
    assert.throws(() => array([1, 2]).item(), /item: array of shape \[2\] has 2 elements/);
    assert.deepEqual(array([[1, 2], [3, 4]], "int32").tolist(), [[1, 2], [3, 4]]);
    assert.deepEqual(array([[true], [false]]).tolist(), [[true], [false]]);
    assert.equal(array(4, "float64").tolist(), 4);
    assert.deepEqual(zeros([2, 0]).tolist(), [[], []]);
  });
});

Deno.test("memory: dispose() and using", async (t) => {
  await t.step("use after dispose is an error; inputs are never consumed", () => {
    const x = ones([2], "float64");
    const y = x.add(1);
    assert.deepEqual(x.tolist(), [1, 1]); // operations do not consume inputs
    y.dispose();
    assert.throws(() => y.add(1), /used after dispose/);
    assert.throws(() => y.dataSync(), /f64\[2\] was used after dispose/);
    assert.deepEqual(x.mul(3).tolist(), [3, 3]);
    y.dispose(); // disposing twice is harmless
  });

  await t.step("using releases at the end of the block", () => {
    let ref: Array | undefined;
    {
      using z = array([1, 2, 3], "float64");
      ref = z;
      assert.equal(sum(z).item(), 6);
    }
    assert.throws(() => ref!.dataSync(), /used after dispose/);
  });
});

Deno.test("pytrees", async (t) => {
  const a = array([1, 2]), b = array(3), c = array([[4]]);
  const t0 = { w: [a, null, { b }], c, n: 5 };

  await t.step("flatten: depth-first, keys in insertion order, null is not a leaf", () => {
    const [leaves, def] = tree.flatten(t0);
    assert.equal(leaves.length, 4);
    assert.equal(leaves[0], a);
    assert.equal(leaves[1], b);
    assert.equal(leaves[2], c);
    assert.equal(leaves[3], 5);
    assert.equal(tree.treedefString(def), "{w: [*, null, {b: *}], c: *, n: *}");
    assert.deepEqual(tree.leaves([[a], [], null, [[b]]]), [a, b]);
    assert.deepEqual(tree.flatten(null)[0], []);
    assert.deepEqual(tree.flatten(a)[0], [a]);
  });

  await t.step("unflatten rebuilds; wrong leaf counts are errors", () => {
    const [, def] = tree.flatten(t0);
    const back = tree.unflatten(def, ["p", "q", "r", "s"]);
    assert.deepEqual(back, { w: ["p", null, { b: "q" }], c: "r", n: "s" });
    assert.throws(() => tree.unflatten(def, [1, 2, 3]), /too few leaves/);
    assert.throws(() => tree.unflatten(def, [1, 2, 3, 4, 5]), /5 leaves given, structure has 4/);
  });

  await t.step("map over one and several trees; structure mismatch is an error", () => {
    const doubled = tree.map((x: Array | number) => (typeof x === "number" ? x * 2 : x.mul(2)), t0);
    assert.deepEqual(doubled.w[0].tolist(), [2, 4]);
    assert.equal(doubled.w[1], null);
    assert.equal(doubled.w[2].b.item(), 6);
    assert.deepEqual(doubled.c.tolist(), [[8]]);
    assert.equal(doubled.n, 10);
    const summed = tree.map((x: number, y: number) => x + y, { p: 1, q: [2] }, { p: 10, q: [20] });
    assert.deepEqual(summed, { p: 11, q: [22] });
    assert.throws(
      () => tree.map((x: number) => x, { p: 1 }, { p: [1] }),
      /structures differ: \{p: \*\} vs \{p: \[\*\]\}/,
    );
  });

  await t.step("transforms accept and return pytrees", () => {
    const params = { w: array([1, 2], "float64"), b: [array(0.5, "float64"), null] };
    const g = grad((p: typeof params) => sum(mul(p.w, p.w)).add(mul(p.b[0]!, 3)))(params);
    assert.deepEqual(g.w.tolist(), [2, 4]);
    assert.equal(g.b[0].item(), 3);
    assert.equal(g.b[1], null);
  });
});

Deno.test("makeJaxpr printing", async (t) => {
  await t.step("header, equations and outputs like JAX", () => {
    const text = makeJaxpr((x: Array) => sin(x).mul(2))(array([1, 2])).toString();
    const lines = text.split("\n");
    assert.equal(lines[0], "{ lambda ; a:f32[2]. let");
    assert.equal(lines[1], "    b:f32[2] = sin a");
    assert.match(text, /\n {4}[a-z]+:f32\[2\] = mul b [a-z0-9.]+\n/);
    assert.match(lines[lines.length - 1], /^ {2}in \([a-z]+\) \}$/);
  });

  await t.step("constants, float64, parameters and several outputs", () => {
    const c = array([1, 2, 3]);
    const text = makeJaxpr((x: Array, y: Array) => [x.mul(c), sum(y, 0)])(
      array([1, 2, 3]),
      zeros([2, 3], "float64"),
    ).toString();
    assert.match(text, /^\{ lambda a:f32\[3\] ; b:f32\[3\] c:f64\[2,3\]\. let\n/);
    assert.match(text, /= mul b a\n/);
    assert.match(text, /:f64\[3\] = reduce_sum\[axes=\(0\)\] c\n/);
    assert.match(text, /in \([a-z]+, [a-z]+\) \}$/);
  });

  await t.step("the jaxpr of a gradient shows the derivative's primitives", () => {
    const text = makeJaxpr(grad((x: Array) => sum(sin(x))))(array([1, 2], "float64")).toString();
    assert.match(text, /= cos a\n/);
    assert.doesNotMatch(text, /= sin /); // the primal value is dead code and removed
  });
});

Deno.test("jit trace cache", async (t) => {
  await t.step("one trace per signature (shape, dtype, weak type, structure)", () => {
    let runs = 0;
    const f = jit((x: Array) => {
      runs++;
      return x.mul(2);
    });
    assert.deepEqual(f(array([1, 2])).tolist(), [2, 4]);
    assert.deepEqual(f(array([5, 6])).tolist(), [10, 12]);
    assert.equal(f.traceCount, 1);
    assert.equal(runs, 1); // the Python-style body ran once; the cached program ran twice
    f(array([1, 2, 3]));
    assert.equal(f.traceCount, 2); // new shape
    f(array([1, 2], "float64"));
    assert.equal(f.traceCount, 3); // new dtype
    f(array([7, 8]));
    assert.equal(f.traceCount, 3); // first signature again: cached
    f(array(1));
    f(array(1, "float32"));
    assert.equal(f.traceCount, 5); // weak and strong scalars are different signatures
    const g = jit((p: Array | Array[]) => (globalThis.Array.isArray(p) ? p[0] : p));
    g(array([1]));
    g([array([1])]);
    assert.equal(g.traceCount, 2); // new pytree structure
  });

  await t.step("JS numbers are traced arguments, not baked-in constants", () => {
    const f = jit((x: Array, s: number) => x.mul(s));
    assert.deepEqual(f(array([1, 2], "float64"), 2).tolist(), [2, 4]);
    assert.deepEqual(f(array([1, 2], "float64"), 3).tolist(), [3, 6]);
    assert.equal(f.traceCount, 1);
  });

  await t.step("staticArgnums: static values select a trace and can drive JS control flow", () => {
    const f = jit((x: Array, n: number, mode: string) => {
      let y = x;
      for (let i = 0; i < n; i++) y = y.mul(2);
      return mode === "neg" ? y.neg() : y;
    }, { staticArgnums: [1, 2] });
    const x = array([1, 3], "float64");
    assert.deepEqual(f(x, 2, "pos").tolist(), [4, 12]);
    assert.deepEqual(f(array([2, 2], "float64"), 2, "pos").tolist(), [8, 8]);
    assert.equal(f.traceCount, 1);
    assert.deepEqual(f(x, 3, "pos").tolist(), [8, 24]);
    assert.equal(f.traceCount, 2);
    assert.deepEqual(f(x, 3, "neg").tolist(), [-8, -24]);
    assert.equal(f.traceCount, 3);
    assert.deepEqual(f(x, 2, "pos").tolist(), [4, 12]);
    assert.equal(f.traceCount, 3);
    // lower() shows the cached program: n = 3 multiplications, no trace of n itself.
    const jaxpr = f.lower(x, 3, "pos").toString();
    assert.equal(jaxpr.match(/ = mul /g)?.length, 3);
    assert.equal(f.traceCount, 3);
  });
});

Deno.test("take accepts a JS list of integer indices", () => {
  const x = array([10, 20, 30]);
  assert.deepEqual([...take(x, [2, 0, -1]).dataSync()], [30, 10, 30]);
});
