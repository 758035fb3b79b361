/**
 * Matmul on WebGPU as a fused reduction: before planning, every float32/int32 `matmul`
 * `[..., m, k] × [..., k, n]` is rewritten into the equations
 *
 * ```
 * xb  = broadcast_in_dim(x, [..., m, k, n])     (a view)
 * yb  = broadcast_in_dim(y, [..., m, k, n])     (a view)
 * out = reduce_sum(xb · yb, axis k)             (k > 1; for k = 1 a reshape dropping the axis)
 * ```
 *
 * so the planner treats a matmul as any other reduction: its operands' elementwise producers and
 * views (W1's `[N, B]` KDE matrix of CDF differences, the transposes of the backward pass) are
 * inlined into the kernel and never materialised, sibling matmuls over the same domain share one
 * kernel, and the WGSL renderer picks the thread layout by the reduction's shape — a chunked
 * (split-K) reduction with per-thread partial sums for few outputs over a long inner dimension
 * (`[1, N] × [N, 25]`), per-output reductions split into chunks of the inner dimension otherwise —
 * with no cap on the inner dimension. A matmul with `k = 1` (an outer product) becomes elementwise.
 *
 * Float32 sums follow the WebGPU reduction contract of `gpu/README.md` (the error of a sum is up
 * to 1e-5 × the sum of magnitudes of its terms), as the routine they replace did.
 *
 * @module
 */
import { ShapedArray } from "../../core/aval.ts";
import { type Eqn, Jaxpr, Var } from "../../core/jaxpr.ts";
import { P } from "../../core/primitives/mod.ts";
import { inlineCalls } from "../fusion.ts";

/** True for the matmuls this module lowers (the dtypes the WGSL kernels compute). */
function lowered(e: Eqn): boolean {
  const dt = e.outputs[0]?.aval.dtype;
  return e.prim.name === "matmul" && (dt === "float32" || dt === "int32");
}

/** The equations computing `out = x @ y` from broadcasts, a product and a sum over `k`. */
function expand(e: Eqn): Eqn[] {
  const [x, y] = e.inputs;
  const out = e.outputs[0];
  const xs = x.aval.shape, r = xs.length;
  const [m, k] = xs.slice(-2), n = y.aval.shape[r - 1];
  const batch = xs.slice(0, -2);
  const shape = [...batch, m, k, n];
  const dtype = out.aval.dtype;
  const big = (weak: boolean) => new Var(new ShapedArray(shape, dtype, weak));
  const xb = big(x.aval.weakType), yb = big(y.aval.weakType), prod = big(out.aval.weakType);
  const batchDims = batch.map((_, i) => i);
  const eqns: Eqn[] = [
    {
      prim: P.broadcast_in_dim,
      inputs: [x],
      params: { shape, broadcastDimensions: [...batchDims, r - 2, r - 1] },
      outputs: [xb],
    },
    {
      prim: P.broadcast_in_dim,
      inputs: [y],
      params: { shape, broadcastDimensions: [...batchDims, r - 1, r] },
      outputs: [yb],
    },
    { prim: P.mul, inputs: [xb, yb], params: {}, outputs: [prod] },
  ];
  eqns.push(
    k === 1
      ? { prim: P.reshape, inputs: [prod], params: { shape: [...out.aval.shape] }, outputs: [out] }
      : { prim: P.reduce_sum, inputs: [prod], params: { axes: [r - 1] }, outputs: [out] },
  );
  return eqns;
}

/**
 * `jaxpr` (its calls inlined) with every float32/int32 `matmul` rewritten as a broadcast product
 * summed over the inner dimension, for the fusion planner; the same jaxpr when it has none.
 * Inputs and outputs are the same variables.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../../mod.ts";
 * import { lowerMatmuls } from "./matmul.ts";
 * const j = makeJaxpr((a, b) => a.matmul(b))(array([[1, 2]], "float32"), array([[3], [4]], "float32"));
 * console.log(lowerMatmuls(j.jaxpr).toString()); // broadcast_in_dim, mul, reduce_sum
 * ```
 */
export function lowerMatmuls(jaxpr: Jaxpr): Jaxpr {
  const j = inlineCalls(jaxpr);
  if (!j.eqns.some(lowered)) return j;
  const eqns = j.eqns.flatMap((e) => (lowered(e) ? expand(e) : [e]));
  return new Jaxpr(j.constvars, j.invars, eqns, j.outvars);
}
