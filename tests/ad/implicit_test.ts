import assert from "node:assert/strict";
import {
  type Array,
  array,
  customRoot,
  grad,
  hessian,
  jacrev,
  jit,
  linearSolve,
  matmul,
  vmap,
} from "../../mod.ts";

const f64 = (x: number | number[] | number[][]) => array(x, "float64");
const A = [[3, 1], [1, 2]];

/** Newton's method on plain numbers for A x + exp(x) = θ (the stationarity of a convex g). */
function newton(theta: number[]): number[] {
  let x = [0, 0];
  for (let it = 0; it < 60; it++) {
    const r = [0, 1].map((i) => A[i][0] * x[0] + A[i][1] * x[1] + Math.exp(x[i]) - theta[i]);
    const j = [[A[0][0] + Math.exp(x[0]), A[0][1]], [A[1][0], A[1][1] + Math.exp(x[1])]];
    const det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
    x = [
      x[0] - (j[1][1] * r[0] - j[0][1] * r[1]) / det,
      x[1] - (-j[1][0] * r[0] + j[0][0] * r[1]) / det,
    ];
  }
  return x;
}

/** The same Newton iteration driven only by the residual function, as a solver sees it. */
function newtonOn(residual: (x: number[]) => number[], x0: number[]): number[] {
  let x = x0;
  for (let it = 0; it < 60; it++) {
    const r = residual(x);
    const j = [[A[0][0] + Math.exp(x[0]), A[0][1]], [A[1][0], A[1][1] + Math.exp(x[1])]];
    const det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
    x = [
      x[0] - (j[1][1] * r[0] - j[0][1] * r[1]) / det,
      x[1] - (-j[1][0] * r[0] + j[0][0] * r[1]) / det,
    ];
  }
  return x;
}

/** Solves a 2×2 linear map by materialising its columns. */
function solve2(map: (x: Array) => Array, b: Array): Array {
  const c0 = map(f64([1, 0])).dataSync(), c1 = map(f64([0, 1])).dataSync();
  const y = b.dataSync();
  const det = c0[0] * c1[1] - c1[0] * c0[1];
  return f64([(c1[1] * y[0] - c1[0] * y[1]) / det, (-c0[1] * y[0] + c0[0] * y[1]) / det]);
}

function makeArgmin(counts: { solve: number; tangent: number }) {
  return (theta: Array) =>
    customRoot(
      (x: Array) => matmul(f64(A), x).add(x.exp()).sub(theta),
      f64([0, 0]),
      (f: (x: Array) => Array, x0: Array) => {
        counts.solve++;
        return f64(newtonOn((x) => [...f(f64(x)).dataSync()], [...x0.dataSync()]));
      },
      (g: (x: Array) => Array, y: Array) => {
        counts.tangent++;
        return solve2(g, y);
      },
    );
}

Deno.test("customRoot", async (t) => {
  await t.step(
    "argmin of a strongly convex g: value and Jacobian match the analytic answer",
    () => {
      const counts = { solve: 0, tangent: 0 };
      const argmin = makeArgmin(counts);
      const theta = [1.5, -0.5];
      const xs = newton(theta);
      const x = argmin(f64(theta)).dataSync();
      assert.ok(Math.abs(x[0] - xs[0]) < 1e-12 && Math.abs(x[1] - xs[1]) < 1e-12);
      // dx*/dθ = (A + diag(exp x*))⁻¹, by the implicit function theorem, inverted by hand.
      const m = [[A[0][0] + Math.exp(xs[0]), A[0][1]], [A[1][0], A[1][1] + Math.exp(xs[1])]];
      const det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
      const inv = [[m[1][1] / det, -m[0][1] / det], [-m[1][0] / det, m[0][0] / det]];
      const jac = jacrev(argmin)(f64(theta)).tolist() as number[][];
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 2; j++) {
          assert.ok(
            Math.abs(jac[i][j] - inv[i][j]) < 1e-12,
            `J[${i}][${j}]`,
          );
        }
      }
    },
  );

  await t.step(
    "the solver runs once per evaluation; the backward pass only solves linear systems",
    () => {
      const counts = { solve: 0, tangent: 0 };
      const argmin = makeArgmin(counts);
      const loss = (th: Array) => argmin(th).square().sum();
      grad(loss)(f64([1.5, -0.5]));
      assert.deepEqual(counts, { solve: 1, tangent: 1 });
    },
  );

  await t.step("gradient matches central finite differences of the full re-solve", () => {
    const argmin = makeArgmin({ solve: 0, tangent: 0 });
    const loss = (th: Array) => argmin(th).square().sum();
    const theta = [0.7, 2.0];
    const g = grad(loss)(f64(theta)).dataSync();
    const lossNum = (th: number[]) => newton(th).reduce((s, v) => s + v * v, 0);
    const h = 1e-6;
    for (let i = 0; i < 2; i++) {
      const p = [...theta], m = [...theta];
      p[i] += h, m[i] -= h;
      const fd = (lossNum(p) - lossNum(m)) / (2 * h);
      assert.ok(Math.abs(g[i] - fd) < 1e-7 * Math.max(1, Math.abs(fd)), `dθ${i}: ${g[i]} vs ${fd}`);
    }
  });

  await t.step("second derivatives (hessian) match finite differences of the gradient", () => {
    const argmin = makeArgmin({ solve: 0, tangent: 0 });
    const loss = (th: Array) => argmin(th).square().sum();
    const theta = [0.7, 2.0];
    const hess = hessian(loss)(f64(theta)).tolist() as number[][];
    const gradAt = (th: number[]) => [...grad(loss)(f64(th)).dataSync()];
    const h = 1e-5;
    for (let j = 0; j < 2; j++) {
      const p = [...theta], m = [...theta];
      p[j] += h, m[j] -= h;
      const gp = gradAt(p), gm = gradAt(m);
      for (let i = 0; i < 2; i++) {
        const fd = (gp[i] - gm[i]) / (2 * h);
        assert.ok(Math.abs(hess[i][j] - fd) < 1e-6, `H[${i}][${j}]: ${hess[i][j]} vs ${fd}`);
      }
    }
  });

  await t.step("works under jit and vmap", () => {
    const argmin = makeArgmin({ solve: 0, tangent: 0 });
    const loss = (th: Array) => argmin(th).square().sum();
    const thetas = [[0.7, 2.0], [1.5, -0.5], [-1, 0.3]];
    const gv = vmap(grad(loss))(f64(thetas)).tolist() as number[][];
    const gj = jit(grad(loss));
    thetas.forEach((th, i) => {
      const ref = [...grad(loss)(f64(th)).dataSync()];
      const viaJit = [...gj(f64(th)).dataSync()];
      for (let k = 0; k < 2; k++) {
        assert.ok(Math.abs(gv[i][k] - ref[k]) < 1e-10, "vmap");
        assert.ok(Math.abs(viaJit[k] - ref[k]) < 1e-12, "jit");
      }
    });
  });

  await t.step("f must map x to a residual of the same structure", () => {
    assert.throws(
      () => customRoot((x: Array) => x.sum(), f64([0, 0]), () => f64([0, 0]), () => f64([0, 0])),
      /customRoot: f's output 0 has shape \[\], its input has shape \[2\]/,
    );
  });
});

Deno.test("linearSolve", async (t) => {
  const solveWith = (s: Array) => (x: Array) => matmul(f64(A).mul(s), x);
  await t.step("solution, and gradients w.r.t. the matrix scale and b", () => {
    const loss = (s: Array, b: Array) =>
      linearSolve(solveWith(s), b, solve2, { symmetric: true }).sum();
    const b = f64([1, 2]);
    // x = A⁻¹b / s; Σx = (1ᵀA⁻¹b)/s; d/ds = −Σx/s; d/db = A⁻¹1 / s (A symmetric).
    const det = A[0][0] * A[1][1] - A[0][1] * A[1][0];
    const ainv = [[A[1][1] / det, -A[0][1] / det], [-A[1][0] / det, A[0][0] / det]];
    const s = 2;
    const sumx = (ainv[0][0] * 1 + ainv[0][1] * 2 + ainv[1][0] * 1 + ainv[1][1] * 2) / s;
    assert.ok(Math.abs(loss(f64(s), b).item() - sumx) < 1e-14);
    const [gs, gb] = grad(loss, { argnums: [0, 1] })(f64(s), b);
    assert.ok(Math.abs(gs.item() - -sumx / s) < 1e-14);
    const want = [(ainv[0][0] + ainv[1][0]) / s, (ainv[0][1] + ainv[1][1]) / s];
    const got = gb.dataSync();
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-14);
  });

  await t.step(
    "reverse mode without transposeSolve on a non-symmetric map is a clear error",
    () => {
      const loss = (b: Array) =>
        linearSolve((x: Array) => matmul(f64([[1, 2], [0, 1]]), x), b, solve2).sum();
      assert.ok(Math.abs(loss(f64([1, 1])).item() - 0) < 1e-14);
      assert.throws(() => grad(loss)(f64([1, 1])), /needs transposeSolve \(or symmetric: true\)/);
    },
  );

  await t.step("a non-symmetric map with transposeSolve gives the right gradient", () => {
    const m = [[1, 2], [0, 1]];
    const loss = (b: Array) =>
      linearSolve((x: Array) => matmul(f64(m), x), b, solve2, { transposeSolve: solve2 }).mul(
        f64([1, 3]),
      ).sum();
    // x = M⁻¹ b, loss = cᵀ M⁻¹ b, gradient M⁻ᵀ c; M⁻¹ = [[1, -2], [0, 1]].
    const g = grad(loss)(f64([1, 1])).dataSync();
    assert.deepEqual([...g], [1, 1]);
  });
});
