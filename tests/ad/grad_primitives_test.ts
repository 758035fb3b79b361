/**
 * Every differentiable primitive of the core families (elementwise, reduce, shape, indexing) and
 * `matmul`, checked by `checkGrads` at order 2 in both modes (JVP, VJP, JVP of JVP, VJP of VJP and
 * the mixed ones) against central finite differences in float64, through the public ops.
 *
 * Each case declares the primitives it is meant to exercise; the test verifies the claim by
 * tracing the function and its first derivatives, and a coverage step checks that every primitive
 * of `P`, except the non-differentiable ones and the families other engineers own, is claimed by
 * some case — so a new primitive without a gradient test makes this file fail.
 *
 * The last steps document JAX's conventions at non-smooth points, checked against hand-derived
 * values.
 */
import assert from "node:assert/strict";
import {
  abs,
  add,
  type Array,
  array,
  broadcastTo,
  ceil,
  concatenate,
  cos,
  cumsum,
  digamma,
  div,
  equal,
  erf,
  erfc,
  erfinv,
  exp,
  expandDims,
  expm1,
  flip,
  floor,
  greater,
  indexAdd,
  lgamma,
  log,
  log1p,
  logaddexp,
  logsumexp,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  moveaxis,
  mul,
  ndtri,
  neg,
  normalCdf,
  normalLogCdf,
  polygamma,
  pow,
  prod,
  reshape,
  round,
  rsqrt,
  segmentSum,
  sigmoid,
  sign,
  sin,
  slice,
  softplus,
  split,
  sqrt,
  squeeze,
  stack,
  stopGradient,
  sub,
  sum,
  take,
  tanh,
  transpose,
  where,
} from "../../core/mod.ts";
import { makeJaxpr } from "../../core/make_jaxpr.ts";
import { Jaxpr } from "../../core/jaxpr.ts";
import { P } from "../../core/primitives/mod.ts";
import { hasZeroDerivative } from "../../ad/rules/jvp.ts";
import * as controlFamily from "../../core/primitives/control.ts";
import * as customFamily from "../../core/primitives/custom.ts";
import * as linalgFamily from "../../core/primitives/linalg.ts";
import * as randomFamily from "../../core/primitives/random.ts";
import * as sortFamily from "../../core/primitives/sort.ts";
import * as trigFamily from "../../core/primitives/trig.ts";
import * as searchFamily from "../../core/primitives/search.ts";
import * as decompFamily from "../../core/primitives/decomp.ts";
import { bind1 } from "../../core/trace.ts";
import { grad, jvp, vjp } from "../../ad/api.ts";
import { checkGrads, type CheckGradsOptions, GradCheckError } from "../../ad/check_grads.ts";
import { jvpRules } from "../../ad/rules/jvp.ts";
import { transposeRules } from "../../ad/rules/transpose.ts";

const f64 = (v: number | number[] | number[][] | number[][][]) => array(v, "float64");
const i32 = (v: number | number[] | number[][]) => array(v, "int32");

// deno-lint-ignore no-explicit-any
type Fn = (...args: any[]) => any;

interface Case {
  name: string;
  /** Primitives this case exercises (verified by tracing f and its first derivatives). */
  prims: string[];
  f: Fn;
  args: unknown[];
  opts?: CheckGradsOptions;
}

/** Names of the primitives in a jaxpr, including those of sub-jaxprs in parameters. */
function primsIn(j: Jaxpr, acc: Set<string>): Set<string> {
  for (const e of j.eqns) {
    acc.add(e.prim.name);
    for (const v of Object.values(e.params)) if (v instanceof Jaxpr) primsIn(v, acc);
  }
  return acc;
}

/** Primitives used by f, its JVP and its VJP at `args`. */
function primsUsed(f: Fn, args: unknown[]): Set<string> {
  const acc = new Set<string>();
  primsIn(makeJaxpr(f)(...args).jaxpr, acc);
  primsIn(makeJaxpr((...a: unknown[]) => jvp(f, a, a))(...args).jaxpr, acc);
  const fVjp = (...a: unknown[]) => {
    const [out, back] = vjp(f, ...a);
    return back(out);
  };
  primsIn(makeJaxpr(fVjp)(...args).jaxpr, acc);
  return acc;
}

/** Binds a primitive directly (for primitives no public op exposes on its own). */
const prim = (name: keyof typeof P, params = {}) => (...xs: Array[]) => bind1(P[name], xs, params);

// Points: inside each function's domain, away from singularities, kinks and ties.
const X = f64([-1.3, 0.4, 2.1]);
const XM = f64([[0.3, -1.2, 0.8], [1.5, -0.4, -2.2]]);
const POS = f64([0.5, 1.3, 4.2]);
const A3 = f64([
  [[0.1, -0.7, 1.3, 0.5], [2.0, -1.1, 0.4, 0.9], [-0.3, 0.6, -1.8, 1.2]],
  [[0.8, 1.7, -0.2, -0.9], [0.35, -1.4, 1.1, 0.05], [1.6, -0.6, 0.25, -1.3]],
]); // [2, 3, 4], distinct entries (no ties for max/min)

const unaryCases: Case[] = [
  { name: "neg", prims: ["neg"], f: neg, args: [X] },
  { name: "abs (away from 0)", prims: ["abs"], f: abs, args: [X] },
  { name: "exp", prims: ["exp"], f: exp, args: [X] },
  { name: "log", prims: ["log"], f: log, args: [POS] },
  { name: "log1p", prims: ["log1p"], f: log1p, args: [f64([-0.5, 0.3, 2])] },
  { name: "expm1", prims: ["expm1"], f: expm1, args: [f64([-1, 0.01, 1.2])] },
  { name: "sqrt", prims: ["sqrt"], f: sqrt, args: [POS] },
  { name: "rsqrt", prims: ["rsqrt"], f: rsqrt, args: [POS] },
  { name: "sin", prims: ["sin"], f: sin, args: [X] },
  { name: "cos", prims: ["cos"], f: cos, args: [X] },
  { name: "tanh", prims: ["tanh"], f: tanh, args: [X] },
  { name: "sigmoid", prims: ["logistic"], f: sigmoid, args: [f64([-2, 0.3, 3])] },
  { name: "erf", prims: ["erf"], f: erf, args: [X] },
  { name: "erfc", prims: ["erfc"], f: erfc, args: [X] },
  { name: "erfinv", prims: ["erf_inv"], f: erfinv, args: [f64([-0.7, 0.1, 0.55])] },
  { name: "normalCdf", prims: ["erfc", "mul"], f: normalCdf, args: [X] },
  {
    name: "normalLogCdf (incl. lower tail)",
    prims: ["log_ndtr"],
    f: normalLogCdf,
    args: [f64([-8, -0.5, 0.2, 2])],
  },
  {
    name: "lgamma (its second derivative uses trigamma)",
    prims: ["lgamma", "digamma"],
    f: lgamma,
    args: [f64([0.7, 2.5, 6])],
  },
  {
    name: "digamma (its second derivative uses polygamma)",
    prims: ["digamma", "trigamma"],
    f: digamma,
    args: [f64([0.7, 2.5, 6])],
  },
  {
    name: "polygamma(2, x) and polygamma(3, x)",
    prims: ["polygamma"],
    f: (x: Array) => polygamma(2, x).add(polygamma(3, x)),
    args: [f64([0.7, 2.5, -1.5])],
  },
  {
    name: "ndtri (normal quantile)",
    prims: ["ndtri"],
    f: ndtri,
    args: [f64([0.05, 0.3, 0.9])],
  },
  {
    name: "softplus",
    prims: ["expm1", "log1p", "exp", "select", "stop_gradient"],
    f: softplus,
    args: [X],
  },
  {
    name: "logaddexp",
    prims: ["expm1", "log1p", "exp", "select", "stop_gradient"],
    f: logaddexp,
    args: [f64([-1, 0.5, 2]), f64([0.3, -0.2, 2.5])],
  },
  { name: "square via mul", prims: ["mul"], f: (x: Array) => x.square(), args: [X] },
];

const binaryCases: Case[] = [];
for (
  const [name, op, p, y] of [
    ["add", add, "add", f64([0.3, -1.1, 2.2, 0.7])],
    ["sub", sub, "sub", f64([0.3, -1.1, 2.2, 0.7])],
    ["mul", mul, "mul", f64([0.3, -1.1, 2.2, 0.7])],
    ["div", div, "div", f64([0.6, -1.1, 2.2, 1.7])],
  ] as const
) {
  binaryCases.push(
    {
      name: `${name}: [3,1] with [4]`,
      prims: [p, "broadcast_in_dim"],
      f: op,
      args: [f64([[0.5], [-1.5], [2.5]]), y],
    },
    {
      name: `${name}: scalar with [2,3]`,
      prims: [p, "broadcast_in_dim"],
      f: op,
      args: [f64(1.7), XM],
    },
    {
      name: `${name}: [2,3] with JS number`,
      prims: [p],
      f: (x: Array) => op(x, 1.25),
      args: [XM],
    },
  );
}
binaryCases.push(
  {
    name: "pow: x > 0, float exponents, broadcast [3,1] with [4]",
    prims: ["pow", "log"],
    f: pow,
    args: [f64([[0.5], [1.5], [2.5]]), f64([0.3, -1.1, 2.2, 1.7])],
  },
  {
    name: "pow: JS integer exponents -2, 0, 1, 2, 3 (integer_pow; negative bases allowed)",
    prims: ["integer_pow"],
    f: (x: Array) => [pow(x, 2), pow(x, 3), pow(x, 0), pow(x, 1), pow(x, -2)],
    args: [X],
  },
  {
    name: "pow: integer-valued float64 exponent array, negative bases",
    prims: ["pow"],
    f: (x: Array) => pow(x, f64([2, 3, 4])),
    args: [X],
  },
  {
    name: "maximum (no ties), broadcast",
    prims: ["max", "select"],
    f: maximum,
    args: [f64([[0.5], [-1.5], [2.5]]), f64([0.3, -1.1, 2.2, 0.7])],
  },
  {
    name: "minimum (no ties), broadcast",
    prims: ["min", "select"],
    f: minimum,
    args: [f64([[0.5], [-1.5], [2.5]]), f64([0.3, -1.1, 2.2, 0.7])],
  },
  {
    name: "clip (away from the bounds)",
    prims: ["max", "min"],
    f: (x: Array) => x.clip(-1, 1),
    args: [f64([-1.3, 0.4, 0.9, 2.1])],
  },
  {
    name: "where/select: both branches, broadcast condition",
    prims: ["select", "gt"],
    f: (x: Array, y: Array) => where(greater(x, 0), mul(x, y), sin(y)),
    args: [f64([[0.5], [-1.5], [2.5]]), f64([0.3, -1.1, 2.2, 0.7])],
  },
  {
    name: "astype float64 → float32 → float64 (float32 precision: loose tolerances)",
    prims: ["convert_element_type", "sin"],
    f: (x: Array) => sin(x.astype("float32")).astype("float64").mul(x),
    args: [X],
    opts: { atol: 2e-3, rtol: 2e-3, eps: 1e-2 },
  },
  {
    name: "astype float32 argument → float64",
    prims: ["convert_element_type", "exp"],
    f: (x: Array) => exp(x.astype("float64").mul(0.5)),
    args: [array([-1.3, 0.4, 2.1], "float32")],
    opts: { atol: 2e-3, rtol: 2e-3, eps: 1e-2 },
  },
);

const reduceCases: Case[] = [
  { name: "sum: all", prims: ["reduce_sum"], f: (x: Array) => sum(x), args: [A3] },
  { name: "sum: axis 1", prims: ["reduce_sum"], f: (x: Array) => sum(x, 1), args: [A3] },
  {
    name: "sum: axes [0, 2] keepdims",
    prims: ["reduce_sum", "reshape"],
    f: (x: Array) => sum(x, [0, 2], { keepdims: true }).mul(sum(x, -1).sum()),
    args: [A3],
  },
  {
    name: "mean: axis 0 keepdims, axes [1, 2]",
    prims: ["reduce_sum", "div"],
    f: (x: Array) => [mean(x, 0, { keepdims: true }), mean(x, [1, 2])],
    args: [A3],
  },
  {
    name: "prod: axis 1 and all, with a zero entry",
    prims: ["reduce_prod"],
    f: (x: Array) => [prod(x, 1), prod(x), prod(x, 0, { keepdims: true })],
    args: [f64([[1.5, 0, 2], [0.5, -1.2, 3]])],
  },
  {
    name: "max: all, axis 1 keepdims, axis 0 (no ties)",
    prims: ["reduce_max"],
    f: (x: Array) => [max(x), max(x, 1, { keepdims: true }), max(x, 0)],
    args: [A3],
  },
  {
    name: "min: all, axes [0, 2] (no ties)",
    prims: ["reduce_min"],
    f: (x: Array) => [min(x), min(x, [0, 2])],
    args: [A3],
  },
  {
    name: "logsumexp: axis 1, keepdims, all",
    prims: ["reduce_max", "stop_gradient", "exp", "log", "reduce_sum"],
    f: (x: Array) => [logsumexp(x, 1), logsumexp(x, -1, { keepdims: true }), logsumexp(x)],
    args: [A3],
  },
  {
    name: "cumsum: axis 0, axis 2, reversed, flattened",
    prims: ["cumsum"],
    f: (x: Array) => [
      cumsum(x, 0),
      cumsum(x, 2).square(),
      cumsum(x, 1, { reverse: true }),
      cumsum(x),
    ],
    args: [A3],
  },
];

const shapeCases: Case[] = [
  {
    name: "reshape to [6,4] and [-1]",
    prims: ["reshape"],
    f: (x: Array) => [reshape(x, [6, 4]).square(), reshape(x, [-1])],
    args: [A3],
  },
  {
    name: "transpose: perm and default",
    prims: ["transpose"],
    f: (x: Array) => [transpose(x, [2, 0, 1]).mul(transpose(x, [2, 0, 1])), x.T],
    args: [A3],
  },
  { name: "moveaxis", prims: ["transpose"], f: (x: Array) => moveaxis(x, 0, -1), args: [A3] },
  {
    name: "broadcastTo [3,1] → [2,3,4]",
    prims: ["broadcast_in_dim", "reshape"],
    f: (x: Array) => broadcastTo(x, [2, 3, 4]).mul(A3),
    args: [f64([[0.5], [-1.5], [2.5]])],
  },
  {
    name: "expandDims / squeeze",
    prims: ["reshape"],
    f: (x: Array) => [sin(expandDims(x, 1)), squeeze(expandDims(x, 0), 0).square()],
    args: [XM],
  },
  {
    name: "concatenate axis 1 of [2,3] and [2,2]",
    prims: ["concatenate"],
    f: (x: Array, y: Array) => concatenate([x, y.square()], 1),
    args: [XM, f64([[0.5, 1.5], [-2.5, 0.25]])],
  },
  {
    name: "stack axis 1",
    prims: ["concatenate", "reshape"],
    f: (x: Array, y: Array) => stack([x, y.mul(y)], 1),
    args: [X, POS],
  },
  {
    name: "split into sections and at indices",
    prims: ["slice"],
    f: (x: Array) => [...split(x, 2, 2), ...split(x, [1], 1).map((p) => p.square())],
    args: [A3],
  },
  {
    name: "slice: negative steps, ranges, picked indices",
    prims: ["slice", "rev", "reshape"],
    f: (x: Array) => [
      slice(x, null, "::-2"),
      slice(x, 1, { start: 0, stop: 3, step: 2 }, -1).square(),
      slice(x, "1:", "-2::-1", "3:0:-2"),
    ],
    args: [A3],
  },
  {
    name: "flip: one axis and all",
    prims: ["rev"],
    f: (x: Array) => [flip(x, 1).mul(x), flip(x)],
    args: [A3],
  },
  {
    name: "pad (no public op yet: bound directly; also the transpose of slice)",
    prims: ["pad", "slice"],
    f: (x: Array) =>
      prim("pad", { lo: [1, 0], hi: [0, 2], interior: [1, 0] })(x).square().mul(
        f64([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [1, 1, 1, 1, 1], [2, 2, 2, 2, 2]]),
      ),
    args: [f64([[0.3, -1.2, 0.8], [1.5, -0.4, -2.2]])],
  },
];

const indexingCases: Case[] = [
  {
    name: "take: repeated and negative indices, axis 0",
    prims: ["gather"],
    f: (x: Array) => take(x, i32([2, 0, 2, -1])).square(),
    args: [XM.T],
  },
  {
    name: "take: 2-D indices along axis 1",
    prims: ["gather"],
    f: (x: Array) => take(x, i32([[0, 1], [1, 1]]), 1).mul(x.sum()),
    args: [XM],
  },
  {
    name: "indexAdd: repeated indices and an out-of-range one, axis 0",
    prims: ["scatter_add"],
    f: (x: Array, v: Array) => indexAdd(x, i32([0, 2, 0, 5]), v.square()),
    args: [f64([[0.5, 1], [-1.5, 2], [2.5, 3]]), f64([[1, 2], [3, 4], [-5, 6], [7, 8]])],
  },
  {
    name: "indexAdd with x.at[].add, axis 1, broadcast values",
    prims: ["scatter_add"],
    f: (x: Array, v: Array) => x.at(i32([1, 1, 0]), 1).add(v).mul(x),
    args: [XM, f64([[0.5], [1.5]])],
  },
  {
    name: "segmentSum with repeated ids",
    prims: ["scatter_add"],
    f: (d: Array) => segmentSum(d.square(), i32([0, 0, 2, 1, 2]), 3),
    args: [f64([[0.5, 1], [-1.5, 2], [2.5, 3], [0.1, -0.2], [1.1, 0.9]])],
  },
];

const matmulCases: Case[] = [
  {
    name: "matmul: matrix × matrix",
    prims: ["matmul"],
    f: matmul,
    args: [XM, f64([[0.5, 1], [-1.5, 2], [2.5, 3]])],
  },
  {
    name: "matmul: vector × matrix, matrix × vector, vector · vector",
    prims: ["matmul", "reshape"],
    f: (v: Array, m: Array) => [matmul(v, m), matmul(m, POS), matmul(v, sin(v))],
    args: [f64([0.5, -1.5]), XM],
  },
  {
    name: "matmul: batched [2,3,4] × [4,2] (broadcast batch)",
    prims: ["matmul", "broadcast_in_dim"],
    f: matmul,
    args: [A3, f64([[0.5, 1], [-1.5, 2], [2.5, 3], [0.2, -0.7]])],
  },
];

const allCases = [
  ...unaryCases,
  ...binaryCases,
  ...reduceCases,
  ...shapeCases,
  ...indexingCases,
  ...matmulCases,
];

/** Primitives with no derivative (piecewise constant or non-float outputs), as the JVP rules declare. */
const NON_DIFFERENTIABLE = Object.keys(P).filter(hasZeroDerivative);

/** Primitive names exported (inside family objects) by a primitives module. */
function familyNames(mod: Record<string, unknown>): string[] {
  const names: string[] = [];
  for (const v of Object.values(mod)) {
    if (typeof v !== "object" || v === null) continue;
    for (const p of Object.values(v)) {
      if (p && typeof p === "object" && "abstractEval" in p && "impl" in p && "name" in p) {
        names.push((p as { name: string }).name);
      }
    }
  }
  return names;
}

/** Families other engineers own (their gradient tests live with them); matmul stays here. */
const OTHER_FAMILIES = [
  linalgFamily,
  controlFamily,
  randomFamily,
  sortFamily,
  customFamily,
  // Gradient tests in tests/ad/grad_numpy_extra_test.ts.
  trigFamily,
  searchFamily,
  decompFamily,
]
  .flatMap((m) => familyNames(m as Record<string, unknown>))
  .filter((n) => n !== "matmul");

/** Covered outside `allCases`, by the dedicated steps below. */
const COVERED_ELSEWHERE = [
  "stop_gradient", // zero derivative by definition: finite differences do not apply
];

Deno.test("checkGrads (order 2, fwd + rev, float64) on every differentiable primitive", async (t) => {
  for (
    const [family, cases] of [
      ["elementwise", unaryCases],
      ["binary with broadcasting", binaryCases],
      ["reductions", reduceCases],
      ["shapes", shapeCases],
      ["indexing", indexingCases],
      ["matmul", matmulCases],
    ] as const
  ) {
    await t.step(family, async (t) => {
      for (const c of cases) {
        await t.step(c.name, () => {
          const used = primsUsed(c.f, c.args);
          for (const p of c.prims) {
            assert.ok(used.has(p), `${c.name}: claims ${p} but uses only ${[...used].join(", ")}`);
          }
          checkGrads(c.f, c.args, { order: 2, ...c.opts });
        });
      }
    });
  }

  await t.step("lgamma and digamma to order 3 (through trigamma and polygamma)", () => {
    for (const x of [f64([0.7, 2.5, 6]), f64([-0.6, -2.3, 13.5])]) {
      checkGrads(lgamma, [x], { order: 3 });
      checkGrads(digamma, [x], { order: 3 });
    }
    // polygamma is differentiable in x only; its order m is not.
    assert.throws(
      () => grad((m: Array) => polygamma(m, f64(1.5)))(f64(2)),
      /not differentiable with respect to its order m/,
    );
  });

  await t.step("stop_gradient: value passes, derivative is zero at every order", () => {
    const x = f64([0.5, -1.5, 2]);
    const f = (y: Array) => mul(y, stopGradient(y)).sum();
    assert.deepEqual(f(x).item(), 0.25 + 2.25 + 4);
    // AD sees sg(y) as a constant: d/dy Σ y·sg(y) = sg(y) (= y, where the true derivative is 2y),
    // and the derivative of that gradient, Σ sg(y), is 0 again.
    assert.deepEqual(grad(f)(x).tolist(), [0.5, -1.5, 2]);
    assert.deepEqual(grad((y: Array) => grad(f)(y).sum())(x).tolist(), [0, 0, 0]);
    const [, tan] = jvp((y: Array) => stopGradient(y.square()), [x], [f64([1, 1, 1])]);
    assert.deepEqual(tan.tolist(), [0, 0, 0]);
    assert.ok(primsUsed(f, [x]).has("stop_gradient"));
  });

  await t.step("non-differentiable primitives have zero derivative", () => {
    const x = f64([-1.3, 0.4, 2.6]);
    const f = (y: Array) =>
      add(add(floor(y), ceil(y)), add(round(y), sign(y))).add(where(equal(y, 0.4), 1, 0)).sum();
    assert.deepEqual(grad(f)(x).tolist(), [0, 0, 0]);
    const [, tan] = jvp((y: Array) => y.argmax().astype("float64"), [x], [f64([1, 1, 1])]);
    assert.deepEqual(tan.tolist(), 0);
  });

  await t.step("coverage: every differentiable core primitive has a case", () => {
    const all = Object.keys(P);
    const covered = new Set([...allCases.flatMap((c) => c.prims), ...COVERED_ELSEWHERE]);
    for (const n of covered) assert.ok(all.includes(n), `covered name ${n} is not a primitive`);
    const expected = all.filter((n) =>
      !NON_DIFFERENTIABLE.includes(n) && !OTHER_FAMILIES.includes(n)
    );
    const missing = expected.filter((n) => !covered.has(n));
    assert.deepEqual(missing, [], `primitives without a gradient test: ${missing.join(", ")}`);
    for (const n of NON_DIFFERENTIABLE) assert.ok(all.includes(n), `${n} is not a primitive`);
  });
});

Deno.test("JAX conventions at non-smooth points", async (t) => {
  await t.step("grad of abs at 0 is 0 (sign(0))", () => {
    assert.deepEqual(grad((x: Array) => abs(x).sum())(f64([0, -2, 3])).tolist(), [0, -1, 1]);
  });

  await t.step("maximum/minimum at a tie split the gradient 0.5/0.5", () => {
    for (const op of [maximum, minimum]) {
      const [gx, gy] = grad((x: Array, y: Array) => op(x, y).sum(), { argnums: [0, 1] })(
        f64([1, 2, 3]),
        f64([1, 5, -3]),
      );
      const win = op === maximum ? [0, 0, 1] : [0, 1, 0];
      assert.deepEqual(gx.tolist(), [0.5, win[1], win[2]]);
      assert.deepEqual(gy.tolist(), [0.5, 1 - win[1], 1 - win[2]]);
      // Forward mode agrees: (tx + ty)/2 at the tie.
      const [, tan] = jvp(op, [f64([1]), f64([1])], [f64([2]), f64([6])]);
      assert.deepEqual(tan.tolist(), [4]);
    }
  });

  await t.step("max/min reductions share the gradient equally among tied entries", () => {
    const x = f64([[1, 3, 3, 2], [0, 0, -1, -1]]);
    assert.deepEqual(grad((y: Array) => max(y))(x).tolist(), [[0, 0.5, 0.5, 0], [0, 0, 0, 0]]);
    assert.deepEqual(
      grad((y: Array) => max(y, 1).sum())(x).tolist(),
      [[0, 0.5, 0.5, 0], [0.5, 0.5, 0, 0]],
    );
    assert.deepEqual(
      grad((y: Array) => min(y, 1).sum())(x).tolist(),
      [[1, 0, 0, 0], [0, 0, 0.5, 0.5]],
    );
  });

  await t.step("where passes only the chosen branch's gradient", () => {
    const x = f64([-2, 3]);
    // where(x > 0, x², x³): derivative 2x where chosen, 3x² elsewhere.
    const g = grad((y: Array) => where(greater(y, 0), y.square(), pow(y, 3)).sum())(x);
    assert.deepEqual(g.tolist(), [12, 6]);
  });

  await t.step("single where: sqrt at 0 gives NaN; double where gives 0", () => {
    const x = f64([0, 4]);
    // The unused sqrt branch still gets cotangent 0, and 0 · sqrt'(0) = 0 · inf = NaN (as JAX).
    const single = grad((y: Array) => where(greater(y, 0), sqrt(y), 0).sum())(x);
    assert.ok(Number.isNaN(single.tolist()[0 as never]));
    assert.equal((single.tolist() as number[])[1], 0.25);
    // The "double where" keeps the input of sqrt away from 0 where the branch is unused.
    const dbl = grad((y: Array) => {
      const pos = greater(y, 0);
      return where(pos, sqrt(where(pos, y, 1)), 0).sum();
    })(x);
    assert.deepEqual(dbl.tolist(), [0, 0.25]);
  });

  await t.step("pow(0, 2): derivative 0 w.r.t. base and exponent; 0^0 has no NaN", () => {
    assert.deepEqual(grad((x: Array) => pow(x, 2))(f64(0)).item(), 0);
    const [gx, gy] = grad((x: Array, y: Array) => pow(x, y), { argnums: [0, 1] })(f64(0), f64(2));
    assert.equal(gx.item(), 0); // 2 · 0^1
    assert.equal(gy.item(), 0); // log(0) · 0^2, with log(0) replaced by 0
    const [hx, hy] = grad((x: Array, y: Array) => pow(x, y), { argnums: [0, 1] })(f64(0), f64(0));
    assert.equal(hx.item(), 0);
    assert.equal(hy.item(), 0);
  });

  await t.step("softplus and logaddexp: exact second derivatives at 0 and at ties", () => {
    // softplus'' = σ(1 − σ) = 1/4 at 0; ∂²/∂x² log(eˣ + e²ˣ) at 0 = (5·2 − 3²)/2² = 1/4.
    const d2 = (f: (x: Array) => Array) => grad(grad(f));
    assert.equal(d2(softplus)(f64(0)).item(), 0.25);
    assert.equal(d2((x: Array) => logaddexp(x, mul(x, 2)))(f64(0)).item(), 0.25);
    const [gx, gy] = grad((x: Array, y: Array) => logaddexp(x, y), { argnums: [0, 1] })(
      f64(1),
      f64(1),
    );
    assert.deepEqual([gx.item(), gy.item()], [0.5, 0.5]);
    // Values in the tails and at infinities.
    assert.equal(softplus(f64(-50)).item(), Math.log1p(Math.exp(-50)));
    assert.equal(softplus(f64(800)).item(), 800);
    assert.equal(grad(softplus)(f64(Infinity)).item(), 1);
    assert.equal(logaddexp(f64(-Infinity), f64(-Infinity)).item(), -Infinity);
  });

  await t.step("sqrt at 0: the gradient is +inf (documented, as in JAX)", () => {
    assert.equal(grad((x: Array) => sqrt(x))(f64(0)).item(), Infinity);
  });
});

/** Runs `body` with one rule of a table replaced (restored afterwards). */
function withPatchedRule<R>(
  table: Record<string, R>,
  name: string,
  rule: (orig: R) => R,
  body: () => void,
) {
  const orig = table[name];
  table[name] = rule(orig);
  try {
    body();
  } finally {
    table[name] = orig;
  }
}

/** Scales every non-null array in a list by 1.01. */
const skew = (xs: (Array | null)[]) => xs.map((x) => (x === null ? null : mul(x, 1.01)));

Deno.test("checkGrads itself", async (t) => {
  const x = f64([0.3, -1.2, 0.8]);

  await t.step("a wrong JVP rule fails both modes at order 1, naming mode/order/argument", () => {
    type J = typeof jvpRules.sin;
    withPatchedRule(jvpRules as Record<string, J>, "sin", (orig: J): J => (xs, ts, p) => {
      const [o, tt] = orig(xs, ts, p);
      return [o, skew(tt)];
    }, () => {
      for (const mode of ["fwd", "rev"] as const) {
        let err: unknown;
        try {
          checkGrads(sin, [x], { order: 1, modes: [mode] });
        } catch (e) {
          err = e;
        }
        assert.ok(err instanceof GradCheckError, `${mode}: expected a GradCheckError`);
        assert.equal(err.mode, mode);
        assert.equal(err.order, 1);
        assert.equal(err.what, "f");
        assert.match(err.argument, /^args\[0\] \(float64\[3\]\)$/);
        // |0.01 · cos(x) · t| is far above 1e-5 and far below 1.
        assert.ok(err.maxAbsError > 1e-4 && err.maxAbsError < 1, String(err.maxAbsError));
        assert.ok(err.maxRelError > 5e-3 && err.maxRelError < 2e-2, String(err.maxRelError));
        assert.match(
          err.message,
          new RegExp(`${mode === "fwd" ? "forward" : "reverse"}-mode .* order 1 .*args\\[0\\]`),
        );
        assert.match(err.message, /max abs error .*max rel error/);
      }
    });
  });

  await t.step("a wrong transpose rule fails reverse mode only", () => {
    type R = NonNullable<typeof transposeRules.cumsum>;
    withPatchedRule(
      transposeRules as Record<string, R>,
      "cumsum",
      (orig: R): R => (c, a, p) => skew(orig(c, a, p)),
      () => {
        const f = (y: Array) => cumsum(y).square();
        checkGrads(f, [x], { order: 2, modes: ["fwd"] });
        assert.throws(
          () => checkGrads(f, [x], { order: 1, modes: ["rev"] }),
          (e: unknown) => e instanceof GradCheckError && e.mode === "rev" && e.order === 1,
        );
      },
    );
  });

  await t.step("an error only in the second derivative is caught at order 2", () => {
    // Numerically f = x³/3 and AD's first derivative sg(x)² = x² is right, but AD's derivative of
    // sg(x)² is 0 (true: 2x).
    const f = (y: Array) => {
      const s = stopGradient(y);
      return add(div(pow(s, 3), 3), mul(sub(y, s), s.square()));
    };
    checkGrads(f, [x], { order: 1 });
    for (const mode of ["fwd", "rev"] as const) {
      assert.throws(
        () => checkGrads(f, [x], { order: 2, modes: [mode] }),
        (e: unknown) =>
          e instanceof GradCheckError && e.order === 2 &&
          e.what === (mode === "fwd" ? "JVP of f" : "VJP of f") && /order 2/.test(e.message),
      );
    }
  });

  await t.step("the failing argument is named by its pytree path", () => {
    const f = (p: { a: Array; b: Array[] }) =>
      add(mul(p.a, p.b[1]), mul(p.b[1], stopGradient(p.b[1])));
    const args = [{ a: f64([0.5, 2]), b: [null, f64([1.5, -0.5])] }];
    assert.throws(
      () => checkGrads(f, args, { order: 1, modes: ["fwd"] }),
      (e: unknown) => e instanceof GradCheckError && e.argument.startsWith("args[0].b[1] "),
    );
  });

  await t.step("pytrees with int32 leaves (held fixed) and nulls pass; orders 1-3", () => {
    const f = (p: { w: Array; idx: Array; none: null }, q: Array[]) => ({
      y: sin(take(p.w, p.idx).mul(q[0])),
      z: [mul(q[1], p.w.sum()), p.idx],
    });
    const args = [
      { w: f64([0.5, -1, 2]), idx: i32([2, 0, 2]), none: null },
      [f64([0.3, 0.7, -0.2]), f64(1.5)],
    ];
    checkGrads(f, args, { order: 1 });
    checkGrads(f, args);
    checkGrads((y: Array) => sin(y).mul(y), [x], { order: 3 });
  });

  await t.step("float32 arguments need explicit tolerances", () => {
    assert.throws(
      () => checkGrads(sin, [array([0.5, 1])]),
      (e: unknown) =>
        e instanceof TypeError && /args\[0\] is float32\[2\]/.test(e.message) &&
        /float64/.test(e.message) && /atol/.test(e.message),
    );
    assert.throws(
      () => checkGrads(sin, [0.5]),
      /args\[0\] is float32\[\] \(a JS number\).*float64/,
    );
    checkGrads(sin, [array([0.5, 1])], { atol: 1e-2, rtol: 1e-2, eps: 1e-2 });
  });

  await t.step("bad options are rejected", () => {
    assert.throws(() => checkGrads(sin, [x], { order: 0 }), /order must be a positive integer/);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => checkGrads(sin, [x], { modes: ["bwd" as any] }), /modes must be/);
    assert.throws(() => checkGrads(sin, [i32([1, 2])]), /no argument leaf has a float dtype/);
  });
});
