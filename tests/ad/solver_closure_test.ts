/**
 * Solvers of customRoot and linearSolve that close over values being differentiated: an opaque
 * solver (JS code reading item()) works under grad/jvp/hessian, reading the closed-over values as
 * primals; a traceable solver is closure-converted (as JAX's custom_root) and also works under jit
 * and vmap; an opaque solver under jit gets an error that says what to do. Values and gradients
 * with respect to the closed-over value are checked against finite differences of the full
 * re-solve in float64.
 */
import assert from "node:assert/strict";
import {
  type Array,
  array,
  customRoot,
  grad,
  hessian,
  jit,
  linearSolve,
  matmul,
  solve,
  SolverClosureError,
  stack,
  vmap,
} from "../../mod.ts";

const f64 = (v: number | number[]) => array(v, "float64");
type Map = (x: Array) => Array;

/** x*(θ) with x³ + x = θ·c: a root whose solver reads θ from its closure for its first guess. */
function rootOpaque(theta: Array, c: Array, calls = { n: 0 }): Array {
  return customRoot(
    (x: Array) => x.pow(3).add(x).sub(theta.mul(c)),
    f64(0),
    (f: Map, _x0: Array) => {
      calls.n++;
      let x = Math.cbrt(theta.item() * c.item()); // closed-over values, read as numbers
      for (let i = 0; i < 60; i++) x -= f(f64(x)).item() / (3 * x * x + 1);
      return f64(x);
    },
    (g: Map, y: Array) => y.div(g(f64(1))),
  );
}

/** The same root with a traceable solver: 30 Newton steps written with array operations only. */
function rootTraceable(theta: Array, c: Array): Array {
  return customRoot(
    (x: Array) => x.pow(3).add(x).sub(theta.mul(c)),
    f64(0),
    (f: Map, _x0: Array) => {
      let x = theta.mul(c).div(2); // closed-over traced values
      for (let i = 0; i < 30; i++) x = x.sub(f(x).div(x.square().mul(3).add(1)));
      return x;
    },
    (g: Map, y: Array) => y.div(g(f64(1))),
  );
}

/** Plain-number solution of x³ + x = v. */
function solveCubic(v: number): number {
  let x = Math.cbrt(v);
  for (let i = 0; i < 80; i++) x -= (x ** 3 + x - v) / (3 * x * x + 1);
  return x;
}
const fd = (g: (t: number) => number, t: number, h = 1e-6) => (g(t + h) - g(t - h)) / (2 * h);
const near = (got: number, want: number, tol: number, what: string) =>
  assert.ok(
    Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)),
    `${what}: ${got} vs ${want}`,
  );

Deno.test("customRoot: a solver closing over the differentiated value", async (t) => {
  const c = f64(1.5), th = 2.3;
  const want = solveCubic(th * 1.5);
  const dWant = fd((v) => solveCubic(v * 1.5), th);
  await t.step("opaque solver under grad: value and gradient vs finite differences", () => {
    const calls = { n: 0 };
    assert.ok(Math.abs(rootOpaque(f64(th), c).item() - want) < 1e-14);
    const g = grad((v: Array) => rootOpaque(v, c, calls))(f64(th)).item();
    near(g, dWant, 1e-8, "dx*/dθ");
    assert.equal(calls.n, 1); // the solver runs once, reading θ's primal
    // The gradient w.r.t. c, which the solver also reads.
    const gc = grad((cc: Array) => rootOpaque(f64(th), cc))(c).item();
    near(gc, fd((v) => solveCubic(th * v), 1.5), 1e-8, "dx*/dc");
  });
  await t.step("opaque solver under hessian (nested JVP tracers read as primals)", () => {
    const h = hessian((v: Array) => rootOpaque(v, c))(f64(th)).item();
    const d2 = fd((v) => fd((u) => solveCubic(u * 1.5), v, 1e-4), th, 1e-4);
    near(h, d2, 1e-5, "d²x*/dθ²");
  });
  await t.step("traceable solver: closure-converted under jit and vmap", () => {
    const g = grad((v: Array) => rootTraceable(v, c));
    near(rootTraceable(f64(th), c).item(), want, 1e-14, "value");
    near(g(f64(th)).item(), dWant, 1e-8, "grad");
    near(jit(g)(f64(th)).item(), dWant, 1e-8, "jit(grad)");
    near(jit((v: Array) => rootTraceable(v, c))(f64(th)).item(), want, 1e-14, "jit value");
    const thetas = [0.5, 2.3, -1.2];
    const gv = vmap(g)(f64(thetas)).dataSync();
    thetas.forEach((v, i) => near(gv[i], fd((u) => solveCubic(u * 1.5), v), 1e-8, `vmap ${i}`));
    const xv = vmap((v: Array) => rootTraceable(v, c))(f64(thetas)).dataSync();
    thetas.forEach((v, i) => near(xv[i], solveCubic(v * 1.5), 1e-14, `vmap value ${i}`));
  });
  await t.step("opaque solver under jit or vmap: an error that says what to do", () => {
    for (
      const run of [
        () => jit((v: Array) => rootOpaque(v, c))(f64(th)),
        () => jit(grad((v: Array) => rootOpaque(v, c)))(f64(th)),
        () => vmap((v: Array) => rootOpaque(v, c))(f64([1, 2])),
      ]
    ) {
      assert.throws(run, SolverClosureError);
      assert.throws(run, /make the solve traceable/);
    }
  });
});

Deno.test("linearSolve: solvers closing over the differentiated matrix", async (t) => {
  // A(s) = [[2 + s, 1], [1, 3]] (symmetric); loss(s) = Σ A(s)⁻¹ b.
  const b = f64([1, 2]);
  const mat = (s: Array) => stack([stack([s.add(2), f64(1)]), f64([1, 3])]);
  const lossNum = (s: number) => {
    const a = [[2 + s, 1], [1, 3]], det = a[0][0] * a[1][1] - 1;
    return (a[1][1] * 1 - 2 + (-1 + a[0][0] * 2)) / det;
  };
  const traceable = (s: Array) =>
    linearSolve((x: Array) => matmul(mat(s), x), b, (_mv: Map, rhs: Array) => solve(mat(s), rhs), {
      symmetric: true,
    }).sum();
  const opaque = (s: Array) =>
    linearSolve((x: Array) => matmul(mat(s), x), b, (_mv: Map, rhs: Array) => {
      const a = 2 + s.item(), det = 3 * a - 1, r = rhs.dataSync(); // reads s as a number
      return f64([(3 * r[0] - r[1]) / det, (-r[0] + a * r[1]) / det]);
    }, { symmetric: true }).sum();
  const s0 = 0.7;
  await t.step("values and gradients vs finite differences", () => {
    for (const [name, f] of [["traceable", traceable], ["opaque", opaque]] as const) {
      near(f(f64(s0)).item(), lossNum(s0), 1e-14, `${name} value`);
      near(grad(f)(f64(s0)).item(), fd(lossNum, s0), 1e-8, `${name} grad`);
    }
    near(jit(grad(traceable))(f64(s0)).item(), fd(lossNum, s0), 1e-8, "jit(grad) traceable");
    const gv = vmap(grad(traceable))(f64([s0, 1.9])).dataSync();
    near(gv[1], fd(lossNum, 1.9), 1e-8, "vmap(grad) traceable");
    assert.throws(() => jit(grad(opaque))(f64(s0)), SolverClosureError);
  });
});
