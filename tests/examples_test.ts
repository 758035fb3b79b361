/**
 * The examples run in CI: each is imported (its top-level code, or its exported `main` at the
 * small CI size with `--out` a temporary directory) with console output captured, and the
 * captured text is checked for the results the example claims.
 */
import assert from "node:assert/strict";

async function capture(run: () => unknown): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  try {
    await run();
  } finally {
    console.log = log;
  }
  return lines.join("\n");
}

const runExample = (path: string) => capture(() => import(path));

/** Runs `examples/<name>.ts`'s `main(["--out", tmp])`; returns the output and the directory. */
async function runMain(name: string): Promise<{ out: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: `zgrad_${name}_` });
  const mod = await import(`../examples/${name}.ts`);
  const out = await capture(() => mod.main(["--out", dir]));
  return { out, dir };
}

/** The two numbers of a printed `… a -> b`, after `label`. */
function arrow(out: string, label: RegExp): [number, number] {
  const m = out.match(new RegExp(label.source + String.raw`\s*([-\d.e]+) -> ([-\d.e]+)`));
  assert.ok(m, `no "${label.source} a -> b" in:\n${out}`);
  return [Number(m[1]), Number(m[2])];
}

async function assertFiles(dir: string, names: string[]): Promise<void> {
  for (const n of names) {
    const s = await Deno.stat(`${dir}/${n}`);
    assert.ok(s.isFile && s.size > 0, `${dir}/${n} missing or empty`);
  }
  await Deno.remove(dir, { recursive: true });
}

Deno.test("examples/autodiff_tour.ts runs and prints each part of the tour", async () => {
  const out = await runExample("../examples/autodiff_tour.ts");
  // ∇ Σ x sin x = sin x + x cos x at x = 1: 0.8414709848 + 0.5403023059 = 1.381773291.
  assert.match(out, /∇f\s+= \[\s*1\.381773291/);
  assert.match(out, /lambda/);
  assert.match(out, /traced 1 time\(s\)/);
  assert.match(out, /gradient clipped = 1\./);
  assert.match(out, /customRoot: x\*\(θ\) =/);
});

Deno.test("examples/discovery_classifier.ts: Z0 rises, the frozen analysis is ranked", async () => {
  const { out, dir } = await runMain("discovery_classifier");
  const [soft0, soft1] = arrow(out, /Z0 \(soft\)/);
  assert.ok(soft1 > soft0 + 0.3, `soft Z0 ${soft0} -> ${soft1}`);
  const hard = out.match(/Z0 ([\d.]+) before training -> ([\d.]+) after/);
  assert.ok(hard && Number(hard[2]) > Number(hard[1]), `hard-histogram Z0: ${hard?.[0]}`);
  assert.match(out, /Impacts on mu[^\n]*\n\s+(bkg_norm|mc_stat\[\d\])\s+impact [\d.]+/);
  assert.match(out, /bkg_norm\s+impact/);
  await assertFiles(dir, ["z0_vs_epoch.svg", "learned_histogram.svg", "trained_workspace.json"]);
});

Deno.test("examples/neos_summary_statistic.ts: inference-aware losses beat cross-entropy", async () => {
  const { out, dir } = await runMain("neos_summary_statistic");
  const limit = (method: string) => {
    const m = out.match(new RegExp(`^\\s+${method}\\s+([\\d.e-]+)\\s+([\\d.e-]+)$`, "m"));
    assert.ok(m, `no held-out row for ${method} in:\n${out}`);
    return Number(m[1]);
  };
  const bce = limit("bce");
  for (const loss of ["cls", "discovery", "poiUncertainty"]) {
    const [l0, l1] = arrow(out, new RegExp(`trained on ${loss}.*loss`));
    assert.ok(l1 < l0, `${loss}: loss ${l0} -> ${l1}`);
  }
  assert.ok(limit("cls") < bce, `cls-trained limit ${limit("cls")} vs bce ${bce}`);
  assert.match(out, /Best inference-aware loss: \w+, limit [\d.]+ vs [\d.]+ .*\(better\)/);
  await assertFiles(dir, ["training.svg", "templates_bce.svg", "templates_cls.svg"]);
});

Deno.test("examples/abcd_two_networks.ts: implicit gradient = finite differences, CLs falls", async () => {
  const { out, dir } = await runMain("abcd_two_networks");
  const g = out.match(
    /implicit ([-\d.e+]+), finite differences ([-\d.e+]+), relative difference ([\d.e+-]+)/,
  );
  assert.ok(g, out);
  assert.ok(Math.abs(Number(g[1])) > 1e-6, `gradient ${g[1]} is trivially small`);
  assert.ok(Number(g[3]) < 1e-4, `relative difference ${g[3]}`);
  const [c0, c1] = arrow(out, /CLs\(mu = 1\)/);
  assert.ok(c1 < 0.8 * c0, `CLs ${c0} -> ${c1}`);
  await assertFiles(dir, ["cls_vs_step.svg", "signal_region.svg"]);
});

Deno.test("examples/experiment_tracking.ts: one zgrad-cli/1 line per model", async () => {
  const { out, dir } = await runMain("experiment_tracking");
  const m = out.match(/Wrote (\d+) lines to (\S+) \(schema zgrad-cli\/1\)/);
  assert.ok(m, out);
  const lines = (await Deno.readTextFile(m[2])).trim().split("\n");
  assert.equal(lines.length, Number(m[1]));
  assert.equal(lines.length, 4, "CI sweep: 2 bandwidths × 2 binnings");
  const runs = new Set<string>();
  for (const line of lines) {
    const r = JSON.parse(line);
    for (
      const k of ["schema", "command", "workspace", "measurement", "poi", "settings", "metric"]
    ) {
      assert.ok(k in r, `missing ${k}`);
    }
    for (const k of ["uncertainty", "timing", "status", "provenance", "sweep"]) {
      assert.ok(k in r, `missing ${k}`);
    }
    assert.equal(r.schema, "zgrad-cli/1");
    assert.equal(r.command, "significance");
    assert.equal(r.status.converged, true);
    assert.ok(r.metric.z0_exp > 0.5, `z0_exp ${r.metric.z0_exp}`);
    assert.equal(r.metric.z0_exp_set.length, 5);
    runs.add(`${r.sweep.bandwidth}/${r.sweep.bins}`);
  }
  assert.equal(runs.size, 4, "every configuration once");
  await assertFiles(dir, ["sweep.svg", "metrics.jsonl"]);
});

Deno.test("examples/design_of_experiments.ts: hill climbing beats the random agent", async () => {
  const { out, dir } = await runMain("design_of_experiments");
  const rnd = out.match(/random agent:\s+final design ([\d.]+)/);
  const hill = out.match(/hill-climbing agent: final design ([\d.]+)/);
  const start = out.match(/starting design[^=]*= ([\d.]+)/);
  assert.ok(rnd && hill && start, out);
  assert.ok(Number(hill[1]) > Number(rnd[1]), `hill ${hill[1]} vs random ${rnd[1]}`);
  assert.ok(Number(hill[1]) > Number(start[1]), `hill ${hill[1]} vs start ${start[1]}`);
  assert.match(out, /Hill climbing beats random in [1-9]\d* of \d+ episodes/);
  await assertFiles(dir, ["rewards.svg", "design.svg"]);
});
