/**
 * The CLI's report: the stable JSON document of one run ({@link Report}, printed by `--json`) and
 * its rendering as tables ({@link formatReport}).
 *
 * JSON document (`schema: "zgrad-cli/1"`; numbers that are not available are `null`):
 * - `command`, `workspace`, `measurement`, `poi`, `settings` (interpolation codes, `mu`,
 *   `test_stat`, `level` where they apply; hypotest and upper-limit also `calctype`, `ntoys`,
 *   `seed`, the last two null without toys);
 * - `metric`: the command's results (see each command in docs/stats.md); 5-value expected bands
 *   (`cls_exp`, `exp_limits`, `z0_exp_set`, `p0_exp_set`) are in pyhf's order, b-only
 *   test-statistic shifts [2, 1, 0, −1, −2] σ (CLs, limits and p0 ascend, Z0 descends);
 * - `uncertainty`: their uncertainties where defined (fit: per parameter; ranking: σ̂ and σ₀);
 * - `timing`: `load_s` (read, validate, build the model), `compute_s`, `total_s`;
 * - `status`: `converged` (every fit involved met its criterion) and `warnings`;
 * - `plots`: the SVG files written with `--plot DIR` (else empty);
 * - `provenance`: `zgrad_version`, `git_commit` (or null), `device` "cpu", `dtype` "float64",
 *   `runtime`.
 *
 * @module
 */
import type { Command } from "./args.ts";
import { num, table } from "./format.ts";
import type { Provenance } from "./provenance.ts";

/**
 * The stable JSON document of one CLI run (see the module doc).
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * import { runCommand } from "./commands.ts";
 * const r = await runCommand(parseArgs(["hypotest", "ws.json"]));
 * console.log(r.metric.cls_obs, r.status.converged, r.provenance.git_commit);
 * ```
 */
export interface Report {
  /** Format version of this document. */
  schema: "zgrad-cli/1";
  /** The command run. */
  command: Command;
  /** The workspace path as given. */
  workspace: string;
  /** The measurement used. */
  measurement: string;
  /** The parameter of interest (null if the measurement has none). */
  poi: string | null;
  /** Settings the result depends on. */
  settings: {
    /** Interpolation codes used. */
    interpolation: { normsys: string; histosys: string };
    /** POI value (hypotest; fit with a fixed POI), else null. */
    mu: number | null;
    /** Test statistic (hypotest, upper-limit, significance), else null. */
    test_stat: string | null;
    /** CLs level (upper-limit), else null. */
    level: number | null;
    /** hypotest, upper-limit: `asymptotics` or `toybased` (absent for other commands). */
    calctype?: "asymptotics" | "toybased";
    /** hypotest, upper-limit: toys per hypothesis (toybased), else null. */
    ntoys?: number | null;
    /** hypotest, upper-limit: seed of the toys (toybased), else null. */
    seed?: number | null;
  };
  /** The results. */
  metric: Record<string, unknown>;
  /** Their uncertainties, where defined. */
  uncertainty: Record<string, unknown>;
  /** Wall-clock seconds. */
  timing: { load_s: number; compute_s: number; total_s: number };
  /** Convergence and warnings. */
  status: { converged: boolean; warnings: string[] };
  /** SVG files written with `--plot DIR` (empty without). */
  plots: string[];
  /** Version, commit, device, dtype. */
  provenance: Provenance;
}

/** How the CLs values were computed, for table headers. */
function calcLabel(s: Report["settings"]): string {
  return s.calctype === "toybased"
    ? `${s.ntoys} toys per hypothesis, seed ${s.seed}`
    : "asymptotics";
}

// deno-lint-ignore no-explicit-any
type Json = any;

/**
 * A 5-value expected band as a table, in pyhf's order (b-only test-statistic shifts
 * [2, 1, 0, −1, −2]): labelled −2σ … +2σ for CLs and limits (ascending), +2σ … −2σ for Z0.
 */
function bandTable(what: string, v: readonly (number | null)[], descending = false): string {
  const names = ["-2σ", "-1σ", "median", "+1σ", "+2σ"];
  if (descending) names.reverse();
  return table([what, ...names], [["", ...v.map(num)]]).split("\n").map((l) => l.trimEnd())
    .join("\n");
}

/**
 * The human-readable rendering of a report: a header line, the command's table(s), and a status
 * line (warnings included).
 *
 * @example
 * ```ts
 * import { runCommand } from "./commands.ts";
 * import { formatReport } from "./report.ts";
 * import { parseArgs } from "./args.ts";
 * console.log(formatReport(await runCommand(parseArgs(["fit", "workspace.json"]))));
 * ```
 */
export function formatReport(r: Report): string {
  const interp =
    `normsys ${r.settings.interpolation.normsys}, histosys ${r.settings.interpolation.histosys}`;
  const out = [
    `zgrad ${r.command}: ${r.workspace} (measurement ${JSON.stringify(r.measurement)}, POI ${
      r.poi === null ? "none" : JSON.stringify(r.poi)
    }, ${interp})`,
    "",
    ...BODY[r.command](r, r.metric, r.uncertainty),
    `${r.status.converged ? "converged" : "NOT CONVERGED"} in ${r.timing.total_s.toFixed(3)} s ` +
    `(load ${r.timing.load_s.toFixed(3)} s, compute ${r.timing.compute_s.toFixed(3)} s); ` +
    `zgrad ${r.provenance.zgrad_version}${
      r.provenance.git_commit ? ` @ ${r.provenance.git_commit.slice(0, 12)}` : ""
    }, ${r.provenance.device}, ${r.provenance.dtype}`,
  ];
  if (r.plots.length) out.push(`plots: ${r.plots.join(", ")}`);
  for (const w of r.status.warnings) out.push(`warning: ${w}`);
  return out.join("\n");
}

/** The lines of each command's results (between the header and the status line). */
const BODY: Record<Command, (r: Report, m: Json, u: Json) => string[]> = {
  fit: (r, m, u) => {
    const out: string[] = [];
    if (r.settings.mu !== null) out.push(`POI fixed at ${r.poi} = ${r.settings.mu}`, "");
    const labels = Object.keys(m.bestfit);
    out.push(
      table(
        ["parameter", "best fit", "uncertainty"],
        labels.map((l) => [l, num(m.bestfit[l]), num(u.bestfit[l])]),
      ),
      "",
      `-2 log L = ${num(m.twice_nll)}   (${m.iterations} iterations, EDM ${num(m.edm)}, ` +
        `started from ${m.start})`,
    );
    if (m.at_kink.length) out.push(`at an interpolation kink: ${m.at_kink.join(", ")}`);
    if (m.minima) {
      out.push(
        `minima found (--restarts): ${
          m.minima.map((x: Json) => `${num(x.twice_nll)} from ${x.start}`).join("; ")
        }`,
      );
    }
    return out;
  },
  ranking: (r, m, u) => [
    `${r.poi} = ${num(m.poi_hat)} ± ${num(u.poi)}`,
    `up/down: Δ${r.poi} with the parameter fixed at θ̂ ± σ (post: σ̂, pre: σ₀); sorted by ` +
    `impact = (|post up| + |post down|)/2, largest first`,
    "",
    table(
      ["parameter", "impact", "post up", "post down", "pre up", "pre down", "pull", "constraint"],
      m.impacts.map((i: Json) => [
        i.label,
        num(i.impact),
        num(i.postfit_up),
        num(i.postfit_down),
        num(i.prefit_up),
        num(i.prefit_down),
        num(i.pull),
        num(i.constraint),
      ]),
    ),
    "",
    `${m.refits} refits`,
  ],
  hypotest: (r, m) => [
    `CLs for ${r.poi} = ${r.settings.mu} (test statistic ${r.settings.test_stat}, ${
      calcLabel(r.settings)
    })`,
    "",
    table(["", "observed"], [
      ["CLs", num(m.cls_obs)],
      ["CLsb", num(m.clsb_obs)],
      ["CLb", num(m.clb_obs)],
      ["q", num(m.q_obs)],
      ["q (Asimov)", num(m.q_asimov)],
    ]),
    "",
    bandTable("expected CLs", m.cls_exp),
  ],
  "upper-limit": (r, m) => {
    const s = r.settings;
    const how = m.scan
      ? `CLs interpolated on a scan of ${m.scan.length} values from ${num(m.scan[0])} to ${
        num(m.scan[m.scan.length - 1])
      }`
      : `root finding${
        m.bracket ? ` from the bracket [${num(m.bracket[0])}, ${num(m.bracket[1])}]` : ""
      }`;
    return [
      `${(100 * (1 - s.level!)).toFixed(1)}% CL upper limit on ${r.poi} (CLs = ${s.level}, ` +
      `test statistic ${s.test_stat}, ${calcLabel(s)})`,
      "",
      `observed: ${num(m.obs_limit)}`,
      "",
      bandTable("expected limit", m.exp_limits),
      "",
      `${m.hypotests} hypothesis tests (${how}; the CLs curve is in --json)`,
    ];
  },
  significance: (_r, m) => [
    `discovery significance (q0, asymptotics)`,
    "",
    table(["", "Z0", "p0"], [
      ["observed", num(m.z0_obs), num(m.p0_obs)],
      ["expected", num(m.z0_exp), num(m.p0_exp)],
    ]),
    "",
    `q0 = ${num(m.q0)}`,
    "",
    bandTable("expected Z0", m.z0_exp_set, true),
  ],
};
