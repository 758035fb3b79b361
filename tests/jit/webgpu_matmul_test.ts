/**
 * Matmul on WebGPU (jit/webgpu/matmul.ts): every float32/int32 matmul is a fused reduction, for
 * any inner dimension (across llvmpipe's 65535-iteration loop cap, where the old routine gave up
 * and ran on the host), batched, with transposed operands, and through `grad`; against eager CPU
 * within the float32 contract for sums of jit/README.md (1e-5 × the sum of magnitudes of the
 * terms), int32 bitwise. The plans show that an elementwise producer of an operand (W1's KDE
 * matrix) is inlined, never stored, and that backward kernels write no output twice.
 *
 * Skipped (with a message) only when `navigator.gpu` offers no adapter at all.
 */
import assert from "node:assert/strict";
import * as np from "../../mod.ts";
import { type Array, array, grad, jit, makeJaxpr, valueAndGrad } from "../../mod.ts";
import { initDevice } from "../../jit/device.ts";
import { compileWebGpuProgram } from "../../jit/webgpu/program.ts";
import { lowerMatmuls } from "../../jit/webgpu/matmul.ts";
import { w1Data, w1MatmulSignificance, w1Significance } from "../../bench/w1_workload.ts";
import { checkWebGpu, pseudoRandom } from "./_util.ts";

const gpu = await initDevice("webgpu");
if (!gpu) console.warn("webgpu_matmul_test: navigator.gpu has no adapter here; skipping");
const ignore = !gpu;

// deno-lint-ignore no-explicit-any
type Fn = (...a: any[]) => unknown;

const check = checkWebGpu;

const rand = pseudoRandom;
const floats = (shape: number[], seed: number) =>
  array(rand(shape.reduce((a, b) => a * b, 1), seed).map((u) => 2 * u - 1), "float32")
    .reshape(shape);
const ints = (shape: number[], seed: number) =>
  array(
    rand(shape.reduce((a, b) => a * b, 1), seed).map((u) => Math.floor(u * 101) - 50),
    "int32",
  ).reshape(shape);

/** The WebGPU plan of `f` at `args` (text). */
function planOf(f: Fn, ...args: unknown[]): string {
  return jit(f, { device: "webgpu" }).inspect(...args).plan;
}

/** The kernels of the WebGPU program of `f`: no output node written twice by one kernel. */
function assertNoDuplicateOutputs(f: Fn, ...args: unknown[]) {
  const { jaxpr } = jit(f, { device: "webgpu" }).inspect(...args); // constants as inputs
  const plan = compileWebGpuProgram(jaxpr).plan;
  for (const s of plan.steps) {
    if (s.kind !== "kernel") continue;
    const keys = s.kernel.outputs.map((o) => `${o.kind}|${o.node}`);
    assert.equal(new Set(keys).size, keys.length, `kernel ${s.kernel.name} writes an output twice`);
  }
}

Deno.test({
  name: "webgpu matmul: any inner dimension, batched, transposed, int32, empty",
  ignore,
  fn: async (t) => {
    await t.step("lowering: broadcast product summed over k; k = 1 is elementwise", () => {
      const j = makeJaxpr((x: Array, y: Array) => x.matmul(y))(
        floats([2, 3, 4], 1),
        floats([2, 4, 5], 2),
      ).jaxpr;
      const names = lowerMatmuls(j).jaxpr.eqns.map((e) => e.prim.name);
      assert.deepEqual(names, ["broadcast_in_dim", "broadcast_in_dim", "mul", "reduce_sum"]);
      const outer = makeJaxpr((x: Array, y: Array) => x.matmul(y))(
        floats([3, 1], 1),
        floats([1, 5], 2),
      ).jaxpr;
      assert.deepEqual(lowerMatmuls(outer).jaxpr.eqns.map((e) => e.prim.name).at(-1), "reshape");
      const f64 = makeJaxpr((x: Array, y: Array) => x.matmul(y))(
        np.ones([2, 2], "float64"),
        np.ones([2, 2], "float64"),
      ).jaxpr;
      assert.equal(
        lowerMatmuls(f64).jaxpr,
        f64,
        "float64 is left alone (WebGPU rejects it anyway)",
      );
    });
    const mm = (x: Array, y: Array) => x.matmul(y);
    await t.step("inner dimension across the old 65535 cap", async () => {
      // Few outputs (a chunked split-K reduction) and many (per-output reductions in chunks).
      for (const [m, k, n] of [[1, 70000, 25], [3, 66000, 40], [2, 70001, 1]]) {
        const x = floats([m, k], m + k), y = floats([k, n], n + k);
        await check(`[${m},${k}]×[${k},${n}]`, mm, [x, y], 1e-5, 1e-5 * k);
        assert.doesNotMatch(planOf(mm, x, y), /routine/, "no host routine");
      }
    });
    await t.step("batched, with producers and consumers", async () => {
      const a = floats([2, 5, 7], 60), b = floats([2, 7, 3], 61);
      const f = (x: Array, y: Array) => np.tanh(np.exp(x).matmul(y.mul(2)));
      await check("batched", f, [a, b], 1e-5, 1e-5 * 7 * 2 * Math.E);
      const c = floats([4, 6, 1], 62), d = floats([4, 1, 5], 63);
      await check("batched outer products (k = 1)", mm, [c, d], 1e-6);
      const e = floats([3, 2, 130, 9], 64), g = floats([3, 2, 9, 70], 65);
      await check("rank 4, many outputs", mm, [e, g], 1e-5, 1e-5 * 9);
    });
    await t.step("transposed operands", async () => {
      const a = floats([300, 20], 70), b = floats([30, 300], 71);
      const f = (x: Array, y: Array) => x.transpose().matmul(y.transpose());
      await check("xᵀ yᵀ", f, [a, b], 1e-5, 1e-5 * 300);
      const c = floats([2, 80000, 3], 72);
      const gram = (x: Array) => np.moveaxis(x, -1, -2).matmul(x);
      await check("batched Gram matrix xᵀx over 80000 rows", gram, [c], 1e-5, 1e-5 * 80000);
    });
    await t.step("int32 (bitwise), empty", async () => {
      await check("int32", mm, [ints([3, 70000], 80), ints([70000, 4], 81)]);
      await check("empty m", mm, [np.zeros([0, 3], "float32"), np.zeros([3, 2], "float32")]);
      await check("empty k", mm, [np.zeros([2, 0], "float32"), np.zeros([0, 3], "float32")]);
    });
    await t.step(
      "large costly operands are stored once, small or stored ones inlined",
      async () => {
        const a = floats([256, 256], 95), b = floats([256, 256], 96);
        const f = (x: Array, y: Array) => np.exp(x.mul(0.1)).matmul(np.tanh(y));
        await check("exp(a) @ tanh(b)", f, [a, b], 1e-5, 1e-5 * 256 * Math.E);
        const stored = (p: string) => p.match(/→ .*/gm)!.join(" ");
        // One map kernel writes both operands (sibling fusion), then the matmul's reduction.
        assert.match(stored(planOf(f, a, b)), /f32\[256,256\].*f32\[256,256\].*f32\[256,256\]/);
        const { materialise } = lowerMatmuls(makeJaxpr(f)(a, b).jaxpr);
        assert.equal(materialise.size, 2);
        // Views of inputs, and a 16×16 operand, stay inlined; exp(y[:, :32]) (8192 values) is stored.
        const g = (x: Array, y: Array) => x.transpose().matmul(np.exp(y.slice(null, ":32")));
        assert.equal(lowerMatmuls(makeJaxpr(g)(a, b).jaxpr).materialise.size, 1, "exp(y[:, :32])");
        const h = (x: Array, y: Array) => np.exp(x.slice(":16", ":16")).matmul(y.slice(":16"));
        assert.equal(lowerMatmuls(makeJaxpr(h)(a, b).jaxpr).materialise.size, 0);
        await check("xᵀ @ exp(y[:, :32])", g, [a, b], 1e-5, 1e-5 * 256 * Math.E);
      },
    );
    await t.step("grad through matmuls", async () => {
      const x = floats([400, 6], 90);
      const w1 = floats([6, 8], 91), w2 = floats([8, 1], 92);
      const loss = (a: Array, b: Array) => np.tanh(x.matmul(a)).matmul(b).square().mean();
      await check("grad MLP", grad(loss, { argnums: [0, 1] }), [w1, w2], 1e-5, 1e-5);
    });
  },
});

Deno.test({
  name: "webgpu matmul: an elementwise producer fuses into the matmul (never stored)",
  ignore,
  fn: async (t) => {
    const n = 5000;
    const edges = np.linspace(0, 3000, 26).astype("float32");
    const xs = floats([n], 100).mul(1500).add(1500), w = floats([1, n], 101);
    const f = (w: Array, x: Array) =>
      w.matmul(np.normalCdf(edges.reshape([1, -1]).sub(x.reshape([-1, 1])).div(60)));
    await t.step("forward: one kernel, no [N, 26] buffer", async () => {
      await check("w @ Φ((e − x)/h)", f, [w, xs], 1e-5, 1e-5 * n);
      const plan = planOf(f, w, xs);
      assert.doesNotMatch(plan, /routine/);
      assert.doesNotMatch(plan, new RegExp(`:f32\\[(1,)?${n},26\\]`), "CDF matrix stored");
      assert.equal(plan.match(/^step /gm)?.length, 1, plan);
    });
    await t.step(
      "W1 matmul form: value and gradient as the sum form, no [N, 25] buffer",
      async () => {
        const d = w1Data(4000);
        const theta = array([50, 0.5], "float32");
        const vg = valueAndGrad(w1MatmulSignificance);
        await check("W1 matmul form", vg, [theta, d], 1e-4, 1e-5);
        const plan = planOf(vg, theta, d);
        assert.doesNotMatch(plan, /routine/);
        // Buffers print as `name:f32[shape]`; kernel domains as `over [shape]`.
        const stored = /:f32\[(1,)?(4000,2[56]|2[56],4000)\]/;
        assert.doesNotMatch(plan, stored, "a KDE matrix is stored:\n" + plan);
        const sumPlan = planOf(valueAndGrad(w1Significance), theta, d);
        const steps = (p: string) => p.match(/^step /gm)?.length;
        assert.equal(steps(plan), steps(sumPlan), "as many kernels as the sum form");
        assertNoDuplicateOutputs(vg, theta, d);
      },
    );
  },
});
