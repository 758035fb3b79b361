/**
 * The web page's parts that need no browser: the model against W1's function, Adam's climb, the
 * SVG plots, and the static server (`deno task serve`'s headers and paths).
 */
import assert from "node:assert/strict";
import { array, valueAndGrad } from "../../mod.ts";
import { w1Data, w1Histograms, w1Significance } from "../../bench/w1_workload.ts";
import { AdamClimb, W1Model } from "../../examples/web/model.ts";
import { histogramSvg, lineSvg, ticks } from "../../examples/web/plot.ts";
import { LOWER, UPPER } from "../../examples/web/settings.ts";
import { ISOLATION_HEADERS, serveStatic } from "../../tools/serve.ts";

const N = 3000, SEED = 11;

Deno.test("web model: one jitted call gives W1's Z, gradient and histograms (any bandwidth)", async () => {
  const m = W1Model.create({ n: N, seed: SEED, device: "cpu" });
  const d = w1Data(N, SEED);
  for (const [cuts, h] of [[{ met: 50, btag: 0.5 }, 60], [{ met: 120, btag: 0.2 }, 25]] as const) {
    const e = await m.evaluate(cuts, h);
    // The same function written directly (eager float32): W1's significance and histograms.
    const theta = array([cuts.met, cuts.btag], "float32");
    const [z, g] = valueAndGrad(w1Significance)(theta, d, array(h, "float32"));
    const { s, b } = w1Histograms(theta, d, h);
    const near = (got: number, want: number, what: string) =>
      assert.ok(Math.abs(got - want) <= 1e-5 * Math.abs(want) + 1e-7, `${what}: ${got} vs ${want}`);
    near(e.z, z.item(), "Z");
    near(e.grad.met, g.dataSync()[0], "dZ/dmet");
    near(e.grad.btag, g.dataSync()[1], "dZ/dbtag");
    e.s.forEach((v, j) => near(v, s.dataSync()[j], `s[${j}]`));
    e.b.forEach((v, j) => near(v, b.dataSync()[j], `b[${j}]`));
  }
  await assert.rejects(() => m.evaluate({ met: 50, btag: 0.5 }, 0), /bandwidth must be > 0/);
  assert.throws(() => W1Model.create({ n: 3, seed: 1, device: "cpu" }), /n must be an integer/);
});

Deno.test("web model: Adam climbs Z within the cut box", async () => {
  const m = W1Model.create({ n: N, seed: SEED, device: "cpu" });
  const adam = new AdamClimb({ met: 60, btag: 0.8 });
  const zs: number[] = [];
  for (let i = 0; i < 15; i++) {
    const e = await m.evaluate(adam.cuts, 60);
    zs.push(e.z);
    const c = adam.step(e.grad);
    assert.ok(
      c.met >= LOWER.met && c.met <= UPPER.met && c.btag >= LOWER.btag && c.btag <= UPPER.btag,
    );
  }
  assert.ok(zs.at(-1)! > zs[0] + 0.1, `Z: ${zs.map((z) => z.toFixed(4)).join(" ")}`);
  // A gradient pointing out of the box: the projection stops the cut at the bound.
  const edge = new AdamClimb({ met: 1, btag: 0.99 });
  for (let i = 0; i < 3; i++) edge.step({ met: -1, btag: 1 });
  assert.deepEqual(edge.cuts, { met: LOWER.met, btag: UPPER.btag });
});

Deno.test("web plots: SVG histograms and the climb, nice ticks, bad input named", () => {
  assert.deepEqual(ticks(0, 3000, 6), [0, 500, 1000, 1500, 2000, 2500, 3000]);
  assert.deepEqual(ticks(7.3, 8.6, 4), [7.5, 8, 8.5]);
  const h = histogramSvg([0, 1, 2, 3], [0, 5, 1], [1000, 10, 0.5], { width: 400, height: 240 });
  assert.match(h, /^<svg[^>]*width="400" height="240"/);
  assert.equal(h.match(/<path /g)?.length, 2, "background and signal");
  assert.match(h, />background</);
  assert.doesNotMatch(h, /NaN|Infinity/);
  assert.throws(
    () => histogramSvg([0, 1], [1, 2], [1, 2], { width: 10, height: 10 }),
    /histogramSvg: 2 edges for 2 signal and 2 background bins/,
  );
  for (const v of [[], [9.5], [9.1, 9.4, 9.6]]) {
    const l = lineSvg(v, "Z", { width: 400, height: 200 });
    assert.match(l, /<polyline/);
    assert.doesNotMatch(l, /NaN|Infinity/, `lineSvg(${JSON.stringify(v)})`);
  }
});

Deno.test("deno task serve: mounts, index.html, isolation headers, no path outside a mount", async () => {
  const root = await Deno.makeTempDir({ prefix: "zgrad_serve_" });
  await Deno.mkdir(`${root}/web`);
  await Deno.mkdir(`${root}/dist`);
  await Deno.writeTextFile(`${root}/web/index.html`, "<!doctype html>page");
  await Deno.writeTextFile(`${root}/dist/zgrad.js`, "export {};");
  await Deno.writeTextFile(`${root}/secret.txt`, "no");
  const s = serveStatic({ "/": `${root}/web`, "/dist/": `${root}/dist` }, ISOLATION_HEADERS);
  try {
    const page = await fetch(`${s.url}/`);
    assert.equal(await page.text(), "<!doctype html>page");
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(page.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.equal(page.headers.get("cross-origin-embedder-policy"), "require-corp");
    const js = await fetch(`${s.url}/dist/zgrad.js`);
    assert.equal(await js.text(), "export {};");
    assert.match(js.headers.get("content-type")!, /^text\/javascript/);
    const missing = await fetch(`${s.url}/dist/nope.js`);
    await missing.body?.cancel();
    assert.equal(missing.status, 404);
    // URLs normalise "..", even encoded; the server refuses any that reach it.
    for (const path of ["/%2e%2e/secret.txt", "/dist/%2e%2e/%2e%2e/secret.txt"]) {
      const outside = await fetch(`${s.url}${path}`);
      assert.notEqual(await outside.text(), "no", path);
      assert.ok(outside.status === 400 || outside.status === 404, `${path}: ${outside.status}`);
    }
  } finally {
    await s.close();
    await Deno.remove(root, { recursive: true });
  }
});
