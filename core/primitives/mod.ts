/**
 * Every primitive, by name. Rule tables elsewhere are typed `Record<PrimitiveName, Rule>`, so adding a
 * primitive here makes the type checker list each table that still lacks a rule for it.
 *
 * @module
 */
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
