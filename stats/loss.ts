/**
 * Ready-made differentiable losses for optimising an analysis through a profiled likelihood (the
 * neos / relaxed workflow, like NextStat's `SignificanceLoss`): each is a function from one
 * sample's nominal yields — e.g. a KDE histogram of a network's output — to a zgrad scalar, with
 * every nuisance parameter profiled by a real fit and the derivative taken implicitly (see
 * `implicit.ts`). Consecutive calls warm-start the fits from the previous call's best fit.
 *
 * @module
 */
import type { Array, ArrayLike } from "../core/mod.ts";
import { clsArray, type HypotestArraysOptions, type ProfileOptions, z0Array } from "./implicit.ts";
import type { Model } from "./model.ts";

/** Options of the losses: those of the fits (bounds, fixed parameters, tolerance, ...). */
export interface LossOptions extends Omit<ProfileOptions, "init" | "onFit"> {
  /** Start each call's fits at the previous call's best fit (default true). */
  warmStart?: boolean;
}

function check(model: Model, sampleName: string, what: string): number {
  if (!model.samples.includes(sampleName)) {
    throw new RangeError(
      `${what}: unknown sample ${JSON.stringify(sampleName)} (samples: ${
        model.samples.join(", ")
      })`,
    );
  }
  if (model.poiIndex === null) throw new Error(`${what}: the model has no parameter of interest`);
  return model.poiIndex;
}

/** Remembers the last free fit's best values, to warm-start the next call. */
function warmState(poi: number, on: boolean) {
  let last: number[] | undefined;
  return {
    get init() {
      return on ? last : undefined;
    },
    onFit: (r: { fixed: boolean[]; bestfit: number[]; converged: boolean }) => {
      if (on && r.converged && !r.fixed[poi]) last = r.bestfit;
    },
  };
}

/**
 * A loss for discovery optimisation: `yields ↦ −Z0`, the discovery significance with nuisance
 * parameters profiled, as a function of sample `sampleName`'s nominal yields (a `[n]` array over
 * the sample's bins in every channel containing it, sorted channel order; see
 * `Model.withNominals`).
 *
 * Data: by default the Asimov dataset of the model with those yields at μ = 1 and the nuisance
 * parameters at their nominal values (main and auxiliary data) — so −Z0 is minus the median
 * expected significance, which is what an analysis being designed maximises. Pass `data` (a full
 * data vector) to use fixed data instead, e.g. observed counts.
 *
 * @example
 * ```ts
 * import { grad } from "../mod.ts";
 * import { significanceLoss } from "./mod.ts";
 * const loss = significanceLoss(model, "signal");
 * const s0 = array([12, 11], "float64");
 * console.log(loss(s0).item(), grad(loss)(s0).tolist());
 * ```
 */
export function significanceLoss(
  model: Model,
  sampleName: string,
  data?: ArrayLike,
  opts: LossOptions = {},
): (yields: Array) => Array {
  check(model, sampleName, "significanceLoss");
  const poiName = model.poiName!;
  const { warmStart = true, ...fitOpts } = opts;
  const warm = warmState(model.poiIndex!, warmStart);
  return (yields: Array) => {
    const m = model.withNominals({ [sampleName]: yields });
    const d = data ?? m.expectedData(m.init({ [poiName]: 1 }));
    return z0Array(d, m, { ...fitOpts, init: warm.init, onFit: warm.onFit }).neg();
  };
}

/**
 * A loss for exclusion optimisation: `yields ↦ CLs` at POI = `mu` (q̃μ, asymptotic), as a
 * function of sample `sampleName`'s nominal yields (see {@link significanceLoss}).
 *
 * Data: by default the background-only Asimov dataset of the model with those yields (μ = 0,
 * nuisance parameters nominal), so the value is the median expected CLs (smaller is better). Pass
 * `data` to use fixed data instead.
 *
 * @example
 * ```ts
 * import { grad } from "../mod.ts";
 * import { clsLoss } from "./mod.ts";
 * const loss = clsLoss(model, "signal", 1.0);
 * grad(loss)(array([12, 11], "float64"));
 * ```
 */
export function clsLoss(
  model: Model,
  sampleName: string,
  mu: ArrayLike,
  data?: ArrayLike,
  opts: LossOptions & Pick<HypotestArraysOptions, "testStat"> = {},
): (yields: Array) => Array {
  check(model, sampleName, "clsLoss");
  const poiName = model.poiName!;
  const { warmStart = true, ...fitOpts } = opts;
  const warm = warmState(model.poiIndex!, warmStart);
  return (yields: Array) => {
    const m = model.withNominals({ [sampleName]: yields });
    const d = data ?? m.expectedData(m.init({ [poiName]: 0 }));
    return clsArray(mu, d, m, { ...fitOpts, init: warm.init, onFit: warm.onFit });
  };
}
