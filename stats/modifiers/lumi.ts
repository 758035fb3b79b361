/**
 * `lumi`: the luminosity, a factor λ on every sample that declares it, with a Gaussian constraint
 * whose central value (`auxdata`) and width (`sigmas`) come from the measurement config, as in
 * pyhf (e.g. `{"name": "lumi", "auxdata": [1.0], "sigmas": [0.017]}`). Without a config entry
 * giving both, building the model fails. `inits` defaults to the auxdata and `bounds` to
 * `[0, 10 × auxdata]`, pyhf's suggested range.
 *
 * @module
 */
import type { ModifierModule } from "./common.ts";
import { scalarFactor, scalarRequirements } from "./common.ts";

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
  // null: no default, the measurement config must supply it (checked when parameters merge).
  requirements: (uses) =>
    scalarRequirements(uses, {
      type: "lumi",
      kind: "normal",
      inits: null,
      bounds: null,
      fixed: [false],
      auxdata: null,
      sigmas: null,
    }),
  build: (uses, ctx) => scalarFactor("lumi", uses, ctx),
};
