/**
 * The scalar ops of the kernel IR: {@link SCALAR_OPS}, one declaration per fusible elementwise
 * primitive (its semantics, its rendering as JS, its cost and whether it jumps), and the
 * {@link HELPERS} generated CPU code calls by name. Every backend and analysis reads these: the
 * interpreter and the constant folder evaluate them ({@link evalOp}), the CPU renderer renders
 * their JS, the planner fuses exactly the primitives named here.
 *
 * Their semantics are those of the eager primitives (`core/primitives/elementwise.ts`): every
 * operation is computed in double precision and rounded to its result dtype with `castScalar`
 * (`Math.fround` for float32, ToInt32 for int32), so a compiled kernel reproduces eager results bit
 * for bit.
 *
 * @module
 */
import { castScalar, type DType } from "../core/dtype.ts";
import {
  digamma,
  erf,
  erfc,
  erfinv,
  intPow,
  lgamma,
  logistic,
  logNdtr,
  ndtri,
  powIeee,
  roundHalfEven,
  trigamma,
} from "../core/special.ts";
import { polygamma } from "../core/zeta.ts";

const maxf = (x: number, y: number) => (x > y || Number.isNaN(x) ? x : y);
const minf = (x: number, y: number) => (x < y || Number.isNaN(x) ? x : y);

/**
 * Helper functions that generated CPU code calls by name (and the interpreter uses), so both run
 * exactly the functions the eager primitives run.
 *
 * @example
 * ```ts
 * import { HELPERS } from "./scalar_ops.ts";
 * HELPERS.logistic(0); // 0.5
 * ```
 */
export const HELPERS = {
  erf,
  erfc,
  erfinv,
  lgamma,
  digamma,
  trigamma,
  polygamma,
  logNdtr,
  ndtri,
  powIeee,
  intPow,
  logistic,
  roundHalfEven,
  maxf,
  minf,
  fr: Math.fround,
  isFinite: Number.isFinite,
} as const;

/**
 * How one elementwise primitive behaves on scalars: the one declaration every backend and
 * analysis reads (semantics, rendering as JS, cost, classification).
 * - `arity`: number of operands;
 * - `eval(args, argDtype, dtype)`: the unrounded double result (the caller rounds with
 *   `castScalar`), `argDtype` being the dtype of the first value operand;
 * - `js(args, argDtype, dtype)`: a JS expression computing the same from argument expressions,
 *   using the names in {@link HELPERS};
 * - `cost`: rough cost of one evaluation relative to an add (special functions call helpers);
 * - `discontinuous`: the result jumps (comparisons, rounding, conversions): a renderer that
 *   evaluates float32 in higher precision must round the operands first, so the decision sees
 *   float32 values;
 * - `exact`: the result is already a value of its dtype (no rounding after it).
 */
export interface ScalarOp {
  /** Number of operands. */
  arity: number;
  /** Evaluates the operation (before rounding to the result dtype). */
  eval(args: number[], argDtype: DType, dtype: DType): number;
  /** Renders it as a JS expression (before rounding). */
  js(args: string[], argDtype: DType, dtype: DType): string;
  /** Cost of one evaluation relative to an add. */
  cost: number;
  /** The result jumps with its operands (see above). */
  discontinuous: boolean;
  /** The JS expression is already rounded to the result dtype. */
  exact: boolean;
}

/** Classification of an op beyond its semantics (defaults: cost 1, continuous, rounded). */
interface OpTraits {
  cost?: number;
  discontinuous?: boolean;
  exact?: boolean;
}
const traits = (t: OpTraits) => ({
  cost: t.cost ?? 1,
  discontinuous: t.discontinuous ?? false,
  exact: t.exact ?? false,
});
/** Traits of comparisons and rounding functions. */
const JUMP: OpTraits = { discontinuous: true };

const u = (
  f: (x: number) => number,
  js: (x: string) => string,
  t: OpTraits = {},
  intF?: (x: number) => number,
  intJs?: (x: string) => string,
): ScalarOp => ({
  arity: 1,
  eval: (a, dt) => (dt === "int32" && intF ? intF(a[0]) : f(a[0])),
  js: (a, dt) => (dt === "int32" && intJs ? intJs(a[0]) : js(a[0])),
  ...traits(t),
});
const b = (
  f: (x: number, y: number) => number,
  js: (x: string, y: string) => string,
  t: OpTraits = {},
  intF?: (x: number, y: number) => number,
  intJs?: (x: string, y: string) => string,
): ScalarOp => ({
  arity: 2,
  eval: (a, dt) => (dt === "int32" && intF ? intF(a[0], a[1]) : f(a[0], a[1])),
  js: (a, dt) => (dt === "int32" && intJs ? intJs(a[0], a[1]) : js(a[0], a[1])),
  ...traits(t),
});
const call = (name: keyof typeof HELPERS | string) => (x: string) => `${name}(${x})`;
/** Special functions (helpers of ~10 adds' cost) and elementary transcendental functions. */
const SPECIAL: OpTraits = { cost: 20 }, TRANS: OpTraits = { cost: 8 };

/** The JS conversion of a value of `from` to `to` (exact: the conversion is the rounding). */
function convertJs(x: string, from: DType, to: DType): string {
  if (to === "bool") return `(${x} ? 1 : 0)`;
  if (to === from || to === "float64") return x;
  if (to === "float32") return `fr(${x})`;
  return `(${x} | 0)`;
}

/**
 * The fusible elementwise primitives and their scalar semantics (mirroring
 * `core/primitives/elementwise.ts`), with `select(p, t, f)` and `convert_element_type`.
 * Primitives missing here are executed as routines (their eager implementation), so a newly added
 * primitive always works under `jit`.
 */
export const SCALAR_OPS = {
  neg: u((x) => -x, (x) => `(-${x})`),
  sign: u(
    (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
    (x) => `(${x} > 0 ? 1 : ${x} < 0 ? -1 : ${x})`,
    JUMP,
  ),
  floor: u(Math.floor, call("Math.floor"), JUMP),
  ceil: u(Math.ceil, call("Math.ceil"), JUMP),
  round: u(roundHalfEven, call("roundHalfEven"), JUMP),
  abs: u(Math.abs, call("Math.abs")),
  exp: u(Math.exp, call("Math.exp"), TRANS),
  log: u(Math.log, call("Math.log"), TRANS),
  log1p: u(Math.log1p, call("Math.log1p"), TRANS),
  expm1: u(Math.expm1, call("Math.expm1"), TRANS),
  sqrt: u(Math.sqrt, call("Math.sqrt"), { cost: 2 }),
  rsqrt: u((x) => 1 / Math.sqrt(x), (x) => `(1 / Math.sqrt(${x}))`, { cost: 3 }),
  sin: u(Math.sin, call("Math.sin"), TRANS),
  cos: u(Math.cos, call("Math.cos"), TRANS),
  tanh: u(Math.tanh, call("Math.tanh"), TRANS),
  logistic: u(logistic, call("logistic"), TRANS),
  erf: u(erf, call("erf"), { cost: 12 }),
  erfc: u(erfc, call("erfc"), { cost: 12 }),
  erf_inv: u(erfinv, call("erfinv"), SPECIAL),
  log_ndtr: u(logNdtr, call("logNdtr"), SPECIAL),
  ndtri: u(ndtri, call("ndtri"), SPECIAL),
  lgamma: u(lgamma, call("lgamma"), SPECIAL),
  digamma: u(digamma, call("digamma"), SPECIAL),
  trigamma: u(trigamma, call("trigamma"), SPECIAL),
  not: u((x) => (x ? 0 : 1), (x) => `(${x} ? 0 : 1)`, {}, (x) => ~x, (x) => `(~${x})`),
  is_finite: u((x) => (Number.isFinite(x) ? 1 : 0), (x) => `(isFinite(${x}) ? 1 : 0)`, JUMP),
  tan: u(Math.tan, call("Math.tan"), { cost: 10 }),
  atan: u(Math.atan, call("Math.atan"), { cost: 10 }),
  asin: u(Math.asin, call("Math.asin"), { cost: 10 }),
  acos: u(Math.acos, call("Math.acos"), { cost: 10 }),
  sinh: u(Math.sinh, call("Math.sinh"), { cost: 10 }),
  cosh: u(Math.cosh, call("Math.cosh"), { cost: 10 }),
  log2: u(Math.log2, call("Math.log2"), TRANS),
  log10: u(Math.log10, call("Math.log10"), TRANS),

  add: b((x, y) => x + y, (x, y) => `(${x} + ${y})`),
  sub: b((x, y) => x - y, (x, y) => `(${x} - ${y})`),
  mul: b(
    (x, y) => x * y,
    (x, y) => `(${x} * ${y})`,
    {},
    Math.imul,
    (x, y) => `Math.imul(${x}, ${y})`,
  ),
  div: b(
    (x, y) => x / y,
    (x, y) => `(${x} / ${y})`,
    { cost: 2 },
    (x, y) => (y === 0 ? 0 : x / y),
    (x, y) => `(${y} === 0 ? 0 : ${x} / ${y})`,
  ),
  pow: b(
    powIeee,
    (x, y) => `powIeee(${x}, ${y})`,
    { cost: 12 },
    intPow,
    (x, y) => `intPow(${x}, ${y})`,
  ),
  polygamma: b(polygamma, (x, y) => `polygamma(${x}, ${y})`, { cost: 60 }),
  atan2: b(Math.atan2, (x, y) => `Math.atan2(${x}, ${y})`, { cost: 12 }),
  max: b(maxf, (x, y) => `maxf(${x}, ${y})`),
  min: b(minf, (x, y) => `minf(${x}, ${y})`),
  eq: b((x, y) => (x === y ? 1 : 0), (x, y) => `(${x} === ${y} ? 1 : 0)`, JUMP),
  ne: b((x, y) => (x !== y ? 1 : 0), (x, y) => `(${x} !== ${y} ? 1 : 0)`, JUMP),
  lt: b((x, y) => (x < y ? 1 : 0), (x, y) => `(${x} < ${y} ? 1 : 0)`, JUMP),
  le: b((x, y) => (x <= y ? 1 : 0), (x, y) => `(${x} <= ${y} ? 1 : 0)`, JUMP),
  gt: b((x, y) => (x > y ? 1 : 0), (x, y) => `(${x} > ${y} ? 1 : 0)`, JUMP),
  ge: b((x, y) => (x >= y ? 1 : 0), (x, y) => `(${x} >= ${y} ? 1 : 0)`, JUMP),
  and: b((x, y) => x & y, (x, y) => `(${x} & ${y})`),
  or: b((x, y) => x | y, (x, y) => `(${x} | ${y})`),
  xor: b((x, y) => x ^ y, (x, y) => `(${x} ^ ${y})`),
  shift_left: b(
    (x, y) => (y >= 32 || y < 0 ? 0 : x << y),
    (x, y) => `(${y} >= 32 || ${y} < 0 ? 0 : ${x} << ${y})`,
  ),
  shift_right_logical: b(
    (x, y) => (y >= 32 || y < 0 ? 0 : x >>> y),
    (x, y) => `(${y} >= 32 || ${y} < 0 ? 0 : ${x} >>> ${y})`,
  ),

  select: {
    arity: 3,
    eval: (a) => (a[0] ? a[1] : a[2]),
    js: (a) => `(${a[0]} ? ${a[1]} : ${a[2]})`,
    ...traits({ exact: true }),
  },
  convert_element_type: {
    arity: 1,
    eval: (a, _, dt) => castScalar(a[0], dt),
    js: (a, from, to) => convertJs(a[0], from, to),
    ...traits({ discontinuous: true, exact: true }),
  },
} satisfies Record<string, ScalarOp>;

/**
 * The name of a fusible elementwise primitive.
 *
 * @example
 * ```ts
 * import type { ScalarOpName } from "./scalar_ops.ts";
 * const op: ScalarOpName = "erfc";
 * ```
 */
export type ScalarOpName = keyof typeof SCALAR_OPS;

/**
 * The declaration of a scalar op, or undefined when `name` is not one (then the primitive runs as
 * a routine).
 *
 * @example
 * ```ts
 * import { scalarOp } from "./scalar_ops.ts";
 * scalarOp("erfc")?.cost; // 12
 * scalarOp("matmul"); // undefined
 * ```
 */
export function scalarOp(name: string): ScalarOp | undefined {
  return isScalarOpName(name) ? SCALAR_OPS[name] : undefined;
}

/**
 * Whether `name` is a fusible scalar op.
 *
 * @example
 * ```ts
 * import { isScalarOpName } from "./scalar_ops.ts";
 * isScalarOpName("erfc"); // true
 * ```
 */
export function isScalarOpName(name: string): name is ScalarOpName {
  return Object.hasOwn(SCALAR_OPS, name);
}

/**
 * Evaluates one `op` node on concrete operands, rounded to its dtype (the interpreter's and the
 * constant folder's semantics).
 *
 * @example
 * ```ts
 * import { evalOp } from "./scalar_ops.ts";
 * evalOp("add", [1, 2], ["float32", "float32"], "float32"); // 3
 * ```
 */
export function evalOp(op: string, args: number[], argDtypes: DType[], dtype: DType): number {
  const s = scalarOp(op);
  if (!s) throw new Error(`kernel IR: unknown scalar op '${op}'`);
  return castScalar(s.eval(args, argDtypes[op === "select" ? 1 : 0], dtype), dtype);
}
