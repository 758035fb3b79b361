/**
 * Batching rules of the decompositions (`eigh`, `svd`, `qr`: they map over leading axes like the
 * other linear-algebra primitives) and of `searchsorted` (both operands' batch axes to the front).
 *
 * @module
 */
import { P } from "../../core/primitives/mod.ts";
import { bind1 } from "../../core/trace.ts";
import { moveBatchAxis } from "../vmap.ts";
import type { BatchRules } from "./batch.ts";
import { overLeadingAxes } from "./batch_linalg.ts";

/**
 * Batching rules of the decomposition and search primitives.
 *
 * @example
 * ```ts
 * import { numpyBatchRules } from "./batch_numpy.ts";
 * typeof numpyBatchRules.eigh; // "function"
 * ```
 */
export const numpyBatchRules: Pick<BatchRules, "eigh" | "svd" | "qr" | "searchsorted"> = {
  eigh: overLeadingAxes("eigh"),
  svd: overLeadingAxes("svd"),
  qr: overLeadingAxes("qr"),
  searchsorted: (xs, dims, params, n) => {
    const front = xs.map((x, i) => moveBatchAxis(x, dims[i], 0, n));
    return [[bind1(P.searchsorted, front, params)], [0]];
  },
};
