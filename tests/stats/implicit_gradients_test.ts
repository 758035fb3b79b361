/**
 * Differentiable fits (implicit differentiation through `customRoot`): gradients of best-fit
 * values, Z0 and CLs with respect to sample nominals, normsys/histosys/shapesys/staterror inputs,
 * observations and the tested μ, against central finite differences of complete refits
 * (relative 1e-5, float64), on a two-channel model with every modifier type. The references are
 * computed independently of `stats/implicit.ts` and `stats/asymptotics.ts`: concrete fits,
 * polished by Newton steps on the gradient so that the differences resolve 1e-5, and the
 * asymptotic formulas written out with `ndtr`. Also: active bounds, fixed parameters, the solver
 * not re-run in the backward pass, q0 = 0, second derivatives, jit and vmap, the ready losses.
 */
import assert from "node:assert/strict";
import { type Array, array, solve } from "../../core/mod.ts";
import { ndtr } from "../../core/special.ts";
import { grad, hessian, jacrev, valueAndGrad, vmap } from "../../ad/api.ts";
import { jit } from "../../jit/jit.ts";
import {
  clsArray,
  clsLoss,
  discoverySignificance,
  fit,
  FitError,
  fitParams,
  fixedPoiFit,
  fromPyhf,
  hypotest,
  hypotestArrays,
  type Model,
  nllObjective,
  q0Array,
  significanceLoss,
  z0Array,
} from "../../stats/mod.ts";
import { everyModifierModel } from "./models.ts";

const model = everyModifierModel();
const POI = model.poiIndex!;
const observed = model.observed;
assert.deepEqual(model.channels, ["cr", "sr"]);

// ---------------------------------------------------------------------------------------------
// Independent references.

interface RefFit {
  x: number[];
  twiceNll: number;
}

/** A fit polished by Newton steps on the free, inactive parameters (to machine precision). */
function refFit(
  data: Array,
  m: Model,
  o: { fixedPoi?: number; fixed?: Record<string, boolean>; init?: number[] } = {},
): RefFit {
  const r = o.fixedPoi === undefined
    ? fit(data, m, { fixed: o.fixed, init: o.init })
    : fixedPoiFit(o.fixedPoi, data, m, { fixed: o.fixed, init: o.init });
  assert.ok(r.converged, r.message);
  const obj = nllObjective(m, data);
  const free = r.fixed.flatMap((f, i) => (f || r.atBound[i] ? [] : [i]));
  const x = Float64Array.from(r.bestfit);
  const n = m.npars, k = free.length;
  for (let it = 0; it < 4 && k > 0; it++) {
    const [, g] = obj.valueAndGrad(x);
    const H = obj.hessian(x);
    const Hf = free.map((i) => free.map((j) => H[i * n + j]));
    const step = solve(array(Hf, "float64"), array(free.map((i) => -g[i]), "float64"))
      .dataSync();
    free.forEach((i, a) => (x[i] += step[a]));
  }
  return { x: [...x], twiceNll: 2 * obj.value(x) };
}

/** q̃μ-style statistic from two polished fits; `kind` q0 clips at μ̂ < 0. */
function refStat(mu: number, data: Array, m: Model, kind: "q0" | "qtilde", init?: number[]) {
  const free = refFit(data, m, { init });
  const fixed = refFit(data, m, { fixedPoi: mu, init: free.x });
  const t = Math.max(fixed.twiceNll - free.twiceNll, 0);
  const muhat = free.x[POI];
  return kind === "q0" ? (muhat < 0 ? 0 : t) : (muhat > mu ? 0 : t);
}

function refZ0(data: Array, m: Model): number {
  return Math.sqrt(refStat(0, data, m, "q0"));
}

/** CLs by the formulas of Cowan et al. with pyhf's q̃ rule, and the Asimov data as pyhf's. */
function refCls(mu: number, data: Array, m: Model): number {
  const q = refStat(mu, data, m, "qtilde");
  const gen = refFit(data, m, { fixedPoi: 0 });
  const asimov = m.expectedData(array(gen.x, "float64"));
  const qA = refStat(mu, asimov, m, "qtilde", gen.x);
  const sq = Math.sqrt(q), sqA = Math.sqrt(qA);
  const t = sq < sqA ? sq - sqA : (q - qA) / (2 * sqA);
  return ndtr(-(t + sqA)) / ndtr(-t);
}

/** Five-point central differences of every output of f, step h·max(1, |x_i|). */
function fdJacobian(f: (x: number[]) => number[], x: number[], h = 1e-3): number[][] {
  return x.map((xi, i) => {
    const d = h * Math.max(1, Math.abs(xi));
    const at = (e: number) => {
      const y = [...x];
      y[i] += e;
      return f(y);
    };
    const [p1, m1, p2, m2] = [at(d), at(-d), at(2 * d), at(-2 * d)];
    return p1.map((_, k) => (8 * (p1[k] - m1[k]) - (p2[k] - m2[k])) / (12 * d));
  }); // [input][output]
}

/** |got − want| ≤ rtol·|want| + atol·max|want| for every entry. */
function assertRel(got: number[], want: number[], what: string, rtol = 1e-5, atol = 1e-8) {
  assert.equal(got.length, want.length, `${what}: length`);
  const scale = Math.max(...want.map(Math.abs));
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Number.isFinite(got[i]) &&
        Math.abs(got[i] - want[i]) <= rtol * Math.abs(want[i]) + atol * scale,
      `${what}[${i}]: implicit ${got[i]}, finite differences ${want[i]}`,
    );
  }
}

const f64 = (x: number[]) => array(x, "float64");
const nums = (a: Array) => [...a.dataSync()];

// ---------------------------------------------------------------------------------------------
// The inputs differentiated: each maps a vector x to a model (and data).

interface Input {
  name: string;
  x0: number[];
  build: (x: Array) => { m: Model; data: Array };
}

const inputs: Input[] = [
  {
    name: "signal nominals",
    x0: [4, 9, 6],
    build: (x) => ({ m: model.withNominals({ sig: x }), data: observed }),
  },
  {
    name: "background nominals (both channels)",
    x0: [100, 80, 30, 25, 12],
    build: (x) => ({ m: model.withNominals({ bkg: x }), data: observed }),
  },
  {
    name: "normsys hi/lo (sr and cr)",
    x0: [1.08, 0.9, 1.05, 0.93],
    build: (x) => ({
      m: model.withSamples({
        sr: { bkg: { modifiers: { jes: { hi: x.slice(0), lo: x.slice(1) } } } },
        cr: { bkg: { modifiers: { jes: { hi: x.slice(2), lo: x.slice(3) } } } },
      }),
      data: observed,
    }),
  },
  {
    name: "histosys hi_data/lo_data",
    x0: [33, 26, 11, 28, 24, 12.5],
    build: (x) => ({
      m: model.withSamples({
        sr: {
          bkg: {
            modifiers: {
              shape: {
                hi_data: x.slice({ start: 0, stop: 3 }),
                lo_data: x.slice({ start: 3 }),
              },
            },
          },
        },
      }),
      data: observed,
    }),
  },
  {
    name: "shapesys and staterror uncertainties",
    x0: [8, 7, 2, 1.5, 1],
    build: (x) => ({
      m: model.withSamples({
        cr: { bkg: { modifiers: { uncorr: x.slice({ start: 0, stop: 2 }) } } },
        sr: { bkg: { modifiers: { stat_sr: x.slice({ start: 2 }) } } },
      }),
      data: observed,
    }),
  },
  {
    name: "observations",
    x0: nums(model.mainData(observed)),
    build: (x) => ({ m: model, data: model.data(x) }),
  },
];

Deno.test("implicit gradients vs finite differences of full refits", async (t) => {
  await t.step("the model has normsys, histosys, shapesys and staterror", () => {
    for (const name of ["jes", "shape", "uncorr", "stat_sr"]) model.paramset(name);
  });
  await t.step("fitParams = the (polished) fit's best fit; fixedPoi = fixedPoiFit's", () => {
    assertRel(nums(fitParams(observed, model)), refFit(observed, model).x, "free", 1e-10, 1e-10);
    const c = refFit(observed, model, { fixedPoi: 1.3 });
    assertRel(nums(fitParams(observed, model, { fixedPoi: 1.3 })), c.x, "fixed", 1e-10, 1e-10);
    assertRel(nums(fitParams(observed, model)), fit(observed, model).bestfit, "vs fit", 1e-6, 1e-6);
  });
  for (const inp of inputs) {
    await t.step(`${inp.name}: best-fit values (jacrev)`, () => {
      const f = (x: Array) => {
        const { m, data } = inp.build(x);
        return fitParams(data, m);
      };
      const J = jacrev(f)(f64(inp.x0)).tolist() as number[][]; // [param][input]
      const fd = fdJacobian((x) => {
        const { m, data } = inp.build(f64(x));
        return refFit(data, m).x;
      }, inp.x0);
      for (let j = 0; j < inp.x0.length; j++) {
        assertRel(J.map((row) => row[j]), fd[j], `dθ̂/d${inp.name}[${j}]`);
      }
    });
    await t.step(`${inp.name}: Z0 and CLs(μ = 1)`, () => {
      const z = (x: Array) => {
        const { m, data } = inp.build(x);
        return z0Array(data, m);
      };
      const c = (x: Array) => {
        const { m, data } = inp.build(x);
        return clsArray(1, data, m);
      };
      const fd = fdJacobian((x) => {
        const { m, data } = inp.build(f64(x));
        return [refZ0(data, m), refCls(1, data, m)];
      }, inp.x0);
      const [zv, gz] = valueAndGrad(z)(f64(inp.x0));
      const [cv, gc] = valueAndGrad(c)(f64(inp.x0));
      const { m, data } = inp.build(f64(inp.x0));
      assertRel([zv.item(), cv.item()], [refZ0(data, m), refCls(1, data, m)], "values", 1e-9, 0);
      assertRel(nums(gz), fd.map((r) => r[0]), `dZ0/d${inp.name}`);
      assertRel(nums(gc), fd.map((r) => r[1]), `dCLs/d${inp.name}`);
    });
  }
  await t.step("the tested μ: dθ̂(μ)/dμ and dCLs/dμ", () => {
    const mu0 = 1.3;
    const th = jacrev((mu: Array) => fitParams(observed, model, { fixedPoi: mu }))(
      f64([mu0]).reshape([]),
    );
    const fd = fdJacobian((x) => refFit(observed, model, { fixedPoi: x[0] }).x, [mu0])[0];
    assertRel(nums(th), fd, "dθ̂/dμ");
    const g = grad((mu: Array) => clsArray(mu, observed, model))(f64([mu0]).reshape([])).item();
    const fdc = fdJacobian((x) => [refCls(x[0], observed, model)], [mu0])[0][0];
    assertRel([g], [fdc], "dCLs/dμ");
  });
});

Deno.test("active bounds and fixed parameters", async (t) => {
  // A deficit in the signal region: μ̂ sits at its lower bound 0.
  const low = model.data(f64([104, 77, 29, 23, 10]));
  const sig0 = [4, 9, 6];
  await t.step("μ̂ at the bound: its derivative is 0, the rest follow the refit", () => {
    const r = fit(low, model);
    assert.equal(r.bestfit[POI], 0);
    assert.ok(r.atBound[POI]);
    const f = (s: Array) => fitParams(low, model.withNominals({ sig: s }));
    const J = jacrev(f)(f64(sig0)).tolist() as number[][];
    const fd = fdJacobian((x) => refFit(low, model.withNominals({ sig: f64(x) })).x, sig0);
    for (let j = 0; j < 3; j++) {
      assert.equal(J[POI][j], 0);
      assertRel(J.map((row) => row[j]), fd[j], `dθ̂/ds[${j}]`);
    }
  });
  await t.step("CLs with μ̂ at the bound", () => {
    const c = (s: Array) => clsArray(1, low, model.withNominals({ sig: s }));
    const fd = fdJacobian((x) => [refCls(1, low, model.withNominals({ sig: f64(x) }))], sig0);
    assertRel(nums(grad(c)(f64(sig0))), fd.map((r) => r[0]), "dCLs/ds");
  });
  await t.step("q0 = 0 (μ̂ at the bound): Z0 = 0 with a zero gradient, not NaN", () => {
    const z = (s: Array) => z0Array(low, model.withNominals({ sig: s }));
    assert.equal(z(f64(sig0)).item(), 0);
    assert.deepEqual(nums(grad(z)(f64(sig0))), [0, 0, 0]);
    const zObs = (n: Array) => z0Array(model.data(n), model);
    const g = nums(grad(zObs)(model.mainData(low)));
    assert.ok(g.every((v) => v === 0), `${g}`);
  });
  await t.step("q0 clipped at μ̂ < 0 (POI unbounded below): zero gradient", () => {
    const bounds = model.suggestedBounds.map((b, i) => i === POI ? [-10, 10] as const : b);
    assert.ok(fit(low, model, { bounds }).bestfit[POI] < 0);
    const q = (s: Array) => q0Array(low, model.withNominals({ sig: s }), { bounds });
    assert.equal(q(f64(sig0)).item(), 0);
    assert.deepEqual(nums(grad(q)(f64(sig0))), [0, 0, 0]);
  });
  await t.step("a fixed nuisance parameter stays at its value; the others follow", () => {
    const jes = model.paramset("jes").start;
    const init = [...model.suggestedInit];
    init[jes] = 0.5;
    const f = (s: Array) =>
      fitParams(observed, model.withNominals({ sig: s }), { fixed: { jes: true }, init });
    const th = f(f64(sig0));
    assert.equal(nums(th)[jes], 0.5);
    const J = jacrev(f)(f64(sig0)).tolist() as number[][];
    const fd = fdJacobian(
      (x) =>
        refFit(observed, model.withNominals({ sig: f64(x) }), { fixed: { jes: true }, init }).x,
      sig0,
    );
    for (let j = 0; j < 3; j++) {
      assert.equal(J[jes][j], 0);
      assertRel(J.map((row) => row[j]), fd[j], `dθ̂/ds[${j}] (jes fixed)`);
    }
  });
});

Deno.test("second order: hessian of Z0 = differences of its gradient", () => {
  const z = (s: Array) => z0Array(observed, model.withNominals({ sig: s }));
  const s0 = [4, 9, 6];
  const H = hessian(z)(f64(s0)).tolist() as number[][];
  const fd = fdJacobian((x) => nums(grad(z)(f64(x))), s0);
  for (let j = 0; j < 3; j++) assertRel(H.map((row) => row[j]), fd[j], `H[:, ${j}]`);
});

Deno.test("the solver runs in the forward pass only", async (t) => {
  const s0 = f64([4, 9, 6]);
  const counted = (kind: "z0" | "cls" | "fit") => {
    let calls = 0;
    const onFit = () => calls++;
    const fn = (s: Array) => {
      const m = model.withNominals({ sig: s });
      if (kind === "z0") return z0Array(observed, m, { onFit });
      if (kind === "cls") return clsArray(1, observed, m, { onFit });
      return fitParams(observed, m, { onFit });
    };
    return { fn, calls: () => calls, reset: () => (calls = 0) };
  };
  for (const [kind, fits] of [["z0", 2], ["cls", 5], ["fit", 1]] as const) {
    await t.step(`${kind}: ${fits} fits for the value, the same for grad / jacrev`, () => {
      const c = counted(kind);
      c.fn(s0);
      assert.equal(c.calls(), fits);
      c.reset();
      if (kind === "fit") jacrev(c.fn)(s0);
      else grad(c.fn)(s0);
      assert.equal(c.calls(), fits);
    });
  }
});

Deno.test("jit and vmap through the fits", async (t) => {
  const z = (s: Array) => z0Array(observed, model.withNominals({ sig: s }));
  const batch = [[4, 9, 6], [5, 8, 7], [3, 10, 4]];
  await t.step("jit(grad(Z0)) = grad(Z0), with new values too", () => {
    const gj = jit(grad(z));
    for (const s of batch) assertRel(nums(gj(f64(s))), nums(grad(z)(f64(s))), "jit", 1e-12, 0);
  });
  await t.step("vmap(grad(Z0)) = one at a time", () => {
    const gv = vmap(grad(z))(array(batch, "float64")).tolist() as number[][];
    batch.forEach((s, i) => assertRel(gv[i], nums(grad(z)(f64(s))), `row ${i}`, 1e-12, 0));
  });
  await t.step("vmap(fitParams) over data vectors", () => {
    const datas = [nums(observed), nums(model.data(f64([100, 82, 40, 38, 20])))];
    const th = vmap((d: Array) => fitParams(d, model))(array(datas, "float64")).tolist();
    datas.forEach((d, i) =>
      assertRel((th as number[][])[i], refFit(f64(d), model).x, `row ${i}`, 1e-10, 1e-10)
    );
  });
});

Deno.test("ready losses", async (t) => {
  const s0 = [4, 9, 6];
  await t.step("significanceLoss = −Z0 on the μ = 1 Asimov data, gradient vs refits", () => {
    const loss = significanceLoss(model, "sig");
    const ref = (s: number[]) => {
      const m = model.withNominals({ sig: f64(s) });
      return refZ0(m.expectedData(m.init({ mu: 1 })), m);
    };
    const [v, g] = valueAndGrad(loss)(f64(s0));
    assertRel([-v.item()], [ref(s0)], "value", 1e-9, 0);
    const m0 = model.withNominals({ sig: f64(s0) });
    const concrete = discoverySignificance(m0.expectedData(m0.init({ mu: 1 })), m0).z0;
    assertRel([-v.item()], [concrete], "vs discoverySignificance", 1e-9, 0);
    assertRel(nums(g), fdJacobian((x) => [-ref(x)], s0).map((r) => r[0]), "d(−Z0)/ds");
    // Warm-started second call: the same answer.
    assertRel([loss(f64(s0)).item()], [v.item()], "warm start", 1e-12, 0);
  });
  await t.step("clsLoss = CLs on the background-only Asimov data, gradient vs refits", () => {
    const loss = clsLoss(model, "sig", 1);
    const ref = (s: number[]) => {
      const m = model.withNominals({ sig: f64(s) });
      return refCls(1, m.expectedData(m.init({ mu: 0 })), m);
    };
    const [v, g] = valueAndGrad(loss)(f64(s0));
    assertRel([v.item()], [ref(s0)], "value", 1e-9, 0);
    const m0 = model.withNominals({ sig: f64(s0) });
    const h = hypotest(1, m0.expectedData(m0.init({ mu: 0 })), m0, { returnExpected: true });
    assertRel([v.item()], [h.cls], "vs hypotest", 1e-9, 0);
    assertRel([v.item()], [h.clsExpected!], "= the median expected CLs", 1e-6, 0);
    assertRel(nums(g), fdJacobian((x) => [ref(x)], s0).map((r) => r[0]), "dCLs/ds");
  });
  await t.step("errors name the problem", () => {
    assert.throws(() => significanceLoss(model, "nope"), /unknown sample "nope"/);
    assert.throws(() => clsLoss(model, "nope", 1), /unknown sample "nope"/);
    assert.throws(() => significanceLoss(model, "sig")(f64([1, 2])), /expected shape \[3\]/);
  });
});

Deno.test("hypotestArrays = hypotest", () => {
  const a = hypotestArrays(1, observed, model);
  const h = hypotest(1, observed, model, { returnTail: true, returnExpectedSet: true });
  assertRel([a.cls.item(), a.clsb.item(), a.clb.item()], [h.cls, h.clsb!, h.clb!], "obs", 1e-9, 0);
  assertRel(nums(a.expected.cls), h.clsExpectedSet!, "band", 1e-9, 0);
});

Deno.test("fitParams errors", async (t) => {
  await t.step("shapes and options are checked, naming them", () => {
    assert.throws(() => fitParams(f64([1, 2]), model), /fitParams: data: expected shape \[\d+\]/);
    assert.throws(() => fitParams(observed, model, { init: [1, 2] }), /init: expected shape/);
    assert.throws(() => fitParams(observed, model, { fixed: [true] }), /fixed has 1 entries/);
    assert.throws(
      () => fitParams(observed, model, { fixedPoi: f64([1, 2]) }),
      /fixedPoi must be a scalar/,
    );
  });
  await t.step("a fit that does not converge throws a FitError", () => {
    assert.throws(() => fitParams(observed, model, { maxIter: 1 }), FitError);
  });
  await t.step("a flat direction: the value is returned, the gradient is a named error", () => {
    // Two free normalisations of the same sample: only their product is determined.
    const flat = fromPyhf({
      channels: [{
        name: "c",
        samples: [{
          name: "s",
          data: [10, 20],
          modifiers: [
            { name: "mu", type: "normfactor", data: null },
            { name: "k", type: "normfactor", data: null },
          ],
        }],
      }],
      observations: [{ name: "c", data: [12, 22] }],
      measurements: [{ name: "m", config: { poi: "mu", parameters: [] } }],
      version: "1.0.0",
    });
    const f = (s: Array) => fitParams(flat.observed, flat.withNominals({ s }), { strict: false });
    assert.throws(() => grad((s: Array) => f(s).sum())(f64([10, 20])), /singular/);
  });
});
