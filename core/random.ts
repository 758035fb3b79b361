/**
 * Random numbers with JAX's semantics (`jax.random`): explicit keys, counter-based Threefry-2x32,
 * the same streams as JAX bit for bit (JAX's default `jax_threefry_partitionable=True` layout).
 *
 * A key is an int32 array of shape `[2]` holding the two uint32 words of JAX's `key_data`
 * (`random.key(0)` is `[0, 0]`); `split` returns a batch `[num, 2]`. Every function takes a single
 * key first and never mutates it: the same key gives the same numbers, so split it to get fresh
 * ones. To draw with a batch of keys, `vmap` over it.
 *
 * Everything is built from ordinary ops plus the `threefry2x32` primitive, so samplers trace: they
 * work eagerly, under `jit` (keys may be traced arguments) and under `vmap`. The pure
 * `core/threefry.ts` is the reference the tests compare with; its module doc lists the JAX
 * functions each piece follows (`jax/_src/prng.py`, `jax/_src/random.py`).
 *
 * zgrad has no unsigned dtype: random bits are int32 arrays holding uint32 bit patterns; where JAX
 * compares or divides them as unsigned numbers (sorting in `permutation`, remainders in
 * `randint`), the samplers do so explicitly.
 *
 * Where things are: `core/random_keys.ts` holds {@link key}, {@link split}, {@link foldIn} and the
 * traced Threefry hashing; `core/random_samplers.ts` the samplers {@link bits}, {@link uniform},
 * {@link normal}, {@link bernoulli}, {@link exponential}, {@link randint}, {@link permutation};
 * `core/random_poisson.ts` {@link poisson}; `core/random_args.ts` the argument checks they share.
 * Dependencies run one way: args ← keys ← samplers ← poisson ← this entry.
 *
 * @example
 * ```ts
 * import { random } from "./mod.ts";
 * const key = random.key(0);
 * const [k1, k2] = [0, 1].map((i) => random.split(key).slice(i));
 * const x = random.normal(k1, [3]);
 * const u = random.uniform(k2, [2, 2], { minval: -1, maxval: 1 });
 * ```
 *
 * @module
 */
export { foldIn, key, split } from "./random_keys.ts";
export {
  bernoulli,
  bits,
  exponential,
  normal,
  permutation,
  randint,
  uniform,
} from "./random_samplers.ts";
export type { FloatOptions, PermutationOptions, UniformOptions } from "./random_samplers.ts";
export { poisson } from "./random_poisson.ts";
