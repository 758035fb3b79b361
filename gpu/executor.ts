/**
 * Runs a {@link Plan} on the CPU: kernels through a kernel runner (compiled JS, or the reference
 * interpreter), routines through their primitive's eager implementation. Temporaries are disposed
 * after their last use (the plan's `freeAfter`), so a call holds at most its live set.
 *
 * @module
 */
import { ShapedArray } from "../core/aval.ts";
import { DeviceArray } from "../core/device_array.ts";
import type { TypedArray } from "../core/dtype.ts";
import type { Kernel } from "./kernel_ir.ts";
import type { Plan } from "./fusion.ts";
import { interpretKernel } from "./interpret.ts";

/**
 * Executes one kernel: input buffers in, output buffers out.
 *
 * @example
 * ```ts
 * import type { KernelRunner } from "./executor.ts";
 * import { interpretKernel } from "./interpret.ts";
 * const run: KernelRunner = (k, ins) => interpretKernel(k, ins);
 * ```
 */
export type KernelRunner = (kernel: Kernel, inputs: TypedArray[], step: number) => TypedArray[];

/** The interpreter as a {@link KernelRunner}. */
export const interpretRunner: KernelRunner = (k, ins) => interpretKernel(k, ins);

/**
 * Runs `plan` on concrete CPU arrays.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr, DeviceArray } from "../mod.ts";
 * import { planJaxpr } from "./fusion.ts";
 * import { runPlan, interpretRunner } from "./executor.ts";
 * const x = array([1, 2, 3]) as DeviceArray;
 * const plan = planJaxpr(makeJaxpr((v) => v.mul(2).sum())(x).jaxpr);
 * console.log(runPlan(plan, [x], interpretRunner)[0].item()); // 12
 * ```
 */
export function runPlan(
  plan: Plan,
  args: readonly DeviceArray[],
  run: KernelRunner,
): DeviceArray[] {
  if (args.length !== plan.inputs.length) {
    throw new Error(`runPlan: expected ${plan.inputs.length} arguments, got ${args.length}`);
  }
  const env: (DeviceArray | undefined)[] = new globalThis.Array(plan.buffers.length);
  plan.inputs.forEach((b, i) => (env[b] = args[i]));
  for (const b of plan.buffers) {
    if (b.source.kind === "literal") env[b.id] = b.source.array;
  }
  plan.steps.forEach((s, k) => {
    if (s.kind === "kernel") {
      const outs = run(s.kernel, s.inputs.map((b) => env[b]!.dataSync()), k);
      s.outputs.forEach((b, j) => {
        env[b] = new DeviceArray(plan.buffers[b].aval, outs[j]);
      });
    } else {
      const outs = s.eqn.prim.impl(s.inputs.map((b) => env[b]!), s.eqn.params);
      s.outputs.forEach((b, j) => {
        const want = plan.buffers[b].aval;
        const o = outs[j];
        // Keep the jaxpr's aval (weak type) for the value, sharing the routine's storage.
        env[b] = o.aval.weakType === want.weakType
          ? o
          : new DeviceArray(new ShapedArray(want.shape, want.dtype, want.weakType), o.dataSync());
      });
    }
    for (const b of plan.freeAfter[k]) {
      // Dispose the temporary now (deterministic memory accounting), unless the same array object
      // is still referenced (a routine may return one of its operands).
      const x = env[b];
      env[b] = undefined;
      if (x && !args.includes(x) && !env.includes(x)) x.dispose();
    }
  });
  return plan.outputs.map((b) => {
    const v = env[b]!;
    const want = plan.buffers[b].aval;
    return v.aval.weakType === want.weakType && v.aval.equals(want)
      ? v
      : new DeviceArray(new ShapedArray(want.shape, want.dtype, want.weakType), v.dataSync());
  });
}
