/**
 * The CLs-vs-μ curve of `upperLimit` (sorted, one entry per hypothesis test, identical to the
 * tests it reports) and the `onProgress` callbacks of `upperLimit` and `ranking` (what the CLI's
 * progress bar shows).
 */
import assert from "node:assert/strict";
import { hypotest, ranking, uncorrelatedBackground, upperLimit } from "../../stats/mod.ts";

const model = uncorrelatedBackground([6, 9], [50, 52], [3, 7]);
const data = model.data([55, 58]);

Deno.test("upperLimit: the curve is every test, sorted by μ, with observed and expected CLs", () => {
  for (const opts of [{}, { scan: [2, 0, 1, 0.5, 3] }, { poiRange: [0.5, 4] as const }]) {
    const r = upperLimit(data, model, opts);
    const order = [...r.tested].sort((a, b) => a - b);
    assert.deepEqual(r.curve.mu, order);
    r.curve.mu.forEach((mu, i) => {
      const k = r.tested.indexOf(mu);
      assert.equal(r.curve.cls[i], r.results[k].cls);
      assert.deepEqual(r.curve.clsExpected[i], r.results[k].expected.cls);
    });
    // Each point is the hypothesis test at that μ.
    const mid = r.curve.mu[Math.floor(r.curve.mu.length / 2)];
    const h = hypotest(mid, data, model, { returnExpectedSet: true });
    const i = r.curve.mu.indexOf(mid);
    assert.ok(Math.abs(r.curve.cls[i] - h.cls) < 1e-9, `CLs at ${mid}`);
    h.clsExpectedSet!.forEach((v, j) => assert.ok(Math.abs(r.curve.clsExpected[i][j] - v) < 1e-9));
  }
});

Deno.test("upperLimit and ranking: onProgress counts every test / refit", () => {
  const calls: [number, number | null][] = [];
  const scan = [0, 0.5, 1, 1.5, 2, 3];
  upperLimit(data, model, { scan, onProgress: (d, t) => void calls.push([d, t]) });
  assert.deepEqual(calls, scan.map((_, i) => [i + 1, scan.length]));
  calls.length = 0;
  const r = upperLimit(data, model, { onProgress: (d, t) => void calls.push([d, t]) });
  assert.deepEqual(calls, r.tested.map((_, i) => [i + 1, null]), "root finding: total unknown");
  const seen: [number, number][] = [];
  const rk = ranking(data, model, { onProgress: (d, t) => void seen.push([d, t]) });
  assert.equal(seen.length, rk.refits);
  seen.forEach(([d, t], i) => {
    assert.equal(d, i + 1);
    assert.equal(t, rk.refits, "the planned number of refits is exact");
  });
});
