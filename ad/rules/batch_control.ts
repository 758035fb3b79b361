/**
 * Batching rules of higher-order primitives. Bodies are batched with {@link batchJaxpr}; loop
 * carries are batched when their initial value is or when the body makes them vary along the batch
 * (a fixed point). Data-dependent control flow on a batched value becomes per-example selection:
 * - `cond` with a batched index runs every branch and selects each example's result;
 * - `while` with a batched predicate runs while any example continues, and `select` keeps the
 *   carries of finished examples unchanged.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { ShapedArray } from "../../core/aval.ts";
import { evalJaxpr, type Jaxpr } from "../../core/jaxpr.ts";
import {
  type CondParams,
  derivedJitParams,
  type JitCallParams,
  mergeBranchConsts,
  type ScanParams,
  splitList,
  type WhileParams,
} from "../../core/primitives/control.ts";
import { P } from "../../core/primitives/mod.ts";
import { hoistConsts, traceFlat } from "../../core/staging.ts";
import { bind } from "../../core/trace.ts";
import { astype, clip, equal, greater, max, reshape, where } from "../../core/ops/mod.ts";
import { type BDim, moveBatchAxis, vmapFlat } from "../vmap.ts";
import { JaxprMemo, maskKey } from "../memo.ts";
import type { BatchRules } from "./batch.ts";

/**
 * The batched version of a jaxpr: operands with a batch axis (flagged in `batched`) carry it at
 * axis 0; outputs flagged in `outBatched` (all by default) are batched at axis 0, the others must
 * not vary along the batch. Returned closure-converted (constants first).
 *
 * @example
 * ```ts ignore
 * // Body (c, x) with x batched: every output gets a leading batch axis of size 8.
 * const { jaxpr, consts } = batchJaxpr(body, [false, true], 8);
 * ```
 */
export function batchJaxpr(
  jaxpr: Jaxpr,
  batched: boolean[],
  axisSize: number,
  outBatched?: boolean[],
): { jaxpr: Jaxpr; consts: Array[] } {
  const key = `${maskKey(batched)}|${axisSize}|${outBatched ? maskKey(outBatched) : ""}`;
  return batchMemo.get(jaxpr, key, () => traceBatchJaxpr(jaxpr, batched, axisSize, outBatched));
}

/** Batched programs per (jaxpr, batched mask, axis size, forced-unbatched outputs). */
const batchMemo = new JaxprMemo<{ jaxpr: Jaxpr; consts: Array[] }>();

function traceBatchJaxpr(
  jaxpr: Jaxpr,
  batched: boolean[],
  axisSize: number,
  outBatched?: boolean[],
): { jaxpr: Jaxpr; consts: Array[] } {
  const traced = traceFlat(
    (...args) => {
      const [outs, dims] = vmapFlat(
        (...xs) => evalJaxpr(jaxpr, [], xs),
        args,
        batched.map((b) => (b ? 0 : null)),
        axisSize,
      );
      return outs.map((o, i) => {
        if (outBatched && !outBatched[i]) {
          if (dims[i] !== null) {
            throw new Error(`vmap: output ${i} of a body was expected unbatched`);
          }
          return o;
        }
        return moveBatchAxis(o, dims[i], 0, axisSize);
      });
    },
    batchedAvals(jaxpr.inAvals, batched, axisSize),
    "vmap",
  );
  return hoistConsts(traced);
}

function batchedAvals(avals: ShapedArray[], batched: boolean[], n: number): ShapedArray[] {
  return avals.map((a, i) =>
    batched[i] ? new ShapedArray([n, ...a.shape], a.dtype, a.weakType) : a
  );
}

/** Which outputs of `jaxpr` vary along the batch when the inputs flagged in `batched` do. */
function outBatchedOf(jaxpr: Jaxpr, batched: boolean[], n: number): boolean[] {
  let res: boolean[] = [];
  traceFlat(
    (...args) => {
      const dims = batched.map((b) => (b ? 0 : null));
      res = vmapFlat((...xs) => evalJaxpr(jaxpr, [], xs), args, dims, n)[1].map((d) => d !== null);
      return [];
    },
    batchedAvals(jaxpr.inAvals, batched, n),
    "vmap",
  );
  return res;
}

/** Batched loop carries: the least fixed point of "init batched or body output batched". */
function carryFixedPoint(
  body: Jaxpr,
  before: boolean[],
  carry: boolean[],
  after: boolean[],
  n: number,
): boolean[] {
  for (;;) {
    const out = outBatchedOf(body, [...before, ...carry, ...after], n);
    const next = carry.map((b, k) => b || out[k]);
    if (next.every((b, k) => b === carry[k])) return carry;
    carry = next;
  }
}

/** Operands with their batch axis at 0 where flagged (broadcast if unbatched), untouched elsewhere. */
function toFront(vals: Array[], dims: BDim[], want: boolean[], n: number): Array[] {
  return vals.map((v, i) => (want[i] ? moveBatchAxis(v, dims[i], 0, n) : v));
}

/** `mask ? a : b` per example: `mask` has shape [n], `a`/`b` are batched at axis 0. */
function selectExamples(mask: Array, a: Array, b: Array): Array {
  return where(reshape(mask, [mask.shape[0], ...a.shape.slice(1).map(() => 1)]), a, b);
}

function jitCallBatch(
  vals: Array[],
  dims: BDim[],
  params: JitCallParams,
  n: number,
): [Array[], BDim[]] {
  const batched = dims.map((d) => d !== null);
  const args = toFront(vals, dims, batched, n);
  const { jaxpr, consts } = batchJaxpr(params.jaxpr, batched, n);
  const outs = bind(
    P.jit_call,
    [...consts, ...args],
    derivedJitParams(params, jaxpr, `vmap(${params.name})`),
  );
  return [outs, outs.map(() => 0)];
}

function condBatch(vals: Array[], dims: BDim[], params: CondParams, n: number): [Array[], BDim[]] {
  const { branches } = params;
  const [index, ...ops] = vals;
  const [di, ...dops] = dims;
  const batched = dops.map((d) => d !== null);
  const args = toFront(ops, dops, batched, n);
  const bs = branches.map((b) => batchJaxpr(b, batched, n));
  if (di === null) {
    const merged = mergeBranchConsts(bs);
    const outs = bind(P.cond, [index, ...merged.consts, ...args], { branches: merged.branches });
    return [outs, outs.map(() => 0)];
  }
  // A batched index: every branch runs on the whole batch; each example keeps its branch's result.
  const idx = clip(moveBatchAxis(index, di, 0, n), 0, branches.length - 1);
  const results = bs.map((b) => evalJaxpr(b.jaxpr, [], [...b.consts, ...args]));
  let outs = results[0];
  for (let b = 1; b < results.length; b++) {
    const pick = equal(idx, b);
    outs = outs.map((o, k) => selectExamples(pick, results[b][k], o));
  }
  return [outs, outs.map(() => 0)];
}

function whileBatch(
  vals: Array[],
  dims: BDim[],
  params: WhileParams,
  n: number,
): [Array[], BDim[]] {
  const { condJaxpr, bodyJaxpr, condNConsts: nCC, bodyNConsts: nBC } = params;
  const [cc, bc, init] = splitList(vals, [nCC, nBC]);
  const [dcc, dbc, dinit] = splitList(dims, [nCC, nBC]);
  const ccB = dcc.map((d) => d !== null), bcB = dbc.map((d) => d !== null);
  let carryB = carryFixedPoint(bodyJaxpr, bcB, dinit.map((d) => d !== null), [], n);
  const predBatched = outBatchedOf(condJaxpr, [...ccB, ...carryB], n)[0];
  // With a batched predicate every carry may stop at a different step, so all are batched.
  if (predBatched) carryB = carryB.map(() => true);
  const ccs = toFront(cc, dcc, ccB, n), bcs = toFront(bc, dbc, bcB, n);
  const carry = toFront(init, dinit, carryB, n);
  const condB = batchJaxpr(condJaxpr, [...ccB, ...carryB], n, [predBatched]);
  const bodyB = batchJaxpr(bodyJaxpr, [...bcB, ...carryB], n, carryB);
  const outDims = carryB.map((b) => (b ? 0 : null));
  if (!predBatched) {
    const outs = bind(P.while, [...condB.consts, ...ccs, ...bodyB.consts, ...bcs, ...carry], {
      condJaxpr: condB.jaxpr,
      bodyJaxpr: bodyB.jaxpr,
      condNConsts: condB.consts.length + nCC,
      bodyNConsts: bodyB.consts.length + nBC,
    });
    return [outs, outDims];
  }
  // Run while any example continues; finished examples keep their carry.
  const pred = (c: Array[], k: Array[]) =>
    evalJaxpr(condB.jaxpr, [], [...condB.consts, ...c, ...k])[0];
  const carryAvals = carry.map((c) => c.aval);
  const anyCond = hoistConsts(traceFlat(
    (...a) => {
      const [c, k] = splitList(a, [nCC]);
      return [greater(max(astype(pred(c, k), "int32")), 0)];
    },
    [...ccs.map((c) => c.aval), ...carryAvals],
    "vmap",
  ));
  const maskedBody = hoistConsts(traceFlat(
    (...a) => {
      const [c, b, k] = splitList(a, [nCC, nBC]);
      const active = pred(c, k);
      const next = evalJaxpr(bodyB.jaxpr, [], [...bodyB.consts, ...b, ...k]);
      return next.map((v, i) => selectExamples(active, v, k[i]));
    },
    [...ccs.map((c) => c.aval), ...bcs.map((c) => c.aval), ...carryAvals],
    "vmap",
  ));
  const outs = bind(P.while, [
    ...anyCond.consts,
    ...ccs,
    ...maskedBody.consts,
    ...ccs,
    ...bcs,
    ...carry,
  ], {
    condJaxpr: anyCond.jaxpr,
    bodyJaxpr: maskedBody.jaxpr,
    condNConsts: anyCond.consts.length + nCC,
    bodyNConsts: maskedBody.consts.length + nCC + nBC,
  });
  return [outs, outDims];
}

function scanBatch(vals: Array[], dims: BDim[], params: ScanParams, n: number): [Array[], BDim[]] {
  const { jaxpr, numConsts: nC, numCarry: nK, length, reverse } = params;
  const [c, init, xs] = splitList(vals, [nC, nK]);
  const [dc, dinit, dxs] = splitList(dims, [nC, nK]);
  const cB = dc.map((d) => d !== null), xB = dxs.map((d) => d !== null);
  const carryB = carryFixedPoint(jaxpr, cB, dinit.map((d) => d !== null), xB, n);
  const nY = jaxpr.outvars.length - nK;
  // The scanned axis stays at 0, so batched xs carry their batch axis at 1 (0 inside the body).
  const xsB = xs.map((x, i) => (xB[i] ? moveBatchAxis(x, dxs[i], 1, n) : x));
  const body = batchJaxpr(jaxpr, [...cB, ...carryB, ...xB], n, [
    ...carryB,
    ...new globalThis.Array<boolean>(nY).fill(true),
  ]);
  const outs = bind(P.scan, [
    ...body.consts,
    ...toFront(c, dc, cB, n),
    ...toFront(init, dinit, carryB, n),
    ...xsB,
  ], { jaxpr: body.jaxpr, numConsts: body.consts.length + nC, numCarry: nK, length, reverse });
  return [outs, [...carryB.map((b) => (b ? 0 : null)), ...new globalThis.Array<BDim>(nY).fill(1)]];
}

/** Batching rules for the control primitives. */
export const controlBatchRules: Pick<BatchRules, "jit_call" | "cond" | "while" | "scan"> = {
  jit_call: jitCallBatch,
  cond: condBatch,
  while: whileBatch,
  scan: scanBatch,
};
