/**
 * The numpy-style API (what `jax.numpy` is to JAX), installed as the methods of `Array`.
 *
 * @module
 */
import { installOps } from "../array.ts";
import * as self from "./mod.ts";

export * from "./convert.ts";
export * from "./creation.ts";
export * from "./elementwise.ts";
export * from "./reduce.ts";
export * from "./shape.ts";
export * from "./indexing.ts";
export * from "./linalg.ts";
export * from "./format.ts";
export * from "./control.ts";
export * from "./sort.ts";
export * from "./trig.ts";
export * from "./numpy_extra.ts";
export * from "./statistics.ts";
export * from "./search.ts";
export * from "./linalg_decomp.ts";
export * from "./nn.ts";
export * from "./dynamic.ts";
export * from "./einsum.ts";

installOps(self);
