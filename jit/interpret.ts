/**
 * The reference interpreter of the kernel IR: slow, obviously correct, and the oracle the
 * renderers are tested against. It visits the domain in row-major order, evaluates the scalar DAG
 * at each point (with the semantics of `kernel_ir.ts`), stores `map` outputs and accumulates
 * `reduce` outputs in double precision.
 *
 * @module
 */
import { allocate, type TypedArray } from "../core/dtype.ts";
import { sizeOf, stridesOf } from "../core/shape.ts";
import { type Kernel, reduceInit, reduceStep } from "./kernel_ir.ts";
import { evalOp } from "./scalar_ops.ts";

/**
 * Runs a kernel on concrete input buffers; returns its output buffers.
 *
 * @example
 * ```ts
 * import { interpretKernel } from "./interpret.ts";
 * const [out] = interpretKernel({
 *   name: "k", domain: [3], reduceAxes: [0],
 *   inputs: [{ dtype: "float64", size: 3, name: "x" }],
 *   nodes: [{ kind: "load", input: 0, index: { offset: 0, coefs: [1] }, dtype: "float64" }],
 *   outputs: [{ node: 0, kind: "reduce", reduce: "sum", dtype: "float64", shape: [], name: "s" }],
 * }, [new Float64Array([1, 2, 3])]);
 * console.log(out[0]); // 6
 * ```
 */
export function interpretKernel(k: Kernel, inputs: readonly TypedArray[]): TypedArray[] {
  const r = k.domain.length;
  const total = sizeOf(k.domain);
  const kept = k.domain.map((_, d) => d).filter((d) => !k.reduceAxes.includes(d));
  const keptShape = kept.map((d) => k.domain[d]);
  const keptStrides = stridesOf(keptShape);
  const domStrides = stridesOf(k.domain);
  const outs = k.outputs.map((o) => allocate(o.dtype, sizeOf(o.shape)));
  const accs = k.outputs.map((o) =>
    o.kind === "reduce" ? new Float64Array(sizeOf(o.shape)).fill(reduceInit(o.reduce!)) : null
  );
  const idx = new globalThis.Array<number>(r).fill(0);
  const aff = (a: { offset: number; coefs: number[] }, at: number[]) => {
    let s = a.offset;
    for (let d = 0; d < r; d++) s += a.coefs[d] * at[d];
    return s;
  };
  // The value of node `i` at domain point `at` (memoised per point of the current iteration).
  let memo = new Map<string, number>();
  const val = (i: number, at: number[]): number => {
    const key = `${i}|${at}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    const n = k.nodes[i];
    let v: number;
    switch (n.kind) {
      case "const":
        v = n.value;
        break;
      case "index":
        v = aff(n.index, at);
        break;
      case "load": {
        const buf = inputs[n.input];
        // Out-of-range addresses (inactive branches of pad/concatenate) read a clamped element.
        v = buf[Math.min(Math.max(aff(n.index, at), 0), buf.length - 1)];
        break;
      }
      case "shift": {
        const shifted = [...at];
        shifted[n.axis] += n.by;
        v = val(n.of, shifted);
        break;
      }
      case "op":
        v = evalOp(
          n.op,
          n.args.map((a) => val(a, at)),
          n.args.map((a) => k.nodes[a].dtype),
          n.dtype,
        );
    }
    memo.set(key, v);
    return v;
  };
  for (let p = 0; p < total; p++) {
    let rem = p;
    for (let d = 0; d < r; d++) {
      idx[d] = Math.floor(rem / domStrides[d]);
      rem -= idx[d] * domStrides[d];
    }
    memo = new Map();
    const vals = k.outputs.map((o) => val(o.node, idx));
    let keptIndex = 0;
    kept.forEach((d, j) => (keptIndex += idx[d] * keptStrides[j]));
    k.outputs.forEach((o, j) => {
      const v = vals[j];
      if (o.kind === "map") outs[j][p] = v;
      else accs[j]![keptIndex] = reduceStep(o.reduce!, accs[j]![keptIndex], v);
    });
  }
  k.outputs.forEach((o, j) => {
    if (o.kind === "reduce") outs[j].set(accs[j]!);
  });
  return outs;
}
