/**
 * nn/: an MLP learns to separate two Gaussian blobs, its gradient agrees with central finite
 * differences (float64), the loss is stable for large logits, class weights balance, and
 * parameters round-trip through JSON exactly.
 */
import assert from "node:assert/strict";
import { type Array, array, grad, random, sigmoid } from "../../mod.ts";
import {
  bceWithLogits,
  classWeights,
  loadParams,
  mlp,
  type MlpParams,
  paramsFromJson,
  paramsToJson,
  saveParams,
  sigmoidBinaryCrossEntropy,
  train,
} from "../../nn/mod.ts";

/** Two 3-D Gaussian blobs (unit width) centred at ∓1 on every axis; class 1 is 1/4 of them. */
function blobs(n: number, seed: number) {
  const z = random.normal(random.key(seed), [n, 3], { dtype: "float64" }).dataSync();
  const x = new Float64Array(n * 3), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 4 === 0 ? 1 : 0;
    for (let j = 0; j < 3; j++) x[i * 3 + j] = z[i * 3 + j] + (y[i] ? 1 : -1);
  }
  return { x: array(x, "float64").reshape([n, 3]), y: array(y, "float64") };
}

Deno.test("an MLP separates two Gaussian blobs", () => {
  const { x, y } = blobs(400, 1);
  const net = mlp([3, 16, 16, 1], { activation: "tanh", seed: 42, dtype: "float64" });
  const w = classWeights(y);
  const { params, losses } = train({ ...net, x, y, weights: w, epochs: 150, lr: 0.02 });
  assert.ok(losses[0] > 0.5, `initial loss ${losses[0]}`);
  assert.ok(losses.at(-1)! < 0.5 * losses[0], `loss ${losses[0]} → ${losses.at(-1)}`);
  for (let i = 10; i < losses.length; i++) {
    assert.ok(losses[i] <= losses[i - 10] + 1e-12, `loss rises at epoch ${i}`);
  }
  const { x: xt, y: yt } = blobs(400, 2);
  const p = sigmoid(net.apply(params, xt).reshape([-1])).dataSync();
  const yy = yt.dataSync();
  let right = 0;
  for (let i = 0; i < p.length; i++) right += (p[i] > 0.5 ? 1 : 0) === yy[i] ? 1 : 0;
  const acc = right / p.length;
  assert.ok(acc > 0.9, `test accuracy ${acc}`);
});

Deno.test("training without weights (jit passes the absent weights as null)", () => {
  const { x, y } = blobs(64, 5);
  const net = mlp([3, 8, 1], { seed: 1, dtype: "float64" });
  for (const jit of [true, false]) {
    const { losses } = train({ ...net, x, y, epochs: 20, lr: 0.05, jit });
    assert.ok(losses.at(-1)! < losses[0], `jit ${jit}: loss ${losses[0]} → ${losses.at(-1)}`);
  }
});

Deno.test("mini-batch training is seeded and learns", () => {
  const { x, y } = blobs(256, 4);
  const net = mlp([3, 8, 1], { seed: 1, dtype: "float64" });
  const run = (seed: number) =>
    train({ ...net, x, y, weights: classWeights(y), epochs: 15, lr: 0.02, batchSize: 64, seed });
  const [a, b, c] = [run(3), run(3), run(4)];
  assert.deepEqual(a.params[0].w.dataSync(), b.params[0].w.dataSync(), "same seed, same result");
  assert.notDeepEqual(a.params[0].w.dataSync(), c.params[0].w.dataSync(), "seed matters");
  assert.ok(a.losses.at(-1)! < 0.7 * a.losses[0], `loss ${a.losses[0]} → ${a.losses.at(-1)}`);
  assert.throws(() => train({ ...net, x, y, epochs: 1, batchSize: 0 }), /batchSize must be/);
});

Deno.test("initialisation: deterministic, lecun-normal scale, zero biases", () => {
  const a = mlp([3, 16, 16, 1], { seed: 7 }), b = mlp([3, 16, 16, 1], { seed: 7 });
  assert.deepEqual(a.params[1].w.dataSync(), b.params[1].w.dataSync());
  const big = mlp([400, 400], { seed: 1 }).params[0];
  const v = big.w.dataSync();
  let s2 = 0, mx = 0;
  for (const t of v) {
    s2 += t * t;
    mx = Math.max(mx, Math.abs(t));
  }
  const std = Math.sqrt(s2 / v.length);
  assert.ok(Math.abs(std - 1 / 20) < 0.002, `std ${std}, expected 1/√400`); // variance 1/fanIn
  assert.ok(mx <= 2 / 20 / 0.87962566103423978 + 1e-6, `truncated at 2σ: max ${mx}`);
  assert.deepEqual([...big.b.dataSync()].every((t) => t === 0), true);
  const g = mlp([6, 10], { seed: 1, init: "glorotUniform" }).params[0].w.dataSync();
  assert.ok(g.every((t) => Math.abs(t) <= Math.sqrt(6 / 16)), "glorot uniform within ±√(6/16)");
  assert.throws(() => mlp([3]), /sizes must be ≥ 2/);
});

Deno.test("gradient of the loss agrees with central finite differences (float64)", () => {
  const { x, y } = blobs(40, 3);
  const net = mlp([3, 5, 1], { seed: 3, dtype: "float64" });
  const w = classWeights(y);
  const loss = (p: MlpParams) => bceWithLogits(net.apply(p, x).reshape([-1]), y, w);
  const g = grad(loss)(net.params) as MlpParams;
  const h = 1e-6;
  for (const [layer, key, idx] of [[0, "w", 4], [0, "b", 2], [1, "w", 3], [1, "b", 0]] as const) {
    const base = net.params[layer][key].dataSync() as Float64Array;
    const at = (d: number) => {
      const v = Float64Array.from(base);
      v[idx] += d;
      const p = net.params.map((l) => ({ ...l }));
      p[layer] = { ...p[layer], [key]: array(v, "float64").reshape(net.params[layer][key].shape) };
      return loss(p).item();
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    const an = g[layer][key].dataSync()[idx];
    assert.ok(
      Math.abs(an - fd) <= 1e-7 * Math.max(1, Math.abs(fd)),
      `${layer}.${key}[${idx}]: ${an} vs ${fd}`,
    );
  }
});

Deno.test("binary cross-entropy is stable and class weights balance", () => {
  const z = array([-800, -3, 0, 2.5, 800], "float64"), y = array([0, 1, 1, 0, 1], "float64");
  const l = sigmoidBinaryCrossEntropy(z, y).dataSync();
  const naive = (zz: number, yy: number) => {
    const p = 1 / (1 + Math.exp(-zz));
    return -(yy * Math.log(p) + (1 - yy) * Math.log(1 - p));
  };
  assert.ok(Math.abs(l[0]) < 1e-300 && Math.abs(l[4]) < 1e-300, "no overflow at |z| = 800");
  [1, 2, 3].forEach((i) =>
    assert.ok(Math.abs(l[i] - naive([-800, -3, 0, 2.5, 800][i], [0, 1, 1, 0, 1][i])) < 1e-12)
  );
  const gz = grad((t: Array) => sigmoidBinaryCrossEntropy(t, y).sum())(z).dataSync();
  assert.ok(gz.every(Number.isFinite), "finite gradient");
  const w = classWeights(array([0, 0, 0, 1])).dataSync();
  assert.deepEqual([...w].map((t) => +t.toFixed(6)), [0.666667, 0.666667, 0.666667, 2]);
  assert.throws(() => classWeights(array([1, 1])), /both classes/);
  assert.throws(() => classWeights(array([0, 2])), /labels must be 0 or 1/);
});

Deno.test("parameters round-trip through JSON bit for bit", async () => {
  const net = mlp([3, 16, 16, 1], { seed: 42, dtype: "float64" });
  const p32 = mlp([3, 4, 1], { seed: 1 }).params;
  for (const params of [net.params, p32]) {
    const back = paramsFromJson(JSON.parse(JSON.stringify(paramsToJson(params)))) as MlpParams;
    params.forEach((l, i) => {
      assert.equal(back[i].w.dtype, l.w.dtype);
      assert.deepEqual(back[i].w.shape, l.w.shape);
      assert.deepEqual(back[i].w.dataSync(), l.w.dataSync());
      assert.deepEqual(back[i].b.dataSync(), l.b.dataSync());
    });
  }
  assert.throws(() => paramsFromJson({ format: "x" }, "f.json"), /f.json: not a zgrad-params/);
  assert.throws(
    () =>
      paramsFromJson({
        format: "zgrad-params",
        version: 1,
        tree: [{ w: { dtype: "float32", shape: [2], data: [1] } }],
      }),
    /\[0\]\.w: shape \[2\] needs 2 values/,
  );
  if ((await Deno.permissions.query({ name: "write" })).state !== "granted") {
    console.warn(
      "nn_test: no --allow-write; the file round trip (saveParams/loadParams) is skipped",
    );
    return;
  }
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await saveParams(path, net.params);
  const back = (await loadParams(path)) as MlpParams;
  assert.deepEqual(back[2].w.dataSync(), net.params[2].w.dataSync());
  await Deno.remove(path);
});
