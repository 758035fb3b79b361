/**
 * Node analysis of a kernel body, shared by every renderer: which domain axes each node depends
 * on, who uses it, and the shifted points (`shift` nodes) it is evaluated at.
 *
 * @module
 */
import type { Kernel } from "../kernel_ir.ts";

/**
 * What the scheduler knows about each node of a kernel.
 *
 * @example
 * ```ts
 * import { analyzeNodes } from "./analysis.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * const info = analyzeNodes(k);
 * console.log(info.axes[0], info.users[0]);
 * ```
 */
export interface NodeInfo {
  /** Domain axes each node's value depends on, ascending. */
  axes: number[][];
  /** Nodes reading each node (ops and shifts). */
  users: number[][];
  /**
   * The shift vectors (one entry per domain axis, 0 on axes the node does not depend on) at
   * which each node is evaluated, relative to the point of the outputs, keyed by their text.
   */
  shifts: Map<string, number[]>[];
  /** Nodes written as outputs. */
  isOutput: Set<number>;
}

/**
 * Analyses a kernel's nodes (see {@link NodeInfo}).
 *
 * @example
 * ```ts
 * import { analyzeNodes } from "./analysis.ts";
 * const info = analyzeNodes({
 *   name: "k", domain: [4, 3], reduceAxes: [],
 *   inputs: [{ dtype: "float64", size: 4, name: "x" }],
 *   nodes: [{ kind: "load", input: 0, index: { offset: 0, coefs: [1, 0] }, dtype: "float64" }],
 *   outputs: [{ node: 0, kind: "map", dtype: "float64", shape: [4, 3], name: "y" }],
 * });
 * info.axes[0]; // [0]
 * ```
 */
export function analyzeNodes(k: Kernel): NodeInfo {
  const nodes = k.nodes;
  const r = k.domain.length;
  const axes: number[][] = nodes.map(() => []);
  const users: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    const s = new Set<number>();
    if (n.kind === "load" || n.kind === "index") {
      n.index.coefs.forEach((c, d) => c !== 0 && s.add(d));
    } else if (n.kind === "op") {
      for (const a of n.args) {
        for (const d of axes[a]) s.add(d);
        users[a].push(i);
      }
    } else if (n.kind === "shift") {
      for (const d of axes[n.of]) s.add(d);
      users[n.of].push(i);
    }
    axes[i] = [...s].sort((a, b) => a - b);
  });
  const shifts: Map<string, number[]>[] = nodes.map(() => new Map());
  const stack: [number, number[]][] = k.outputs.map((o) => [o.node, new Array(r).fill(0)]);
  while (stack.length) {
    const [i, s0] = stack.pop()!;
    const s = s0.map((v, d) => (axes[i].includes(d) ? v : 0));
    const key = s.join(",");
    if (shifts[i].has(key)) continue;
    shifts[i].set(key, s);
    const n = nodes[i];
    if (n.kind === "op") { for (const a of n.args) stack.push([a, s]); }
    if (n.kind === "shift") {
      const t = [...s];
      t[n.axis] += n.by;
      stack.push([n.of, t]);
    }
  }
  return { axes, users, shifts, isOutput: new Set(k.outputs.map((o) => o.node)) };
}

/**
 * The smallest and largest shift (≤ 0 and ≥ 0) at which node `i` is read along `axis`.
 *
 * @example
 * ```ts
 * import { analyzeNodes, shiftRange } from "./analysis.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * const [lo, hi] = shiftRange(analyzeNodes(k), 0, 1);
 * ```
 */
export function shiftRange(info: NodeInfo, i: number, axis: number): [number, number] {
  const all = [...info.shifts[i].values()].map((s) => s[axis]);
  return [Math.min(0, ...all), Math.max(0, ...all)];
}

/**
 * The values worth keeping in sliding windows over a loop along `axis`: op nodes read (through
 * `shift` nodes) at several offsets along it, with the lowest and highest offset.
 *
 * @example
 * ```ts
 * import { analyzeNodes, shiftedAlong } from "./analysis.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * for (const [node, [lo, hi]] of shiftedAlong(k, analyzeNodes(k), 1)) console.log(node, lo, hi);
 * ```
 */
export function shiftedAlong(
  k: Kernel,
  info: NodeInfo,
  axis: number,
): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  k.nodes.forEach((n, i) => {
    if (n.kind !== "op" || !info.users[i].some((u) => k.nodes[u].kind === "shift")) return;
    const offs = [...info.shifts[i].values()].map((s) => s[axis]);
    const lo = Math.min(...offs), hi = Math.max(...offs);
    if (hi > lo) out.set(i, [lo, hi]);
  });
  return out;
}
