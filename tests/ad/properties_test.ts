/**
 * Property tests (fast-check, fixed seeds so CI is deterministic): numpy broadcasting against a
 * plain-JS reference, `vmap(f)` against stacking `f` per example, the transposition identity
 * `⟨vjp(u), v⟩ = ⟨u, jvp(v)⟩` on random composite functions, `grad(grad(f))` against finite
 * differences, and `jit(f)` against `f`.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  add,
  type Array,
  array,
  concatenate,
  cos,
  cumsum,
  div,
  erf,
  exp,
  flip,
  indexAdd,
  log1p,
  logaddexp,
  logsumexp,
  matmul,
  max,
  maximum,
  minimum,
  mul,
  neg,
  reshape,
  sigmoid,
  sin,
  slice,
  softplus,
  stack,
  sub,
  sum,
  take,
  tanh,
  transpose,
  where,
} from "../../core/mod.ts";
import { grad, jvp, vjp, vmap } from "../../ad/api.ts";
import { jit } from "../../jit/jit.ts";
import { propertyParams } from "../_property.ts";

const RUNS = 40;
const opts = (numRuns = RUNS) => propertyParams(numRuns);

type Gen = fc.GeneratorValue;
type Shape = number[];

const sizeOf = (s: Shape) => s.reduce((a, b) => a * b, 1);

/** A float64 array of `shape` with values in [lo, hi]. */
function genArray(g: Gen, shape: Shape, lo = -2, hi = 2): Array {
  const n = sizeOf(shape);
  const d = g(fc.float64Array, {
    min: lo,
    max: hi,
    noNaN: true,
    noDefaultInfinity: true,
    minLength: n,
    maxLength: n,
  });
  return array(d, "float64", { shape });
}

/** An int32 array of `shape` with values in [lo, hi]. */
function genInts(g: Gen, shape: Shape, lo: number, hi: number): Array {
  const n = sizeOf(shape);
  const d = g(fc.array, fc.integer({ min: lo, max: hi }), { minLength: n, maxLength: n });
  return array(Int32Array.from(d), "int32", { shape });
}

const genShape = (g: Gen, maxRank = 3, maxDim = 4): Shape =>
  g(fc.array, fc.integer({ min: 1, max: maxDim }), { minLength: 0, maxLength: maxRank });

function data(x: Array): number[] {
  return globalThis.Array.from(x.dataSync());
}

/** |a − b| ≤ atol + rtol·|b| elementwise, with shapes equal. */
function assertClose(a: Array, b: Array, rtol = 1e-12, atol = 1e-12, what = "") {
  assert.deepEqual(a.shape, b.shape, `${what}: shapes differ`);
  const x = data(a), y = data(b);
  for (let i = 0; i < y.length; i++) {
    const ok = x[i] === y[i] || Math.abs(x[i] - y[i]) <= atol + rtol * Math.abs(y[i]);
    assert.ok(ok, `${what}: element ${i}: ${x[i]} vs ${y[i]}`);
  }
}

Deno.test("numpy broadcasting: shapes and values of binary ops vs a plain-JS reference", async (t) => {
  /** Reference broadcast: right-aligned, each dim equal or 1; null when incompatible. */
  const refShape = (a: Shape, b: Shape): Shape | null => {
    const n = Math.max(a.length, b.length);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const da = a[a.length - n + i] ?? 1, db = b[b.length - n + i] ?? 1;
      if (da !== db && da !== 1 && db !== 1) return null;
      out.push(Math.max(da, db));
    }
    return out;
  };
  /** Reference values: for every output index, the operand element at the clamped index. */
  const refValues = (xa: number[], a: Shape, out: Shape) => {
    const res: number[] = [];
    const idx = out.map(() => 0);
    for (let k = 0; k < sizeOf(out); k++) {
      let r = k;
      for (let d = out.length - 1; d >= 0; d--) {
        idx[d] = r % out[d];
        r = Math.floor(r / out[d]);
      }
      let off = 0;
      for (let d = 0; d < a.length; d++) {
        const o = idx[out.length - a.length + d];
        off = off * a[d] + (a[d] === 1 ? 0 : o);
      }
      res.push(xa[off]);
    }
    return res;
  };
  const ops: [string, (x: Array, y: Array) => Array, (p: number, q: number) => number][] = [
    ["add", add, (p, q) => p + q],
    ["mul", mul, (p, q) => p * q],
    ["sub", sub, (p, q) => p - q],
    ["maximum", maximum, (p, q) => Math.max(p, q)],
  ];

  await t.step("compatible shapes", () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const out = genShape(g, 4);
        // Each operand: a suffix of `out`, with some dims replaced by 1.
        const operand = () => {
          const r = g(fc.integer, { min: 0, max: out.length });
          return out.slice(out.length - r).map((d) => (g(fc.boolean) ? 1 : d));
        };
        const sa = operand(), sb = operand();
        const x = genArray(g, sa), y = genArray(g, sb);
        const shape = refShape(sa, sb)!;
        for (const [name, op, ref] of ops) {
          const z = op(x, y);
          assert.deepEqual(z.shape, shape, `${name}: [${sa}] with [${sb}]`);
          assert.equal(z.dtype, "float64");
          const ra = refValues(data(x), sa, shape), rb = refValues(data(y), sb, shape);
          assert.deepEqual(data(z), ra.map((v, i) => ref(v, rb[i])), `${name} values`);
        }
      }),
      opts(),
    );
  });

  await t.step("incompatible shapes throw, naming the op and both shapes", () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const sa = genShape(g, 3), sb = genShape(g, 3);
        fc.pre(refShape(sa, sb) === null);
        const x = genArray(g, sa), y = genArray(g, sb);
        assert.throws(
          () => add(x, y),
          (e: Error) =>
            e.message.includes("add") && e.message.includes(`[${sa.join(",")}]`) &&
            e.message.includes(`[${sb.join(",")}]`),
        );
      }),
      { ...opts(), numRuns: 20 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Random composite functions: a program of shape-preserving steps on two inputs of one shape.

const UNARY: [string, (x: Array) => Array][] = [
  ["sin", sin],
  ["cos", cos],
  ["tanh", tanh],
  ["sigmoid", sigmoid],
  ["softplus", softplus],
  ["erf", erf],
  ["square/2", (x) => mul(mul(x, x), 0.5)],
  ["log1p(x²)", (x) => log1p(mul(x, x))],
  ["exp∘tanh", (x) => exp(tanh(x))],
  ["affine", (x) => add(mul(x, 0.7), 0.1)],
  ["neg", neg],
  ["cumsum0", (x) => (x.ndim ? cumsum(x, 0) : x)],
  ["flip0", (x) => (x.ndim ? flip(x, 0) : x)],
];
const BINARY: [string, (x: Array, y: Array) => Array][] = [
  ["add", add],
  ["sub", sub],
  ["mul", mul],
  ["logaddexp", logaddexp],
  ["x/(1+y²)", (x, y) => div(x, add(mul(y, y), 1))],
  ["where(x>y, x·y, sin y)", (x, y) => where(x.gt(y), mul(x, y), sin(y))],
];
const REDUCE: [string, (x: Array) => Array][] = [
  ["none", (x) => x],
  ["sum", (x) => sum(x)],
  ["sum0", (x) => (x.ndim ? sum(x, 0) : x)],
  ["logsumexp-1", (x) => (x.ndim ? logsumexp(x, -1) : x)],
];

interface Program {
  steps: { op: number; a: number; b: number; unary: boolean }[];
  reduce: number;
}

const programArb: fc.Arbitrary<Program> = fc.record({
  steps: fc.array(
    fc.record({
      unary: fc.boolean(),
      op: fc.nat(100),
      a: fc.nat(100),
      b: fc.nat(100),
    }),
    { minLength: 1, maxLength: 6 },
  ),
  reduce: fc.nat(REDUCE.length - 1),
});

function describeProgram(p: Program): string {
  const names = ["x", "y"];
  for (const s of p.steps) {
    const a = names[s.a % names.length], b = names[s.b % names.length];
    names.push(
      s.unary
        ? `${UNARY[s.op % UNARY.length][0]}(${a})`
        : `${BINARY[s.op % BINARY.length][0]}(${a}, ${b})`,
    );
  }
  return `${REDUCE[p.reduce][0]}(${names[names.length - 1]})`;
}

function runProgram(p: Program, x: Array, y: Array): Array {
  const vals = [x, y];
  for (const s of p.steps) {
    const a = vals[s.a % vals.length], b = vals[s.b % vals.length];
    vals.push(s.unary ? UNARY[s.op % UNARY.length][1](a) : BINARY[s.op % BINARY.length][1](a, b));
  }
  return REDUCE[p.reduce][1](vals[vals.length - 1]);
}

const inner = (a: Array, b: Array) => data(a).reduce((s, v, i) => s + v * data(b)[i], 0);

Deno.test("transposition: <vjp(v), u> == <v, jvp(u)> on random composite functions", () => {
  fc.assert(
    fc.property(fc.gen(), programArb, (g, p) => {
      const shape = genShape(g, 3);
      const x = genArray(g, shape), y = genArray(g, shape);
      const u = [genArray(g, shape), genArray(g, shape)];
      const f = (a: Array, b: Array) => runProgram(p, a, b);
      const [out, tan] = jvp(f, [x, y], u);
      const v = genArray(g, out.shape);
      const [out2, back] = vjp(f, x, y);
      assertClose(out2, out, 0, 0, "primal of vjp vs jvp");
      const [cx, cy] = back(v) as Array[];
      const lhs = inner(cx, u[0]) + inner(cy, u[1]);
      const rhs = inner(v, tan);
      const scale = 1 + Math.abs(lhs) + Math.abs(rhs);
      assert.ok(
        Math.abs(lhs - rhs) <= 1e-11 * scale,
        `${describeProgram(p)} on [${shape}]: <vjp(v), u> = ${lhs}, <v, jvp(u)> = ${rhs}`,
      );
    }),
    opts(),
  );
});

Deno.test("grad(grad(f)) vs finite differences (Richardson-extrapolated second differences)", () => {
  fc.assert(
    fc.property(fc.gen(), programArb, (g, p0) => {
      // Smooth elementwise programs of one variable (y = x; no cumsum/flip/reduce, which mix
      // entries, and no where, which has jumps), so F = Σ f(x_i) is separable and
      // grad(grad-sum) is f'' elementwise. UNARY ends with cumsum0, flip0; BINARY with where.
      const p: Program = {
        reduce: 0,
        steps: p0.steps.map((s) => ({
          ...s,
          op: s.op % (s.unary ? UNARY.length - 2 : BINARY.length - 1),
        })),
      };
      const n = g(fc.integer, { min: 1, max: 4 });
      const xs = genArray(g, [n], -1.5, 1.5);
      const f = (x: Array) => runProgram(p, x, x);
      const d2 = grad((x: Array) => grad((z: Array) => sum(f(z)))(x).sum())(xs);
      // D(h) = (f(x+h) − 2f(x) + f(x−h))/h²;  (4·D(h/2) − D(h))/3 has O(h⁴) truncation error.
      const fAt = (h: number) => data(f(add(xs, h)));
      const D = (h: number) => {
        const [p1, z0, m1] = [fAt(h), fAt(0), fAt(-h)];
        return p1.map((v, i) => (v - 2 * z0[i] + m1[i]) / (h * h));
      };
      const h = 1e-2;
      const [dh, dh2] = [D(h), D(h / 2)];
      const fd = dh.map((v, i) => (4 * dh2[i] - v) / 3);
      const got = data(d2);
      const mag = data(f(xs)).map((v) => 1 + Math.abs(v));
      got.forEach((v, i) => {
        assert.ok(
          Math.abs(v - fd[i]) <= 1e-6 * (mag[i] + Math.abs(fd[i])),
          `${describeProgram(p)} at x = ${data(xs)[i]}: grad(grad) ${v}, finite differences ${
            fd[i]
          }`,
        );
      });
    }),
    opts(),
  );
});

Deno.test("jit(f) equals f (random composite functions and shapes)", () => {
  fc.assert(
    fc.property(fc.gen(), programArb, (g, p) => {
      const shape = genShape(g, 3);
      const x = genArray(g, shape), y = genArray(g, shape);
      const f = (a: Array, b: Array) => runProgram(p, a, b);
      const jf = jit(f);
      assertClose(jf(x, y), f(x, y), 0, 0, `jit of ${describeProgram(p)}`);
      // Same shapes again: served from the cache.
      const x2 = genArray(g, shape);
      assertClose(jf(x2, y), f(x2, y), 0, 0, `cached jit of ${describeProgram(p)}`);
      assert.equal(jf.traceCount, 1);
      // jit of the gradient equals the gradient.
      const gf = (a: Array, b: Array) => sum(f(a, b));
      const gj = jit(grad(gf, { argnums: [0, 1] }))(x, y) as Array[];
      const ge = grad(gf, { argnums: [0, 1] })(x, y) as Array[];
      assertClose(gj[0], ge[0], 1e-14, 1e-14, "jit(grad) x");
      assertClose(gj[1], ge[1], 1e-14, 1e-14, "jit(grad) y");
    }),
    opts(30),
  );
});

// ---------------------------------------------------------------------------------------------
// vmap against a per-example loop.

interface ArgSpec {
  shape: Shape;
  /** For int32 index arguments: values in [lo, hi]. */
  ints?: [number, number];
}
interface VmapCase {
  name: string;
  args: (d: { m: number; n: number; k: number }) => ArgSpec[];
  f: (...xs: Array[]) => Array | Array[];
}

const VMAP_CASES: VmapCase[] = [
  {
    name: "Σ sin(x)·x over the last axis",
    args: ({ m, n }) => [{ shape: [m, n] }],
    f: (x) => sum(mul(sin(x), x), -1),
  },
  {
    name: "matmul",
    args: ({ m, n, k }) => [{ shape: [m, k] }, { shape: [k, n] }],
    f: (a, b) => matmul(a, b),
  },
  {
    name: "transpose(cumsum(x, 0))",
    args: ({ m, n }) => [{ shape: [m, n] }],
    f: (x) => transpose(cumsum(x, 0)),
  },
  {
    name: "take with negative indices",
    args: ({ m, n, k }) => [{ shape: [m, n] }, { shape: [k], ints: [-m, m - 1] }],
    f: (x, i) => take(x, i, 0),
  },
  {
    name: "take along axis 1",
    args: ({ m, n, k }) => [{ shape: [m, n] }, { shape: [k], ints: [0, n - 1] }],
    f: (x, i) => mul(take(x, i, 1), 2),
  },
  {
    name: "indexAdd with repeated indices",
    args: ({ m, n, k }) => [{ shape: [m, n] }, { shape: [k], ints: [0, m - 1] }, {
      shape: [k, n],
    }],
    f: (x, i, v) => indexAdd(x, i, v),
  },
  {
    name: "[logsumexp(x, 1), max(x, 0)] (two outputs)",
    args: ({ m, n }) => [{ shape: [m, n] }],
    f: (x) => [logsumexp(x, 1), max(x, 0)],
  },
  {
    name: "broadcasting: minimum(x, y)·x with [m,1] and [n]",
    args: ({ m, n }) => [{ shape: [m, 1] }, { shape: [n] }],
    f: (x, y) => mul(minimum(x, y), x),
  },
  {
    name: "concatenate(reverse slice, x²) and reshape",
    args: ({ m, n }) => [{ shape: [m, n] }],
    f: (x) => reshape(concatenate([slice(x, "::-1"), mul(x, x)], 0), [-1]),
  },
  {
    name: "grad inside vmap (per-example gradients)",
    args: ({ n }) => [{ shape: [n] }, { shape: [n] }],
    f: (w, x) => grad((v: Array) => sum(tanh(mul(v, x))))(w),
  },
];

Deno.test("vmap(f) equals stacking f per example", async (t) => {
  for (const c of VMAP_CASES) {
    await t.step(c.name, () => {
      fc.assert(
        fc.property(fc.gen(), (g) => {
          const dims = {
            m: g(fc.integer, { min: 1, max: 3 }),
            n: g(fc.integer, { min: 1, max: 3 }),
            k: g(fc.integer, { min: 1, max: 3 }),
          };
          const B = g(fc.integer, { min: 1, max: 4 });
          const specs = c.args(dims);
          // Batch axis of each argument (null = shared by all examples); at least one batched.
          const inAxes: (number | null)[] = specs.map((s) =>
            g(fc.option, fc.integer({ min: 0, max: s.shape.length }), { nil: null })
          );
          if (!inAxes.some((a) => a !== null)) inAxes[0] = 0;
          const make = (s: ArgSpec) =>
            s.ints ? genInts(g, s.shape, ...s.ints) : genArray(g, s.shape);
          const examples = specs.map((s, i) =>
            inAxes[i] === null ? [make(s)] : globalThis.Array.from({ length: B }, () => make(s))
          );
          const batched = examples.map((ex, i) =>
            inAxes[i] === null ? ex[0] : stack(ex, inAxes[i]!)
          );
          const per = globalThis.Array.from({ length: B }, (_, b) => {
            const r = c.f(...examples.map((ex, i) => (inAxes[i] === null ? ex[0] : ex[b])));
            return r instanceof globalThis.Array ? r : [r];
          });
          const minRank = Math.min(...per[0].map((o) => o.ndim));
          const outAxis = g(fc.integer, { min: -1, max: minRank });
          const got = vmap(c.f, { inAxes, outAxes: outAxis })(...batched);
          const gots = got instanceof globalThis.Array ? got : [got];
          per[0].forEach((_, k) => {
            const want = stack(per.map((p) => p[k]), outAxis);
            assertClose(gots[k], want, 1e-13, 1e-13, `output ${k}, inAxes [${inAxes}]`);
          });
        }),
        opts(25),
      );
    });
  }

  await t.step("pytree arguments with per-leaf inAxes, under jit inside and outside", () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const [B, n] = [1, 1].map(() => g(fc.integer, { min: 1, max: 4 }));
        const w = genArray(g, [n]);
        const xs = globalThis.Array.from({ length: B }, () => genArray(g, [n]));
        const bs = globalThis.Array.from({ length: B }, () => genArray(g, []));
        const f = (p: { w: Array; x: Array; b: Array }) => ({
          y: add(sum(mul(p.w, tanh(p.x))), p.b),
          z: [mul(p.x, p.b)],
        });
        const inAxes = [{ w: null, x: 1, b: 0 }];
        const args = { w, x: stack(xs, 1), b: stack(bs) };
        const want = { y: stack(xs.map((x, i) => f({ w, x, b: bs[i] }).y)) };
        const wantZ = stack(xs.map((x, i) => f({ w, x, b: bs[i] }).z[0]));
        for (
          const v of [
            vmap(f, { inAxes }),
            vmap(jit(f), { inAxes }),
            jit(vmap(f, { inAxes })),
          ]
        ) {
          const got = v(args);
          assertClose(got.y, want.y, 1e-13, 1e-13, "y");
          assertClose(got.z[0], wantZ, 1e-13, 1e-13, "z");
        }
      }),
      opts(20),
    );
  });

  await t.step("nested vmap (outer over axis 1, inner over axis 0) equals a double loop", () => {
    fc.assert(
      fc.property(fc.gen(), (g) => {
        const [a, b, n] = [1, 1, 1].map(() => g(fc.integer, { min: 1, max: 3 }));
        const x = genArray(g, [a, b, n]);
        const f = (v: Array) => logsumexp(mul(v, sin(v)));
        const got = vmap(vmap(f), { inAxes: 1, outAxes: 1 })(x); // [a, b]
        const want = stack(
          globalThis.Array.from(
            { length: a },
            (_, i) => stack(globalThis.Array.from({ length: b }, (_, j) => f(slice(x, i, j)))),
          ),
        );
        assertClose(got, want, 1e-13, 1e-13, "nested vmap");
      }),
      opts(20),
    );
  });
});
