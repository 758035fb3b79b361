/**
 * The statistical analysis of a workspace with zgrad's stats layer: load it exactly as the
 * `zgrad` CLI does (`fromPyhf` after validation), fit it, run the CLs hypothesis test at
 * `statistics.muTest` with its expected band, the discovery significance Z0 and the upper limit
 * on μ, and compute pre- and post-fit yields per sample with their uncertainty bands (the
 * linearised propagation `σ_b² = J C Jᵀ` with J = ∂ν_b/∂θ by `jacfwd`; pre-fit C is diagonal in
 * the constraint widths, post-fit C is the fit's covariance).
 *
 * @module
 */
import { type Array, array, zeros } from "../core/mod.ts";
import { jacfwd } from "../ad/api.ts";
import {
  discoverySignificance,
  fit,
  type FitResult,
  fromPyhf,
  hypotest,
  type Model,
  prefitConstraints,
  upperLimit,
  validateWorkspace,
  type Workspace,
} from "../stats/mod.ts";
import type { Config } from "./config/schema.ts";

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
 * Per channel: yields per sample and the total with its uncertainty, per bin.
 *
 * @example
 * ```ts
 * import type { ChannelYields } from "./statistics.ts";
 * const total = (y: ChannelYields) => y.total.reduce((a, b) => a + b, 0);
 * ```
 */
export interface ChannelYields {
  /** Expected yields per sample. */
  samples: Record<string, number[]>;
  /** Their sum. */
  total: number[];
  /** Uncertainty of the total (1σ). */
  uncertainty: number[];
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
 * Expected main-data yields per channel and sample at `pars`: each sample alone (the other
 * samples' nominals and shape templates set to zero, so only its term of the sum remains), and
 * the total's uncertainty from the covariance `cov` (linearised).
 *
 * @example
 * ```ts
 * import { yieldsAt } from "./statistics.ts";
 * const y = yieldsAt(model, workspace, fitResult.bestfit, fitResult.covariance);
 * ```
 */
export function yieldsAt(
  model: Model,
  ws: Workspace,
  pars: readonly number[],
  cov: readonly (readonly number[])[],
): Record<string, ChannelYields> {
  const p = array(pars as number[], "float64");
  const bySample: Record<string, Record<string, number[]>> = {};
  for (const c of model.channels) bySample[c] = {};
  for (const s of model.samples) {
    const m = model.withSamples(onlySample(model, ws, s));
    const per = m.expectedByChannel(p);
    for (const c of model.channels) bySample[c][s] = Array_from(per[c]);
  }
  const total = model.expectedByChannel(p);
  const J = jacfwd((x: Array) => model.expectedMain(x))(p).dataSync(); // [B, P]
  const P = model.npars, B = model.nMain;
  const variance = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let v = 0;
    for (let i = 0; i < P; i++) {
      const ji = J[b * P + i];
      if (ji === 0) continue;
      for (let k = 0; k < P; k++) v += ji * cov[i][k] * J[b * P + k];
    }
    variance[b] = Math.max(0, v);
  }
  const out: Record<string, ChannelYields> = {};
  let offset = 0;
  for (const c of model.channels) {
    const nb = model.channelNbins[c];
    out[c] = {
      samples: bySample[c],
      total: Array_from(total[c]),
      uncertainty: Array_from(variance.subarray(offset, offset + nb)).map(Math.sqrt),
    };
    offset += nb;
  }
  return out;
}

function Array_from(a: Array | Float64Array): number[] {
  return globalThis.Array.from(a instanceof Float64Array ? a : a.dataSync());
}

/** A `withSamples` spec zeroing every sample but `keep` (nominals and histosys templates). */
function onlySample(
  model: Model,
  ws: Workspace,
  keep: string,
): Parameters<Model["withSamples"]>[0] {
  const spec: Parameters<Model["withSamples"]>[0] = {};
  for (const c of model.channels) {
    spec[c] = {};
    const nb = model.channelNbins[c];
    for (const s of model.samples) {
      if (s === keep) continue;
      const z = zeros([nb], "float64");
      const mods: Record<string, { hi_data: Array; lo_data: Array }> = {};
      for (const name of histosysKeys(ws, c, s)) mods[name] = { hi_data: z, lo_data: z };
      spec[c][s] = { data: z, modifiers: mods };
    }
  }
  return spec;
}

/** Keys of the histosys modifiers of a sample, as {@link Model.withSamples} expects them. */
function histosysKeys(ws: Workspace, channel: string, sample: string): string[] {
  const s = ws.channels.find((c) => c.name === channel)?.samples.find((x) => x.name === sample);
  if (!s) return [];
  return s.modifiers.filter((m) => m.type === "histosys").map((m) =>
    s.modifiers.filter((x) => x.name === m.name).length > 1 ? `histosys/${m.name}` : m.name
  );
}

/**
 * The pre-fit covariance: diagonal in the constraint widths (0 for unconstrained parameters,
 * which pre-fit plots show at their nominal value).
 *
 * @example
 * ```ts
 * import { prefitCovariance } from "./statistics.ts";
 * const C0 = prefitCovariance(model);
 * ```
 */
export function prefitCovariance(model: Model): number[][] {
  const widths = prefitConstraints(model).map((c) => (c ? c.width : 0));
  return widths.map((w, i) => widths.map((_, k) => (i === k ? w * w : 0)));
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
  const yields = time("yields_s", () => ({
    prefit: yieldsAt(model, ws, model.suggestedInit, prefitCovariance(model)),
    postfit: yieldsAt(model, ws, f.bestfit, f.covariance),
  }));
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
