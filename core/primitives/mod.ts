/**
 * Every primitive, by name. Rule tables elsewhere are typed by primitive name (`{ [K in
 * PrimitiveName]: Rule<ParamsOf<K>> }`), so adding a primitive here makes the type checker list each
 * table that still lacks a rule for it, and each rule receives the params declared with its
 * primitive.
 *
 * @module
 */
import type { Eqn } from "../jaxpr.ts";
import type { Primitive } from "../primitive.ts";
import { elementwisePrimitives } from "./elementwise.ts";
import { indexingPrimitives } from "./indexing.ts";
import { linalgPrimitives } from "./linalg.ts";
import { reducePrimitives } from "./reduce.ts";
import { shapePrimitives } from "./shape.ts";
import { controlPrimitives } from "./control.ts";
import { randomPrimitives } from "./random.ts";
import { sortPrimitives } from "./sort.ts";
import { customPrimitives } from "./custom.ts";
import { trigPrimitives } from "./trig.ts";
import { searchPrimitives } from "./search.ts";
import { decompPrimitives } from "./decomp.ts";

/** All primitives. */
export const P = {
  ...elementwisePrimitives,
  ...reducePrimitives,
  ...shapePrimitives,
  ...indexingPrimitives,
  ...linalgPrimitives,
  ...controlPrimitives,
  ...randomPrimitives,
  ...sortPrimitives,
  ...customPrimitives,
  ...trigPrimitives,
  ...searchPrimitives,
  ...decompPrimitives,
};

/** The name of a primitive. */
export type PrimitiveName = keyof typeof P;

/**
 * The params type declared with primitive `K` (`primitive<{ axis: number }>(...)`); primitives
 * declared without one take no params and have the base `Params`.
 *
 * @example
 * ```ts
 * import type { ParamsOf } from "./mod.ts";
 * const p: ParamsOf<"gather"> = { axis: 0 };
 * ```
 */
export type ParamsOf<K extends PrimitiveName> = (typeof P)[K] extends Primitive<infer Q> ? Q
  : never;

/** An equation applying primitive `K`, with the params declared for it. */
export type EqnOf<K extends PrimitiveName> = Eqn<ParamsOf<K>>;

/**
 * Whether `e` applies primitive `name` (compared by name, as rule tables are keyed); narrows `e`
 * to {@link EqnOf} so its params are read with their declared types.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../../mod.ts";
 * import { isEqnOf } from "./mod.ts";
 * const e = makeJaxpr((x) => x.cumsum(0))(array([1, 2])).jaxpr.eqns[0];
 * if (isEqnOf(e, "cumsum")) console.log(e.params.axis); // 0
 * ```
 */
export function isEqnOf<K extends PrimitiveName>(e: Eqn, name: K): e is EqnOf<K> {
  return e.prim.name === name;
}
