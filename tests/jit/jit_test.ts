/**
 * `jit`'s API: trace caching per signature, `lower`/`inspect`, options, and that calls run the
 * compiled program (not the eager interpreter).
 */
import assert from "node:assert/strict";
import * as np from "../../mod.ts";
import { type Array, array, grad, Jaxpr, jit } from "../../mod.ts";
import { programFor, structuralKey } from "../../jit/cpu/program.ts";
import { makeJaxpr } from "../../mod.ts";
import { memoryStats } from "../../jit/device.ts";
import { jitCallExecutor } from "../../core/primitives/control.ts";
import { traceCount } from "../../core/staging.ts";

Deno.test("jit: trace cache", async (t) => {
  await t.step("no retrace for the same shapes and dtypes", () => {
    const f = jit((x: Array) => np.exp(x).sum());
    f(array([1, 2, 3]));
    f(array([4, 5, 6]));
    f(array([7, 8, 9]));
    assert.equal(f.traceCount, 1);
  });
  await t.step("retrace for new shapes, dtypes, structures and static arguments", () => {
    const f = jit((x: Array, n: number) => x.mul(n).sum(), { staticArgnums: [1] });
    f(array([1, 2]), 2);
    f(array([1, 2, 3]), 2);
    f(array([1, 2, 3], "float64"), 2);
    f(array([1, 2, 3], "float64"), 3);
    f(array([4, 5, 6], "float64"), 3);
    assert.equal(f.traceCount, 4);
    const g = jit((p: { a: Array; b?: Array }) => (p.b ? p.a.add(p.b) : p.a).sum());
    g({ a: array([1]) });
    g({ a: array([1]), b: array([2]) });
    assert.equal(g.traceCount, 2);
  });
  await t.step("compiled programs are cached with the trace", () => {
    const f = jit((x: Array) => np.sin(x).mul(2));
    const j = f.lower(array([1, 2]));
    assert.ok(j instanceof Jaxpr);
    f(array([1, 2]));
    assert.equal(programFor(j), programFor(j));
  });
  await t.step("structurally equal jaxprs share a compiled program", () => {
    const h = (x: Array) => np.exp(x).sum();
    const j1 = makeJaxpr(h)(array([1, 2])).jaxpr, j2 = makeJaxpr(h)(array([3, 4])).jaxpr;
    assert.notEqual(j1, j2);
    assert.equal(structuralKey(j1), structuralKey(j2));
    assert.equal(programFor(j1), programFor(j2));
    const j3 = makeJaxpr(h)(array([1, 2, 3])).jaxpr;
    assert.notEqual(structuralKey(j1), structuralKey(j3));
  });
});

Deno.test("jit: inspect shows the jaxpr, the kernel plan and the generated source", () => {
  const f = jit(grad((x: Array) => np.tanh(x).mul(x).sum()));
  const low = f.inspect(array([1, 2, 3]));
  assert.ok(low.jaxpr instanceof Jaxpr);
  assert.equal(low.steps, 1);
  assert.match(low.plan, /step 0: k0/);
  assert.match(low.source, /return function k0\(ins, outs\)/);
  const text = low.toString();
  for (const part of ["=== jaxpr", "=== plan", "kernel k0 over [3]", "=== source", "Math.tanh"]) {
    assert.ok(text.includes(part), `inspect text lacks ${part}`);
  }
  assert.equal(f.traceCount, 1);
});

Deno.test("jit: calls run compiled code, consts and literals included", async (t) => {
  await t.step("captured constants and literal outputs", () => {
    const c = array([10, 20, 30], "float64");
    const f = jit((x: Array) => [x.add(c), np.array(7), x]);
    const x = array([1, 2, 3], "float64");
    const [a, b, same] = f(x) as Array[];
    assert.deepEqual(a.tolist(), [11, 22, 33]);
    assert.equal(b.item(), 7);
    assert.equal(same, x, "an input returned unchanged is the input");
  });
  await t.step("weak types of outputs are kept", () => {
    const f = jit((x: Array) => x.mul(2));
    assert.equal(f(np.array(3)).weakType, np.array(3).mul(2).weakType);
  });
  await t.step("zero-size arrays", () => {
    const f = jit((x: Array) => [np.exp(x), x.sum(0), x.sum(1)]);
    const [e, s0, s1] = f(np.zeros([0, 3])) as Array[];
    assert.deepEqual(e.shape, [0, 3]);
    assert.deepEqual(s0.tolist(), [0, 0, 0]);
    assert.deepEqual(s1.shape, [0]);
  });
  await t.step("errors inside traced code name the problem", () => {
    const f = jit((x: Array) => {
      if (x.sum().item() > 0) return x;
      return x.neg();
    });
    assert.throws(() => f(array([1])), /ConcretizationError|traced value/);
  });
});

Deno.test("jit: debugNans names the first primitive that produced a NaN", () => {
  const f = jit((x: Array) => np.sqrt(x.sub(2)).mul(x).sum(), { debugNans: true });
  assert.throws(() => f(array([1, 4, 9])), /primitive 'sqrt'.*produced a NaN/);
  assert.equal(f(array([3, 4, 9])).dataSync().length, 1, "no error without NaN");
  const g = jit((x: Array) => x.mul(2), { debugNans: true });
  assert.throws(() => g(array([NaN])), /NaN already in the inputs/);
});

Deno.test("jit: 1000 jitted gradient steps on the CPU do not grow live memory", () => {
  const loss = (p: Array) => np.tanh(p).mul(p).matmul(p.reshape([-1, 1])).sum();
  const step = jit((p: Array) => p.sub(grad(loss)(p).mul(0.01)));
  let p = array(globalThis.Array.from({ length: 256 }, (_, i) => Math.sin(i)), "float32");
  const next = (q: Array) => {
    const r = step(q);
    q.dispose();
    return r;
  };
  for (let i = 0; i < 10; i++) p = next(p);
  const before = memoryStats().cpu;
  for (let i = 0; i < 1000; i++) p = next(p);
  const after = memoryStats().cpu;
  assert.ok(
    after.arrays <= before.arrays,
    `live arrays grew from ${before.arrays} to ${after.arrays}`,
  );
  assert.ok(after.bytes <= before.bytes, `live bytes grew from ${before.bytes} to ${after.bytes}`);
});

Deno.test("jit: transforms of a jitted function run compiled, with its options", async (t) => {
  // Record every jit_call that executes, with its name and options.
  const calls: { name: string; options?: Readonly<Record<string, unknown>> }[] = [];
  const run = jitCallExecutor.run;
  jitCallExecutor.run = (args, p) => {
    calls.push({ name: p.name, options: p.options });
    return run(args, p);
  };
  try {
    const f = jit((x: Array) => np.tanh(x).mul(x).sum(), { precision: "fast", name: "f" });
    const x = array([0.5, -1, 2], "float64");
    await t.step("grad: forward and backward pass are jit_calls with the options", () => {
      calls.length = 0;
      const g = grad(f)(x);
      const eager = grad((v: Array) => np.tanh(v).mul(v).sum())(x);
      assert.deepEqual([...g.dataSync()], [...eager.dataSync()], "float64 is exact in fast mode");
      assert.deepEqual(calls.map((c) => c.name), ["f", "transpose(jvp(f))"]);
      for (const c of calls) assert.deepEqual(c.options, { precision: "fast" }, c.name);
    });
    await t.step("jvp and vmap keep the options", () => {
      calls.length = 0;
      np.jvp(f, [x], [np.onesLike(x)]);
      np.vmap(f)(array([[1, 2], [3, 4]], "float64"));
      assert.deepEqual(calls.map((c) => c.name), ["jvp(f)", "vmap(f)"]);
      for (const c of calls) assert.deepEqual(c.options, { precision: "fast" }, c.name);
    });
    await t.step("symbolic zero cotangents stay out of the backward program", () => {
      const h = jit((a: Array, b: Array) => a.mul(2).sum().add(b.sum().mul(0)), { name: "h" });
      const [ga, gb] = grad(h, { argnums: [0, 1] })(x, array([1, 2], "float64"));
      assert.deepEqual([...ga.dataSync()], [2, 2, 2]);
      assert.deepEqual([...gb.dataSync()], [0, 0]);
    });
  } finally {
    jitCallExecutor.run = run;
  }
});

Deno.test("jit: transforms of a jitted function trace once per signature", async (t) => {
  const body = (x: Array) => np.sin(x).mul(x).sum();
  const f = jit(body, { name: "f" });
  const x = array([0.5, -1, 2], "float64"), y = array([1, 2, 3], "float64");
  /** Programs traced by `run` (after a first call with the same signature). */
  const tracesOf = (run: () => unknown) => {
    run();
    const before = traceCount();
    run();
    return traceCount() - before;
  };
  await t.step("grad(jit(f)): the second call traces nothing and is exact", () => {
    assert.equal(tracesOf(() => grad(f)(x)), 0);
    assert.deepEqual([...grad(f)(y).dataSync()], [...grad(body)(y).dataSync()]);
    // A new grad of the same jitted function reuses the traced programs too.
    const g2 = grad(f);
    const before = traceCount();
    g2(y);
    assert.equal(traceCount() - before, 0);
  });
  await t.step("jvp and vmap of jit(f)", () => {
    assert.equal(tracesOf(() => np.jvp(f, [x], [np.onesLike(x)])), 0);
    assert.equal(tracesOf(() => np.vmap(f)(array([[1, 2], [3, 4]], "float64"))), 0);
  });
  await t.step("another nonzero mask is another program", () => {
    const h = jit((a: Array, b: Array) => a.mul(b).sum());
    grad(h, { argnums: 0 })(x, y);
    const before = traceCount();
    const [ga, gb] = grad(h, { argnums: [0, 1] })(x, y);
    assert.ok(traceCount() > before, "the mask with b's tangent is traced");
    assert.deepEqual([...ga.dataSync()], [...y.dataSync()]);
    assert.deepEqual([...gb.dataSync()], [...x.dataSync()]);
  });
});
