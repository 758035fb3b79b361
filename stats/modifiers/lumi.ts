/**
 * `lumi`: the luminosity, a factor λ on every sample that declares it, with a Gaussian constraint
 * whose central value (`auxdata`) and width (`sigmas`) come from the measurement config, as in
 * pyhf (e.g. `{"name": "lumi", "auxdata": [1.0], "sigmas": [0.017]}`). Without a config entry
 * giving both, building the model fails. `inits` defaults to the auxdata and `bounds` to
 * `[0, 10 × auxdata]`, pyhf's suggested range.
 *
 * @module
 */
import type { ModifierModule, ParamRequirement } from "./common.ts";
import { scalarFactor } from "./common.ts";

/**
 * The lumi module: one Gaussian-constrained scalar per name; rates × λ.
 *
 * @example
 * ```ts
 * import { lumi } from "./mod.ts";
 * console.log(lumi.type); // "lumi"
 * ```
 */
export const lumi: ModifierModule = {
  type: "lumi",
  requirements(uses) {
    const out = new Map<string, ParamRequirement>();
    for (const u of uses) {
      if (out.has(u.modifier.name)) continue;
      // null: no default, the measurement config must supply it (checked when parameters merge).
      out.set(u.modifier.name, {
        type: "lumi",
        path: u.path,
        kind: "normal",
        n: 1,
        isScalar: true,
        inits: null,
        bounds: null,
        fixed: [false],
        auxdata: null,
        sigmas: null,
      });
    }
    return out;
  },
  build: (uses, ctx) => scalarFactor("lumi", uses, ctx),
};
