/**
 * A worker of the CPU pool (`cpu_parallel.ts`): receives the pool's shared buffers once, then runs
 * its share of every published job, parked in `Atomics.wait` in between.
 *
 * Workers do not load this module by URL: it is bundled into `cpu_worker_source.ts` (`deno task
 * build:worker`), which `cpu_threads.ts` starts from a `data:` or `blob:` URL. It therefore
 * imports nothing that only exists in one runtime: `node:worker_threads` (a worker started with
 * it under Deno or Node) is looked up, and without it the web `Worker` message event is used.
 *
 * @module
 */
import { CPU_HELPERS } from "./codegen.ts";
import { workerLoop } from "./worker_loop.ts";
import type { WorkerInit } from "./threads.ts";

type Port = { once(event: "message", f: (m: WorkerInit) => void): void };
const port = (globalThis as {
  process?: { getBuiltinModule?: (name: string) => { parentPort: Port | null } | undefined };
}).process?.getBuiltinModule?.("node:worker_threads")?.parentPort;

const start = (m: WorkerInit) => workerLoop(m.ctl, m.src, m.arena, m.index, CPU_HELPERS);
if (port) port.once("message", start);
else {(globalThis as { onmessage?: (e: { data: WorkerInit }) => void }).onmessage = (e) =>
    start(e.data);}
