/**
 * Poisson draws (`jax.random.poisson`), by JAX's algorithm (the one of TensorFlow and NumPy):
 * Knuth's multiplication method for λ < 10, Hörmann's transformed rejection (PTRS) otherwise,
 * each a `whileLoop` over the whole array with JAX's key splitting, so it traces under `jit` and
 * `vmap` like every other sampler.
 *
 * @module
 */
import { Array, type ArrayLike } from "./array.ts";
import type { DType } from "./dtype.ts";
import { whileLoop } from "./ops/control.ts";
import * as np from "./ops/mod.ts";
import { broadcastShapes, fmtShape, shapesEqual } from "./shape.ts";
import { split } from "./random_keys.ts";
import { uniform } from "./random_samplers.ts";

const MAX_ITERS = 2 ** 31 - 1;

/** `[rng, subkey(s)]` of `split(key, n)`, as JAX's `_split` unpacks them. */
function splitN(key: Array, n: number): Array[] {
  const ks = split(key, n);
  return globalThis.Array.from({ length: n }, (_, i) => np.slice(ks, i));
}

function knuth(key: Array, lam: Array, shape: number[]): Array {
  const negLam = np.neg(lam);
  const [, k] = whileLoop(
    ([i, , , logProd]: Array[]) =>
      np.logicalAnd(np.any(np.greater(logProd, negLam)), np.less(i, MAX_ITERS)),
    ([i, k, rng, logProd]: Array[]) => {
      const [next, sub] = splitN(rng, 2);
      const k2 = np.where(np.greater(logProd, negLam), np.add(k, 1), k);
      const u = uniform(sub, shape, { dtype: "float32" });
      return [np.add(i, 1), k2, next, np.add(logProd, np.log(u))];
    },
    [np.array(0, "int32"), np.zeros(shape, "int32"), key, np.zeros(shape, "float32")],
  );
  return np.sub(k, 1);
}

function rejection(key: Array, lam: Array, shape: number[]): Array {
  const dtype = lam.dtype;
  const logLam = np.log(lam);
  const b = np.add(np.mul(np.sqrt(lam), 2.53), 0.931);
  const a = np.add(np.mul(b, 0.02483), -0.059);
  const invAlpha = np.add(np.div(1.1328, np.sub(b, 3.4)), 1.1239);
  const vR = np.sub(0.9277, np.div(3.6224, np.sub(b, 2)));
  const [, kOut] = whileLoop(
    ([i, , accepted]: Array[]) =>
      np.logicalAnd(np.any(np.logicalNot(accepted)), np.less(i, MAX_ITERS)),
    ([i, kOut, accepted, rng]: Array[]) => {
      const [next, s0, s1] = splitN(rng, 3);
      const u = np.sub(uniform(s0, shape, { dtype }), 0.5);
      const v = uniform(s1, shape, { dtype });
      const us = np.sub(0.5, np.abs(u));
      const k = np.floor(np.add(np.add(np.mul(np.add(np.div(np.mul(a, 2), us), b), u), lam), 0.43));
      const s = np.log(np.div(np.mul(v, invAlpha), np.add(np.div(a, np.mul(us, us)), b)));
      const t = np.sub(np.sub(np.mul(k, logLam), lam), np.lgamma(np.add(k, 1)));
      const accept1 = np.logicalAnd(np.greaterEqual(us, 0.07), np.lessEqual(v, vR));
      const reject = np.logicalOr(
        np.less(k, 0),
        np.logicalAnd(np.less(us, 0.013), np.greater(v, us)),
      );
      const accept = np.logicalOr(
        accept1,
        np.logicalAnd(np.logicalNot(reject), np.lessEqual(s, t)),
      );
      return [np.add(i, 1), np.where(accept, k, kOut), np.logicalOr(accepted, accept), next];
    },
    [np.array(0, "int32"), np.full(shape, -1, dtype), np.zeros(shape, "bool"), key],
  );
  return kOut;
}

/**
 * Poisson draws with rates `lam` (`jax.random.poisson`): an int32 array of `shape` (default
 * `lam`'s shape; `lam` must broadcast to it). λ = 0 gives 0. The rates' dtype (float32 by default
 * for numbers, float64 arrays stay float64) is the precision of the rejection sampler.
 *
 * @example
 * ```ts
 * import { random } from "./mod.ts";
 * const n = random.poisson(random.key(0), 3.5, [1000]); // mean ≈ 3.5
 * const counts = random.poisson(random.key(1), [2, 50, 400]); // one draw per rate
 * ```
 */
export function poisson(
  key: Array,
  lam: ArrayLike | readonly number[],
  shape?: readonly number[],
  opts: { dtype?: DType } = {},
): Array {
  const dtype = opts.dtype ?? "int32";
  if (dtype !== "int32") {
    throw new TypeError(`random.poisson: dtype must be int32, got ${dtype}`);
  }
  const rates = lam instanceof Array
    ? (lam.dtype === "float64" ? lam : np.astype(lam, "float32"))
    : np.array(lam as number[], "float32");
  const s = shape ? [...shape] : [...rates.shape];
  let ok: boolean;
  try {
    ok = shapesEqual(broadcastShapes("random.poisson", rates.shape, s), s);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new RangeError(
      `random.poisson: lam of shape ${fmtShape(rates.shape)} does not broadcast to shape ${
        fmtShape(s)
      }`,
    );
  }
  const full = np.broadcastTo(rates, s);
  const useKnuth = np.logicalOr(np.isnan(full), np.less(full, 10));
  const lamKnuth = np.where(useKnuth, full, 0);
  const lamRejection = np.where(useKnuth, 1e5, full);
  const result = np.where(
    useKnuth,
    knuth(key, lamKnuth, s),
    np.astype(rejection(key, lamRejection, s), "int32"),
  );
  return np.where(np.equal(full, 0), 0, result);
}
