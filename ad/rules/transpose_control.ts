/**
 * Transpose rules of higher-order primitives.
 *
 * In a linear program these primitives appear as the *tangent* ops emitted by the JVP rules
 * (`jvp_control.ts`): some operands are known (primal values, residuals) and the others linear.
 * Their bodies are not linear as a whole: they recompute primal values from the known operands.
 * The rules therefore run `backwardPass` on the body with the known operands as its constants,
 * which evaluates the primal recomputation forward and transposes the rest.
 *
 * - `cond`: a `cond` on the same index whose branches are the transposed branches.
 * - `scan`: a scan in the opposite direction whose carry holds the carry cotangents plus the
 *   accumulated cotangents of linear loop-invariant operands; per-iteration cotangents of linear
 *   `xs` come out as its `ys`. Every carry is treated as linear (a tangent scan carries tangents
 *   only; a known carry there is an instantiated zero tangent, whose cotangent is dropped).
 * - `while`: not transposable (the trip count is only known at run time): a clear error.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import type { ShapedArray } from "../../core/aval.ts";
import { Jaxpr, type Var } from "../../core/jaxpr.ts";
import {
  type CondParams,
  derivedJitParams,
  type JitCallParams,
  mergeBranchConsts,
  type ScanParams,
  splitList,
} from "../../core/primitives/control.ts";
import { P } from "../../core/primitives/mod.ts";
import { hoistConsts, traceFlat } from "../../core/staging.ts";
import { bind } from "../../core/trace.ts";
import { add, astype, zeros } from "../../core/ops/mod.ts";
import { backwardPass } from "../linearize.ts";
import { type LinArg, UndefPrimal } from "../undef.ts";
import { JaxprMemo, maskKey } from "../memo.ts";
import type { TransposeRules } from "./transpose.ts";

type C = Array | null;

const isLin = (a: LinArg): a is UndefPrimal => a instanceof UndefPrimal;

/** A cotangent with the exact type of the value it belongs to (zeros for a symbolic zero). */
function ctLike(ct: C, aval: ShapedArray): Array {
  if (ct === null) return zeros(aval.shape, aval.dtype);
  return ct.dtype === aval.dtype ? ct : astype(ct, aval.dtype);
}

/** `jaxpr` with the inputs flagged `known` turned into constants (in order) and the rest inputs. */
function knownAsConsts(jaxpr: Jaxpr, known: boolean[]): Jaxpr {
  const pick = (k: boolean) => jaxpr.invars.filter((_, i) => known[i] === k);
  return new Jaxpr(pick(true), pick(false), jaxpr.eqns, jaxpr.outvars);
}

/** Fills the linear positions of `args` from `cts` in order; known positions get null. */
function perLinear(args: LinArg[], cts: C[]): C[] {
  let k = 0;
  return args.map((a) => (isLin(a) ? cts[k++] : null));
}

/**
 * The backward pass of a program is a program of its own: traced into a `jit_call` with the
 * forward call's options, so `grad(jit(f))` compiles (and runs on the device of) both passes.
 * Symbolic zero cotangents stay out of it, in and out.
 */
function jitCallTranspose(cts: C[], args: LinArg[], p: JitCallParams): C[] {
  const known = args.map((a) => !isLin(a));
  const ctMask = cts.map((c) => c !== null);
  const knownOps = args.filter((a) => !isLin(a)) as Array[];
  const ctIn = cts.filter((c): c is Array => c !== null);
  const { jaxpr, consts, nonzero } = transposeMemo.get(
    p.jaxpr,
    [maskKey(known), maskKey(ctMask), ...[...knownOps, ...ctIn].map((x) => avalKey(x.aval))].join(
      "|",
    ),
    () => traceTranspose(p.jaxpr, args, known, knownOps, ctMask, ctIn),
  );
  const outs = jaxpr.outvars.length === 0 ? [] : bind(
    P.jit_call,
    [...consts, ...knownOps, ...ctIn],
    derivedJitParams(p, jaxpr, `transpose(${p.name})`),
  );
  let k = 0;
  return perLinear(args, nonzero.map((nz) => (nz ? outs[k++] : null)));
}

/** A type as a cache key (weak types differ: they trace differently). */
const avalKey = (a: ShapedArray) => `${a.dtype}[${a.shape}]${a.weakType ? "w" : ""}`;

/** Backward programs per (jaxpr, known operands, nonzero cotangents and their types). */
const transposeMemo = new JaxprMemo<{ jaxpr: Jaxpr; consts: Array[]; nonzero: boolean[] }>();

/** Traces the backward pass of `jaxpr`: (known operands, nonzero cotangents) → cotangents. */
function traceTranspose(
  source: Jaxpr,
  args: LinArg[],
  known: boolean[],
  knownOps: Array[],
  ctMask: boolean[],
  ctIn: Array[],
): { jaxpr: Jaxpr; consts: Array[]; nonzero: boolean[] } {
  // Known operands become the constants of the program; linear ones stay its inputs.
  const reordered = knownAsConsts(source, known);
  const linAvals = args.filter(isLin).map((a) => a.aval);
  let nonzero: boolean[] = [];
  const { jaxpr, consts } = hoistConsts(traceFlat(
    (...a) => {
      const [kv, ctv] = splitList(a, [knownOps.length]);
      let k = 0;
      const r = backwardPass(reordered, kv, ctMask.map((m) => (m ? ctv[k++] : null)));
      nonzero = r.map((c) => c !== null);
      return r.flatMap((c, i) => (c === null ? [] : [ctLike(c, linAvals[i])]));
    },
    [...knownOps.map((o) => o.aval), ...ctIn.map((c) => c.aval)],
    "transpose",
  ));
  return { jaxpr, consts, nonzero };
}

function condTranspose(cts: C[], args: LinArg[], { branches }: CondParams): C[] {
  const [index, ...ops] = args;
  if (isLin(index)) throw new Error("transpose: the index of cond cannot be linear");
  const known = ops.map((a) => !isLin(a));
  const knownOps = ops.filter((a) => !isLin(a)) as Array[];
  const linAvals = ops.filter(isLin).map((a) => a.aval);
  // Only nonzero cotangents are passed in; the others stay symbolic zeros inside.
  const ctMask = cts.map((c) => c !== null);
  const ctIn = cts.filter((c): c is Array => c !== null);
  const traced = branches.map((b) => {
    const reordered = knownAsConsts(b, known);
    return hoistConsts(traceFlat(
      (...a) => {
        const [kv, ctv] = splitList(a, [knownOps.length]);
        let k = 0;
        const full = ctMask.map((m) => (m ? ctv[k++] : null));
        const r = backwardPass(reordered, kv, full);
        return r.map((c, i) => ctLike(c, linAvals[i]));
      },
      [...knownOps.map((o) => o.aval), ...ctIn.map((c) => c.aval)],
      "transpose",
    ));
  });
  const merged = mergeBranchConsts(traced);
  const res = bind(P.cond, [index, ...merged.consts, ...knownOps, ...ctIn], {
    branches: merged.branches,
  });
  return [null, ...perLinear(ops, res)];
}

function scanTranspose(
  cts: C[],
  args: LinArg[],
  { jaxpr, numConsts: nC, numCarry: nK, length, reverse }: ScanParams,
): C[] {
  const [c, carry, xs] = splitList(args, [nC, nK]);
  const [cv, kv, xv] = splitList<Var>(jaxpr.invars, [nC, nK]);
  const knownC = c.filter((a) => !isLin(a)) as Array[];
  const knownX = xs.filter((a) => !isLin(a)) as Array[];
  const linCAvals = c.filter(isLin).map((a) => a.aval);
  const linXAvals = xv.filter((_, i) => isLin(xs[i])).map((v) => v.aval);
  const carryAvals = kv.map((v) => v.aval);
  const yAvals = jaxpr.outAvals.slice(nK);
  // Body with the known consts and xs as constants; linear consts, all carries, linear xs as inputs.
  const reordered = new Jaxpr(
    [...cv.filter((_, i) => !isLin(c[i])), ...xv.filter((_, i) => !isLin(xs[i]))],
    [...cv.filter((_, i) => isLin(c[i])), ...kv, ...xv.filter((_, i) => isLin(xs[i]))],
    jaxpr.eqns,
    jaxpr.outvars,
  );
  const ctCarry = cts.slice(0, nK).map((ct, k) => ctLike(ct, carryAvals[k]));
  const yMask = cts.slice(nK).map((ct) => ct !== null);
  const ctYs = cts.slice(nK).filter((ct): ct is Array => ct !== null);
  const body = hoistConsts(traceFlat(
    (...a) => {
      const [kc, ctk, acc, kx, cty] = splitList(a, [
        knownC.length,
        nK,
        linCAvals.length,
        knownX.length,
      ]);
      let j = 0;
      const ctOut = [...ctk, ...yMask.map((m) => (m ? cty[j++] : null))];
      const r = backwardPass(reordered, [...kc, ...kx], ctOut);
      const [rc, rk, rx] = splitList(r, [linCAvals.length, nK]);
      return [
        ...rk.map((ct, k) => ctLike(ct, carryAvals[k])),
        ...acc.map((s, i) => (rc[i] === null ? s : add(s, ctLike(rc[i], linCAvals[i])))),
        ...rx.map((ct, i) => ctLike(ct, linXAvals[i])),
      ];
    },
    [
      ...knownC.map((x) => x.aval),
      ...carryAvals,
      ...linCAvals,
      ...xv.filter((_, i) => !isLin(xs[i])).map((v) => v.aval),
      ...yAvals.filter((_, i) => yMask[i]),
    ],
    "transpose",
  ));
  const res = bind(P.scan, [
    ...body.consts,
    ...knownC,
    ...ctCarry,
    ...linCAvals.map((a) => zeros(a.shape, a.dtype)),
    ...knownX,
    ...ctYs,
  ], {
    jaxpr: body.jaxpr,
    numConsts: body.consts.length + knownC.length,
    numCarry: nK + linCAvals.length,
    length,
    reverse: !reverse,
  });
  const [ctInit, ctC, ctX] = splitList(res, [nK, linCAvals.length]);
  return [
    ...perLinear(c, ctC),
    ...carry.map((a, k) => (isLin(a) ? ctInit[k] : null)),
    ...perLinear(xs, ctX),
  ];
}

/** Transpose rules for the control primitives. */
export const controlTransposeRules: Pick<TransposeRules, "jit_call" | "cond" | "scan" | "while"> = {
  /** A jitted call is transposed by running its program backwards (an outer jit fuses it). */
  jit_call: jitCallTranspose,
  cond: condTranspose,
  scan: scanTranspose,
  while: (): C[] => {
    throw new Error(
      "whileLoop: reverse-mode differentiation (grad, vjp, jacrev) of a while loop is not " +
        "supported: its trip count is only known at run time, so the values of its iterations " +
        "cannot be kept for the backward pass. Use scan, or foriLoop with JS-number (static) " +
        "bounds, which are reverse-differentiable; for an iterative solver, use customRoot to " +
        "differentiate the solution implicitly. Forward mode (jvp, jacfwd) works.",
    );
  },
};
