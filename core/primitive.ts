/**
 * Primitives: the small set of operations every transform understands. Each is declared once (name,
 * shape/dtype rule, eager CPU implementation) in `core/primitives/<family>.ts`; the transforms keep
 * their own rule tables keyed by the primitive's name (`ad/rules/`, `ad/batching/`, `jit/`).
 *
 * @module
 */
import type { ShapedArray } from "./aval.ts";
import type { DeviceArray } from "./device_array.ts";

/**
 * Static parameters of one use of a primitive (axes, shapes, sub-jaxprs...): the base type. Each
 * primitive declares its own (`primitive<{ axis: number }>(...)`, collected by `ParamsOf` in
 * `core/primitives/mod.ts`), and each rule table entry receives that type. Code that handles every
 * primitive alike (bind, the traces, jaxpr printing) sees only this.
 */
export type Params = object;

/** A primitive operation. */
export interface Primitive<P extends Params = Params> {
  /** The name used in jaxprs and as the key of every rule table. */
  readonly name: string;
  /** Output shapes and dtypes from input avals (throws a clear error on bad input). */
  abstractEval(avals: ShapedArray[], params: P): ShapedArray[];
  /** Eager evaluation on concrete CPU arrays. */
  impl(args: DeviceArray[], params: P): DeviceArray[];
}

/** Declares a primitive (an identity function that checks the type). */
export function primitive<P extends Params>(p: Primitive<P>): Primitive<P> {
  return p;
}
