/**
 * The normal distribution, like `jax.scipy.stats.norm`: `cdf`, `logcdf`, `pdf`, `logpdf`, `ppf`,
 * each with optional `loc` and `scale` (broadcast against `x`). All are differentiable.
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
  erfinv,
  exp,
  log,
  mul,
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
 * The quantile function (inverse CDF): loc + scale·√2·erfinv(2p − 1). Its relative accuracy
 * degrades for p within ~1e-7 (float32) or ~1e-15 (float64) of 0 or 1, where 2p − 1 rounds.
 *
 * @example
 * ```ts
 * import { norm } from "../../mod.ts";
 * norm.ppf(0.975).item(); // ≈ 1.959964
 * ```
 */
export const ppf = (p: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Array => {
  const [q, m, s] = operands("ppf", p, loc, scale);
  return add(m, mul(s, mul(erfinv(sub(mul(q, 2), 1)), Math.SQRT2)));
};
