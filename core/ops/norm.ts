/**
 * The normal distribution, like `jax.scipy.stats.norm`: `cdf`, `logcdf`, `sf`, `logsf`, `pdf`,
 * `logpdf`, `ppf`, `isf`, each with optional `loc` and `scale` (broadcast against `x`). All are
 * differentiable and accurate in both tails (the quantiles come from `ndtri`).
 *
 * @example
 * ```ts
 * import { norm } from "../../mod.ts";
 * console.log(norm.cdf(0).item()); // 0.5
 * console.log(norm.logpdf([1, 2], 1, 2).toString());
 * ```
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { isFloat } from "../dtype.ts";
import { prepare } from "./convert.ts";
import {
  add,
  div,
  exp,
  log,
  mul,
  ndtri,
  neg,
  normalCdf,
  normalLogCdf,
  square,
  sub,
} from "./elementwise.ts";

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** x, loc and scale promoted to one float dtype and broadcast (so log(scale) is not float32). */
const operands = (op: string, x: ArrayLike, loc: ArrayLike, scale: ArrayLike): Array[] =>
  prepare(
    `norm.${op}`,
    [x, loc, scale],
    (t) => isFloat(t.dtype) ? t : { dtype: "float32", weak: false },
  );

const standardize = (op: string, x: ArrayLike, loc: ArrayLike, scale: ArrayLike): Array => {
  const [a, m, s] = operands(op, x, loc, scale);
  return div(sub(a, m), s);
};

/**
 * The normal CDF P(X ≤ x) for X ~ N(loc, scale²), accurate in the lower tail.
 *
 * @example
 * ```ts
 * import { norm } from "../../mod.ts";
 * norm.cdf([-1, 0, 1]).toString(); // [0.15865526, 0.5, 0.8413447]
 * ```
 */
export const cdf = (x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Array =>
  normalCdf(standardize("cdf", x, loc, scale));

/**
 * log P(X ≤ x), accurate far into the lower tail (no `log(0)` at x = −40).
 *
 * @example
 * ```ts
 * import { norm } from "../../mod.ts";
 * norm.logcdf(-40).item(); // ≈ -804.6
 * ```
 */
export const logcdf = (x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Array =>
  normalLogCdf(standardize("logcdf", x, loc, scale));

/**
 * The log density: −z²/2 − log(scale) − log √(2π), with z = (x − loc)/scale.
 *
 * @example
 * ```ts
 * import { norm } from "../../mod.ts";
 * norm.logpdf(0).item(); // -0.9189385
 * ```
 */
export const logpdf = (x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Array => {
  const [a, m, s] = operands("logpdf", x, loc, scale);
  return sub(mul(square(div(sub(a, m), s)), -0.5), add(log(s), LOG_SQRT_2PI));
};

/**
 * The density exp(logpdf).
 *
 * @example
 * ```ts
 * import { norm } from "../../mod.ts";
 * norm.pdf(0).item(); // 0.3989423
 * ```
 */
export const pdf = (x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Array =>
  exp(logpdf(x, loc, scale));

/**
 * The survival function P(X > x) = 1 − cdf(x), computed as Φ(−z) so the upper tail keeps its
 * relative accuracy (`sf(40)` ≈ 3.7e-350 underflows only where the value does).
 *
 * @example
 * ```ts
 * import { norm } from "../../mod.ts";
 * norm.sf(1.959963984540054).item(); // ≈ 0.025
 * ```
 */
export const sf = (x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Array =>
  normalCdf(neg(standardize("sf", x, loc, scale)));

/**
 * log P(X > x) = log Φ(−z), accurate far into the upper tail.
 *
 * @example
 * ```ts
 * import { norm } from "../../mod.ts";
 * norm.logsf(40).item(); // ≈ -804.6
 * ```
 */
export const logsf = (x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Array =>
  normalLogCdf(neg(standardize("logsf", x, loc, scale)));

/**
 * The quantile function (inverse CDF): loc + scale·ndtri(p), with full relative accuracy in the
 * lower tail (`ppf(1e-300)` ≈ −37.04 in float64, `ppf(1e-30)` ≈ −11.46 in float32). −∞ at 0, +∞ at
 * 1, NaN outside [0, 1]. For upper-tail probabilities use {@link isf}, which does not round 1 − q.
 *
 * @example
 * ```ts
 * import { norm } from "../../mod.ts";
 * norm.ppf(0.975).item(); // ≈ 1.959964
 * ```
 */
export const ppf = (p: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Array => {
  const [q, m, s] = operands("ppf", p, loc, scale);
  return add(m, mul(s, ndtri(q)));
};

/**
 * The inverse survival function: x with P(X > x) = q, i.e. loc − scale·ndtri(q) (a p-value to a
 * significance: `isf(2.87e-7)` ≈ 5). Accurate for tiny q, where `ppf(1 − q)` would round.
 *
 * @example
 * ```ts
 * import { norm } from "../../mod.ts";
 * norm.isf(2.866515718791939e-7, 0, 1).item(); // ≈ 5
 * ```
 */
export const isf = (q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Array => {
  const [p, m, s] = operands("isf", q, loc, scale);
  return sub(m, mul(s, ndtri(p)));
};
