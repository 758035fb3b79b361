/**
 * Higher-order primitives: their parameters hold jaxprs. Their rules for each transform live with
 * the transform (ad/, jit/); here are the shape rules and eager implementations.
 *
 * Convention: a sub-jaxpr has no constvars; its constants are passed as the leading operands
 * (closure conversion), so transforms see them as ordinary inputs.
 *
 * Operand layouts (the public API is `core/ops/control.ts`):
 * - `cond`:  `[index, ...operands]`; every branch takes all operands (branch constants included,
 *   see {@link mergeBranchConsts}); the branch `clamp(index, 0, n-1)` runs.
 * - `while`: `[...condConsts, ...bodyConsts, ...carry]`; `condJaxpr(condConsts, carry) → bool[]`,
 *   `bodyJaxpr(bodyConsts, carry) → carry`.
 * - `scan`:  `[...consts, ...carry, ...xs]`; `jaxpr(consts, carry, x_i) → [carry, y_i]`; outputs
 *   the final carry then the `ys` stacked along a new leading axis (`ys[i]` belongs to `xs[i]`,
 *   also when `reverse` runs i from `length - 1` down to 0).
 *
 * The eager implementations are host loops that evaluate the body jaxprs with `evalJaxpr`.
 *
 * @module
 */
import type { Array } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { DeviceArray } from "../device_array.ts";
import { allocate } from "../dtype.ts";
import { evalJaxpr, Jaxpr, Var } from "../jaxpr.ts";
import { primitive } from "../primitive.ts";

/** Parameters of `jit_call`: the staged program and a name for printing. */
export interface JitCallParams {
  jaxpr: Jaxpr;
  name: string;
  /**
   * How to execute (device, precision, ...: the executor's business, opaque to `core/`).
   * Inherited by the `jit_call`s that transforms derive from this one, so `grad(jit(f, o))` runs
   * its backward pass with the options `o` too.
   */
  options?: Readonly<Record<string, unknown>>;
  /** What each input is, for error messages (e.g. "argument 1.mtt"); not inherited. */
  inputNames?: readonly string[];
}

/**
 * The parameters of a `jit_call` derived from `params` by a transform (JVP, transpose, vmap):
 * a new program and name, the same execution options.
 *
 * @example
 * ```ts
 * import { derivedJitParams } from "./control.ts";
 * declare const params: import("./control.ts").JitCallParams;
 * declare const jvpJaxpr: import("../jaxpr.ts").Jaxpr;
 * derivedJitParams(params, jvpJaxpr, `jvp(${params.name})`);
 * ```
 */
export function derivedJitParams(params: JitCallParams, jaxpr: Jaxpr, name: string): JitCallParams {
  return params.options ? { jaxpr, name, options: params.options } : { jaxpr, name };
}

/**
 * How `jit_call` executes on concrete arrays. The default evaluates the jaxpr eagerly; `jit/jit.ts`
 * replaces `run` with its compiler (fused kernels on the CPU or WebGPU). A settable hook rather
 * than an import, because `core/` must not depend on `jit/`.
 *
 * @example
 * ```ts
 * import { jitCallExecutor } from "./control.ts";
 * const previous = jitCallExecutor.run; // e.g. to restore after a test
 * ```
 */
export const jitCallExecutor: {
  run: (args: DeviceArray[], params: JitCallParams) => DeviceArray[];
} = {
  run: (args, { jaxpr }) => evalJaxpr(jaxpr, [], args) as DeviceArray[],
};

/** Parameters of `cond`: one jaxpr per branch, all with the same inputs and output types. */
export interface CondParams {
  branches: Jaxpr[];
}

/** Parameters of `while`: the predicate and body jaxprs and how many leading constants each takes. */
export interface WhileParams {
  condJaxpr: Jaxpr;
  bodyJaxpr: Jaxpr;
  condNConsts: number;
  bodyNConsts: number;
}

/** Parameters of `scan`: the body, how operands split into consts/carry/xs, the trip count. */
export interface ScanParams {
  jaxpr: Jaxpr;
  numConsts: number;
  numCarry: number;
  length: number;
  reverse: boolean;
}

/**
 * Splits `xs` into consecutive groups of the given sizes, plus a last group with the rest.
 *
 * @example
 * ```ts
 * import { splitList } from "./control.ts";
 * splitList([1, 2, 3, 4], [1, 2]); // [[1], [2, 3], [4]]
 * ```
 */
export function splitList<T>(xs: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  let k = 0;
  for (const n of sizes) {
    out.push(xs.slice(k, k + n));
    k += n;
  }
  out.push(xs.slice(k));
  return out;
}

/**
 * Gives every branch the same leading constant operands: the union of the branches' constants
 * (each a closure-converted jaxpr whose first `consts.length` inputs are its constants). A branch
 * ignores the constants of the others. Identical constants are passed once.
 *
 * @example
 * ```ts ignore
 * const { branches, consts } = mergeBranchConsts([tracedA, tracedB]);
 * bind(P.cond, [index, ...consts, ...operands], { branches });
 * ```
 */
export function mergeBranchConsts(
  traced: readonly { jaxpr: Jaxpr; consts: Array[] }[],
): { branches: Jaxpr[]; consts: Array[] } {
  const consts: Array[] = [];
  const slot = new Map<Array, number>();
  const slots = traced.map((t) =>
    t.consts.map((c) => {
      let i = slot.get(c);
      if (i === undefined) {
        i = consts.length;
        consts.push(c);
        slot.set(c, i);
      }
      return i;
    })
  );
  const branches = traced.map((t, b) => {
    const constVars = consts.map((c) => new Var(c.aval));
    slots[b].forEach((s, k) => (constVars[s] = t.jaxpr.invars[k]));
    const rest = t.jaxpr.invars.slice(t.consts.length);
    return new Jaxpr([], [...constVars, ...rest], t.jaxpr.eqns, t.jaxpr.outvars);
  });
  return { branches, consts };
}

function checkInputs(op: string, what: string, want: ShapedArray[], got: ShapedArray[]): void {
  if (want.length !== got.length) {
    throw new TypeError(`${op}: ${what} takes ${want.length} inputs but ${got.length} are given`);
  }
  want.forEach((w, i) => {
    if (!w.equals(got[i])) {
      throw new TypeError(`${op}: input ${i} of ${what} is ${w} but the operand is ${got[i]}`);
    }
  });
}

/** Row `i` of `x` along its leading axis (a view of the same storage; arrays are immutable). */
function row(x: DeviceArray, i: number): DeviceArray {
  const inner = x.size / x.shape[0];
  const aval = new ShapedArray(x.shape.slice(1), x.dtype, x.weakType);
  return new DeviceArray(aval, x.dataSync().subarray(i * inner, (i + 1) * inner));
}

/** The control primitives, by name. */
export const controlPrimitives = {
  /** Calls a staged function (what `jit` binds; a compiled backend may replace the impl). */
  jit_call: primitive<JitCallParams>({
    name: "jit_call",
    abstractEval: (_, { jaxpr }) => jaxpr.outAvals,
    // Runs through the installed executor: jit/jit.ts installs the fused-kernel compiler.
    impl: (args, params) => jitCallExecutor.run(args, params),
  }),

  /** Runs branch `clamp(index, 0, n-1)` on the operands. */
  cond: primitive<CondParams>({
    name: "cond",
    abstractEval([index, ...ops], { branches }) {
      if (index.ndim !== 0 || index.dtype !== "int32") {
        throw new TypeError(`cond: the branch index must be an int32 scalar, got ${index}`);
      }
      branches.forEach((b, i) => checkInputs("cond", `branch ${i}`, b.inAvals, ops));
      const outs = branches[0].outAvals;
      branches.forEach((b, i) => {
        const o = b.outAvals;
        if (o.length !== outs.length || o.some((a, k) => !a.equals(outs[k]))) {
          throw new TypeError(
            `cond: branch ${i} returns (${o.join(", ")}) but branch 0 returns (${outs.join(", ")})`,
          );
        }
      });
      return outs.map((a, k) =>
        new ShapedArray(a.shape, a.dtype, branches.every((b) => b.outAvals[k].weakType))
      );
    },
    impl([index, ...ops], { branches }) {
      const i = Math.min(Math.max(index.dataSync()[0], 0), branches.length - 1);
      return evalJaxpr(branches[i], [], ops) as DeviceArray[];
    },
  }),

  /** `while (cond(carry)) carry = body(carry)`. */
  while: primitive<WhileParams>({
    name: "while",
    abstractEval(avals, { condJaxpr, bodyJaxpr, condNConsts, bodyNConsts }) {
      const [cc, bc, carry] = splitList(avals, [condNConsts, bodyNConsts]);
      checkInputs("while", "the predicate", condJaxpr.inAvals, [...cc, ...carry]);
      checkInputs("while", "the body", bodyJaxpr.inAvals, [...bc, ...carry]);
      const p = condJaxpr.outAvals;
      if (p.length !== 1 || p[0].ndim !== 0 || p[0].dtype !== "bool") {
        throw new TypeError(`while: the predicate must return one bool scalar, got (${p.join()})`);
      }
      const outs = bodyJaxpr.outAvals;
      if (outs.length !== carry.length || outs.some((a, k) => !a.equals(carry[k]))) {
        throw new TypeError(
          `while: the body maps the carry (${carry.join(", ")}) to (${outs.join(", ")})`,
        );
      }
      return carry;
    },
    impl(args, { condJaxpr, bodyJaxpr, condNConsts, bodyNConsts }) {
      const [cc, bc, init] = splitList(args, [condNConsts, bodyNConsts]);
      let carry: Array[] = init;
      while (evalJaxpr(condJaxpr, [], [...cc, ...carry])[0].dataSync()[0]) {
        carry = evalJaxpr(bodyJaxpr, [], [...bc, ...carry]);
      }
      return carry as DeviceArray[];
    },
  }),

  /** A loop over the leading axis of `xs` carrying state: `[carry, y_i] = f(consts, carry, x_i)`. */
  scan: primitive<ScanParams>({
    name: "scan",
    abstractEval(avals, { jaxpr, numConsts, numCarry, length }) {
      const [consts, carry, xs] = splitList(avals, [numConsts, numCarry]);
      xs.forEach((x, i) => {
        if (x.ndim === 0 || x.shape[0] !== length) {
          throw new TypeError(`scan: xs operand ${i} is ${x}; its leading axis must be ${length}`);
        }
      });
      const xAvals = xs.map((x) => new ShapedArray(x.shape.slice(1), x.dtype, x.weakType));
      checkInputs("scan", "the body", jaxpr.inAvals, [...consts, ...carry, ...xAvals]);
      const outs = jaxpr.outAvals;
      const carryOut = outs.slice(0, numCarry);
      if (carryOut.length !== numCarry || carryOut.some((a, k) => !a.equals(carry[k]))) {
        throw new TypeError(
          `scan: the body maps the carry (${carry.join(", ")}) to (${carryOut.join(", ")})`,
        );
      }
      const ys = outs.slice(numCarry).map((y) =>
        new ShapedArray([length, ...y.shape], y.dtype, y.weakType)
      );
      return [...carry, ...ys];
    },
    impl(args, { jaxpr, numConsts, numCarry, length, reverse }) {
      const [consts, init, xs] = splitList(args, [numConsts, numCarry]);
      const yAvals = jaxpr.outAvals.slice(numCarry);
      const ys = yAvals.map((a) => allocate(a.dtype, length * a.size));
      let carry: Array[] = init;
      for (let k = 0; k < length; k++) {
        const i = reverse ? length - 1 - k : k;
        const outs = evalJaxpr(jaxpr, [], [...consts, ...carry, ...xs.map((x) => row(x, i))]);
        carry = outs.slice(0, numCarry);
        outs.slice(numCarry).forEach((y, j) => ys[j].set(y.dataSync(), i * yAvals[j].size));
      }
      const stacked = ys.map((data, j) => {
        const a = yAvals[j];
        return new DeviceArray(new ShapedArray([length, ...a.shape], a.dtype, a.weakType), data);
      });
      return [...carry as DeviceArray[], ...stacked];
    },
  }),
};
