/**
 * Classification of equations for the fusion planner: which primitives fuse into kernels, and as
 * what (elementwise ops, views that are index arithmetic, iota, reductions); every other
 * primitive runs as a *routine* (its eager implementation on materialised operands).
 *
 * @module
 */
import type { Eqn } from "../core/jaxpr.ts";
import { isEqnOf, P } from "../core/primitives/mod.ts";
import type { ReduceOp } from "./kernel_ir.ts";
import { scalarOp } from "./scalar_ops.ts";

/** How a fusible equation enters a kernel. */
export type FuseKind = "elementwise" | "identity" | "view" | "iota" | "reduce";

type PrimName = keyof typeof P;
const isPrimName = (n: string): n is PrimName => Object.hasOwn(P, n);

/**
 * How the planner treats each fusible primitive that is not a scalar op (those are `SCALAR_OPS`),
 * keyed by primitive name (checked against the primitive table): views are index arithmetic,
 * reductions become `reduce` outputs. `pad` is a view without interior padding only.
 */
const FUSIBLE: Partial<Record<PrimName, FuseKind>> = {
  stop_gradient: "identity",
  iota: "iota",
  broadcast_in_dim: "view",
  transpose: "view",
  slice: "view",
  rev: "view",
  reshape: "view",
  concatenate: "view",
  pad: "view",
  reduce_sum: "reduce",
  reduce_prod: "reduce",
  reduce_max: "reduce",
  reduce_min: "reduce",
};
/** The reduction of each reduce primitive. */
const REDUCES: Partial<Record<PrimName, ReduceOp>> = {
  reduce_sum: "sum",
  reduce_prod: "prod",
  reduce_max: "max",
  reduce_min: "min",
};

/**
 * The reduction a reduce equation performs.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../mod.ts";
 * import { reduceOf } from "./fuse_kind.ts";
 * const j = makeJaxpr((x) => x.max())(array([1, 2]));
 * reduceOf(j.jaxpr.eqns[0]); // "max"
 * ```
 */
export function reduceOf(e: Eqn): ReduceOp {
  const n = e.prim.name;
  const r = isPrimName(n) ? REDUCES[n] : undefined;
  if (!r) throw new Error(`fusion: ${n} is not a reduction`);
  return r;
}

/**
 * How the planner treats an equation: a kind of fusible operation, or null for a routine.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr, sin } from "../mod.ts";
 * import { fuseKind } from "./fuse_kind.ts";
 * const j = makeJaxpr((x) => sin(x))(array([1]));
 * fuseKind(j.jaxpr.eqns[0]); // "elementwise"
 * ```
 */
export function fuseKind(e: Eqn): FuseKind | null {
  const n = e.prim.name;
  if (scalarOp(n)) return "elementwise";
  if (!isPrimName(n)) return null;
  if (isEqnOf(e, "pad") && !e.params.interior.every((v) => v === 0)) return null;
  return FUSIBLE[n] ?? null;
}

/**
 * The reduced axes of a reduce equation, ascending.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../mod.ts";
 * import { reduceAxesOf } from "./fuse_kind.ts";
 * const j = makeJaxpr((x) => x.sum(1))(array([[1, 2]]));
 * reduceAxesOf(j.jaxpr.eqns[0]); // [1]
 * ```
 */
export function reduceAxesOf(e: Eqn): number[] {
  for (const n of ["reduce_sum", "reduce_prod", "reduce_max", "reduce_min"] as const) {
    if (isEqnOf(e, n)) return [...e.params.axes].sort((a, b) => a - b);
  }
  throw new Error(`fusion: ${e.prim.name} is not a reduction`);
}
