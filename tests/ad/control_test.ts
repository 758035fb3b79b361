// deno-lint-ignore-file no-explicit-any -- loop bodies take and return pytrees, like JAX.
/**
 * Tests for traceable control flow (core/ops/control.ts) and its transform rules
 * (ad/rules/{jvp,transpose,batch}_control.ts).
 *
 * References are independent of the code under test: plain JS loops over numbers, the same
 * computation unrolled with ordinary ops (no control primitive), central finite differences in
 * float64, and closed forms worked by hand.
 */
import assert from "node:assert/strict";
import {
  type Array,
  array,
  bitwiseAnd,
  cond,
  cos,
  exp,
  foriLoop,
  grad,
  hessian,
  jacfwd,
  jacrev,
  jit,
  jvp,
  logicalAnd,
  makeJaxpr,
  scan,
  shiftRightLogical,
  sin,
  switchCase,
  valueAndGrad,
  vmap,
  whileLoop,
} from "../../mod.ts";

const f64 = (v: number | number[] | number[][]) => array(v, "float64");
const list = (a: Array): number[] => globalThis.Array.from(a.dataSync(), Number);

function close(got: number | number[], want: number | number[], tol = 1e-12, what = ""): void {
  const g = typeof got === "number" ? [got] : got, w = typeof want === "number" ? [want] : want;
  assert.equal(g.length, w.length, `${what}: length ${g.length} vs ${w.length}`);
  g.forEach((v, i) => {
    const err = Math.abs(v - w[i]) / Math.max(1, Math.abs(w[i]));
    assert.ok(err <= tol, `${what}[${i}]: got ${v}, want ${w[i]} (rel. error ${err})`);
  });
}

/** Central finite difference of scalar `f` at `x` (a JS number) in float64. */
function fd(f: (x: Array) => Array, x: number, h = 1e-6): number {
  return (f(f64(x + h)).item() - f(f64(x - h)).item()) / (2 * h);
}

/** Central finite-difference gradient of scalar `f` at the vector `x` in float64. */
function fdGrad(f: (x: Array) => Array, x: number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const up = [...x], dn = [...x];
    up[i] += h;
    dn[i] -= h;
    return (f(f64(up)).item() - f(f64(dn)).item()) / (2 * h);
  });
}

// ---------------------------------------------------------------------------------------------
// The functions under test and their unrolled twins (same maths, JS loop over ordinary ops).

const XS = [0.3, -1.2, 0.7, 2.1];

/** c ← c·w + sin(x_i) over XS; ys = c·x_i. Returns the final carry plus Σ ys. */
const scanFn = (w: Array) => {
  const [c, ys] = scan((c: Array, x: Array) => [c.mul(w).add(sin(x)), c.mul(x)], f64(1), f64(XS));
  return c.add(ys.sum());
};
const scanUnrolled = (w: Array) => {
  let c = f64(1), s = f64(0);
  for (const x of XS) {
    s = s.add(c.mul(x));
    c = c.mul(w).add(Math.sin(x));
  }
  return c.add(s);
};
const scanJs = (w: number) => {
  let c = 1, s = 0;
  for (const x of XS) {
    s += c * x;
    c = c * w + Math.sin(x);
  }
  return c + s;
};

/** foriLoop with static bounds: acc ← acc·cos(w·i) + w, i = 2..5. */
const foriFn = (w: Array) =>
  foriLoop(
    2,
    6,
    (i: Array, acc: Array) => acc.mul(cos(w.mul(i.astype("float64")))).add(w),
    f64(0.5),
  );
const foriJs = (w: number) => {
  let acc = 0.5;
  for (let i = 2; i < 6; i++) acc = acc * Math.cos(w * i) + w;
  return acc;
};

/** cond on the sign of x: x³ when positive, sin(2x) otherwise. */
const condFn = (x: Array) =>
  cond(x.gt(0), (v: Array) => v.mul(v).mul(v), (v: Array) => sin(v.mul(2)), x);

// ---------------------------------------------------------------------------------------------

Deno.test("values match plain JS loops", async (t) => {
  await t.step("scan: carry, stacked ys, pytrees, reverse, xs = null", () => {
    close(scanFn(f64(0.8)).item(), scanJs(0.8), 1e-14, "scanFn");
    const [c, ys] = scan(
      (c: any, x: any) => [{ s: c.s.add(x.a), p: c.p.mul(x.b) }, [c.s, x.a.mul(x.b)]],
      { s: f64(0), p: f64(1) },
      { a: f64([1, 2, 3]), b: f64([4, 5, 6]) },
    );
    close(c.s.item(), 6, 0, "sum");
    close(c.p.item(), 120, 0, "product");
    close(list(ys[0]), [0, 1, 3], 0, "ys[0] (carry before each step)");
    close(list(ys[1]), [4, 10, 18], 0, "ys[1]");
    // reverse: iterate from the end; ys[i] still belongs to xs[i].
    const [rc, rys] = scan((c: Array, x: Array) => [c.mul(10).add(x), c], f64(0), f64([1, 2, 3]), {
      reverse: true,
    });
    close(rc.item(), 321, 0, "reverse carry");
    close(list(rys), [32, 3, 0], 0, "reverse ys");
    // No xs: the length is given.
    const [n, sq] = scan((c: Array) => [c.add(1), c.mul(c)], f64(2), null, { length: 4 });
    close(n.item(), 6, 0, "length-only carry");
    close(list(sq), [4, 9, 16, 25], 0, "length-only ys");
    const [c0, y0] = scan((c: Array, x: Array) => [c.add(x), x], f64(7), f64([]).reshape([0]));
    close(c0.item(), 7, 0, "empty scan keeps init");
    assert.deepEqual(y0.shape, [0]);
  });

  await t.step("foriLoop (static and traced bounds) and whileLoop", () => {
    close(foriFn(f64(0.4)).item(), foriJs(0.4), 1e-14, "foriFn");
    const sumTo = (n: any) =>
      foriLoop(0, n, (i: Array, acc: Array) => acc.add(i), array(0, "int32"));
    assert.equal(sumTo(5).item(), 10);
    assert.equal(sumTo(array(5, "int32")).item(), 10, "traced upper bound (whileLoop)");
    assert.equal(sumTo(0).item(), 0);
    assert.equal(sumTo(-3).item(), 0, "upper < lower runs no iteration");
    // A JS-number init (weakly typed float32) takes the float64 dtype the body gives it.
    const w = foriLoop(0, 3, (_i: Array, acc: Array) => acc.add(f64(0.1)), 0);
    assert.equal(w.dtype, "float64");
    close(w.item(), 0.1 + 0.1 + 0.1, 1e-15, "promoted carry");
    // Collatz steps of 27 (111 by the JS loop below).
    let n = 27, steps = 0;
    while (n !== 1) [n, steps] = [n % 2 ? 3 * n + 1 : n / 2, steps + 1];
    const one = array(1, "int32"), three = array(3, "int32");
    const out = whileLoop(
      (c: any) => c.n.ne(1),
      (c: any) => ({
        n: cond(
          bitwiseAnd(c.n, one),
          (m: Array) => m.mul(three).add(one),
          (m: Array) => shiftRightLogical(m, one),
          c.n,
        ),
        steps: c.steps.add(one),
      }),
      { n: array(27, "int32"), steps: array(0, "int32") },
    );
    assert.equal(out.steps.item(), steps);
    assert.equal(out.n.item(), 1);
  });

  await t.step("cond and switchCase pick one branch", () => {
    close(condFn(f64(1.5)).item(), 1.5 ** 3, 1e-15, "true branch");
    close(condFn(f64(-0.4)).item(), Math.sin(-0.8), 1e-15, "false branch");
    assert.equal(cond(true, () => f64(1), () => f64(2)).item(), 1, "JS boolean predicate");
    assert.equal(cond(f64(0), () => f64(1), () => f64(2)).item(), 2, "numeric predicate 0");
    const branches = [(x: Array) => x.add(1), (x: Array) => x.mul(10), (x: Array) => x.neg()];
    assert.deepEqual([0, 1, 2].map((i) => switchCase(i, branches, f64(3)).item()), [4, 30, -3]);
    assert.equal(switchCase(7, branches, f64(3)).item(), -3, "index clamped to the last branch");
    assert.equal(switchCase(-2, branches, f64(3)).item(), 4, "index clamped to the first branch");
    const pair = cond(false, (a: Array, b: Array) => [a, b], (a: Array, b: Array) => [b, a], 1, 2);
    assert.deepEqual(pair.map((p: Array) => p.item()), [2, 1], "several operands, pytree output");
  });
});

Deno.test("forward and reverse derivatives", async (t) => {
  await t.step("scan: jvp and grad vs unrolled and finite differences", () => {
    for (const w of [0.8, -1.3]) {
      const want = grad(scanUnrolled)(f64(w)).item();
      close(want, fd((x) => f64(scanJs(x.item())), w), 1e-8, "unrolled vs FD");
      close(grad(scanFn)(f64(w)).item(), want, 1e-13, `grad scan at ${w}`);
      close(jvp(scanFn, [f64(w)], [f64(1)])[1].item(), want, 1e-13, `jvp scan at ${w}`);
      close(grad(scanFn)(f64(w)).item(), fd(scanFn, w), 1e-8, "grad scan vs FD");
    }
  });

  await t.step("scan: gradients of consts, init and xs (pytrees), reverse", () => {
    const f = (p: any) => {
      const [c, ys] = scan(
        (c: any, x: any) => [{ a: c.a.mul(p.w).add(x), b: c.b.add(sin(c.a)) }, c.a.mul(x)],
        { a: p.a0, b: f64(0) },
        p.xs,
        { reverse: true },
      );
      return c.a.add(c.b).add(ys.sum());
    };
    const unrolled = (p: any) => {
      let a = p.a0, b = f64(0), s = f64(0);
      for (let i = 2; i >= 0; i--) {
        const x = p.xs.slice(i);
        s = s.add(a.mul(x));
        [a, b] = [a.mul(p.w).add(x), b.add(sin(a))];
      }
      return a.add(b).add(s);
    };
    const p = { w: f64(0.7), a0: f64(0.2), xs: f64([0.5, -1, 1.5]) };
    const g = grad(f)(p), want = grad(unrolled)(p);
    close(f(p).item(), unrolled(p).item(), 1e-14, "value");
    close(g.w.item(), want.w.item(), 1e-13, "d/dw");
    close(g.a0.item(), want.a0.item(), 1e-13, "d/da0");
    close(list(g.xs), list(want.xs), 1e-13, "d/dxs");
    const flat = (v: Array) => f({ w: v.slice(0), a0: v.slice(1), xs: v.slice("2:") });
    close([g.w.item(), g.a0.item(), ...list(g.xs)], fdGrad(flat, [0.7, 0.2, 0.5, -1, 1.5]), 1e-8);
  });

  await t.step("grad(grad(scan)) and hessian vs unrolled and finite differences", () => {
    for (const w of [0.8, -1.3]) {
      const want = grad(grad(scanUnrolled))(f64(w)).item();
      close(grad(grad(scanFn))(f64(w)).item(), want, 1e-12, `second derivative at ${w}`);
      close(want, fd((x) => grad(scanUnrolled)(x), w), 1e-7, "unrolled vs FD of grad");
      close(hessian(scanFn)(f64(w)).item(), want, 1e-12, "hessian (forward over reverse)");
      const third = grad(grad(grad(scanFn)))(f64(w)).item();
      close(third, grad(grad(grad(scanUnrolled)))(f64(w)).item(), 1e-11, "third derivative");
    }
  });

  await t.step("nested scans: grad, grad(grad), jit and vmap vs the JS loop", () => {
    const nested = (w: Array) =>
      scan(
        (c: Array, x: Array) => {
          const [inner] = scan(
            (d: Array, y: Array) => [d.mul(w).add(sin(y.mul(x))), null],
            c,
            f64([0.1, 0.2, 0.3]),
          );
          return [inner, inner.mul(x)];
        },
        f64(0.5),
        f64([1, -1, 2]),
      )[1].sum();
    const js = (w: number) => {
      let c = 0.5, s = 0;
      for (const x of [1, -1, 2]) {
        for (const y of [0.1, 0.2, 0.3]) c = c * w + Math.sin(y * x);
        s += c * x;
      }
      return s;
    };
    const jsF = (v: Array) => f64(js(v.item()));
    close(nested(f64(0.7)).item(), js(0.7), 1e-14, "value");
    const g = grad(nested)(f64(0.7)).item();
    close(g, fd(jsF, 0.7), 1e-8, "grad");
    const g2 = grad(grad(nested))(f64(0.7)).item();
    close(g2, fd(grad(nested), 0.7), 1e-7, "grad(grad)");
    close((fd(jsF, 0.7 + 1e-4) - fd(jsF, 0.7 - 1e-4)) / 2e-4, g2, 1e-5, "grad(grad) vs JS");
    close(jit(grad(grad(nested)))(f64(0.7)).item(), g2, 1e-14, "jit(grad(grad))");
    close(list(vmap(grad(nested))(f64([0.7, 0.3]))), [g, grad(nested)(f64(0.3)).item()], 1e-14);
  });

  await t.step("vector-valued scan: jacrev = jacfwd = hand-computed Jacobian", () => {
    // c ← c ⊙ v + x_i over two steps from c0 = [1, 2]: c2 = (c0 ⊙ v + x0) ⊙ v + x1, so
    // ∂c2/∂v = diag(2 c0 ⊙ v + x0).
    const f = (v: Array) =>
      scan(
        (c: Array, x: Array) => [c.mul(v).add(x), c.sum()],
        f64([1, 2]),
        f64([[1, 2], [3, 4]]),
      )[0];
    const want = [2 * 1 * 0.5 + 1, 0, 0, 2 * 2 * 0.2 + 2];
    close(list(jacrev(f)(f64([0.5, 0.2]))), want, 1e-15, "jacrev");
    close(list(jacfwd(f)(f64([0.5, 0.2]))), want, 1e-15, "jacfwd");
  });

  await t.step("foriLoop with static bounds: jvp and grad", () => {
    const h = 1e-6;
    for (const w of [0.4, 1.1]) {
      const want = (foriJs(w + h) - foriJs(w - h)) / (2 * h);
      close(grad(foriFn)(f64(w)).item(), want, 1e-8, `grad at ${w}`);
      close(jvp(foriFn, [f64(w)], [f64(1)])[1].item(), want, 1e-8, `jvp at ${w}`);
      close(grad(grad(foriFn))(f64(w)).item(), fd(grad(foriFn), w), 1e-7, "second derivative");
    }
  });

  await t.step("cond: jvp and grad in both branches, and inside a scan", () => {
    for (const x of [1.5, -0.4]) {
      const want = x > 0 ? 3 * x * x : 2 * Math.cos(2 * x);
      close(grad(condFn)(f64(x)).item(), want, 1e-14, `grad at ${x}`);
      close(jvp(condFn, [f64(x)], [f64(1)])[1].item(), want, 1e-14, `jvp at ${x}`);
      close(grad(condFn)(f64(x)).item(), fd(condFn, x), 1e-8, "grad vs FD");
      const second = x > 0 ? 6 * x : -4 * Math.sin(2 * x);
      close(grad(grad(condFn))(f64(x)).item(), second, 1e-13, `second derivative at ${x}`);
    }
    // A closed-over parameter used in one branch only, and a cond inside a scan.
    const f = (w: Array) =>
      scan(
        (c: Array, x: Array) => [
          cond(x.gt(0), (a: Array) => a.mul(w).add(x), (a: Array) => exp(a.mul(x)), c),
          c,
        ],
        f64(0.3),
        f64([1, -0.5, 2, -1]),
      )[0];
    const unrolled = (w: number) => {
      let c = 0.3;
      for (const x of [1, -0.5, 2, -1]) c = x > 0 ? c * w + x : Math.exp(c * x);
      return c;
    };
    close(f(f64(0.9)).item(), unrolled(0.9), 1e-14, "value");
    close(grad(f)(f64(0.9)).item(), fd((v) => f64(unrolled(v.item())), 0.9), 1e-8, "grad");
    close(jvp(f, [f64(0.9)], [f64(1)])[1].item(), grad(f)(f64(0.9)).item(), 1e-13, "jvp = grad");
  });

  await t.step("scan inside cond inside grad; switchCase gradient", () => {
    const f = (w: Array) =>
      cond(
        w.lt(1),
        (v: Array) => scan((c: Array, x: Array) => [c.mul(v).add(x), null], f64(1), f64(XS))[0],
        (v: Array) => v.mul(v),
        w,
      );
    const poly = (w: number) => XS.reduce((c, x) => c * w + x, 1);
    close(grad(f)(f64(0.5)).item(), fd((v) => f64(poly(v.item())), 0.5), 1e-8, "scan branch");
    close(grad(f)(f64(2)).item(), 4, 1e-14, "other branch");
    const s = (x: Array) =>
      switchCase(2, [(v: Array) => v, (v: Array) => v.mul(v), (v: Array) => sin(v).mul(v)], x);
    close(grad(s)(f64(0.7)).item(), Math.cos(0.7) * 0.7 + Math.sin(0.7), 1e-14, "switchCase");
  });

  await t.step("whileLoop: forward mode works, reverse mode is a clear error", () => {
    // Newton for √a: the JVP of the iteration converges to d√a/da = 1/(2√a).
    const sqrtNewton = (a: Array) =>
      whileLoop(
        (x: Array) => x.mul(x).sub(a).abs().gt(1e-14),
        (x: Array) => x.add(a.div(x)).div(2),
        a,
      );
    const [y, dy] = jvp(sqrtNewton, [f64(2)], [f64(1)]);
    close(y.item(), Math.SQRT2, 1e-15, "value");
    close(dy.item(), 1 / (2 * Math.SQRT2), 1e-12, "tangent");
    const loop = (w: Array) => whileLoop((c: Array) => c.lt(100), (c: Array) => c.mul(w), f64(1));
    close(jvp(loop, [f64(3)], [f64(1)])[1].item(), 5 * 3 ** 4, 1e-12, "d(w^5)/dw (5 trips)");
    for (
      const g of [
        grad(loop),
        grad((w: Array) =>
          foriLoop(0, array(3, "int32"), (_i: Array, c: Array) => c.mul(w), f64(1))
        ),
      ]
    ) {
      assert.throws(() => g(f64(3)), (e: Error) => {
        assert.match(e.message, /whileLoop: reverse-mode differentiation/);
        assert.match(e.message, /scan/);
        assert.match(e.message, /foriLoop with JS-number \(static\) bounds/);
        assert.match(e.message, /customRoot/);
        return true;
      });
    }
    // A while loop whose result does not depend on the differentiated input is fine.
    const indep = (w: Array) =>
      w.mul(whileLoop((c: Array) => c.lt(10), (c: Array) => c.add(3), f64(0)));
    close(grad(indep)(f64(2)).item(), 12, 0, "constant loop");
  });
});

Deno.test("vmap equals a per-example loop", async (t) => {
  const ws = [0.8, -1.3, 0.1];
  await t.step("scan: batched consts, carry and xs", () => {
    close(list(vmap(scanFn)(f64(ws))), ws.map(scanJs), 1e-14, "batched const");
    const f = (c0: Array, xs: Array) =>
      scan((c: Array, x: Array) => [c.mul(0.5).add(x), c.mul(x)], c0, xs);
    const c0 = [1, 2, 3], xs = [[1, 2], [3, 4], [5, 6]];
    const [cb, ysb] = vmap(f)(f64(c0), f64(xs));
    c0.forEach((c, b) => {
      const [ce, yse] = f(f64(c), f64(xs[b]));
      close(cb.slice(b).item(), ce.item(), 0, `carry ${b}`);
      close(list(ysb.slice(b)), list(yse), 0, `ys ${b}`);
    });
    // xs batched along axis 1, init unbatched.
    const [cb2] = vmap(f, { inAxes: [null, 1] })(f64(1), f64(xs));
    [0, 1].forEach((b) => {
      close(cb2.slice(b).item(), f(f64(1), f64(xs.map((r) => r[b])))[0].item(), 0, `axis 1, ${b}`);
    });
    close(list(vmap(grad(scanFn))(f64(ws))), ws.map((w) => grad(scanFn)(f64(w)).item()), 1e-14);
    const gv = grad((w: Array) => vmap((v: Array) => scanFn(v.mul(w)))(f64(ws)).sum())(f64(0.9));
    close(gv.item(), fd((w) => vmap((v: Array) => scanFn(v.mul(w)))(f64(ws)).sum(), 0.9), 1e-8);
  });

  await t.step("foriLoop with static and batched traced bounds", () => {
    close(list(vmap(foriFn)(f64(ws))), ws.map(foriJs), 1e-14, "static bounds");
    const tri = (n: Array) =>
      foriLoop(0, n, (i: Array, acc: Array) => acc.add(i), array(0, "int32"));
    assert.deepEqual(list(vmap(tri)(array([3, 0, 5, 1], "int32"))), [3, 0, 10, 0]);
  });

  await t.step("cond: batched operands with a shared predicate, and a batched predicate", () => {
    const xs = [1.5, -0.4, 2, -3];
    close(list(vmap(condFn)(f64(xs))), xs.map((x) => condFn(f64(x)).item()), 0, "batched pred");
    const shared = (p: Array, x: Array) =>
      cond(p, (v: Array) => v.mul(2), (v: Array) => v.add(100), x);
    close(list(vmap(shared, { inAxes: [null, 0] })(array(true), f64(xs))), xs.map((x) => 2 * x));
    const sw = (i: Array, x: Array) =>
      switchCase(i, [(v: Array) => v, (v: Array) => v.mul(v), (v: Array) => v.neg()], x);
    const idx = [2, 0, 1, 5];
    close(list(vmap(sw)(array(idx, "int32"), f64(xs))), [-1.5, -0.4, 4, 3], 0, "switchCase");
    close(list(vmap(grad(condFn))(f64(xs))), xs.map((x) => grad(condFn)(f64(x)).item()), 0);
  });

  await t.step("whileLoop: batched condition (examples stop at different steps)", () => {
    const doubling = (c: Array) => whileLoop((v: Array) => v.lt(100), (v: Array) => v.mul(2), c);
    const starts = [3, 30, 200, 0.5];
    const js = starts.map((s) => {
      while (s < 100) s *= 2;
      return s;
    });
    close(list(vmap(doubling)(f64(starts))), js, 0, "doubling");
    // Batched constant in the body only: the predicate stays unbatched.
    const trips = (w: Array) =>
      whileLoop((c: any) => c[0].lt(4), (c: any) => [c[0].add(1), c[1].mul(w)], [
        f64(0),
        f64(1),
      ])[1];
    close(list(vmap(trips)(f64(ws))), ws.map((w) => w ** 4), 1e-15, "unbatched predicate");
    const dts = vmap((a: Array) => jvp(doubling, [a], [f64(1)])[1])(f64(starts));
    close(list(dts), js.map((v, i) => v / starts[i]), 1e-15, "vmap of jvp");
  });
});

Deno.test("jit equals eager, makeJaxpr shows the primitives", async (t) => {
  await t.step("each construct under jit", () => {
    for (
      const [name, f, x] of [
        ["scan", scanFn, 0.8],
        ["foriLoop", foriFn, 0.4],
        ["cond", condFn, -0.4],
        ["cond", condFn, 1.5],
      ] as const
    ) {
      const j = jit(f);
      close(j(f64(x)).item(), f(f64(x)).item(), 0, `${name} value`);
      close(jit(grad(f))(f64(x)).item(), grad(f)(f64(x)).item(), 0, `${name} jit(grad)`);
      close(grad(j)(f64(x)).item(), grad(f)(f64(x)).item(), 0, `${name} grad(jit)`);
      const both = [f(f64(x)).item(), f(f64(2 * x)).item()];
      close(list(jit(vmap(f))(f64([x, 2 * x]))), both, 0, `${name} jit(vmap)`);
    }
    const loop = jit((c: Array) => whileLoop((v: Array) => v.lt(100), (v: Array) => v.mul(2), c));
    close(list(vmap(loop)(f64([3, 300]))), [192, 300], 0, "whileLoop");
    // valueAndGrad of a jitted function returns a concrete value, not a tracer.
    const [v, g] = valueAndGrad(jit(scanFn))(f64(0.8));
    close(v.item(), scanJs(0.8), 1e-14, "value of valueAndGrad(jit)");
    close(g.item(), grad(scanUnrolled)(f64(0.8)).item(), 1e-13, "grad of valueAndGrad(jit)");
  });

  await t.step("Newton iteration with whileLoop inside jit (cube roots, batched)", () => {
    // Solve x³ = a; carry the iterate and an iteration count (capped at 50).
    const cbrt = jit((a: Array) =>
      whileLoop(
        (c: any) =>
          logicalAnd(c.x.mul(c.x).mul(c.x).sub(a).abs().gt(a.abs().mul(1e-13)), c.n.lt(50)),
        (c: any) => ({
          x: c.x.sub(c.x.mul(c.x).mul(c.x).sub(a).div(c.x.mul(c.x).mul(3))),
          n: c.n.add(array(1, "int32")),
        }),
        { x: a.abs().add(1), n: array(0, "int32") },
      )
    );
    const as = [8, 27, 2, 1000, 0.001];
    const out = vmap(cbrt)(f64(as));
    close(list(out.x), as.map(Math.cbrt), 1e-13, "vmap(jit(newton))");
    const iters = list(out.n);
    assert.ok(new Set(iters).size > 1, `examples should need different iteration counts: ${iters}`);
    as.forEach((a, i) => {
      const one = cbrt(f64(a));
      close(one.x.item(), Math.cbrt(a), 1e-13, `cbrt(${a})`);
      assert.equal(one.n.item(), iters[i], `batched run stops example ${i} at its own step`);
    });
    // vmap calls the jitted function on per-example (scalar) values: one trace serves both uses.
    assert.equal(cbrt.traceCount, 1, "traced once");
    const [, dx] = jvp((a: Array) => cbrt(a).x, [f64(8)], [f64(1)]);
    close(dx.item(), 1 / (3 * 4), 1e-12, "jvp through jit(newton): 1/(3 a^(2/3))");
  });

  await t.step("makeJaxpr shows cond, while and scan", () => {
    const s = makeJaxpr(scanFn)(f64(1)).toString();
    assert.match(s, /= scan\[jaxpr=/);
    assert.match(s, /numCarry=1 length=4 reverse=false/);
    assert.match(makeJaxpr(condFn)(f64(1)).toString(), /= cond\[branches=/);
    const w = makeJaxpr((c: Array) => whileLoop((v: Array) => v.lt(1), (v: Array) => v.add(1), c));
    assert.match(w(f64(0)).toString(), /= while\[condJaxpr=/);
    assert.match(makeJaxpr(foriFn)(f64(1)).toString(), /= scan\[/);
    assert.match(
      makeJaxpr((n: Array) => foriLoop(0, n, (_i: Array, c: Array) => c, f64(0)))(array(3, "int32"))
        .toString(),
      /= while\[/,
    );
    // grad = the primal scan (also stacking the carries as residuals) + a reverse scan that
    // transposes the tangent scan; the tangent scan itself is never run.
    const g = makeJaxpr(grad(scanFn))(f64(1)).toString();
    assert.equal((g.match(/= scan\[/g) ?? []).length, 2, g);
    assert.match(g, /numConsts=1 numCarry=1 length=4 reverse=false\] b 1\.0 a/);
    assert.match(g, /numCarry=2 length=4 reverse=true/);
  });
});

Deno.test("errors name the op, the leaf and the types", async (t) => {
  await t.step("cond branches must agree", () => {
    assert.throws(
      () => cond(true, (x: Array) => [x, x], (x: Array) => x, f64(1)),
      /cond: the true branch returns \[\*, \*\] but the false branch returns \*/,
    );
    assert.throws(
      () => cond(true, (x: Array) => x, (x: Array) => x.astype("float32"), f64(1)),
      /cond: output is f64\[\] in the true branch but f32\[\] in the false branch/,
    );
    assert.throws(
      () => cond(true, (x: Array) => ({ a: x }), (x: Array) => ({ a: x.reshape([1]) }), f64(1)),
      /output\.a is f64\[\] in the true branch but f64\[1\] in the false branch/,
    );
    assert.throws(
      () => switchCase(0, [(x: Array) => x, (x: Array) => x.sum()], f64([1, 2])),
      /switchCase: output is f64\[\] in branch 1 but f64\[2\] in branch 0/,
    );
    assert.throws(
      () => cond(f64([1, 0]), () => 1, () => 2),
      /cond: the predicate must be a scalar, got f64\[2\]/,
    );
    assert.throws(
      () => switchCase(f64(1), [() => 1], []),
      /switchCase: the index must be an integer scalar/,
    );
  });

  await t.step("loop carries must keep their types", () => {
    assert.throws(
      () => scan((c: Array, x: Array) => [c.add(x), null], array(0, "float32"), f64([1, 2])),
      /scan: the body changes the type of carry leaf carry from f32\[\] to f64\[\]/,
    );
    assert.throws(
      () =>
        whileLoop(
          (c: any) => c.n.lt(3),
          (c: any) => ({ n: c.n.add(1), v: c.v.reshape([1, 2]) }),
          { n: f64(0), v: f64([1, 2]) },
        ),
      /whileLoop: the body changes the type of carry leaf carry\.v from f64\[2\] to f64\[1,2\]/,
    );
    assert.throws(
      () => foriLoop(0, 2, (_i: Array, c: Array) => c.astype("int32"), f64(1)),
      /foriLoop: the body changes the type of carry leaf carry from f64\[\] to i32\[\]/,
    );
    assert.throws(
      () => whileLoop((c: Array) => c, (c: Array) => c, f64(1)),
      /whileLoop: the condition must return a bool scalar .* got f64\[\]/,
    );
    assert.throws(
      () => whileLoop((c: any) => c[0].lt(1), (c: any) => c[0], [f64(0), f64(1)]),
      /whileLoop: the body must return the carry's structure \[\*, \*\], got \*/,
    );
    assert.throws(
      () => scan((c: Array, x: Array) => c.add(x), f64(0), f64([1])),
      /scan: f must return \[carry, y\], got \*/,
    );
    assert.throws(
      () => scan((c: Array, x: any) => [c, x.a], f64(0), { a: f64([1, 2]), b: f64([1, 2, 3]) }),
      /scan: xs\.b is f64\[3\], whose leading axis is not the scan length 2/,
    );
    assert.throws(() => scan((c: Array) => [c, null], f64(0), null), /length/);
  });
});
