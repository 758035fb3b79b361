/**
 * Messages between the page (`app.ts`) and its worker (`worker.ts`), which runs zgrad: a page's
 * main thread may not block, so zgrad's CPU threads can only work from a Worker — and the page
 * stays responsive while a kernel runs.
 *
 * @module
 */
import type { Cuts, Evaluation } from "./model.ts";

/** Where zgrad runs: `auto` = WebGPU when the browser has an adapter, else the CPU. */
export type DeviceChoice = "auto" | "cpu" | "webgpu";

/** The page's requests. */
export type ToWorker =
  | { type: "init"; n: number; seed: number; device: DeviceChoice }
  | { type: "evaluate"; id: number; cuts: Cuts; h: number }
  | { type: "optimise"; id: number; cuts: Cuts; h: number; steps: number }
  | { type: "stop" };

/** How the CPU's kernels run (zgrad's `memoryStats().cpuThreads`, abridged). */
export interface ThreadsInfo {
  /** Threads a kernel may use, the calling thread included. */
  configured: number;
  /** Worker threads started and taking chunks. */
  running: number;
  /** Why kernels run on one thread; null when worker threads can start. */
  unavailable: string | null;
}

/** The worker's answers. */
export type FromWorker =
  | {
    type: "ready";
    device: "cpu" | "webgpu";
    /** The WebGPU adapter's description, or null. */
    adapter: string | null;
    /** Why the CPU runs when WebGPU was asked for or `auto` found none; null otherwise. */
    fallback: string | null;
    n: number;
    seed: number;
    /** The histograms' bin edges. */
    edges: number[];
    /** Time to generate the events (ms). */
    setupMs: number;
    threads: ThreadsInfo;
  }
  | {
    type: "result";
    id: number;
    cuts: Cuts;
    h: number;
    evaluation: Evaluation;
    /** Time of the evaluation (ms; the first includes tracing and compiling). */
    ms: number;
    threads: ThreadsInfo;
  }
  | {
    type: "step";
    id: number;
    /** Steps taken so far (0: the starting point). */
    step: number;
    cuts: Cuts;
    h: number;
    evaluation: Evaluation;
    ms: number;
    threads: ThreadsInfo;
  }
  | { type: "done"; id: number; steps: number }
  | { type: "error"; message: string };
