/**
 * Memory on long loops: `jit`'s `donateArgnums` (invalidation, errors naming the donation, reuse of
 * the donated buffer), the README's device loop running 2000 steps in bounded memory on the CPU and
 * on WebGPU, and the bounded, idle-trimmed WebGPU buffer pool.
 *
 * WebGPU steps run through Deno's software adapter (llvmpipe) where there is no GPU; they are
 * skipped with a message only when `navigator.gpu` offers no adapter at all.
 */
import assert from "node:assert/strict";
import * as np from "../../mod.ts";
import { type Array, array, DeviceArray, grad, jit } from "../../mod.ts";
import { configureBufferPool, devicePut, initDevice, memoryStats } from "../../jit/device.ts";
import { acquireBuffer, releaseBuffer, trimPool } from "../../jit/webgpu/device.ts";

const gpu = await initDevice("webgpu");
if (!gpu) console.warn("memory_test: navigator.gpu has no adapter on this machine; skipping");

/** The README's loop: gradient descent on a device, `p = step(p)`. */
function readmeStep(device: "cpu" | "webgpu", donate: boolean) {
  const loss = (p: Array) => np.tanh(p).mul(p).sum();
  return jit((p: Array) => p.sub(grad(loss)(p).mul(0.1)), {
    device,
    ...(donate ? { donateArgnums: [0] } : {}),
  });
}

/** 50 000 float32 parameters (200 kB): 2000 undonated steps would hold 400 MB. */
const start = () =>
  array(globalThis.Array.from({ length: 50_000 }, (_, i) => Math.sin(i)), "float32");
const MB = 2 ** 20;
const disposed = (x: Array) => x instanceof DeviceArray && x.disposed;

Deno.test("donateArgnums: donated arrays are invalidated, with an error naming the donation", async (t) => {
  await t.step("a donated argument throws on use; the result is the undonated one", () => {
    const f = jit((x: Array, y: Array) => x.mul(2).add(y), { donateArgnums: [0], name: "step" });
    const x = array([1, 2, 3]), y = array([10, 20, 30]);
    const out = f(x, y);
    assert.deepEqual([...out.dataSync()], [12, 24, 36]);
    assert.throws(() => x.dataSync(), /f32\[3\] was used after being donated to jit\(step\)/);
    assert.throws(() => x.add(1), /donated to jit\(step\) \(donateArgnums\)/);
    assert.throws(() => f(x, y), /donated to jit\(step\)/);
    assert.deepEqual([...y.dataSync()], [10, 20, 30], "the undonated argument stays valid");
    assert.equal(disposed(x), true);
  });
  await t.step("pytree arguments: every array leaf at a donated position is donated", () => {
    const f = jit((s: { a: Array; b: Array }) => ({ a: s.a.add(1), b: s.b.mul(2) }), {
      donateArgnums: [0],
    });
    const s = { a: array([1]), b: array([2]) };
    const r = f(s);
    assert.deepEqual([r.a.item(), r.b.item()], [2, 4]);
    assert.equal(disposed(s.a) && disposed(s.b), true);
  });
  await t.step("an input returned unchanged and a captured constant stay valid", () => {
    const c = array([5, 6]);
    const f = jit((x: Array, k: Array) => [x, x.add(c), k], { donateArgnums: [0, 1] });
    const x = array([1, 2]);
    const [same, sum] = f(x, c);
    assert.equal(same, x);
    assert.deepEqual([...x.dataSync()], [1, 2]);
    assert.deepEqual([...sum.dataSync()], [6, 8]);
    assert.deepEqual([...c.dataSync()], [5, 6], "a captured constant is read by later calls");
    assert.deepEqual([...f(array([0, 0]), c)[1].dataSync()], [5, 6]);
  });
  await t.step("under grad, vmap and an enclosing jit nothing is invalidated", () => {
    const f = jit((x: Array) => x.mul(x).sum(), { donateArgnums: [0] });
    const x = array([1, 2, 3]);
    assert.deepEqual([...grad(f)(x).dataSync()], [2, 4, 6]);
    assert.deepEqual([...np.vmap(f)(array([[1], [2]])).dataSync()], [1, 4]);
    assert.equal(jit((y: Array) => f(y))(x).item(), 14);
    assert.deepEqual([...x.dataSync()], [1, 2, 3]);
  });
  await t.step("a donated position that is static or negative is an error", () => {
    assert.throws(
      () => jit((x: Array) => x, { staticArgnums: [0], donateArgnums: [0] }),
      /donateArgnums entry 0 is not a position of a dynamic argument/,
    );
    assert.throws(() => jit((x: Array) => x, { donateArgnums: [-1] }), /entry -1/);
  });
  await t.step("donated results equal undonated ones (bitwise)", async () => {
    const a = readmeStep("cpu", false), b = readmeStep("cpu", true);
    let p: Array = start(), q: Array = start();
    for (let i = 0; i < 20; i++) [p, q] = [a(p), b(q)];
    assert.deepEqual(await q.data(), await p.data());
  });
});

Deno.test("memory: 2000 steps of the README loop on the CPU stay bounded", () => {
  const step = readmeStep("cpu", true);
  let p: Array = start();
  for (let i = 0; i < 10; i++) p = step(p);
  const before = memoryStats().cpu, rss = Deno.memoryUsage().rss;
  for (let i = 0; i < 2000; i++) p = step(p);
  const after = memoryStats().cpu, grown = (Deno.memoryUsage().rss - rss) / MB;
  assert.ok(
    after.arrays <= before.arrays && after.bytes <= before.bytes,
    `live CPU arrays grew from ${before.arrays} (${before.bytes} B) to ${after.arrays} ` +
      `(${after.bytes} B)`,
  );
  // Undonated, the loop would count 400 MB of live arrays; RSS is the garbage collector's call.
  assert.ok(grown < 200, `RSS grew by ${grown.toFixed(0)} MB`);
  assert.ok(Number.isFinite(p.dataSync()[0]));
});

Deno.test({
  name: "memory: 2000 steps of the README loop on WebGPU stay bounded",
  ignore: !gpu,
  fn: async () => {
    const step = readmeStep("webgpu", true);
    let p: Array = devicePut(start(), "webgpu");
    for (let i = 0; i < 10; i++) p = step(p);
    await p.data();
    const before = memoryStats().webgpu, rss = Deno.memoryUsage().rss;
    let peak = 0;
    for (let i = 0; i < 2000; i++) {
      p = step(p);
      const m = memoryStats().webgpu;
      peak = Math.max(peak, m.liveBytes + m.pooledBytes);
    }
    await p.data();
    const after = memoryStats().webgpu, grown = (Deno.memoryUsage().rss - rss) / MB;
    assert.ok(
      after.liveBuffers <= before.liveBuffers && after.pooledBuffers <= before.pooledBuffers,
      `WebGPU buffers grew from ${before.liveBuffers} live + ${before.pooledBuffers} pooled to ` +
        `${after.liveBuffers} + ${after.pooledBuffers}`,
    );
    // Two parameter buffers ping-pong (the donated one is the next call's output).
    assert.ok(peak <= before.liveBytes + before.pooledBytes + 4 * MB, `peak ${peak} B`);
    // Undonated, 2000 × 200 kB = 400 MB of buffers would be held.
    assert.ok(grown < 150, `RSS grew by ${grown.toFixed(0)} MB`);
    p.dispose();
  },
});

Deno.test({
  name: "memory: a WebGPU buffer stays out of the pool while pending work reads it",
  ignore: !gpu,
  fn: async (t) => {
    await t.step("a donated input of a host-routine program is read before reuse", async () => {
      const f = jit((x: Array) => np.sort(x.mul(-1)).add(x.sum()), {
        device: "webgpu",
        donateArgnums: [0],
      });
      const data = [3, 1, 2, 5, 4, 9, 0, 7];
      const want = [...np.sort(array(data).mul(-1)).add(31).dataSync()];
      const x = devicePut(array(data), "webgpu");
      const y = f(x);
      assert.equal(disposed(x), true);
      // Grab buffers of x's size while the program still runs: none may be x's.
      const grabbed = globalThis.Array.from({ length: 8 }, () => {
        const b = acquireBuffer(data.length * 4);
        gpu!.device.queue.writeBuffer(b, 0, new Float32Array(data.length).fill(-1e9));
        return b;
      });
      assert.deepEqual([...(await y.data())], want);
      grabbed.forEach(releaseBuffer);
      y.dispose();
    });
    await t.step(
      "disposing an array while its read is pending does not corrupt the read",
      async () => {
        const y = devicePut(array([1, 2, 3, 4]), "webgpu");
        const reading = y.data();
        y.dispose();
        const grabbed = globalThis.Array.from({ length: 4 }, () => {
          const b = acquireBuffer(16);
          gpu!.device.queue.writeBuffer(b, 0, new Float32Array(4).fill(-7));
          return b;
        });
        assert.deepEqual([...(await reading)], [1, 2, 3, 4]);
        grabbed.forEach(releaseBuffer);
      },
    );
    await t.step("a donated CPU array frees its cached device copy", async () => {
      const f = jit((x: Array) => x.mul(2), { device: "webgpu", donateArgnums: [0] });
      const warm = f(start());
      await warm.data();
      warm.dispose();
      const before = memoryStats().webgpu.liveBytes;
      const x = start();
      const y = f(x); // x is uploaded (a copy cached with it), then donated
      await y.data();
      y.dispose();
      // x is still referenced, so only its donation can have freed the copy.
      const after = memoryStats().webgpu.liveBytes;
      assert.ok(after <= before, `live bytes ${before} → ${after} (x: ${x.shape})`);
    });
  },
});

Deno.test({
  name: "memory: the WebGPU buffer pool is bounded in bytes and trimmed when idle",
  ignore: !gpu,
  fn: async () => {
    const defaults = configureBufferPool();
    try {
      trimPool();
      configureBufferPool({ maxBytes: 1 * MB });
      const bufs = globalThis.Array.from({ length: 40 }, () => acquireBuffer(100_000));
      bufs.forEach(releaseBuffer);
      const capped = memoryStats().webgpu;
      assert.ok(capped.pooledBytes <= MB, `pool holds ${capped.pooledBytes} B over its 1 MiB cap`);
      assert.ok(capped.pooledBuffers >= 9, `the cap keeps what fits: ${capped.pooledBuffers}`);
      // The most recently freed buffers are kept (and reused first).
      assert.equal(acquireBuffer(100_000), bufs[39]);
      releaseBuffer(bufs[39]);

      configureBufferPool({ maxIdleMs: 30 });
      await new Promise((r) => setTimeout(r, 120)); // the pool's idle timer trims it
      // Buffers of arrays finalized meanwhile may have arrived since, but ours are gone.
      const idle = memoryStats().webgpu.pooledBytes;
      assert.ok(idle < capped.pooledBytes, `the idle timer left ${idle} B pooled`);
      const fresh = acquireBuffer(100_000);
      assert.ok(!bufs.includes(fresh), "an idle buffer was still pooled");
      releaseBuffer(fresh);
      assert.throws(() => configureBufferPool({ maxBytes: -1 }), /maxBytes must be a number ≥ 0/);
    } finally {
      configureBufferPool(defaults);
    }
  },
});
