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
import { type Array, exp, log, reshape, take, where } from "../../core/mod.ts";
import {
  Assembler,
  bools,
  type BuildContext,
  channelExpander,
  channelIndex,
  f64,
  i32,
  ModelDefinitionError,
  type ModelInputs,
  type ModifierModule,
  type ModifierUse,
  namesInOrder,
  reduceGroups,
  scalarIndex,
  scalarRequirements,
  scalarTermParams,
  usedPairs,
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
 * act); the factors are computed on the entries in use and expanded to the bins last.
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
    // hi and lo are per channel ([M, S, C]); the factors are computed on the (modifier, sample,
    // channel) entries in use, multiplied per sample and channel and expanded to the bins last:
    // the interpolation's exponentials run once per use, not once per bin of [M, S, B].
    const S = ctx.layout.samples.length, B = ctx.layout.nbins, M = names.length;
    const C = ctx.layout.channels.length;
    const hi = new Float64Array(M * S * C).fill(1), lo = new Float64Array(M * S * C).fill(1);
    const index = new Map(names.map((n, i) => [n, i]));
    const keys: [number, number][] = [];
    for (const u of uses as readonly ModifierUse<NormsysModifier>[]) {
      const m = index.get(u.modifier.name)!,
        g = u.sampleIndex * C + channelIndex(ctx.layout, u.channel);
      hi[m * S * C + g] = u.modifier.data.hi;
      lo[m * S * C + g] = u.modifier.data.lo;
      keys.push([m, g]);
    }
    const pairs = usedPairs(keys, S * C), U = pairs.m.length;
    const entries = i32(globalThis.Array.from(pairs.m, (m, u) => m * S * C + pairs.group[u]));
    const idx = names.map((n) => scalarIndex(ctx, n));
    const pairPars = globalThis.Array.from(pairs.m, (m) => idx[m]);
    const gather = new Assembler().gather("pars", pairPars);
    const expand = channelExpander(ctx.layout);
    const factors = (pars: Array, inputs: ModelInputs) => {
      const at = (x: Array) => take(reshape(x, [M * S * C]), entries, 0);
      const coef = inputs["normsys.code4"];
      return normsysFactor(
        code,
        gather.build({ pars }),
        at(inputs["normsys.hi"]),
        at(inputs["normsys.lo"]),
        coef && take(reshape(coef, [8, M * S * C]), entries, 1),
      );
    };
    // Term u acts on its sample in its channel's bins.
    const chanOfBin = new Int32Array(B);
    ctx.layout.channels.forEach((ch, c) =>
      chanOfBin.fill(
        c,
        ctx.layout.channelOffset[ch],
        ctx.layout.channelOffset[ch] + ctx.layout.channelNbins[ch],
      )
    );
    const onUse = bools(
      globalThis.Array.from({ length: U * S * B }, (_, i) => {
        const u = Math.floor(i / (S * B)), s = Math.floor(i / B) % S, b = i % B;
        return pairs.group[u] === s * C + chanOfBin[b];
      }),
      [U, S, B],
    );
    return {
      type: "normsys",
      op: "multiplication",
      names,
      inputs: { "normsys.hi": f64(hi, [M, S, C]), "normsys.lo": f64(lo, [M, S, C]) },
      apply: (pars: Array, inputs: ModelInputs) => {
        const f = factors(pars, inputs);
        const perGroup = U > 4 && isMultiplicative(code)
          ? exp(reduceGroups(log(f), pairs, "sum"))
          : reduceGroups(f, pairs, "prod");
        return expand(reshape(perGroup, [S, C]));
      },
      terms: (pars: Array, inputs: ModelInputs) =>
        where(onUse, reshape(factors(pars, inputs), [U, 1, 1]), 1),
      termParams: scalarTermParams(pairPars, B),
      interpcode: code,
      derive: code === "code4"
        ? (inputs: ModelInputs) => ({
          "normsys.code4": code4Coefficients(inputs["normsys.hi"], inputs["normsys.lo"]),
        })
        : undefined,
    };
  },
};
