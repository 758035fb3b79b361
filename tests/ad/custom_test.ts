import assert from "node:assert/strict";
import {
  type Array,
  array,
  clip,
  customJvp,
  customVjp,
  exp,
  grad,
  hessian,
  jacrev,
  jit,
  jvp,
  log1p,
  makeJaxpr,
  vmap,
} from "../../mod.ts";

const f64 = (x: number | number[]) => array(x, "float64");
const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("customJvp", async (t) => {
  let ruleCalls = 0;
  const softplus = customJvp((x: Array) => log1p(exp(x)));
  softplus.defjvp(([x]: Array[], [tx]: Array[]) => {
    ruleCalls++;
    return [softplus(x), tx.div(exp(x.neg()).add(1))];
  });

  await t.step(
    "the rule replaces the derivative (finite where autodiff of log1p(exp) overflows)",
    () => {
      close(grad(softplus)(f64(1000)).item(), 1);
      assert.ok(Number.isNaN(grad((x: Array) => log1p(exp(x)))(f64(1000)).item()));
      assert.ok(ruleCalls > 0);
    },
  );
  await t.step("forward, reverse and second order agree with σ(x) and σ'(x)", () => {
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    close(jvp(softplus, [f64(0.3)], [f64(2)])[1].item(), 2 * sig(0.3));
    close(grad(grad(softplus))(f64(0.3)).item(), sig(0.3) * (1 - sig(0.3)));
  });
  await t.step("composes with vmap and jit, and is staged as custom_jvp_call", () => {
    const xs = [-1, 0, 2];
    const g = vmap(grad(softplus))(f64(xs)).dataSync();
    xs.forEach((x, i) => close(g[i], 1 / (1 + Math.exp(-x))));
    close(jit(grad(softplus))(f64(2)).item(), 1 / (1 + Math.exp(-2)));
    assert.match(makeJaxpr(softplus)(f64(1)).toString(), /custom_jvp_call/);
  });
  await t.step("nondiffArgnums pass through to the rule first", () => {
    const scaled = customJvp((k: number, x: Array) => x.mul(k), { nondiffArgnums: [0] });
    scaled.defjvp((k: number, [x]: Array[], [tx]: Array[]) => [x.mul(k), tx.mul(10 * k)]);
    close(grad((x: Array) => scaled(3, x))(f64(1)).item(), 30);
  });
  await t.step("a rule is required, and a differentiated closure value is an error", () => {
    assert.throws(() => customJvp((x: Array) => x)(f64(1)), /no rule defined/);
    const outer = (y: Array) => {
      const f = customJvp((x: Array) => x.mul(y));
      f.defjvp(([x]: Array[], [tx]: Array[]) => [x.mul(y), tx.mul(y)]);
      return f(f64(2));
    };
    assert.throws(() => grad(outer)(f64(3)), /closes over a value that is being differentiated/);
  });
});

Deno.test("customVjp", async (t) => {
  const clipGrad = customVjp((x: Array) => x);
  clipGrad.defvjp((x: Array) => [x, null], (_res: unknown, g: Array) => [clip(g, -1, 1)]);

  await t.step("bwd defines the gradient", () => {
    close(grad((x: Array) => clipGrad(x).mul(5))(f64(2)).item(), 1);
    close(grad((x: Array) => clipGrad(x).mul(0.5))(f64(2)).item(), 0.5);
  });
  await t.step("residuals from fwd reach bwd; cotangents per argument; null means zero", () => {
    let fwdCalls = 0;
    const mulxy = customVjp((x: Array, y: Array) => x.mul(y));
    mulxy.defvjp(
      (x: Array, y: Array) => {
        fwdCalls++;
        return [x.mul(y), { x, y }];
      },
      (res: { x: Array; y: Array }, g: Array) => [g.mul(res.y), null],
    );
    const [gx, gy] = grad((x: Array, y: Array) => mulxy(x, y).sum(), { argnums: [0, 1] })(
      f64([1, 2]),
      f64([3, 4]),
    );
    assert.deepEqual([...gx.dataSync()], [3, 4]);
    assert.deepEqual([...gy.dataSync()], [0, 0]);
    assert.equal(fwdCalls, 1);
  });
  await t.step(
    "vmap, jacrev and jit compose; hessian (forward over reverse) differentiates bwd",
    () => {
      const cube = customVjp((x: Array) => x.pow(3));
      cube.defvjp((x: Array) => [x.pow(3), x], (x: Array, g: Array) => [g.mul(x.square()).mul(3)]);
      const xs = [1, 2, 3];
      const gv = vmap(grad(cube))(f64(xs)).dataSync();
      xs.forEach((x, i) => close(gv[i], 3 * x * x));
      const jr = jacrev(cube)(f64(xs)).tolist() as number[][];
      xs.forEach((x, i) => close(jr[i][i], 3 * x * x));
      close(jit(grad(cube))(f64(2)).item(), 12);
      close(hessian((x: Array) => cube(x).sum())(f64([2])).item(), 12);
    },
  );
  await t.step("forward mode is a clear error", () => {
    assert.throws(
      () => jvp(clipGrad, [f64(1)], [f64(1)]),
      /forward-mode differentiation .* customVjp/,
    );
  });
  await t.step("bwd must return one cotangent per differentiable argument", () => {
    const bad = customVjp((x: Array, y: Array) => x.add(y));
    bad.defvjp((x: Array, y: Array) => [x.add(y), null], (_r: unknown, g: Array) => [g]);
    assert.throws(() => grad((x: Array) => bad(x, f64(1)))(f64(1)), /list of 2 cotangent\(s\)/);
  });
});
