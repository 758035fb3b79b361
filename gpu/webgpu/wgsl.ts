/**
 * The WGSL renderer: kernel IR → compute shaders (float32, int32, bool; no float64).
 *
 * Thread layout, chosen per kernel (no workgroup barriers or shared memory, which turn llvmpipe
 * shaders into slow coroutines; see `../shared/bench/W1.md`):
 *
 * - **map**: one thread per domain point.
 * - **per-output reduction** (many output elements): one thread per output element, looping over
 *   the reduced points — unrolled when there are at most 64 of them, so shifted reads of one value
 *   (the CDF at neighbouring bin edges) are value-numbered and computed once.
 * - **chunked reduction** (at most 32 output elements, many reduced points: a histogram over
 *   events): each thread walks a contiguous chunk of the reduced points with one scalar
 *   accumulator per output element (the output axes are unrolled) and writes its partial sums;
 *   a second pass sums the partials of each output element in thread order. No atomics.
 *
 * Semantics follow the eager primitives in float32 arithmetic; WGSL lacks several functions
 * (`erf`, `erfc`, `log1p`, `lgamma`, ...), which are defined in a prelude (`z_*`), and NaN-aware
 * `max`/`min`. See the tolerance contract in `gpu/README.md`.
 *
 * @module
 */
import { sizeOf, stridesOf } from "../../core/shape.ts";
import type { DType } from "../../core/dtype.ts";
import { type Affine, evalOp, type Kernel, type KNode, type ReduceOp } from "../kernel_ir.ts";
import { ERFC_F32_TWO, ERFC_F32_ZERO } from "../f32math.ts";

/** Where a binding of a pass points. */
export type BindingRef =
  | { kind: "input"; index: number }
  | { kind: "output"; index: number }
  | { kind: "scratch"; index: number };

/**
 * One compute pass of a rendered kernel.
 *
 * @example
 * ```ts
 * import type { WgslPass } from "./wgsl.ts";
 * declare const p: WgslPass;
 * console.log(p.threads, p.source);
 * ```
 */
export interface WgslPass {
  /** The shader. */
  source: string;
  /** Buffer of each binding, in binding order. */
  bindings: BindingRef[];
  /** Number of invocations (threads). */
  threads: number;
  /** Workgroups along x and y. */
  groups: [number, number];
}

/**
 * A kernel rendered to WGSL: one or two passes and the scratch buffers between them.
 *
 * @example
 * ```ts
 * import { renderWgsl } from "./wgsl.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * console.log(renderWgsl(k).passes.map((p) => p.source).join("\n"));
 * ```
 */
export interface WgslKernel {
  /** The kernel. */
  kernel: Kernel;
  /** Thread layout chosen. */
  strategy: "map" | "per-output" | "chunked";
  /** Passes, run in order. */
  passes: WgslPass[];
  /** Sizes (elements, 4 bytes each) of scratch buffers. */
  scratch: number[];
}

/**
 * Options of {@link renderWgsl}.
 *
 * @example
 * ```ts
 * import type { WgslOptions } from "./wgsl.ts";
 * const o: WgslOptions = { workgroupSize: 64, maxWorkgroupsPerDimension: 65535 };
 * ```
 */
export interface WgslOptions {
  /** Threads per workgroup (default 64). */
  workgroupSize?: number;
  /** The device's `maxComputeWorkgroupsPerDimension` (default 65535). */
  maxWorkgroupsPerDimension?: number;
  /**
   * Most threads of a map or per-output pass; each thread then loops over elements with a grid
   * stride (default 4096: software adapters pay per workgroup; use more on real GPUs).
   */
  maxThreads?: number;
  /** The device's storage buffers per shader stage (default 8): combine passes are split to fit. */
  maxStorageBuffers?: number;
}

const WGSL_TYPE: Record<DType, string> = {
  float32: "f32",
  int32: "i32",
  bool: "bool",
  float64: "?",
};
const BUF_TYPE: Record<DType, string> = { float32: "f32", int32: "i32", bool: "u32", float64: "?" };

function f32Bits(v: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, v);
  return b.getUint32(0);
}

/** A WGSL literal of `dtype`. */
export function wgslConst(v: number, dtype: DType): string {
  if (dtype === "bool") return v ? "true" : "false";
  if (dtype === "int32") {
    const i = v | 0;
    return i === -2147483648 ? "bitcast<i32>(0x80000000u)" : i < 0 ? `(${i}i)` : `${i}i`;
  }
  const f = Math.fround(v);
  if (Number.isInteger(f) && Math.abs(f) <= 2 ** 24 && !Object.is(f, -0)) {
    return f < 0 ? `(${f}.0f)` : `${f}.0f`;
  }
  return `bitcast<f32>(0x${f32Bits(f).toString(16).padStart(8, "0")}u)`;
}

// ---------------------------------------------------------------------------
// Prelude: functions WGSL lacks, with eager semantics in float32.
// ---------------------------------------------------------------------------

const INF = "bitcast<f32>(0x7f800000u)";
/**
 * The recurrence step `x → x + 1` applied while x < 8, written out eight times (arguments are
 * ≥ 0.5): straight-line code, because llvmpipe caps loop iterations per invocation.
 */
const SHIFT8 = (step: string) =>
  globalThis.Array.from({ length: 8 }, () => `  if (x < 8.0f) { ${step} x = x + 1.0f; }`).join(
    "\n",
  );
const NAN = "bitcast<f32>(0x7fc00000u)";

const PRELUDE: Record<string, { deps: string[]; code: string }> = {
  z_isnan: {
    deps: [],
    code: `fn z_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }`,
  },
  z_isfinite: {
    deps: [],
    code:
      `fn z_isfinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`,
  },
  z_max: {
    deps: ["z_isnan"],
    code: `fn z_max(x: f32, y: f32) -> f32 { return select(y, x, x > y || z_isnan(x)); }`,
  },
  z_min: {
    deps: ["z_isnan"],
    code: `fn z_min(x: f32, y: f32) -> f32 { return select(y, x, x < y || z_isnan(x)); }`,
  },
  z_sign: {
    deps: [],
    code: `fn z_sign(x: f32) -> f32 { return select(select(x, -1.0f, x < 0.0f), 1.0f, x > 0.0f); }`,
  },
  // Near 0: log1p(x) = 2 atanh(s), s = x/(2+x), by its series (the device's log is not
  // accurate enough next to 1 for the usual log(1+x)·x/((1+x)−1) trick).
  z_log1p: {
    deps: [],
    code: `fn z_log1p(x: f32) -> f32 {
  if (abs(x) < 0.25f) {
    let s = x / (2.0f + x);
    let s2 = s * s;
    return 2.0f * s * (1.0f + s2 * (0.33333333f + s2 * (0.2f + s2 * (0.14285714f + s2 * 0.11111111f))));
  }
  return log(1.0f + x);
}`,
  },
  z_expm1: {
    deps: [],
    code: `fn z_expm1(x: f32) -> f32 {
  if (abs(x) < 0.25f) {
    return x * (1.0f + x * (0.5f + x * (0.16666667f + x * (0.041666667f + x * (0.0083333333f +
      x * (0.0013888889f + x * 0.00019841270f))))));
  }
  return exp(x) - 1.0f;
}`,
  },
  z_tanh: {
    deps: [],
    code: `fn z_tanh(x: f32) -> f32 {
  if (abs(x) > 9.0f) { return sign(x); }
  if (abs(x) < 0.0004f) { return x; }
  let e = exp(-2.0f * abs(x));
  return sign(x) * (1.0f - e) / (1.0f + e);
}`,
  },
  // sinh/cosh from e = eˣ/2 (no overflow before the result does); a series near 0, where
  // (eˣ − e⁻ˣ)/2 cancels.
  z_sinh: {
    deps: [],
    code: `fn z_sinh(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.5f) {
    let x2 = x * x;
    return x * (1.0f + x2 * (0.16666667f + x2 * (0.0083333333f + x2 * 0.00019841270f)));
  }
  let e = exp(a - 0.69314718f);
  return sign(x) * (e - 0.25f / e);
}`,
  },
  // arcsin/arccos through atan2 (llvmpipe's asin is off by 4e-4 near ±1); √((1−x)(1+x)) is
  // accurate near ±1 and NaN outside [−1, 1].
  z_asin: {
    deps: [],
    code: `fn z_asin(x: f32) -> f32 { return atan2(x, sqrt((1.0f - x) * (1.0f + x))); }`,
  },
  z_acos: {
    deps: [],
    code: `fn z_acos(x: f32) -> f32 { return atan2(sqrt((1.0f - x) * (1.0f + x)), x); }`,
  },
  z_cosh: {
    deps: [],
    code: `fn z_cosh(x: f32) -> f32 {
  let e = exp(abs(x) - 0.69314718f);
  return e + 0.25f / e;
}`,
  },
  z_logistic: {
    deps: [],
    code: `fn z_logistic(x: f32) -> f32 {
  if (x >= 0.0f) { return 1.0f / (1.0f + exp(-x)); }
  let e = exp(x);
  return e / (1.0f + e);
}`,
  },
  // exp(-z²) with the rounding error of z² corrected (Veltkamp split), so erfc keeps float32
  // relative accuracy in its tail.
  z_expmsq: {
    deps: [],
    code: `fn z_expmsq(z: f32, extra: f32) -> f32 {
  let c = z * 4097.0f;
  let hi = c - (c - z);
  let lo = z - hi;
  let zz = z * z;
  let err = ((hi * hi - zz) + 2.0f * hi * lo) + lo * lo;
  return exp(-zz + extra) * (1.0f - err);
}`,
  },
  // Numerical Recipes' erfcc (fractional error < 1.2e-7), as gpu/f32math.ts erfcF32.
  z_erfc: {
    deps: ["z_isnan", "z_expmsq"],
    code: `fn z_erfc(x: f32) -> f32 {
  if (x >= ${ERFC_F32_ZERO}f) { return 0.0f; }
  if (x <= -${ERFC_F32_TWO}f) { return 2.0f; }
  if (z_isnan(x)) { return x; }
  let z = abs(x);
  let t = 1.0f / (1.0f + 0.5f * z);
  let p = -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f +
    t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f +
    t * (-0.82215223f + t * 0.17087277f))))))));
  let r = t * z_expmsq(z, p);
  return select(2.0f - r, r, x >= 0.0f);
}`,
  },
  z_erf: {
    deps: ["z_erfc"],
    code: `fn z_erf(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.5f) {
    let x2 = x * x;
    return x * (1.1283791671f + x2 * (-0.3761263890f + x2 * (0.1128379167f + x2 * (-0.0268661706f +
      x2 * (0.0052239776f - x2 * 0.0008548327f)))));
  }
  return sign(x) * (1.0f - z_erfc(a));
}`,
  },
  // log Φ(x): for x < 0 from the log of the erfc formula (no underflow); else log1p(−Φ(−x)).
  z_log_ndtr: {
    deps: ["z_erfc", "z_log1p", "z_isnan"],
    code: `fn z_log_ndtr(x: f32) -> f32 {
  if (z_isnan(x)) { return x; }
  if (x > 0.0f) { return z_log1p(-0.5f * z_erfc(x * 0.70710678f)); }
  let z = -x * 0.70710678f;
  let t = 1.0f / (1.0f + 0.5f * z);
  let p = -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f +
    t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f +
    t * (-0.82215223f + t * 0.17087277f))))))));
  return -0.69314718f + log(t) - z * z + p;
}`,
  },
  z_pow: {
    deps: ["z_isnan"],
    code: `fn z_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0f) { return 1.0f; }
  // IEEE 754 pow (as eager's powIeee): 1^y = 1 for every y, (-1)^±inf = 1.
  if (x == 1.0f || (x == -1.0f && abs(y) == ${INF})) { return 1.0f; }
  if (z_isnan(y)) { return y; }
  if (x == 0.0f) { return select(select(0.0f, ${INF}, y < 0.0f), 0.0f, y > 0.0f); }
  let r = exp2(y * log2(abs(x)));
  if (x > 0.0f) { return r; }
  if (floor(y) != y) { return ${NAN}; }
  let odd = fract(y * 0.5f) != 0.0f;
  return select(r, -r, odd);
}`,
  },
  // Integer power with i32 wrap-around (as intPow in core/primitives/elementwise.ts).
  z_ipow: {
    deps: [],
    code: `fn z_ipow(x: i32, n: i32) -> i32 {
  if (n < 0) { return select(select(0i, select(-1i, 1i, (n & 1i) == 0i), x == -1i), 1i, x == 1i); }
  var base = x;
  var e = n;
  var acc = 1i;
  loop {
    if (e == 0i) { break; }
    if ((e & 1i) != 0i) { acc = acc * base; }
    base = base * base;
    e = e >> 1u;
  }
  return acc;
}`,
  },
  // log Γ(x): recurrence to x ≥ 8, then Stirling's series; reflection below 0.5.
  z_lgamma: {
    deps: [],
    code: `fn z_lgamma_pos(x0: f32) -> f32 {
  var x = x0;
  var prod = 1.0f;
${SHIFT8("prod = prod * x;")}
  let r = 1.0f / x;
  let r2 = r * r;
  let s = r * (0.0833333333f - r2 * (0.0027777778f - r2 * (0.0007936508f - r2 * 0.0005952381f)));
  return (x - 0.5f) * log(x) - x + 0.9189385332f + s - log(prod);
}
fn z_lgamma(x: f32) -> f32 {
  if (x >= 0.5f) { return z_lgamma_pos(x); }
  if (floor(x) == x) { return ${INF}; }
  return log(3.14159265f / abs(sin(3.14159265f * x))) - z_lgamma_pos(1.0f - x);
}`,
  },
  z_digamma: {
    deps: [],
    code: `fn z_digamma_pos(x0: f32) -> f32 {
  var x = x0;
  var acc = 0.0f;
${SHIFT8("acc = acc - 1.0f / x;")}
  let r = 1.0f / x;
  let r2 = r * r;
  return acc + log(x) - 0.5f * r - r2 * (0.0833333333f - r2 * (0.0083333333f - r2 * 0.0039682540f));
}
fn z_digamma(x: f32) -> f32 {
  if (x >= 0.5f) { return z_digamma_pos(x); }
  if (floor(x) == x) { return ${NAN}; }
  return z_digamma_pos(1.0f - x) - 3.14159265f / tan(3.14159265f * x);
}`,
  },
  z_trigamma: {
    deps: [],
    code: `fn z_trigamma_pos(x0: f32) -> f32 {
  var x = x0;
  var acc = 0.0f;
${SHIFT8("acc = acc + 1.0f / (x * x);")}
  let r = 1.0f / x;
  let r2 = r * r;
  return acc + r + 0.5f * r2 + r * r2 * (0.1666666667f - r2 * (0.0333333333f - r2 * 0.0238095238f));
}
fn z_trigamma(x: f32) -> f32 {
  if (x >= 0.5f) { return z_trigamma_pos(x); }
  if (floor(x) == x) { return ${INF}; }
  let s = sin(3.14159265f * x);
  return 9.8696044f / (s * s) - z_trigamma_pos(1.0f - x);
}`,
  },
  // M. Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011), single precision,
  // as a function of x and w = -log((1 - x)(1 + x)): ndtri passes w computed from p without the
  // cancellation of 1 - x², so its tails keep float32 relative accuracy.
  z_erf_inv_w: {
    deps: [],
    code: `fn z_erf_inv_w(x: f32, w0: f32) -> f32 {
  var w = w0;
  var p: f32;
  if (w < 5.0f) {
    w = w - 2.5f;
    p = 2.81022636e-08f;
    p = 3.43273939e-07f + p * w; p = -3.5233877e-06f + p * w; p = -4.39150654e-06f + p * w;
    p = 0.00021858087f + p * w; p = -0.00125372503f + p * w; p = -0.00417768164f + p * w;
    p = 0.246640727f + p * w; p = 1.50140941f + p * w;
  } else {
    w = sqrt(w) - 3.0f;
    p = -0.000200214257f;
    p = 0.000100950558f + p * w; p = 0.00134934322f + p * w; p = -0.00367342844f + p * w;
    p = 0.00573950773f + p * w; p = -0.0076224613f + p * w; p = 0.00943887047f + p * w;
    p = 1.00167406f + p * w; p = 2.83297682f + p * w;
  }
  return p * x;
}`,
  },
  z_erf_inv: {
    deps: ["z_erf_inv_w"],
    code: `fn z_erf_inv(x: f32) -> f32 {
  if (abs(x) >= 1.0f) { return select(${NAN}, sign(x) * ${INF}, abs(x) == 1.0f); }
  return z_erf_inv_w(x, -log((1.0f - x) * (1.0f + x)));
}`,
  },
  // ndtri(p) = -√2·erfinv(1 - 2p), with (1 - x)(1 + x) = 4p(1 - p) formed from p directly.
  z_ndtri: {
    deps: ["z_erf_inv_w", "z_isnan"],
    code: `fn z_ndtri(p: f32) -> f32 {
  if (z_isnan(p)) { return p; }
  if (p <= 0.0f) { return select(${NAN}, -${INF}, p == 0.0f); }
  if (p >= 1.0f) { return select(${NAN}, ${INF}, p == 1.0f); }
  return -1.41421356f * z_erf_inv_w(1.0f - 2.0f * p, -log(4.0f * p * (1.0f - p)));
}`,
  },
  z_f2i: {
    deps: ["z_isfinite"],
    code: `fn z_f2i(x: f32) -> i32 { if (!z_isfinite(x)) { return 0i; } return i32(x); }`,
  },
};

/** Emits one op as WGSL; `use` records prelude functions it needs. */
function renderOp(
  op: string,
  a: string[],
  argT: DType,
  dt: DType,
  use: (f: string) => string,
): string {
  const f = argT === "float32";
  const i = argT === "int32";
  switch (op) {
    case "neg":
      return `(-${a[0]})`;
    case "sign":
      return f ? `${use("z_sign")}(${a[0]})` : `sign(${a[0]})`;
    case "floor":
    case "ceil":
    case "round":
    case "exp":
    case "log":
    case "sqrt":
    case "sin":
    case "cos":
    case "tan":
    case "atan":
    case "log2":
      return `${op}(${a[0]})`;
    case "log10":
      return `(log2(${a[0]}) * 0.30102999566f)`;
    case "sinh":
    case "cosh":
    case "asin":
    case "acos":
      return `${use(`z_${op}`)}(${a[0]})`;
    case "atan2":
      return `atan2(${a[0]}, ${a[1]})`;
    case "abs":
      return `abs(${a[0]})`;
    case "rsqrt":
      return `inverseSqrt(${a[0]})`;
    case "log1p":
    case "expm1":
    case "tanh":
    case "logistic":
    case "erf":
    case "erfc":
    case "erf_inv":
    case "log_ndtr":
    case "ndtri":
    case "lgamma":
    case "digamma":
    case "trigamma":
      return `${use(`z_${op}`)}(${a[0]})`;
    case "not":
      return i ? `(~${a[0]})` : `(!${a[0]})`;
    case "is_finite":
      return `${use("z_isfinite")}(${a[0]})`;
    case "add":
      return `(${a[0]} + ${a[1]})`;
    case "sub":
      return `(${a[0]} - ${a[1]})`;
    case "mul":
      return `(${a[0]} * ${a[1]})`;
    case "div":
      return i ? `select(${a[0]} / ${a[1]}, 0i, ${a[1]} == 0i)` : `(${a[0]} / ${a[1]})`;
    case "pow":
      return i ? `${use("z_ipow")}(${a[0]}, ${a[1]})` : `${use("z_pow")}(${a[0]}, ${a[1]})`;
    case "max":
      return f
        ? `${use("z_max")}(${a[0]}, ${a[1]})`
        : i
        ? `max(${a[0]}, ${a[1]})`
        : `(${a[0]} || ${a[1]})`;
    case "min":
      return f
        ? `${use("z_min")}(${a[0]}, ${a[1]})`
        : i
        ? `min(${a[0]}, ${a[1]})`
        : `(${a[0]} && ${a[1]})`;
    case "eq":
      return `(${a[0]} == ${a[1]})`;
    case "ne":
      return `(${a[0]} != ${a[1]})`;
    case "lt":
    case "le":
    case "gt":
    case "ge": {
      const sym = { lt: "<", le: "<=", gt: ">", ge: ">=" }[op];
      if (argT === "bool") return `(select(0i, 1i, ${a[0]}) ${sym} select(0i, 1i, ${a[1]}))`;
      return `(${a[0]} ${sym} ${a[1]})`;
    }
    case "and":
      return i ? `(${a[0]} & ${a[1]})` : `(${a[0]} && ${a[1]})`;
    case "or":
      return i ? `(${a[0]} | ${a[1]})` : `(${a[0]} || ${a[1]})`;
    case "xor":
      return i ? `(${a[0]} ^ ${a[1]})` : `(${a[0]} != ${a[1]})`;
    case "shift_left":
      return `select(${a[0]} << u32(${a[1]} & 31i), 0i, ${a[1]} >= 32i || ${a[1]} < 0i)`;
    case "shift_right_logical":
      return `select(bitcast<i32>(bitcast<u32>(${a[0]}) >> u32(${a[1]} & 31i)), 0i, ${
        a[1]
      } >= 32i || ${a[1]} < 0i)`;
    case "select":
      return `select(${a[2]}, ${a[1]}, ${a[0]})`;
    case "convert_element_type":
      if (dt === argT) return a[0];
      if (dt === "float32") return argT === "bool" ? `select(0.0f, 1.0f, ${a[0]})` : `f32(${a[0]})`;
      if (dt === "int32") {
        return argT === "bool" ? `select(0i, 1i, ${a[0]})` : `${use("z_f2i")}(${a[0]})`;
      }
      if (dt === "bool") {
        return f ? `(${a[0]} != 0.0f && !${use("z_isnan")}(${a[0]}))` : `(${a[0]} != 0i)`;
      }
  }
  throw new Error(`wgsl: no rendering for ${op} on ${argT}`);
}

/**
 * The fusible ops the WGSL renderer implements (others run as routines on the host).
 *
 * @example
 * ```ts
 * import { WGSL_OPS } from "./wgsl.ts";
 * WGSL_OPS.has("erfc"); // true
 * ```
 */
export const WGSL_OPS: Set<string> = new Set([
  "neg",
  "sign",
  "floor",
  "ceil",
  "round",
  "abs",
  "exp",
  "log",
  "log1p",
  "expm1",
  "sqrt",
  "rsqrt",
  "sin",
  "cos",
  "tanh",
  "tan",
  "atan",
  "asin",
  "acos",
  "sinh",
  "cosh",
  "log2",
  "log10",
  "atan2",
  "logistic",
  "erf",
  "erfc",
  "erf_inv",
  "log_ndtr",
  "ndtri",
  "lgamma",
  "digamma",
  "trigamma",
  "not",
  "is_finite",
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "max",
  "min",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "and",
  "or",
  "xor",
  "shift_left",
  "shift_right_logical",
  "select",
  "convert_element_type",
]); // deno-fmt-ignore

// ---------------------------------------------------------------------------
// Body generation: value numbering over concrete indices
// ---------------------------------------------------------------------------

/** The index of one domain axis in the generated code: an expression (at a scope level) or a constant. */
type AxisIx = { expr: string; level: number; shift: number } | { c: number };

interface Val {
  code: string;
  dtype: DType;
  level: number;
  named: boolean;
  value?: number;
  /** Depends on a thread or loop index (false: the same in every thread and iteration). */
  varying?: boolean;
}

/** A thread-invariant value computed once by a pre-pass: node `node` at `env`. */
interface Hoisted {
  node: number;
  env: AxisIx[];
  dtype: DType;
}

class Body {
  readonly vals: Val[] = [];
  readonly keys = new Map<string, number>();
  readonly used = new Set<string>();
  /** Declarations by level: thread start, per element, per reduced point. */
  readonly decls: string[][] = [[], [], []];
  /** Invariant ops moved to a pre-pass (null: compute them in place). */
  readonly hoisted: Hoisted[] | null;

  constructor(readonly k: Kernel, hoist = false) {
    this.hoisted = hoist ? [] : null;
  }

  use = (f: string): string => {
    this.used.add(f);
    return f;
  };

  #val(key: string, make: () => Val): number {
    let id = this.keys.get(key);
    if (id === undefined) {
      id = this.vals.length;
      const v = make();
      this.vals.push(v);
      this.keys.set(key, id);
      if (v.named) this.decls[v.level].push(`let v${id} = ${v.code};`);
    }
    return id;
  }

  ref(id: number): string {
    return this.vals[id].named ? `v${id}` : this.vals[id].code;
  }

  constVal(value: number, dtype: DType): number {
    return this.#val(`c|${dtype}|${Object.is(value, -0) ? "-0" : value}`, () => ({
      code: wgslConst(value, dtype),
      dtype,
      level: 0,
      named: false,
      value,
    }));
  }

  affine(a: Affine, env: AxisIx[]): { code: string; level: number; c: number | null } {
    let off = a.offset;
    const terms: string[] = [];
    let level = 0;
    a.coefs.forEach((coef, d) => {
      if (coef === 0) return;
      const e = env[d];
      if ("c" in e) off += coef * e.c;
      else {
        off += coef * e.shift;
        terms.push(coef === 1 ? e.expr : `${coef}i * ${e.expr}`);
        level = Math.max(level, e.level);
      }
    });
    if (!terms.length) return { code: String(off), level: 0, c: off };
    const code = (off ? [...terms, `${off}i`] : terms).join(" + ").replaceAll("+ -", "- ");
    return { code: `(${code})`, level, c: null };
  }

  /** Value of node `i` at the point described by `env`. */
  node(i: number, env: AxisIx[]): number {
    const n: KNode = this.k.nodes[i];
    switch (n.kind) {
      case "const":
        return this.constVal(n.value, n.dtype);
      case "index": {
        const a = this.affine(n.index, env);
        if (a.c !== null) return this.constVal(a.c, "int32");
        return this.#val(`i|${a.code}`, () => ({
          code: a.code,
          dtype: "int32",
          level: a.level,
          named: false,
          varying: true,
        }));
      }
      case "load": {
        const a = this.affine(n.index, env);
        const size = this.k.inputs[n.input].size;
        let addr = a.code;
        if (a.c !== null) addr = String(Math.min(Math.max(a.c, 0), Math.max(size - 1, 0)));
        else if (!this.inRange(n.index, env, size)) {
          addr = `clamp(${a.code}, 0i, ${Math.max(size - 1, 0)}i)`;
        }
        const raw = `in${n.input}[${addr}]`;
        return this.#val(`l|${n.input}|${addr}`, () => ({
          code: n.dtype === "bool" ? `(${raw} != 0u)` : raw,
          dtype: n.dtype,
          level: a.level,
          named: true,
          varying: a.c === null,
        }));
      }
      case "shift": {
        const env2 = env.map((e, d) =>
          d !== n.axis ? e : "c" in e ? { c: e.c + n.by } : { ...e, shift: e.shift + n.by }
        );
        return this.node(n.of, env2);
      }
      case "op": {
        const args = n.args.map((a) => this.node(a, env));
        const vs = args.map((a) => this.vals[a].value);
        if (n.op === "select" && vs[0] !== undefined) return vs[0] ? args[1] : args[2];
        if (vs.every((v) => v !== undefined)) {
          const dts = n.args.map((a) => this.k.nodes[a].dtype);
          return this.constVal(evalOp(n.op, vs as number[], dts, n.dtype), n.dtype);
        }
        const argT = this.k.nodes[n.args[n.op === "select" ? 1 : 0]].dtype;
        const varying = args.some((a) => this.vals[a].varying);
        const key = `o|${n.op}|${n.dtype}|${args.join(",")}`;
        if (!varying && this.hoisted) {
          // The same in every thread: computed once by the pre-pass, loaded here.
          const hz = this.hoisted;
          return this.#val(key, () => {
            const slot = hz.length;
            hz.push({ node: i, env, dtype: n.dtype });
            return {
              code: fromBits(`hz[${slot}]`, n.dtype),
              dtype: n.dtype,
              level: 0,
              named: true,
            };
          });
        }
        const code = renderOp(n.op, args.map((a) => this.ref(a)), argT, n.dtype, this.use);
        const level = Math.max(...args.map((a) => this.vals[a].level));
        return this.#val(key, () => ({ code, dtype: n.dtype, level, named: true, varying }));
      }
    }
  }

  /** Whether an affine load address stays inside [0, size) for all index values in `env`. */
  inRange(a: Affine, env: AxisIx[], size: number): boolean {
    let lo = a.offset, hi = a.offset;
    a.coefs.forEach((coef, d) => {
      if (coef === 0) return;
      const e = env[d];
      if ("c" in e) {
        lo += coef * e.c;
        hi += coef * e.c;
        return;
      }
      // Variables span the axis (plus their shift).
      const n = this.k.domain[d];
      const x0 = coef * e.shift, x1 = coef * (n - 1 + e.shift);
      lo += Math.min(x0, x1);
      hi += Math.max(x0, x1);
    });
    return lo >= 0 && hi <= size - 1;
  }

  prelude(): string {
    const done = new Set<string>();
    const out: string[] = [];
    const add = (f: string) => {
      if (done.has(f)) return;
      done.add(f);
      for (const d of PRELUDE[f].deps) add(d);
      out.push(PRELUDE[f].code);
    };
    for (const f of this.used) add(f);
    return out.join("\n");
  }
}

function fromBits(u: string, dtype: DType): string {
  if (dtype === "float32") return `bitcast<f32>(${u})`;
  return dtype === "int32" ? `bitcast<i32>(${u})` : `(${u} != 0u)`;
}
function toBits(v: string, dtype: DType): string {
  return dtype === "bool" ? `select(0u, 1u, ${v})` : `bitcast<u32>(${v})`;
}

/** The pre-pass computing hoisted invariant values into the `hz` scratch buffer. */
function hoistPass(k: Kernel, hz: Hoisted[], wg: number): string {
  const b = new Body(k);
  const stores = hz.map((h, slot) =>
    `hz[${slot}] = ${toBits(b.ref(b.node(h.node, h.env)), h.dtype)};`
  );
  const bindings = [
    ...k.inputs.map((x, i) => ({ name: `in${i}`, type: BUF_TYPE[x.dtype], write: false })),
    { name: "hz", type: "u32", write: true },
  ];
  return [
    `// kernel ${k.name}: pre-pass computing ${hz.length} thread-invariant value(s)`,
    b.prelude(),
    header(bindings, wg),
    `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {`,
    `  if (gid.x + gid.y > 0u) { return; }`,
    ...b.decls[0].map((l) => "  " + l),
    ...stores.map((l) => "  " + l),
    `}`,
  ].join("\n");
}

/**
 * llvmpipe stops any loop after 65535 iterations per invocation, counted across all entries of a
 * nested loop; kernels keep every invocation's loop trips below this.
 */
const LOOP_CAP = 60000;
/** Reduced points per work item when a per-output reduction loops (then partials are combined). */
const RCHUNK = 4096;

/** Passes combining partials into outputs, each binding at most `maxBuffers` buffers. */
function combinePasses(
  k: Kernel,
  reduceOuts: { o: Kernel["outputs"][number]; j: number }[],
  E: number,
  C: number,
  wg: number,
  maxDim: number,
  maxBuffers: number,
): WgslPass[] {
  const per = Math.max(1, Math.floor(maxBuffers / 2));
  const passes: WgslPass[] = [];
  for (let a = 0; a < reduceOuts.length; a += per) {
    const part = reduceOuts.slice(a, a + per);
    const pass = combinePass(k, part, E, C, wg, maxDim);
    // Scratch indices are positions among all reduce outputs.
    pass.bindings = pass.bindings.map((
      b,
    ) => (b.kind === "scratch" ? { ...b, index: b.index + a } : b));
    passes.push(pass);
  }
  return passes;
}

/** Pass combining `C` partials per element (scratch 0..S-1, [C, E] each) into the outputs. */
function combinePass(
  k: Kernel,
  reduceOuts: { o: Kernel["outputs"][number]; j: number }[],
  E: number,
  C: number,
  wg: number,
  maxDim: number,
): WgslPass {
  const b = new Body(k);
  const threads = reduceOuts.length * E;
  const d = dispatch(threads, wg, maxDim);
  const cases = reduceOuts.map(({ o, j }, s) => {
    const ld = o.dtype === "bool" ? `(p${s}[q * ${E}u + e] != 0u)` : `p${s}[q * ${E}u + e]`;
    return [
      `  if (w == ${s}u) {`,
      `    var acc: ${WGSL_TYPE[o.dtype]} = ${accInit(o.reduce!, o.dtype)};`,
      `    for (var q: u32 = 0u; q < ${C}u; q = q + 1u) { ${
        accStep(o.reduce!, o.dtype, "acc", ld, b.use)
      } }`,
      `    out${j}[e] = ${store(o.dtype, "acc")};`,
      `  }`,
    ].join("\n");
  });
  const bindings = [
    ...reduceOuts.map(({ o }, s) => ({ name: `p${s}`, type: BUF_TYPE[o.dtype], write: false })),
    ...reduceOuts.map(({ o, j }) => ({ name: `out${j}`, type: BUF_TYPE[o.dtype], write: true })),
  ];
  const source = [
    `// kernel ${k.name}: combine ${C} partials per output element`,
    b.prelude(),
    header(bindings, wg),
    `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {`,
    `  let t = gid.x + gid.y * ${d.nx}u;`,
    `  if (t >= ${threads}u) { return; }`,
    `  let w = t / ${E}u;`,
    `  let e = t % ${E}u;`,
    ...cases,
    `}`,
  ].join("\n");
  return {
    source,
    threads,
    groups: d.groups,
    bindings: [
      ...reduceOuts.map((_, s) => ({ kind: "scratch" as const, index: s })),
      ...reduceOuts.map(({ j }) => ({ kind: "output" as const, index: j })),
    ],
  };
}

function prePass(k: Kernel, hz: Hoisted[], wg: number, scratchIndex: number): WgslPass {
  return {
    source: hoistPass(k, hz, wg),
    threads: 1,
    groups: [1, 1],
    bindings: [
      ...k.inputs.map((_, i) => ({ kind: "input" as const, index: i })),
      { kind: "scratch", index: scratchIndex },
    ],
  };
}

function accInit(op: ReduceOp, dtype: DType): string {
  if (dtype === "bool") return op === "min" || op === "prod" ? "true" : "false";
  if (dtype === "int32") {
    return op === "sum"
      ? "0i"
      : op === "prod"
      ? "1i"
      : op === "max"
      ? "bitcast<i32>(0x80000000u)"
      : "2147483647i";
  }
  return op === "sum" ? "0.0f" : op === "prod" ? "1.0f" : op === "max" ? `(-${INF})` : INF;
}

function accStep(
  op: ReduceOp,
  dtype: DType,
  acc: string,
  v: string,
  use: (f: string) => string,
): string {
  if (op === "sum") return `${acc} = ${acc} + ${v};`;
  if (op === "prod") return `${acc} = ${acc} * ${v};`;
  if (dtype === "float32") {
    return `${acc} = ${use(op === "max" ? "z_max" : "z_min")}(${v}, ${acc});`;
  }
  if (dtype === "int32") return `${acc} = ${op}(${acc}, ${v});`;
  return `${acc} = ${acc} ${op === "max" ? "||" : "&&"} ${v};`;
}

function store(dtype: DType, v: string): string {
  return dtype === "bool" ? `select(0u, 1u, ${v})` : v;
}

function dispatch(
  threads: number,
  wg: number,
  maxDim: number,
): { groups: [number, number]; nx: number } {
  const total = Math.max(1, Math.ceil(threads / wg));
  const gx = Math.min(total, maxDim);
  const gy = Math.ceil(total / gx);
  return { groups: [gx, gy], nx: gx * wg };
}

function header(
  bindings: { name: string; type: string; write: boolean }[],
  wg: number,
): string {
  return bindings.map((b, i) =>
    `@group(0) @binding(${i}) var<storage, ${
      b.write ? "read_write" : "read"
    }> ${b.name}: array<${b.type}>;`
  ).join("\n") + `\n\n@compute @workgroup_size(${wg})`;
}

/** Row-major unravel of `lin` (a u32 expression) over `extents`, as i32 lets named `names`. */
function unravel(lin: string, extents: number[], names: string[]): string[] {
  const st = stridesOf(extents);
  return extents.map((n, j) => `let ${names[j]} = i32((${lin} / ${st[j]}u) % ${n}u);`);
}

/**
 * Renders a kernel to WGSL compute passes (see the module docs for the thread layouts).
 *
 * @example
 * ```ts
 * import { renderWgsl } from "./wgsl.ts";
 * const w = renderWgsl({
 *   name: "k", domain: [4], reduceAxes: [],
 *   inputs: [{ dtype: "float32", size: 4, name: "x" }],
 *   nodes: [
 *     { kind: "load", input: 0, index: { offset: 0, coefs: [1] }, dtype: "float32" },
 *     { kind: "op", op: "erfc", args: [0], dtype: "float32" },
 *   ],
 *   outputs: [{ node: 1, kind: "map", dtype: "float32", shape: [4], name: "y" }],
 * });
 * console.log(w.passes[0].source);
 * ```
 */
export function renderWgsl(k: Kernel, opts: WgslOptions = {}): WgslKernel {
  const wg = opts.workgroupSize ?? 64;
  const maxDim = opts.maxWorkgroupsPerDimension ?? 65535;
  const maxBuffers = opts.maxStorageBuffers ?? 8;
  for (const x of [...k.inputs, ...k.outputs]) {
    if (x.dtype === "float64") throw new Error(`wgsl: ${x.name} is float64`);
  }
  const r = k.domain.length;
  const red = k.reduceAxes;
  const kept = k.domain.map((_, d) => d).filter((d) => !red.includes(d));
  const K = sizeOf(kept.map((d) => k.domain[d]));
  const R = sizeOf(red.map((d) => k.domain[d]));
  const hasReduce = k.outputs.some((o) => o.kind === "reduce");
  const strategy: WgslKernel["strategy"] = !hasReduce
    ? "map"
    : K <= 32 && R >= 2048
    ? "chunked"
    : "per-output";

  const body = new Body(k, true);
  const inputDecls = k.inputs.map((x, i) => ({
    name: `in${i}`,
    type: BUF_TYPE[x.dtype],
    write: false,
  }));
  const domStrides = stridesOf(k.domain);
  const keptStrides = new globalThis.Array<number>(r).fill(0);
  {
    const st = stridesOf(kept.map((d) => k.domain[d]));
    kept.forEach((d, j) => (keptStrides[d] = st[j]));
  }
  const affineCode = (coefs: number[], env: AxisIx[]) =>
    body.affine({ offset: 0, coefs }, env).code;

  const reduceOuts = k.outputs.map((o, j) => ({ o, j })).filter(({ o }) => o.kind === "reduce");

  if (strategy === "map" || strategy === "per-output") {
    // Work items: (element e, chunk c of the reduced points). Each thread takes items t, t + T,
    // ... (grid stride). Per-invocation loop trips stay under llvmpipe's cap (LOOP_CAP).
    const tAxes = strategy === "map" ? k.domain.map((_, d) => d) : kept;
    const E = sizeOf(tAxes.map((d) => k.domain[d]));
    const unrollR = strategy === "per-output" && R <= 64;
    const looped = strategy === "per-output" && !unrollR;
    const C = looped ? Math.ceil(R / RCHUNK) : 1; // chunks of the reduced points
    const CH = looped ? Math.ceil(R / C) : 1; // reduced points per chunk
    const W = E * C;
    const threads = Math.max(
      1,
      Math.min(W, Math.max(opts.maxThreads ?? 4096, Math.ceil(W / Math.floor(LOOP_CAP / CH)))),
    );
    const { groups, nx } = dispatch(threads, wg, maxDim);
    const env: AxisIx[] = k.domain.map(() => ({ c: 0 }));
    const tNames = tAxes.map((d) => `i${d}`);
    tAxes.forEach((d) => {
      if (k.domain[d] > 1) env[d] = { expr: `i${d}`, level: 1, shift: 0 };
    });
    const lines: string[] = [];
    const loopLines: string[] = [];
    const accs: string[] = [];
    const accFinal: string[] = [];
    const combos: AxisIx[][] = [];
    if (!looped) {
      const walk = (j: number, e: AxisIx[]) => {
        if (strategy === "map" || j === red.length) return void combos.push(e);
        for (let v = 0; v < k.domain[red[j]]; v++) {
          const e2 = [...e];
          e2[red[j]] = { c: v };
          walk(j + 1, e2);
        }
      };
      walk(0, env);
    } else {
      const e2 = [...env];
      red.forEach((d) => {
        if (k.domain[d] > 1) e2[d] = { expr: `r${d}`, level: 2, shift: 0 };
      });
      combos.push(e2);
    }
    reduceOuts.forEach(({ o, j }, s) => {
      accs.push(`var acc${j}: ${WGSL_TYPE[o.dtype]} = ${accInit(o.reduce!, o.dtype)};`);
      accFinal.push(
        C > 1
          ? `p${s}[c * ${E}u + e] = ${store(o.dtype, `acc${j}`)};`
          : `out${j}[${affineCode(keptStrides, env)}] = ${store(o.dtype, `acc${j}`)};`,
      );
    });
    for (const e of combos) {
      k.outputs.forEach((o, j) => {
        const v = body.ref(body.node(o.node, e));
        if (o.kind === "map") {
          (looped ? loopLines : lines).push(
            `out${j}[${affineCode(domStrides, e)}] = ${store(o.dtype, v)};`,
          );
        } else {
          (looped ? loopLines : lines).push(accStep(o.reduce!, o.dtype, `acc${j}`, v, body.use));
        }
      });
    }
    const main = [
      `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {`,
      `  let t = gid.x + gid.y * ${nx}u;`,
      `  if (t >= ${threads}u) { return; }`,
      ...body.decls[0].map((l) => "  " + l),
      `  for (var g: u32 = t; g < ${W}u; g = g + ${threads}u) {`,
      `    let e = g % ${E}u;`,
      `    let c = g / ${E}u;`,
      ...unravel("e", tAxes.map((d) => k.domain[d]), tNames).map((l) => "    " + l),
      ...accs.map((l) => "    " + l),
      ...body.decls[1].map((l) => "    " + l),
      ...lines.map((l) => "    " + l),
    ];
    if (looped) {
      main.push(
        `    for (var rr: u32 = c * ${CH}u; rr < min(c * ${CH}u + ${CH}u, ${R}u); rr = rr + 1u) {`,
        ...unravel("rr", red.map((d) => k.domain[d]), red.map((d) => `r${d}`)).map((l) =>
          "      " + l
        ),
        ...body.decls[2].map((l) => "      " + l),
        ...loopLines.map((l) => "      " + l),
        `    }`,
      );
    }
    main.push(...accFinal.map((l) => "    " + l), `  }`, `}`);
    const split = C > 1;
    const bindings = [
      ...inputDecls,
      ...k.outputs.map((o, j) => ({ o, j }))
        .filter(({ o }) => !split || o.kind === "map")
        .map(({ o, j }) => ({ name: `out${j}`, type: BUF_TYPE[o.dtype], write: true })),
      ...(split
        ? reduceOuts.map(({ o }, s) => ({ name: `p${s}`, type: BUF_TYPE[o.dtype], write: true }))
        : []),
    ];
    const refs: BindingRef[] = [
      ...k.inputs.map((_, i) => ({ kind: "input" as const, index: i })),
      ...k.outputs.map((o, j) => ({ o, j }))
        .filter(({ o }) => !split || o.kind === "map")
        .map(({ j }) => ({ kind: "output" as const, index: j })),
      ...(split ? reduceOuts.map((_, s) => ({ kind: "scratch" as const, index: s })) : []),
    ];
    const nPartials = split ? reduceOuts.length : 0;
    const hz = body.hoisted!;
    if (hz.length) {
      bindings.push({ name: "hz", type: "u32", write: false });
      refs.push({ kind: "scratch", index: nPartials });
    }
    const source = [
      `// kernel ${k.name}: ${strategy}, domain [${k.domain}], reduce axes [${red}], ` +
      `${threads} threads over ${E} elements${split ? ` × ${C} chunks of ${CH} points` : ""}`,
      body.prelude(),
      header(bindings, wg),
      ...main,
    ].join("\n");
    return {
      kernel: k,
      strategy,
      scratch: [...(split ? reduceOuts.map(() => E * C) : []), ...(hz.length ? [hz.length] : [])],
      passes: [
        ...(hz.length ? [prePass(k, hz, wg, nPartials)] : []),
        { source, threads, groups, bindings: refs },
        ...(split ? combinePasses(k, reduceOuts, E, C, wg, maxDim, maxBuffers) : []),
      ],
    };
  }

  // Chunked reduction: T threads, each over a contiguous chunk of the reduced points, with the
  // (at most 32) output elements unrolled as scalar accumulators; then a pass over the partials.
  const T = Math.max(
    Math.ceil(R / LOOP_CAP),
    Math.min(opts.maxThreads ?? 4096, Math.ceil(R / 128)),
    1,
  );
  const chunk = Math.ceil(R / T);
  const { groups, nx } = dispatch(T, wg, maxDim);
  const env: AxisIx[] = k.domain.map(() => ({ c: 0 }));
  red.forEach((d) => {
    if (k.domain[d] > 1) env[d] = { expr: `r${d}`, level: 1, shift: 0 };
  });
  const combos: AxisIx[][] = [];
  const walk = (j: number, e: AxisIx[]) => {
    if (j === kept.length) return void combos.push(e);
    for (let v = 0; v < k.domain[kept[j]]; v++) {
      const e2 = [...e];
      e2[kept[j]] = { c: v };
      walk(j + 1, e2);
    }
  };
  walk(0, env);
  const scratchIndex = new Map(reduceOuts.map(({ j }, s) => [j, s]));
  const accs: string[] = [];
  const loop: string[] = [];
  const fin: string[] = [];
  combos.forEach((e, c) => {
    k.outputs.forEach((o, j) => {
      const v = body.ref(body.node(o.node, e));
      if (o.kind === "map") {
        loop.push(`out${j}[${affineCode(domStrides, e)}] = ${store(o.dtype, v)};`);
        return;
      }
      const s = scratchIndex.get(j)!;
      accs.push(`var a${s}_${c}: ${WGSL_TYPE[o.dtype]} = ${accInit(o.reduce!, o.dtype)};`);
      loop.push(accStep(o.reduce!, o.dtype, `a${s}_${c}`, v, body.use));
      fin.push(`p${s}[t * ${K}u + ${c}u] = ${store(o.dtype, `a${s}_${c}`)};`);
    });
  });
  const pass1Bindings = [
    ...inputDecls,
    ...k.outputs.map((o, j) => ({ o, j })).filter(({ o }) => o.kind === "map").map(({ o, j }) => ({
      name: `out${j}`,
      type: BUF_TYPE[o.dtype],
      write: true,
    })),
    ...reduceOuts.map(({ o }, s) => ({ name: `p${s}`, type: BUF_TYPE[o.dtype], write: true })),
  ];
  const hz = body.hoisted!;
  if (hz.length) pass1Bindings.push({ name: "hz", type: "u32", write: false });
  const src1 = [
    `// kernel ${k.name}: chunked reduction (pass 1 of 2), domain [${k.domain}], reduce axes [${red}], ` +
    `${T} threads × ${chunk} points, ${K} outputs each`,
    body.prelude(),
    header(pass1Bindings, wg),
    `fn main(@builtin(global_invocation_id) gid: vec3<u32>) {`,
    `  let t = gid.x + gid.y * ${nx}u;`,
    `  if (t >= ${T}u) { return; }`,
    ...body.decls[0].map((l) => "  " + l),
    ...accs.map((l) => "  " + l),
    `  let c0 = t * ${chunk}u;`,
    `  let c1 = min(c0 + ${chunk}u, ${R}u);`,
    `  for (var rr: u32 = c0; rr < c1; rr = rr + 1u) {`,
    ...unravel("rr", red.map((d) => k.domain[d]), red.map((d) => `r${d}`)).map((l) => "    " + l),
    ...body.decls[1].map((l) => "    " + l),
    ...loop.map((l) => "    " + l),
    `  }`,
    ...fin.map((l) => "  " + l),
    `}`,
  ].join("\n");
  return {
    kernel: k,
    strategy,
    scratch: [...reduceOuts.map(() => T * K), ...(hz.length ? [hz.length] : [])],
    passes: [
      ...(hz.length ? [prePass(k, hz, wg, reduceOuts.length)] : []),
      {
        source: src1,
        threads: T,
        groups,
        bindings: [
          ...k.inputs.map((_, i) => ({ kind: "input" as const, index: i })),
          ...k.outputs.map((o, j) => ({ o, j })).filter(({ o }) => o.kind === "map").map((
            { j },
          ) => ({
            kind: "output" as const,
            index: j,
          })),
          ...reduceOuts.map((_, s) => ({ kind: "scratch" as const, index: s })),
          ...(hz.length ? [{ kind: "scratch" as const, index: reduceOuts.length }] : []),
        ],
      },
      ...combinePasses(k, reduceOuts, K, T, wg, maxDim, maxBuffers),
    ],
  };
}
