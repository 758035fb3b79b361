/**
 * Runs a {@link Plan} on the CPU: kernels through a kernel runner (compiled JS, or the reference
 * interpreter), routines through a routine runner (by default their primitive's eager
 * implementation; `program.ts` runs control flow as host loops around compiled sub-programs).
 * Temporaries are disposed after their last use (the plan's `freeAfter`), so a call holds at most
 * its live set.
 *
 * Outputs are arguments or fresh arrays that the caller owns: literals of the plan (shared by every
 * call of a cached program) are copied, so a caller may dispose whatever it is not handed back.
 *
 * @module
 */
import { ShapedArray } from "../../core/aval.ts";
import { DeviceArray } from "../../core/device_array.ts";
import type { TypedArray } from "../../core/dtype.ts";
import type { Eqn } from "../../core/jaxpr.ts";
import type { Kernel } from "../kernel_ir.ts";
import type { Plan } from "../plan.ts";
import { interpretKernel } from "../interpret.ts";

/**
 * Executes one kernel: input buffers in, output buffers out.
 *
 * @example
 * ```ts
 * import type { KernelRunner } from "./executor.ts";
 * import { interpretKernel } from "../interpret.ts";
 * const run: KernelRunner = (k, ins) => interpretKernel(k, ins);
 * ```
 */
export type KernelRunner = (kernel: Kernel, inputs: TypedArray[], step: number) => TypedArray[];

/** The interpreter as a {@link KernelRunner}. */
export const interpretRunner: KernelRunner = (k, ins) => interpretKernel(k, ins);

/**
 * Executes one routine step: its equation on the operand arrays. It returns, per output, an
 * operand or a fresh array (which the plan then owns and disposes after its last use).
 *
 * @example
 * ```ts
 * import type { RoutineRunner } from "./executor.ts";
 * const eager: RoutineRunner = (eqn, ins) => eqn.prim.impl(ins, eqn.params);
 * ```
 */
export type RoutineRunner = (eqn: Eqn, inputs: DeviceArray[], step: number) => DeviceArray[];

/**
 * The default {@link RoutineRunner}: the primitive's eager implementation.
 *
 * @example
 * ```ts
 * import { eagerRoutine } from "./executor.ts";
 * console.log(typeof eagerRoutine); // "function"
 * ```
 */
export const eagerRoutine: RoutineRunner = (eqn, ins) =>
  eqn.prim.impl(ins, eqn.params) as DeviceArray[];

/**
 * Runs `plan` on concrete CPU arrays.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr, DeviceArray } from "../../mod.ts";
 * import { planJaxpr } from "../fusion.ts";
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
  routine: RoutineRunner = eagerRoutine,
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
      const ins = s.inputs.map((b) => env[b]!);
      const outs = routine(s.eqn, ins, k);
      s.outputs.forEach((b, j) => {
        const want = plan.buffers[b].aval;
        const o = outs[j];
        // Keep the jaxpr's aval (weak type) for the value, sharing the routine's storage.
        env[b] = o.aval.weakType === want.weakType
          ? o
          : new DeviceArray(new ShapedArray(want.shape, want.dtype, want.weakType), o.dataSync());
      });
      // A fresh routine output that was re-wrapped is garbage now: release it for the accounting.
      for (const o of outs) {
        if (!ins.includes(o) && !args.includes(o) && !env.includes(o)) o.dispose();
      }
    }
    for (const b of plan.freeAfter[k]) {
      // Dispose the temporary now (deterministic memory accounting), unless the same array object
      // is still referenced (a routine may return one of its operands).
      const x = env[b];
      env[b] = undefined;
      if (x && !args.includes(x) && !env.includes(x)) x.dispose();
    }
  });
  const literals = literalArrays(plan);
  const results = plan.outputs.map((b) => {
    const v = env[b]!;
    const want = plan.buffers[b].aval;
    // A literal belongs to the (cached) plan: hand out a copy the caller may dispose.
    if (literals.has(v)) {
      return new DeviceArray(
        new ShapedArray(want.shape, want.dtype, want.weakType),
        v.dataSync().slice(),
      );
    }
    return v.aval.weakType === want.weakType && v.aval.equals(want)
      ? v
      : new DeviceArray(new ShapedArray(want.shape, want.dtype, want.weakType), v.dataSync());
  });
  // Temporaries that were re-wrapped with the output's aval are garbage: release them.
  for (const b of plan.outputs) {
    const v = env[b]!;
    if (!literals.has(v) && !results.includes(v) && !args.includes(v)) v.dispose();
  }
  return results;
}

const literalCache = new WeakMap<Plan, Set<DeviceArray>>();
/** The plan's literal arrays (never disposed, never handed out). */
function literalArrays(plan: Plan): Set<DeviceArray> {
  let s = literalCache.get(plan);
  if (!s) {
    s = new Set();
    for (const b of plan.buffers) if (b.source.kind === "literal") s.add(b.source.array);
    literalCache.set(plan, s);
  }
  return s;
}
