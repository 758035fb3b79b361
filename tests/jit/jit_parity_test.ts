/**
 * Parity of `jit` (CPU) with eager execution: every primitive, forward and through `grad`.
 * The reference interpreter of the kernel IR and the default `precision: "exact"` must match eager
 * bit for bit in every dtype; `precision: "fast"` must match float64/int32/bool bit for bit and
 * float32 to 1e-6 relative (inputs are well-conditioned; see jit/README.md).
 */
import * as np from "../../mod.ts";
import { type Array, array, grad, jit, random } from "../../mod.ts";
import { P } from "../../core/primitives/mod.ts";
import { bind1 } from "../../core/trace.ts";
import { assertClose, assertSameBits, checkJit } from "./_util.ts";

const DTYPES = ["float32", "float64"] as const;
const general = [-3.5, -1, -0.25, 0, 0.3, 1, 2.5, 7];
const moderate = [-1.4, -1, -0.6, -0.25, 0.1, 0.3, 0.8, 1.3];
const positive = [0.1, 0.5, 1, 2, 3.5, 10, 100, 1e-3];
const unit = [-0.9, -0.5, -0.1, 0, 0.3, 0.7, 0.95, 0.99];
const special = [NaN, Infinity, -Infinity, -0, 0, 1e-30, -5, 30];

const x2 = (v: number[], dt: string) => array(v, dt as "float32").reshape([2, 4]);

type Unary = (x: Array) => Array;
const unaryOps: [string, Unary, number[], number[]][] = [
  // name, op, forward inputs, gradient inputs
  ["neg", (x) => x.neg(), general, moderate],
  ["sign", (x) => np.sign(x), general, moderate],
  ["floor", (x) => np.floor(x), general, moderate],
  ["ceil", (x) => np.ceil(x), general, moderate],
  ["round", (x) => np.round(x), [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.7, -3.2], moderate],
  ["abs", (x) => x.abs(), general, moderate],
  ["exp", (x) => x.exp(), general, moderate],
  ["log", (x) => x.log(), positive, positive],
  ["log1p", (x) => np.log1p(x), positive, positive],
  ["expm1", (x) => np.expm1(x), general, moderate],
  ["sqrt", (x) => x.sqrt(), positive, positive],
  ["rsqrt", (x) => np.rsqrt(x), positive, positive],
  ["sin", (x) => np.sin(x), general, moderate],
  ["cos", (x) => np.cos(x), general, moderate],
  ["tanh", (x) => np.tanh(x), general, moderate],
  ["logistic", (x) => np.sigmoid(x), general, moderate],
  ["erf", (x) => np.erf(x), general, moderate],
  ["erfc", (x) => np.erfc(x), [...general, 9, 12, -4, 4.5], moderate],
  ["log_ndtr", (x) => np.normalLogCdf(x), [...general, -20, -40], moderate],
  ["normalCdf", (x) => np.normalCdf(x), [...general, -12, 9], moderate],
  ["lgamma", (x) => np.lgamma(x), positive, positive],
  ["digamma", (x) => np.digamma(x), positive, positive],
  ["softplus", (x) => np.softplus(x), general, moderate],
  ["tan", (x) => np.tan(x), [...moderate, 1.5, -1.57, 100], moderate],
  ["arctan", (x) => np.arctan(x), [...general, 1e8, -1e-8], moderate],
  ["arcsin", (x) => np.arcsin(x), [...unit, 1, -1, 1.5], unit],
  ["arccos", (x) => np.arccos(x), [...unit, 1, -1, -1.5], unit],
  ["sinh", (x) => np.sinh(x), [...general, 1e-5, 80, -89], moderate],
  ["cosh", (x) => np.cosh(x), [...general, 1e-5, 80, -89], moderate],
  ["log2", (x) => np.log2(x), [...positive, 8, 0.125, 0, -1], positive],
  ["log10", (x) => np.log10(x), [...positive, 1000, 1e-5, 0, -1], positive],
];

Deno.test("jit parity: unary elementwise primitives, forward and grad", async (t) => {
  for (const [name, op, fwd, bwd] of unaryOps) {
    await t.step(name, () => {
      for (const dt of DTYPES) {
        const x = dt === "float32" ? array([...fwd], dt) : array([...fwd], dt);
        checkJit(`${name} ${dt}`, op, [x]);
        checkJit(`${name} ${dt} (2-D)`, op, [x2(moderate, dt)]);
        const w = array([0.5, 1, 2, 0.25, 3, 1.5, 0.75, 1.25], dt);
        const g = grad((v: Array) => op(v).mul(w).sum());
        checkJit(`grad ${name} ${dt}`, g, [array(bwd, dt)]);
      }
    });
  }
  await t.step("special values", () => {
    for (const [name, op] of unaryOps) {
      if (name === "log_ndtr") continue; // logNdtr(NaN) path is covered by the forward step
      for (const dt of DTYPES) checkJit(`${name} ${dt} special`, op, [array(special, dt)]);
    }
  });
  await t.step("erf_inv, trigamma, is_finite, not (direct primitives)", () => {
    for (const dt of DTYPES) {
      checkJit("erf_inv", (x: Array) => bind1(P.erf_inv, [x]), [array(unit, dt)]);
      checkJit("trigamma", (x: Array) => bind1(P.trigamma, [x]), [array(positive, dt)]);
      checkJit("is_finite", (x: Array) => np.isfinite(x), [array(special, dt)]);
    }
    checkJit("not bool", (x: Array) => np.logicalNot(x), [array([true, false, true])]);
    checkJit("not int32", (x: Array) => bind1(P.not, [x]), [
      array([0, -1, 5, 2 ** 31 - 1], "int32"),
    ]);
  });
});

type Binary = (x: Array, y: Array) => Array;
const binaryOps: [string, Binary][] = [
  ["add", (x, y) => x.add(y)],
  ["sub", (x, y) => x.sub(y)],
  ["mul", (x, y) => x.mul(y)],
  ["div", (x, y) => x.div(y)],
  ["pow", (x, y) => x.abs().add(0.5).pow(y)],
  ["max", (x, y) => x.maximum(y)],
  ["min", (x, y) => x.minimum(y)],
  ["atan-like chain", (x, y) => x.mul(y).sub(x.div(y.abs().add(1))).exp()],
  ["arctan2", (x, y) => np.arctan2(x, y)],
];

Deno.test("jit parity: binary elementwise primitives with broadcasting", async (t) => {
  const ys = [0.5, -2, 3, 0.25];
  for (const [name, op] of binaryOps) {
    await t.step(name, () => {
      for (const dt of DTYPES) {
        const x = x2(moderate, dt), y = array(ys, dt);
        checkJit(`${name} ${dt}`, op, [x, y]);
        checkJit(`${name} ${dt} column`, op, [x, array([1.5, -0.5], dt).reshape([2, 1])]);
        checkJit(`${name} ${dt} scalar`, (a: Array) => op(a, array(2, dt)), [x]);
        const g = grad((a: Array, b: Array) => op(a, b).mul(a).sum(), { argnums: [0, 1] });
        checkJit(`grad ${name} ${dt}`, g, [x, y]);
      }
    });
  }
  await t.step("comparisons and select", () => {
    for (const dt of DTYPES) {
      const x = array([1, 2, NaN, -0, 3, 3], dt), y = array([1, 3, 1, 0, NaN, 2], dt);
      for (const f of [np.equal, np.notEqual, np.less, np.lessEqual, np.greater, np.greaterEqual]) {
        checkJit(`${f.name} ${dt}`, f as Binary, [x, y]);
      }
      checkJit(`where ${dt}`, (a: Array, b: Array) => np.where(a.gt(b), a, b.mul(2)), [x, y]);
      checkJit(`max NaN ${dt}`, (a: Array, b: Array) => a.maximum(b), [x, y]);
      checkJit(`grad where ${dt}`, grad((a: Array) => np.where(a.gt(1), a.mul(a), a.neg()).sum()), [
        array(moderate, dt),
      ]);
    }
  });
  await t.step("int32 and bool arithmetic (wrap-around, bit operations)", () => {
    const a = array([2 ** 30, -7, 13, 2 ** 31 - 1, -(2 ** 31), 5], "int32");
    const b = array([4, 2, -3, 1, -1, 0], "int32");
    for (const [name, op] of binaryOps.slice(0, 3)) checkJit(`${name} int32`, op, [a, b]);
    checkJit("int div (primitive)", (x: Array, y: Array) => bind1(P.div, [x, y]), [a, b]);
    checkJit("max int32", (x: Array, y: Array) => x.maximum(y), [a, b]);
    checkJit(
      "and/or/xor int32",
      (x: Array, y: Array) => np.bitwiseAnd(x, y).add(np.bitwiseOr(x, y)).add(np.bitwiseXor(x, y)),
      [a, b],
    );
    checkJit(
      "shifts",
      (x: Array, y: Array) => np.shiftLeft(x, y.abs()).add(np.shiftRightLogical(x, y.abs())),
      [a, b],
    );
    checkJit("neg/abs int32", (x: Array) => x.neg().add(x.abs()), [a]);
    const p = array([true, false, true, false]), q = array([true, true, false, false]);
    checkJit(
      "logical",
      (x: Array, y: Array) =>
        np.logicalAnd(x, y).astype("int32").add(np.logicalOr(x, y).astype("int32"))
          .add(np.logicalXor(x, y).astype("int32")),
      [p, q],
    );
  });
  await t.step("convert_element_type", () => {
    const x = array([-2.7, -0.5, 0, 0.5, 2.7, 3e9, NaN, -Infinity], "float64");
    for (const dt of ["float32", "float64", "int32", "bool"] as const) {
      checkJit(`to ${dt}`, (v: Array) => v.astype(dt), [x]);
      checkJit(`to ${dt} from f32`, (v: Array) => v.mul(3).astype(dt), [x.astype("float32")]);
    }
    checkJit("int to float", (v: Array) => v.astype("float32").div(3), [array([1, 2, 7], "int32")]);
    checkJit("bool to float", (v: Array) => v.astype("float64").add(1), [array([true, false])]);
  });
});

Deno.test("jit parity: reductions", async (t) => {
  for (const dt of DTYPES) {
    await t.step(dt, () => {
      const x = array([...general, ...moderate, ...positive], dt).reshape([2, 3, 4]);
      for (
        const axis of [undefined, 0, 1, 2, [0, 2], [1, 2]] as (number | number[] | undefined)[]
      ) {
        for (const red of ["sum", "prod", "max", "min", "mean"] as const) {
          checkJit(`${red} axis ${axis}`, (v: Array) => v[red](axis), [x]);
          if (red !== "max" && red !== "min") {
            checkJit(`grad ${red} axis ${axis}`, grad((v: Array) => np.sin(v[red](axis)).sum()), [
              x,
            ]);
          }
        }
        checkJit(`grad max ${axis}`, grad((v: Array) => v.max(axis).mul(2).sum()), [x]);
        checkJit(`keepdims sum ${axis}`, (v: Array) => v.sum(axis, { keepdims: true }).mul(v), [x]);
      }
      checkJit("logsumexp", (v: Array) => np.logsumexp(v, 1), [x]);
      checkJit("max with NaN", (v: Array) => v.max(0), [array([1, NaN, 3, 2], dt)]);
      checkJit("reduce of reduce", (v: Array) => v.exp().sum(2).log().sum(0), [x]);
      checkJit("empty reduction", (v: Array) => v.sum(0), [np.zeros([0, 3], dt)]);
      checkJit("empty max", (v: Array) => bind1(P.reduce_max, [v], { axes: [1] }), [
        np.zeros([2, 0], dt),
      ]);
    });
  }
  await t.step("int32 and bool", () => {
    const x = array([1, -2, 3, 2 ** 30, 2 ** 30, 7], "int32").reshape([2, 3]);
    checkJit("int sum", (v: Array) => v.sum(1), [x]);
    checkJit("int prod", (v: Array) => v.prod(0), [x]);
    checkJit("int max", (v: Array) => v.max(), [x]);
    checkJit("bool sum", (v: Array) => v.gt(0).sum(), [x]);
  });
});

Deno.test("jit parity: shape primitives", async (t) => {
  for (const dt of DTYPES) {
    await t.step(dt, () => {
      const x = array(globalThis.Array.from({ length: 24 }, (_, i) => Math.sin(i) * 3), dt).reshape(
        [2, 3, 4],
      );
      const cases: [string, Unary][] = [
        ["reshape split", (v) => v.reshape([2, 3, 2, 2]).exp()],
        ["reshape merge", (v) => v.exp().reshape([6, 4]).sum(1)],
        ["reshape merge transposed", (v) => v.transpose([2, 0, 1]).mul(2).reshape([4, 6])],
        ["flatten", (v) => np.sin(v).flatten()],
        ["transpose", (v) => v.transpose([2, 0, 1]).exp().mul(2)],
        ["broadcast", (v) => np.broadcastTo(v.sum(0), [5, 3, 4]).mul(2)],
        ["slice", (v) => v.slice(null, "1:", "::2").exp()],
        ["slice negative step", (v) => v.slice("::-1", null, "3:0:-2").add(1)],
        ["rev", (v) => np.flip(v, [0, 2]).mul(v)],
        ["slice difference", (v) => v.slice(null, null, "1:").sub(v.slice(null, null, ":-1"))],
        ["concatenate", (v) => np.concatenate([v, v.exp(), v.slice(null, null, "1:")], 2)],
        ["stack", (v) => np.stack([v, v.neg()], 1).sum(0)],
        ["split", (v) => np.split(v, 2, 2)[1].mul(3)],
        ["expand/squeeze", (v) => np.squeeze(np.expandDims(v, 1).mul(2), 1)],
        ["moveaxis", (v) => np.log1p(np.moveaxis(v, 0, 2).abs())],
      ];
      for (const [name, f] of cases) {
        checkJit(name, f, [x]);
        checkJit(`grad ${name}`, grad((v: Array) => f(v).mul(1.5).sum()), [x]);
      }
      checkJit(
        "pad (grad of strided slice)",
        grad((v: Array) => v.slice(null, "::2", "1::2").sum()),
        [x],
      );
      checkJit(
        "iota",
        (v: Array) => bind1(P.iota, [], { shape: [3, 4], dtype: dt, dimension: 1 }).mul(v.sum(0)),
        [x],
      );
      checkJit(
        "iota int",
        () => bind1(P.iota, [], { shape: [2, 5], dtype: "int32", dimension: 0 }),
        [],
      );
    });
  }
});

Deno.test("jit parity: routines (not fused) and everything mixed", async (t) => {
  const a = array([[4, 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 2]], "float64");
  const b = array([[1, 2], [3, 4], [5, 6]], "float64");
  await t.step("matmul between fused kernels", () => {
    const f = (m: Array, n: Array) => np.tanh(m.exp().matmul(np.sin(n))).sum(0);
    checkJit("matmul", f, [a, b]);
    checkJit("grad matmul", grad((m: Array, n: Array) => f(m, n).sum(), { argnums: [0, 1] }), [
      a,
      b,
    ]);
    checkJit("float32 matmul", f, [a.astype("float32"), b.astype("float32")]);
  });
  await t.step("linear algebra", () => {
    checkJit("cholesky", (m: Array) => np.cholesky(m).mul(2), [a]);
    checkJit("solve", (m: Array, v: Array) => np.solve(m.add(0), v.exp()), [a, b]);
    checkJit("grad solve", grad((m: Array) => np.solve(m, b).sum()), [a]);
    checkJit("slogdet", (m: Array) => np.slogdet(m)[1], [a]);
    checkJit("inv", (m: Array) => np.inv(m).sum(1), [a]);
  });
  await t.step("cumsum, argmax, sort, gather, scatter-add", () => {
    const x = array([3, -1, 4, 1, -5, 9, 2, 6], "float32");
    const idx = array([0, 2, 2, 7, 5], "int32");
    checkJit("cumsum", (v: Array) => v.mul(2).cumsum().exp(), [x]);
    checkJit("grad cumsum", grad((v: Array) => np.sin(v.mul(v).cumsum()).sum()), [x]);
    checkJit("argmax", (v: Array) => v.mul(-1).argmax(), [x]);
    checkJit("sort", (v: Array) => np.sort(v.mul(v)).add(1), [x]);
    checkJit("argsort", (v: Array) => np.argsort(v), [x]);
    checkJit("take", (v: Array, i: Array) => v.exp().take(i).mul(2), [x, idx]);
    checkJit("grad take", grad((v: Array) => np.sin(v).take(idx).sum()), [x]);
    checkJit("index add", (v: Array, i: Array) => v.at(i).add(v.take(i).mul(3)), [x, idx]);
    checkJit(
      "segment sum",
      (v: Array) => np.segmentSum(v.exp(), array([0, 0, 1, 1, 1, 2, 2, 2], "int32"), 3),
      [x],
    );
  });
  await t.step("control flow", () => {
    const x = array([0.5, 1.5, -0.3], "float64");
    checkJit(
      "cond",
      (v: Array) => np.cond(v.sum().gt(0), (u: Array) => u.exp(), (u: Array) => u.neg(), v),
      [x],
    );
    checkJit(
      "whileLoop",
      (v: Array) =>
        np.whileLoop((u: Array) => u.sum().lt(10), (u: Array) => u.mul(1.5).add(0.1), v),
      [x],
    );
    checkJit(
      "scan",
      (v: Array) =>
        np.scan((c: Array, e: Array) => [c.mul(e).add(1), np.sin(c)], array(1, "float64"), v),
      [x],
    );
    checkJit(
      "grad scan",
      grad((v: Array) =>
        np.scan((c: Array, e: Array) => [c.mul(e).add(1), c], array(1, "float64"), v)[0]
      ),
      [x],
    );
    checkJit(
      "foriLoop",
      (v: Array) => np.foriLoop(0, 4, (_i: Array, c: Array) => c.mul(c).mul(0.5).add(v), v),
      [x],
    );
  });
  await t.step("random bits under jit", () => {
    const k = random.key(42);
    checkJit("normal", (key: Array) => random.normal(key, [6]).mul(2), [k]);
    checkJit("uniform", (key: Array) => random.uniform(key, [3, 2]).exp(), [k]);
  });
  await t.step("custom derivatives and nested jit are inlined", () => {
    const inner = jit((v: Array) => np.sin(v).mul(2));
    const f = np.customJvp((v: Array) => v.exp());
    f.defjvp(([p]: Array[], [tt]: Array[]) => [f(p), tt.mul(p.exp())]);
    checkJit("nested jit", (v: Array) => inner(v).add(inner(v.mul(2))).sum(), [array(moderate)]);
    checkJit("custom jvp", (v: Array) => (f(v) as Array).sum(), [array(moderate)]);
    checkJit("grad custom jvp", grad((v: Array) => (f(v) as Array).mul(v).sum()), [
      array(moderate),
    ]);
  });
});

Deno.test("jit parity: grad(jit(f)) and vmap(jit(f)) run compiled programs", () => {
  const f = jit((x: Array) => np.sin(x).mul(x).sum());
  const x = array(moderate, "float64");
  assertSameBits(grad(f)(x), grad((v: Array) => np.sin(v).mul(v).sum())(x), "grad(jit)");
  const g = jit((x: Array) => x.exp().sum());
  const xs = array([[1, 2], [3, 4]], "float64");
  assertSameBits(np.vmap(g)(xs), np.vmap((v: Array) => v.exp().sum())(xs), "vmap(jit)");
  assertClose(
    np.vmap(g)(xs.astype("float32")),
    np.vmap((v: Array) => v.exp().sum())(xs.astype("float32")),
    "vmap f32",
  );
});

Deno.test("jit parity: IEEE special cases, integer powers, ndtri and polygamma", async (t) => {
  await t.step("pow special values (1^NaN = 1, (-1)^inf = 1, 0^NaN = NaN)", () => {
    const xs = [1, 1, 1, -1, -1, 0, -0, NaN, 2, -2, Infinity, 0.5];
    const ys = [NaN, Infinity, -Infinity, Infinity, -Infinity, NaN, -1, 0, -Infinity, 3, -2, 1e3];
    for (const dt of DTYPES) {
      checkJit(`pow special ${dt}`, (a: Array, b: Array) => a.pow(b), [
        array(xs, dt),
        array(ys, dt),
      ]);
    }
  });
  await t.step("int32 ** int32 wraps around; a traced exponent equals a static one", () => {
    const x = array([2, -3, 7, 1, -1, 0, 46341, 5], "int32");
    const y = array([31, 3, 11, -2, -3, 0, 2, 13], "int32");
    checkJit("int pow", (a: Array, b: Array) => a.pow(b), [x, y]);
    for (const dt of [...DTYPES, "int32"] as const) {
      const v = array([1.5, -2, 3, 0.25], dt);
      for (const k of [0, 1, 2, 3, 7, -2]) {
        if (dt === "int32" && k < 0) continue;
        // eager: integer_pow (static k); jit: pow with the traced k — the same bits.
        assertSameBits(jit((a: Array, e: Array) => a.pow(e))(v, k), v.pow(k), `pow ${dt} ${k}`);
      }
    }
  });
  await t.step("logaddexp with NaN and infinities", () => {
    const a = [NaN, NaN, 1, Infinity, -Infinity, Infinity, 3];
    const b = [Infinity, -Infinity, NaN, Infinity, -Infinity, -Infinity, 3];
    for (const dt of DTYPES) {
      checkJit(`logaddexp ${dt}`, (x: Array, y: Array) => np.logaddexp(x, y), [
        array(a, dt),
        array(b, dt),
      ]);
    }
  });
  await t.step("ndtri (norm.ppf, norm.isf) in the tails, forward and grad", () => {
    const ps = [1e-300, 1e-30, 1e-12, 1e-8, 0.025, 0.5, 0.975, 1 - 1e-10, 0, 1, NaN, -1];
    for (const dt of DTYPES) {
      checkJit(`ppf ${dt}`, (p: Array) => np.norm.ppf(p), [array(ps, dt)]);
      checkJit(`isf ${dt}`, (p: Array) => np.norm.isf(p, 1, 2), [array(ps, dt)]);
      const g = grad((p: Array) => np.norm.ppf(p).sum());
      // exp(y²/2) amplifies the rounding of y by y² ≈ 86 at 1e-20: fast float32 to 1e-4.
      checkJit(`grad ppf ${dt}`, g, [array([1e-20, 0.01, 0.3, 0.9], dt)], 1e-4);
    }
  });
  await t.step("polygamma, forward and the third derivative of lgamma", () => {
    for (const dt of DTYPES) {
      const x = array([0.3, 1.7, -0.5, 12, 100, 1e-3], dt);
      checkJit(`polygamma ${dt}`, (v: Array) => np.polygamma(3, v).add(np.polygamma(1, v)), [x]);
      const d3 = grad((v: Array) =>
        grad((w: Array) => grad((u: Array) => np.lgamma(u).sum())(w).sum())(v).sum()
      );
      checkJit(`lgamma''' ${dt}`, d3, [array(positive, dt)]);
    }
  });
  await t.step("take with mode fill", () => {
    const x = array([1, 2, 3], "float64"), i = array([0, 5, -1, -9], "int32");
    checkJit("take fill", (a: Array, b: Array) => np.take(a, b, 0, { mode: "fill" }), [x, i]);
  });
});
