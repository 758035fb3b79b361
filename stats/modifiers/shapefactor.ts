/**
 * `shapefactor`: one free factor per bin. The parameter has as many components as the bins of the
 * channel where it first appears; used in several channels, bin j of each channel shares
 * component j (pyhf's coupling), so those channels may not have more bins than the parameter.
 * Default inits 1, bounds [0, 10].
 *
 * @module
 */
import {
  ModelDefinitionError,
  type ModifierModule,
  type ParamRequirement,
  perBinFactor,
  type PerBinSpec,
  product0,
} from "./common.ts";

/**
 * The shapefactor module: unconstrained per-bin factors γ_b; rates × γ_b.
 *
 * @example
 * ```ts
 * import { shapefactor } from "./mod.ts";
 * console.log(shapefactor.type); // "shapefactor"
 * ```
 */
export const shapefactor: ModifierModule = {
  type: "shapefactor",
  requirements(uses) {
    const out = new Map<string, ParamRequirement>();
    for (const u of uses) {
      if (out.has(u.modifier.name)) continue;
      out.set(u.modifier.name, {
        type: "shapefactor",
        path: u.path,
        kind: "unconstrained",
        n: u.nbins,
        isScalar: false,
        inits: new globalThis.Array(u.nbins).fill(1),
        bounds: new globalThis.Array(u.nbins).fill([0, 10]),
        fixed: new globalThis.Array(u.nbins).fill(false),
      });
    }
    return out;
  },
  build(uses, ctx) {
    if (uses.length === 0) return null;
    const S = ctx.layout.samples.length, B = ctx.layout.nbins;
    const specs = new Map<string, PerBinSpec>();
    for (const u of uses) {
      const p = ctx.params.get(u.modifier.name)!;
      if (u.nbins > p.n) {
        throw new ModelDefinitionError(
          u.path,
          `shapefactor ${JSON.stringify(u.modifier.name)} has ${p.n} components (the bins of the ` +
            `channel where it first appears) but channel ${
              JSON.stringify(u.channel)
            } has ${u.nbins} bins`,
        );
      }
      let spec = specs.get(u.modifier.name);
      if (!spec) {
        spec = { paramOfBin: new Int32Array(B).fill(-1), sampleMask: new Uint8Array(S * B) };
        specs.set(u.modifier.name, spec);
      }
      for (let j = 0; j < u.nbins; j++) {
        spec.paramOfBin[u.offset + j] = p.start + j;
        spec.sampleMask[u.sampleIndex * B + u.offset + j] = 1;
      }
    }
    const factor = perBinFactor([...specs.values()], ctx.layout);
    return {
      type: "shapefactor",
      op: "multiplication",
      names: [...specs.keys()],
      inputs: {},
      apply: (pars) => product0(factor.terms(pars)),
      terms: factor.terms,
      termParams: factor.termParams,
    };
  },
};
