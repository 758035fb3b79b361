/**
 * `norm` (like `jax.scipy.stats.norm`): values against closed forms computed in the test, loc/scale
 * broadcasting, and gradients checked against finite differences in float64.
 */
import assert from "node:assert/strict";
import { array, checkGrads, norm } from "../../mod.ts";
import { ndtr } from "../../core/special.ts";

const close = (got: ArrayLike<number>, want: number[], rtol: number, what: string) =>
  want.forEach((w, i) =>
    assert.ok(
      Math.abs(got[i] - w) <= rtol * Math.abs(w),
      `${what}[${i}]: got ${got[i]}, expected ${w}`,
    )
  );

Deno.test("norm: values with loc and scale", async (t) => {
  const xs = [-3, -0.5, 0, 1.25, 4];
  const loc = 0.5, scale = 2;
  const z = xs.map((x) => (x - loc) / scale);
  const x64 = array(xs, "float64");
  await t.step("cdf and logcdf", () => {
    close(norm.cdf(x64, loc, scale).dataSync(), z.map(ndtr), 1e-15, "cdf");
    close(
      norm.logcdf(x64, loc, scale).dataSync(),
      z.map((v) => Math.log(ndtr(v))),
      1e-14,
      "logcdf",
    );
    // Far in the lower tail log Φ(x) ≈ −x²/2 − log(−x√(2π)); it must not be −∞.
    const far = norm.logcdf(array([-40], "float64")).item();
    assert.ok(Math.abs(far - (-800 - Math.log(40 * Math.sqrt(2 * Math.PI)))) < 1e-3, `${far}`);
  });
  await t.step("pdf and logpdf", () => {
    const lp = z.map((v) => -0.5 * v * v - Math.log(scale) - 0.5 * Math.log(2 * Math.PI));
    close(norm.logpdf(x64, loc, scale).dataSync(), lp, 1e-15, "logpdf");
    close(norm.pdf(x64, loc, scale).dataSync(), lp.map(Math.exp), 1e-15, "pdf");
  });
  await t.step("ppf inverts cdf", () => {
    const p = norm.cdf(x64, loc, scale);
    const back = norm.ppf(p, loc, scale).dataSync();
    xs.forEach((x, i) => assert.ok(Math.abs(back[i] - x) < 1e-12, `ppf(cdf(${x})) = ${back[i]}`));
    assert.ok(Math.abs(norm.ppf(0.975).item() - 1.959963984540054) < 1e-6);
  });
  await t.step("loc and scale broadcast against x", () => {
    const out = norm.cdf(array([[0], [1]], "float64"), array([0, 1, 2], "float64"));
    assert.deepEqual(out.shape, [2, 3]);
    close(
      out.dataSync(),
      [0, -1, -2, 1, 0, -1].map(ndtr), // z = x − loc
      1e-15,
      "broadcast",
    );
  });
  await t.step("float32 by default for JS numbers", () => {
    assert.equal(norm.pdf([0, 1]).dtype, "float32");
  });
});

Deno.test("norm: gradients in x, loc and scale (float64, order 2)", () => {
  const x = array([-2.5, -0.3, 0.7, 3.1], "float64");
  const loc = array([0.2], "float64"), scale = array([1.7], "float64");
  for (const f of [norm.cdf, norm.logcdf, norm.pdf, norm.logpdf]) {
    checkGrads(f, [x, loc, scale], { order: 2, modes: ["fwd", "rev"] });
  }
  checkGrads(norm.ppf, [array([0.05, 0.4, 0.9], "float64"), loc, scale], { order: 2 });
});
