/**
 * Example 4 — experiment tracking: a sweep over KDE bandwidths and binnings of example 1's
 * classifier (the MLflow / Weights & Biases habit of one metrics record per trained model).
 *
 * Each configuration trains the classifier on −Z0 (`trainDiscovery` from
 * `discovery_classifier.ts`), freezes the analysis as a pyhf workspace (hard histograms, MC-stat
 * staterror) under `models/`, and evaluates it with zgrad's own command line, `zgrad
 * significance WORKSPACE --json`, run in-process (`main` of `cli.ts`). Its JSON document — the
 * CLI's `zgrad-cli/1` schema (docs/stats.md, "The JSON document") — gets one extra key, `sweep`
 * (the configuration and the training's own numbers), and is appended as one line to
 * `metrics.jsonl`. Any JSON-lines reader (pandas `read_json(lines=True)`, `jq -s`) can then
 * compare the runs; `sweep.svg` plots the expected Z0 against the bandwidth per binning.
 *
 * Run: `deno run -A examples/experiment_tracking.ts [--full] [--out DIR]`
 * (CI size: 2 bandwidths × 2 binnings, 100 + 300 events, 6 epochs; `--full`: 5 × 3, 500 + 2000
 * events, 100 epochs).
 *
 * @module
 */
import { main as zgradCli } from "../cli.ts";
import { linePlot, writePlot } from "../plots/mod.ts";
import { fmt, parseArgs } from "./_common.ts";
import { trainDiscovery } from "./discovery_classifier.ts";

/** One line of `metrics.jsonl`: the CLI's JSON document plus the sweep's own block. */
export interface SweepRecord {
  /** Always "zgrad-cli/1". */
  schema: string;
  /** "significance". */
  command: string;
  /** The frozen model's workspace file. */
  workspace: string;
  /** The CLI's results: `z0_exp`, `z0_obs`, `q0`, ... */
  metric: Record<string, unknown>;
  /** Convergence of the CLI's fits. */
  status: { converged: boolean; warnings: string[] };
  /** The configuration and the training's numbers. */
  sweep: {
    run: string;
    bandwidth: number;
    bins: number;
    epochs: number;
    z0_soft_initial: number;
    z0_soft_final: number;
    train_s: number;
  };
}

/** Runs `zgrad significance <workspace> --json` in-process and returns its document. */
async function cliSignificance(path: string): Promise<Omit<SweepRecord, "sweep">> {
  const out: string[] = [], err: string[] = [];
  const code = await zgradCli(["significance", path, "--json"], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  });
  if (code !== 0) throw new Error(`zgrad significance ${path}: exit ${code}: ${err.join(" ")}`);
  return JSON.parse(out.join("\n"));
}

/**
 * Runs the sweep, writes `metrics.jsonl`, `models/*.json` and `sweep.svg`.
 *
 * @example
 * ```ts
 * const records = await main(["--out", "/tmp/sweep"]);
 * console.log(records.length, records[0].metric.z0_exp);
 * ```
 */
export async function main(argv: readonly string[] = []): Promise<SweepRecord[]> {
  const args = parseArgs("experiment_tracking", argv);
  const bandwidths = args.full ? [0.01, 0.02, 0.05, 0.1, 0.2] : [0.02, 0.1];
  const binnings = args.full ? [5, 10, 20] : [5, 10];
  const [nSig, nBkg, epochs] = args.full ? [500, 2000, 100] : [100, 300, 6];
  await Deno.mkdir(`${args.out}/models`, { recursive: true });
  const metricsPath = `${args.out}/metrics.jsonl`;
  await Deno.writeTextFile(metricsPath, "");

  const records: SweepRecord[] = [];
  console.log("  run              bandwidth  bins   Z0 soft (final)   Z0 expected (CLI, hard)");
  for (const bins of binnings) {
    for (const bandwidth of bandwidths) {
      const run = `bw${bandwidth}_bins${bins}`;
      const t0 = performance.now();
      const t = trainDiscovery({ nSig, nBkg, epochs, bins, bandwidth });
      const trainS = (performance.now() - t0) / 1000;
      const path = `${args.out}/models/${run}.json`;
      await Deno.writeTextFile(path, JSON.stringify(t.workspace));
      const record: SweepRecord = {
        ...(await cliSignificance(path)),
        sweep: {
          run,
          bandwidth,
          bins,
          epochs,
          z0_soft_initial: t.z0[0],
          z0_soft_final: t.z0.at(-1)!,
          train_s: trainS,
        },
      };
      await Deno.writeTextFile(metricsPath, JSON.stringify(record) + "\n", { append: true });
      records.push(record);
      console.log(
        `  ${run.padEnd(16)} ${String(bandwidth).padStart(9)}  ${String(bins).padStart(4)}   ${
          fmt(t.z0.at(-1)!).padStart(15)
        }   ${fmt(record.metric.z0_exp as number).padStart(23)}`,
      );
    }
  }
  const best = records.reduce((a, b) =>
    (b.metric.z0_exp as number) > (a.metric.z0_exp as number) ? b : a
  );
  console.log(
    `Wrote ${records.length} lines to ${metricsPath} (schema ${
      records[0].schema
    }); best: ${best.sweep.run}, Z0 expected ${fmt(best.metric.z0_exp as number)}`,
  );
  await writePlot(
    `${args.out}/sweep.svg`,
    linePlot({
      series: binnings.map((bins) => {
        const rs = records.filter((r) => r.sweep.bins === bins);
        return {
          name: `${bins} bins`,
          x: rs.map((r) => r.sweep.bandwidth),
          y: rs.map((r) => r.metric.z0_exp as number),
        };
      }),
      title: "Sweep: median expected Z0 of the frozen analysis",
      xLabel: "KDE bandwidth",
      yLabel: "Z0 expected",
    }),
  );
  console.log(`Wrote ${args.out}/sweep.svg`);
  return records;
}

if (import.meta.main) await main(Deno.args);
