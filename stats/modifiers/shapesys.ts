/**
 * `shapesys`: uncorrelated per-bin uncertainties of one sample, each bin with a factor γ_b and a
 * Poisson constraint Pois(τ_b | γ_b τ_b), τ_b = (nominal_b / uncertainty_b)² (so the relative width
 * is 1/√τ_b). Bins with zero nominal or zero uncertainty get τ = 1 and a fixed γ = 1, as in pyhf.
 * Default inits 1, bounds [1e−10, 10]; the auxdata is τ.
 *
 * A shapesys name may act on several samples of one channel (the first sample in pyhf's order
 * sets τ, all are scaled by γ) but not on several channels, which pyhf cannot build either.
 *
 * τ is recomputed from the inputs (`nominal` and `shapesys.unc`), so replacing a sample's yields
 * (`Model.withNominals`) moves the constraint too; which bins are fixed is decided once, from the
 * workspace.
 *
 * @module
 */
import { type Array, matmul, reshape, where } from "../../core/mod.ts";
import {
  Assembler,
  bools,
  f64,
  ModelDefinitionError,
  type ModelInputs,
  type ModifierModule,
  type ModifierUse,
  namesInOrder,
  type ParamRequirement,
  perBinFactor,
  type PerBinSpec,
  product0,
} from "./common.ts";
import type { ShapesysModifier } from "../workspace.ts";

/** pyhf's factors: (nominal/uncertainty)² where both are positive, else 1 (and that bin fixed). */
export function shapesysFactors(
  nominal: readonly number[],
  uncertainty: readonly number[],
): { factors: number[]; fixed: boolean[] } {
  const valid = nominal.map((n, i) => n > 0 && uncertainty[i] > 0);
  return {
    factors: nominal.map((n, i) => (valid[i] ? n ** 2 / uncertainty[i] ** 2 : 1)),
    fixed: valid.map((v) => !v),
  };
}

/**
 * The shapesys module: Poisson-constrained per-bin γ; rates × γ_b. Input `shapesys.unc` is the
 * `[M, S, B]` absolute uncertainty.
 *
 * @example
 * ```ts
 * import { shapesys } from "./mod.ts";
 * console.log(shapesys.type); // "shapesys"
 * ```
 */
export const shapesys: ModifierModule = {
  type: "shapesys",
  requirements(uses) {
    const out = new Map<string, ParamRequirement>();
    for (const u of uses as readonly ModifierUse<ShapesysModifier>[]) {
      if (out.has(u.modifier.name)) continue;
      const { factors, fixed } = shapesysFactors(u.nominal, u.modifier.data);
      out.set(u.modifier.name, {
        type: "shapesys",
        path: u.path,
        kind: "poisson",
        n: u.nbins,
        isScalar: false,
        inits: new globalThis.Array(u.nbins).fill(1),
        bounds: new globalThis.Array(u.nbins).fill([1e-10, 10]),
        fixed,
        auxdata: factors,
        factors,
      });
    }
    return out;
  },
  build(uses, ctx) {
    if (uses.length === 0) return null;
    const { layout } = ctx;
    const S = layout.samples.length, B = layout.nbins;
    const names = namesInOrder(uses);
    const M = names.length;
    const first = new Map<string, ModifierUse>();
    const specs: PerBinSpec[] = [];
    const unc = new Float64Array(M * S * B);
    const owner = new Float64Array(M * S); // one-hot: the sample whose nominal sets τ
    const valid = new Uint8Array(M * B);
    const tauIndex = new Assembler();
    names.forEach(() =>
      specs.push({
        paramOfBin: new Int32Array(B).fill(-1),
        sampleMask: new Uint8Array(S * B),
      })
    );
    for (const u of uses as readonly ModifierUse<ShapesysModifier>[]) {
      const m = names.indexOf(u.modifier.name);
      const f = first.get(u.modifier.name);
      if (f && f.channel !== u.channel) {
        throw new ModelDefinitionError(
          u.path,
          `shapesys ${JSON.stringify(u.modifier.name)} acts in channels ${
            JSON.stringify(f.channel)
          } ` +
            `and ${
              JSON.stringify(u.channel)
            }; a shapesys belongs to one channel (use one name per channel)`,
        );
      }
      const p = ctx.params.get(u.modifier.name)!;
      unc.set(u.modifier.data, (m * S + u.sampleIndex) * B + u.offset);
      for (let j = 0; j < u.nbins; j++) {
        specs[m].paramOfBin[u.offset + j] = p.start + j;
        specs[m].sampleMask[u.sampleIndex * B + u.offset + j] = 1;
      }
      if (!f) {
        first.set(u.modifier.name, u);
        owner[m * S + u.sampleIndex] = 1;
        u.nominal.forEach((n, j) => {
          if (n > 0 && u.modifier.data[j] > 0) valid[m * B + u.offset + j] = 1;
        });
        for (let j = 0; j < p.n; j++) tauIndex.take("tau", m * B + u.offset + j);
      }
    }
    const factor = perBinFactor(specs, layout);
    const ownerArr = f64(owner, [M, S]);
    const ownerMask = reshape(ownerArr, [M, S, 1]);
    const validArr = bools(valid, [M, B]);
    return {
      type: "shapesys",
      op: "multiplication",
      names,
      inputs: { "shapesys.unc": f64(unc, [M, S, B]) },
      apply: (pars: Array) => product0(factor.terms(pars)),
      terms: factor.terms,
      termParams: factor.termParams,
      dynamicConstraint: {
        field: "factors",
        params: names.map((n) => ({ name: n, n: ctx.params.get(n)!.n })),
        compute(inputs: ModelInputs) {
          const nom = matmul(ownerArr, inputs.nominal); // [M, B]
          const u = inputs["shapesys.unc"].mul(ownerMask).sum(1); // [M, B]
          // Double where: invalid bins never divide by a zero uncertainty, even in derivatives.
          const tau = where(validArr, nom.div(where(validArr, u, 1)).square(), 1);
          return tauIndex.build({ tau: reshape(tau, [M * B]) });
        },
      },
    };
  },
};
