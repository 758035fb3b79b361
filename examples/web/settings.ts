/**
 * The page's settings, shared by its modules without importing zgrad (the page's main thread only
 * draws; zgrad runs in its worker).
 *
 * @module
 */

/**
 * The cut thresholds: `met`, the missing transverse energy cut (GeV), and `btag`, the b-tag score
 * cut. (A type, not an interface: the optimiser takes it as a tree of per-parameter rates.)
 */
export type Cuts = { met: number; btag: number };

/** W1's starting point (`../shared/bench/W1.md`): θ = (50, 0.5). */
export const START: Cuts = { met: 50, btag: 0.5 };
/** Lower corner of the box the sliders and the optimiser keep the cuts in. */
export const LOWER: Cuts = { met: 0, btag: 0 };
/** Upper corner of the cut box. */
export const UPPER: Cuts = { met: 300, btag: 1 };
/** W1's KDE bandwidth (GeV), the slider's initial value. */
export const BANDWIDTH = 60;
/** The bandwidth slider's range (GeV). */
export const BANDWIDTH_RANGE: readonly [number, number] = [10, 300];
/** W1's number of events. */
export const EVENTS = 100_000;
/** W1's seed for `n` events (the benchmark's, `bench/w1_workload.ts`). */
export const defaultSeed = (n: number): number => 20240601 + n;
/**
 * Adam's step sizes: Adam moves each parameter by about its rate per step whatever the gradient's
 * scale, so the rates follow the cuts' ranges (GeV against a [0, 1] score).
 */
export const LEARNING_RATES: Cuts = { met: 4, btag: 0.02 };
