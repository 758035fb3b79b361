/**
 * Plans: the schedule the fusion planner (`fusion.ts`) makes of a jaxpr, a sequence of fused
 * {@link Kernel}s and *routines* over materialised buffers, with each temporary buffer's
 * lifetime; executors (`cpu/executor.ts`, `webgpu/program.ts`) run them step by step.
 *
 * @module
 */
import type { ShapedArray } from "../core/aval.ts";
import type { DeviceArray } from "../core/device_array.ts";
import type { Eqn, Jaxpr } from "../core/jaxpr.ts";
import { sizeOf } from "../core/shape.ts";
import { type Kernel, printKernel } from "./kernel_ir.ts";

/**
 * Where a plan buffer comes from.
 *
 * @example
 * ```ts
 * import type { BufferSource } from "./plan.ts";
 * const s: BufferSource = { kind: "input", index: 0 };
 * ```
 */
export type BufferSource =
  | { kind: "input"; index: number }
  | { kind: "literal"; array: DeviceArray }
  | { kind: "step"; step: number };

/**
 * A materialised value of a plan.
 *
 * @example
 * ```ts
 * import type { PlanBuffer } from "./plan.ts";
 * declare const b: PlanBuffer;
 * console.log(b.name, b.aval.toString());
 * ```
 */
export interface PlanBuffer {
  /** Index in `Plan.buffers`. */
  id: number;
  /** Shape and dtype. */
  aval: ShapedArray;
  /** The jaxpr variable's printed name. */
  name: string;
  /** Who fills it. */
  source: BufferSource;
}

/**
 * One step of a plan: a fused kernel, or a routine (one primitive run by its eager implementation).
 *
 * @example
 * ```ts
 * import type { PlanStep } from "./plan.ts";
 * declare const s: PlanStep;
 * if (s.kind === "kernel") console.log(s.kernel.name);
 * ```
 */
export type PlanStep =
  | { kind: "kernel"; kernel: Kernel; inputs: number[]; outputs: number[] }
  | { kind: "routine"; eqn: Eqn; inputs: number[]; outputs: number[] };

/**
 * An executable schedule for a jaxpr.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../mod.ts";
 * import { planJaxpr } from "./fusion.ts";
 * const j = makeJaxpr((x) => x.mul(2).sum())(array([1, 2, 3]));
 * console.log(planJaxpr(j.jaxpr).toString());
 * ```
 */
export interface Plan {
  /** The jaxpr the plan runs (with calls inlined). */
  jaxpr: Jaxpr;
  /** Every materialised value. */
  buffers: PlanBuffer[];
  /** Buffers holding the jaxpr's inputs, in order. */
  inputs: number[];
  /** Buffers holding the jaxpr's outputs, in order. */
  outputs: number[];
  /** The schedule. */
  steps: PlanStep[];
  /** `freeAfter[k]`: temporaries whose last use is step k. */
  freeAfter: number[][];
  /** Text of the plan: steps, kernels and buffers. */
  toString(): string;
}

/**
 * Text of a plan: one block per step.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../mod.ts";
 * import { planJaxpr } from "./fusion.ts";
 * import { printPlan } from "./plan.ts";
 * console.log(printPlan(planJaxpr(makeJaxpr((x) => x.exp())(array([1])).jaxpr)));
 * ```
 */
export function printPlan(plan: Plan): string {
  const bn = (b: number) => `${plan.buffers[b].name}:${plan.buffers[b].aval}`;
  const lines = [
    `plan: ${plan.steps.length} steps, inputs (${plan.inputs.map(bn).join(", ")}) → outputs (${
      plan.outputs.map(bn).join(", ")
    })`,
  ];
  plan.steps.forEach((s, k) => {
    if (s.kind === "routine") {
      lines.push(
        `step ${k}: routine ${s.eqn.prim.name}(${s.inputs.map(bn).join(", ")}) → ${
          s.outputs.map(bn).join(", ")
        }`,
      );
    } else {
      lines.push(
        `step ${k}: ${s.kernel.name}(${s.inputs.map(bn).join(", ")}) → ${
          s.outputs.map(bn).join(", ")
        }`,
      );
      lines.push(printKernel(s.kernel).split("\n").map((l) => "    " + l).join("\n"));
    }
    if (plan.freeAfter[k].length) {
      lines.push(`    free ${plan.freeAfter[k].map((b) => plan.buffers[b].name).join(", ")}`);
    }
  });
  return lines.join("\n");
}

/** Number of elements a kernel's domain visits (for cost estimates and tests). */
export function domainSize(k: Kernel): number {
  return sizeOf(k.domain);
}
