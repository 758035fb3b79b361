/// <reference lib="dom" />
/**
 * The page's main thread: the sliders, the numbers and the plots. zgrad runs in the worker
 * (`worker.ts`); this module sends it the cuts and draws what comes back. Bundled to
 * `dist/web/app.js`.
 *
 * URL parameters: `n` (events, W1's 100000), `seed` (W1's 20240601 + n), `device` (`auto`,
 * `cpu` or `webgpu`; `auto` = WebGPU when the browser has an adapter), `steps` (Adam steps per
 * press of "optimise", 60).
 *
 * @module
 */
import { histogramSvg, lineSvg } from "./plot.ts";
import type { DeviceChoice, FromWorker, ThreadsInfo, ToWorker } from "./protocol.ts";
import {
  BANDWIDTH,
  BANDWIDTH_RANGE,
  type Cuts,
  defaultSeed,
  EVENTS,
  LOWER,
  START,
  UPPER,
} from "./settings.ts";

const params = new URLSearchParams(location.search);
const n = Number(params.get("n") ?? EVENTS);
const seed = Number(params.get("seed") ?? defaultSeed(n));
const DEVICES: readonly DeviceChoice[] = ["auto", "cpu", "webgpu"];
const deviceChoice = DEVICES.find((d) => d === (params.get("device") ?? "auto"));

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no element #${id}`);
  return el as T;
};
const sliders = {
  met: $<HTMLInputElement>("met"),
  btag: $<HTMLInputElement>("btag"),
  h: $<HTMLInputElement>("bandwidth"),
};
const status = $("status"), zOut = $("z"), optimiseButton = $<HTMLButtonElement>("optimise");
const stepsInput = $<HTMLInputElement>("steps");

let edges: number[] = [];
let worker: Worker | null = null;
let nextId = 1;
/** An evaluation is running; `pending`: the sliders moved since it was sent. */
let inFlight = false, pending = false;
let optimisingId: number | null = null;
let history: number[] = [];

function send(msg: ToWorker): void {
  worker!.postMessage(msg);
}

function setState(state: "loading" | "ready" | "busy" | "optimising" | "error", text: string) {
  status.dataset.state = state;
  status.textContent = text;
}

function cuts(): Cuts {
  return { met: Number(sliders.met.value), btag: Number(sliders.btag.value) };
}

function showSliderValues(): void {
  $("met-value").textContent = `${Number(sliders.met.value).toFixed(1)} GeV`;
  $("btag-value").textContent = Number(sliders.btag.value).toFixed(3);
  $("bandwidth-value").textContent = `${Number(sliders.h.value).toFixed(0)} GeV`;
}

function showThreads(t: ThreadsInfo): void {
  const el = $("threads");
  el.textContent = (el.dataset.device === "webgpu" ? "CPU kernels: " : "") +
    (t.unavailable !== null
      ? `1 (worker threads unavailable: ${t.unavailable})`
      : `${t.configured} per kernel (${t.running} worker thread(s) started)`);
}

/** Shows one evaluation: Z (full precision in data-value, for tests), dZ/dθ, the histograms. */
function show(r: FromWorker & { type: "result" | "step" }): void {
  const e = r.evaluation;
  zOut.textContent = e.z.toFixed(5);
  Object.assign(zOut.dataset, {
    value: String(e.z),
    met: String(r.cuts.met),
    btag: String(r.cuts.btag),
    h: String(r.h),
    gradMet: String(e.grad.met),
    gradBtag: String(e.grad.btag),
  });
  $("grad-met").textContent = `${e.grad.met.toPrecision(4)} / GeV`;
  $("grad-btag").textContent = e.grad.btag.toPrecision(4);
  const sum = (v: number[]) => v.reduce((a, x) => a + x, 0);
  $("yields").textContent = `${sum(e.s).toFixed(1)} / ${sum(e.b).toFixed(1)}`;
  $("timing").textContent = `${r.ms.toFixed(0)} ms`;
  $("hist").innerHTML = histogramSvg(edges, e.s, e.b, { width: 560, height: 300 });
  showThreads(r.threads);
}

function evaluate(): void {
  if (optimisingId !== null) stopOptimising();
  if (inFlight) {
    pending = true;
    return;
  }
  inFlight = true;
  pending = false;
  setState("busy", "computing …");
  send({ type: "evaluate", id: nextId++, cuts: cuts(), h: Number(sliders.h.value) });
}

function stopOptimising(): void {
  send({ type: "stop" });
  optimisingId = null;
  optimiseButton.textContent = "optimise";
}

function optimise(): void {
  if (optimisingId !== null) return stopOptimising();
  const steps = Math.max(1, Math.round(Number(stepsInput.value) || 1));
  optimisingId = nextId++;
  history = [];
  optimiseButton.textContent = "stop";
  setState("optimising", `Adam: step 0 of ${steps}`);
  send({ type: "optimise", id: optimisingId, cuts: cuts(), h: Number(sliders.h.value), steps });
}

function drawClimb(): void {
  const climb = $("climb");
  climb.dataset.z = JSON.stringify(history);
  climb.innerHTML = lineSvg(history, "Z", { width: 560, height: 220 });
}

function onMessage(m: FromWorker): void {
  if (m.type === "ready") {
    edges = m.edges;
    $("device").textContent = m.device === "webgpu"
      ? `webgpu (${m.adapter})`
      : `cpu${m.fallback ? ` (${m.fallback})` : ""}`;
    $("device").dataset.device = m.device;
    $("threads").dataset.device = m.device;
    $("events").textContent = `${m.n.toLocaleString("en")} W1 events (seed ${m.seed}), ` +
      `generated in ${m.setupMs.toFixed(0)} ms`;
    showThreads(m.threads);
    evaluate();
  } else if (m.type === "result") {
    inFlight = false;
    show(m);
    if (pending) evaluate();
    else setState("ready", "ready");
  } else if (m.type === "step") {
    // A step that arrives after "stop" (a slider moved) must not move the sliders back.
    if (m.id !== optimisingId) return;
    show(m);
    sliders.met.value = String(m.cuts.met);
    sliders.btag.value = String(m.cuts.btag);
    showSliderValues();
    history.push(m.evaluation.z);
    drawClimb();
    $("climb-cuts").textContent = `MET cut ${m.cuts.met.toFixed(1)} GeV, b-tag cut ` +
      `${m.cuts.btag.toFixed(3)}: Z = ${m.evaluation.z.toFixed(5)}`;
    setState("optimising", `Adam: step ${m.step} of ${stepsInput.value}`);
  } else if (m.type === "done") {
    if (m.id === optimisingId) {
      $("climb").dataset.steps = String(m.steps); // finished (not stopped): tests wait for it
      optimisingId = null;
      optimiseButton.textContent = "optimise";
    }
    if (!inFlight) setState("ready", "ready");
  } else if (m.type === "error") {
    setState("error", `error: ${m.message}`);
  }
}

function setUp(): void {
  const range = (el: HTMLInputElement, lo: number, hi: number, v: number) => {
    Object.assign(el, { min: String(lo), max: String(hi), step: "any", value: String(v) });
  };
  range(sliders.met, LOWER.met, UPPER.met, START.met);
  range(sliders.btag, LOWER.btag, UPPER.btag, START.btag);
  range(sliders.h, BANDWIDTH_RANGE[0], BANDWIDTH_RANGE[1], BANDWIDTH);
  stepsInput.value = params.get("steps") ?? "60";
  showSliderValues();
  for (const el of Object.values(sliders)) {
    el.addEventListener("input", () => {
      showSliderValues();
      evaluate();
    });
  }
  optimiseButton.addEventListener("click", optimise);
  const bad = [
    deviceChoice === undefined &&
    `device must be auto, cpu or webgpu (got ${params.get("device")})`,
    !(Number.isInteger(n) && n >= 10) && `n must be an integer ≥ 10 (got ${params.get("n")})`,
  ].filter((m) => m);
  if (deviceChoice === undefined || bad.length) {
    return setState("error", `bad URL parameters: ${bad.join("; ")}`);
  }
  setState("loading", "generating events and compiling …");
  worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
  worker.onerror = (e) => setState("error", `worker error: ${e.message}`);
  send({ type: "init", n, seed, device: deviceChoice });
}

setUp();
