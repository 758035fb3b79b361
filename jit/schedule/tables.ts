/**
 * Loop nests and tables: which loop level each value belongs to, and which values are computed
 * once into a small table instead of at every iteration (values read at shifted points, and
 * values invariant in an outer loop).
 *
 * @module
 */
import { stridesOf } from "../../core/shape.ts";
import type { Kernel } from "../kernel_ir.ts";
import type { Env, LoopVar, Values } from "./values.ts";
import { type NodeInfo, shiftRange } from "./analysis.ts";

/**
 * The loops of a kernel's nest, outermost first: every domain axis of extent > 1, in domain order
 * (axes of extent 1 are the constant 0).
 *
 * @example
 * ```ts
 * import { loopNest } from "./tables.ts";
 * loopNest([100, 1, 25]).loops; // [0, 2]
 * ```
 */
export interface LoopNest {
  /** Looped axes, outermost first. */
  loops: number[];
  /**
   * Depth of each domain axis' loop (1 = outermost), 0 for axes that are not looped. Several
   * axes may share a depth (one flattened loop over them).
   */
  depthOf: number[];
  /** Number of loop depths. */
  depth: number;
}

/**
 * The row-major loop nest over a domain (see {@link LoopNest}).
 *
 * @example
 * ```ts
 * import { loopNest } from "./tables.ts";
 * loopNest([100, 1, 25]).depthOf; // [1, 0, 2]
 * ```
 */
export function loopNest(domain: readonly number[]): LoopNest {
  const loops = domain.map((_, d) => d).filter((d) => domain[d] > 1);
  const depthOf = new Array<number>(domain.length).fill(0);
  loops.forEach((d, i) => (depthOf[d] = i + 1));
  return { loops, depthOf, depth: loops.length };
}

/**
 * A table: the values of one op node over some axes, computed before the loop at depth `p + 1`
 * runs (inside loop depth `p`), indexed `Σ_j strides[j]·(i_axes[j] − lo[j])`.
 *
 * @example
 * ```ts
 * import type { Table } from "./tables.ts";
 * declare const t: Table;
 * console.log(t.node, t.axes, t.size);
 * ```
 */
export interface Table {
  /** Table number (its name in generated code). */
  id: number;
  /** The node it holds. */
  node: number;
  /** Loop depth it is computed at (0: before every loop). */
  p: number;
  /** Axes it spans (loop order), with ranges [lo, hi). */
  axes: number[];
  /** Lowest index of each axis (≤ 0: shifted reads below the loop's range). */
  lo: number[];
  /** One past the highest index of each axis. */
  hi: number[];
  /** Row-major strides over the axes' ranges. */
  strides: number[];
  /** Number of entries. */
  size: number;
}

/**
 * Chooses the tables of a kernel over loop nest `nest`:
 * - a value read at shifted points (a `shift` target: the `cdf[:, 1:] − cdf[:, :-1]` of a KDE
 *   histogram) is tabulated over its shifted axes just before the outermost of them, so each point
 *   is computed once (each bin edge's normal CDF once per event, not twice);
 * - a value that does not depend on an outer loop (per-bin coefficients of a backward pass inside
 *   the loop over events) is tabulated before that loop — only the frontier of such values (those
 *   with a user of other axes), so a chain of them is computed once into one table.
 * Tables larger than `maxTable` entries are not made (the value is recomputed instead). With
 * `shifts: false`, values read at shifted points get no table (a renderer keeping them in
 * sliding windows instead).
 *
 * @example
 * ```ts
 * import { analyzeNodes } from "./analysis.ts";
 * import { loopNest, planTables } from "./tables.ts";
 * declare const k: import("../kernel_ir.ts").Kernel;
 * const tables = planTables(k, analyzeNodes(k), loopNest(k.domain), 65536);
 * ```
 */
export function planTables(
  k: Kernel,
  info: NodeInfo,
  nest: LoopNest,
  maxTable: number,
  shifts = true,
): Map<number, Table> {
  const { depthOf, depth: L } = nest;
  const tables = new Map<number, Table>();
  const loopAxes = info.axes.map((ax) => ax.filter((a) => depthOf[a] > 0));
  const sameAxes = (a: number[], b: number[]) =>
    a.length === b.length && a.every((x, i) => x === b[i]);
  k.nodes.forEach((n, i) => {
    if (n.kind !== "op") return;
    const deps = loopAxes[i];
    if (deps.length === 0) return;
    const q = Math.max(...deps.map((a) => depthOf[a]));
    let p0 = 0;
    while (p0 < L && deps.some((a) => depthOf[a] === p0 + 1)) p0++;
    // Shift targets are tabled over their shifted axes; the nodes below them are computed in
    // that table's loop (their shifts are relative to it).
    const users = info.users[i];
    const shiftTarget = users.some((u) => k.nodes[u].kind === "shift");
    if (shiftTarget && !shifts) return;
    const ranges = deps.map((a) => shiftRange(info, i, a));
    const shifted = shiftTarget ? deps.filter((_, j) => ranges[j][0] !== ranges[j][1]) : [];
    const p = Math.min(p0, ...shifted.map((a) => depthOf[a] - 1));
    if (p >= q) return;
    if (shifted.length === 0) {
      const frontier = info.isOutput.has(i) ||
        users.some((u) => k.nodes[u].kind === "shift" || !sameAxes(loopAxes[u], deps));
      if (!frontier) return;
    }
    const axes = deps.filter((a) => depthOf[a] > p).sort((a, b) => depthOf[a] - depthOf[b]);
    const lo = axes.map((a) => shiftRange(info, i, a)[0]);
    const hi = axes.map((a) => k.domain[a] + shiftRange(info, i, a)[1]);
    const ext = axes.map((_, j) => hi[j] - lo[j]);
    const size = ext.reduce((x, y) => x * y, 1);
    if (size > maxTable) return;
    tables.set(i, { id: tables.size, node: i, p, axes, lo, hi, strides: stridesOf(ext), size });
  });
  return tables;
}

/**
 * What a renderer emits to fill table `t` (`tables.ts`): the loop variables over its axes (scope
 * `t{id}_{j}` at nesting level `p + j`), the value stored (marked used), and the entry's address.
 *
 * @example
 * ```ts
 * import { tableEntry } from "./tables.ts";
 * declare const vals: import("./values.ts").Values;
 * declare const t: import("./tables.ts").Table;
 * declare const mainEnv: import("./values.ts").Env;
 * const { vars, value, addr } = tableEntry(vals, t, mainEnv);
 * console.log(`T${t.id}[${addr}] = ${vals.ref(value)};`, vars.map((v) => v.name));
 * ```
 */
export function tableEntry(
  vals: Values,
  t: Table,
  mainEnv: Env,
): { vars: LoopVar[]; value: number; addr: string } {
  const env = mainEnv.map((e) => ({ ...e }));
  const coefs = new Array<number>(mainEnv.length).fill(0);
  let offset = 0;
  const vars = t.axes.map((a, j) => {
    const v = {
      name: `t${t.id}_${a}`,
      scope: `t${t.id}_${j + 1}`,
      level: t.p + j + 1,
      lo: t.lo[j],
      hi: t.hi[j] - 1,
    };
    env[a] = { v, c: 0 };
    coefs[a] = t.strides[j];
    offset -= t.strides[j] * t.lo[j];
    return v;
  });
  const value = vals.op(t.node, env, { p: t.p, node: t.node });
  vals.use(value);
  return { vars, value, addr: vals.affine(offset, coefs, env).code };
}
