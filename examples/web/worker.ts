/**
 * The page's worker: generates W1's events with zgrad's `random`, evaluates Z and its gradient on
 * request and runs Adam (see `model.ts`); bundled to `dist/web/worker.js`, which imports zgrad
 * from `dist/zgrad.js`.
 *
 * @module
 */
import { cpuPoolStats, initDevice } from "../../mod.ts";
import { EDGES } from "../../bench/w1_workload.ts";
import { AdamClimb, W1Model } from "./model.ts";
import type { DeviceChoice, FromWorker, ThreadsInfo, ToWorker } from "./protocol.ts";

/**
 * The worker's global scope, as far as this file uses it (Deno's type library describes a
 * window, not a worker).
 */
interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

let model: W1Model | null = null;
/** The running optimisation's id; a `stop` or a new request clears it. */
let optimising: number | null = null;

function threads(): ThreadsInfo {
  const t = cpuPoolStats();
  return { configured: t.configured, running: t.running, unavailable: t.unavailable };
}

/** A macrotask: lets `stop` messages in, and zgrad's worker threads start (a browser starts a
 * Worker only once its creator returns to the event loop). */
const yieldToEventLoop = () => new Promise((res) => setTimeout(res, 0));

async function init(n: number, seed: number, choice: DeviceChoice): Promise<void> {
  let device: "cpu" | "webgpu" = "cpu", adapter: string | null = null;
  let fallback: string | null = null;
  if (choice !== "cpu") {
    const hasGpu = "gpu" in navigator;
    const ctx = hasGpu ? await initDevice("webgpu") : null;
    if (ctx) {
      device = "webgpu";
      adapter = ctx.description;
    } else {
      fallback = hasGpu ? "no WebGPU adapter" : "no navigator.gpu in this browser";
    }
  }
  const t0 = performance.now();
  model = W1Model.create({ n, seed, device });
  scope.postMessage({
    type: "ready",
    device,
    adapter,
    fallback,
    n,
    seed,
    edges: Array.from(EDGES),
    setupMs: performance.now() - t0,
    threads: threads(),
  });
}

async function optimise(id: number, start: ToWorker & { type: "optimise" }): Promise<void> {
  const m = model!;
  const adam = new AdamClimb(start.cuts);
  optimising = id;
  for (let step = 0;; step++) {
    const cuts = adam.cuts, t0 = performance.now();
    const evaluation = await m.evaluate(cuts, start.h);
    const ms = performance.now() - t0;
    scope.postMessage({
      type: "step",
      id,
      step,
      cuts,
      h: start.h,
      evaluation,
      ms,
      threads: threads(),
    });
    if (step === start.steps || optimising !== id) break;
    adam.step(evaluation.grad);
    await yieldToEventLoop();
  }
  if (optimising === id) optimising = null;
  scope.postMessage({ type: "done", id, steps: start.steps });
}

async function handle(msg: ToWorker): Promise<void> {
  if (msg.type === "init") return await init(msg.n, msg.seed, msg.device);
  if (msg.type === "stop") {
    optimising = null;
    return;
  }
  if (!model) throw new Error(`worker: "${msg.type}" before "init"`);
  if (msg.type === "evaluate") {
    optimising = null;
    const t0 = performance.now();
    const evaluation = await model.evaluate(msg.cuts, msg.h);
    scope.postMessage({
      type: "result",
      id: msg.id,
      cuts: msg.cuts,
      h: msg.h,
      evaluation,
      ms: performance.now() - t0,
      threads: threads(),
    });
  } else if (msg.type === "optimise") {
    await optimise(msg.id, msg);
  }
}

scope.onmessage = (e) => {
  handle(e.data).catch((err) => {
    scope.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) });
  });
};
