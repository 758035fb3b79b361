/**
 * `normfactor`: a free (unconstrained) factor μ multiplying the sample in every bin it is declared
 * on. Default init 1, bounds [0, 10]. Shared by name across samples and channels.
 *
 * @module
 */
import type { ModifierModule } from "./common.ts";
import { scalarFactor, scalarRequirements } from "./common.ts";

/**
 * The normfactor module: one unconstrained parameter per name; rates × μ.
 *
 * @example
 * ```ts
 * import { normfactor } from "./mod.ts";
 * console.log(normfactor.type); // "normfactor"
 * ```
 */
export const normfactor: ModifierModule = {
  type: "normfactor",
  requirements: (uses) =>
    scalarRequirements(uses, {
      type: "normfactor",
      kind: "unconstrained",
      inits: [1],
      bounds: [[0, 10]],
      fixed: [false],
    }),
  build: (uses, ctx) => scalarFactor("normfactor", uses, ctx),
};
