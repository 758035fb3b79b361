/** The bundled worker script (`jit/cpu/worker_source.ts`) matches the sources it is built from. */
import assert from "node:assert/strict";
import { CPU_WORKER_SOURCE } from "../../jit/cpu/worker_source.ts";
import { bundleCpuWorker } from "../../tools/cpu_worker_bundle.ts";

Deno.test("packaging: jit/cpu/worker_source.ts is current (else: deno task build:worker)", async () => {
  const fresh = await bundleCpuWorker();
  assert.ok(
    fresh === CPU_WORKER_SOURCE,
    "jit/cpu/worker_source.ts is stale: a worker would run older code than the main thread. " +
      "Run `deno task build:worker` and commit the result.",
  );
  assert.ok(!/^\s*(import|export)\b/m.test(fresh), "the worker script imports nothing");
});
