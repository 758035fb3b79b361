/**
 * `normfactor`: a free (unconstrained) factor μ multiplying the sample in every bin it is declared
 * on. Default init 1, bounds [0, 10]. Shared by name across samples and channels.
 *
 * @module
 */
import type { ModifierModule, ParamRequirement } from "./common.ts";
import { scalarFactor } from "./common.ts";

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
  requirements(uses) {
    const out = new Map<string, ParamRequirement>();
    for (const u of uses) {
      if (out.has(u.modifier.name)) continue;
      out.set(u.modifier.name, {
        type: "normfactor",
        path: u.path,
        kind: "unconstrained",
        n: 1,
        isScalar: true,
        inits: [1],
        bounds: [[0, 10]],
        fixed: [false],
      });
    }
    return out;
  },
  build: (uses, ctx) => scalarFactor("normfactor", uses, ctx),
};
