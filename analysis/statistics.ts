/**
 * The statistical analysis of a workspace with zgrad's stats layer: load it exactly as the
 * `zgrad` CLI does (`fromPyhf` after validation), fit it, run the CLs hypothesis test at
 * `statistics.muTest` with its expected band, the discovery significance Z0 and the upper limit
 * on μ, and compute pre- and post-fit yields per sample with their uncertainty bands
 * (`prePostFitYields` of `stats/yields.ts`, shared with `zgrad fit --plot`).
 *
 * @module
 */
import {
  type ChannelYields,
  discoverySignificance,
  fit,
  type FitResult,
  fromPyhf,
  hypotest,
  type Model,
  prePostFitYields,
  upperLimit,
  validateWorkspace,
  type Workspace,
} from "../stats/mod.ts";
import type { Config } from "./config/schema.ts";

export type { ChannelYields } from "../stats/mod.ts";

/**
 * The interpolation codes of `statistics.interpolation` (the `zgrad --interp` presets).
 *
 * @example
 * ```ts
 * import { INTERPOLATION } from "./statistics.ts";
 * INTERPOLATION.pyhf; // { normsys: { interpcode: "code4" }, histosys: { interpcode: "code4p" } }
 * ```
 */
export const INTERPOLATION = {
  pyhf: { normsys: { interpcode: "code4" }, histosys: { interpcode: "code4p" } },
  root: { normsys: { interpcode: "code1" }, histosys: { interpcode: "code0" } },
} as const;

/**
 * Validates a workspace and builds its model (as `deno task zgrad` does).
 *
 * @example
 * ```ts
 * import { loadWorkspaceModel } from "./statistics.ts";
 * const model = loadWorkspaceModel(workspace, cfg.statistics);
 * ```
 */
export function loadWorkspaceModel(
  ws: unknown,
  st: Pick<Config["statistics"], "measurement" | "interpolation">,
): Model {
  return fromPyhf(validateWorkspace(ws), {
    measurement: st.measurement,
    modifierSettings: INTERPOLATION[st.interpolation],
  });
}

/**
 * Everything the statistics step produces.
 *
 * @example
 * ```ts
 * import { runStatistics } from "./statistics.ts";
 * const s = runStatistics(workspace, cfg);
 * console.log(s.discovery.z0, s.hypotest.cls, s.limit.obsLimit);
 * ```
 */
export interface StatisticsResult {
  /** The model. */
  model: Model;
  /** The maximum-likelihood fit to the data. */
  fit: FitResult;
  /** CLs at μ = `muTest` (observed, tails, expected band in pyhf's order). */
  hypotest: { mu: number; cls: number; clsb: number; clb: number; expected: number[] };
  /** Discovery significance. */
  discovery: { z0: number; p0: number; z0Expected: number; p0Expected: number };
  /** Upper limit on μ at `clsLevel` (observed and [−2σ … +2σ] expected). */
  limit: { level: number; obsLimit: number; expLimits: number[] };
  /** Pre-fit (at the suggested initial values) and post-fit yields per channel. */
  yields: { prefit: Record<string, ChannelYields>; postfit: Record<string, ChannelYields> };
  /** Whether every fit converged, and the warnings. */
  converged: boolean;
  /** Warnings of the fits and the model. */
  warnings: string[];
  /** Seconds per step. */
  timings: Record<string, number>;
}

/**
 * Fit, hypothesis test, discovery significance, upper limit and yields of a workspace.
 *
 * @example
 * ```ts
 * import { runStatistics } from "./statistics.ts";
 * const r = runStatistics(workspace, cfg);
 * ```
 */
export function runStatistics(ws: Workspace, cfg: Config): StatisticsResult {
  const st = cfg.statistics;
  const timings: Record<string, number> = {};
  const time = <T>(k: string, f: () => T): T => {
    const t0 = performance.now();
    const r = f();
    timings[k] = (performance.now() - t0) / 1000;
    return r;
  };
  const model = time("load_s", () => loadWorkspaceModel(ws, st));
  const data = model.observed;
  const f = time("fit_s", () => fit(data, model));
  const h = time("hypotest_s", () =>
    hypotest(st.muTest, data, model, {
      testStat: st.testStat,
      returnTail: true,
      returnExpectedSet: true,
    }));
  const d = time("significance_s", () => discoverySignificance(data, model));
  const ul = time(
    "upper_limit_s",
    () => upperLimit(data, model, { level: st.clsLevel, testStat: st.testStat }),
  );
  const yields = time("yields_s", () => {
    const y = prePostFitYields(model, f);
    return { prefit: y.prefit, postfit: y.postfit };
  });
  return {
    model,
    fit: f,
    hypotest: {
      mu: st.muTest,
      cls: h.cls,
      clsb: h.clsb!,
      clb: h.clb!,
      expected: h.clsExpectedSet!,
    },
    discovery: { z0: d.z0, p0: d.p0, z0Expected: d.z0Expected, p0Expected: d.p0Expected },
    limit: { level: st.clsLevel, obsLimit: ul.obsLimit, expLimits: ul.expLimits },
    yields,
    converged: f.converged && h.converged && d.converged && ul.converged,
    warnings: [...model.warnings, ...f.warnings, ...h.warnings, ...d.warnings, ...ul.warnings],
    timings,
  };
}
