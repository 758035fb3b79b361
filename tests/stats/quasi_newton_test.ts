import assert from "node:assert/strict";
import { random } from "../../mod.ts";
import { fromPyhf, testStatistic } from "../../stats/mod.ts";
import type { BatchObjective } from "../../stats/batch.ts";
import { invertSymmetric } from "../../stats/dense.ts";
import { fixInInverses, quasiNewtonBatch } from "../../stats/quasi_newton.ts";
import { quasiNewtonTestStatistics } from "../../stats/toy_teststat.ts";
import { sampleToys } from "../../stats/toys.ts";
import { realisticWorkspace } from "./realistic_models.ts";

/** f_r(x) = ½ (x − c_r)ᵀ A (x − c_r) + ¼ Σ (x − c_r)⁴: convex, minimum c_r, Hessian A at c_r. */
function quartic(A: number[][], centres: number[][]): BatchObjective {
  const P = A.length;
  const at = (r: number, x: Float64Array): [number, Float64Array] => {
    const d = x.map((v, j) => v - centres[r][j]);
    const g = new Float64Array(P);
    let f = 0;
    for (let i = 0; i < P; i++) {
      let ad = 0;
      for (let j = 0; j < P; j++) ad += A[i][j] * d[j];
      f += 0.5 * d[i] * ad + 0.25 * d[i] ** 4;
      g[i] = ad + d[i] ** 3;
    }
    return [f, g];
  };
  return {
    nparams: P,
    values: (rows, xs) =>
      Float64Array.from(rows, (r, i) => at(r, xs.subarray(i * P, (i + 1) * P))[0]),
    valuesAndGrads(rows, xs) {
      const v = new Float64Array(rows.length), g = new Float64Array(rows.length * P);
      rows.forEach((r, i) => {
        const [f, gr] = at(r, xs.subarray(i * P, (i + 1) * P));
        v[i] = f;
        g.set(gr, i * P);
      });
      return [v, g];
    },
    hessians: () => {
      throw new Error("the quasi-Newton fits never ask for a Hessian");
    },
  };
}

const A = [[4, 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 2]];

Deno.test("quasiNewtonBatch: minima of many rows from one (wrong) Hessian, bounds held", () => {
  // Row 2's centre lies beyond the upper bound of x₀: its minimum is on that bound.
  const centres = [[0.3, -0.2, 0.1], [1.5, 0.7, -1.2], [3, 0.5, 0.5]];
  const H = Float64Array.from(A.flat(), (v) => 1.7 * v); // 70% off: the updates must fix it
  const r = quasiNewtonBatch({
    objective: quartic(A, centres),
    rows: Int32Array.of(0, 1, 2),
    x0: new Float64Array(9),
    hessian: H,
    lower: [-5, -5, -5],
    upper: [2, 5, 5],
    fixed: [false, false, false],
  });
  assert.deepEqual([...r.converged], [1, 1, 1]);
  for (const row of [0, 1]) {
    for (let j = 0; j < 3; j++) {
      assert.ok(Math.abs(r.x[row * 3 + j] - centres[row][j]) < 1e-6, `row ${row}, x${j}`);
    }
  }
  // Row 2: x₀ = 2, and the others minimise with x₀ held there (gradient zero in them).
  assert.equal(r.x[6], 2);
  const g = quartic(A, centres).valuesAndGrads(Int32Array.of(2), r.x.slice(6, 9))[1];
  assert.ok(g[0] < 0, "the bound holds x0 against its gradient");
  assert.ok(Math.abs(g[1]) < 1e-6 && Math.abs(g[2]) < 1e-6, `free gradient ${g}`);
  assert.ok(r.evaluations.every((n) => n < 40), `evaluations ${r.evaluations}`);
});

Deno.test("quasiNewtonBatch: fixed parameters stay; non-convergence is reported", () => {
  const centres = [[1, 1, 1]];
  const common = {
    objective: quartic(A, centres),
    rows: Int32Array.of(0),
    x0: Float64Array.of(0.5, 0, 0),
    hessian: Float64Array.from(A.flat()),
    lower: [-5, -5, -5],
    upper: [5, 5, 5],
  };
  const r = quasiNewtonBatch({ ...common, fixed: [true, false, false] });
  assert.equal(r.converged[0], 1);
  assert.equal(r.x[0], 0.5);
  const short = quasiNewtonBatch({ ...common, fixed: [false, false, false], maxIter: 2 });
  assert.equal(short.converged[0], 0);
});

Deno.test("fixInInverses: the Schur complement is the inverse of the reduced Hessian", () => {
  const P = 3, q = 1;
  const B = invertSymmetric(A.flat(), P)!.inverse;
  const fixed = Float64Array.from(B);
  const slopes = fixInInverses(fixed, P, q);
  const reduced = invertSymmetric([A[0][0], A[0][2], A[2][0], A[2][2]], 2)!.inverse;
  const want = [reduced[0], 0, reduced[1], 0, 0, 0, reduced[2], 0, reduced[3]];
  want.forEach((v, i) => assert.ok(Math.abs(fixed[i] - v) < 1e-12, `entry ${i}`));
  for (let i = 0; i < P; i++) assert.ok(Math.abs(slopes[i] - B[i * P + q] / B[q * P + q]) < 1e-15);
});

Deno.test("quasiNewtonTestStatistics: every toy settled, the Newton fitter's statistics", async (t) => {
  const m = fromPyhf(realisticWorkspace({ bins: 16, crBins: 4, nNormsys: 8, nHistosys: 4 }));
  const poi = m.poiIndex!;
  for (const [name, mu, genMu] of [["qmutilde", 1, 0], ["qmutilde", 1, 1], ["q0", 0, 1]] as const) {
    await t.step(`${name} at ${mu}, toys drawn at mu = ${genMu}`, () => {
      const gen = m.suggestedInit.map((v, i) => (i === poi ? genMu : v));
      const toys = sampleToys(m, gen, 24, random.key(11));
      const r = quasiNewtonTestStatistics(name, mu, toys, m, {}, gen);
      assert.ok(r.converged.every((c) => c === 1), `settled: ${r.converged}`);
      // Far fewer evaluations than Newton's (a Hessian per iteration besides the gradients).
      assert.ok(r.evaluations / 24 < 40, `${r.evaluations / 24} gradients per toy`);
      for (let i = 0; i < 24; i++) {
        const q = testStatistic(name, mu, toys.slice(i), m).value;
        assert.ok(Math.abs(q - r.values[i]) < 1e-8, `toy ${i}: ${r.values[i]} vs ${q}`);
      }
    });
  }
});
