/**
 * `hasAux` (grad, valueAndGrad, vjp): the aux output is returned as concrete values, as in JAX —
 * never as a tracer of the transform that produced it — also under jit and nested transforms,
 * where it is a value of the enclosing transform and can be differentiated by it.
 */
import assert from "node:assert/strict";
import {
  type Array,
  array,
  DeviceArray,
  grad,
  jit,
  Tracer,
  valueAndGrad,
  vjpWithOptions,
  vmap,
} from "../../mod.ts";

const f64 = (v: number | number[]) => array(v, "float64");
/** value Σx³, aux {sq: x², n: argmax (int32), k: a constant} */
const f = (x: Array) =>
  [
    x.pow(3).sum(),
    { sq: x.mul(x), n: x.argmax(), k: f64(7) },
  ] as const;

Deno.test("hasAux returns concrete aux values", async (t) => {
  const x = f64([1, -2, 3]);
  await t.step("grad", () => {
    const [g, aux] = grad(f, { hasAux: true })(x);
    assert.deepEqual(g.tolist(), [3, 12, 27]);
    assert.ok(aux.sq instanceof DeviceArray && !(aux.sq instanceof Tracer));
    assert.deepEqual(aux.sq.tolist(), [1, 4, 9]);
    assert.equal(aux.n.item(), 2);
    assert.equal(aux.n.dtype, "int32");
    assert.equal(aux.k.item(), 7);
  });
  await t.step("valueAndGrad", () => {
    const [[v, aux], g] = valueAndGrad(f, { hasAux: true })(x);
    assert.equal(v.item(), 1 - 8 + 27);
    assert.equal(aux.sq.slice(1).item(), 4);
    assert.deepEqual(g.tolist(), [3, 12, 27]);
  });
  await t.step("vjp", () => {
    const [out, back, aux] = vjpWithOptions((y: Array) => [y.exp(), y.sum()], [x], {
      hasAux: true,
    });
    assert.equal((aux as Array).item(), 2);
    assert.deepEqual(back(f64([1, 1, 1]))[0].tolist(), out.tolist());
    assert.throws(
      () => vjpWithOptions((y: Array) => y, [x], { hasAux: true }),
      /must return \[output, aux\]/,
    );
  });
  await t.step("under jit: aux is an output of the jitted function", () => {
    const jg = jit((y: Array) => grad(f, { hasAux: true })(y));
    const [g, aux] = jg(x);
    assert.deepEqual(g.tolist(), [3, 12, 27]);
    assert.deepEqual(aux.sq.tolist(), [1, 4, 9]);
    assert.equal(aux.n.item(), 2);
  });
  await t.step("nested: the outer grad differentiates through the inner aux", () => {
    // aux = y² of the inner grad is a value of the outer transform: d/dy Σ (y² + 3y²) = 8y.
    const outer = grad((y: Array) => {
      const [g, aux] = grad(f, { hasAux: true })(y);
      return g.add(aux.sq).sum();
    });
    assert.deepEqual(outer(x).tolist(), [8, -16, 24]);
  });
  await t.step("under vmap", () => {
    const [g, aux] = vmap((y: Array) => grad(f, { hasAux: true })(y))(
      array([[1, 2, 3], [-1, 0, 2]], "float64"),
    );
    assert.deepEqual(g.tolist(), [[3, 12, 27], [3, 0, 12]]);
    assert.deepEqual(aux.n.tolist(), [2, 2]);
  });
});
