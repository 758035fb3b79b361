/**
 * `normsys`: a normalisation uncertainty. The sample is multiplied by an interpolated factor
 * f(α) with f(0) = 1, f(+1) = `hi`, f(−1) = `lo`; α has a unit Gaussian constraint (auxdata 0,
 * init 0, bounds [−5, 5]) and is shared by name across samples and channels.
 *
 * Interpolation (`modifierSettings.normsys.interpcode`, see ./interp.ts): `code4` (the default,
 * as pyhf's `Workspace.model()`): the exponential for |α| ≥ 1 and, inside, the polynomial
 * 1 + Σᵢ₌₁⁶ aᵢαⁱ matching value, first and second derivative at α = ±1; `code1` (ROOT's default):
 * hiᵅ for α ≥ 0, lo⁻ᵅ for α < 0; `code0` and `code2`: the additive codes on the factors.
 *
 * @module
 */
import { type Array, exp, log, reshape, where } from "../../core/mod.ts";
import {
  Assembler,
  type BuildContext,
  channelExpander,
  channelIndex,
  channelMask,
  f64,
  ModelDefinitionError,
  type ModelInputs,
  type ModifierModule,
  type ModifierUse,
  namesInOrder,
  product0,
  scalarIndex,
  scalarRequirements,
  scalarTermParams,
} from "./common.ts";
import type { NormsysModifier } from "../workspace.ts";
import {
  code4Coefficients,
  isMultiplicative,
  NORMSYS_CODES,
  type NormsysCode,
  normsysFactor,
} from "./interp.ts";

/**
 * The normsys module: a unit-Gaussian α per name; rates × f(α) by its code. With more than a
 * few modifiers, the product of the multiplicative codes' factors (positive: exponentials of
 * logs of hi, lo > 0, and the polynomial between them) is exp(Σ log f), a reduction, because
 * the compiler inlines the tree of `product0` into one straight-line kernel per element whose
 * size grows with M (slow to compile, and too large for the JS engine to optimise). Its inputs are
 * `normsys.hi` and `normsys.lo`, `[M, S, C]` factors per channel (1 where a modifier does not
 * act), expanded to the bins after the interpolation.
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
    const code = (ctx.settings.interpcode ?? "code4") as NormsysCode;
    if (!NORMSYS_CODES.includes(code)) {
      throw new ModelDefinitionError(
        "modifierSettings.normsys.interpcode",
        `unsupported interpolation code ${JSON.stringify(code)} (supported: ${
          NORMSYS_CODES.join(", ")
        })`,
      );
    }
    const names = namesInOrder(uses);
    // hi, lo and the factors are per channel ([M, S, C]), expanded to bins last: the
    // interpolation's exponentials then run M·S·C times, not M·S·B.
    const { mask } = channelMask(uses, names, ctx.layout);
    const S = ctx.layout.samples.length, B = ctx.layout.nbins, M = names.length;
    const C = ctx.layout.channels.length;
    const hi = new Float64Array(M * S * C).fill(1), lo = new Float64Array(M * S * C).fill(1);
    const index = new Map(names.map((n, i) => [n, i]));
    for (const u of uses as readonly ModifierUse<NormsysModifier>[]) {
      const at = (index.get(u.modifier.name)! * S + u.sampleIndex) * C +
        channelIndex(ctx.layout, u.channel);
      hi[at] = u.modifier.data.hi;
      lo[at] = u.modifier.data.lo;
    }
    const idx = names.map((n) => scalarIndex(ctx, n));
    const gather = new Assembler().gather("pars", idx);
    const expand = channelExpander(ctx.layout);
    const factors = (pars: Array, inputs: ModelInputs) => {
      const alpha = reshape(gather.build({ pars }), [M, 1, 1]);
      const f = normsysFactor(
        code,
        alpha,
        inputs["normsys.hi"],
        inputs["normsys.lo"],
        inputs["normsys.code4"],
      );
      return where(mask, f, 1);
    };
    return {
      type: "normsys",
      op: "multiplication",
      names,
      inputs: { "normsys.hi": f64(hi, [M, S, C]), "normsys.lo": f64(lo, [M, S, C]) },
      apply: (pars: Array, inputs: ModelInputs) =>
        expand(
          M > 4 && isMultiplicative(code)
            ? exp(log(factors(pars, inputs)).sum(0))
            : product0(factors(pars, inputs)),
        ),
      terms: (pars: Array, inputs: ModelInputs) => expand(factors(pars, inputs)),
      termParams: scalarTermParams(idx, B),
      interpcode: code,
      derive: code === "code4"
        ? (inputs: ModelInputs) => ({
          "normsys.code4": code4Coefficients(inputs["normsys.hi"], inputs["normsys.lo"]),
        })
        : undefined,
    };
  },
};
