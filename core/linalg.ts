/**
 * The `numpy.linalg` namespace (`jnp.linalg`): the linear-algebra functions of the flat API under
 * their numpy names, so `linalg.eigh(a)` reads as in JAX.
 *
 * @example
 * ```ts
 * import { array, linalg } from "../mod.ts";
 * const [w, v] = linalg.eigh(array([[2, 1], [1, 2]], "float64")); // w = [1, 3]
 * ```
 *
 * @module
 */
export {
  cholesky,
  det,
  eigh,
  inv,
  qr,
  slogdet,
  solve,
  svd,
  type SvdOptions,
  svdvals,
} from "./ops/mod.ts";
