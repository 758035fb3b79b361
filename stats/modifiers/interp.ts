/**
 * pyhf's interpolation codes (pyhf/interpolators/code*.py, after the HistFactory note
 * CERN-OPEN-2012-016), written as elementwise zgrad functions so that they differentiate (any
 * order) and broadcast. Two families:
 *
 * - **additive** codes give a delta δ(α) from Δ₊ = hi − nom and Δ₋ = nom − lo:
 *   `code0` (piecewise linear), `code2` (quadratic inside |α| ≤ 1, linear outside, as pyhf writes
 *   it), `code4p` (6th-order polynomial inside, linear outside);
 * - **multiplicative** codes give a factor f(α) from r₊ = hi/nom and r₋ = lo/nom:
 *   `code1` (piecewise exponential) and `code4` (6th-order polynomial inside, exponential outside).
 *
 * pyhf itself allows normsys code1/code4 and histosys code0/code2/code4p; zgrad applies every code
 * to either modifier, as ROOT's FlexibleInterpVar/PiecewiseInterpolation do: a normsys with an
 * additive code interpolates the factor 1 + δ(α; hi − 1, 1 − lo), a histosys with a
 * multiplicative code the yield nom·f(α; hi/nom, lo/nom), i.e. the delta nom·(f − 1).
 *
 * **pyhf's code2 is discontinuous at |α| = 1**: its extrapolation (b + 2a)(α − 1) starts from 0,
 * not from Δ₊ (pyhf issue #2729; ROOT adds the offset). zgrad reproduces pyhf's numbers, and the
 * model warns when code2 is used.
 *
 * @module
 */
import { type Array, concatenate, exp, log, matmul, reshape, where } from "../../core/mod.ts";
import { f64 } from "./common.ts";

/** Every interpolation code. */
export type InterpCode = "code0" | "code1" | "code2" | "code4" | "code4p";
/** Codes a normsys accepts. */
export const NORMSYS_CODES = ["code0", "code1", "code2", "code4"] as const;
/** Codes a histosys accepts. */
export const HISTOSYS_CODES = ["code0", "code2", "code4", "code4p"] as const;
/** Interpolation codes of normsys. */
export type NormsysCode = (typeof NORMSYS_CODES)[number];
/** Interpolation codes of histosys. */
export type HistosysCode = (typeof HISTOSYS_CODES)[number];

/**
 * code0: the additive delta α(hi − nom) for α ≥ 0 and α(nom − lo) otherwise (broadcasting). At
 * the kink α = 0 the derivative is the right-hand one, the side forward differences (pyhf's
 * default optimiser) see: a fit started at α = 0 then takes pyhf's branch of a multimodal
 * likelihood (see `validation_2bin_2channel_coupledhistosys` in the pyhf fixtures).
 *
 * @example
 * ```ts
 * import { array } from "../../mod.ts";
 * import { interpCode0 } from "./mod.ts";
 * const f = (v: number) => array(v, "float64");
 * interpCode0(f(-0.5), f(12), f(10), f(9)); // -0.5
 * ```
 */
export function interpCode0(alpha: Array, hi: Array, nom: Array, lo: Array): Array {
  return where(alpha.ge(0), alpha.mul(hi.sub(nom)), alpha.mul(nom.sub(lo)));
}

/**
 * code2 as pyhf computes it: with a = (hi + lo)/2 − nom and b = (hi − lo)/2, the delta is
 * aα² + bα for |α| ≤ 1, (b + 2a)(α − 1) for α > 1 and (b − 2a)(α + 1) for α < −1 — note the
 * jump at |α| = 1 (see the module doc).
 *
 * @example
 * ```ts
 * import { array } from "../../mod.ts";
 * import { interpCode2 } from "./mod.ts";
 * const f = (v: number) => array(v, "float64");
 * interpCode2(f(0.5), f(13), f(10), f(8)); // a = 0.5, b = 2.5: 0.125 + 1.25 = 1.375
 * ```
 */
export function interpCode2(alpha: Array, hi: Array, nom: Array, lo: Array): Array {
  const a = hi.add(lo).mul(0.5).sub(nom), b = hi.sub(lo).mul(0.5);
  const inner = a.mul(alpha.square()).add(b.mul(alpha));
  const above = b.add(a.mul(2)).mul(alpha.sub(1));
  const below = b.sub(a.mul(2)).mul(alpha.add(1));
  return where(alpha.gt(1), above, where(alpha.ge(-1), inner, below));
}

/**
 * code4p: the delta α·Δ₊ for α > 1, α·Δ₋ for α < −1 and, inside, α·S + α²·A·(15 − 10α² + 3α⁴)
 * with S = (Δ₊ + Δ₋)/2, A = (Δ₊ − Δ₋)/16: value, first and second derivative are continuous.
 *
 * @example
 * ```ts
 * import { array } from "../../mod.ts";
 * import { interpCode4p } from "./mod.ts";
 * const f = (v: number) => array(v, "float64");
 * interpCode4p(f(1), f(12), f(10), f(9)); // 2
 * ```
 */
export function interpCode4p(alpha: Array, hi: Array, nom: Array, lo: Array): Array {
  const up = hi.sub(nom), dn = nom.sub(lo);
  const s = up.add(dn).mul(0.5), a = up.sub(dn).mul(0.0625);
  const a2 = alpha.square();
  const inner = a2.mul(a2.mul(a2.mul(3).sub(10)).add(15)).mul(a).add(alpha.mul(s));
  return where(alpha.lt(-1), alpha.mul(dn), where(alpha.gt(1), alpha.mul(up), inner));
}

/**
 * code1: the factor hiᵅ (α ≥ 0) or lo⁻ᵅ (α < 0), elementwise; `hi` and `lo` are ratios to the
 * nominal. Written as exp(α log hi) so that the unused branch has a finite derivative; at the kink
 * α = 0 the derivative is the right-hand one (see {@link interpCode0}).
 *
 * @example
 * ```ts
 * import { array } from "../../mod.ts";
 * import { interpCode1 } from "./mod.ts";
 * interpCode1(array(0.5, "float64"), array(1.1, "float64"), array(0.9, "float64")); // √1.1
 * ```
 */
export function interpCode1(alpha: Array, hi: Array, lo: Array): Array {
  return where(alpha.ge(0), exp(alpha.mul(log(hi))), exp(alpha.neg().mul(log(lo))));
}

// A⁻¹ of the 6×6 system fixing a₁..a₆ from f, f', f'' at α = ±α₀ (α₀ = 1); rows give aᵢ
// (pyhf's code4.py with alpha0 = 1).
const CODE4_AINV = [
  [15 / 16, -15 / 16, -7 / 16, -7 / 16, 1 / 16, -1 / 16],
  [3 / 2, 3 / 2, -9 / 16, 9 / 16, 1 / 16, 1 / 16],
  [-5 / 8, 5 / 8, 5 / 8, 5 / 8, -1 / 8, 1 / 8],
  [-3 / 2, -3 / 2, 7 / 8, -7 / 8, -1 / 8, -1 / 8],
  [3 / 16, -3 / 16, -3 / 16, -3 / 16, 1 / 16, -1 / 16],
  [1 / 2, 1 / 2, -5 / 16, 5 / 16, 1 / 16, 1 / 16],
];
let code4Ainv: Array | undefined;

/**
 * What code4 needs of `hi` and `lo` alone, stacked on a new leading axis: the polynomial's
 * coefficients a₁..a₆ (A⁻¹·[hi − 1, lo − 1, hi ln hi, −lo ln lo, hi ln² hi, lo ln² lo]), then
 * ln hi and ln lo. Compiled fits receive it precomputed (`AppliedModifier.derive`), since it
 * does not depend on the parameters.
 *
 * @example
 * ```ts
 * import { array } from "../../mod.ts";
 * import { code4Coefficients } from "./interp.ts";
 * code4Coefficients(array([1.2], "float64"), array([0.8], "float64")).shape; // [8, 1]
 * ```
 */
export function code4Coefficients(hi: Array, lo: Array): Array {
  const shape = hi.shape;
  const lh = log(hi), ll = log(lo);
  const row = (t: Array) => reshape(t, [1, -1]);
  // b = [hi − 1, lo − 1, hi·ln hi, −lo·ln lo, hi·ln² hi, lo·ln² lo] at α₀ = 1.
  const b = concatenate(
    [hi.sub(1), lo.sub(1), hi.mul(lh), lo.mul(ll).neg(), hi.mul(lh.square()), lo.mul(ll.square())]
      .map(row),
    0,
  );
  const a = matmul(code4Ainv ??= f64(CODE4_AINV.flat(), [6, 6]), b); // [6, n]
  return reshape(concatenate([a, row(lh), row(ll)], 0), [8, ...shape]);
}

/**
 * code4: the factor hiᵅ for α ≥ 1, lo⁻ᵅ for α ≤ −1 and, inside, the polynomial 1 + Σᵢ₌₁⁶ aᵢαⁱ
 * matching value, first and second derivative at α = ±1; elementwise with broadcasting. `coef`
 * is {@link code4Coefficients}(hi, lo) when already computed.
 *
 * @example
 * ```ts
 * import { array } from "../../mod.ts";
 * import { interpCode4 } from "./mod.ts";
 * interpCode4(array(1, "float64"), array(1.2, "float64"), array(0.8, "float64")); // 1.2
 * ```
 */
export function interpCode4(alpha: Array, hi: Array, lo: Array, coef?: Array): Array {
  const c = coef ?? code4Coefficients(hi, lo);
  const at = (i: number) => c.slice(i);
  // Horner: α(a₁ + α(a₂ + α(a₃ + α(a₄ + α(a₅ + α a₆))))).
  let poly = at(5);
  for (let i = 4; i >= 0; i--) poly = at(i).add(alpha.mul(poly));
  poly = poly.mul(alpha).add(1);
  const up = exp(alpha.mul(at(6))), down = exp(alpha.neg().mul(at(7)));
  return where(alpha.ge(1), up, where(alpha.gt(-1), poly, down));
}

type Additive = (alpha: Array, hi: Array, nom: Array, lo: Array) => Array;
type Multiplicative = (alpha: Array, hi: Array, lo: Array, coef?: Array) => Array;
const ADDITIVE: Readonly<Record<string, Additive>> = {
  code0: interpCode0,
  code2: interpCode2,
  code4p: interpCode4p,
};
const MULTIPLICATIVE: Readonly<Record<string, Multiplicative>> = {
  code1: interpCode1,
  code4: interpCode4,
};

/**
 * True for the codes that interpolate ratios (code1, code4), false for deltas.
 *
 * @example
 * ```ts
 * import { isMultiplicative } from "./interp.ts";
 * isMultiplicative("code4"); // true
 * ```
 */
export function isMultiplicative(code: InterpCode): boolean {
  return code in MULTIPLICATIVE;
}

/**
 * Where the interpolation is not twice differentiable in α: code0/code1 have a kink at 0,
 * pyhf's code2 jumps at ±1; code4 and code4p are C² (none).
 *
 * @example
 * ```ts
 * import { kinksOf } from "./interp.ts";
 * kinksOf("code0"); // [0]
 * ```
 */
export function kinksOf(code: InterpCode): readonly number[] {
  return code === "code0" || code === "code1" ? [0] : code === "code2" ? [-1, 1] : [];
}

/**
 * A normsys factor f(α) from the factors `hi` and `lo` (nominal 1) by any code (`coef`: code4's
 * precomputed {@link code4Coefficients}, optional).
 *
 * @example
 * ```ts
 * import { array } from "../../mod.ts";
 * import { normsysFactor } from "./interp.ts";
 * const f = (v: number) => array(v, "float64");
 * normsysFactor("code0", f(-0.5), f(1.1), f(0.8)); // 1 − 0.5·0.2 = 0.9
 * ```
 */
export function normsysFactor(
  code: NormsysCode,
  alpha: Array,
  hi: Array,
  lo: Array,
  coef?: Array,
): Array {
  const mul = MULTIPLICATIVE[code];
  if (mul) return mul(alpha, hi, lo, code === "code4" ? coef : undefined);
  const one = hi.mul(0).add(1);
  return ADDITIVE[code](alpha, hi, one, lo).add(1);
}

/**
 * A histosys delta δ(α) from the templates `hi`, `nom`, `lo` by any code; a multiplicative code
 * gives nom·(f(α; hi/nom, lo/nom) − 1), and 0 where the nominal is 0.
 *
 * @example
 * ```ts
 * import { array } from "../../mod.ts";
 * import { histosysDelta } from "./interp.ts";
 * const f = (v: number) => array(v, "float64");
 * histosysDelta("code4", f(1), f(12), f(10), f(9)); // 10·(1.2 − 1) = 2
 * ```
 */
export function histosysDelta(
  code: HistosysCode,
  alpha: Array,
  hi: Array,
  nom: Array,
  lo: Array,
): Array {
  const mul = MULTIPLICATIVE[code];
  if (!mul) return ADDITIVE[code](alpha, hi, nom, lo);
  // Ratios with a safe denominator, so that neither value nor derivative is NaN where nom = 0.
  const zero = nom.eq(0);
  const safe = where(zero, 1, nom);
  const r = (t: Array) => where(zero, 1, t.div(safe));
  return where(zero, 0, nom.mul(mul(alpha, r(hi), r(lo)).sub(1)));
}
