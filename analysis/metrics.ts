/**
 * `metrics.json` of the non-differentiable path and its printed summary.
 *
 * JSON document (`schema: "zgrad-analysis/1"`; unavailable numbers are `null`):
 * - `analysis` ("nondiff"), `workspace` (path), `plots` (paths);
 * - `yields[channel][process]`: selected `events` (unweighted) and `sumw` (nominal weights);
 *   `cutflow[process]`: `input`, `baseline`, and per channel;
 * - `fit`: `converged`, `twice_nll`, `bestfit` and `uncertainty` by parameter label;
 * - `hypotest`: `mu`, `cls_obs`, `clsb_obs`, `clb_obs`, `cls_exp` (5 values, pyhf's order);
 * - `significance`: `z0_obs`, `p0_obs`, `z0_exp`, `p0_exp`;
 * - `upper_limit`: `level`, `obs`, `exp` ([−2σ … +2σ]);
 * - `timings`: seconds per step and `total_s`; `status`: `converged`, `warnings`;
 * - `provenance`: `config_hash`, `git_commit`, `zgrad_version`, `runtime`, `interpolation`,
 *   `input_files` by process.
 *
 * @module
 */
import { num, table } from "../stats/cli/format.ts";
import type { Config } from "./config/schema.ts";
import type { ProcessHistograms } from "./histograms.ts";
import type { StatisticsResult } from "./statistics.ts";

/**
 * The metrics document (see the module doc).
 *
 * @example
 * ```ts
 * import type { Metrics } from "./metrics.ts";
 * const z0 = (m: Metrics) => m.significance?.z0_obs;
 * ```
 */
export interface Metrics {
  /** Format version. */
  schema: "zgrad-analysis/1";
  /** Which path produced it. */
  analysis: "nondiff";
  /** The workspace written. */
  workspace: string | null;
  /** Plot files written. */
  plots: string[];
  /** Selected events and Σw by channel and process. */
  yields: Record<string, Record<string, { events: number; sumw: number }>>;
  /** Events per process: input, after the baseline, per channel. */
  cutflow: Record<string, Record<string, number>>;
  /** The fit to data. */
  fit: {
    converged: boolean;
    twice_nll: number | null;
    bestfit: Record<string, number | null>;
    uncertainty: Record<string, number | null>;
  } | null;
  /** CLs at μ = mu. */
  hypotest: {
    mu: number;
    cls_obs: number | null;
    clsb_obs: number | null;
    clb_obs: number | null;
    cls_exp: (number | null)[];
  } | null;
  /** Discovery significance. */
  significance: {
    z0_obs: number | null;
    p0_obs: number | null;
    z0_exp: number | null;
    p0_exp: number | null;
  } | null;
  /** Upper limit on μ. */
  upper_limit: { level: number; obs: number | null; exp: (number | null)[] } | null;
  /** Seconds per step. */
  timings: Record<string, number>;
  /** Convergence and warnings. */
  status: { converged: boolean; warnings: string[] };
  /** Where the result came from. */
  provenance: {
    config_hash: string;
    git_commit: string | null;
    zgrad_version: string;
    runtime: string;
    interpolation: string;
    input_files: Record<string, string[]>;
  };
}

const n = (x: number | null | undefined): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : x;

/**
 * Assembles the metrics document.
 *
 * @example
 * ```ts
 * import { buildMetrics } from "./metrics.ts";
 * const m = buildMetrics({ cfg, hists, stats, workspace: "out/workspace.json", plots: [],
 *   timings: {}, warnings: [], provenance });
 * ```
 */
export function buildMetrics(a: {
  cfg: Config;
  hists: readonly ProcessHistograms[];
  stats: StatisticsResult | null;
  workspace: string | null;
  plots: string[];
  timings: Record<string, number>;
  warnings: string[];
  provenance: Metrics["provenance"];
}): Metrics {
  const yields: Metrics["yields"] = {};
  const cutflow: Metrics["cutflow"] = {};
  for (const h of a.hists) {
    cutflow[h.process] = { input: h.cutflow.input, baseline: h.cutflow.baseline };
    for (const [ch, y] of Object.entries(h.yields)) {
      (yields[ch] ??= {})[h.process] = { events: y.events, sumw: y.sumw };
      cutflow[h.process][ch] = y.events;
    }
  }
  const s = a.stats;
  const labels = s?.model.parLabels ?? [];
  return {
    schema: "zgrad-analysis/1",
    analysis: "nondiff",
    workspace: a.workspace,
    plots: a.plots,
    yields,
    cutflow,
    fit: s
      ? {
        converged: s.fit.converged,
        twice_nll: n(s.fit.twiceNll),
        bestfit: Object.fromEntries(labels.map((l, i) => [l, n(s.fit.bestfit[i])])),
        uncertainty: Object.fromEntries(labels.map((l, i) => [l, n(s.fit.uncertainties[i])])),
      }
      : null,
    hypotest: s
      ? {
        mu: s.hypotest.mu,
        cls_obs: n(s.hypotest.cls),
        clsb_obs: n(s.hypotest.clsb),
        clb_obs: n(s.hypotest.clb),
        cls_exp: s.hypotest.expected.map(n),
      }
      : null,
    significance: s
      ? {
        z0_obs: n(s.discovery.z0),
        p0_obs: n(s.discovery.p0),
        z0_exp: n(s.discovery.z0Expected),
        p0_exp: n(s.discovery.p0Expected),
      }
      : null,
    upper_limit: s
      ? { level: s.limit.level, obs: n(s.limit.obsLimit), exp: s.limit.expLimits.map(n) }
      : null,
    timings: a.timings,
    status: {
      converged: s ? s.converged : true,
      warnings: [...a.warnings, ...(s?.warnings ?? [])],
    },
    provenance: a.provenance,
  };
}

/**
 * The printed summary: yields per channel and process, then the statistical results.
 *
 * @example
 * ```ts
 * import { formatSummary } from "./metrics.ts";
 * console.log(formatSummary(metrics));
 * ```
 */
export function formatSummary(m: Metrics): string {
  const out: string[] = [];
  for (const [ch, byProc] of Object.entries(m.yields)) {
    out.push(`channel ${ch}: selected events`, "");
    const rows = Object.entries(byProc).map(([p, y]) => [p, String(y.events), num(y.sumw)]);
    out.push(table(["process", "events", "Σw"], rows), "");
  }
  if (m.fit && m.hypotest && m.significance && m.upper_limit) {
    const band = (v: (number | null)[]) => v.map(num).join(", ");
    const poi = Object.keys(m.fit.bestfit).find((k) => k === "mu") ?? "mu";
    out.push(table(["result", "observed", "expected"], [
      [`${poi} (best fit)`, `${num(m.fit.bestfit[poi])} ± ${num(m.fit.uncertainty[poi])}`, ""],
      ["Z0 (discovery)", num(m.significance.z0_obs), num(m.significance.z0_exp)],
      ["p0", num(m.significance.p0_obs), num(m.significance.p0_exp)],
      [`CLs (μ = ${m.hypotest.mu})`, num(m.hypotest.cls_obs), num(m.hypotest.cls_exp[2])],
      [
        `${(100 * (1 - m.upper_limit.level)).toFixed(0)}% CL limit on μ`,
        num(m.upper_limit.obs),
        num(m.upper_limit.exp[2]),
      ],
    ]));
    out.push(
      "",
      `expected CLs band [-2σ … +2σ]: ${band(m.hypotest.cls_exp)}`,
      `expected limit band [-2σ … +2σ]: ${band(m.upper_limit.exp)}`,
      `fit ${m.fit.converged ? "converged" : "NOT CONVERGED"}, -2 log L = ${num(m.fit.twice_nll)}`,
    );
  } else {
    out.push("statistics not run (general.runStatistics = false)");
  }
  if (m.workspace) out.push(`workspace: ${m.workspace}`);
  for (const w of m.status.warnings) out.push(`warning: ${w}`);
  return out.join("\n");
}
