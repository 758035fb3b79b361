/**
 * `normsys`: a normalisation uncertainty. The sample is multiplied by an interpolated factor
 * f(α) with f(0) = 1, f(+1) = `hi`, f(−1) = `lo`; α has a unit Gaussian constraint (auxdata 0,
 * init 0, bounds [−5, 5]) and is shared by name across samples and channels.
 *
 * Interpolation (`modifierSettings.normsys.interpcode`):
 * - `code1` (default here, as in ROOT): f = hiᵅ for α ≥ 0, lo⁻ᵅ for α < 0 (piecewise exponential).
 * - `code4` (pyhf's `Workspace.model()` default): the exponential for |α| ≥ 1 and, inside, the
 *   polynomial 1 + Σᵢ₌₁⁶ aᵢαⁱ matching value, first and second derivative at α = ±1.
 *
 * @module
 */
import { type Array, concatenate, exp, log, matmul, reshape, where } from "../../core/mod.ts";
import {
  Assembler,
  type BuildContext,
  f64,
  ModelDefinitionError,
  type ModelInputs,
  type ModifierModule,
  type ModifierUse,
  namesInOrder,
  product0,
  scalarIndex,
  scalarRequirements,
  useMask,
} from "./common.ts";
import type { NormsysModifier } from "../workspace.ts";

/** Interpolation codes of normsys. */
export type NormsysCode = "code1" | "code4";

/**
 * code1: hiᵅ (α ≥ 0) or lo⁻ᵅ (α < 0), elementwise; `alpha` broadcasts against `hi` and `lo`.
 * Written as exp(α log hi) so that the unused branch has a finite derivative. At the kink α = 0
 * the derivative is the right-hand one, the side forward differences (pyhf's default optimiser)
 * see, so fits started at α = 0 follow pyhf's path.
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

// A⁻¹ of the 6×6 system fixing a₁..a₆ from f, f', f'' at α = ±α₀ (α₀ = 1); rows give aᵢ.
const CODE4_AINV = [
  [15 / 16, -15 / 16, -7 / 16, -7 / 16, 1 / 16, -1 / 16],
  [3 / 2, 3 / 2, -9 / 16, 9 / 16, 1 / 16, 1 / 16],
  [-5 / 8, 5 / 8, 5 / 8, 5 / 8, -1 / 8, 1 / 8],
  [-3 / 2, -3 / 2, 7 / 8, -7 / 8, -1 / 8, -1 / 8],
  [3 / 16, -3 / 16, -3 / 16, -3 / 16, 1 / 16, -1 / 16],
  [1 / 2, 1 / 2, -5 / 16, 5 / 16, 1 / 16, 1 / 16],
];
const code4Ainv = f64(CODE4_AINV.flat(), [6, 6]);

/**
 * code4: polynomial inside |α| < 1, exponential outside (see the module doc); elementwise with
 * broadcasting.
 *
 * @example
 * ```ts
 * import { array } from "../../mod.ts";
 * import { interpCode4 } from "./mod.ts";
 * interpCode4(array(1, "float64"), array(1.2, "float64"), array(0.8, "float64")); // 1.2
 * ```
 */
export function interpCode4(alpha: Array, hi: Array, lo: Array): Array {
  const shape = hi.shape;
  const lh = log(hi), ll = log(lo);
  // b = [hi − 1, lo − 1, hi·ln hi, −lo·ln lo, hi·ln² hi, lo·ln² lo] at α₀ = 1.
  const b = concatenate(
    [hi.sub(1), lo.sub(1), hi.mul(lh), lo.mul(ll).neg(), hi.mul(lh.square()), lo.mul(ll.square())]
      .map((t) => reshape(t, [1, -1])),
    0,
  );
  const a = matmul(code4Ainv, b); // [6, n]
  const coef = (i: number) => reshape(a.slice(i), shape);
  // Horner: α(a₁ + α(a₂ + α(a₃ + α(a₄ + α(a₅ + α a₆))))).
  let poly = coef(5);
  for (let i = 4; i >= 0; i--) poly = coef(i).add(alpha.mul(poly));
  poly = poly.mul(alpha).add(1);
  const up = exp(alpha.mul(lh)), down = exp(alpha.neg().mul(ll));
  return where(alpha.ge(1), up, where(alpha.gt(-1), poly, down));
}

/**
 * The normsys module: a unit-Gaussian α per name; rates × f(α) by code1 or code4. Its inputs are
 * `normsys.hi` and `normsys.lo`, `[M, S, B]` factors (1 where a modifier does not act).
 *
 * @example
 * ```ts
 * import { normsys } from "./mod.ts";
 * console.log(normsys.type); // "normsys"
 * ```
 */
export const normsys: ModifierModule = {
  type: "normsys",
  requirements: (uses) =>
    scalarRequirements(uses, {
      type: "normsys",
      kind: "normal",
      inits: [0],
      bounds: [[-5, 5]],
      fixed: [false],
      auxdata: [0],
    }),
  build(uses, ctx: BuildContext) {
    if (uses.length === 0) return null;
    const code = (ctx.settings.interpcode ?? "code1") as string;
    if (code !== "code1" && code !== "code4") {
      throw new ModelDefinitionError(
        "modifierSettings.normsys.interpcode",
        `unsupported interpolation code ${JSON.stringify(code)} (supported: code1, code4)`,
      );
    }
    const interp = code === "code1" ? interpCode1 : interpCode4;
    const names = namesInOrder(uses);
    const { mask } = useMask(uses, names, ctx.layout);
    const S = ctx.layout.samples.length, B = ctx.layout.nbins, M = names.length;
    const hi = new Float64Array(M * S * B).fill(1), lo = new Float64Array(M * S * B).fill(1);
    const index = new Map(names.map((n, i) => [n, i]));
    for (const u of uses as readonly ModifierUse<NormsysModifier>[]) {
      const base = (index.get(u.modifier.name)! * S + u.sampleIndex) * B + u.offset;
      hi.fill(u.modifier.data.hi, base, base + u.nbins);
      lo.fill(u.modifier.data.lo, base, base + u.nbins);
    }
    const gather = new Assembler().gather("pars", names.map((n) => scalarIndex(ctx, n)));
    return {
      type: "normsys",
      op: "multiplication",
      names,
      inputs: { "normsys.hi": f64(hi, [M, S, B]), "normsys.lo": f64(lo, [M, S, B]) },
      apply(pars: Array, inputs: ModelInputs) {
        const alpha = reshape(gather.build({ pars }), [M, 1, 1]);
        const f = interp(alpha, inputs["normsys.hi"], inputs["normsys.lo"]);
        return product0(where(mask, f, 1));
      },
    };
  },
};
