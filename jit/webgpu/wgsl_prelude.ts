/**
 * The WGSL prelude: functions WGSL lacks (`erf`, `erfc`, `log1p`, `lgamma`, NaN-aware `max`, ...),
 * with eager semantics in float32, and {@link Prelude}, which collects the ones a shader uses.
 *
 * @module
 */
import { ERFC_F32_TWO, ERFC_F32_ZERO } from "../f32math.ts";
import { AS241 } from "../../core/special.ts";

/** +∞ in WGSL. */
export const INF = "bitcast<f32>(0x7f800000u)";
/**
 * The recurrence step `x → x + 1` applied while x < 8, written out eight times (arguments are
 * ≥ 0.5): straight-line code, because llvmpipe caps loop iterations per invocation.
 */
const SHIFT8 = (step: string) =>
  globalThis.Array.from({ length: 8 }, () => `  if (x < 8.0f) { ${step} x = x + 1.0f; }`).join(
    "\n",
  );
/** A quiet NaN in WGSL. */
export const NAN = "bitcast<f32>(0x7fc00000u)";

/** A WGSL float32 expression c₀ + r(c₁ + r(c₂ + …)) (Horner) in variable `r`. */
function horner(r: string, c: readonly number[]): string {
  const lit = (v: number) => `${Math.fround(v).toPrecision(9)}f`;
  return c.slice(0, -1).reduceRight(
    (acc, v) => `(${lit(v)} + ${r} * ${acc})`,
    lit(c[c.length - 1]),
  );
}

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
  // Numerical Recipes' erfcc (fractional error < 1.2e-7), as jit/f32math.ts erfcF32.
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
  // M. Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011), single precision.
  z_erf_inv: {
    deps: [],
    code: `fn z_erf_inv(x: f32) -> f32 {
  if (abs(x) >= 1.0f) { return select(${NAN}, sign(x) * ${INF}, abs(x) == 1.0f); }
  var w = -log((1.0f - x) * (1.0f + x));
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
  // The normal quantile by the method of the CPU's ndtri (AS 241), in float32: the tails keep
  // float32 relative accuracy down to the smallest normal probabilities.
  z_ndtri: {
    deps: ["z_isnan"],
    code: `fn z_ndtri(p: f32) -> f32 {
  if (z_isnan(p)) { return p; }
  if (p <= 0.0f) { return select(${NAN}, -${INF}, p == 0.0f); }
  if (p >= 1.0f) { return select(${NAN}, ${INF}, p == 1.0f); }
  let q = p - 0.5f;
  if (abs(q) <= 0.425f) {
    let r = 0.180625f - q * q;
    return q * ${horner("r", AS241.A)} / ${horner("r", AS241.B)};
  }
  var r = sqrt(-log(select(1.0f - p, p, q < 0.0f)));
  var x: f32;
  if (r <= 5.0f) {
    r = r - 1.6f;
    x = ${horner("r", AS241.C)} / ${horner("r", AS241.D)};
  } else {
    r = r - 5.0f;
    x = ${horner("r", AS241.E)} / ${horner("r", AS241.F)};
  }
  return select(x, -x, q < 0.0f);
}`,
  },
  z_f2i: {
    deps: ["z_isfinite"],
    code: `fn z_f2i(x: f32) -> i32 { if (!z_isfinite(x)) { return 0i; } return i32(x); }`,
  },
};

/**
 * The prelude functions one shader uses: `use(name)` records a function (returning its name) and
 * `toString()` renders them with their dependencies, each once.
 *
 * @example
 * ```ts
 * import { Prelude } from "./wgsl_prelude.ts";
 * const p = new Prelude();
 * const code = `${p.use("z_erfc")}(x)`;
 * console.log(p.toString(), code);
 * ```
 */
export class Prelude {
  readonly #used = new Set<string>();

  /** Records prelude function `f`; returns its name. */
  use = (f: string): string => {
    if (!Object.hasOwn(PRELUDE, f)) throw new Error(`wgsl: no prelude function ${f}`);
    this.#used.add(f);
    return f;
  };

  /** The WGSL of the used functions, dependencies first. */
  toString(): string {
    const done = new Set<string>();
    const out: string[] = [];
    const add = (f: string) => {
      if (done.has(f)) return;
      done.add(f);
      for (const d of PRELUDE[f].deps) add(d);
      out.push(PRELUDE[f].code);
    };
    for (const f of this.#used) add(f);
    return out.join("\n");
  }
}
