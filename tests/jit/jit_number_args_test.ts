/**
 * JS numbers passed as arguments to `jit` and `vmap` are weakly typed with their full value, as
 * JS numbers in eager operations are: a table of (op, array dtype, number) cases must give the
 * eager result bit for bit (dtype included), on one thread and split across threads.
 */
import assert from "node:assert/strict";
import * as np from "../../mod.ts";
import { type Array, array, type DType, jit, vmap } from "../../mod.ts";
import { assertSameBits } from "./_util.ts";

type Op = (x: Array, n: Array | number) => Array;
const ops: [string, Op][] = [
  ["add", (x, n) => np.add(x, n)],
  ["sub", (x, n) => np.sub(n, x)],
  ["mul", (x, n) => x.mul(n)],
  ["div", (x, n) => np.div(x, n)],
  ["pow", (x, n) => np.pow(x, n)],
  ["maximum", (x, n) => np.maximum(x, n)],
  ["where", (x, n) => np.where(np.greater(x, 1), x, n)],
  ["greater", (x, n) => np.greater(x, n)],
  ["logaddexp", (x, n) => np.logaddexp(x, n)],
  ["number op number", (x, n) => x.add(np.mul(n, n))],
  ["exp of the number", (x, n) => x.mul(np.exp(n))],
];
const numbers = [0.1, 2, -3, 0.5, 1e-300, 1e300, 2 ** 31, 16777217, -0, NaN, Infinity, 1 / 3];
const values: Record<DType, number[]> = {
  float32: [1, -2.5, 0.3, 1e-20, 7, 3],
  float64: [1, -2.5, 0.3, 1e-300, 7, 3],
  int32: [1, -2, 3, 0, 7, 100],
  bool: [1, 0, 1, 1, 0, 0],
};

/** The eager result, or null when eager evaluation rejects the case (then it is not compared). */
function eager(op: Op, x: Array, n: number): Array | null {
  try {
    return op(x, n);
  } catch {
    return null;
  }
}

Deno.test("jit and vmap: JS number arguments behave as in eager evaluation", async (t) => {
  for (const [name, op] of ops) {
    await t.step(name, () => {
      let compared = 0;
      // Weak-type semantics are checked bit for bit: `exact` rounds every operation as eager.
      const jitted = jit(op, { precision: "exact" });
      const vmapped = vmap(op, { inAxes: [0, null] });
      for (const dt of ["float32", "float64", "int32", "bool"] as const) {
        const x = array(values[dt], dt).reshape([2, 3]);
        for (const n of numbers) {
          const want = eager(op, x, n);
          if (want === null) continue;
          const what = `${name}(${dt}, ${n})`;
          assertSameBits(jitted(x, n), want, `jit ${what}`);
          assertSameBits(vmapped(x, n), want, `vmap ${what}`);
          compared++;
        }
      }
      assert.ok(compared >= 30, `${name}: only ${compared} cases compared`);
    });
  }

  await t.step("one trace per weak type, not per value", () => {
    const f = jit((x: Array, n: Array) => x.mul(n));
    const x = array([1, 2], "float64");
    for (const n of [0.1, 0.2, 1e-300]) f(x, n);
    assert.equal(f.traceCount, 1);
    assert.equal(f(x, 2).dtype, "float64");
    assert.equal(f.traceCount, 2); // an integer is a weak int32: another signature
    assert.equal(f(array([3], "int32"), 2).dtype, "int32");
  });

  await t.step("the issue's examples", () => {
    const f = jit((x: Array, y: Array) => x.mul(y));
    assert.equal(f(array([1], "float64"), 0.1).item(), 0.1);
    assert.equal(f(array([1], "float64"), 1e-300).item(), 1e-300);
    const i = f(array([3], "int32"), 2);
    assert.equal(i.dtype, "int32");
    assert.equal(i.item(), 6);
  });

  await t.step("split across threads", () => {
    const n = 1 << 17;
    const x = np.linspace(-3, 3, n, { dtype: "float32" });
    const y = np.linspace(-3, 3, n, { dtype: "float64" });
    const f = (a: Array, s: Array | number) => a.mul(s).add(s).exp().sum();
    const g = (a: Array, s: Array | number) => np.where(a.gt(0), a.mul(s), np.pow(a, 2));
    for (const s of [0.1, 3, 1e-30]) {
      for (const a of [x, y]) {
        const exact = { threads: 2, precision: "exact" } as const;
        assertSameBits(jit(f, exact)(a, s), f(a, s), `threaded sum ${a.dtype} ${s}`);
        assertSameBits(jit(g, exact)(a, s), g(a, s), `threaded map ${a.dtype} ${s}`);
      }
    }
  });
});
