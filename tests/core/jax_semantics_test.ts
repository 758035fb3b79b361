/**
 * IEEE 754 and JAX semantics at the edges: pow's special cases, NaN in logaddexp, empty
 * logsumexp, bool arithmetic, integer powers, jvp's tangent dtype check, take's modes and using a
 * traced value as a JS value. Parity of jit with these is in tests/jit/jit_parity_test.ts.
 */
import assert from "node:assert/strict";
import {
  add,
  type Array,
  array,
  jit,
  jvp,
  logaddexp,
  logsumexp,
  mul,
  pow,
  sub,
  take,
  TracerBoolConversionError,
  zeros,
} from "../../mod.ts";

const f64 = (v: number[]) => array(v, "float64");
const list = (x: Array) => [...x.dataSync()];

Deno.test("IEEE and JAX semantics", async (t) => {
  await t.step("pow(1, y) = 1 for every y; pow(-1, ±inf) = 1", () => {
    for (const dt of ["float32", "float64"] as const) {
      const x = array([1, 1, 1, -1, -1, 2, 0, NaN], dt);
      const y = array([Infinity, NaN, -Infinity, Infinity, -Infinity, NaN, NaN, 0], dt);
      assert.deepEqual(list(pow(x, y)), [1, 1, 1, 1, 1, NaN, NaN, 1]);
    }
  });
  await t.step("integer ** integer stays int32 (wrapping), as JAX", () => {
    const x = array([2, -3, 5], "int32");
    const r = pow(x, array([3, 2, 0], "int32"));
    assert.equal(r.dtype, "int32");
    assert.deepEqual(list(r), [8, 9, 1]);
    assert.deepEqual(list(pow(array([2], "int32"), 31)), [-2147483648]);
    assert.equal(pow(x, 2).dtype, "int32");
    assert.equal(pow(x, 0.5).dtype, "float32");
    assert.throws(() => pow(x, -1), /integers cannot be raised to negative integer powers/);
  });
  await t.step("logaddexp propagates NaN, also against ±inf", () => {
    const got = logaddexp(
      f64([NaN, NaN, 1, Infinity, -Infinity]),
      f64([Infinity, -Infinity, NaN, NaN, 2]),
    );
    assert.deepEqual(list(got), [NaN, NaN, NaN, NaN, 2]);
    assert.deepEqual(list(logaddexp(f64([-Infinity]), f64([-Infinity]))), [-Infinity]);
  });
  await t.step("logsumexp over an empty axis is -inf", () => {
    const r = logsumexp(zeros([2, 0], "float64"), 1);
    assert.deepEqual(r.shape, [2]);
    assert.deepEqual(list(r), [-Infinity, -Infinity]);
    assert.equal(r.dtype, "float64");
    assert.deepEqual(logsumexp(zeros([0, 3]), 0, { keepdims: true }).shape, [1, 3]);
    assert.equal(logsumexp(zeros([0])).item(), -Infinity);
  });
  await t.step("bool + bool is logical or, bool * bool logical and, bool - bool an error", () => {
    const a = array([true, true, false, false]), b = array([true, false, true, false]);
    assert.equal(add(a, b).dtype, "bool");
    assert.deepEqual(list(add(a, b)), [1, 1, 1, 0]);
    assert.deepEqual(list(mul(a, b)), [1, 0, 0, 0]);
    assert.equal(add(a, true).dtype, "bool");
    assert.equal(add(a, 1).dtype, "int32"); // a JS integer is a weak int
    assert.throws(() => sub(a, b), /subtracting bool arrays is not supported/);
  });
  await t.step("jvp checks tangent dtypes", () => {
    const f = (x: Array) => x.mul(2);
    assert.throws(
      () => jvp(f, [array([1], "float32")], [array([1], "float64")]),
      /primal 0 has dtype float32, so its tangent must be float32, but got tangent dtype float64/,
    );
    // A JS number tangent is weakly typed and adapts to the primal.
    assert.equal(jvp(f, [array(1, "float64")], [1])[1].dtype, "float64");
  });
  await t.step("take: clip (default), fill, promise_in_bounds", () => {
    const x = array([[10, 20, 30], [40, 50, 60]], "float64");
    const idx = array([0, 3, -1, -4], "int32");
    assert.deepEqual(take(x, idx, 1).tolist(), [[10, 30, 30, 10], [40, 60, 60, 40]]);
    assert.deepEqual(take(x, idx, 1, { mode: "promise_in_bounds" }).tolist(), [
      [10, 30, 30, 10],
      [40, 60, 60, 40],
    ]);
    assert.deepEqual(list(take(x, idx, 1, { mode: "fill" })), [
      10,
      NaN,
      30,
      NaN,
      40,
      NaN,
      60,
      NaN,
    ]);
    assert.deepEqual(list(take(x, idx, 1, { mode: "fill", fillValue: -1 })), [
      10,
      -1,
      30,
      -1,
      40,
      -1,
      60,
      -1,
    ]);
    assert.deepEqual(list(take(array([1, 2], "int32"), array([2], "int32"), 0, { mode: "fill" })), [
      -2147483648,
    ]);
    assert.deepEqual(list(x.take(array([[2], [5]], "int32"), 0, { mode: "fill" })), [
      NaN,
      NaN,
      NaN,
      NaN,
      NaN,
      NaN,
    ]);
    // @ts-expect-error: an unknown mode is rejected at run time too
    assert.throws(() => take(x, idx, 0, { mode: "wrap" }), /unknown mode "wrap"/);
  });
  await t.step("a traced value used as a JS number or boolean throws a helpful error", () => {
    const cases: ((x: Array) => unknown)[] = [
      (x) => ((x as unknown as number) > 0 ? x : x.neg()),
      (x) => +(x as unknown as number),
      (x) => Number(x),
      (x) => (x.gt(0) as unknown as number) ? 1 : 0,
    ];
    for (const f of cases.slice(0, 3)) {
      assert.throws(() => jit(f)(array(1)), TracerBoolConversionError);
      assert.throws(() => jit(f)(array(1)), /where\(cond, a, b\)/);
    }
    // `if (x)` alone only tests that an object exists: JS offers no hook for truthiness, so it
    // cannot be detected (every array is truthy, as every object is).
    assert.equal(jit((x: Array) => (cases[3](x) ? x : x.neg()))(array(1)).item(), 1);
    // Printing a traced value works.
    jit((x: Array) => {
      assert.match(`${x}`, /f32\[\]/);
      return x;
    })(array(1));
  });
});
