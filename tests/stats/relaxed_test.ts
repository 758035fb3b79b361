import assert from "node:assert/strict";
import { type Array, array, grad, jit, linspace, vmap } from "../../mod.ts";
import { hist } from "../../stats/hist.ts";
import { cut } from "../../stats/cut.ts";
import { asimovSignificance } from "../../stats/significance.ts";
import { ndtr } from "../../core/special.ts";

const f64 = (x: number | number[]) => array(x, "float64");
const close = (a: number, b: number, tol: number, what = "") =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what} ${a} vs ${b}`);

/** Central finite difference of a scalar function of one float64 vector, component i. */
function fd(f: (x: number[]) => number, x: number[], i: number, h = 1e-6): number {
  const p = [...x], m = [...x];
  p[i] += h, m[i] -= h;
  return (f(p) - f(m)) / (2 * h);
}

const xs = [0.3, 1.1, 1.45, 2.9, -0.2, 1.7];
const ws = [1, 2, 0.5, 1, 3, 1.5];
const edges = [0, 1, 2, 3];

/** Reference KDE histogram by explicit loops. */
function kdeRef(x: number[], w: number[], e: number[], h: number, clip = false): number[] {
  return e.slice(0, -1).map((lo, j) =>
    x.reduce((acc, xi, i) => {
      const up = clip && j === e.length - 2 ? 1 : ndtr((e[j + 1] - xi) / h);
      const dn = clip && j === 0 ? 0 : ndtr((lo - xi) / h);
      return acc + w[i] * (up - dn);
    }, 0)
  );
}

Deno.test("hist (KDE histogram)", async (t) => {
  await t.step("matches a loop over events and bins, with and without weights and clipping", () => {
    for (const clip of [false, true]) {
      const got = hist(f64(xs), f64(edges), {
        bandwidth: 0.3,
        weights: f64(ws),
        overflow: clip ? "clip" : "drop",
      }).dataSync();
      const want = kdeRef(xs, ws, edges, 0.3, clip);
      want.forEach((v, j) => close(got[j], v, 1e-14, `bin ${j} clip=${clip}`));
    }
    const unweighted = hist(f64(xs), f64(edges), { bandwidth: 0.3 }).dataSync();
    kdeRef(xs, xs.map(() => 1), edges, 0.3).forEach((v, j) => close(unweighted[j], v, 1e-14));
  });
  await t.step(
    "small bandwidth gives the ordinary histogram; clip keeps every event's weight",
    () => {
      const h = hist(f64(xs), f64(edges), { bandwidth: 1e-4, weights: f64(ws) }).dataSync();
      // Hard counts: [0,1): 0.3 (1); [1,2): 1.1, 1.45, 1.7 (2 + 0.5 + 1.5); [2,3): 2.9 (1); -0.2 outside.
      [1, 4, 1].forEach((v, j) => close(h[j], v, 1e-9, `bin ${j}`));
      const clipped = hist(f64(xs), f64(edges), {
        bandwidth: 0.3,
        weights: f64(ws),
        overflow: "clip",
      });
      close(clipped.sum().item(), ws.reduce((a, b) => a + b), 1e-14, "total");
    },
  );
  await t.step("gradients in x, weights, bandwidth and edges match finite differences", () => {
    const loss = (x: Array, w: Array, h: Array, e: Array) => {
      const b = hist(x, e, { bandwidth: h, weights: w });
      return b.mul(f64([1, -2, 3])).sum();
    };
    const lossNum = (x: number[], w: number[], h: number, e: number[]) =>
      kdeRef(x, w, e, h).reduce((a, v, j) => a + v * [1, -2, 3][j], 0);
    const [gx, gw, gh, ge] = grad(loss, { argnums: [0, 1, 2, 3] })(
      f64(xs),
      f64(ws),
      f64(0.3),
      f64(edges),
    );
    xs.forEach((_, i) =>
      close(gx.dataSync()[i], fd((x) => lossNum(x, ws, 0.3, edges), xs, i), 1e-7, `x${i}`)
    );
    ws.forEach((_, i) =>
      close(gw.dataSync()[i], fd((w) => lossNum(xs, w, 0.3, edges), ws, i), 1e-7, `w${i}`)
    );
    close(gh.item(), fd(([h]) => lossNum(xs, ws, h, edges), [0.3], 0), 1e-7, "h");
    edges.forEach((_, i) =>
      close(ge.dataSync()[i], fd((e) => lossNum(xs, ws, 0.3, e), edges, i), 1e-7, `e${i}`)
    );
  });
  await t.step("jit and vmap agree with eager", () => {
    const f = (x: Array) => hist(x, linspace(0, 3, 4, { dtype: "float64" }), { bandwidth: 0.3 });
    const eager = f(f64(xs)).dataSync();
    const jitted = jit(f)(f64(xs)).dataSync();
    eager.forEach((v, j) => close(jitted[j], v, 0, `jit bin ${j}`));
    const batched = vmap(f)(array([xs, xs.map((v) => v + 1)], "float64")).tolist() as number[][];
    batched[0].forEach((v, j) => close(v, eager[j], 1e-15, "vmap row 0"));
  });
  await t.step("bad input is a clear error", () => {
    assert.throws(
      () => hist(f64([[1]] as unknown as number[]), f64(edges), { bandwidth: 1 }),
      /x must be 1-D/,
    );
    assert.throws(() => hist(f64(xs), f64([1]), { bandwidth: 1 }), /at least 2 entries/);
    assert.throws(
      () => hist(f64(xs), f64(edges), { bandwidth: 1, weights: f64([1, 2]) }),
      /weights shape \[2\]/,
    );
  });
});

Deno.test("cut (soft selection)", async (t) => {
  await t.step("is the logistic function of the signed distance, above or below", () => {
    const x = [10, 50, 90];
    const above = cut(f64(x), 50, { slope: 0.1 }).dataSync();
    const below = cut(f64(x), 50, { slope: 0.1, keep: "below" }).dataSync();
    x.forEach((v, i) => {
      close(above[i], 1 / (1 + Math.exp(-0.1 * (v - 50))), 1e-15);
      close(below[i], 1 / (1 + Math.exp(-0.1 * (50 - v))), 1e-15);
    });
  });
  await t.step("its derivative in the threshold is −slope·σ(1−σ)", () => {
    const g = grad((t: Array) => cut(f64([40]), t, { slope: 0.5 }).sum())(f64(42)).item();
    const s = 1 / (1 + Math.exp(-0.5 * (40 - 42)));
    close(g, -0.5 * s * (1 - s), 1e-15);
  });
  await t.step("rejects an unknown keep", () => {
    assert.throws(
      () => cut(f64([1]), 0, { keep: "sideways" as "above" }),
      /keep must be "above" or "below"/,
    );
  });
});

Deno.test("asimovSignificance", async (t) => {
  const zRef = (s: number[], b: number[]) =>
    Math.sqrt(s.reduce((acc, si, i) => acc + 2 * ((si + b[i]) * Math.log(1 + si / b[i]) - si), 0));
  const zRefSigma = (s: number, b: number, sig: number) => {
    const v = sig * sig;
    return Math.sqrt(
      2 *
        ((s + b) * Math.log(((s + b) * (b + v)) / (b * b + (s + b) * v)) -
          (b * b / v) * Math.log(1 + (v * s) / (b * (b + v)))),
    );
  };
  await t.step("Cowan's formula per bin, combined in quadrature", () => {
    close(asimovSignificance(f64([5, 10]), f64([100, 50])).item(), zRef([5, 10], [100, 50]), 1e-14);
    // s ≪ b: accurate where the naive formula cancels; Z → s/√b.
    close(asimovSignificance(f64([1e-4]), f64([1e4])).item(), 1e-6, 1e-9);
  });
  await t.step("with background uncertainty", () => {
    close(
      asimovSignificance(f64([5]), f64([100]), { sigmaB: f64([10]) }).item(),
      zRefSigma(5, 100, 10),
      1e-12,
    );
    assert.ok(
      asimovSignificance(f64([5]), f64([100]), { sigmaB: f64([10]) }).item() < zRef([5], [100]),
    );
  });
  await t.step("gradients match finite differences; zero signal gives gradient 0, not NaN", () => {
    const s = [5, 10], b = [100, 50];
    const [gs, gb] = grad((sv: Array, bv: Array) => asimovSignificance(sv, bv), {
      argnums: [0, 1],
    })(f64(s), f64(b));
    s.forEach((_, i) => close(gs.dataSync()[i], fd((x) => zRef(x, b), s, i), 1e-7, `ds${i}`));
    b.forEach((_, i) => close(gb.dataSync()[i], fd((x) => zRef(s, x), b, i), 1e-7, `db${i}`));
    const g0 = grad((sv: Array) => asimovSignificance(sv, f64([10, 10])))(f64([0, 0])).dataSync();
    assert.ok([...g0].every(Number.isFinite), `gradient at s = 0: ${g0}`);
  });
  await t.step("shape mismatch is a clear error", () => {
    assert.throws(
      () => asimovSignificance(f64([1, 2]), f64([1])),
      /s shape \[2\] differs from b shape \[1\]/,
    );
  });
});
