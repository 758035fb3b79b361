/**
 * Differentiable-analysis benchmark (issue 12): wall time of one optimisation step — value and
 * gradient of the whole chain (soft cuts, MLP, KDE histograms of 3 samples × (nominal, 2 object
 * variations, 2 weight variations, Σw²), the HistFactory model with systematics, two profiled
 * fits and their implicit gradients) plus the Adam update — against the number of events, jit on
 * the CPU vs WebGPU. Synthetic events (`analysis/diff/synthetic.ts`), float32 columns, 14 bins.
 *
 * Per size and device: the first step (tracing, compiling, uploading the columns) and the median
 * / min of the following `--steps` steps. Targets (issue 12, 2-core machine): 1e6 events
 * ≤ 1.5 s on the CPU, ≤ 0.5 s on WebGPU.
 *
 * Run: `MESA_SHADER_CACHE_DISABLE=true deno run --allow-read --allow-env bench/diff_step_bench.ts
 * [--sizes=1e4,1e5,1e6] [--devices=cpu,webgpu] [--steps=3] [--precision=exact|fast]` (precision of
 * the CPU programs; default jit's, `fast`).
 *
 * @module
 */
import { initDevice } from "../mod.ts";
import { prepareInputs } from "../analysis/diff/inputs.ts";
import { optimise } from "../analysis/diff/optimise.ts";
import { syntheticEvents } from "../analysis/diff/synthetic.ts";
import { mlp } from "../nn/mlp.ts";

const argv = new Map(
  Deno.args.map((a) => a.replace(/^--/, "").split("=")).map(([k, v]) => [k, v ?? "1"]),
);
const sizes = (argv.get("sizes") ?? "1e4,1e5,1e6").split(",").map(Number);
const devices = (argv.get("devices") ?? "cpu,webgpu").split(",") as ("cpu" | "webgpu")[];
const STEPS = Number(argv.get("steps") ?? 3);
/** Precision of the CPU programs (default: jit's, `fast`). */
const PRECISION = argv.get("precision") as "exact" | "fast" | undefined;
const PROCESSES = 5;

const gpu = devices.includes("webgpu") ? await initDevice("webgpu") : null;
if (devices.includes("webgpu") && !gpu) {
  console.warn("diff_step_bench: no WebGPU adapter; CPU only");
}

const edges = Array.from({ length: 15 }, (_, i) => 200 + i * 200);
const net = mlp([3, 16, 16, 1], { activation: "tanh", seed: 42 });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log("events    device  first step   median step   min step   Z0");
for (const n of sizes) {
  const inputs = prepareInputs(
    syntheticEvents({ nPerProcess: Math.round(n / PROCESSES), seed: 1 }),
    {
      channels: [{ name: "zprime", observable: "mtt", edges }],
      systematics: [
        { name: "jes", kind: "observable" },
        { name: "btagSF", kind: "weight" },
        { name: "wjets_xsec", kind: "norm", hi: 1.1, lo: 0.9, samples: ["wjets"] },
      ],
    },
  );
  for (const device of devices) {
    if (device === "webgpu" && !gpu) continue;
    const r = await optimise(inputs, { apply: net.apply, params: net.params }, {
      iterations: STEPS + 1,
      device,
      precision: PRECISION,
    });
    const steps = r.history.slice(1, STEPS + 1).map((h) => h.stepMs);
    console.log(
      `${n.toExponential(0).padEnd(9)} ${device.padEnd(7)} ${
        r.history[0].stepMs.toFixed(0).padStart(8)
      } ms` +
        `  ${median(steps).toFixed(0).padStart(8)} ms  ${
          Math.min(...steps).toFixed(0).padStart(7)
        } ms` +
        `   ${r.initialZ0.toFixed(4)}`,
    );
  }
}
