/**
 * Starting the CPU pool's worker threads wherever the runtime allows, and saying why not where
 * it does not.
 *
 * A worker runs {@link CPU_WORKER_SOURCE}: `cpu_worker.ts` and what it imports, bundled into one
 * self-contained script (`deno task build:worker` regenerates it; a test checks it is current).
 * It starts from a `data:` URL (`node:worker_threads`, Deno and Node) or a `blob:` URL (web
 * `Worker`, browsers), never from the module's own URL, because that is what works everywhere:
 *
 * - zgrad imported by `https://` URL: a worker loading `cpu_worker.ts` by URL would need
 *   `--allow-import` for it and, under Deno's `node:worker_threads`, fails outright;
 * - imported from a local folder without `--allow-read`: a worker's module needs read
 *   permission, the importing program's modules do not;
 * - bundled (esbuild, a browser page): `cpu_worker.ts` is not there at all.
 *
 * `node:worker_threads` is preferred where it exists because its workers can be `unref`'d: parked
 * in `Atomics.wait` they must not keep a process (or `deno test`) alive, which Deno's web
 * `Worker` would.
 *
 * @module
 */
import type { Worker as NodeWorker } from "node:worker_threads";
import { CPU_WORKER_SOURCE } from "./worker_source.ts";

/**
 * What a worker receives once, at start: the pool's shared buffers and its index.
 *
 * @example
 * ```ts
 * import type { WorkerInit } from "./threads.ts";
 * const init: WorkerInit = {
 *   ctl: new SharedArrayBuffer(64),
 *   src: new SharedArrayBuffer(64),
 *   arena: new SharedArrayBuffer(64),
 *   index: 0,
 * };
 * ```
 */
export interface WorkerInit {
  ctl: SharedArrayBuffer;
  src: SharedArrayBuffer;
  arena: SharedArrayBuffer;
  index: number;
}

type NodeWorkerThreads = { Worker: typeof NodeWorker };

/** `node:worker_threads`, looked up rather than imported: a static import fails in browsers. */
function nodeWorkerThreads(): NodeWorkerThreads | undefined {
  const proc = (globalThis as {
    process?: { getBuiltinModule?: (name: string) => NodeWorkerThreads | undefined };
  }).process;
  return proc?.getBuiltinModule?.("node:worker_threads");
}

/** Whether this thread may block in `Atomics.wait` (a browser's main thread may not). */
function canBlock(): boolean {
  try {
    // Returns "not-equal" at once (the slot holds 0, not 1); throws where waiting is forbidden.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

let unavailable: string | null | undefined;

/**
 * Why worker threads cannot run here at all, or null when they can be tried. Checked once: the
 * answer depends only on the runtime.
 *
 * @example
 * ```ts
 * import { threadsUnavailable } from "./threads.ts";
 * console.log(threadsUnavailable() ?? "worker threads can start");
 * ```
 */
export function threadsUnavailable(): string | null {
  if (unavailable !== undefined) return unavailable;
  if (typeof SharedArrayBuffer !== "function") {
    unavailable = "SharedArrayBuffer is not available (in a browser: the page is not " +
      "cross-origin isolated, see COOP/COEP headers)";
  } else if (!canBlock()) {
    unavailable = "this thread may not block in Atomics.wait (a browser's main thread; " +
      "run zgrad in a Worker to use threads)";
  } else if (!nodeWorkerThreads() && typeof globalThis.Worker !== "function") {
    unavailable = "this runtime has neither node:worker_threads nor Worker";
  } else {
    unavailable = null;
  }
  return unavailable;
}

/**
 * Starts one worker running {@link CPU_WORKER_SOURCE} and posts it `init`. A worker that fails
 * later (its script cannot run) calls `onError` and never takes work; a worker that cannot be
 * created at all throws.
 *
 * @example
 * ```ts ignore
 * import { startWorker } from "./threads.ts";
 * startWorker({ ctl, src, arena, index: 0 }, (why) => console.log(why));
 * ```
 */
export function startWorker(init: WorkerInit, onError: (why: string) => void): void {
  const node = nodeWorkerThreads();
  if (node) {
    const w = new node.Worker(new URL(workerUrl("data")));
    // Parked workers must not keep the process (or a test run) alive.
    w.unref();
    // Handling the event keeps a worker's failure from becoming the main thread's uncaught error.
    w.on("error", (e: unknown) => onError(errorText(e)));
    w.postMessage(init);
    return;
  }
  const w = new Worker(workerUrl("blob"), { type: "module" });
  w.onerror = (e) => {
    e.preventDefault();
    onError(e.message || "the worker script failed to load");
  };
  w.postMessage(init);
}

const urls: { data?: string; blob?: string } = {};

/** The worker script as a URL (made once): `data:` for `node:worker_threads`, else `blob:`. */
function workerUrl(kind: "data" | "blob"): string {
  return urls[kind] ??= kind === "data"
    ? "data:text/javascript," + encodeURIComponent(CPU_WORKER_SOURCE)
    : URL.createObjectURL(new Blob([CPU_WORKER_SOURCE], { type: "text/javascript" }));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
