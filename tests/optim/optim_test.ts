/**
 * optim/: Adam and SGD against optax's published update equations (reference values computed by
 * hand below), chain ordering, per-parameter learning rates, multiTransform, clipping, the box
 * projection, and a jit-compiled step bitwise equal to the eager one.
 */
import assert from "node:assert/strict";
import { type Array, array, grad, jit } from "../../mod.ts";
import {
  adam,
  applyUpdates,
  chain,
  clip,
  clipByGlobalNorm,
  globalNorm,
  multiTransform,
  type OptState,
  type Params,
  projectBox,
  scale,
  scaleByAdam,
  scaleByLearningRate,
  sgd,
} from "../../optim/mod.ts";

const f64 = (v: number | number[]) => array(v, "float64");
const num = (a: unknown) => (a as Array).item();
const close = (got: number, want: number, rtol: number, what: string) =>
  assert.ok(
    Math.abs(got - want) <= rtol * Math.abs(want),
    `${what}: got ${got}, expected ${want} (rtol ${rtol})`,
  );

/** Runs `n` steps of `opt` on f(x) = x² from x0, returning the iterates. */
function run(opt: ReturnType<typeof adam>, x0: number, n: number): number[] {
  const f = (p: { x: Array }) => p.x.square();
  let params: Params = { x: f64(x0) };
  let state = opt.init(params);
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const g = grad(f)(params);
    const [u, s] = opt.update(g, state, params);
    params = applyUpdates(params, u);
    state = s;
    xs.push(num((params as { x: Array }).x));
  }
  return xs;
}

Deno.test("adam and sgd follow optax's update equations", async (t) => {
  await t.step("adam(0.1) on x² from x = 1 (optax defaults b1 .9, b2 .999, eps 1e-8)", () => {
    // Step t: g = 2x; m = .9m + .1g; v = .999v + .001g²; m̂ = m/(1 − .9ᵗ); v̂ = v/(1 − .999ᵗ);
    // x ← x − 0.1·m̂/(√v̂ + 1e-8).
    // t=1: g = 2, m = .2, v = .004, m̂ = 2, v̂ = 4, x = 1 − .1·2/(2 + 1e-8) = 0.9000000005.
    // t=2: g = 1.800000001, m = .3600000001, v = .0072360000036, m̂ = 1.8947368426,
    //      v̂ = 3.6198099..., step −0.09958777180820721, x = 0.8004122286917927.
    // t=3: g = 1.6008244573835855, m = .4840824458283586, v = .00979140294695385,
    //      step −0.09882595574576264, x = 0.70158627294603.
    const xs = run(adam(0.1), 1, 3);
    [0.9000000005, 0.8004122286917927, 0.70158627294603].forEach((w, i) =>
      close(xs[i], w, 1e-14, `adam x${i + 1}`)
    );
  });
  await t.step("sgd(0.1, momentum 0.9) on x² from x = 1 (optax trace: τ = g + 0.9τ)", () => {
    // t=1: τ = 2, x = 0.8; t=2: τ = 1.6 + 1.8 = 3.4, x = 0.46; t=3: τ = 0.92 + 3.06, x = 0.062.
    const xs = run(sgd(0.1, { momentum: 0.9 }), 1, 3);
    [0.8, 0.46, 0.062].forEach((w, i) => close(xs[i], w, 1e-13, `sgd x${i + 1}`));
  });
  await t.step("plain sgd is x − lr·g", () => {
    const xs = run(sgd(0.25), 1, 2); // x ← x − 0.5x
    assert.deepEqual(xs, [0.5, 0.25]);
  });
});

Deno.test("chain, per-parameter learning rates, multiTransform", async (t) => {
  const g = { a: f64([3, 4]), b: f64(-1) };
  await t.step("chain applies transformations in order", () => {
    // clip(1) then scale(10): [1, 1], −1 → [10, 10], −10; scale(10) then clip(1): [1, 1], −1.
    const c1 = chain(clip(1), scale(10));
    const c2 = chain(scale(10), clip(1));
    const [u1] = c1.update(g, c1.init(g));
    const [u2] = c2.update(g, c2.init(g));
    assert.deepEqual((u1 as { a: Array }).a.tolist(), [10, 10]);
    assert.deepEqual((u2 as { a: Array }).a.tolist(), [1, 1]);
    assert.equal(num((u1 as { b: Array }).b), -10);
  });
  await t.step("scaleByLearningRate with a prefix tree of rates", () => {
    const lr = scaleByLearningRate({ a: 0.5, b: 2 });
    const [u] = lr.update(g, lr.init(g));
    assert.deepEqual((u as { a: Array }).a.tolist(), [-1.5, -2]);
    assert.equal(num((u as { b: Array }).b), 2);
    assert.throws(
      () => scaleByLearningRate({ a: 1 }).update(g, null),
      /no value for parameter "b"/,
    );
    assert.throws(
      () => scaleByLearningRate({ a: 1, c: 1, b: 1 }).update(g, null),
      /unknown key "c"/,
    );
  });
  await t.step("one rate stands for a whole subtree", () => {
    const p = { cut: f64(1), nn: [{ w: f64([1, 1]) }, { w: f64([1]) }] };
    const lr = scaleByLearningRate({ cut: 1, nn: 0.25 });
    const [u] = lr.update(p, lr.init(p));
    const uu = u as typeof p;
    assert.equal(num(uu.cut), -1);
    assert.deepEqual(uu.nn[0].w.tolist(), [-0.25, -0.25]);
    assert.deepEqual(uu.nn[1].w.tolist(), [-0.25]);
  });
  await t.step("adam with per-parameter rates = separate adams", () => {
    const p = { a: f64([1, 2]), b: f64(3) };
    const both = adam({ a: 0.1, b: 0.01 });
    const [u] = both.update(g, both.init(p), p);
    for (const [k, lr] of [["a", 0.1], ["b", 0.01]] as const) {
      const one = adam(lr);
      const [v] = one.update({ x: g[k] }, one.init({ x: p[k] }));
      assert.deepEqual((u as Record<string, Array>)[k].tolist(), (v as { x: Array }).x.tolist());
    }
  });
  await t.step("multiTransform routes leaves by label", () => {
    const p = { met: f64(50), nn: [f64([1, 2])] };
    const opt = multiTransform({ cut: sgd(1), net: sgd(0.5) }, { met: "cut", nn: "net" });
    const state = opt.init(p);
    assert.deepEqual(Object.keys(state as object), ["cut", "net"]);
    const [u] = opt.update({ met: f64(2), nn: [f64([2, 4])] }, state, p);
    const uu = u as typeof p;
    assert.equal(num(uu.met), -2);
    assert.deepEqual(uu.nn[0].tolist(), [-1, -2]);
    assert.throws(
      () => multiTransform({ cut: sgd(1) }, { met: "cut", nn: "other" }).init(p),
      /label "other" has no transformation/,
    );
  });
});

Deno.test("clipping and projection", async (t) => {
  await t.step("clipByGlobalNorm rescales only above the threshold", () => {
    const u = { a: f64([3]), b: f64([4]) }; // norm 5
    assert.equal(num(globalNorm(u)), 5);
    const [c] = clipByGlobalNorm(1).update(u, null);
    assert.deepEqual([(c as typeof u).a.item(), (c as typeof u).b.item()], [0.6, 0.8]);
    const [k] = clipByGlobalNorm(10).update(u, null);
    assert.deepEqual([(k as typeof u).a.item(), (k as typeof u).b.item()], [3, 4]);
  });
  await t.step("clip bounds each component", () => {
    const [c] = clip(0.5).update({ a: f64([-2, 0.1, 3]) }, null);
    assert.deepEqual((c as { a: Array }).a.tolist(), [-0.5, 0.1, 0.5]);
  });
  await t.step("projectBox clamps, missing keys are unbounded", () => {
    const project = projectBox({ met: 20, btag: 0 }, { met: 150, btag: 3 });
    const out = project({ met: f64(10), btag: f64(4), nn: [f64([-100, 100])] });
    assert.equal(num(out.met), 20);
    assert.equal(num(out.btag), 3);
    assert.deepEqual(out.nn[0].tolist(), [-100, 100]);
    assert.throws(() => projectBox(1, 0)({ x: f64(0) }), /lower bound 1 > upper bound 0/);
  });
});

Deno.test("a jit-compiled step (precision: exact) is bitwise the eager step", () => {
  const loss = (p: { w: Array; b: Array }) => p.w.mul(p.b).sub(1).square().sum().add(p.b.square());
  const opt = chain(clipByGlobalNorm(5), scaleByAdam(), scaleByLearningRate({ w: 0.1, b: 0.01 }));
  const project = projectBox({ b: -0.5 }, { b: 0.5 });
  const step = (p: { w: Array; b: Array }, s: OptState) => {
    const [u, s2] = opt.update(grad(loss)(p), s, p);
    return [project(applyUpdates(p, u)), s2] as const;
  };
  const jstep = jit(step, { precision: "exact" });
  for (const dtype of ["float64", "float32"] as const) {
    let pe = { w: array([0.3, -1.2, 2], dtype), b: array(0.7, dtype) };
    let se = opt.init(pe);
    let pj = pe, sj = se;
    for (let i = 0; i < 5; i++) {
      [pe, se] = step(pe, se);
      [pj, sj] = jstep(pj, sj);
      assert.deepEqual(pj.w.dataSync(), pe.w.dataSync(), `${dtype} w at step ${i}`);
      assert.deepEqual(pj.b.dataSync(), pe.b.dataSync(), `${dtype} b at step ${i}`);
    }
    assert.ok(Math.abs(pe.b.item()) <= 0.5, `${dtype}: b stays in the box`);
  }
  assert.equal(jstep.traceCount, 2, "one trace per dtype");
});
