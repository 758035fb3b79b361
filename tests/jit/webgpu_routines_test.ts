/**
 * Routines that run on the WebGPU device (jit/webgpu/routines.ts, routine_kernels.ts,
 * control_flow.ts) against eager CPU execution in float32: scatter-add (histograms, segment sums)
 * and gather as WGSL passes, and `while`, `cond` and `scan` as host loops around compiled
 * sub-programs whose carry stays on the device. Forward and through derivatives, with the edge
 * cases of the eager implementations (out-of-range and empty indices, zero-trip loops, length-0
 * scans), device memory over repeated calls, and the plan text saying where each routine runs.
 *
 * Skipped (with a message) only when `navigator.gpu` offers no adapter at all.
 */
import assert from "node:assert/strict";
import * as np from "../../mod.ts";
import { type Array, array, grad, jacfwd, jit } from "../../mod.ts";
import { P } from "../../core/primitives/mod.ts";
import { bind1 } from "../../core/trace.ts";
import { devicePut, initDevice, memoryStats } from "../../jit/device.ts";
import { checkWebGpu, pseudoRandom } from "./_util.ts";

const gpu = await initDevice("webgpu");
if (!gpu) {
  console.warn("webgpu_routines_test: navigator.gpu has no adapter on this machine; skipping");
}
const ignore = !gpu;

// deno-lint-ignore no-explicit-any
type Fn = (...a: any[]) => unknown;

const check = checkWebGpu;

/** The plan text of `jit(f, {device: "webgpu"})`: which routines run where. */
function planOf(f: Fn, ...args: unknown[]): string {
  return jit(f, { device: "webgpu" }).inspect(...args).plan;
}

const rand = pseudoRandom;
const ints = (n: number, lo: number, hi: number, seed: number) =>
  array(rand(n, seed).map((u) => lo + Math.floor(u * (hi - lo))), "int32");
const floats = (n: number, seed: number, lo = -1, hi = 1) =>
  array(rand(n, seed).map((u) => lo + u * (hi - lo)), "float32");

const scatterAdd = (x: Array, idx: Array, upd: Array, axis = 0) =>
  bind1(P.scatter_add, [x, idx, upd], { axis });
const gather = (x: Array, idx: Array, axis = 0) => bind1(P.gather, [x, idx], { axis });

Deno.test({
  name: "webgpu routines: scatter-add runs on the device",
  ignore,
  fn: async (t) => {
    await t.step("histogram of weighted events", async () => {
      const n = 20000, bins = 25;
      const idx = ints(n, 0, bins, 1), w = floats(n, 2, 0, 2);
      const hist = (w: Array) => np.indexAdd(np.zeros([bins], "float32"), idx, w);
      // float32 sums: error relative to the sum of magnitudes of the terms.
      await check("histogram", hist, [w], 1e-5, 1e-5 * n);
      assert.match(planOf(hist, w), /routine scatter_add.*\n {4}on the device: WGSL scatter-add/);
    });
    await t.step("operand values are kept; inner and outer dims on every axis", async () => {
      const x = floats(3 * 7 * 4, 3).reshape([3, 7, 4]);
      for (const axis of [0, 1, 2]) {
        const nIdx = 50;
        const idx = ints(nIdx, 0, x.shape[axis], 4 + axis);
        const shape = [...x.shape];
        shape[axis] = nIdx;
        const upd = floats(shape.reduce((a, b) => a * b), 5 + axis).reshape(shape);
        await check(
          `axis ${axis}`,
          (a: Array, u: Array) => scatterAdd(a, idx, u, axis),
          [x, upd],
          1e-5,
          1e-5 * nIdx,
        );
      }
    });
    await t.step("out-of-range indices drop their updates, as eager does", async () => {
      const idx = array([-3, 0, 7, 100, 2, -1, 6, 2 ** 31 - 1, -(2 ** 31)], "int32");
      const x = array([1, 2, 3, 4, 5, 6, 7], "float32");
      const u = floats(9, 6, 1, 10);
      await check("out of range", (a: Array, v: Array) => scatterAdd(a, idx, v), [x, u]);
    });
    await t.step("empty index array: the operand, copied", async () => {
      const x = array([1, -2, 3], "float32");
      const f = (a: Array) => scatterAdd(a, array([], "int32"), np.zeros([0], "float32"));
      await check("no events", f, [x]);
      const g = (a: Array) => scatterAdd(a, array([], "int32"), np.zeros([2, 0], "float32"), 1);
      await check("no events, axis 1", g, [x.reshape([1, 3]).add(np.zeros([2, 3], "float32"))]);
    });
    await t.step("int32 (wraps as eager int32 does)", async () => {
      const idx = ints(3000, -2, 12, 7);
      const u = ints(3000, -(2 ** 30), 2 ** 30, 8);
      await check("int32", (v: Array) => scatterAdd(np.zeros([10], "int32"), idx, v), [u]);
    });
    await t.step("many chunks, and several accumulate rounds", async () => {
      const n = 100000;
      const idx = ints(n, 0, 40, 9), w = floats(n, 10, 0, 1);
      await check(
        "100k events",
        (v: Array) => np.indexAdd(np.zeros([40], "float32"), idx, v),
        [
          w,
        ],
        1e-5,
        1e-5 * n,
      );
      // A large operand leaves room for few partials: events exceed one round of chunks.
      const m = 1 << 20, e = 300000;
      const big = ints(e, 0, m, 11), wb = floats(e, 12, 0, 1);
      const f = (v: Array) => np.indexAdd(np.zeros([m], "float32"), big, v);
      assert.match(jit(f, { device: "webgpu" }).inspect(wb).source, /accumulate round 2\//);
      await check("rounds", f, [wb], 1e-6, 1e-6);
    });
    await t.step("grad of a histogram loss; grad of take (a scatter-add)", async () => {
      const n = 5000, bins = 20;
      const idx = ints(n, 0, bins, 13);
      const target = floats(bins, 14, 100, 300);
      const loss = (w: Array) =>
        np.indexAdd(np.zeros([bins], "float32"), idx, w.mul(w)).sub(target).pow(2).sum();
      await check("grad histogram", grad(loss), [floats(n, 15, 0, 1)], 1e-4, 1e-3);
      const take = (x: Array) => np.exp(x.take(ints(3000, 0, 64, 16))).mul(2).sum();
      await check("grad take", grad(take), [floats(64, 17)], 1e-5, 1e-5 * 3000);
      assert.match(planOf(grad(take), floats(64, 17)), /routine scatter_add.*\n {4}on the device/);
    });
  },
});

Deno.test({
  name: "webgpu routines: gather runs on the device",
  ignore,
  fn: async (t) => {
    const x = floats(4 * 5 * 6, 20, -3, 3).reshape([4, 5, 6]);
    await t.step("every axis, 2-D indices, clamped out-of-range indices", async () => {
      for (const axis of [0, 1, 2]) {
        const idx = array([[0, -4, 2], [99, 1, 3]], "int32");
        await check(`axis ${axis}`, (a: Array) => gather(a.exp(), idx, axis), [x], 1e-5, 1e-6);
      }
      assert.match(
        planOf((a: Array) => gather(a, array([1], "int32")), x),
        /routine gather.*\n {4}on the device: WGSL gather/,
      );
    });
    await t.step("int32 and bool operands are copied bit for bit", async () => {
      const idx = array([5, 0, 0, 3, -1, 9], "int32");
      await check("int32", (a: Array) => gather(a, idx), [ints(8, -(2 ** 31), 2 ** 31 - 1, 21)]);
      await check("bool", (a: Array) => gather(a.gt(0), idx), [floats(8, 22)]);
    });
    await t.step("empty indices", async () => {
      await check("empty", (a: Array) => gather(a, array([], "int32"), 1), [x]);
    });
    await t.step("grad through a histogram's weights (its transpose is a gather)", async () => {
      const idx = ints(4000, 0, 30, 23);
      const f = (h: Array) => np.indexAdd(np.zeros([30], "float32"), idx, gather(h, idx)).sum();
      await check("grad gather", grad(f), [floats(30, 24, 0.5, 2)], 1e-5, 1e-2);
    });
  },
});

Deno.test({
  name: "webgpu routines: while, cond and scan run as host loops over device programs",
  ignore,
  fn: async (t) => {
    const newton = (a: Array) =>
      np.whileLoop(
        ([x, i]: Array[]) => np.logicalAnd(x.mul(x).sub(a).abs().max().gt(1e-4), i.lt(50)),
        ([x, i]: Array[]) => [x.add(a.div(x)).div(2), i.add(1)],
        [a.add(1), array(0, "int32")],
      );
    await t.step("while: a fixed point, forward and through jacfwd", async () => {
      const a = array([2, 3, 10, 0.5], "float32");
      await check("newton", newton, [a], 1e-6);
      await check("jacfwd newton", jacfwd((v: Array) => newton(v)[0]), [a], 1e-5, 1e-6);
      assert.match(planOf(newton, a), /routine while.*\n {4}on the device: host loop/);
    });
    await t.step("while: zero trips", async () => {
      const f = (x: Array) => np.whileLoop((v: Array) => v.sum().lt(0), (v: Array) => v.mul(2), x);
      await check("zero-trip", f, [array([1, 2], "float32")]);
    });
    await t.step("while: a predicate that is a carried value; a body with routines", async () => {
      const f = (x: Array) =>
        np.whileLoop(
          ([, go]: Array[]) => go,
          ([v]: Array[]) => {
            const next = v.mul(1.5).add(
              np.indexAdd(np.zeros([3], "float32"), array([0, 0, 2], "int32"), v),
            );
            return [next, next.sum().lt(1000)];
          },
          [x, array(true)],
        );
      await check("carried predicate", f, [array([1, 2, 3], "float32")], 1e-6);
    });
    await t.step("cond: both branches, forward and grad; switch clamps the index", async () => {
      const f = (x: Array) =>
        np.cond(x.sum().gt(0), (u: Array) => u.exp().mul(u), (u: Array) => np.sin(u), x);
      for (const x of [floats(6, 30, 0, 1), floats(6, 31, -1, 0)]) {
        await check("cond", f, [x], 1e-5, 1e-6);
        await check("grad cond", grad((v: Array) => (f(v) as Array).sum()), [x], 1e-5, 1e-6);
      }
      const s = (i: Array, x: Array) =>
        np.switchCase(
          i,
          [(u: Array) => u.neg(), (u: Array) => u.mul(3), (u: Array) => u.add(7)],
          x,
        );
      for (const i of [-5, 0, 1, 2, 9]) {
        await check(`switch ${i}`, s, [array(i, "int32"), floats(4, 32)]);
      }
      assert.match(planOf(f, floats(6, 30)), /routine cond.*\n {4}on the device: host reads/);
    });
    await t.step("scan: cumulative product, forward, reverse and grad", async () => {
      const cumprod = (xs: Array, reverse = false) =>
        np.scan(
          (c: Array, x: Array) => {
            const p = c.mul(x);
            return [p, p];
          },
          np.ones([3], "float32"),
          xs,
          { reverse },
        );
      const xs = floats(12 * 3, 40, 0.5, 1.5).reshape([12, 3]);
      await check("cumprod", (v: Array) => cumprod(v), [xs], 1e-5);
      await check("cumprod reverse", (v: Array) => cumprod(v, true), [xs], 1e-5);
      await check(
        "grad cumprod",
        grad((v: Array) => (cumprod(v)[1] as Array).mul(np.arange(3).astype("float32")).sum()),
        [xs],
        1e-5,
        1e-6,
      );
      assert.match(planOf((v: Array) => cumprod(v), xs), /routine scan.*\n {4}on the device/);
    });
    await t.step("scan: several xs and ys, consts, a y that is an x", async () => {
      const k = floats(4, 41);
      const f = (a: Array, b: Array) =>
        np.scan(
          (c: Array, [x, y]: Array[]) => [c.add(x.mul(k)).sub(y), [c, y, x.gt(0)]],
          np.zeros([4], "float32"),
          [a, b],
        );
      await check("multi", f, [floats(20, 42).reshape([5, 4]), floats(20, 43).reshape([5, 4])]);
    });
    await t.step("bodies returning their captured constants", async () => {
      const k = floats(3, 44);
      const s = (xs: Array) =>
        np.scan((c: Array, x: Array) => [k, [k, c.add(x)]], np.zeros([3], "float32"), xs);
      await check("scan returns a constant", s, [floats(12, 45).reshape([4, 3])]);
      const w = (x: Array) =>
        np.whileLoop(
          ([, i]: Array[]) => i.lt(3),
          ([v, i]: Array[]) => [v.add(k), i.add(1)],
          [x, array(0, "int32")],
        );
      await check("while", w, [floats(3, 46)]);
      const w2 = (x: Array) =>
        np.whileLoop(([, i]: Array[]) => i.lt(3), ([, i]: Array[]) => [k, i.add(1)], [
          x,
          array(0, "int32"),
        ]);
      await check("while returns a constant", w2, [floats(3, 47)]);
    });
    await t.step("scan: length 0", async () => {
      const f = (xs: Array) =>
        np.scan((c: Array, x: Array) => [c.add(x), c.mul(x)], array([1, 2], "float32"), xs);
      await check("length 0", f, [np.zeros([0, 2], "float32")]);
    });
    await t.step("nested: a scan inside a while", async () => {
      const f = (x: Array) =>
        np.whileLoop(
          (v: Array) => v.sum().lt(100),
          (v: Array) =>
            np.scan((c: Array, e: Array) => [c.add(e), c.add(e)], array(0, "float32"), v)[1],
          x,
        );
      await check("scan in while", f, [array([1, 0.5, 2], "float32")]);
    });
  },
});

Deno.test({
  name: "webgpu routines: matmul (a fused kernel) and cumsum run on the device",
  ignore,
  fn: async (t) => {
    await t.step("matmul: batched, rectangular, between fused kernels", async () => {
      const a = floats(2 * 5 * 7, 60).reshape([2, 5, 7]),
        b = floats(2 * 7 * 3, 61).reshape([2, 7, 3]);
      const f = (x: Array, y: Array) => np.tanh(np.exp(x).matmul(y.mul(2)));
      // float32 sums of 7 terms of magnitude ≤ 2e: within the contract for sums.
      await check("batched matmul", f, [a, b], 1e-5, 1e-5 * 7 * 2 * Math.E);
      assert.doesNotMatch(planOf(f, a, b), /routine/); // a fused reduction (jit/webgpu/matmul.ts)
      const m = floats(64 * 33, 62).reshape([64, 33]), v = floats(33 * 1, 63).reshape([33, 1]);
      await check("matrix × column", (x: Array, y: Array) => x.matmul(y), [m, v], 1e-5, 1e-5 * 33);
    });
    await t.step("matmul: grad of an MLP-like loss, int32, empty", async () => {
      const x = floats(40 * 6, 64).reshape([40, 6]);
      const w1 = floats(6 * 8, 65).reshape([6, 8]), w2 = floats(8 * 1, 66).reshape([8, 1]);
      const loss = (a: Array, b: Array) => np.tanh(x.matmul(a)).matmul(b).square().mean();
      await check("grad MLP", grad(loss, { argnums: [0, 1] }), [w1, w2], 1e-5, 1e-5);
      const i = ints(12, -50, 50, 67).reshape([3, 4]), j = ints(8, -50, 50, 68).reshape([4, 2]);
      await check("int32 matmul", (p: Array, q: Array) => p.matmul(q), [i, j]);
      await check(
        "empty",
        (p: Array, q: Array) => p.matmul(q),
        [np.zeros([0, 3], "float32"), np.zeros([3, 2], "float32")],
      );
    });
    await t.step("cumsum: every axis, reverse, int32, and its grad", async () => {
      const x = floats(3 * 50 * 4, 69).reshape([3, 50, 4]);
      for (const axis of [0, 1, 2]) {
        for (const reverse of [false, true]) {
          const f = (v: Array) => bind1(P.cumsum, [v.mul(3)], { axis, reverse });
          await check(`cumsum axis ${axis}${reverse ? " reverse" : ""}`, f, [x], 1e-5, 1e-5 * 150);
        }
      }
      const f = (v: Array) => v.cumsum();
      assert.match(planOf(f, floats(8, 70)), /routine cumsum.*\n {4}on the device: WGSL cumsum/);
      await check("int32 cumsum", f, [ints(100, -1000, 1000, 71)]);
      await check(
        "grad cumsum",
        grad((v: Array) => v.cumsum().square().sum()),
        [floats(30, 72)],
        1e-5,
        1e-4,
      );
    });
  },
});

Deno.test({
  name: "webgpu routines: device memory does not grow over repeated calls; host routines marked",
  ignore,
  fn: async (t) => {
    await t.step("scatter-add, gather, while, cond and scan, 20 calls", async () => {
      const idx = ints(2000, -1, 17, 50);
      const f = jit((w: Array) => {
        const h = np.indexAdd(np.zeros([16], "float32"), idx, w);
        const g = gather(h, idx).sum();
        const [c] = np.scan((c: Array, x: Array) => [c.mul(0.5).add(x), c], array(0, "float32"), h);
        const l = np.whileLoop(
          (v: Array) => v.lt(g.abs().log()),
          (v: Array) => v.mul(2),
          array(1, "float32"),
        );
        return np.cond(c.gt(0), (u: Array) => u.add(l), (u: Array) => u.sub(l), c);
      }, { device: "webgpu" });
      const w = devicePut(floats(2000, 51, 0, 1), "webgpu");
      const run = async () => {
        const r = f(w) as Array;
        await r.data();
        r.dispose();
      };
      for (let i = 0; i < 3; i++) await run();
      const before = memoryStats().webgpu;
      for (let i = 0; i < 20; i++) await run();
      // Buffers freed with a pending producer return to the pool when it settles.
      await new Promise((r) => setTimeout(r, 10));
      const after = memoryStats().webgpu;
      assert.ok(
        after.liveBytes <= before.liveBytes && after.liveBuffers <= before.liveBuffers,
        `live buffers grew from ${before.liveBuffers} (${before.liveBytes} B) to ` +
          `${after.liveBuffers} (${after.liveBytes} B)`,
      );
      w.dispose();
    });
    await t.step("routines without a device lowering say they run on the host", () => {
      const text = planOf((v: Array) => np.sort(v.mul(2)), floats(8, 52));
      assert.match(text, /routine sort.*\n {4}on the host: operands read back/);
    });
  },
});
