/**
 * The HistFactory modifier modules, one per type, keyed in the order pyhf builds their parameters
 * (which fixes the parameter order of a model).
 *
 * @module
 */
import type { ModifierType } from "../workspace.ts";
import type { ModifierModule } from "./common.ts";
import { histosys } from "./histosys.ts";
import { lumi } from "./lumi.ts";
import { normfactor } from "./normfactor.ts";
import { normsys } from "./normsys.ts";
import { shapefactor } from "./shapefactor.ts";
import { shapesys } from "./shapesys.ts";
import { staterror } from "./staterror.ts";

export * from "./common.ts";
export { histosys } from "./histosys.ts";
export * from "./interp.ts";
export { lumi } from "./lumi.ts";
export { normfactor } from "./normfactor.ts";
export { normsys } from "./normsys.ts";
export { shapefactor } from "./shapefactor.ts";
export { shapesys, shapesysFactors } from "./shapesys.ts";
export { staterror } from "./staterror.ts";

/**
 * Every modifier module by type, in pyhf's order (histosys, lumi, normfactor, normsys,
 * shapefactor, shapesys, staterror).
 *
 * @example
 * ```ts
 * import { MODIFIERS } from "./mod.ts";
 * console.log(Object.keys(MODIFIERS)[0]); // "histosys"
 * ```
 */
export const MODIFIERS: Readonly<Record<ModifierType, ModifierModule>> = {
  histosys,
  lumi,
  normfactor,
  normsys,
  shapefactor,
  shapesys,
  staterror,
};
