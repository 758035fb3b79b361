/**
 * The fusion planner: what is materialised, what fuses with what, and the W1 pattern (per-event
 * maths broadcast against bin edges and reduced into bins) as one kernel per pass that never
 * stores the [N, B+1] matrix.
 */
import assert from "node:assert/strict";
import { w1Significance } from "../../bench/w1_workload.ts";
import fc from "fast-check";
import * as np from "../../mod.ts";
import { type Array, array, jit, makeJaxpr, valueAndGrad } from "../../mod.ts";
import { hoistConsts } from "../../core/staging.ts";
import { planJaxpr } from "../../jit/fusion.ts";
import type { Plan } from "../../jit/plan.ts";
import { interpretKernel } from "../../jit/interpret.ts";
import { compileKernel } from "../../jit/cpu/codegen.ts";
import type { Kernel } from "../../jit/kernel_ir.ts";
import { validateKernel } from "../../jit/kernel_ir.ts";
import { assertClose, assertSameBits, forEachThreadCount } from "./_util.ts";
import { propertyParams } from "../_property.ts";

// deno-lint-ignore no-explicit-any
function planOf(f: (...a: any[]) => unknown, ...args: unknown[]): Plan {
  const cj = makeJaxpr(f)(...args);
  return planJaxpr(hoistConsts({ jaxpr: cj.jaxpr, consts: cj.consts }).jaxpr);
}
const kernels = (p: Plan) =>
  p.steps.filter((s) => s.kind === "kernel").map((s) => (s as { kernel: Kernel }).kernel);

/** W1's function (see ../shared/bench/W1.md) on small data. */
function w1(n: number) {
  const mk = (f: (i: number) => number) =>
    array(globalThis.Array.from({ length: n }, (_, i) => f(i)), "float32");
  const data = {
    mtt: mk((i) => 400 + ((i * 37) % 23) * 130),
    met: mk((i) => 10 + ((i * 11) % 17) * 9),
    btag: mk((i) => ((i * 7) % 10) / 10),
    wgt: mk((i) => (i % 10 === 0 ? 0.05 : 1)),
    sig: mk((i) => (i % 10 === 0 ? 1 : 0)),
  };
  return { z: w1Significance, data, theta: array([50, 0.5], "float32") };
}

Deno.test("fusion: the W1 histogram pattern", async (t) => {
  const n = 40;
  const { z, data, theta } = w1(n);
  const plan = planOf(valueAndGrad(z), theta, data);
  await t.step("no [N, B] or [N, B+1] buffer is materialised", () => {
    for (const b of plan.buffers) {
      assert.ok(
        !(b.aval.ndim === 2 && b.aval.shape[0] === n),
        `buffer ${b.name}:${b.aval} is a per-event-per-bin matrix`,
      );
    }
  });
  await t.step("forward histogram: one kernel, signal and background from one pass", () => {
    const fwd = kernels(plan).find((k) => k.reduceAxes.join() === "0" && k.domain[0] === n)!;
    assert.ok(fwd, "a kernel reducing over events");
    assert.deepEqual(fwd.domain, [n, 25]);
    assert.equal(fwd.outputs.filter((o) => o.kind === "reduce").length, 2);
    // The two shifted CDF columns are one value read at two offsets.
    assert.ok(fwd.nodes.some((x) => x.kind === "shift"));
    assert.equal(fwd.nodes.filter((x) => x.kind === "op" && x.op === "erfc").length, 1);
  });
  await t.step("backward pass: one kernel reduces over bins per event", () => {
    const bwd = kernels(plan).find((k) => k.reduceAxes.join() === "1" && k.domain[0] === n)!;
    assert.ok(bwd, "a kernel reducing over bins");
    assert.equal(bwd.nodes.filter((x) => x.kind === "op" && x.op === "erfc").length, 1);
  });
  await t.step("generated CPU code evaluates each bin edge's CDF once per event", () => {
    for (const k of kernels(plan)) {
      const src = compileKernel(k, { precision: "fast" }).source;
      const calls = src.match(/erfc\w*\(/g)?.length ?? 0;
      assert.ok(calls <= 1, `kernel ${k.name} calls erfc ${calls} times`);
      if (calls) assert.match(src, /for \(let t\d+_1 = -1; t\d+_1 < 25;/); // a table over 26 edges
    }
  });
  await t.step("the plan runs: interpreter, exact and the default agree with eager", () => {
    const want = valueAndGrad(z)(theta, data);
    assertSameBits(jit(valueAndGrad(z), { interpret: true })(theta, data), want, "interpret");
    assertSameBits(jit(valueAndGrad(z), { precision: "exact" })(theta, data), want, "exact");
    assertClose(jit(valueAndGrad(z))(theta, data), want, "default (fast)", 1e-4);
  });
});

Deno.test("fusion: materialisation and sibling fusion", async (t) => {
  const x = array([[1, 2, 3], [4, 5, 6]], "float64");
  await t.step("independent reductions over the same domain share a kernel", () => {
    const p = planOf((v: Array) => [v.sum(0), np.exp(v).max(0), v.mul(v).sum(0)], x);
    assert.equal(kernels(p).length, 1);
    assert.equal(kernels(p)[0].outputs.length, 3);
  });
  await t.step("a reduction that needs another's result runs after it", () => {
    const p = planOf((v: Array) => v.sub(v.mean(0)).square().sum(0), x);
    assert.equal(kernels(p).length, 2);
  });
  await t.step("elementwise chains fuse into their consumer; nothing else is stored", () => {
    const p = planOf((v: Array) => np.tanh(np.exp(v).mul(2).add(v)).sum(), x);
    assert.equal(p.steps.length, 1);
    assert.equal(p.buffers.length, 2); // input and output
  });
  await t.step("routines materialise their operands and results", () => {
    const p = planOf((v: Array) => np.exp(v).matmul(np.sin(v).T).sum(), x);
    const routines = p.steps.filter((s) => s.kind === "routine");
    assert.deepEqual(routines.map((s) => s.eqn.prim.name), ["matmul"]);
    const [r] = routines;
    for (const b of [...r.inputs, ...r.outputs]) assert.ok(p.buffers[b], "a buffer");
    assert.equal(p.steps.at(-1)!.kind, "kernel");
  });
  await t.step("reshapes that merge axes of a computed value materialise it", () => {
    const p = planOf((v: Array) => np.exp(v).T.reshape([6]).cumsum(), x);
    assert.ok(p.buffers.some((b) => b.aval.shape.join() === "3,2"), p.toString());
    const q = planOf((v: Array) => np.exp(v).reshape([2, 3, 1]).sum(1), x);
    assert.equal(q.steps.length, 1, "splits and size-1 axes are index arithmetic");
  });
  await t.step("temporaries are freed after their last use", () => {
    const p = planOf((v: Array) => np.exp(v).matmul(v.T).matmul(v).sum(), x);
    const freed = p.freeAfter.flat();
    const temps = p.buffers.filter((b) => b.source.kind === "step" && !p.outputs.includes(b.id));
    assert.equal(freed.length, temps.length);
  });
  await t.step("kernels never exceed the buffer limit (wide expressions are split)", () => {
    const xs = globalThis.Array.from({ length: 10 }, (_, i) => array([i, i + 1, i + 2], "float64"));
    const f = (...v: Array[]) => v.reduce((a, b) => a.add(np.sin(b))).sum();
    const cj = makeJaxpr(f)(...xs);
    const p = planJaxpr(cj.jaxpr, { maxBuffersPerKernel: 4 });
    for (const k of kernels(p)) {
      assert.ok(k.inputs.length + k.outputs.length <= 4, `${k.name}: ${k.inputs.length} inputs`);
    }
    assert.ok(kernels(p).length > 1);
    const many = (...v: Array[]) => np.concatenate(v).sum(); // one primitive reading 10 buffers
    const q = planJaxpr(makeJaxpr(many)(...xs).jaxpr, { maxBuffersPerKernel: 4 });
    for (const k of kernels(q)) assert.ok(k.inputs.length + k.outputs.length <= 4);
    assert.ok(q.steps.some((s) => s.kind === "routine" && s.eqn.prim.name === "concatenate"));
  });
  await t.step("duplicate equations are computed once (no kernel writes a value twice)", () => {
    // The backward pass of `a @ m` and `b @ m` transposes m once per matmul.
    const m = array([[1, 2], [3, 4], [5, 6]], "float64"), a = array([[1, 0, 2]], "float64");
    const loss = (a: Array, m: Array) => a.matmul(m).sum().add(a.mul(2).matmul(m).square().sum());
    const p = planOf(valueAndGrad(loss), a, m);
    for (const k of kernels(p)) {
      const outs = k.outputs.map((o) => `${o.kind}|${o.reduce}|${o.node}`);
      assert.equal(new Set(outs).size, outs.length, `${k.name} writes a value twice:\n${p}`);
    }
    const transposes = makeJaxpr(valueAndGrad(loss))(a, m).jaxpr.eqns
      .filter((e) => e.prim.name === "transpose");
    assert.ok(transposes.length >= 2, "the test needs duplicate transposes");
    const tBuffers = p.buffers.filter((b) => b.aval.shape.join() === "2,3");
    assert.equal(tBuffers.length, 1, "mᵀ stored once");
    // A value returned twice, and literals that differ, stay correct.
    const f = (v: Array) => [v.T.mul(2), v.T.mul(2), v.T.mul(3)];
    const q = planOf(f, x);
    assert.equal(kernels(q).length, 1);
    assert.equal(kernels(q)[0].outputs.length, 2);
    const got = jit(f)(x) as Array[];
    assert.deepEqual(got.map((g) => [...g.dataSync()]), f(x).map((g) => [...g.dataSync()]));
  });
  await t.step("sibling fusion never closes a cycle through another group", () => {
    // exp(y) and cos(y) may share a kernel, and so may the [3]-shaped values; joining both
    // pairs would make each kernel need the other's sum. (Found in a normsys+shapesys NLL.)
    const y = array([0.5, 0.25, 1, 2], "float64"), v = array([1, 2, 3], "float64");
    const f = (v: Array, y: Array) => {
      const a = np.exp(v), d = np.cos(y);
      return [a, np.sin(y).mul(a.sum()), d, np.log(v).mul(d.sum())];
    };
    const p = planOf(f, v, y);
    assert.ok(kernels(p).length >= 2, p.toString());
    assertSameBits(jit(f, { precision: "exact" })(v, y), f(v, y), "jit vs eager");
  });
  await t.step("values a caller asks to materialise are stored", () => {
    const cj = makeJaxpr((v: Array) => np.exp(v).sum(0))(x);
    const ex = cj.jaxpr.eqns.find((e) => e.prim.name === "exp")!.outputs[0];
    assert.equal(kernels(planJaxpr(cj.jaxpr)).length, 1);
    const p = planJaxpr(cj.jaxpr, { materialise: new Set([ex]) });
    assert.equal(kernels(p).length, 2);
    assert.ok(p.buffers.some((b) => b.aval.shape.join() === "2,3" && b.source.kind === "step"));
  });
  await t.step("kernels validate and print", () => {
    const p = planOf(valueAndGrad((v: Array) => np.sin(v).sum()), x);
    for (const k of kernels(p)) validateKernel(k);
    assert.match(p.toString(), /kernel k0 over \[2,3\]/);
  });
});

Deno.test("fusion: random programs — interpreter, compiled code and eager agree", () => {
  // Random chains of elementwise, view and reduction ops on a [3, 4] float64 array.
  const ops: ((v: Array) => Array)[] = [
    (v) => np.exp(v.mul(0.3)),
    (v) => np.sin(v).add(v),
    (v) => v.T.reshape([3, 4]).mul(v),
    (v) => v.slice(null, "::-1").sub(v),
    (v) => np.concatenate([v.slice(null, "1:"), v.slice(null, ":1")], 1),
    (v) => v.sum(0, { keepdims: true }).add(v),
    (v) => v.max(1, { keepdims: true }).sub(v).abs(),
    (v) => np.where(v.gt(0.5), v, v.mul(-2)),
    (v) => np.tanh(v.reshape([4, 3]).T.reshape([3, 4])),
    (v) => np.broadcastTo(v.slice(1), [3, 4]).mul(v.slice(null, 2).reshape([3, 1])),
    (v) => np.flip(v, 0).add(np.erfc(v)),
  ];
  const x = array(globalThis.Array.from({ length: 12 }, (_, i) => Math.cos(i * 1.7)), "float64")
    .reshape([3, 4]);
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: ops.length - 1 }), { minLength: 1, maxLength: 6 }),
      (seq) => {
        const f = (v: Array) => {
          let y = v;
          for (const i of seq) y = ops[i](y);
          return [y, y.sum(1)];
        };
        const want = f(x);
        assertSameBits(jit(f, { interpret: true })(x), want, `interpret ${seq}`);
        const x32 = x.astype("float32");
        const want32 = f(x32);
        // Fast mode recomputes fused values in double precision, so a difference of two
        // nearly equal values (`max(x) - x`) can be a float32 rounding error of the operands
        // instead of 0: the absolute slack scales with the largest intermediate value.
        let scale = 1;
        for (let y = x32, k = 0; k < seq.length; k++) {
          y = ops[seq[k]](y);
          scale = Math.max(scale, y.abs().max().item());
        }
        const exact = jit(f, { precision: "exact" }), fast = jit(f);
        forEachThreadCount((threads) => {
          assertSameBits(exact(x), want, `compiled ${seq} (${threads} threads)`);
          assertSameBits(exact(x32), want32, `f32 exact ${seq} (${threads} threads)`);
          assertClose(
            fast(x32),
            want32,
            `f32 fast ${seq} (${threads} threads)`,
            1e-5,
            1e-5 * scale,
          );
        });
      },
    ),
    propertyParams(150),
  );
});

Deno.test("fusion: compiled kernels equal the interpreter on hand-written kernels", () => {
  // out[j] = Σ_i x[i] · y[j] + (i == j), with a shifted read y[j + 1] - y[j].
  const k: Kernel = {
    name: "hand",
    domain: [5, 3],
    reduceAxes: [0],
    inputs: [{ dtype: "float64", size: 5, name: "x" }, { dtype: "float64", size: 4, name: "y" }],
    nodes: [
      { kind: "load", input: 0, index: { offset: 0, coefs: [1, 0] }, dtype: "float64" },
      { kind: "load", input: 1, index: { offset: 1, coefs: [0, 1] }, dtype: "float64" },
      { kind: "op", op: "exp", args: [1], dtype: "float64" },
      { kind: "shift", of: 2, axis: 1, by: -1, dtype: "float64" },
      { kind: "op", op: "sub", args: [2, 3], dtype: "float64" },
      { kind: "op", op: "mul", args: [0, 4], dtype: "float64" },
      { kind: "index", index: { offset: 0, coefs: [1, -1] }, dtype: "int32" },
      { kind: "const", value: 0, dtype: "int32" },
      { kind: "op", op: "eq", args: [6, 7], dtype: "bool" },
      { kind: "op", op: "convert_element_type", args: [8], dtype: "float64" },
      { kind: "op", op: "add", args: [5, 9], dtype: "float64" },
    ],
    outputs: [
      { node: 10, kind: "reduce", reduce: "sum", dtype: "float64", shape: [3], name: "s" },
      { node: 10, kind: "reduce", reduce: "max", dtype: "float64", shape: [3], name: "m" },
      { node: 4, kind: "map", dtype: "float64", shape: [5, 3], name: "d" },
    ],
  };
  validateKernel(k);
  const ins = [new Float64Array([1, -2, 3, 0.5, 4]), new Float64Array([0.1, 0.2, 0.4, 0.8])];
  const want = interpretKernel(k, ins);
  const got = compileKernel(k, { precision: "exact" }).run(ins);
  assert.deepEqual(got, want);
  // Direct check of one value: d[0, 0] = exp(y[1]) - exp(y[0]).
  assert.equal(want[2][0], Math.exp(0.2) - Math.exp(0.1));
});
