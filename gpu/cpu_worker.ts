/**
 * A worker of the CPU pool (`cpu_parallel.ts`): receives the pool's shared buffers once, then runs
 * its share of every published job, parked in `Atomics.wait` in between.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { CPU_HELPERS } from "./cpu_codegen.ts";
import { workerLoop } from "./cpu_parallel.ts";

parentPort?.once(
  "message",
  (
    m: { ctl: SharedArrayBuffer; src: SharedArrayBuffer; arena: SharedArrayBuffer; index: number },
  ) => workerLoop(m.ctl, m.src, m.arena, m.index, CPU_HELPERS),
);
