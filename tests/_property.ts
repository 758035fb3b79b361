/**
 * Parameters of the fast-check properties: pinned seeds in CI (a run is reproducible and a red CI
 * is a real regression), a fresh random seed on a developer's machine (new cases every run;
 * fast-check prints the seed and path of a failure). `ZGRAD_FC_SEED=<seed>` replays one.
 *
 * @module
 */

/** The seed CI runs with. */
export const CI_SEED = 20240611;

/**
 * `fc.assert` parameters for `numRuns` runs.
 *
 * @example
 * ```ts ignore
 * fc.assert(fc.property(fc.integer(), (n) => n === n), propertyParams(100));
 * ```
 */
export function propertyParams(numRuns: number): { numRuns: number; seed?: number } {
  const pinned = Deno.env.get("ZGRAD_FC_SEED");
  if (pinned !== undefined) return { numRuns, seed: Number(pinned) };
  return Deno.env.get("CI") ? { numRuns, seed: CI_SEED } : { numRuns };
}
