/**
 * Sliding windows: over a loop along one axis, a value read at several offsets of the loop
 * variable (`cdf[:, 1:] − cdf[:, :-1]` over a loop over bins) is computed once per iteration, at the
 * highest offset, and carried in registers to the next iterations for the lower offsets — each
 * point computed once, without a table. {@link planWindows} chooses them, `Values` reads the
 * registers, and {@link windowValues} gives a renderer what to declare and update.
 *
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import type { Kernel } from "../kernel_ir.ts";
import { type NodeInfo, shiftedAlong } from "./analysis.ts";
import type { Env, LoopVar, Values } from "./values.ts";

/**
 * A sliding window over one loop: inside the loop over `v`
 * (domain axis `axis`), a value read at offsets `lo..hi` of the loop variable is computed once per
 * iteration (at offset `hi`) and kept in registers for the offsets `lo..hi − 1` of the next
 * iterations, so each point is computed once without a table: `cdf[:, 1:] − cdf[:, :-1]` over a
 * loop over bins computes each edge's CDF once.
 *
 * @example
 * ```ts
 * import type { Window } from "./windows.ts";
 * declare const w: Window;
 * console.log(w.node, w.lo, w.hi);
 * ```
 */
export interface Window {
  /** The node kept. */
  node: number;
  /** Lowest and highest offset it is read at (relative to the loop variable). */
  lo: number;
  /** Highest offset read (computed each iteration). */
  hi: number;
  /** Register names for offsets lo..hi − 1. */
  regs: string[];
}

/** The loop windows are kept over. */
export interface WindowLoop {
  /** Domain axis of the loop. */
  axis: number;
  /** Its variable. */
  v: LoopVar;
  /** The loop body's environment (registers hold values at its point of the other axes). */
  env: Env;
  /** Windows by node. */
  windows: Map<number, Window>;
}

/**
 * The windows of the loop over `axes` at `env` (register names `{prefix}{node}_{j}`), when exactly
 * one of the axes has extent > 1 (a flattened loop over several axes wraps, so shifts are not
 * carried there); undefined when there is none.
 *
 * @example
 * ```ts
 * import { analyzeNodes } from "./analysis.ts";
 * import { planWindows } from "./windows.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * declare const env: import("./values.ts").Env;
 * const w = planWindows(k, analyzeNodes(k), [1], env, "w");
 * ```
 */
export function planWindows(
  k: Kernel,
  info: NodeInfo,
  axes: number[],
  env: Env,
  prefix: string,
): WindowLoop | undefined {
  const looped = axes.filter((d) => k.domain[d] > 1);
  if (looped.length !== 1) return undefined;
  const axis = looped[0];
  const windows = new Map<number, Window>();
  for (const [node, [lo, hi]] of shiftedAlong(k, info, axis)) {
    const regs = Array.from({ length: hi - lo }, (_, j) => `${prefix}${node}_${j}`);
    windows.set(node, { node, lo, hi, regs });
  }
  return windows.size ? { axis, v: env[axis].v!, env, windows } : undefined;
}

/**
 * What a renderer emits for the registers of a window loop: each register with its dtype, the
 * value it starts with (at the loop's first point `start`, computed before the loop) and the value
 * it takes at the end of each iteration (the next register's, or the value computed at the
 * highest offset). All values are marked used.
 *
 * @example
 * ```ts
 * import { windowValues } from "./windows.ts";
 * declare const vals: import("./values.ts").Values;
 * declare const w: import("./windows.ts").WindowLoop;
 * for (const r of windowValues(vals, w, { v: null, c: 0 })) {
 *   console.log(`var ${r.reg} = ${vals.ref(r.init)}; ... ${r.reg} = ${r.next};`);
 * }
 * ```
 */
export function windowValues(
  vals: Values,
  w: WindowLoop | undefined,
  start: Env[number],
): { reg: string; dtype: DType; init: number; next: string }[] {
  const out: { reg: string; dtype: DType; init: number; next: string }[] = [];
  for (const win of w?.windows.values() ?? []) {
    const at = (c: number) => {
      const env = [...w!.env];
      env[w!.axis] = { v: start.v, c: start.c + c };
      const id = vals.node(win.node, env);
      vals.use(id);
      return id;
    };
    const top = vals.node(win.node, w!.env.map((e, d) => d === w!.axis ? { ...e, c: win.hi } : e));
    vals.use(top);
    const dtype = vals.k.nodes[win.node].dtype;
    win.regs.forEach((reg, j) => {
      const next = j + 1 < win.regs.length ? win.regs[j + 1] : vals.ref(top);
      out.push({ reg, dtype, init: at(win.lo + j), next });
    });
  }
  return out;
}
