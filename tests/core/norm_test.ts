/**
 * `norm` (like `jax.scipy.stats.norm`): values against closed forms computed in the test, loc/scale
 * broadcasting, and gradients checked against finite differences in float64.
 */
import assert from "node:assert/strict";
import { type Array, array, checkGrads, grad, norm } from "../../mod.ts";
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

// References from scipy 1.17.1 (numpy 2.4.6), computed offline with
//   scipy.special.ndtri(p), scipy.stats.norm.sf/logsf/isf(x), and for float32
//   numpy.float32(scipy.special.ndtri(numpy.float64(numpy.float32(p))))
// and pasted here; the tests never run Python.
const NDTRI_F64: [number, number][] = [
  [1e-300, -37.0470962993612],
  [1e-100, -21.273453560965322],
  [1e-20, -9.262340089798409],
  [1e-12, -7.034483825301131],
  [1e-8, -5.612001244174789],
  [1e-3, -3.090232306167813],
  [0.025, -1.9599639845400545],
  [0.3, -0.5244005127080409],
  [0.5, 0],
  [0.7, 0.5244005127080407],
  [0.975, 1.959963984540054],
  [0.9999999999, 6.361340889697422],
  [0.9999999, 5.199337582290661],
];
const NDTRI_F32: [number, number][] = [
  [1e-8, -5.612001419067383],
  [1e-20, -9.262340545654297],
  [1e-30, -11.464024543762207],
  [1e-38, -12.962359428405762],
  [0.025, -1.9599640369415283],
  [0.3, -0.5244004726409912],
  [0.975, 1.959964394569397],
];
const SF: [number, number, number][] = [ // x, sf(x), logsf(x)
  [-3, 0.9986501019683699, -0.0013508099647481925],
  [0, 0.5, -0.6931471805599453],
  [1.959963984540054, 0.025, -3.6888794541139367],
  [5, 2.866515718791933e-07, -15.064998393988727],
  [10, 7.61985302416047e-24, -53.23128515051248],
];
const ISF: [number, number][] = [
  [0.5, 0],
  [0.025, 1.9599639845400545],
  [2.866515718791939e-7, 5.0],
  [1e-20, 9.262340089798409],
  [1e-300, 37.0470962993612],
];

Deno.test("norm: quantiles and survival functions in the tails (scipy references)", async (t) => {
  const col = (rows: number[][], k: number) => rows.map((r) => r[k]);
  await t.step("ppf (ndtri) in float64, to 2 ulp, both tails", () => {
    const got = norm.ppf(array(col(NDTRI_F64, 0), "float64")).dataSync();
    close(got, col(NDTRI_F64, 1), 5e-16, "ppf f64");
  });
  await t.step("ppf in float32 keeps the lower tail (was -Infinity below 6e-8)", () => {
    const got = norm.ppf(array(col(NDTRI_F32, 0), "float32"));
    assert.equal(got.dtype, "float32");
    close(got.dataSync(), col(NDTRI_F32, 1), 1.2e-7, "ppf f32");
  });
  await t.step("edges: 0, 1, outside [0, 1], NaN", () => {
    const got = norm.ppf(array([0, 1, -0.1, 1.5, NaN], "float64")).dataSync();
    assert.deepEqual([...got], [-Infinity, Infinity, NaN, NaN, NaN]);
  });
  await t.step("sf, logsf, isf", () => {
    const x = array(col(SF, 0), "float64");
    // erfc(z·√½): rounding z·√½ costs ~z²·2⁻⁵² relative at z = 10.
    close(norm.sf(x).dataSync(), col(SF, 1), 1e-14, "sf");
    close(norm.logsf(x).dataSync(), col(SF, 2), 2e-15, "logsf");
    close(norm.logsf(array([38], "float64")).dataSync(), [-726.5572160188201], 1e-14, "logsf 38");
    close(norm.isf(array(col(ISF, 0), "float64")).dataSync(), col(ISF, 1), 5e-16, "isf");
  });
  await t.step("loc and scale", () => {
    const args = [2, 3] as const;
    close(
      norm.ppf(array([1e-12], "float64"), ...args).dataSync(),
      [-19.103451475903395],
      1e-15,
      "ppf",
    );
    close(
      norm.isf(array([1e-12], "float64"), ...args).dataSync(),
      [23.103451475903395],
      1e-15,
      "isf",
    );
    close(norm.sf(array([7], "float64"), ...args).dataSync(), [0.0477903522728147], 1e-15, "sf");
    close(
      norm.logsf(array([40], "float64"), ...args).dataSync(),
      [-83.68627305761765],
      1e-15,
      "logsf",
    );
  });
  await t.step("gradients (float64, order 2), including far in the tail", () => {
    const loc = array([0.2], "float64"), scale = array([1.7], "float64");
    checkGrads(norm.isf, [array([0.05, 0.4, 0.9], "float64"), loc, scale], { order: 2 });
    for (const f of [norm.sf, norm.logsf]) {
      checkGrads(f, [array([-2.5, 0.7, 6], "float64"), loc, scale], { order: 2 });
    }
    // d ppf/dp = 1/φ(ppf(p)) at p = 1e-20: exact, where finite differences cannot reach.
    const g = grad((p: Array) => norm.ppf(p))(array(1e-20, "float64")).item();
    const z = -9.262340089798409;
    const want = Math.sqrt(2 * Math.PI) * Math.exp(z * z / 2);
    assert.ok(Math.abs(g - want) <= 1e-13 * want, `${g} vs ${want}`);
  });
});
