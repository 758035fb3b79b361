/**
 * Helpers shared by the gpu/ tests: comparing pytrees of arrays bit for bit or within a relative
 * tolerance, and running a function eagerly and under every jit mode.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Array, jit, tree, type TypedArray } from "../../mod.ts";

/** Flattens a result (array, number or pytree of them) to typed arrays with their dtypes. */
export function leaves(
  x: unknown,
): { data: TypedArray; dtype: string; shape: readonly number[] }[] {
  const [ls] = tree.flatten(x);
  return ls.map((l) => {
    const a = l as Array;
    return { data: a.dataSync(), dtype: a.dtype, shape: a.shape };
  });
}

/** Asserts that two results have the same structure, shapes, dtypes and bits (NaN equals NaN). */
export function assertSameBits(got: unknown, want: unknown, what: string): void {
  const g = leaves(got), w = leaves(want);
  assert.equal(g.length, w.length, `${what}: number of outputs`);
  g.forEach((x, k) => {
    assert.deepEqual(x.shape, w[k].shape, `${what}: shape of output ${k}`);
    assert.equal(x.dtype, w[k].dtype, `${what}: dtype of output ${k}`);
    for (let i = 0; i < x.data.length; i++) {
      if (!Object.is(x.data[i], w[k].data[i])) {
        assert.fail(
          `${what}: output ${k}[${i}] = ${x.data[i]}, expected ${w[k].data[i]} (bitwise)`,
        );
      }
    }
  });
}

/**
 * Asserts that float32 elements agree to `rel` relative error (other dtypes bitwise); `abs` is
 * the absolute slack near zero.
 */
export function assertClose(
  got: unknown,
  want: unknown,
  what: string,
  rel = 1e-6,
  abs = 1e-30,
): void {
  const g = leaves(got), w = leaves(want);
  assert.equal(g.length, w.length, `${what}: number of outputs`);
  g.forEach((x, k) => {
    assert.deepEqual(x.shape, w[k].shape, `${what}: shape of output ${k}`);
    assert.equal(x.dtype, w[k].dtype, `${what}: dtype of output ${k}`);
    const loose = x.dtype === "float32";
    for (let i = 0; i < x.data.length; i++) {
      const a = x.data[i], b = w[k].data[i];
      if (Object.is(a, b)) continue;
      const ok = loose && Number.isFinite(a) && Number.isFinite(b) &&
        Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) + abs;
      if (!ok) assert.fail(`${what}: output ${k}[${i}] = ${a}, expected ${b} (rel ${rel})`);
    }
  });
}

/**
 * Runs `f` eagerly and under `jit` with the interpreter, exact precision and fast precision;
 * checks interpreter and exact results bit for bit and fast results to `rel` (float32).
 */
// deno-lint-ignore no-explicit-any
export function checkJit(name: string, f: (...a: any[]) => unknown, args: unknown[], rel = 1e-6) {
  const want = f(...args);
  assertSameBits(jit(f, { interpret: true })(...args), want, `${name} [interpret]`);
  assertSameBits(jit(f)(...args), want, `${name} [exact]`);
  assertClose(jit(f, { precision: "fast" })(...args), want, `${name} [fast]`, rel);
}
