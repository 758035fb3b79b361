/**
 * `histosys`: a shape uncertainty. The sample's yields move by an interpolated delta δ(α) with
 * δ(0) = 0, δ(+1) = `hi_data` − nominal, δ(−1) = `lo_data` − nominal; α has a unit Gaussian
 * constraint (auxdata 0, init 0, bounds [−5, 5]) and is shared by name (also with a normsys of the
 * same name, as HistFactory's OverallSys + HistoSys pairs are).
 *
 * Interpolation (`modifierSettings.histosys.interpcode`):
 * - `code0` (default here, as in ROOT): piecewise linear, α(hi − nom) for α ≥ 0, α(nom − lo) else.
 * - `code4p` (pyhf's `Workspace.model()` default): linear outside |α| ≤ 1 and, inside, the
 *   polynomial α·S + α²·A·(15 − 10α² + 3α⁴), S = (Δ₊ + Δ₋)/2, A = (Δ₊ − Δ₋)/16, which is smooth
 *   at α = 0.
 *
 * The deltas use the current nominal input, so a model whose nominal yields are replaced
 * (`Model.withNominals`) keeps `hi_data`/`lo_data` as absolute templates.
 *
 * @module
 */
import { type Array, reshape, where } from "../../core/mod.ts";
import {
  Assembler,
  f64,
  ModelDefinitionError,
  type ModelInputs,
  type ModifierModule,
  type ModifierUse,
  namesInOrder,
  scalarIndex,
  scalarRequirements,
  useMask,
} from "./common.ts";
import type { HistosysModifier } from "../workspace.ts";

/** Interpolation codes of histosys. */
export type HistosysCode = "code0" | "code4p";

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
 * code4p: linear for |α| > 1, the smooth polynomial inside (see the module doc).
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
 * The histosys module: a unit-Gaussian α per name; rates + δ(α) by code0 or code4p. Its inputs are
 * `histosys.hi` and `histosys.lo`, `[M, S, B]` absolute yields (ignored where a modifier does not
 * act).
 *
 * @example
 * ```ts
 * import { histosys } from "./mod.ts";
 * console.log(histosys.type); // "histosys"
 * ```
 */
export const histosys: ModifierModule = {
  type: "histosys",
  requirements: (uses) =>
    scalarRequirements(uses, {
      type: "histosys",
      kind: "normal",
      inits: [0],
      bounds: [[-5, 5]],
      fixed: [false],
      auxdata: [0],
    }),
  build(uses, ctx) {
    if (uses.length === 0) return null;
    const code = (ctx.settings.interpcode ?? "code0") as string;
    if (code !== "code0" && code !== "code4p") {
      throw new ModelDefinitionError(
        "modifierSettings.histosys.interpcode",
        `unsupported interpolation code ${JSON.stringify(code)} (supported: code0, code4p)`,
      );
    }
    const interp = code === "code0" ? interpCode0 : interpCode4p;
    const names = namesInOrder(uses);
    const { mask } = useMask(uses, names, ctx.layout);
    const S = ctx.layout.samples.length, B = ctx.layout.nbins, M = names.length;
    const hi = new Float64Array(M * S * B), lo = new Float64Array(M * S * B);
    const index = new Map(names.map((n, i) => [n, i]));
    for (const u of uses as readonly ModifierUse<HistosysModifier>[]) {
      const base = (index.get(u.modifier.name)! * S + u.sampleIndex) * B + u.offset;
      hi.set(u.modifier.data.hi_data, base);
      lo.set(u.modifier.data.lo_data, base);
    }
    const gather = new Assembler().gather("pars", names.map((n) => scalarIndex(ctx, n)));
    return {
      type: "histosys",
      op: "addition",
      names,
      inputs: { "histosys.hi": f64(hi, [M, S, B]), "histosys.lo": f64(lo, [M, S, B]) },
      apply(pars: Array, inputs: ModelInputs) {
        const alpha = reshape(gather.build({ pars }), [M, 1, 1]);
        const d = interp(alpha, inputs["histosys.hi"], inputs.nominal, inputs["histosys.lo"]);
        return where(mask, d, 0).sum(0);
      },
    };
  },
};
