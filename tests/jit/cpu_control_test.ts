/**
 * Control flow under CPU `jit` (`jit/cpu/control_flow.ts`): `while`, `cond` and `scan` run as host
 * loops around compiled sub-programs. Checks that results are those of eager execution bit for bit
 * (precision "exact", float32 and float64), that the compiled sub-programs are what runs (their
 * `run` is counted, so reverting to the eager `evalJaxpr` loops fails), that the sub-programs get
 * the enclosing options, that memory stays flat over many calls, and that `inspect` shows the
 * sub-programs' plans.
 */
import assert from "node:assert/strict";
import {
  type Array,
  array,
  cond,
  foriLoop,
  grad,
  jit,
  memoryStats,
  scan,
  sin,
  switchCase,
  tree,
  vmap,
  whileLoop,
  zeros,
} from "../../mod.ts";
import { type Eqn, Jaxpr } from "../../core/jaxpr.ts";
import { type CompileOptions, type Program, programFor } from "../../jit/cpu/program.ts";
import { controlFlowJaxprs } from "../../jit/cpu/control_flow.ts";
import { assertSameBits, forEachThreadCount } from "./_util.ts";

const DTYPES = ["float32", "float64"] as const;

/** Every equation named `name` in `j`, also inside the jaxpr parameters of other equations. */
function findEqns(j: Jaxpr, name: string): Eqn[] {
  const out: Eqn[] = [];
  const visit = (v: unknown): void => {
    if (v instanceof Jaxpr) {
      for (const e of v.eqns) {
        if (e.prim.name === name) out.push(e);
        Object.values(e.params).forEach(visit);
      }
    } else if (globalThis.Array.isArray(v)) v.forEach(visit);
  };
  visit(j);
  return out;
}

/** The cached programs of the sub-jaxprs of every `name` equation in `j`, for these options. */
function subPrograms(j: Jaxpr, name: string, opts: CompileOptions = {}): Program[] {
  const eqns = findEqns(j, name);
  assert.ok(eqns.length > 0, `no ${name} in the program`);
  return eqns.flatMap((e) => controlFlowJaxprs(e)!.map((s) => programFor(s.jaxpr, opts)));
}

/** Runs `f` and returns how many times the given programs ran. */
function countRuns(programs: Program[], f: () => void): number {
  let n = 0;
  const saved = programs.map((p) => p.run);
  const unique = [...new Set(programs)];
  for (const p of unique) {
    const run = p.run;
    p.run = (args) => {
      n++;
      return run(args);
    };
  }
  try {
    f();
  } finally {
    programs.forEach((p, i) => (p.run = saved[i]));
  }
  return n;
}

/**
 * Calls `f(...args)` eagerly and under `jit` (interpreted, and exact at 1, 2 and 3 threads with
 * splitting forced): the same bits.
 */
// deno-lint-ignore no-explicit-any
function checkExact(what: string, f: (...a: any[]) => unknown, args: unknown[]): void {
  const want = f(...args);
  const exact = jit(f, { precision: "exact" });
  forEachThreadCount((threads) => {
    assertSameBits(exact(...args), want, `${what} [exact, ${threads} thread(s)]`);
  });
  assertSameBits(jit(f, { interpret: true })(...args), want, `${what} [interpret]`);
}

const newtonSqrt = (a: Array, tol: number) =>
  whileLoop(
    (x: Array) => x.mul(x).sub(a).abs().sum().gt(tol),
    (x: Array) => x.add(a.div(x)).div(2),
    a.mul(0).add(1),
  );

Deno.test("cpu control flow: while", async (t) => {
  await t.step("Newton iteration for sqrt, float32 and float64, bitwise = eager", () => {
    for (const dt of DTYPES) {
      const tol = dt === "float32" ? 1e-5 : 1e-13;
      checkExact(`sqrt ${dt}`, (a: Array) => newtonSqrt(a, tol), [array(2, dt)]);
      checkExact(`sqrt ${dt} vector`, (a: Array) => newtonSqrt(a.sum(), tol), [
        array([0.5, 3, 7.25], dt),
      ]);
    }
  });

  await t.step("zero-trip loop returns the initial carry", () => {
    const f = (x: Array) => whileLoop((v: Array) => v.sum().gt(100), (v: Array) => v.mul(2), x);
    for (const dt of DTYPES) {
      const x = array([1.5, -2], dt);
      checkExact(`zero-trip ${dt}`, f, [x]);
      assert.deepEqual([...jit(f)(x).dataSync()], [1.5, -2]);
    }
  });

  await t.step("counter with a carried operand passed through unchanged", () => {
    const f = (x: Array) =>
      whileLoop(
        ([i]: Array[]) => i.lt(6),
        ([i, a, s]: Array[]) => [i.add(1), a, s.add(a.mul(i))],
        [array(0, "int32"), x, x.mul(0)],
      );
    for (const dt of DTYPES) {
      const x = array([1, 2.5, -3], dt);
      checkExact(`pass-through ${dt}`, f, [x]);
      const g = jit(f);
      for (let k = 0; k < 3; k++) g(x);
      // The argument is still usable: the loop never disposed the operand it passed through.
      assert.deepEqual([...x.dataSync()], [1, 2.5, -3]);
    }
  });

  await t.step("the loop runs the compiled predicate and body programs", () => {
    const f = (a: Array) => newtonSqrt(a, 1e-13);
    const a = array(2, "float64");
    for (const opts of [{}, { interpret: true }, { precision: "fast" as const }]) {
      const g = jit(f, opts);
      const [pred, body] = subPrograms(g.lower(a), "while", opts);
      assert.ok(body.plan.steps.some((s) => s.kind === "kernel"), "the body is a fused kernel");
      g(a); // compile
      const trips = countRuns([body], () => g(a));
      const tests = countRuns([pred], () => g(a));
      assert.ok(trips >= 3, `body ran ${trips} times (${JSON.stringify(opts)})`);
      assert.equal(tests, trips + 1, `predicate runs = trips + 1 (${JSON.stringify(opts)})`);
    }
  });
});

Deno.test("cpu control flow: cond", async (t) => {
  await t.step("both branches, with captured constants, bitwise = eager", () => {
    for (const dt of DTYPES) {
      const c1 = array([0.25, 3, -1.5], dt), c2 = array([2, 0.5, 4], dt);
      const f = (p: Array, x: Array) =>
        cond(p.gt(0), (v: Array) => sin(v).mul(c1).add(1), (v: Array) => v.div(c2).sub(c1), x);
      const x = array([0.3, -1.2, 2.5], dt);
      checkExact(`cond true ${dt}`, f, [array(1, dt), x]);
      checkExact(`cond false ${dt}`, f, [array(-1, dt), x]);
    }
  });

  await t.step("switchCase clamps the index; each branch runs its compiled program", () => {
    const f = (i: Array, x: Array) =>
      switchCase(i, [(v: Array) => v.add(1), (v: Array) => v.mul(v), (v: Array) => v.neg()], x);
    const x = array([1.5, -2], "float64");
    const g = jit(f);
    const branches = subPrograms(g.lower(array(0, "int32"), x), "cond");
    assert.equal(branches.length, 3);
    for (const i of [-4, 0, 1, 2, 9]) {
      const idx = array(i, "int32");
      checkExact(`switch ${i}`, f, [idx, x]);
      const taken = Math.min(Math.max(i, 0), 2);
      branches.forEach((b, k) => {
        assert.equal(countRuns([b], () => g(idx, x)), k === taken ? 1 : 0, `index ${i}: ${k}`);
      });
    }
  });
});

Deno.test("cpu control flow: scan", async (t) => {
  const cum = (c: Array, x: Array): [Array, Array[]] => {
    const s = c.add(x);
    return [s, [s, s.mul(x)]];
  };

  await t.step("cumulative sum and product with xs and ys, forward and reverse", () => {
    for (const dt of DTYPES) {
      const xs = array([[0.5, 1], [1.5, -2], [2.25, 0.1], [-3, 7]], dt);
      for (const reverse of [false, true]) {
        checkExact(
          `cumsum ${dt} reverse=${reverse}`,
          (v: Array) => scan(cum, array([0, 0], dt), v, { reverse }),
          [xs],
        );
        checkExact(
          `cumprod ${dt} reverse=${reverse}`,
          (v: Array) =>
            scan((c: Array, x: Array) => [c.mul(x), c], array([1, 1], dt), v, { reverse }),
          [xs],
        );
      }
    }
  });

  await t.step("length 0, no xs, and a body that returns its row and its carry", () => {
    for (const dt of DTYPES) {
      checkExact(`length 0 ${dt}`, (v: Array) => scan(cum, array([1, 2], dt), v), [
        zeros([0, 2], dt),
      ]);
      checkExact(
        `no xs ${dt}`,
        (c0: Array) => scan((c: Array) => [c.mul(1.5), c.sum()], c0, null, { length: 5 }),
        [
          array([1, -2], dt),
        ],
      );
      // The body hands back its own inputs: the row becomes the carry and the y.
      checkExact(
        `aliases ${dt}`,
        (c0: Array, v: Array) => scan((c: Array, x: Array) => [x, [x, c]], c0, v),
        [
          array([9, 9], dt),
          array([[1, 2], [3, 4], [5, 6]], dt),
        ],
      );
    }
  });

  await t.step("the scan runs its compiled body once per iteration", () => {
    const f = (v: Array) => scan(cum, array([0, 0], "float64"), v);
    const xs = array([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]], "float64");
    const g = jit(f);
    const [body] = subPrograms(g.lower(xs), "scan");
    g(xs);
    assert.equal(countRuns([body], () => g(xs)), 5);
    assert.ok(body.plan.steps.every((s) => s.kind === "kernel"), "the body is fused kernels");
  });
});

Deno.test("cpu control flow: nested and under transforms", async (t) => {
  await t.step("a scan inside a while", () => {
    const f = (xs: Array) =>
      whileLoop(
        ([i]: Array[]) => i.lt(4),
        ([i, acc]: Array[]) => {
          const [c] = scan((c: Array, x: Array) => [c.mul(0.5).add(x.mul(acc)), null], acc, xs);
          return [i.add(1), c];
        },
        [array(0, "int32"), xs.sum(0).mul(0).add(0.1)],
      );
    for (const dt of DTYPES) {
      const xs = array([[0.5, 1], [1.5, -2], [0.25, 0.1]], dt);
      checkExact(`nested ${dt}`, f, [xs]);
      const g = jit(f);
      const [inner] = subPrograms(g.lower(xs), "scan");
      g(xs);
      assert.equal(countRuns([inner], () => g(xs)), 4 * 3, "4 trips × 3 rows");
    }
  });

  await t.step("jit(grad(f)) with a scan and with a fori loop", () => {
    for (const dt of DTYPES) {
      const xs = array([0.3, -1.1, 0.7, 2], dt);
      const viaScan = (w: Array) =>
        scan((c: Array, x: Array) => [c.mul(w).add(sin(x.mul(w))), c.mul(x)], w.mul(0), xs)[0];
      const viaFori = (w: Array) =>
        foriLoop(0, 5, (i: Array, c: Array) => c.mul(w).add(sin(c).mul(i.astype(dt))), w);
      const w = array(0.8, dt);
      for (const [name, f] of [["scan", viaScan], ["fori", viaFori]] as const) {
        checkExact(`grad ${name} ${dt}`, grad(f), [w]);
        const g = jit(grad(f));
        const bodies = subPrograms(g.lower(w), "scan");
        g(w);
        assert.ok(countRuns(bodies, () => g(w)) > 0, `grad ${name}: compiled scan bodies run`);
      }
    }
  });

  await t.step("vmap of a jitted cond", () => {
    const f = jit((p: Array, x: Array) =>
      cond(p.gt(0), (v: Array) => v.mul(v).add(1), (v: Array) => v.neg().exp(), x)
    );
    const ps = array([1, -1, 2, 0], "float64");
    const xs = array([[0.5, 2], [1, -1], [3, 0.25], [-2, 1]], "float64");
    const eager = (p: Array, x: Array) =>
      cond(p.gt(0), (v: Array) => v.mul(v).add(1), (v: Array) => v.neg().exp(), x);
    // Batched predicate (the cond becomes a per-example choice) and a shared one (a cond stays).
    assertSameBits(vmap(f)(ps, xs), vmap(eager)(ps, xs), "vmap batched predicate");
    const shared = vmap(f, { inAxes: [null, 0] });
    const sharedEager = vmap(eager, { inAxes: [null, 0] });
    // jit of the vmapped cond: with a shared predicate the batched program keeps a compiled cond.
    const jitted = jit(sharedEager);
    const branches = subPrograms(jitted.lower(array(1, "float64"), xs), "cond");
    for (const p of [array(1, "float64"), array(-1, "float64")]) {
      assertSameBits(shared(p, xs), sharedEager(p, xs), `shared ${p}`);
      let out: unknown;
      assert.equal(countRuns(branches, () => (out = jitted(p, xs))), 1, `one branch ran (${p})`);
      assertSameBits(out, sharedEager(p, xs), `jit(vmap(cond)) ${p}`);
    }
  });
});

Deno.test("cpu control flow: memory stays flat over many calls", async (t) => {
  // deno-lint-ignore no-explicit-any
  const flat = (what: string, g: (...a: any[]) => unknown, args: Array[]) => {
    const call = () => g(...args);
    // Dispose every output (a jitted function may hand back an argument: keep those).
    const drop = (r: unknown) =>
      tree.flatten(r)[0].forEach((x) => args.includes(x as Array) || (x as Array).dispose());
    drop(call()); // compile
    const before = memoryStats().cpu;
    for (let k = 0; k < 200; k++) drop(call());
    const after = memoryStats().cpu;
    // No finalizer runs inside this synchronous loop, so every array a call leaked would count.
    assert.ok(
      after.arrays <= before.arrays && after.bytes <= before.bytes,
      `${what}: ${after.arrays - before.arrays} arrays / ${after.bytes - before.bytes} bytes ` +
        `more after 200 calls`,
    );
  };

  await t.step("jitted whileLoop (Newton sqrt)", () => {
    const g = jit((a: Array) => newtonSqrt(a, 1e-13));
    const a = array([2, 3, 5], "float64");
    flat("while", g, [a]);
  });

  await t.step("jitted scan inside a while, and a cond", () => {
    const g = jit((xs: Array, p: Array) =>
      whileLoop(
        ([i]: Array[]) => i.lt(3),
        ([i, acc]: Array[]) => {
          const [c, ys] = scan((c: Array, x: Array) => [c.add(x), c.mul(x)], acc, xs);
          return [i.add(1), cond(p.gt(0), (u: Array) => u.add(ys.sum(0)), (u: Array) => u, c)];
        },
        [array(0, "int32"), xs.sum(0)],
      )
    );
    const xs = array([[1, 2], [3, 4], [5, 6]], "float64");
    const [yes, no] = [array(1, "float64"), array(-1, "float64")];
    flat("nested", g, [xs, yes]);
    flat("nested, other branch", g, [xs, no]);
  });
});

Deno.test("cpu control flow: inspect shows the sub-programs' plans", () => {
  const g = jit((a: Array) => newtonSqrt(a, 1e-13));
  const text = g.inspect(array(2, "float64")).toString();
  assert.match(text, /routine while\(/);
  assert.match(text, /\n {4}while predicate:\n {8}plan: /);
  assert.match(text, /\n {4}while body:\n {8}plan: 1 steps/);
  assert.match(text, /\/\/ step \d+: while body\n/);
});
