/**
 * WGSL spelling of every scalar op of the kernel IR (`SCALAR_OPS`): one entry per op, checked
 * complete by the type, `null` for the ops WGSL does not implement (they run as routines).
 *
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import { isScalarOpName, type ScalarOpName } from "../scalar_ops.ts";

/** Renders an op from its operands' expressions, first operand's dtype, result dtype. */
type Render = (a: string[], argT: DType, dt: DType, use: (f: string) => string) => string;

const fn = (name: string): Render => (a) => `${name}(${a.join(", ")})`;
const pre = (name: string): Render => (a, _t, _d, use) => `${use(name)}(${a.join(", ")})`;
const infix = (sym: string): Render => (a) => `(${a[0]} ${sym} ${a[1]})`;
/** Integer, float and bool variants (bools are WGSL `bool`). */
const byType = (f: Render, i: Render, b: Render = f): Render => (a, t, d, use) =>
  (t === "int32" ? i : t === "bool" ? b : f)(a, t, d, use);
const compare = (sym: string): Render => (a, t) =>
  t === "bool"
    ? `(select(0i, 1i, ${a[0]}) ${sym} select(0i, 1i, ${a[1]}))`
    : `(${a[0]} ${sym} ${a[1]})`;
const shiftGuard = (a: string[], v: string) => `select(${v}, 0i, ${a[1]} >= 32i || ${a[1]} < 0i)`;

function convert(a: string[], argT: DType, dt: DType, use: (f: string) => string): string {
  if (dt === argT) return a[0];
  if (dt === "float32") return argT === "bool" ? `select(0.0f, 1.0f, ${a[0]})` : `f32(${a[0]})`;
  if (dt === "int32") {
    return argT === "bool" ? `select(0i, 1i, ${a[0]})` : `${use("z_f2i")}(${a[0]})`;
  }
  return argT === "float32"
    ? `(${a[0]} != 0.0f && !${use("z_isnan")}(${a[0]}))`
    : `(${a[0]} != 0i)`;
}

/**
 * The WGSL of each scalar op (null: not available on WebGPU).
 *
 * @example
 * ```ts
 * import { WGSL_OPS } from "./wgsl_ops.ts";
 * WGSL_OPS.erfc !== null; // true
 * WGSL_OPS.polygamma; // null
 * ```
 */
export const WGSL_OPS: Record<ScalarOpName, Render | null> = {
  neg: (a) => `(-${a[0]})`,
  sign: byType(pre("z_sign"), fn("sign")),
  floor: fn("floor"),
  ceil: fn("ceil"),
  round: fn("round"),
  abs: fn("abs"),
  exp: fn("exp"),
  log: fn("log"),
  log1p: pre("z_log1p"),
  expm1: pre("z_expm1"),
  sqrt: fn("sqrt"),
  rsqrt: fn("inverseSqrt"),
  sin: fn("sin"),
  cos: fn("cos"),
  tanh: pre("z_tanh"),
  logistic: pre("z_logistic"),
  erf: pre("z_erf"),
  erfc: pre("z_erfc"),
  erf_inv: pre("z_erf_inv"),
  log_ndtr: pre("z_log_ndtr"),
  ndtri: pre("z_ndtri"),
  lgamma: pre("z_lgamma"),
  digamma: pre("z_digamma"),
  trigamma: pre("z_trigamma"),
  not: byType((a) => `(!${a[0]})`, (a) => `(~${a[0]})`),
  is_finite: pre("z_isfinite"),
  tan: fn("tan"),
  atan: fn("atan"),
  asin: pre("z_asin"),
  acos: pre("z_acos"),
  sinh: pre("z_sinh"),
  cosh: pre("z_cosh"),
  log2: fn("log2"),
  log10: (a) => `(log2(${a[0]}) * 0.30102999566f)`,
  add: infix("+"),
  sub: infix("-"),
  mul: infix("*"),
  div: byType(infix("/"), (a) => `select(${a[0]} / ${a[1]}, 0i, ${a[1]} == 0i)`),
  pow: byType(pre("z_pow"), pre("z_ipow")),
  polygamma: null,
  atan2: fn("atan2"),
  max: byType(pre("z_max"), fn("max"), infix("||")),
  min: byType(pre("z_min"), fn("min"), infix("&&")),
  eq: infix("=="),
  ne: infix("!="),
  lt: compare("<"),
  le: compare("<="),
  gt: compare(">"),
  ge: compare(">="),
  and: byType(infix("&&"), infix("&")),
  or: byType(infix("||"), infix("|")),
  xor: byType(infix("!="), infix("^")),
  shift_left: (a) => shiftGuard(a, `${a[0]} << u32(${a[1]} & 31i)`),
  shift_right_logical: (a) =>
    shiftGuard(a, `bitcast<i32>(bitcast<u32>(${a[0]}) >> u32(${a[1]} & 31i))`),
  select: (a) => `select(${a[2]}, ${a[1]}, ${a[0]})`,
  convert_element_type: convert,
};

/**
 * Whether WebGPU kernels can compute scalar op `op` (otherwise it runs as a routine).
 *
 * @example
 * ```ts
 * import { wgslSupports } from "./wgsl_ops.ts";
 * wgslSupports("erfc"); // true
 * ```
 */
export function wgslSupports(op: string): boolean {
  return isScalarOpName(op) && WGSL_OPS[op] !== null;
}
