/**
 * Control flow under CPU `jit`: `while`, `cond` and `scan` run as host loops around compiled
 * sub-programs (their predicate, body and branch jaxprs planned and compiled like any program,
 * `program.ts`), instead of their eager implementations, which interpret the body jaxprs
 * primitive by primitive. A solver's loop body (a Newton step) thus runs as fused kernels.
 *
 * Ownership: a compiled program returns, for each output, either one of its arguments or a fresh
 * array that the caller owns (`runPlan` copies literals). The loops below rely on that to dispose
 * every intermediate carry, predicate and row as soon as it is dead, so memory stays flat however
 * many iterations run; the carry itself is passed from iteration to iteration without copies.
 *
 * @module
 */
import { ShapedArray } from "../../core/aval.ts";
import { DeviceArray } from "../../core/device_array.ts";
import { allocate } from "../../core/dtype.ts";
import type { Eqn, Jaxpr } from "../../core/jaxpr.ts";
import { type ScanParams, splitList, type WhileParams } from "../../core/primitives/control.ts";
import { isEqnOf } from "../../core/primitives/mod.ts";

/**
 * What the host loops need of a compiled program: run it on arrays. Its outputs are arguments or
 * fresh arrays owned by the caller (see the module documentation).
 *
 * @example
 * ```ts
 * import type { SubProgram } from "./control_flow.ts";
 * const identity: SubProgram = { run: (args) => [...args] };
 * ```
 */
export interface SubProgram {
  /** Runs the program on concrete CPU arrays. */
  run(args: readonly DeviceArray[]): DeviceArray[];
}

/**
 * A sub-jaxpr of a control-flow equation and its role, for compiling and printing.
 *
 * @example
 * ```ts
 * import type { SubJaxpr } from "./control_flow.ts";
 * declare const s: SubJaxpr;
 * console.log(`${s.label}:\n${s.jaxpr}`);
 * ```
 */
export interface SubJaxpr {
  /** `"predicate"`, `"body"` or `"branch i"`. */
  label: string;
  /** The (closure-converted, constvar-free) jaxpr. */
  jaxpr: Jaxpr;
}

/**
 * The sub-jaxprs a host loop runs for `eqn`, in the order {@link runControlFlow} expects their
 * programs; null when `eqn` is not `while`/`cond`/`scan`, or a sub-jaxpr has constvars (not
 * closure-converted, so it cannot be planned: the eager implementation runs it).
 *
 * @example
 * ```ts
 * import { array, makeJaxpr, whileLoop } from "../../mod.ts";
 * import { controlFlowJaxprs } from "./control_flow.ts";
 * const j = makeJaxpr((x) => whileLoop((v) => v.lt(10), (v) => v.mul(2), x))(array(1)).jaxpr;
 * controlFlowJaxprs(j.eqns[0])!.map((s) => s.label); // ["predicate", "body"]
 * ```
 */
export function controlFlowJaxprs(eqn: Eqn): SubJaxpr[] | null {
  let subs: SubJaxpr[];
  if (isEqnOf(eqn, "while")) {
    const p = eqn.params;
    subs = [{ label: "predicate", jaxpr: p.condJaxpr }, { label: "body", jaxpr: p.bodyJaxpr }];
  } else if (isEqnOf(eqn, "cond")) {
    subs = eqn.params.branches.map((jaxpr, i) => ({ label: `branch ${i}`, jaxpr }));
  } else if (isEqnOf(eqn, "scan")) {
    subs = [{ label: "body", jaxpr: eqn.params.jaxpr }];
  } else return null;
  return subs.every((s) => s.jaxpr.constvars.length === 0) ? subs : null;
}

/**
 * Runs a `while`, `cond` or `scan` equation on concrete CPU arrays with compiled sub-programs
 * (`programs[i]` runs `controlFlowJaxprs(eqn)[i]`). Results are those of the eager
 * implementation (bit for bit when the sub-programs are exact). The outputs are operands of the
 * equation or fresh arrays; every other intermediate is disposed.
 *
 * @example
 * ```ts
 * import { array, makeJaxpr, whileLoop, DeviceArray } from "../../mod.ts";
 * import { controlFlowJaxprs, runControlFlow } from "./control_flow.ts";
 * import { programFor } from "./program.ts";
 * const x = array(1) as DeviceArray;
 * const j = makeJaxpr((v) => whileLoop((c) => c.lt(10), (c) => c.mul(2), v))(x).jaxpr;
 * const progs = controlFlowJaxprs(j.eqns[0])!.map((s) => programFor(s.jaxpr));
 * runControlFlow(j.eqns[0], [x], progs)[0].item(); // 16
 * ```
 */
export function runControlFlow(
  eqn: Eqn,
  args: readonly DeviceArray[],
  programs: readonly SubProgram[],
): DeviceArray[] {
  if (isEqnOf(eqn, "while")) return runWhile(args, eqn.params, programs[0], programs[1]);
  if (isEqnOf(eqn, "cond")) {
    const n = eqn.params.branches.length;
    const i = Math.min(Math.max(args[0].dataSync()[0], 0), n - 1);
    return programs[i].run(args.slice(1));
  }
  if (isEqnOf(eqn, "scan")) return runScan(args, eqn.params, programs[0]);
  throw new Error(`runControlFlow: '${eqn.prim.name}' is not a control-flow primitive`);
}

/** Disposes each of `xs` that is not in `keep` (an array may occur several times: dispose is idempotent). */
function release(xs: readonly DeviceArray[], keep: readonly DeviceArray[]): void {
  for (const x of xs) if (!keep.includes(x)) x.dispose();
}

function runWhile(
  args: readonly DeviceArray[],
  { condNConsts, bodyNConsts }: WhileParams,
  pred: SubProgram,
  body: SubProgram,
): DeviceArray[] {
  const [cc, bc, init] = splitList(args, [condNConsts, bodyNConsts]);
  let carry = init;
  for (;;) {
    const predIns = [...cc, ...carry];
    const [p] = pred.run(predIns);
    const go = p.dataSync()[0];
    release([p], predIns);
    if (!go) return carry;
    const next = body.run([...bc, ...carry]);
    // The old carry dies unless the body passed it through (or it is an operand of the loop,
    // which belongs to the caller).
    release(carry, [...next, ...args]);
    carry = next;
  }
}

/** Row `i` of `x` along its leading axis: a view of the same storage (arrays are immutable). */
function row(x: DeviceArray, i: number): DeviceArray {
  const inner = x.size / x.shape[0];
  const aval = new ShapedArray(x.shape.slice(1), x.dtype, x.weakType);
  return new DeviceArray(aval, x.dataSync().subarray(i * inner, (i + 1) * inner));
}

function runScan(
  args: readonly DeviceArray[],
  { numConsts, numCarry, length, reverse, jaxpr }: ScanParams,
  body: SubProgram,
): DeviceArray[] {
  const [consts, init, xs] = splitList(args, [numConsts, numCarry]);
  const yAvals = jaxpr.outAvals.slice(numCarry);
  const ys = yAvals.map((a) => allocate(a.dtype, length * a.size));
  let carry = init;
  for (let k = 0; k < length; k++) {
    const i = reverse ? length - 1 - k : k;
    const rows = xs.map((x) => row(x, i));
    const outs = body.run([...consts, ...carry, ...rows]);
    const next = outs.slice(0, numCarry);
    outs.slice(numCarry).forEach((y, j) => ys[j].set(y.dataSync(), i * yAvals[j].size));
    // Everything but the new carry is dead now: the old carry, this iteration's rows and ys.
    release([...carry, ...rows, ...outs.slice(numCarry)], [...next, ...args]);
    carry = next;
  }
  const stacked = ys.map((data, j) => {
    const a = yAvals[j];
    return new DeviceArray(new ShapedArray([length, ...a.shape], a.dtype, a.weakType), data);
  });
  return [...carry, ...stacked];
}
