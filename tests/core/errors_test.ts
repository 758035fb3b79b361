/**
 * Errors are clear: each message names the op (or transform) and the shapes/dtypes involved, the
 * same eagerly and under tracing.
 */
import assert from "node:assert/strict";
import {
  add,
  type Array,
  array,
  concatenate,
  ConcretizationError,
  EscapedTracerError,
  matmul,
  reshape,
  slice,
  sum,
  take,
  TracerBoolConversionError,
  zeros,
} from "../../core/mod.ts";
import { grad, jvp, vjp, vmap } from "../../ad/api.ts";
import { jit } from "../../jit/jit.ts";

/** Asserts that `fn` throws an error of class `cls` whose message contains every fragment. */
function throwsWith(fn: () => unknown, cls: new (...a: never[]) => Error, ...fragments: string[]) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    for (const f of fragments) {
      assert.ok(e.message.includes(f), `message ${JSON.stringify(e.message)} lacks ${f}`);
    }
    return true;
  });
}

/** Runs `f` eagerly, under jit and under grad-of-sum, so errors can be checked in every mode. */
const MODES: [string, (f: (x: Array) => Array) => (x: Array) => unknown][] = [
  ["eager", (f) => f],
  ["jit", (f) => jit(f)],
  ["grad", (f) => grad((x: Array) => sum(f(x)))],
  ["vmap", (f) => (x: Array) => vmap(f)(x.expandDims(0))],
];

Deno.test("shape and dtype errors name the op and the operands", async (t) => {
  const a = zeros([2, 3], "float64");

  await t.step("add of incompatible shapes (eager, jit, grad, vmap)", async (t) => {
    for (const [mode, wrap] of MODES) {
      await t.step(mode, () => {
        const f = wrap((x) => add(x, zeros([4], "float64")));
        throwsWith(() => f(a), Error, "add", "[2,3]", "[4]");
      });
    }
  });

  await t.step("matmul contraction mismatch and bool operands", () => {
    throwsWith(() => matmul(zeros([2, 3]), zeros([4, 5])), TypeError, "matmul", "[2,3]", "[4,5]");
    throwsWith(
      () => jit((x: Array) => matmul(x, zeros([4, 5], "float64")))(a),
      TypeError,
      "matmul",
      "[2,3]",
      "[4,5]",
    );
    throwsWith(() => matmul(zeros([3]), zeros([2, 4])), TypeError, "matmul", "[3]", "[2,4]");
    throwsWith(() => matmul(zeros([2], "bool"), zeros([2], "bool")), TypeError, "matmul", "bool");
  });

  await t.step("reshape size mismatch", async (t) => {
    for (const [mode, wrap] of MODES) {
      await t.step(mode, () => {
        throwsWith(() => wrap((x) => reshape(x, [4]))(a), Error, "reshape", "[2,3]", "[4]");
      });
    }
    throwsWith(() => reshape(a, [4, -1]), Error, "reshape", "f64[2,3]", "[4,-1]");
    throwsWith(() => reshape(a, [-1, -1]), Error, "reshape", "[-1,-1]");
  });

  await t.step("slice out of range, too many indices, zero step", async (t) => {
    for (const [mode, wrap] of MODES) {
      await t.step(mode, () => {
        const f = wrap((x) => slice(x, 5));
        throwsWith(() => f(a), RangeError, "slice", "5", "axis 0", "size 2");
      });
    }
    throwsWith(() => slice(a, 0, -4), RangeError, "slice", "-4", "axis 1", "size 3");
    throwsWith(() => slice(a, 0, 0, 0), Error, "slice", "3 indices", "f64[2,3]");
    throwsWith(() => slice(a, "::0"), Error, "slice", "step");
  });

  await t.step("unknown dtype", () => {
    throwsWith(() => array([1], "float16" as never), TypeError, "array", "float16", "float64");
    throwsWith(() => zeros([2]).astype("int64" as never), TypeError, "astype", "int64");
    throwsWith(() => zeros([2], "complex64" as never), TypeError, "complex64");
  });

  await t.step("other ops: take with float indices, concatenate, axes, item", () => {
    throwsWith(() => take(a, array([0, 1])), TypeError, "take", "int32", "f32[2]");
    throwsWith(() => concatenate([a, zeros([2], "float64")]), Error, "concatenate", "[2,3]", "[2]");
    throwsWith(
      () => concatenate([a, zeros([3, 3], "float64")], 1),
      TypeError,
      "concatenate",
      "f64[2,3]",
      "f64[3,3]",
    );
    throwsWith(() => sum(a, 2), RangeError, "sum", "axis 2", "rank 2");
    throwsWith(() => a.item(), Error, "item", "[2,3]", "6 elements");
  });
});

Deno.test("transform errors", async (t) => {
  await t.step("grad of a non-scalar output", () => {
    throwsWith(
      () => grad((x: Array) => x.mul(2))(array([1, 2, 3], "float64")),
      TypeError,
      "grad",
      "scalar",
      "f64[3]",
    );
    throwsWith(
      () => grad((x: Array) => [x.sum()])(array([1, 2, 3], "float64")),
      TypeError,
      "grad",
      "scalar",
    );
  });

  await t.step("grad with respect to an int32 array", () => {
    throwsWith(
      () => grad((x: Array) => x.sum())(array([1, 2], "int32")),
      TypeError,
      "grad",
      "argument 0",
      "int32",
      "float",
    );
    throwsWith(
      () =>
        grad((x: Array, i: Array) => take(x, i).sum(), { argnums: [0, 1] })(
          array([1, 2], "float64"),
          array([0], "int32"),
        ),
      TypeError,
      "argument 1",
      "int32",
    );
  });

  await t.step("jvp/vjp/vmap shape mismatches", () => {
    throwsWith(
      () => jvp((x: Array) => x, [zeros([2])], [zeros([3])]),
      Error,
      "jvp",
      "[3]",
      "[2]",
    );
    throwsWith(() => vjp((x: Array) => x, zeros([2]))[1](zeros([3])), Error, "vjp", "[3]", "[2]");
    throwsWith(
      () => vmap((x: Array, y: Array) => x.add(y))(zeros([2, 3]), zeros([3, 3])),
      Error,
      "vmap",
      "2",
      "3",
    );
  });

  await t.step("a tracer escaping its transform", () => {
    const x = array([1, 2], "float64");
    let leaked: Array | undefined;
    grad((y: Array) => {
      leaked = y;
      return y.sum();
    })(x);
    // Used eagerly, inside another grad, inside jit, inside vmap.
    throwsWith(() => leaked!.add(1), EscapedTracerError, "Escaped tracer", "f64[2]", "grad");
    throwsWith(
      () => grad((y: Array) => y.mul(leaked!).sum())(x),
      EscapedTracerError,
      "f64[2]",
      "grad",
    );
    throwsWith(() => jit((y: Array) => y.mul(leaked!))(x), EscapedTracerError, "grad");
    throwsWith(() => vmap((y: Array) => y.mul(leaked!))(x), EscapedTracerError, "grad");

    let fromJit: Array | undefined;
    jit((y: Array) => {
      fromJit = y;
      return y;
    })(x);
    throwsWith(() => fromJit!.mul(2), EscapedTracerError, "f64[2]", "jit");

    let fromVmap: Array | undefined;
    vmap((y: Array) => {
      fromVmap = y;
      return y;
    })(x);
    throwsWith(() => fromVmap!.mul(2), EscapedTracerError, "f64[]", "vmap");
  });

  await t.step("a traced value used as a JS boolean or number", () => {
    const branchy = (y: Array) => ((y as unknown as number) > 0 ? y : y.neg());
    const x = array(1.5, "float64");
    throwsWith(() => grad(branchy)(x), TracerBoolConversionError, "f64[]", "grad", "where(");
    throwsWith(() => jit(branchy)(x), TracerBoolConversionError, "f64[]", "jit");
    throwsWith(
      () => vmap((y: Array) => array(Number(y)))(array([1, 2])),
      TracerBoolConversionError,
      "vmap",
    );
    throwsWith(
      () => jit((y: Array) => array(+y))(x),
      TracerBoolConversionError,
      "number/boolean",
    );
    // Concrete arrays do convert.
    assert.equal(branchy(x).item(), 1.5);
  });

  await t.step("dataSync()/item()/tolist() on a tracer", () => {
    const x = array([1, 2], "float64");
    throwsWith(
      () => jit((y: Array) => (y.dataSync(), y))(x),
      ConcretizationError,
      "dataSync()",
      "f64[2]",
      "jit",
    );
    throwsWith(
      () => grad((y: Array) => (y.item(), y))(array(1, "float64")),
      ConcretizationError,
      "item()",
      "f64[]",
      "grad",
    );
    throwsWith(() => vmap((y: Array) => (y.tolist(), y))(x), ConcretizationError, "vmap");
  });

  await t.step("a tracer prints as its abstract value (debug printing works)", () => {
    let s = "";
    jit((y: Array) => {
      s = `${y}`;
      return y;
    })(array([1, 2], "float64"));
    assert.match(s, /Traced<f64\[2\]>.*jit/);
  });
});
