/**
 * `polygamma` and the Hurwitz zeta function behind it, against scipy 1.17.1 references computed
 * offline with `scipy.special.polygamma(n, x)` and `scipy.special.zeta(s, q)` and pasted here (the
 * tests never run Python). Derivatives to order 3 are checked in tests/ad/grad_primitives_test.ts.
 */
import assert from "node:assert/strict";
import { array, digamma, jit, polygamma, vmap } from "../../mod.ts";
import { hurwitzZeta, polygamma as polygammaScalar } from "../../core/zeta.ts";

const POLYGAMMA: [number, number, number][] = [
  [1, 0.5, 4.93480220054468],
  [2, 1.0, -2.404113806319188],
  [2, 0.3, -75.27253658872601],
  [3, 2.5, 0.2239058488172521],
  [2, -0.5, -0.82879664423432],
  [3, -1.7, 768.8497345301304],
  [4, 10.0, -0.0007299311682352869],
  [5, 0.01, 120000000000115.05],
  [2, 100.0, -0.00010100499983335001],
  [6, 3.3, -0.20455602313334753],
  [3, 1e9, 2.000000003e-27],
];
const ZETA: [number, number, number][] = [
  [3, 1, 1.202056903159594],
  [2.5, 0.5, 6.247110634568814],
  [1.5, 10, 0.6486616319415703],
  [4, -2.5, 32.457979369864596],
];

const rel = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);

Deno.test("polygamma: values against scipy", async (t) => {
  await t.step("scalar polygamma and Hurwitz zeta, to 4e-16 relative", () => {
    for (const [n, x, want] of POLYGAMMA) {
      const got = polygammaScalar(n, x);
      assert.ok(rel(got, want) <= 4e-16, `polygamma(${n}, ${x}) = ${got}, scipy ${want}`);
    }
    for (const [s, q, want] of ZETA) {
      const got = hurwitzZeta(s, q);
      assert.ok(rel(got, want) <= 4e-16, `zeta(${s}, ${q}) = ${got}, scipy ${want}`);
    }
  });
  await t.step("poles and invalid orders (as scipy)", () => {
    assert.equal(polygammaScalar(1, 0), Infinity);
    assert.equal(polygammaScalar(2, 0), -Infinity);
    assert.equal(polygammaScalar(2, -1), -Infinity);
    assert.ok(Number.isNaN(polygammaScalar(1.5, 2)));
    assert.ok(Number.isNaN(polygammaScalar(-1, 2)));
    assert.ok(Number.isNaN(hurwitzZeta(0.5, 2)));
    assert.equal(hurwitzZeta(1, 2), Infinity);
  });
  await t.step("the array op: float64, float32, order 0 is digamma, broadcasting", () => {
    const x = array(POLYGAMMA.map((r) => r[1]), "float64");
    const n = array(POLYGAMMA.map((r) => r[0]), "float64");
    const got = polygamma(n, x).dataSync();
    POLYGAMMA.forEach(([, , want], i) => assert.ok(rel(got[i], want) <= 4e-16, `${i}`));
    const x32 = array([0.5, 2.5, 10]);
    const g32 = polygamma(2, x32);
    assert.equal(g32.dtype, "float32");
    g32.dataSync().forEach((v, i) =>
      assert.equal(v, Math.fround(polygammaScalar(2, x32.dataSync()[i])))
    );
    assert.deepEqual(
      [...polygamma(0, array([0.7, 3], "float64")).dataSync()],
      [...digamma(array([0.7, 3], "float64")).dataSync()],
    );
    assert.deepEqual(polygamma(array([[1], [2]], "int32"), array([1, 2, 3], "float64")).shape, [
      2,
      3,
    ]);
  });
  await t.step("jit and vmap give the eager bits", () => {
    const x = array([0.3, 1.7, -0.5, 12], "float64");
    const f = (v: typeof x) => polygamma(3, v).add(polygamma(2, v));
    assert.deepEqual([...jit(f)(x).dataSync()], [...f(x).dataSync()]);
    assert.deepEqual([...vmap(f)(x).dataSync()], [...f(x).dataSync()]);
  });
});
