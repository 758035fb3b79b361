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
 * Float32 sums follow the WebGPU reduction contract of `jit/README.md` (the error of a sum is up
 * to 1e-5 × the sum of magnitudes of its terms), as the routine they replace did.
 *
 * @module
 */
import { ShapedArray } from "../../core/aval.ts";
import { type Atom, type Eqn, Jaxpr, Var } from "../../core/jaxpr.ts";
import { P } from "../../core/primitives/mod.ts";
import { fuseKind } from "../fuse_kind.ts";
import { inlineCalls } from "../inline_calls.ts";

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

/** Most output elements of a matmul whose operands are always inlined (a chunked reduction). */
const FEW_OUTPUTS = 160;

/**
 * Operands with at most this many elements are always inlined: the renderer tabulates or hoists
 * values of the reduced points (`ct @ frac.T`'s cotangent row), and recomputing the others costs
 * little.
 */
const SMALL_OPERAND = 4096;

/** Primitives that compute nothing (index arithmetic on their operand). */
const VIEWS = new Set([
  "broadcast_in_dim",
  "transpose",
  "reshape",
  "slice",
  "rev",
  "stop_gradient",
]);

/**
 * `jaxpr` (its calls inlined) with every float32/int32 `matmul` rewritten as a broadcast product
 * summed over the inner dimension, for the fusion planner (the same jaxpr when it has none; inputs
 * and outputs are the same variables), and the operands to `materialise`: in a matmul with many
 * output elements (threads over them, each looping over k), an inlined operand is recomputed for
 * every output column (x) or row (y), so a large one that computes something, read by more than
 * one column or row, is stored once instead, as it was when matmul was a routine. With few outputs
 * (W1's `[1, N] × [N, 25]`) the renderer unrolls the output elements and computes each operand
 * value once: nothing is stored.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr } from "../../mod.ts";
 * import { lowerMatmuls } from "./matmul.ts";
 * const j = makeJaxpr((a, b) => a.matmul(b))(array([[1, 2]], "float32"), array([[3], [4]], "float32"));
 * console.log(lowerMatmuls(j.jaxpr).jaxpr.toString()); // broadcast_in_dim, mul, reduce_sum
 * ```
 */
export function lowerMatmuls(jaxpr: Jaxpr): { jaxpr: Jaxpr; materialise: Set<Var> } {
  const j = inlineCalls(jaxpr);
  const materialise = new Set<Var>();
  if (!j.eqns.some(lowered)) return { jaxpr: j, materialise };
  const producer = new Map<Var, Eqn>();
  for (const e of j.eqns) for (const v of e.outputs) producer.set(v, e);
  // True when `a` is a program input, a literal or views of one (nothing to recompute), or a value
  // the planner stores anyway (a reduction or routine result, or views of one).
  const stored = (a: Atom): boolean => {
    if (!(a instanceof Var)) return true;
    const e = producer.get(a);
    if (!e) return true;
    if (VIEWS.has(e.prim.name)) return stored(e.inputs[0]);
    const k = fuseKind(e);
    return k === null || k === "reduce";
  };
  for (const e of j.eqns) {
    if (!lowered(e)) continue;
    const [x, y] = e.inputs;
    const [m, n] = e.outputs[0].aval.shape.slice(-2);
    if (e.outputs[0].aval.size <= FEW_OUTPUTS) continue;
    const costly = (a: Atom): a is Var =>
      a instanceof Var && a.aval.size > SMALL_OPERAND && !stored(a);
    if (n > 1 && costly(x)) materialise.add(x);
    if (m > 1 && costly(y)) materialise.add(y);
  }
  const eqns = j.eqns.flatMap((e) => (lowered(e) ? expand(e) : [e]));
  return { jaxpr: new Jaxpr(j.constvars, j.invars, eqns, j.outvars), materialise };
}
