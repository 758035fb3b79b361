/**
 * numpy-style elementwise functions: promote dtypes, broadcast shapes, then bind one primitive.
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { isFloat, type TypeInfo } from "../dtype.ts";
import { P } from "../primitives/mod.ts";
import type { Primitive } from "../primitive.ts";
import { bind1 } from "../trace.ts";
import { asArray, broadcastArrays, castTo, prepare, resultType } from "./convert.ts";

const toFloat = (
  t: TypeInfo,
): TypeInfo => (isFloat(t.dtype) ? t : { dtype: "float32", weak: false });
const toNumeric = (
  t: TypeInfo,
): TypeInfo => (t.dtype === "bool" ? { dtype: "int32", weak: t.weak } : t);
const toBool = (): TypeInfo => ({ dtype: "bool", weak: false });

function binary(
  op: string,
  prim: Primitive,
  x: ArrayLike,
  y: ArrayLike,
  f?: (t: TypeInfo) => TypeInfo,
) {
  return bind1(prim, prepare(op, [x, y], f));
}
function floatUnary(prim: Primitive, x: ArrayLike): Array {
  const a = asArray(x);
  return bind1(prim, [
    isFloat(a.dtype) ? a : castTo(a, toFloat({ dtype: a.dtype, weak: a.weakType })),
  ]);
}
function numericUnary(prim: Primitive, x: ArrayLike): Array {
  const a = asArray(x);
  return bind1(prim, [a.dtype === "bool" ? castTo(a, { dtype: "int32", weak: false }) : a]);
}

/**
 * An arithmetic op that, as in JAX, stays bool on two bool operands by applying `boolPrim` (add is
 * logical or, mul logical and; sub has none and is an error, as numpy's boolean subtract).
 */
function arith(op: string, prim: Primitive, boolPrim: Primitive | null) {
  return (x: ArrayLike, y: ArrayLike): Array => {
    const args = prepare(op, [x, y]);
    if (args[0].dtype !== "bool") return bind1(prim, args);
    if (boolPrim) return bind1(boolPrim, args);
    throw new TypeError(
      `${op}: subtracting bool arrays is not supported (as in numpy and JAX); use logicalXor, ` +
        `or cast with astype("int32") first`,
    );
  };
}
/** `x + y`, elementwise with broadcasting; bool + bool is logical or (as in JAX). @example `add(array([1, 2]), 1)` */
export const add: (x: ArrayLike, y: ArrayLike) => Array = arith("add", P.add, P.or);
/** `x - y` (not defined for two bool operands, as in numpy). */
export const sub: (x: ArrayLike, y: ArrayLike) => Array = arith("sub", P.sub, null);
/** `x * y`; bool · bool is logical and (as in JAX). */
export const mul: (x: ArrayLike, y: ArrayLike) => Array = arith("mul", P.mul, P.and);
/** True division `x / y` (integers give float32). */
export const div = (x: ArrayLike, y: ArrayLike): Array => binary("div", P.div, x, y, toFloat);
/**
 * `x ** y`, with the IEEE special cases (`pow(1, NaN) = 1`). As in JAX, the result has the
 * promoted dtype of x and y: integer ** integer stays int32 (with int32 wrap-around), a float
 * operand gives float; bool counts as int32.
 *
 * @example
 * ```ts
 * import { pow, array } from "./mod.ts";
 * pow(array([2, 3], "int32"), 2); // int32 [4, 9]
 * pow(array([4], "float64"), 0.5); // [2]
 * ```
 */
export const pow = (x: ArrayLike, y: ArrayLike): Array => {
  // A small integer JS exponent becomes integer_pow (exact, cheaper, simpler derivative), as in JAX.
  if (typeof y === "number" && Number.isInteger(y) && Math.abs(y) <= 64) {
    const t = toNumeric(resultType(x, y));
    if (t.dtype === "int32" && y < 0) {
      throw new RangeError(
        `pow: integers cannot be raised to negative integer powers (exponent ${y}); ` +
          `convert the base to float first`,
      );
    }
    return bind1(P.integer_pow, [castTo(asArray(x), t)], { y });
  }
  return binary("pow", P.pow, x, y, toNumeric);
};
/** Elementwise maximum (NaN propagates). */
export const maximum = (x: ArrayLike, y: ArrayLike): Array => binary("maximum", P.max, x, y);
/** Elementwise minimum (NaN propagates). */
export const minimum = (x: ArrayLike, y: ArrayLike): Array => binary("minimum", P.min, x, y);

/** `x == y` → bool. */
export const equal = (x: ArrayLike, y: ArrayLike): Array => binary("equal", P.eq, x, y);
/** `x != y` → bool. */
export const notEqual = (x: ArrayLike, y: ArrayLike): Array => binary("notEqual", P.ne, x, y);
/** `x < y` → bool. */
export const less = (x: ArrayLike, y: ArrayLike): Array => binary("less", P.lt, x, y);
/** `x <= y` → bool. */
export const lessEqual = (x: ArrayLike, y: ArrayLike): Array => binary("lessEqual", P.le, x, y);
/** `x > y` → bool. */
export const greater = (x: ArrayLike, y: ArrayLike): Array => binary("greater", P.gt, x, y);
/** `x >= y` → bool. */
export const greaterEqual = (x: ArrayLike, y: ArrayLike): Array =>
  binary("greaterEqual", P.ge, x, y);

/** Logical and (operands cast to bool). */
export const logicalAnd = (x: ArrayLike, y: ArrayLike): Array =>
  binary("logicalAnd", P.and, x, y, toBool);
/** Logical or. */
export const logicalOr = (x: ArrayLike, y: ArrayLike): Array =>
  binary("logicalOr", P.or, x, y, toBool);
/** Logical xor. */
export const logicalXor = (x: ArrayLike, y: ArrayLike): Array =>
  binary("logicalXor", P.xor, x, y, toBool);
/** Logical not. */
export const logicalNot = (x: ArrayLike): Array =>
  bind1(P.not, [castTo(asArray(x), { dtype: "bool", weak: false })]);
/** Bitwise and of int32 (or bool) arrays. */
export const bitwiseAnd = (x: ArrayLike, y: ArrayLike): Array => binary("bitwiseAnd", P.and, x, y);
/** Bitwise or. */
export const bitwiseOr = (x: ArrayLike, y: ArrayLike): Array => binary("bitwiseOr", P.or, x, y);
/** Bitwise xor. */
export const bitwiseXor = (x: ArrayLike, y: ArrayLike): Array => binary("bitwiseXor", P.xor, x, y);
/** `x << y` on int32. */
export const shiftLeft = (x: ArrayLike, y: ArrayLike): Array =>
  binary("shiftLeft", P.shift_left, x, y);
/** Logical (unsigned) `x >>> y` on int32. */
export const shiftRightLogical = (x: ArrayLike, y: ArrayLike): Array =>
  binary("shiftRightLogical", P.shift_right_logical, x, y);

/** `-x`. */
export const neg = (x: ArrayLike): Array => numericUnary(P.neg, x);
/** `|x|` (its derivative at 0 is 0: `sign(0)`). */
export const abs = (x: ArrayLike): Array => numericUnary(P.abs, x);
/** -1, 0 or 1. */
export const sign = (x: ArrayLike): Array => numericUnary(P.sign, x);
/** Rounds down. */
export const floor = (x: ArrayLike): Array => floatUnary(P.floor, x);
/** Rounds up. */
export const ceil = (x: ArrayLike): Array => floatUnary(P.ceil, x);
/** Rounds half to even. */
export const round = (x: ArrayLike): Array => floatUnary(P.round, x);
/** `eˣ`. @example `exp(array([0, 1]))` */
export const exp = (x: ArrayLike): Array => floatUnary(P.exp, x);
/** Natural log. */
export const log = (x: ArrayLike): Array => floatUnary(P.log, x);
/** `log(1 + x)`, accurate for small x. */
export const log1p = (x: ArrayLike): Array => floatUnary(P.log1p, x);
/** `eˣ − 1`, accurate for small x. */
export const expm1 = (x: ArrayLike): Array => floatUnary(P.expm1, x);
/** Square root. */
export const sqrt = (x: ArrayLike): Array => floatUnary(P.sqrt, x);
/** `1/√x`. */
export const rsqrt = (x: ArrayLike): Array => floatUnary(P.rsqrt, x);
/** Sine. */
export const sin = (x: ArrayLike): Array => floatUnary(P.sin, x);
/** Cosine. */
export const cos = (x: ArrayLike): Array => floatUnary(P.cos, x);
/** Hyperbolic tangent. */
export const tanh = (x: ArrayLike): Array => floatUnary(P.tanh, x);
/** The logistic function `1 / (1 + e⁻ˣ)`. */
export const sigmoid = (x: ArrayLike): Array => floatUnary(P.logistic, x);
/** The error function. */
export const erf = (x: ArrayLike): Array => floatUnary(P.erf, x);
/** `1 − erf(x)`, accurate in the upper tail. */
export const erfc = (x: ArrayLike): Array => floatUnary(P.erfc, x);
/** `log Γ(x)`. */
export const lgamma = (x: ArrayLike): Array => floatUnary(P.lgamma, x);
/** The inverse error function: erfinv(erf(x)) = x on (−1, 1). */
export const erfinv = (x: ArrayLike): Array => floatUnary(P.erf_inv, x);
/** The digamma function ψ(x) = d/dx log Γ(x). */
export const digamma = (x: ArrayLike): Array => floatUnary(P.digamma, x);
/**
 * The polygamma function ψ⁽ⁿ⁾(x) = dⁿ/dxⁿ ψ(x) for integer n ≥ 0 (NaN for other n), like
 * `jax.scipy.special.polygamma`. Differentiable in x to any order (d/dx ψ⁽ⁿ⁾ = ψ⁽ⁿ⁺¹⁾), so higher
 * derivatives of `lgamma` and `digamma` work too.
 *
 * @example
 * ```ts
 * import { polygamma, array } from "./mod.ts";
 * polygamma(1, array([1, 2], "float64")); // [π²/6, π²/6 − 1]
 * ```
 */
export const polygamma = (n: ArrayLike, x: ArrayLike): Array =>
  binary("polygamma", P.polygamma, n, x, toFloat);
/**
 * The inverse of the standard normal CDF, Φ⁻¹(p), with full relative accuracy in both tails
 * (`ndtri(1e-300)` ≈ −37.04), like `jax.scipy.special.ndtri`. −∞ at 0, +∞ at 1, NaN outside.
 *
 * @example
 * ```ts
 * import { ndtri, array } from "./mod.ts";
 * ndtri(array([0.025, 0.5], "float64")); // [-1.959963984540054, 0]
 * ```
 */
export const ndtri = (p: ArrayLike): Array => floatUnary(P.ndtri, p);
/** `x²`. */
export const square = (x: ArrayLike): Array => {
  const a = asArray(x);
  return mul(a, a);
};
/** `log(1 + eˣ)`, computed without overflow; `logaddexp(x, 0)`, so all derivatives are exact. */
export const softplus = (x: ArrayLike): Array => logaddexp(x, 0);
/**
 * `log(eˣ + eʸ)`, computed without overflow and accurate in the tails.
 *
 * Written so that derivatives of every order are exact, also where x = y (JAX gives it a custom
 * JVP for the same reason; `max(x, y) + log1p(exp(−|x − y|))` has the right value but a zero second
 * derivative at ties, from the kinks of max and abs). With hi = the larger, lo = the smaller and
 * the constant shift m = stopGradient(hi), it is m + log1p(expm1(hi − m) + exp(lo − m)): the
 * value of the usual formula, and a function of (x, y) that is analytic and symmetric, so the swap
 * of hi and lo at ties is invisible to derivatives. Infinite hi passes through (double where); NaN
 * in either operand gives NaN.
 */
export const logaddexp = (x: ArrayLike, y: ArrayLike): Array => {
  const [a, b] = prepare("logaddexp", [x, y], toFloat);
  // A NaN operand is taken as hi, so it propagates (logaddexp(NaN, ±∞) is NaN, as in numpy).
  const aHi = logicalOr(greaterEqual(a, b), isnan(a));
  const hi = where(aHi, a, b), lo = where(aHi, b, a);
  const fin = isfinite(hi);
  const hs = where(fin, hi, 0), ls = where(fin, lo, 0);
  const m = bind1(P.stop_gradient, [hs]);
  return where(fin, add(m, log1p(add(expm1(sub(hs, m)), exp(sub(ls, m))))), hi);
};
/** The standard normal CDF Φ(x) (as `erfc(−x/√2)/2`, accurate in the lower tail). */
export const normalCdf = (x: ArrayLike): Array => mul(erfc(mul(x, -Math.SQRT1_2)), 0.5);
/** `log Φ(x)`, accurate far into the lower tail. */
export const normalLogCdf = (x: ArrayLike): Array => floatUnary(P.log_ndtr, x);
/** True where `x` is NaN. */
export const isnan = (x: ArrayLike): Array => {
  const a = asArray(x);
  return notEqual(a, a);
};
/** True where `x` is neither infinite nor NaN. */
export const isfinite = (x: ArrayLike): Array => {
  const a = asArray(x);
  return isFloat(a.dtype) ? bind1(P.is_finite, [a]) : equal(a, a);
};

/**
 * `cond ? x : y`, elementwise with broadcasting.
 *
 * @example
 * ```ts
 * import { where, array } from "./mod.ts";
 * const x = array([-1, 2]);
 * where(x.gt(0), x, 0); // [0, 2]
 * ```
 */
export function where(cond: ArrayLike, x: ArrayLike, y: ArrayLike): Array {
  const [a, b] = prepare("where", [x, y]);
  const c = castTo(asArray(cond), toBool());
  return bind1(P.select, broadcastArrays("where", [c, a, b]));
}

/**
 * Clips `x` into `[lo, hi]` (either bound may be null).
 *
 * @example
 * ```ts
 * import { clip, array } from "./mod.ts";
 * clip(array([-2, 0.5, 3]), 0, 1); // [0, 0.5, 1]
 * ```
 */
export function clip(x: ArrayLike, lo?: ArrayLike | null, hi?: ArrayLike | null): Array {
  let out = asArray(x);
  if (lo !== undefined && lo !== null) out = maximum(out, lo);
  if (hi !== undefined && hi !== null) out = minimum(out, hi);
  return out;
}
