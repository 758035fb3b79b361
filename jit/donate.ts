/**
 * Buffer donation (`jit`'s `donateArgnums`, JAX's `donate_argnums`): after a call, the arrays passed
 * at donated positions are invalidated and their storage is released at once — to the buffer pool
 * on WebGPU, where the next allocation of that size (typically the next call's output) reuses it —
 * instead of waiting for garbage collection, which a synchronous loop never gives a chance to run.
 * A later use of a donated array throws an error naming the donation.
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import { DeviceArray } from "../core/device_array.ts";
import { leaves } from "../core/tree.ts";

/**
 * Invalidates the arrays of `args` at the positions `argnums` after `consumer` ran on them, except
 * its `results` (inputs may pass through) and its captured `consts` (later calls read them again).
 * Does nothing when a result is not concrete: under a transform (`grad` or `vmap` of the jitted
 * function, or an enclosing `jit`) the call was traced, not run, and its inputs are still needed.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { donateArgs } from "./donate.ts";
 * const x = array([1, 2]);
 * donateArgs("jit(step)", [x], [0], [array([3])], []);
 * try {
 *   x.dataSync();
 * } catch (e) {
 *   console.log(String(e)); // ... used after being donated to jit(step) ...
 * }
 * ```
 */
export function donateArgs(
  consumer: string,
  args: readonly unknown[],
  argnums: Iterable<number>,
  results: readonly Array[],
  consts: readonly Array[],
): void {
  if (!results.every((r) => r instanceof DeviceArray)) return;
  const kept = new Set<unknown>([...results, ...consts]);
  for (const i of argnums) {
    if (i >= args.length) continue;
    for (const x of leaves(args[i])) {
      if (x instanceof DeviceArray && !kept.has(x)) x.donate(consumer);
    }
  }
}

/**
 * The validated set of `jit`'s `donateArgnums`: integers ≥ 0 that are not static positions.
 *
 * @example
 * ```ts
 * import { donatedPositions } from "./donate.ts";
 * donatedPositions([0], new Set([1])); // Set { 0 }
 * ```
 */
export function donatedPositions(
  argnums: readonly number[] | undefined,
  statics: ReadonlySet<number>,
): Set<number> {
  const donated = new Set(argnums ?? []);
  for (const i of donated) {
    if (!Number.isInteger(i) || i < 0 || statics.has(i)) {
      throw new Error(
        `jit: donateArgnums entry ${i} is not a position of a dynamic argument ` +
          `(an integer ≥ 0 not in staticArgnums)`,
      );
    }
  }
  return donated;
}
