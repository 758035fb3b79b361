/**
 * Forward-mode `valueAndGrad`/`grad` (ad/grad_mode.ts): the derivatives equal reverse mode's (and
 * finite differences), `jit` picks forward mode for few inputs on data and then reads the data
 * once (one kernel over the events for W1, also for `jacfwd`), and the rule's exceptions hold:
 * eager execution, `precision: "exact"`, small functions and customVjp functions stay reverse.
 */
import assert from "node:assert/strict";
import { w1Data, w1Significance } from "../../bench/w1_workload.ts";
import { type Array, array, customVjp, grad, jacfwd, jit, sin, valueAndGrad } from "../../mod.ts";

const n = 5000;
const d32 = w1Data(n);
const d64 = {
  mtt: d32.mtt.astype("float64"),
  met: d32.met.astype("float64"),
  btag: d32.btag.astype("float64"),
  wgt: d32.wgt.astype("float64"),
  sig: d32.sig.astype("float64"),
};
const theta32 = array([50, 0.5], "float32"), theta64 = array([50, 0.5], "float64");

/** Kernels of a jitted call's plan that loop over events × bins (the [N, 25] CDF matrix). */
function eventPasses(f: ReturnType<typeof jit>, ...args: unknown[]): number {
  const plan = f.inspect(...args).plan;
  return (plan.match(new RegExp(`kernel k\\d+ over \\[${n},25\\]`, "g")) ?? []).length;
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, what: string) {
  assert.equal(got.length, want.length, what);
  const scale = Math.max(...globalThis.Array.from(want, Math.abs));
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]) / scale;
    assert.ok(err <= rel, `${what}[${i}]: ${got[i]} vs ${want[i]} (relative ${err})`);
  }
}

Deno.test("grad modes: jit chooses forward mode for W1 and reads the events once", async (t) => {
  const vg = valueAndGrad(w1Significance);
  await t.step("auto = forward: one pass over the events, reverse: two", () => {
    assert.equal(eventPasses(jit(vg), theta32, d32), 1);
    assert.equal(eventPasses(jit(vg, { gradMode: "forward" }), theta32, d32), 1);
    assert.equal(eventPasses(jit(vg, { gradMode: "reverse" }), theta32, d32), 2);
    assert.equal(eventPasses(jit(jacfwd(w1Significance)), theta32, d32), 1, "jit(jacfwd)");
  });
  await t.step("float64: forward = reverse = eager to rounding, = finite differences", () => {
    const [z0, g0] = vg(theta64, d64) as [Array, Array];
    for (const gradMode of ["auto", "forward", "reverse"] as const) {
      const [z, g] = jit(vg, { gradMode })(theta64, d64) as [Array, Array];
      close(z.dataSync(), z0.dataSync(), 1e-13, `${gradMode} value`);
      close(g.dataSync(), g0.dataSync(), 1e-11, `${gradMode} gradient`);
    }
    const fd = [0, 1].map((i) => {
      const h = i === 0 ? 1e-3 : 1e-6;
      const at = (s: number) =>
        (w1Significance(array(i === 0 ? [50 + s * h, 0.5] : [50, 0.5 + s * h], "float64"), d64))
          .item();
      return (at(1) - at(-1)) / (2 * h);
    });
    close(jit(grad(w1Significance))(theta64, d64).dataSync(), fd, 1e-6, "finite differences");
  });
  await t.step("float32: forward within float32 rounding of reverse", () => {
    const [, gf] = jit(vg)(theta32, d32) as [Array, Array];
    const [, gr] = jit(vg, { gradMode: "reverse" })(theta32, d32) as [Array, Array];
    close(gf.dataSync(), gr.dataSync(), 1e-4, "forward vs reverse");
  });
});

Deno.test("grad modes: the rule and its exceptions", async (t) => {
  const f = (x: Array) => sin(x).mul(x).sum();
  const x = array([0.3, -1.2, 2], "float64");
  await t.step("eager valueAndGrad is reverse unless asked; mode: forward agrees", () => {
    const [v, g] = valueAndGrad(f)(x) as [Array, Array];
    const [vf, gf] = valueAndGrad(f, { mode: "forward" })(x) as [Array, Array];
    assert.equal(vf.item(), v.item());
    close(gf.dataSync(), g.dataSync(), 1e-15, "forward gradient");
  });
  await t.step("hasAux and several argnums in forward mode", () => {
    const h = (a: Array, b: Array) => [a.mul(b).sum(), a.add(1)] as const;
    const a = array([1, 2], "float64"), b = array(3, "float64");
    const [[v, aux], [ga, gb]] = valueAndGrad(h, {
      hasAux: true,
      argnums: [0, 1],
      mode: "forward",
    })(
      a,
      b,
    ) as [[Array, Array], [Array, Array]];
    assert.equal(v.item(), 9);
    assert.deepEqual(aux.tolist(), [2, 3]);
    assert.deepEqual(ga.tolist(), [3, 3]);
    assert.equal(gb.item(), 3);
    assert.deepEqual(gb.shape, []);
  });
  await t.step(
    "small functions, exact precision and interpret keep reverse mode (eager bits)",
    () => {
      const want = grad(f)(x).dataSync();
      for (const opts of [{}, { precision: "exact" as const }, { interpret: true }]) {
        assert.deepEqual(jit(grad(f), opts)(x).dataSync(), want, JSON.stringify(opts));
      }
      const big = array(globalThis.Array.from({ length: 5000 }, (_, i) => i / 5000), "float64");
      const onData = (th: Array) => sin(big.mul(th.slice(0)).add(th.slice(1))).sum();
      const th = array([0.7, 0.1], "float64");
      const exact = jit(grad(onData), { precision: "exact" });
      assert.deepEqual(exact(th).dataSync(), grad(onData)(th).dataSync(), "exact: reverse");
      const forward = jit(grad(onData), { gradMode: "forward" })(th).dataSync();
      assert.deepEqual(jit(grad(onData))(th).dataSync(), forward, "default: forward mode");
    },
  );
  await t.step("customVjp: auto falls back to reverse, forced forward is an error", () => {
    const clip = customVjp((v: Array) => v.mul(2));
    clip.defvjp((v: Array) => [v.mul(2), null], (_res: unknown, ct: Array) => [ct.mul(2)]);
    const big = array(globalThis.Array.from({ length: 5000 }, (_, i) => i / 5000), "float64");
    const g = (th: Array) => clip(big.mul(th)).sum();
    const th = array(0.5, "float64");
    assert.equal(jit(grad(g))(th).item(), grad(g)(th).item());
    assert.throws(
      () => jit(grad(g), { gradMode: "forward" })(th),
      /mode "forward" cannot differentiate a function that calls a customVjp function/,
    );
  });
});
