/**
 * Batching rules of the custom-derivative and implicit-differentiation primitives. User callbacks
 * (jvp, fwd, bwd) are vmapped; user solvers, which may use JS control flow on concrete values, are
 * run once per example.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { zeros } from "../../core/ops/creation.ts";
import { sum } from "../../core/ops/reduce.ts";
import { slice, stack } from "../../core/ops/shape.ts";
import { indexAdd } from "../../core/ops/indexing.ts";
import type { CustomRootParams, LinearSolveParams, SolveFn } from "../../core/primitives/custom.ts";
import { P } from "../../core/primitives/mod.ts";
import { bind } from "../../core/trace.ts";
import type { FlatLinearSolver } from "../implicit.ts";
import { type BDim, moveBatchAxis, vmapFlat } from "../vmap.ts";
import { batchJaxpr } from "./batch_control.ts";
import type { BatchRules } from "./batch.ts";

const toFront = (vals: Array[], dims: BDim[], n: number) =>
  vals.map((v, i) => (dims[i] === null ? v : moveBatchAxis(v, dims[i], 0, n)));
const dimsOf = (mask: boolean[]): BDim[] => mask.map((b) => (b ? 0 : null));

/** Runs `f` (flat, any outputs) under vmap and moves every output's batch axis to the front. */
function vmapToFront(
  f: (...xs: Array[]) => Array[],
  args: Array[],
  mask: boolean[],
  n: number,
): Array[] {
  const [outs, od] = vmapFlat(f, args, dimsOf(mask), n);
  return outs.map((o, i) => moveBatchAxis(o, od[i], 0, n));
}

/** Runs a solver once per example on concrete arrays and stacks the answers. */
function perExample(solve: SolveFn, extra: number, mask: boolean[], n: number): SolveFn {
  return (cs0, b) => {
    const cs = cs0.slice(extra);
    const k = cs.length;
    const pick = (v: Array, batched: boolean, i: number) => (batched ? slice(v, i) : v);
    const answers: Array[][] = [];
    for (let i = 0; i < n; i++) {
      answers.push(
        solve(cs.map((c, j) => pick(c, mask[j], i)), b.map((v, j) => pick(v, mask[k + j], i))),
      );
    }
    return answers[0].map((_, j) => stack(answers.map((a) => a[j])));
  };
}

/** A tangent solver for a block-diagonal batched map: solves each example's block separately. */
function blockTangentSolve(tangentSolve: FlatLinearSolver, n: number): FlatLinearSolver {
  return (g, y) => {
    const answers: Array[][] = [];
    for (let i = 0; i < n; i++) {
      const embed = (v: Array[]) =>
        v.map((vi, j) => indexAdd(zeros(y[j].shape, y[j].dtype), i, vi));
      const gi = (v: Array[]) => g(embed(v)).map((o) => slice(o, i));
      answers.push(tangentSolve(gi, y.map((v) => slice(v, i))));
    }
    return answers[0].map((_, j) => stack(answers.map((a) => a[j])));
  };
}

/** Batching rules for the custom primitives. */
export const customBatchRules: Pick<
  BatchRules,
  "custom_jvp_call" | "custom_vjp_call" | "custom_lin" | "linear_solve" | "custom_root"
> = {
  custom_jvp_call: (vals, dims, p, n) => {
    const ops = toFront(vals, dims, n);
    const mask = dims.map((d) => d !== null);
    const { jaxpr, consts } = batchJaxpr(p.call, mask, n);
    const argMask = mask.slice(p.numConsts);
    const jvp = (primals: Array[], tangents: Array[]): [Array[], Array[]] => {
      const k = primals.length;
      const outs = vmapToFront(
        (...xs) => {
          const [o, t] = p.jvp(xs.slice(0, k), xs.slice(k));
          return [...o, ...t];
        },
        [...primals, ...tangents],
        [...argMask, ...argMask],
        n,
      );
      const m = outs.length / 2;
      return [outs.slice(0, m), outs.slice(m)];
    };
    const outs = bind(P.custom_jvp_call, [...consts, ...ops], {
      call: jaxpr,
      numConsts: consts.length + p.numConsts,
      jvp,
      name: p.name,
    });
    return [outs, outs.map(() => 0)];
  },
  custom_vjp_call: (vals, dims, p, n) => {
    const ops = toFront(vals, dims, n);
    const mask = dims.map((d) => d !== null);
    const { jaxpr, consts } = batchJaxpr(p.call, mask, n);
    const argMask = mask.slice(p.numConsts);
    const argAvals = p.call.inAvals.slice(p.numConsts);
    let numOut = 0;
    const fwd = (args: Array[]): [Array[], Array[]] => {
      const outs = vmapToFront(
        (...xs) => {
          const [o, r] = p.fwd(xs);
          numOut = o.length;
          return [...o, ...r];
        },
        args,
        argMask,
        n,
      );
      return [outs.slice(0, numOut), outs.slice(numOut)];
    };
    const bwd = (res: Array[], cts: Array[]) => {
      const nr = res.length;
      const outs = vmapToFront(
        (...xs) => {
          const g = p.bwd(xs.slice(0, nr), xs.slice(nr));
          return g.map((c: Array | null, i: number) =>
            c ?? zeros(argAvals[i].shape, argAvals[i].dtype)
          );
        },
        [...res, ...cts],
        [...res, ...cts].map(() => true),
        n,
      );
      // Unbatched arguments receive the cotangent summed over the batch.
      return outs.map((c, i) => (argMask[i] ? c : sum(c, 0)));
    };
    const outs = bind(P.custom_vjp_call, [...consts, ...ops], {
      call: jaxpr,
      numConsts: consts.length + p.numConsts,
      fwd,
      bwd,
      name: p.name,
    });
    return [outs, outs.map(() => 0)];
  },
  custom_lin: () => {
    throw new Error(
      "vmap: batching the linearized tangent of a customVjp function is not supported",
    );
  },
  linear_solve: (vals, dims, q, n) => {
    const ops = toFront(vals, dims, n);
    const mask = dims.map((d) => d !== null);
    const k = q.numConsts;
    const xMask = q.matvec.invars.slice(k).map(() => true);
    const mv = batchJaxpr(q.matvec, [...mask.slice(0, k), ...xMask], n);
    const extra = mv.consts.length;
    const b = ops.slice(k).map((v, j) => (mask[k + j] ? v : moveBatchAxis(v, null, 0, n)));
    const loopMask = [...mask.slice(0, k), ...xMask];
    const params: LinearSolveParams = {
      matvec: mv.jaxpr,
      numConsts: extra + k,
      solve: perExample(q.solve, extra, loopMask, n),
      transposeSolve: q.transposeSolve && perExample(q.transposeSolve, extra, loopMask, n),
      symmetric: q.symmetric,
    };
    const outs = bind(P.linear_solve, [...mv.consts, ...ops.slice(0, k), ...b], params);
    return [outs, outs.map(() => 0)];
  },
  custom_root: (vals, dims, q, n) => {
    const ops = toFront(vals, dims, n);
    const mask = dims.map((d) => d !== null);
    const k = q.numConsts;
    const xMask = q.f.invars.slice(k).map(() => true);
    const fb = batchJaxpr(q.f, [...mask.slice(0, k), ...xMask], n);
    const extra = fb.consts.length;
    const x0 = ops.slice(k).map((v, j) => (mask[k + j] ? v : moveBatchAxis(v, null, 0, n)));
    const params: CustomRootParams = {
      f: fb.jaxpr,
      numConsts: extra + k,
      solve: perExample(q.solve, extra, [...mask.slice(0, k), ...xMask], n),
      tangentSolve: blockTangentSolve(q.tangentSolve, n),
    };
    const outs = bind(P.custom_root, [...fb.consts, ...ops.slice(0, k), ...x0], params);
    return [outs, outs.map(() => 0)];
  },
};
