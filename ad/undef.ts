/**
 * The marker for linear operands in transpose rules.
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import type { ShapedArray } from "../core/aval.ts";

/** Marks an operand that is a linear (tangent) input in a transpose rule. */
export class UndefPrimal {
  /** @param aval the operand's shape and dtype */
  constructor(readonly aval: ShapedArray) {}
}

/** An operand of a transpose rule: a known value or a linear input. */
export type LinArg = Array | UndefPrimal;
