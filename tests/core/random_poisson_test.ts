/**
 * random.poisson: the moments of its draws (mean and variance λ within 5 standard errors), both
 * samplers (Knuth below λ = 10, rejection above), λ = 0, determinism, jit = eager bit for bit,
 * vmap over keys, and errors naming the shapes.
 */
import assert from "node:assert/strict";
import { array, jit, random, vmap } from "../../mod.ts";
import type { Array } from "../../mod.ts";

function moments(x: Array): [number, number] {
  const v = Float64Array.from(x.dataSync() as Int32Array);
  const mean = v.reduce((s, y) => s + y, 0) / v.length;
  const variance = v.reduce((s, y) => s + (y - mean) ** 2, 0) / (v.length - 1);
  return [mean, variance];
}

Deno.test("random.poisson: moments for rates on both sides of the sampler switch", () => {
  const n = 20000;
  for (const lam of [0.3, 3.5, 9.9, 10, 42, 1500]) {
    const x = random.poisson(random.key(7), lam, [n]);
    assert.equal(x.dtype, "int32");
    const [m, v] = moments(x);
    // Standard errors: of the mean √(λ/n); of the variance ≈ λ√(2/n) (plus the kurtosis term).
    assert.ok(Math.abs(m - lam) < 5 * Math.sqrt(lam / n), `λ=${lam}: mean ${m}`);
    assert.ok(Math.abs(v - lam) < 5 * Math.sqrt((2 * lam * lam + lam) / n), `λ=${lam}: var ${v}`);
    assert.ok((x.dataSync() as Int32Array).every((k) => k >= 0));
  }
});

Deno.test("random.poisson: broadcasting rates, λ = 0, float64 rates", () => {
  const lam = array([0, 2, 25], "float64").reshape([3, 1]);
  const x = random.poisson(random.key(1), lam, [3, 4000]);
  assert.deepEqual(x.shape, [3, 4000]);
  const rows = [0, 1, 2].map((r) => moments(x.slice(r))[0]);
  assert.equal(rows[0], 0);
  assert.ok(Math.abs(rows[1] - 2) < 0.15 && Math.abs(rows[2] - 25) < 0.5, `${rows}`);
  assert.deepEqual(random.poisson(random.key(1), [1, 100]).shape, [2]);
});

Deno.test("random.poisson: deterministic, jit and vmap give eager's draws", () => {
  const k = random.key(3);
  const f = (key: Array) => random.poisson(key, array([0.5, 4, 12, 300], "float32"));
  const eager = f(k);
  assert.deepEqual(f(k).tolist(), eager.tolist());
  assert.deepEqual(jit(f)(k).tolist(), eager.tolist());
  const keys = random.split(k, 3);
  const batched = vmap(f)(keys);
  [0, 1, 2].forEach((i) => assert.deepEqual(batched.slice(i).tolist(), f(keys.slice(i)).tolist()));
  assert.notDeepEqual(f(random.key(4)).tolist(), eager.tolist());
});

Deno.test("random.poisson: errors name the shapes", () => {
  assert.throws(
    () => random.poisson(random.key(0), array([1, 2, 3]), [2]),
    /random.poisson: lam of shape \[3\] does not broadcast to shape \[2\]/,
  );
  // deno-lint-ignore no-explicit-any
  assert.throws(() => random.poisson(random.key(0), 1, [2], { dtype: "float32" as any }), /int32/);
});
