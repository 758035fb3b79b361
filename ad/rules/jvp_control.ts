/**
 * JVP rules of the higher-order primitives (whose parameters hold jaxprs).
 *
 * Two shapes of rule, chosen by {@link underPartialEval}:
 * - Forward mode (no `linearize` in progress): one *joint* op whose body is the JVP of the original
 *   body and returns primal and tangent outputs together (one pass, like JAX's forward mode).
 * - Under `linearize` (reverse mode): a *primal* op on the primal operands only, plus a separate
 *   *tangent* op whose inputs are primal operands/residuals and tangents and whose outputs are only
 *   tangents; its body recomputes the primal values it needs. The linearize trace runs the primal
 *   op now (its inputs are known) and stages only the tangent op, whose transpose rule
 *   (`transpose_control.ts`) runs `backwardPass` on its body. A joint op would be staged whole,
 *   making the primal outputs unknown. For `scan`, the primal op also returns each iteration's
 *   input carry (stacked) as residuals, so the tangent scan recomputes step i from (carry_i, x_i).
 *
 * Tangent operands exist only for float values with a nonzero tangent; which loop carries have one
 * is found by a fixed point (a carry's tangent is nonzero if its initial tangent or the body's
 * output tangent is).
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import type { ShapedArray } from "../../core/aval.ts";
import { isFloat } from "../../core/dtype.ts";
import { dce, evalJaxpr, Jaxpr } from "../../core/jaxpr.ts";
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
import { hoistConsts, StagingTrace, traceFlat } from "../../core/staging.ts";
import { bind, currentTrace, type Trace } from "../../core/trace.ts";
import { instantiate, jvpFlat } from "../jvp.ts";
import { JaxprMemo, maskKey } from "../memo.ts";
import type { JvpRules } from "./jvp.ts";

type T = Array | null;

/**
 * True when a `linearize` (partial evaluation) is in progress in the current trace or one of its
 * ancestors. Rules then keep primal and tangent work in separate ops (see the module doc).
 *
 * @example
 * ```ts ignore
 * if (underPartialEval()) emitPrimalThenTangentOps(); else emitJointOp();
 * ```
 */
export function underPartialEval(): boolean {
  for (let t: Trace | null = currentTrace(); t; t = t.parent) {
    if (t instanceof StagingTrace && !t.stageAll) return true;
  }
  return false;
}

/**
 * The JVP of a jaxpr as a jaxpr: inputs are the primals then the tangents of the inputs flagged in
 * `nonzero`; outputs are the primal outputs then all output tangents (instantiated).
 * Returns it closure-converted (constants first).
 *
 * @example
 * ```ts ignore
 * const { jaxpr, consts } = jvpJaxpr(body, [true, false]); // tangent for input 0 only
 * const outs = evalJaxpr(jaxpr, [], [...consts, x0, x1, t0]); // [...primals, ...tangents]
 * ```
 */
export function jvpJaxpr(jaxpr: Jaxpr, nonzero: boolean[]): JvpProgram {
  return jvpMemo.get(jaxpr, maskKey(nonzero), () => traceJvpJaxpr(jaxpr, nonzero));
}

/**
 * The JVP program of a jaxpr ({@link jvpJaxpr}).
 *
 * @example
 * ```ts ignore
 * const p: JvpProgram = jvpJaxpr(body, [true]);
 * ```
 */
export interface JvpProgram {
  /** (consts, primals, nonzero tangents) → (primal outputs, tangent outputs). */
  jaxpr: Jaxpr;
  /** Its constants. */
  consts: Array[];
  /** The same computing the tangent outputs only (made on demand, under partial evaluation). */
  tanOnly?: Jaxpr;
}

/** JVP programs per (jaxpr, nonzero mask). */
const jvpMemo = new JaxprMemo<JvpProgram>();

function traceJvpJaxpr(jaxpr: Jaxpr, nonzero: boolean[]): { jaxpr: Jaxpr; consts: Array[] } {
  const n = jaxpr.invars.length;
  const tanAvals = jaxpr.inAvals.filter((_, i) => nonzero[i]).map((a) => a.strengthen());
  const traced = traceFlat(
    (...args) => {
      const primals = args.slice(0, n);
      let k = n;
      const tangents = nonzero.map((nz) => (nz ? args[k++] : null));
      const [outs, touts] = jvpFlat((...xs) => evalJaxpr(jaxpr, [], xs), primals, tangents);
      return [...outs, ...touts.map((t, i) => instantiate(t, outs[i]))];
    },
    [...jaxpr.inAvals, ...tanAvals],
    "jvp",
  );
  return hoistConsts(traced);
}

/** Evaluates `jaxpr` under a JVP: primal outputs and their tangents (null = zero). */
function jvpEval(jaxpr: Jaxpr, primals: Array[], tangents: T[]): [Array[], T[]] {
  return jvpFlat((...xs) => evalJaxpr(jaxpr, [], xs), primals, tangents);
}

const tangentAvals = (avals: ShapedArray[], nz: boolean[]) =>
  avals.filter((_, i) => nz[i]).map((a) => a.strengthen());

/** Spreads the tangents given for the `nz` positions over all positions (null elsewhere). */
function spread(nz: boolean[], given: Array[]): T[] {
  let k = 0;
  return nz.map((b) => (b ? given[k++] : null));
}

/** Tangents at the `keep` positions, instantiating symbolic zeros. */
function keepInstantiated(keep: boolean[], touts: T[], outs: Array[]): Array[] {
  return touts.flatMap((t, i) => (keep[i] ? [instantiate(t, outs[i])] : []));
}

/** Which outputs of `jaxpr` have a nonzero tangent when the inputs flagged in `nonzero` have one. */
function outNonzero(jaxpr: Jaxpr, nonzero: boolean[]): boolean[] {
  let res: boolean[] = [];
  const n = jaxpr.invars.length;
  traceFlat(
    (...args) => {
      const [, touts] = jvpEval(jaxpr, args.slice(0, n), spread(nonzero, args.slice(n)));
      res = touts.map((t) => t !== null);
      return [];
    },
    [...jaxpr.inAvals, ...tangentAvals(jaxpr.inAvals, nonzero)],
    "jvp",
  );
  return res;
}

/** Loop carries with a nonzero tangent: the least fixed point of "init nonzero or body output nonzero". */
function carryFixedPoint(
  body: Jaxpr,
  before: boolean[],
  carryNz: boolean[],
  after: boolean[],
): { carryNz: boolean[]; outNz: boolean[] } {
  const float = body.inAvals.slice(before.length, before.length + carryNz.length)
    .map((a) => isFloat(a.dtype));
  for (;;) {
    const outNz = outNonzero(body, [...before, ...carryNz, ...after]);
    const next = carryNz.map((nz, k) => float[k] && (nz || outNz[k]));
    if (next.every((v, k) => v === carryNz[k])) return { carryNz, outNz };
    carryNz = next;
  }
}

const nonzeroOf = (primals: Array[], tangents: T[]) =>
  tangents.map((t, i) => t !== null && isFloat(primals[i].dtype));

function jitCallJvp(primals: Array[], tangents: T[], params: JitCallParams): [Array[], T[]] {
  const nz = tangents.map((t) => t !== null);
  const memo = jvpJaxpr(params.jaxpr, nz);
  const { jaxpr, consts } = memo;
  const tanIn = tangents.filter((t): t is Array => t !== null);
  const m = jaxpr.outvars.length / 2;
  if (!underPartialEval()) {
    const outs = bind(
      P.jit_call,
      [...consts, ...primals, ...tanIn],
      derivedJitParams(params, jaxpr, `jvp(${params.name})`),
    );
    return [outs.slice(0, m), outs.slice(m)];
  }
  const outs = bind(P.jit_call, primals, params);
  const tanOnly = memo.tanOnly ??= dce(
    new Jaxpr([], jaxpr.invars, jaxpr.eqns, jaxpr.outvars.slice(m)),
  );
  const touts = bind(
    P.jit_call,
    [...consts, ...primals, ...tanIn],
    derivedJitParams(params, tanOnly, `jvp(${params.name})`),
  );
  return [outs, touts];
}

function condJvp(primals: Array[], tangents: T[], params: CondParams): [Array[], T[]] {
  const { branches } = params;
  const [index, ...ops] = primals;
  const nz = nonzeroOf(ops, tangents.slice(1));
  const tanIn = tangents.slice(1).filter((_, i) => nz[i]) as Array[];
  const outNz = branches.map((b) => outNonzero(b, nz))
    .reduce((a, b) => a.map((v, i) => v || b[i]));
  if (!outNz.some(Boolean)) return [bind(P.cond, primals, params), outNz.map(() => null)];
  const joint = !underPartialEval();
  const nOps = ops.length;
  const avals = [...ops.map((o) => o.aval), ...tangentAvals(ops.map((o) => o.aval), nz)];
  const traced = branches.map((b) =>
    hoistConsts(traceFlat(
      (...args) => {
        const [outs, touts] = jvpEval(b, args.slice(0, nOps), spread(nz, args.slice(nOps)));
        const t = keepInstantiated(outNz, touts, outs);
        return joint ? [...outs, ...t] : t;
      },
      avals,
      "jvp",
    ))
  );
  const merged = mergeBranchConsts(traced);
  const res = bind(P.cond, [index, ...merged.consts, ...ops, ...tanIn], {
    branches: merged.branches,
  });
  const outs = joint ? res.slice(0, outNz.length) : bind(P.cond, primals, params);
  return [outs, spread(outNz, joint ? res.slice(outNz.length) : res)];
}

function whileJvp(primals: Array[], tangents: T[], params: WhileParams): [Array[], T[]] {
  const { condJaxpr, bodyJaxpr, condNConsts: nCC, bodyNConsts: nBC } = params;
  const [cc, bc, init] = splitList(primals, [nCC, nBC]);
  const [, tbc, tinit] = splitList(tangents, [nCC, nBC]);
  const bcNz = nonzeroOf(bc, tbc);
  const { carryNz } = carryFixedPoint(bodyJaxpr, bcNz, nonzeroOf(init, tinit), []);
  const nK = init.length;
  if (!carryNz.some(Boolean)) return [bind(P.while, primals, params), init.map(() => null)];
  const split = underPartialEval();
  const tbcIn = tbc.filter((_, i) => bcNz[i]) as Array[];
  const tinitIn = init.flatMap((p, k) => (carryNz[k] ? [instantiate(tinit[k], p)] : []));
  const carryAvals = init.map((c) => c.aval);
  const tcarryAvals = tangentAvals(carryAvals, carryNz);
  // One loop over (carry, tangent carry); the predicate looks at the primal carry only.
  const condT = hoistConsts(traceFlat(
    (...args) => evalJaxpr(condJaxpr, [], args.slice(0, nCC + nK)),
    [...cc.map((c) => c.aval), ...carryAvals, ...tcarryAvals],
    "jvp",
  ));
  const bodyT = hoistConsts(traceFlat(
    (...args) => {
      const [b, tb, carry, tcarry] = splitList(args, [nBC, tbcIn.length, nK]);
      const [outs, touts] = jvpEval(bodyJaxpr, [...b, ...carry], [
        ...spread(bcNz, tb),
        ...spread(carryNz, tcarry),
      ]);
      return [...outs, ...keepInstantiated(carryNz, touts, outs)];
    },
    [
      ...bc.map((c) => c.aval),
      ...tangentAvals(bc.map((c) => c.aval), bcNz),
      ...carryAvals,
      ...tcarryAvals,
    ],
    "jvp",
  ));
  const res = bind(P.while, [
    ...condT.consts,
    ...cc,
    ...bodyT.consts,
    ...bc,
    ...tbcIn,
    ...init,
    ...tinitIn,
  ], {
    condJaxpr: condT.jaxpr,
    bodyJaxpr: bodyT.jaxpr,
    condNConsts: condT.consts.length + nCC,
    bodyNConsts: bodyT.consts.length + nBC + tbcIn.length,
  });
  const touts = spread(carryNz, res.slice(nK));
  // Under linearize the joint loop is staged whole (its transpose reports that reverse mode is
  // unsupported); the primal loop runs separately so the primal outputs stay known.
  const outs = split ? bind(P.while, primals, params) : res.slice(0, nK);
  return [outs, touts];
}

function scanJvp(primals: Array[], tangents: T[], params: ScanParams): [Array[], T[]] {
  const { jaxpr, numConsts: nC, numCarry: nK, length, reverse } = params;
  const [c, init, xs] = splitList(primals, [nC, nK]);
  const [tc, tinit, txs] = splitList(tangents, [nC, nK]);
  const cNz = nonzeroOf(c, tc), xNz = nonzeroOf(xs, txs);
  const { carryNz, outNz } = carryFixedPoint(jaxpr, cNz, nonzeroOf(init, tinit), xNz);
  const yNz = outNz.slice(nK);
  const nY = yNz.length;
  if (![...carryNz, ...yNz].some(Boolean)) {
    const outs = bind(P.scan, primals, params);
    return [outs, outs.map(() => null)];
  }
  const tcIn = tc.filter((_, i) => cNz[i]) as Array[];
  const txIn = txs.filter((_, i) => xNz[i]) as Array[];
  const tinitIn = init.flatMap((p, k) => (carryNz[k] ? [instantiate(tinit[k], p)] : []));
  const [cAvals, carryAvals, xAvals] = splitList(jaxpr.inAvals, [nC, nK]);
  const tcAvals = tangentAvals(cAvals, cNz);
  const tkAvals = tangentAvals(carryAvals, carryNz);
  const txAvals = tangentAvals(xAvals, xNz);
  const step = (
    cs: Array[],
    tcs: Array[],
    carry: Array[],
    tcarry: Array[],
    x: Array[],
    tx: Array[],
  ) =>
    jvpEval(jaxpr, [...cs, ...carry, ...x], [
      ...spread(cNz, tcs),
      ...spread(carryNz, tcarry),
      ...spread(xNz, tx),
    ]);

  if (!underPartialEval()) {
    // One scan over (carry, tangent carry) with xs and their tangents.
    const body = hoistConsts(traceFlat(
      (...args) => {
        const [cs, tcs, carry, tcarry, x, tx] = splitList(args, [
          nC,
          tcIn.length,
          nK,
          tkAvals.length,
          xAvals.length,
        ]);
        const [outs, touts] = step(cs, tcs, carry, tcarry, x, tx);
        return [
          ...outs.slice(0, nK),
          ...keepInstantiated(carryNz, touts.slice(0, nK), outs.slice(0, nK)),
          ...outs.slice(nK),
          ...keepInstantiated(yNz, touts.slice(nK), outs.slice(nK)),
        ];
      },
      [...cAvals, ...tcAvals, ...carryAvals, ...tkAvals, ...xAvals, ...txAvals],
      "jvp",
    ));
    const res = bind(P.scan, [...body.consts, ...c, ...tcIn, ...init, ...tinitIn, ...xs, ...txIn], {
      jaxpr: body.jaxpr,
      numConsts: body.consts.length + nC + tcIn.length,
      numCarry: nK + tinitIn.length,
      length,
      reverse,
    });
    const [carryOut, tcarryOut, ys, tys] = splitList(res, [nK, tinitIn.length, nY]);
    return [[...carryOut, ...ys], [...spread(carryNz, tcarryOut), ...spread(yNz, tys)]];
  }

  // Primal scan that also stacks each iteration's input carry (the residuals).
  const withRes = new Jaxpr([], jaxpr.invars, jaxpr.eqns, [
    ...jaxpr.outvars,
    ...jaxpr.invars.slice(nC, nC + nK),
  ]);
  const [carryOut, ys, carries] = splitList(
    bind(P.scan, primals, { ...params, jaxpr: withRes }),
    [nK, nY],
  );
  // Tangent scan: step i recomputes the primal from (carry_i, x_i) and pushes tangents through.
  const body = hoistConsts(traceFlat(
    (...args) => {
      const [cs, tcs, tcarry, x, carry, tx] = splitList(args, [
        nC,
        tcIn.length,
        tkAvals.length,
        xAvals.length,
        nK,
      ]);
      const [outs, touts] = step(cs, tcs, carry, tcarry, x, tx);
      return [
        ...keepInstantiated(carryNz, touts.slice(0, nK), outs.slice(0, nK)),
        ...keepInstantiated(yNz, touts.slice(nK), outs.slice(nK)),
      ];
    },
    [...cAvals, ...tcAvals, ...tkAvals, ...xAvals, ...carryAvals, ...txAvals],
    "jvp",
  ));
  const res = bind(
    P.scan,
    [...body.consts, ...c, ...tcIn, ...tinitIn, ...xs, ...carries, ...txIn],
    {
      jaxpr: body.jaxpr,
      numConsts: body.consts.length + nC + tcIn.length,
      numCarry: tinitIn.length,
      length,
      reverse,
    },
  );
  const [tcarryOut, tys] = splitList(res, [tinitIn.length]);
  return [[...carryOut, ...ys], [...spread(carryNz, tcarryOut), ...spread(yNz, tys)]];
}

/** JVP rules for the control primitives. */
export const controlJvpRules: Pick<JvpRules, "jit_call" | "cond" | "while" | "scan"> = {
  jit_call: jitCallJvp,
  cond: condJvp,
  while: whileJvp,
  scan: scanJvp,
};
