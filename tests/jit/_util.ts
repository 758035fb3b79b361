/**
 * Helpers shared by the jit/ tests: comparing pytrees of arrays bit for bit or within a relative
 * tolerance, and running a function eagerly and under every jit mode.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type Array,
  configureCpuParallel,
  type DeviceArray,
  jit,
  tree,
  type TypedArray,
} from "../../mod.ts";

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
 * Asserts that float32 elements agree to `rel` relative error, float64 elements to `rel64`
 * (0: bitwise), other dtypes bitwise; `abs` is the absolute slack near zero.
 */
export function assertClose(
  got: unknown,
  want: unknown,
  what: string,
  rel = 1e-6,
  abs = 1e-30,
  rel64 = 0,
): void {
  const g = leaves(got), w = leaves(want);
  assert.equal(g.length, w.length, `${what}: number of outputs`);
  g.forEach((x, k) => {
    assert.deepEqual(x.shape, w[k].shape, `${what}: shape of output ${k}`);
    assert.equal(x.dtype, w[k].dtype, `${what}: dtype of output ${k}`);
    const r = x.dtype === "float32" ? rel : x.dtype === "float64" ? rel64 : 0;
    for (let i = 0; i < x.data.length; i++) {
      const a = x.data[i], b = w[k].data[i];
      if (Object.is(a, b)) continue;
      const ok = r > 0 && Number.isFinite(a) && Number.isFinite(b) &&
        Math.abs(a - b) <= r * Math.max(Math.abs(a), Math.abs(b)) + abs;
      if (!ok) assert.fail(`${what}: output ${k}[${i}] = ${a}, expected ${b} (rel ${r})`);
    }
  });
}

/** Thread counts every CPU jit parity check runs at (with splitting forced: `minWork: 0`). */
export const THREAD_COUNTS = [1, 2, 3] as const;

/**
 * Runs `body` once per thread count of {@link THREAD_COUNTS}, with every splittable kernel split
 * (`minWork: 0`, so even tiny test kernels cross chunk boundaries), restoring the pool settings
 * afterwards. A bug that shows only with workers on is the one users meet first: workers are the
 * default.
 */
export function forEachThreadCount(body: (threads: number) => void): void {
  const before = configureCpuParallel();
  try {
    for (const threads of THREAD_COUNTS) {
      configureCpuParallel({ threads, minWork: 0 });
      body(threads);
    }
  } finally {
    configureCpuParallel(before);
  }
}

/**
 * Relative tolerance of float64 results of the default (`fast`) precision against eager: its sums
 * over large loops are added in fixed blocks (reassociation, well-conditioned sums).
 */
export const FAST_REL64 = 1e-12;

/**
 * Runs `f` eagerly and under `jit` with the interpreter, `precision: "exact"` and the default
 * (`fast`) precision, the compiled modes at 1, 2 and 3 threads with splitting forced: interpreter
 * and exact results must equal eager bit for bit at every thread count; default results must
 * agree with eager to `rel` (float32) and {@link FAST_REL64} (float64), and be the same bits at
 * every thread count, 1 included (blocks depend on the kernel only).
 */
// deno-lint-ignore no-explicit-any
export function checkJit(name: string, f: (...a: any[]) => unknown, args: unknown[], rel = 1e-6) {
  const want = f(...args);
  assertSameBits(jit(f, { interpret: true })(...args), want, `${name} [interpret]`);
  const exact = jit(f, { precision: "exact" }), fast = jit(f);
  let first: unknown = undefined;
  forEachThreadCount((threads) => {
    assertSameBits(exact(...args), want, `${name} [exact, ${threads} thread(s)]`);
    const got = fast(...args);
    assertClose(got, want, `${name} [default, ${threads} thread(s)]`, rel, 1e-30, FAST_REL64);
    if (first === undefined) first = got;
    else assertSameBits(got, first, `${name} [default, ${threads} threads vs 1]`);
  });
}

/**
 * `jit(f, {device: "webgpu"})` agrees with eager `f` to `rel`·|x| + `abs` (ints bitwise), every
 * output living on the device.
 */
export async function checkWebGpu(
  name: string,
  // deno-lint-ignore no-explicit-any
  f: (...a: any[]) => unknown,
  args: unknown[],
  rel = 1e-6,
  abs = 0,
): Promise<void> {
  const want = f(...args);
  const got = jit(f, { device: "webgpu" })(...args);
  const outs = tree.flatten(got)[0] as DeviceArray[];
  for (const o of outs) assert.equal(o.device, "webgpu", `${name}: output on the device`);
  await Promise.all(outs.map((o) => o.data()));
  assertClose(got, want, name, rel, abs || 1e-30);
}

/** A deterministic pseudo-random sequence of `n` numbers in [0, 1) (an LCG seeded by `seed`). */
export function pseudoRandom(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return globalThis.Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  });
}
