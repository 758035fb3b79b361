/**
 * Elementwise primitives. Operands of n-ary ones have identical shapes and dtypes: the numpy-style
 * API in `core/ops/` broadcasts and promotes before binding, as `jax.numpy` does above `lax`.
 *
 * @module
 */
import { ShapedArray } from "../aval.ts";
import { DeviceArray } from "../device_array.ts";
import { allocate, type DType, isFloat } from "../dtype.ts";
import { fmtShape, shapesEqual } from "../shape.ts";
import { type Primitive, primitive } from "../primitive.ts";
import {
  digamma,
  erf,
  erfc,
  erfinv,
  integerPow,
  intPow,
  lgamma,
  logistic,
  logNdtr,
  ndtri,
  powIeee,
  roundHalfEven,
  trigamma,
} from "../special.ts";
import { polygamma } from "../zeta.ts";

type Fn1 = (x: number) => number;
type Fn2 = (x: number, y: number) => number;
/** Which dtypes an op accepts: floats only, any number type, bool/int (logical), int only. */
export type Kind = "float" | "numeric" | "logical" | "int" | "any";

function checkKind(name: string, kind: Kind, a: ShapedArray): void {
  const ok = kind === "float"
    ? isFloat(a.dtype)
    : kind === "numeric"
    ? a.dtype !== "bool"
    : kind === "logical"
    ? a.dtype === "bool" || a.dtype === "int32"
    : kind === "int"
    ? a.dtype === "int32"
    : true;
  if (!ok) {
    const want =
      { float: "a float", numeric: "a numeric", logical: "a bool or int32", int: "an int32" }[
        kind as "float"
      ];
    throw new TypeError(`${name}: expected ${want} array, got ${a}`);
  }
}

function sameAvals(name: string, avals: ShapedArray[]): void {
  const a = avals[0];
  for (const b of avals.slice(1)) {
    if (!shapesEqual(a.shape, b.shape) || a.dtype !== b.dtype) {
      throw new TypeError(
        `${name}: operands must have equal shapes and dtypes, got ${avals.join(" and ")} ` +
          `(shapes ${avals.map((v) => fmtShape(v.shape)).join(", ")})`,
      );
    }
  }
}

function outAval(avals: ShapedArray[], dtype: DType): ShapedArray {
  return new ShapedArray(avals[0].shape, dtype, avals.every((a) => a.weakType));
}

/** A unary elementwise primitive; `intFn` overrides `fn` for int32 inputs. */
export function unary(name: string, kind: Kind, fn: Fn1, out?: DType, intFn?: Fn1): Primitive {
  return primitive({
    name,
    abstractEval([a]) {
      checkKind(name, kind, a);
      return [outAval([a], out ?? a.dtype)];
    },
    impl([x]) {
      const dt = out ?? x.dtype;
      const f = x.dtype === "int32" && intFn ? intFn : fn;
      const a = x.dataSync();
      const r = allocate(dt, a.length);
      for (let i = 0; i < a.length; i++) r[i] = f(a[i]);
      return [new DeviceArray(outAval([x.aval], dt), r)];
    },
  });
}

/** A binary elementwise primitive; `out` fixes the result dtype (comparisons give bool). */
export function binary(name: string, kind: Kind, fn: Fn2, out?: DType, intFn?: Fn2): Primitive {
  return primitive({
    name,
    abstractEval(avals) {
      sameAvals(name, avals);
      checkKind(name, kind, avals[0]);
      return [outAval(avals, out ?? avals[0].dtype)];
    },
    impl([x, y]) {
      const dt = out ?? x.dtype;
      const f = x.dtype === "int32" && intFn ? intFn : fn;
      const a = x.dataSync(), b = y.dataSync();
      const r = allocate(dt, a.length);
      for (let i = 0; i < a.length; i++) r[i] = f(a[i], b[i]);
      return [new DeviceArray(outAval([x.aval, y.aval], dt), r)];
    },
  });
}

/** The elementwise primitives, by name. */
export const elementwisePrimitives = {
  neg: unary("neg", "numeric", (x) => -x),
  sign: unary("sign", "numeric", (x) => (x > 0 ? 1 : x < 0 ? -1 : x)),
  floor: unary("floor", "float", Math.floor),
  ceil: unary("ceil", "float", Math.ceil),
  round: unary("round", "float", roundHalfEven),
  abs: unary("abs", "numeric", Math.abs),
  exp: unary("exp", "float", Math.exp),
  log: unary("log", "float", Math.log),
  log1p: unary("log1p", "float", Math.log1p),
  expm1: unary("expm1", "float", Math.expm1),
  sqrt: unary("sqrt", "float", Math.sqrt),
  rsqrt: unary("rsqrt", "float", (x) => 1 / Math.sqrt(x)),
  sin: unary("sin", "float", Math.sin),
  cos: unary("cos", "float", Math.cos),
  tanh: unary("tanh", "float", Math.tanh),
  logistic: unary("logistic", "float", logistic),
  erf: unary("erf", "float", erf),
  erfc: unary("erfc", "float", erfc),
  erf_inv: unary("erf_inv", "float", erfinv),
  log_ndtr: unary("log_ndtr", "float", logNdtr),
  /** The inverse of the standard normal CDF (the normal quantile), accurate in both tails. */
  ndtri: unary("ndtri", "float", ndtri),
  lgamma: unary("lgamma", "float", lgamma),
  digamma: unary("digamma", "float", digamma),
  trigamma: unary("trigamma", "float", trigamma),
  not: unary("not", "logical", (x) => (x ? 0 : 1), undefined, (x) => ~x),
  is_finite: unary("is_finite", "float", (x) => (Number.isFinite(x) ? 1 : 0), "bool"),

  add: binary("add", "numeric", (x, y) => x + y),
  sub: binary("sub", "numeric", (x, y) => x - y),
  mul: binary("mul", "numeric", (x, y) => x * y, undefined, Math.imul),
  div: binary("div", "numeric", (x, y) => x / y, undefined, (x, y) => (y === 0 ? 0 : x / y)),
  pow: binary("pow", "numeric", powIeee, undefined, intPow),
  /** `polygamma(m, x)` = ψ⁽ᵐ⁾(x) for integer-valued m ≥ 0 (NaN otherwise), as `lax.polygamma`. */
  polygamma: binary("polygamma", "float", polygamma),
  max: binary("max", "any", (x, y) => (x > y || Number.isNaN(x) ? x : y)),
  min: binary("min", "any", (x, y) => (x < y || Number.isNaN(x) ? x : y)),
  eq: binary("eq", "any", (x, y) => (x === y ? 1 : 0), "bool"),
  ne: binary("ne", "any", (x, y) => (x !== y ? 1 : 0), "bool"),
  lt: binary("lt", "any", (x, y) => (x < y ? 1 : 0), "bool"),
  le: binary("le", "any", (x, y) => (x <= y ? 1 : 0), "bool"),
  gt: binary("gt", "any", (x, y) => (x > y ? 1 : 0), "bool"),
  ge: binary("ge", "any", (x, y) => (x >= y ? 1 : 0), "bool"),
  and: binary("and", "logical", (x, y) => x & y),
  or: binary("or", "logical", (x, y) => x | y),
  xor: binary("xor", "logical", (x, y) => x ^ y),
  shift_left: binary("shift_left", "int", (x, y) => (y >= 32 || y < 0 ? 0 : x << y)),
  shift_right_logical: binary(
    "shift_right_logical",
    "int",
    (x, y) => (y >= 32 || y < 0 ? 0 : x >>> y),
  ),

  /** `x ** y` for a static integer `y` (JAX's `integer_pow`): exact products, simple derivative. */
  integer_pow: primitive<{ y: number }>({
    name: "integer_pow",
    abstractEval([a], { y }) {
      checkKind("integer_pow", "numeric", a);
      if (!Number.isInteger(y)) throw new TypeError(`integer_pow: exponent ${y} is not an integer`);
      return [a];
    },
    impl([x], { y }) {
      const a = x.dataSync();
      const r = allocate(x.dtype, a.length);
      const f = x.dtype === "int32" ? intPow : integerPow;
      for (let i = 0; i < a.length; i++) r[i] = f(a[i], y);
      return [new DeviceArray(x.aval, r)];
    },
  }),

  /** `select(pred, onTrue, onFalse)`: pred ? onTrue : onFalse, elementwise. */
  select: primitive({
    name: "select",
    abstractEval([p, t, f]) {
      if (p.dtype !== "bool") throw new TypeError(`select: predicate must be bool, got ${p}`);
      sameAvals("select", [t, f]);
      if (!shapesEqual(p.shape, t.shape)) {
        throw new TypeError(`select: predicate shape ${fmtShape(p.shape)} differs from ${t}`);
      }
      return [outAval([t, f], t.dtype)];
    },
    impl([p, t, f]) {
      const pd = p.dataSync(), td = t.dataSync(), fd = f.dataSync();
      const r = allocate(t.dtype, td.length);
      for (let i = 0; i < r.length; i++) r[i] = pd[i] ? td[i] : fd[i];
      return [new DeviceArray(outAval([t.aval, f.aval], t.dtype), r)];
    },
  }),

  /** Changes dtype (float → int truncates toward zero; NaN → 0). */
  convert_element_type: primitive<{ dtype: DType; weakType: boolean }>({
    name: "convert_element_type",
    abstractEval([a], { dtype, weakType }) {
      return [new ShapedArray(a.shape, dtype, weakType)];
    },
    impl([x], { dtype, weakType }) {
      const a = x.dataSync();
      const r = allocate(dtype, a.length);
      if (dtype === "bool") { for (let i = 0; i < a.length; i++) r[i] = a[i] ? 1 : 0; }
      else if (dtype === "int32") {
        for (let i = 0; i < a.length; i++) r[i] = Number.isFinite(a[i]) ? Math.trunc(a[i]) : 0;
      } else r.set(a);
      return [new DeviceArray(new ShapedArray(x.shape, dtype, weakType), r)];
    },
  }),

  /** Identity whose derivative is zero. */
  stop_gradient: primitive({
    name: "stop_gradient",
    abstractEval: ([a]) => [a],
    impl: ([x]) => [x],
  }),
};
