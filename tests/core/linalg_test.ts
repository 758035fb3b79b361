/**
 * Tests for the dense linear algebra (core/ops/linalg.ts, core/primitives/linalg.ts and the rules
 * in ad/rules/*_linalg.ts).
 *
 * Value references were generated offline with Python 3 + numpy (float64) by `np.linalg.cholesky`,
 * `np.linalg.solve`, `np.linalg.inv`, `np.linalg.slogdet`, `np.linalg.det`, `np.diagonal`,
 * `np.trace`; triangular solves as `np.linalg.solve(op(T), B)` with `T = np.tril(M)` or
 * `np.triu(M)`, its diagonal set to 1 for `unitDiagonal`, and `op(T) = T.T` for `transposeA`.
 * Numbers were printed with `repr(float(v))` (17 significant digits).
 *
 * Derivatives are checked against central finite differences of the eager functions in float64,
 * against closed forms (∇ log|det G| = G⁻ᵀ, ∂²/∂G_ij∂G_kl log|det G| = −(G⁻¹)_jk (G⁻¹)_li), and
 * against numpy-evaluated closed forms for scalar second derivatives (see SECOND_ORDER below).
 */
import assert from "node:assert/strict";
import {
  add,
  Array as ZArray,
  array,
  cholesky,
  choleskySolve,
  cos,
  det,
  diagonal,
  eye,
  grad,
  hessian,
  inv,
  jit,
  jvp,
  matmul,
  mul,
  type NestedNumbers,
  sin,
  slice,
  slogdet,
  solve,
  stack,
  sum,
  trace,
  triangularSolve,
  vjp,
  vmap,
} from "../../mod.ts";
import { P } from "../../core/primitives/mod.ts";
import { bind1 } from "../../core/trace.ts";

// ---------------------------------------------------------------------------------------------
// Helpers

type Array = ZArray;

const f64 = (x: NestedNumbers): Array => array(x, "float64");

function fromData(data: Float64Array, shape: readonly number[]): Array {
  return array(data, "float64", { shape });
}

/** Asserts |got − want| ≤ tol · max(1, |want|) elementwise (NaN matches NaN, inf matches inf). */
function assertClose(
  got: Array,
  want: Array | NestedNumbers | Float64Array | number,
  tol: number,
  what: string,
): void {
  const g = got.dataSync();
  let w: ArrayLike<number>;
  if (typeof want === "number") w = [want];
  else if (want instanceof Float64Array) w = want;
  else if (want instanceof ZArray) {
    assert.deepEqual([...got.shape], [...want.shape], `${what}: shape`);
    w = want.dataSync();
  } else {
    const ref = f64(want);
    assert.deepEqual([...got.shape], [...ref.shape], `${what}: shape`);
    w = ref.dataSync();
  }
  assert.equal(g.length, w.length, `${what}: number of elements`);
  for (let i = 0; i < w.length; i++) {
    const [gi, wi] = [g[i], w[i]];
    if (Number.isNaN(wi) || !Number.isFinite(wi)) {
      assert.ok(Object.is(gi, wi), `${what}[${i}]: got ${gi}, expected ${wi}`);
      continue;
    }
    const err = Math.abs(gi - wi);
    assert.ok(
      err <= tol * Math.max(1, Math.abs(wi)),
      `${what}[${i}]: got ${gi}, expected ${wi} (error ${err.toExponential(2)} > tol ${tol})`,
    );
  }
}

/** A deterministic pseudo-random stream in [-1, 1) (an LCG; test data only). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** Pseudo-random float64 array of `shape`, entries uniform in [-1, 1). */
function uniform(shape: number[], seed: number): Array {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return fromData(Float64Array.from({ length: n }, r), shape);
}

/** Random well-conditioned (diagonally dominant) matrices [..., n, n]. */
function wellConditioned(shape: number[], seed: number): Array {
  const n = shape[shape.length - 1];
  return add(uniform(shape, seed), mul(eye(n, n, 0, "float64"), n + 1));
}

/** (f(x + h v) − f(x − h v)) / 2h for several arguments moved together. */
function fdJvp(f: (...xs: Array[]) => Array, xs: Array[], vs: Array[], h = 1e-6): Float64Array {
  const plus = f(...xs.map((x, i) => add(x, mul(vs[i], h)))).dataSync();
  const minus = f(...xs.map((x, i) => add(x, mul(vs[i], -h)))).dataSync();
  return Float64Array.from(plus, (p, i) => (p - minus[i]) / (2 * h));
}

/** Unit vector e_i shaped like x. */
function basis(x: Array, i: number): Array {
  const d = new Float64Array(x.size);
  d[i] = 1;
  return fromData(d, x.shape);
}

/** Central-difference Jacobian of f at x, laid out [f(x).shape..., x.shape...]. */
function fdJacobian(f: (x: Array) => Array, x: Array, h = 1e-6): Float64Array {
  const cols = globalThis.Array.from({ length: x.size }, (_, j) => fdJvp(f, [x], [basis(x, j)], h));
  const m = cols[0].length;
  return Float64Array.from(
    { length: m * x.size },
    (_, k) => cols[k % x.size][Math.floor(k / x.size)],
  );
}

/** Central-difference gradient of scalar f at x (shaped like x). */
const fdGrad = (f: (x: Array) => Array, x: Array): Float64Array => fdJacobian(f, x);

/** Applies f to each slice along axis 0 of the batched arguments (null = shared) and stacks. */
function loop(f: (...xs: Array[]) => Array, args: (Array | [Array])[], n: number): Array {
  const outs = globalThis.Array.from(
    { length: n },
    (_, i) => f(...args.map((a) => (globalThis.Array.isArray(a) ? a[0] : slice(a, i)))),
  );
  return stack(outs);
}

// ---------------------------------------------------------------------------------------------
// Fixtures (float64)

const A = [[4, 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 2]]; // symmetric positive definite
const A2 = [[2, 0.3, 0.1], [0.3, 1, -0.2], [0.1, -0.2, 1.5]];
const G = [[0.3, 2.0, -1.0], [1.5, -0.7, 0.4], [-0.2, 0.9, 1.1]]; // general, det < 0
const G2 = [[2, -1, 0], [1, 1, 3], [0.5, 0, -2]];
const B = [[1, -2], [0.5, 3], [2, 1]];
const b = [1, -1, 2];
const M = [[2, 0.7, -1.2], [0.5, -3, 0.6], [1.5, 0.25, 4]]; // both triangles used by the tests

const CHOL_A = [[2.0, 0.0, 0.0], [0.5, 1.6583123951777, 0.0], [
  0.25,
  0.04522670168666455,
  1.391206147720224,
]];
const CHOL_A2 = [[1.4142135623730951, 0.0, 0.0], [0.21213203435596423, 0.9772410142846032, 0.0], [
  0.07071067811865475,
  -0.22000713934155988,
  1.2027455502469104,
]];
const SOLVE_G_b = [-0.4332202036334598, 1.0181672988620485, 0.9063685366340588];
const SOLVE_G2_b = [0.8, 0.6000000000000001, -0.8];
const SOLVE_G_B = [[0.4951088041525254, 1.3855060890397284], [
  0.9792373727290877,
  -0.4451986424436016,
], [1.107007386703933, 1.5252545418247154]];
const SOLVE_G2_B = [[1.2, 0.6666666666666665], [1.4, 3.333333333333333], [
  -0.7000000000000001,
  -0.33333333333333337,
]];
const INV_G = [
  [0.22559393092433616, 0.6188860051906568, -0.0199640646835696],
  [0.3453783190257536, -0.025953284088640425, 0.32341784787382716],
  [-0.24156518267119187, 0.13375923337991616, 0.6408464763425834],
];
const INV_G2 = [[0.26666666666666666, 0.26666666666666666, 0.4], [
  -0.4666666666666667,
  0.5333333333333333,
  0.8,
], [0.06666666666666668, 0.06666666666666667, -0.4]];
const SLOGDET_GB = { sign: [-1.0, -1.0], logabsdet: [1.6112362943754797, 2.0149030205422647] };
const DET_GB = [-5.0089999999999995, -7.499999999999999];
const CHOSOLVE_A_b = [0.2470643494598403, -0.4814466885861907, 0.986378581493659];
/** np.linalg.solve(op(T), B) for each [lower, transposeA, unitDiagonal]. */
const TRI: [boolean, boolean, boolean, number[][]][] = [
  [true, false, false, [[0.5, -1.0], [-0.08333333333333333, -1.1666666666666665], [
    0.31770833333333337,
    0.6979166666666667,
  ]]],
  [true, false, true, [[1.0, -2.0], [0.0, 4.0], [0.49999999999999994, 3.0000000000000004]]],
  [true, true, false, [[0.15625, -0.9427083333333334], [-0.125, -0.9791666666666666], [0.5, 0.25]]],
  [true, true, true, [[-2.0, -4.875], [0.0, 2.75], [2.0, 1.0]]],
  [false, false, false, [[0.8233333333333334, -0.5175], [-0.06666666666666667, -0.95], [
    0.5,
    0.25,
  ]]],
  [false, false, true, [[3.8899999999999997, -2.48], [-0.7, 2.4], [2.0, 1.0]]],
  [false, true, false, [[0.5, -1.0], [-0.05, -1.2333333333333334], [0.6575, 0.135]]],
  [false, true, true, [[1.0000000000000002, -2.0], [-0.20000000000000018, 4.4], [
    3.3200000000000003,
    -4.04,
  ]]],
];

const TOL = 1e-13; // float64 values against numpy
const FD_TOL = 1e-7; // central differences with h = 1e-6 in float64

// ---------------------------------------------------------------------------------------------

Deno.test("linalg values match numpy (float64)", async (t) => {
  await t.step("cholesky, single and batched", () => {
    assertClose(cholesky(f64(A)), CHOL_A, TOL, "cholesky(A)");
    assertClose(cholesky(f64([A, A2])), [CHOL_A, CHOL_A2], TOL, "cholesky([A, A2])");
    // L Lᵀ reproduces A (independent of the reference).
    const l = cholesky(f64(A));
    assertClose(matmul(l, l.transpose()), A, TOL, "L Lᵀ");
  });

  await t.step("cholesky symmetrises its input and gives NaNs when not positive definite", () => {
    const skew = [[0, 0.3, -0.2], [-0.3, 0, 0.1], [0.2, -0.1, 0]];
    assertClose(cholesky(add(f64(A), f64(skew))), CHOL_A, TOL, "cholesky(A + skew)");
    const indefinite = f64([[[1, 2], [2, 1]], [[4, 2], [2, 5]]]);
    assertClose(cholesky(indefinite), [[[NaN, NaN], [NaN, NaN]], [[2, 0], [1, 2]]], TOL, "chol");
  });

  await t.step("triangularSolve reads one triangle, all flag combinations", () => {
    for (const [lower, transposeA, unitDiagonal, want] of TRI) {
      const flags = { lower, transposeA, unitDiagonal };
      const what = `triangularSolve ${JSON.stringify(flags)}`;
      assertClose(triangularSolve(f64(M), f64(B), flags), want, TOL, what);
      // A vector right-hand side gives the first column.
      const col = want.map((r) => r[0]);
      assertClose(triangularSolve(f64(M), f64(B.map((r) => r[0])), flags), col, TOL, what);
    }
  });

  await t.step("triangularSolve defaults to lower, not transposed", () => {
    assertClose(triangularSolve(f64(M), f64(B)), TRI[0][3], TOL, "default flags");
  });

  await t.step("solve: vector, matrix, batched and broadcast right-hand sides", () => {
    assertClose(solve(f64(G), f64(b)), SOLVE_G_b, TOL, "solve(G, b)");
    assertClose(solve(f64(G), f64(B)), SOLVE_G_B, TOL, "solve(G, B)");
    assertClose(solve(f64([G, G2]), f64(b)), [SOLVE_G_b, SOLVE_G2_b], TOL, "solve([G,G2], b)");
    assertClose(solve(f64([G, G2]), f64(B)), [SOLVE_G_B, SOLVE_G2_B], TOL, "solve([G,G2], B)");
    // Batch axes broadcast: a [2,1,3,3] with b [3,3,2] gives [2,3,3,2].
    const out = solve(f64([[G], [G2]]), f64([B, B, B]));
    assertClose(
      out,
      [[SOLVE_G_B, SOLVE_G_B, SOLVE_G_B], [SOLVE_G2_B, SOLVE_G2_B, SOLVE_G2_B]],
      TOL,
      "bcast",
    );
  });

  await t.step("inv, slogdet, det", () => {
    assertClose(inv(f64(G)), INV_G, TOL, "inv(G)");
    assertClose(inv(f64([G, G2])), [INV_G, INV_G2], TOL, "inv([G, G2])");
    const [sign, logabsdet] = slogdet(f64([G, G2]));
    assertClose(sign, SLOGDET_GB.sign, 0, "slogdet sign");
    assertClose(logabsdet, SLOGDET_GB.logabsdet, TOL, "slogdet logabsdet");
    assertClose(det(f64([G, G2])), DET_GB, TOL, "det");
    // A permutation with det = -1 (pivoting must flip the sign) and the 0×0 convention-free case.
    const [s1, l1] = slogdet(f64([[0, 1, 0], [0, 0, 1], [1, 0, 0]]));
    assertClose(s1, 1, 0, "sign of a cyclic permutation");
    assertClose(l1, 0, TOL, "log|det| of a permutation");
    const [s2] = slogdet(f64([[0, 1], [1, 0]]));
    assertClose(s2, -1, 0, "sign of a swap");
  });

  await t.step("singular matrices: slogdet (0, -inf), det 0, solve non-finite", () => {
    const singular = f64([[1, 2, 3], [2, 4, 6], [1, 0, 1]]);
    const [sign, logabsdet] = slogdet(singular);
    assertClose(sign, 0, 0, "sign");
    assertClose(logabsdet, -Infinity, 0, "logabsdet");
    assertClose(det(singular), 0, 0, "det");
    const x = solve(f64([[1, 2], [2, 4]]), f64([1, 1])).dataSync();
    assert.ok(x.some((v) => !Number.isFinite(v)), `solve of a singular matrix gave ${x}`);
  });

  await t.step("choleskySolve", () => {
    assertClose(choleskySolve(cholesky(f64(A)), f64(b)), CHOSOLVE_A_b, TOL, "choleskySolve");
    const two = choleskySolve(cholesky(f64(A)), f64(b.map((v) => [v, 2 * v])));
    assertClose(two, CHOSOLVE_A_b.map((v) => [v, 2 * v]), TOL, "two columns");
  });

  await t.step("diagonal and trace follow numpy's offset/axes conventions", () => {
    const x = array(Float64Array.from({ length: 24 }, (_, i) => i), "float64", {
      shape: [2, 3, 4],
    });
    assertClose(diagonal(x), [[0, 16], [1, 17], [2, 18], [3, 19]], 0, "diagonal(x)");
    assertClose(diagonal(x, 1, 1, 2), [[1, 6, 11], [13, 18, 23]], 0, "diagonal(x, 1, 1, 2)");
    assertClose(diagonal(x, -1, -1, -2), [[1, 6, 11], [13, 18, 23]], 0, "diagonal(x,-1,-1,-2)");
    assertClose(diagonal(x, 5, 1, 2), [[], []], 0, "empty diagonal");
    assertClose(trace(x, 0, 1, 2), [15, 51], 0, "trace(x, 0, 1, 2)");
    assertClose(trace(x, 2, 0, 2), [17, 25, 33], 0, "trace(x, 2, 0, 2)");
    assertClose(trace(f64(G)), 0.7, TOL, "trace(G)");
  });

  await t.step("diagonal and trace are differentiable, also under jit", () => {
    const w = f64([[1, -2], [3, 0.5]]);
    const f = (x: Array) => add(sum(mul(diagonal(x, 1, 1, 2), w)), trace(x, 0, -2, -1).sum());
    const x = uniform([2, 3, 3], 61);
    // d/dx[t, i, i+1] = w[t, i]; d/dx[t, i, i] = 1; every other entry 0.
    const want = new Float64Array(18);
    for (let t = 0; t < 2; t++) {
      for (let i = 0; i < 3; i++) want[t * 9 + i * 4] = 1;
      for (let i = 0; i < 2; i++) want[t * 9 + i * 4 + 1] = w.dataSync()[t * 2 + i];
    }
    assertClose(grad(f)(x), want, 0, "grad");
    assertClose(jit(grad(f))(x), want, 0, "jit(grad)");
  });
});

Deno.test("linalg dtypes", async (t) => {
  await t.step("float32 in, float32 out, close to the float64 reference", () => {
    const l = cholesky(array(A, "float32"));
    assert.equal(l.dtype, "float32");
    assertClose(l, CHOL_A, 1e-6, "cholesky f32");
    const x = solve(array(G, "float32"), array(B, "float32"));
    assert.equal(x.dtype, "float32");
    assertClose(x, SOLVE_G_B, 1e-5, "solve f32");
    const [s, ld] = slogdet(array(G, "float32"));
    assert.equal(ld.dtype, "float32");
    assertClose(s, -1, 0, "sign f32");
    assertClose(ld, SLOGDET_GB.logabsdet[0], 1e-6, "logabsdet f32");
  });

  await t.step("mixed float32/float64 promotes; int32 becomes float32", () => {
    assert.equal(solve(array(G, "float32"), f64(b)).dtype, "float64");
    const xi = solve(array([[2, 0], [0, 4]], "int32"), array([2, 2], "int32"));
    assert.equal(xi.dtype, "float32");
    assertClose(xi, [1, 0.5], 0, "int solve");
  });
});

Deno.test("forward mode (jvp) matches finite differences", async (t) => {
  const dA = uniform([3, 3], 11), dB = uniform([3, 2], 12), db = uniform([3], 13);

  await t.step("cholesky along a non-symmetric direction", () => {
    const [l, tl] = jvp(cholesky, [f64(A)], [dA]);
    assertClose(l, CHOL_A, TOL, "primal");
    assertClose(tl, fdJvp(cholesky, [f64(A)], [dA]), FD_TOL, "tangent");
    // The tangent stays lower triangular.
    assert.deepEqual([tl.dataSync()[1], tl.dataSync()[2], tl.dataSync()[5]], [0, 0, 0]);
  });

  await t.step("the cholesky rule treats the tangent as symmetric (JAX's convention)", () => {
    // The primitive reads one triangle; its rule differentiates along (Ȧ + Ȧᵀ)/2, so a tangent
    // and its symmetric part give the same result (the public `cholesky` symmetrises anyway).
    const prim = (a: Array) => bind1(P.cholesky, [a]);
    const sym = mul(add(dA, dA.transpose()), 0.5);
    const [, t1] = jvp(prim, [f64(A)], [dA]);
    assertClose(t1, jvp(prim, [f64(A)], [sym])[1], 1e-15, "tangent along Ȧ vs sym(Ȧ)");
    assertClose(t1, fdJvp(prim, [f64(A)], [sym]), FD_TOL, "tangent vs FD along sym(Ȧ)");
  });

  await t.step("triangularSolve in both operands, all flags", () => {
    for (const [lower, transposeA, unitDiagonal] of TRI) {
      const f = (m: Array, r: Array) => triangularSolve(m, r, { lower, transposeA, unitDiagonal });
      const what = `triangularSolve ${[lower, transposeA, unitDiagonal]}`;
      const [, tx] = jvp(f, [f64(M), f64(B)], [dA, dB]);
      assertClose(tx, fdJvp(f, [f64(M), f64(B)], [dA, dB]), FD_TOL, what);
      const [, ta] = jvp((m: Array) => f(m, f64(B)), [f64(M)], [dA]);
      assertClose(ta, fdJvp((m) => f(m, f64(B)), [f64(M)], [dA]), FD_TOL, `${what} (a only)`);
    }
  });

  await t.step("solve in a, in b, and in both (vector and matrix b)", () => {
    const [, t1] = jvp(solve, [f64(G), f64(B)], [dA, dB]);
    assertClose(t1, fdJvp(solve, [f64(G), f64(B)], [dA, dB]), FD_TOL, "both, matrix b");
    const [, t2] = jvp(solve, [f64(G), f64(b)], [dA, db]);
    assertClose(t2, fdJvp(solve, [f64(G), f64(b)], [dA, db]), FD_TOL, "both, vector b");
    const fa = (a: Array) => solve(a, f64(b));
    assertClose(jvp(fa, [f64(G)], [dA])[1], fdJvp(fa, [f64(G)], [dA]), FD_TOL, "a only");
    const fb = (r: Array) => solve(f64(G), r);
    assertClose(jvp(fb, [f64(b)], [db])[1], fdJvp(fb, [f64(b)], [db]), FD_TOL, "b only");
  });

  await t.step("slogdet, det, inv, choleskySolve", () => {
    const [[sign, ld], [tsign, tld]] = jvp(slogdet, [f64(G)], [dA]);
    assertClose(sign, -1, 0, "sign");
    assertClose(ld, SLOGDET_GB.logabsdet[0], TOL, "logabsdet");
    assertClose(tsign, 0, 0, "sign tangent");
    assertClose(tld, fdJvp((a) => slogdet(a)[1], [f64(G)], [dA]), FD_TOL, "logabsdet tangent");
    assertClose(jvp(det, [f64(G)], [dA])[1], fdJvp(det, [f64(G)], [dA]), FD_TOL, "det");
    assertClose(jvp(inv, [f64(G)], [dA])[1], fdJvp(inv, [f64(G)], [dA]), FD_TOL, "inv");
    const cs = (a: Array, r: Array) => choleskySolve(cholesky(a), r);
    const [, tcs] = jvp(cs, [f64(A), f64(B)], [dA, dB]);
    assertClose(tcs, fdJvp(cs, [f64(A), f64(B)], [dA, dB]), FD_TOL, "choleskySolve");
  });
});

Deno.test("reverse mode (grad, vjp) matches finite differences", async (t) => {
  await t.step("log|det G| has gradient G⁻ᵀ (numpy inverse)", () => {
    const g = grad((a: Array) => slogdet(a)[1])(f64(G));
    assertClose(g, INV_G[0].map((_, i) => INV_G.map((r) => r[i])), 1e-12, "∇ log|det|");
    assertClose(grad((a: Array) => det(a))(f64(G)), fdGrad(det, f64(G)), FD_TOL, "∇ det");
  });

  await t.step("sum(solve(A(x), b(x))) with both operands depending on x", () => {
    // A(x) = x + 4I, b(x) = x @ [1, -2, 0.5] + sin(x[0]) (x is 3×3).
    const f = (x: Array) => {
      const a = add(x, mul(eye(3, 3, 0, "float64"), 4));
      const r = add(matmul(x, f64([1, -2, 0.5])), sin(slice(x, 0)));
      return sum(solve(a, r));
    };
    const x = uniform([3, 3], 21);
    assertClose(grad(f)(x), fdGrad(f, x), FD_TOL, "grad");
  });

  await t.step("sum(cholesky(X Xᵀ + I))", () => {
    const f = (x: Array) => sum(cholesky(add(matmul(x, x.transpose()), eye(3, 3, 0, "float64"))));
    const x = uniform([3, 3], 22);
    assertClose(grad(f)(x), fdGrad(f, x), FD_TOL, "grad");
  });

  await t.step("weighted triangularSolve in both operands, all flags", () => {
    const w = uniform([3, 2], 23);
    for (const [lower, transposeA, unitDiagonal] of TRI) {
      const flags = { lower, transposeA, unitDiagonal };
      const f = (m: Array, r: Array) => sum(mul(triangularSolve(m, r, flags), w));
      const [gm, gr] = grad(f, { argnums: [0, 1] })(f64(M), f64(B));
      const what = `triangularSolve ${JSON.stringify(flags)}`;
      assertClose(gm, fdGrad((m) => f(m, f64(B)), f64(M)), FD_TOL, `${what} ∇a`);
      assertClose(gr, fdGrad((r) => f(f64(M), r), f64(B)), FD_TOL, `${what} ∇b`);
    }
  });

  await t.step("vjp of solve with a matrix cotangent; inv; choleskySolve", () => {
    const ct = uniform([3, 2], 24);
    const [, back] = vjp(solve, f64(G), f64(B));
    const [ga, gb] = back(ct);
    const scalar = (a: Array, r: Array) => sum(mul(solve(a, r), ct));
    assertClose(ga, fdGrad((a) => scalar(a, f64(B)), f64(G)), FD_TOL, "vjp a");
    assertClose(gb, fdGrad((r) => scalar(f64(G), r), f64(B)), FD_TOL, "vjp b");
    const w = uniform([3, 3], 25);
    const fi = (a: Array) => sum(mul(inv(a), w));
    assertClose(grad(fi)(f64(G)), fdGrad(fi, f64(G)), FD_TOL, "inv");
    const fc = (a: Array) => sum(mul(choleskySolve(cholesky(a), f64(B)), ct));
    assertClose(grad(fc)(f64(A)), fdGrad(fc, f64(A)), FD_TOL, "choleskySolve");
  });

  await t.step("batched operands", () => {
    const gs = f64([G, G2]);
    const g = grad((a: Array) => sum(slogdet(a)[1]))(gs);
    const invT = [INV_G, INV_G2].map((m) => m[0].map((_, i) => m.map((r) => r[i])));
    assertClose(g, invT, 1e-12, "batched ∇ log|det|");
    const f = (a: Array) => sum(sin(solve(a, f64(b))));
    assertClose(grad(f)(gs), fdGrad(f, gs), FD_TOL, "batched solve");
  });
});

Deno.test("second order", async (t) => {
  await t.step("hessian of log|det G| is −(G⁻¹)_jk (G⁻¹)_li", () => {
    const h = hessian((a: Array) => slogdet(a)[1])(f64(G));
    assert.deepEqual([...h.shape], [3, 3, 3, 3]);
    const want = new Float64Array(81);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        for (let k = 0; k < 3; k++) {
          for (let l = 0; l < 3; l++) {
            want[((i * 3 + j) * 3 + k) * 3 + l] = -INV_G[j][k] * INV_G[l][i];
          }
        }
      }
    }
    assertClose(h, want, 1e-12, "hessian");
  });

  await t.step("grad(grad) along a line, against numpy closed forms (SECOND_ORDER)", () => {
    // SECOND_ORDER, from numpy with G, b as above, E = [[.2,-.1,.4],[0,.3,-.5],[.6,.1,-.2]],
    // c = [.5,.25,-1], Gi = inv(G): d²/ds² log|det(G + sE)| at 0 = -trace(Gi E Gi E);
    // x = solve(G, b), x' = solve(G, c - E x), x'' = solve(G, -2 E x'): sum(x'), sum(x'').
    const LOGDET_D2 = -0.04854360573806038, SOLVE_D1 = -0.2274267269204909;
    const SOLVE_D2 = -0.7362254222351594;
    const E = f64([[0.2, -0.1, 0.4], [0, 0.3, -0.5], [0.6, 0.1, -0.2]]), c = f64([0.5, 0.25, -1]);
    const s0 = array(0, "float64");
    const logdet = (s: Array) => slogdet(add(f64(G), mul(E, s)))[1];
    assertClose(grad(grad(logdet))(s0), LOGDET_D2, 1e-12, "log|det|''");
    const sol = (s: Array) => sum(solve(add(f64(G), mul(E, s)), add(f64(b), mul(c, s))));
    assertClose(grad(sol)(s0), SOLVE_D1, 1e-12, "solve'");
    assertClose(grad(grad(sol))(s0), SOLVE_D2, 1e-12, "solve''");
  });

  await t.step("hessian of sum(solve(A(x), b(x))) and sum(cholesky(SPD(x))) vs FD of grad", () => {
    const fs = (x: Array) => {
      const a = add(x, mul(eye(3, 3, 0, "float64"), 4));
      return sum(solve(a, cos(matmul(x, f64([1, -2, 0.5])))));
    };
    const fc = (x: Array) =>
      sum(cholesky(add(matmul(x, x.transpose()), eye(3, 3, 0, "float64"))).exp());
    for (const [name, f] of [["solve", fs], ["cholesky", fc]] as const) {
      const x = uniform([3, 3], 31);
      const h = hessian(f)(x);
      assert.deepEqual([...h.shape], [3, 3, 3, 3]);
      assertClose(h, fdJacobian(grad(f), x), 1e-6, `hessian ${name}`);
    }
  });

  await t.step("grad of grad through triangularSolve and choleskySolve", () => {
    const w = uniform([3, 2], 32);
    const f = (m: Array) =>
      sum(mul(triangularSolve(m, f64(B), { lower: false, transposeA: true }), w).square());
    assertClose(hessian(f)(f64(M)), fdJacobian(grad(f), f64(M)), 1e-6, "triangularSolve");
    const g = (a: Array) => sum(choleskySolve(cholesky(a), f64(b)).square());
    assertClose(hessian(g)(f64(A)), fdJacobian(grad(g), f64(A)), 1e-6, "choleskySolve");
  });
});

Deno.test("vmap equals a loop", async (t) => {
  const as = wellConditioned([4, 3, 3], 41);
  const spd = add(matmul(as, as.transpose([0, 2, 1])), eye(3, 3, 0, "float64"));
  const bs = uniform([4, 3, 2], 42);

  await t.step("cholesky and slogdet, batch axis first or inside the matrix axes", () => {
    assertClose(vmap(cholesky)(spd), loop(cholesky, [spd], 4), TOL, "chol");
    // inAxes 2: the batch axis sits where the primitive expects a matrix axis.
    const moved = spd.transpose([1, 2, 0]);
    assertClose(vmap(cholesky, { inAxes: 2 })(moved), loop(cholesky, [spd], 4), TOL, "chol axis 2");
    // A batch axis among the primitive's own leading axes stays in place (inAxes 1 of [2,4,3,3]).
    const two = stack([as, add(as, eye(3, 3, 0, "float64"))]);
    const ld = (a: Array) => slogdet(a)[1];
    const want = stack([loop(ld, [as], 4), loop(ld, [slice(two, 1)], 4)]);
    assertClose(vmap(ld, { inAxes: 1, outAxes: 1 })(two), want, TOL, "slogdet axis 1");
    const twoB = stack([bs, bs]);
    const wantX = stack([loop(solve, [as, bs], 4), loop(solve, [slice(two, 1), bs], 4)]);
    assertClose(vmap(solve, { inAxes: 1, outAxes: 1 })(two, twoB), wantX, TOL, "solve axis 1");
    const [s, l] = vmap(slogdet)(as);
    assertClose(s, loop((a) => slogdet(a)[0], [as], 4), 0, "sign");
    assertClose(l, loop((a) => slogdet(a)[1], [as], 4), TOL, "logdet");
  });

  await t.step("solve and triangularSolve with batched and shared operands", () => {
    const one = f64(G), rhs = f64(B);
    // [name, a, b, inAxes, loop arguments (a 1-tuple = shared by every example)]
    const cases: [string, Array, Array, unknown, (Array | [Array])[]][] = [
      ["both batched", as, bs, 0, [as, bs]],
      ["a shared", one, bs, [null, 0], [[one], bs]],
      ["b shared", as, rhs, [0, null], [as, [rhs]]],
      ["b batched on its last axis", as, bs.transpose([1, 2, 0]), [0, 2], [as, bs]],
    ];
    const upperT = (m: Array, y: Array) =>
      triangularSolve(m, y, { lower: false, transposeA: true });
    for (const [name, a, r, inAxes, loopArgs] of cases) {
      for (const [fname, f] of [["solve", solve], ["triangularSolve", upperT]] as const) {
        const got = vmap(f, { inAxes })(a, r);
        assertClose(got, loop(f, loopArgs, 4), TOL, `${fname}, ${name}`);
      }
    }
  });

  await t.step("vmap of grad and grad of vmap", () => {
    const g = grad((a: Array) => slogdet(a)[1]);
    assertClose(vmap(g)(as), loop(g, [as], 4), 1e-12, "vmap(grad)");
    const f = (a: Array) => sum(vmap((m: Array, y: Array) => solve(m, y))(a, bs));
    const fl = (a: Array) => sum(loop(solve, [a, bs], 4));
    assertClose(grad(f)(as), grad(fl)(as), 1e-12, "grad(vmap)");
  });
});

Deno.test("jit equals eager", async (t) => {
  const f = (a: Array, r: Array) => {
    const l = cholesky(add(matmul(a, a.transpose()), eye(3, 3, 0, "float64")));
    const x = choleskySolve(l, r);
    const y = triangularSolve(l, x, { transposeA: true });
    return add(sum(solve(a, y)), add(slogdet(a)[1], trace(inv(a))));
  };
  const a = wellConditioned([3, 3], 51), r = uniform([3, 2], 52);

  await t.step("values", () => {
    const jf = jit(f);
    assertClose(jf(a, r), f(a, r).item(), 1e-14, "jit(f)");
    assertClose(jf(add(a, 0.1), r), f(add(a, 0.1), r).item(), 1e-14, "second call");
    assert.equal(jf.traceCount, 1);
  });

  await t.step("gradients", () => {
    const g = grad(f, { argnums: [0, 1] });
    const [ga, gr] = jit(g)(a, r);
    const [ea, er] = g(a, r);
    assertClose(ga, ea, 1e-13, "∇a");
    assertClose(gr, er, 1e-13, "∇r");
    assertClose(grad(jit(f))(a, r), ea, 1e-13, "grad(jit)");
  });
});

Deno.test("linalg error messages", async (t) => {
  await t.step("shapes", () => {
    assert.throws(() => solve(f64([[1, 2], [3, 4], [5, 6]]).transpose(), f64([1, 2])), {
      message: "solve: a must be square, got [2,3]",
    });
    assert.throws(() => solve(f64([[1, 0, 0], [0, 1, 0]]), f64([1, 2])), {
      message: "solve: a must be square, got [2,3]",
    });
    assert.throws(() => solve(f64(G), f64([1, 2, 3, 4])), {
      message: "solve: b [4] does not match a [3,3]",
    });
    assert.throws(() => solve(f64(G), f64([[1, 2, 3]])), {
      message: "solve: b [1,3] does not match a [3,3]",
    });
    assert.throws(() => solve(f64(G), array(1, "float64")), {
      message: "solve: b [] does not match a [3,3]",
    });
    assert.throws(() => cholesky(f64([1, 2])), {
      message: "cholesky: a must be at least 2-D [..., n, n], got [2]",
    });
    assert.throws(() => slogdet(f64([[1, 2, 3]])), {
      message: "slogdet: a must be square, got [1,3]",
    });
    assert.throws(() => inv(f64([[1, 2, 3]])), { message: "inv: a must be square, got [1,3]" });
    assert.throws(() => triangularSolve(f64(M), f64([1, 2])), {
      message: "triangularSolve: b [2] does not match a [3,3]",
    });
    assert.throws(() => choleskySolve(f64(M), f64([[1], [2]])), {
      message: "choleskySolve: b [2,1] does not match a [3,3]",
    });
    assert.throws(
      () => solve(f64([G, G]), f64([B, B, B])),
      /solve \(batch axes of a \[2,3,3\] and b \[3,3,2\]\)/,
    );
    assert.throws(() => diagonal(f64([1, 2])), {
      message: "diagonal: x must be at least 2-D, got [2]",
    });
    assert.throws(() => diagonal(f64(G), 0, 1, -1), /diagonal: axis1 and axis2 are the same axis/);
  });
});
