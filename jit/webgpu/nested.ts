/**
 * Two reduction levels in one WebGPU kernel: a plan rewrite run before rendering. A kernel `A`
 * that sums over a few points (≤ 64: the bins of a histogram) per element of its kept domain (the
 * events), feeding only a kernel `B` over exactly those elements that is *linear* in `A`'s sums
 * (every output a sum over its domain of terms of the form `A-sum × factor`, as every backward
 * pass is in its cotangents), becomes one kernel over `B`'s domain plus `A`'s reduced axes:
 *
 * ```
 * B:  out = Σ_i f_i(Σ_j a_ij)        f_i linear and homogeneous
 * →   out = Σ_i Σ_j f_i(a_ij)        one chunked reduction, bins unrolled inside each event
 * ```
 *
 * so W1's backward pass (per event: Σ over bins of the histogram cotangent times the KDE row, then
 * the chain rule through the soft cuts, summed over events) runs as the hand-written kernels do: one
 * pass over the events, the per-event sums never written to memory. The sums are reassociated: the
 * float32 error is then relative to the sum of magnitudes of the innermost terms.
 *
 * @module
 */
import { stridesOf } from "../../core/shape.ts";
import { type Plan, type PlanStep, printPlan } from "../plan.ts";
import type { Affine, Kernel, KernelInput, KNode } from "../kernel_ir.ts";
import { wgslStrategy } from "./wgsl.ts";

/** Most points `A` sums per element (they are unrolled inside the merged kernel's loop). */
const MAX_INNER = 64;

type KernelStep = Extract<PlanStep, { kind: "kernel" }>;

/**
 * Degree of each node of `k` in the values loaded from the inputs `lin`: 0 (independent of them),
 * 1 (linear and homogeneous in them) or -1 (neither).
 */
function degrees(k: Kernel, lin: Set<number>): number[] {
  const deg: number[] = [];
  const isZero = (i: number) => {
    const n = k.nodes[i];
    return n.kind === "const" && n.value === 0;
  };
  k.nodes.forEach((n, i) => {
    if (n.kind === "load") return void (deg[i] = lin.has(n.input) ? 1 : 0);
    if (n.kind === "index" || n.kind === "const") return void (deg[i] = 0);
    if (n.kind === "shift") return void (deg[i] = deg[n.of] === 0 ? 0 : -1);
    const d = n.args.map((a) => deg[a]);
    if (d.every((x) => x === 0)) return void (deg[i] = 0);
    if (d.includes(-1)) return void (deg[i] = -1);
    switch (n.op) {
      case "neg":
        deg[i] = d[0];
        break;
      case "add":
      case "sub":
        deg[i] = d[0] === d[1] ? 1 : -1;
        break;
      case "mul":
        deg[i] = d[0] + d[1] === 1 ? 1 : -1;
        break;
      case "div":
        deg[i] = d[0] === 1 && d[1] === 0 ? 1 : -1;
        break;
      case "select": {
        // select(p, x, y): p independent; x, y linear or the constant 0.
        const ok = d[0] === 0 && [1, 2].every((a) => d[a] === 1 || isZero(n.args[a]));
        deg[i] = ok ? 1 : -1;
        break;
      }
      default:
        deg[i] = -1;
    }
  });
  return deg;
}

/** Symbolic coefficients: a node id, or the constants one and zero. */
const ONE = -1, ZERO = -2;

/**
 * Output node `out` of `B` (linear and homogeneous in its loads of A's sums, `subB`) rewritten in
 * the merged kernel's `nodes` as `Σ_q c_q · a_q`: the coefficient `c_q` of each of A's values `a_q`
 * (the product of the factors on its paths to the output) depends on B's point only, so it is
 * computed once per element of B (an event), not once per inner point (a bin).
 */
function factored(
  B: Kernel,
  deg: number[],
  ids: number[],
  subB: number[],
  nodes: KNode[],
  out: number,
): number {
  const dtype = B.nodes[out].dtype;
  const push = (op: string, args: number[]) => nodes.push({ kind: "op", op, args, dtype }) - 1;
  const mul = (x: number, y: number) =>
    x === ZERO || y === ZERO ? ZERO : x === ONE ? y : y === ONE ? x : push("mul", [x, y]);
  const neg = (x: number) =>
    x === ZERO ? ZERO : x === ONE ? nodes.push({ kind: "const", value: -1, dtype }) - 1 : push(
      "neg",
      [x],
    );
  const add = (x: number, y: number) => (x === ZERO ? y : y === ZERO ? x : push("add", [
    x === ONE ? nodes.push({ kind: "const", value: 1, dtype }) - 1 : x,
    y === ONE ? nodes.push({ kind: "const", value: 1, dtype }) - 1 : y,
  ]));
  const memo = new Map<string, number>();
  // The coefficient of A's value `q` (a B node loading it) in B's node `i`.
  const coef = (i: number, q: number): number => {
    if (deg[i] === 0) return ZERO;
    const key = `${i}|${q}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    const n = B.nodes[i];
    let c = ZERO;
    if (n.kind === "load") c = i === q ? ONE : ZERO;
    else if (n.kind === "op") {
      const [x, y, z] = n.args;
      if (n.op === "neg") c = neg(coef(x, q));
      else if (n.op === "add") c = add(coef(x, q), coef(y, q));
      else if (n.op === "sub") c = add(coef(x, q), neg(coef(y, q)));
      else if (n.op === "mul") c = deg[x] === 1 ? mul(coef(x, q), ids[y]) : mul(ids[x], coef(y, q));
      else if (n.op === "div") {
        const cx = coef(x, q);
        c = cx === ZERO ? ZERO : push("div", [
          cx === ONE ? nodes.push({ kind: "const", value: 1, dtype }) - 1 : cx,
          ids[y],
        ]);
      } else if (n.op === "select") {
        const cy = coef(y, q), cz = coef(z, q);
        const lit = (v: number) =>
          v === ZERO || v === ONE
            ? nodes.push({ kind: "const", value: v === ONE ? 1 : 0, dtype }) - 1
            : v;
        c = cy === ZERO && cz === ZERO ? ZERO : push("select", [ids[x], lit(cy), lit(cz)]);
      }
    }
    memo.set(key, c);
    return c;
  };
  let sum = ZERO;
  subB.forEach((a, q) => {
    if (a !== undefined) sum = add(sum, mul(coef(out, q), a));
  });
  return sum === ZERO ? nodes.push({ kind: "const", value: 0, dtype }) - 1 : sum;
}

const isSum = (k: Kernel) => k.outputs.every((o) => o.kind === "reduce" && o.reduce === "sum");

/** The merged kernel and its input buffers, or null when `a` and `b` do not have the pattern. */
function merge(a: KernelStep, b: KernelStep): { kernel: Kernel; inputs: number[] } | null {
  const A = a.kernel, B = b.kernel;
  if (!isSum(A) || !isSum(B) || !A.reduceAxes.length) return null;
  const kept = A.domain.map((_, d) => d).filter((d) => !A.reduceAxes.includes(d));
  const inner = A.reduceAxes.map((d) => A.domain[d]);
  if (inner.reduce((p, n) => p * n, 1) > MAX_INNER) return null;
  // A's kept axes are B's axes, up to axes of size 1 (`[1, N]` from a matmul row vector).
  const big = (shape: number[]) => shape.map((_, d) => d).filter((d) => shape[d] !== 1);
  const keptBig = kept.filter((d) => A.domain[d] !== 1), bBig = big(B.domain);
  const sizes = (dom: number[], axes: number[]) => axes.map((d) => dom[d]).join();
  if (sizes(A.domain, keptBig) !== sizes(B.domain, bBig)) return null;
  // B's inputs holding A's outputs, each read at B's own point only.
  const fromA = new Map<number, number>(); // B input → A output
  b.inputs.forEach((buf, i) => {
    const j = a.outputs.indexOf(buf);
    if (j >= 0) fromA.set(i, j);
  });
  const strides = stridesOf(B.domain);
  for (const n of B.nodes) {
    if (n.kind !== "load" || !fromA.has(n.input)) continue;
    if (n.index.offset !== 0 || n.index.coefs.some((c, d) => c !== strides[d])) return null;
  }
  const deg = degrees(B, new Set(fromA.keys()));
  if (B.outputs.some((o) => deg[o.node] !== 1)) return null;

  // Merged domain: B's axes, then A's reduced axes.
  const rB = B.domain.length;
  const domain = [...B.domain, ...inner];
  // Merged axis of each axis of A (-1: a kept axis of size 1, whose index is always 0).
  const axisOfA = A.domain.map((_, d) =>
    A.reduceAxes.includes(d)
      ? rB + A.reduceAxes.indexOf(d)
      : A.domain[d] === 1
      ? -1
      : bBig[keptBig.indexOf(d)]
  );
  const inputs: KernelInput[] = [];
  const bufs: number[] = [];
  const inputOf = (buf: number, ki: KernelInput) => {
    let i = bufs.indexOf(buf);
    if (i < 0) i = inputs.push(ki) - 1, bufs.push(buf);
    return i;
  };
  const nodes: KNode[] = [];
  const fromAffine = (x: Affine, axis: (d: number) => number): Affine => {
    const coefs = domain.map(() => 0);
    x.coefs.forEach((c, d) => {
      if (axis(d) >= 0) coefs[axis(d)] += c;
    });
    return { offset: x.offset, coefs };
  };
  const importNodes = (k: Kernel, buf: number[], axis: (d: number) => number, sub: number[]) => {
    const ids: number[] = [];
    k.nodes.forEach((n, i) => {
      if (sub[i] !== undefined) return void ids.push(sub[i]);
      let m: KNode;
      if (n.kind === "load") {
        m = {
          ...n,
          input: inputOf(buf[n.input], k.inputs[n.input]),
          index: fromAffine(n.index, axis),
        };
      } else if (n.kind === "index") m = { ...n, index: fromAffine(n.index, axis) };
      else if (n.kind === "shift") m = { ...n, of: ids[n.of], axis: axis(n.axis) };
      else if (n.kind === "op") m = { ...n, args: n.args.map((x) => ids[x]) };
      else m = { ...n };
      ids.push(nodes.push(m) - 1);
    });
    return ids;
  };
  const idsA = importNodes(A, a.inputs, (d) => axisOfA[d], []);
  const subB: number[] = [];
  B.nodes.forEach((n, i) => {
    if (n.kind === "load" && fromA.has(n.input)) {
      subB[i] = idsA[A.outputs[fromA.get(n.input)!].node];
    }
  });
  const idsB = importNodes(B, b.inputs, (d) => d, subB);
  const kernel: Kernel = {
    name: `${A.name}+${B.name}`,
    domain,
    reduceAxes: [...B.reduceAxes, ...inner.map((_, q) => rB + q)],
    inputs,
    nodes,
    outputs: B.outputs.map((o) => ({ ...o, node: factored(B, deg, idsB, subB, nodes, o.node) })),
  };
  return { kernel, inputs: bufs };
}

/**
 * `plan` with every pair of kernels of the two-level pattern merged into one kernel (at the
 * position of the first: every other input of the second is computed by then) that binds at most
 * `maxBuffersPerKernel` inputs and outputs; the same plan when there is none.
 *
 * @example
 * ```ts ignore
 * const plan = fuseTwoLevel(planJaxpr(jaxpr));
 * ```
 */
export function fuseTwoLevel(plan: Plan, maxBuffersPerKernel = Infinity): Plan {
  let p = plan;
  for (let k = 0; k < p.steps.length; k++) {
    const merged = mergeAt(p, k, maxBuffersPerKernel);
    if (merged) p = merged, k--;
  }
  return p;
}

/** The plan with step `a` merged with its only consumer, or null. */
function mergeAt(plan: Plan, a: number, maxBuffers: number): Plan | null {
  const sa = plan.steps[a];
  if (sa.kind !== "kernel" || sa.outputs.some((o) => plan.outputs.includes(o))) return null;
  const users = plan.steps.map((s, k) => (s.inputs.some((x) => sa.outputs.includes(x)) ? k : -1))
    .filter((k) => k >= 0);
  if (users.length !== 1) return null;
  const b = users[0], sb = plan.steps[b];
  if (sb.kind !== "kernel") return null;
  // B's other inputs must exist when A runs.
  const producedBy = (buf: number) => {
    const src = plan.buffers[buf].source;
    return src.kind === "step" ? src.step : -1;
  };
  if (sb.inputs.some((x) => !sa.outputs.includes(x) && producedBy(x) >= a)) return null;
  const m = merge(sa, sb);
  // Only where the merged kernel is a chunked reduction (B: few outputs over many elements), whose
  // loop unrolls A's few reduced points inside each of B's.
  if (!m || wgslStrategy(m.kernel) !== "chunked") return null;
  if (m.inputs.length + sb.outputs.length > maxBuffers) return null; // the device's binding limit
  const steps: PlanStep[] = plan.steps.filter((_, k) => k !== b);
  steps[a] = { kind: "kernel", kernel: m.kernel, inputs: m.inputs, outputs: sb.outputs };
  const freeAfter = plan.freeAfter.map((f) => [...f]);
  freeAfter[b - 1].push(...freeAfter[b]);
  freeAfter.splice(b, 1);
  const buffers = plan.buffers.map((buf) => {
    const src = buf.source;
    if (src.kind !== "step" || src.step < b) return buf;
    return { ...buf, source: { kind: "step" as const, step: src.step === b ? a : src.step - 1 } };
  });
  const out: Plan = { ...plan, steps, freeAfter, buffers, toString: () => printPlan(out) };
  return out;
}
