/**
 * A tour of zgrad's transforms: grad, vmap, jit, makeJaxpr, customVjp and customRoot.
 *
 * Run: `deno task example` (or `deno run examples/autodiff_tour.ts`).
 *
 * @module
 */
import {
  type Array,
  array,
  clip,
  customRoot,
  customVjp,
  grad,
  hessian,
  jit,
  makeJaxpr,
  matmul,
  sigmoid,
  sin,
  vmap,
} from "../mod.ts";

const f64 = (x: number | number[] | number[][]) => array(x, "float64");

// 1. grad: derivatives of ordinary functions, to any order.
const f = (x: Array) => sin(x).mul(x).sum();
console.log("f(x) = Σ x·sin(x) at x = [1, 2]");
console.log("  ∇f       =", grad(f)(f64([1, 2])).toString());
console.log("  Hessian  =", hessian(f)(f64([1, 2])).toString().replaceAll("\n", "\n             "));

// 2. makeJaxpr: the traced program that every transform works on.
console.log("\nThe jaxpr of ∇f:");
console.log(makeJaxpr(grad(f))(array([1, 2])).toString());

// 3. vmap: per-example gradients of a soft selection, without a loop.
const softCut = (x: Array, cut: Array) => sigmoid(x.sub(cut).mul(10)).sum();
const perEvent = vmap(grad(softCut, { argnums: 1 }), { inAxes: [0, null] });
console.log(
  "\nd(soft cut)/d(threshold) for three events:",
  perEvent(f64([[0.1], [0.5], [0.9]]), f64(0.5)).toString(),
);

// 4. jit: trace once per input signature, then reuse.
const step = jit((x: Array) => x.sub(grad(f)(x).mul(0.1)));
let x = f64([1, 2]);
for (let i = 0; i < 5; i++) x = step(x);
console.log(`\njit: 5 gradient steps, traced ${step.traceCount} time(s): x =`, x.toString());

// 5. customVjp: a gradient you define yourself (here clipped to [-1, 1]).
const clipGradient = customVjp((v: Array) => v);
clipGradient.defvjp((v: Array) => [v, null], (_res: unknown, g: Array) => [clip(g, -1, 1)]);
console.log(
  "\ncustomVjp: d/dx 5·x with the gradient clipped =",
  grad((v: Array) => clipGradient(v).mul(5))(f64(2)).toString(),
);

// 6. customRoot: differentiate through an iterative solver by the implicit function theorem.
// x*(θ) solves A x + x³ = θ; the solver is plain JS Newton iterations, never traced.
const A = f64([[4, 1], [1, 3]]);
const solveNewton = (residual: (x: Array) => Array, x0: Array) => {
  let v = [...x0.dataSync()];
  for (let it = 0; it < 50; it++) {
    const r = residual(f64(v)).dataSync();
    const a = A.tolist() as number[][];
    const j = [[a[0][0] + 3 * v[0] ** 2, a[0][1]], [a[1][0], a[1][1] + 3 * v[1] ** 2]];
    const det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
    v = [
      v[0] - (j[1][1] * r[0] - j[0][1] * r[1]) / det,
      v[1] - (-j[1][0] * r[0] + j[0][0] * r[1]) / det,
    ];
  }
  return f64(v);
};
const tangentSolve = (g: (v: Array) => Array, y: Array) => {
  const c0 = g(f64([1, 0])).dataSync(), c1 = g(f64([0, 1])).dataSync(), b = y.dataSync();
  const det = c0[0] * c1[1] - c1[0] * c0[1];
  return f64([(c1[1] * b[0] - c1[0] * b[1]) / det, (-c0[1] * b[0] + c0[0] * b[1]) / det]);
};
const root = (theta: Array) =>
  customRoot(
    (v: Array) => matmul(A, v).add(v.pow(3)).sub(theta),
    f64([0, 0]),
    solveNewton,
    tangentSolve,
  );
const loss = (theta: Array) => root(theta).square().sum();
console.log("\ncustomRoot: x*(θ) =", root(f64([1, 2])).toString());
console.log("  ∇θ Σ x*² =", grad(loss)(f64([1, 2])).toString());
