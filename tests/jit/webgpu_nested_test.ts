/**
 * Two reduction levels in one WebGPU kernel (jit/webgpu/nested.ts): a per-element sum over a few
 * inner points feeding only a reduction that is linear and homogeneous in it (a backward pass)
 * becomes one kernel, the per-element sums never stored; anything else (a nonlinear consumer, an
 * additive term, a shifted read) keeps its two kernels. Results against eager CPU within the
 * float32 contract for sums (relative to the sum of magnitudes of the innermost terms).
 *
 * Skipped (with a message) only when `navigator.gpu` offers no adapter at all.
 */
import assert from "node:assert/strict";
import * as np from "../../mod.ts";
import { type Array, array, jit, valueAndGrad } from "../../mod.ts";
import { initDevice } from "../../jit/device.ts";
import { validateKernel } from "../../jit/kernel_ir.ts";
import { compileWebGpuProgram } from "../../jit/webgpu/program.ts";
import { fuseTwoLevel } from "../../jit/webgpu/nested.ts";
import { planJaxpr } from "../../jit/fusion.ts";
import { w1Data, w1MatmulSignificance, w1Significance } from "../../bench/w1_workload.ts";
import { checkWebGpu, pseudoRandom } from "./_util.ts";

const gpu = await initDevice("webgpu");
if (!gpu) console.warn("webgpu_nested_test: navigator.gpu has no adapter here; skipping");
const ignore = !gpu;

// deno-lint-ignore no-explicit-any
type Fn = (...a: any[]) => unknown;

/**
 * The kernels of the WebGPU program of `f` at `args` (each validated), gradients in reverse mode
 * (the backward passes are what these tests check; `jit` would pick forward mode for W1).
 */
function kernelsOf(f: Fn, ...args: unknown[]) {
  const { jaxpr } = jit(f, { device: "webgpu", gradMode: "reverse" }).inspect(...args);
  const plan = compileWebGpuProgram(jaxpr).plan;
  const ks = plan.steps.flatMap((s) => (s.kind === "kernel" ? [s.kernel] : []));
  for (const k of ks) validateKernel(k);
  return { plan, ks };
}

const n = 6000, bins = 20;
const xs = array(pseudoRandom(n, 1).map((u) => 4 * u - 2), "float32");
const edges = array(
  globalThis.Array.from({ length: bins }, (_, j) => -2 + (4 * j) / bins),
  "float32",
);
/** Per element, Σ over the bins of a smooth kernel: the inner level. */
const inner = (x: Array, e: Array) =>
  np.exp(e.reshape([1, -1]).sub(x.reshape([-1, 1])).square().neg()).sum(1);

Deno.test({
  name: "webgpu two-level reductions: linear consumers fuse, others do not",
  ignore,
  fn: async (t) => {
    // Σ_j |terms| ≤ bins per element; the outer factors are ≤ 2 in magnitude.
    const tol = 1e-5 * n * bins * 2;
    const cases: [string, Fn, boolean][] = [
      ["Σ_i sin(x_i)·s_i", (x: Array, e: Array) => np.sin(x).mul(inner(x, e)).sum(), true],
      [
        "two outputs, select with 0, neg, sub, div",
        (x: Array, e: Array) => {
          const s = inner(x, e);
          const l = np.where(x.gt(0), s.mul(2), 0).sub(s.div(x.square().add(1))).neg();
          return [l.sum(), s.mul(np.cos(x)).sum()];
        },
        true,
      ],
      ["Σ_i log(s_i) (nonlinear)", (x: Array, e: Array) => np.log(inner(x, e)).sum(), false],
      ["Σ_i (s_i + 1) (not homogeneous)", (x: Array, e: Array) => inner(x, e).add(1).sum(), false],
      [
        "shifted read s[1:] − s[:-1]",
        (x: Array, e: Array) => {
          const s = inner(x, e);
          return s.slice("1:").sub(s.slice(":-1")).mul(x.slice("1:")).sum();
        },
        false,
      ],
    ];
    for (const [name, f, fused] of cases) {
      await t.step(name, async () => {
        await checkWebGpu(name, f, [xs, edges], 1e-5, tol);
        const { ks } = kernelsOf(f, xs, edges);
        const merged = ks.find((k) => k.name.includes("+"));
        assert.equal(!!merged, fused, ks.map((k) => `${k.name} [${k.domain}]`).join(", "));
        if (merged) {
          assert.deepEqual(merged.domain, [n, bins]);
          assert.deepEqual(merged.reduceAxes, [0, 1]);
        }
      });
    }
  },
});

Deno.test("two-level reductions: merged only within the device's binding limit", () => {
  const f = (x: Array, e: Array) => np.sin(x).mul(inner(x, e)).sum();
  const { jaxpr } = jit(f).inspect(xs, edges);
  const plan = planJaxpr(jaxpr);
  const kernels = (p: typeof plan) => p.steps.filter((s) => s.kind === "kernel").length;
  assert.equal(kernels(fuseTwoLevel(plan)), kernels(plan) - 1);
  assert.equal(kernels(fuseTwoLevel(plan, 2)), kernels(plan), "x, e and the output: 3 bindings");
  assert.equal(kernels(fuseTwoLevel(plan, 3)), kernels(plan) - 1);
});

Deno.test({
  name: "webgpu two-level reductions: W1's backward pass is one kernel in both forms",
  ignore,
  fn: async (t) => {
    const d = w1Data(3000);
    const theta = array([50, 0.5], "float32");
    for (const [form, z] of [["sum", w1Significance], ["matmul", w1MatmulSignificance]] as const) {
      await t.step(`${form} form`, async () => {
        const vg = valueAndGrad(z);
        await checkWebGpu(`W1 ${form} form`, vg, [theta, d], 1e-4, 1e-5);
        const { plan, ks } = kernelsOf(vg, theta, d);
        const bwd = ks.filter((k) => k.name.includes("+"));
        assert.equal(bwd.length, 1, plan.toString());
        assert.deepEqual(bwd[0].domain, [3000, 25]);
        // No per-event temporary: only the columns have 3000 elements.
        const used = new Set(plan.steps.flatMap((s) => [...s.inputs, ...s.outputs]));
        const perEvent = plan.buffers.filter((b) =>
          used.has(b.id) && b.aval.size === 3000 && b.source.kind === "step"
        );
        assert.deepEqual(perEvent.map((b) => b.name), [], plan.toString());
      });
    }
  },
});
