// deno-lint-ignore-file no-explicit-any -- user functions take and return arbitrary pytrees, like JAX.
/**
 * User-defined derivatives: `customJvp` (like `jax.custom_jvp`) and `customVjp` (like
 * `jax.custom_vjp`).
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import { flattenArgs, flattenFun, leavesToArrays } from "../core/api_util.ts";
import type { Fn } from "./api.ts";
import { astype } from "../core/ops/convert.ts";
import { P } from "../core/primitives/mod.ts";
import { hoistConsts, traceFlat } from "../core/staging.ts";
import { bind } from "../core/trace.ts";
import {
  flatten,
  numLeaves,
  type TreeDef,
  treedefEqual,
  treedefString,
  unflatten,
} from "../core/tree.ts";

/** Options shared by customJvp and customVjp. */
export interface CustomOptions {
  /** Arguments that are not differentiated (any JS values); the rules receive them first. */
  nondiffArgnums?: readonly number[];
}

function split(args: unknown[], nondiff: readonly number[]) {
  const nd = nondiff.map((i) => {
    if (i < 0 || i >= args.length) {
      throw new RangeError(`nondiffArgnums ${i} out of range for ${args.length} arguments`);
    }
    return args[i];
  });
  const diff = args.filter((_, i) => !nondiff.includes(i));
  const merge = (d: unknown[]) => {
    const full: unknown[] = [];
    let k = 0;
    for (let i = 0; i < args.length; i++) full.push(nondiff.includes(i) ? args[i] : d[k++]);
    return full;
  };
  return { nd, diff, merge };
}

/** Flattens a rule's output pytree and checks it against the expected structure. */
function flatOut(op: string, what: string, x: unknown, def: TreeDef): Array[] {
  const [ls, d] = flatten(x);
  if (!treedefEqual(d, def)) {
    throw new Error(
      `${op}: ${what} has structure ${treedefString(d)}, expected ${treedefString(def)}`,
    );
  }
  return leavesToArrays(op, ls);
}

/** Traces f at the differentiable arguments and returns what the custom primitives need. */
function stage(op: string, f: Fn, args: unknown[], nondiff: readonly number[]) {
  const { nd, diff, merge } = split(args, nondiff);
  const [xs, inDef] = flattenArgs(op, diff);
  const { flat, outDef } = flattenFun(op, (...d: unknown[]) => f(...merge(d)), inDef);
  const { jaxpr, consts } = hoistConsts(traceFlat(flat, xs.map((x) => x.aval), op));
  return { nd, merge, xs, inDef, outDef: outDef(), jaxpr, consts };
}

/** A function with a custom JVP rule. */
export interface CustomJvpFunction {
  (...args: any[]): any;
  /** Sets the rule: `jvp(...nondiffArgs, primals, tangents) → [output, outputTangent]`. */
  defjvp(jvp: Fn): CustomJvpFunction;
}

/**
 * Gives `f` a custom forward-mode rule; reverse mode derives from it (the rule's tangent output must
 * be linear in the tangents). The rule receives the list of primal arguments and the list of their
 * tangents (zeros where they do not vary).
 *
 * @example
 * ```ts
 * import { customJvp, grad, log1p, exp, array } from "./mod.ts";
 * // log(1 + eˣ) with a derivative that stays finite for large x.
 * const softplus = customJvp((x: any) => log1p(exp(x)));
 * softplus.defjvp(([x]: any[], [t]: any[]) => [softplus(x), t.div(exp(x.neg()).add(1))]);
 * grad(softplus)(array(100, "float64")); // 1
 * ```
 */
export function customJvp(f: Fn, opts: CustomOptions & { jvp?: Fn } = {}): CustomJvpFunction {
  const nondiff = opts.nondiffArgnums ?? [];
  let rule: Fn | undefined = opts.jvp;
  const name = f.name || "customJvp";
  const g = ((...args: unknown[]) => {
    if (!rule) {
      throw new Error(`customJvp: no rule defined for '${name}'; call .defjvp(rule) first`);
    }
    const r = rule;
    const { nd, xs, inDef, outDef, jaxpr, consts } = stage("customJvp", f, args, nondiff);
    const jvp = (primals: Array[], tangents: Array[]): [Array[], Array[]] => {
      const res = r(...nd, unflatten(inDef, primals), unflatten(inDef, tangents));
      if (!globalThis.Array.isArray(res) || res.length !== 2) {
        throw new Error(`customJvp: the rule of '${name}' must return [output, outputTangent]`);
      }
      const outs = flatOut("customJvp", "the rule's output", res[0], outDef);
      const touts = flatOut("customJvp", "the rule's tangent", res[1], outDef)
        .map((t, i) => (t.dtype === outs[i].dtype ? t : astype(t, outs[i].dtype)));
      return [outs, touts];
    };
    const outs = bind(P.custom_jvp_call, [...consts, ...xs], {
      call: jaxpr,
      numConsts: consts.length,
      jvp,
      name,
    });
    return unflatten(outDef, outs);
  }) as CustomJvpFunction;
  g.defjvp = (jvp: Fn) => {
    rule = jvp;
    return g;
  };
  return g;
}

/** A function with a custom VJP rule. */
export interface CustomVjpFunction {
  (...args: any[]): any;
  /**
   * Sets the rule: `fwd(...args) → [output, residuals]` and
   * `bwd(...nondiffArgs, residuals, outputCotangent) → [cotangent per differentiable argument]`.
   */
  defvjp(fwd: Fn, bwd: Fn): CustomVjpFunction;
}

/**
 * Gives `f` a custom reverse-mode rule: `fwd` computes the output and residuals, `bwd` maps residuals
 * and the output cotangent to one cotangent per differentiable argument (null for zero). Forward mode
 * (jvp, jacfwd) of such a function is an error, as in JAX.
 *
 * @example
 * ```ts
 * import { customVjp, grad, array, clip } from "./mod.ts";
 * // Identity whose gradient is clipped to [-1, 1].
 * const clipGrad = customVjp((x: any) => x);
 * clipGrad.defvjp((x: any) => [x, null], (_res: any, g: any) => [clip(g, -1, 1)]);
 * grad((x: any) => clipGrad(x).mul(5))(array(2, "float64")); // 1
 * ```
 */
export function customVjp(
  f: Fn,
  opts: CustomOptions & { fwd?: Fn; bwd?: Fn } = {},
): CustomVjpFunction {
  const nondiff = opts.nondiffArgnums ?? [];
  let fwdRule = opts.fwd, bwdRule = opts.bwd;
  const name = f.name || "customVjp";
  const g = ((...args: unknown[]) => {
    if (!fwdRule || !bwdRule) {
      throw new Error(`customVjp: no rule defined for '${name}'; call .defvjp(fwd, bwd) first`);
    }
    const [fw, bw] = [fwdRule, bwdRule];
    const { nd, merge, xs, inDef, outDef, jaxpr, consts } = stage("customVjp", f, args, nondiff);
    let resDef: TreeDef | undefined;
    const fwd = (primals: Array[]): [Array[], Array[]] => {
      const res = fw(...merge(unflatten(inDef, primals) as unknown[]));
      if (!globalThis.Array.isArray(res) || res.length !== 2) {
        throw new Error(`customVjp: fwd of '${name}' must return [output, residuals]`);
      }
      const outs = flatOut("customVjp", "fwd's output", res[0], outDef);
      const [rl, rd] = flatten(res[1]);
      resDef = rd;
      return [outs, leavesToArrays("customVjp residuals", rl)];
    };
    const bwd = (residuals: Array[], cts: Array[]): (Array | null)[] => {
      const res = bw(...nd, unflatten(resDef!, residuals), unflatten(outDef, cts));
      const diffCount = args.length - nondiff.length;
      if (!globalThis.Array.isArray(res) || res.length !== diffCount) {
        throw new Error(
          `customVjp: bwd of '${name}' must return a list of ${diffCount} cotangent(s), one per differentiable argument`,
        );
      }
      // null leaves (zero cotangents) are allowed anywhere.
      const out: (Array | null)[] = [];
      (inDef.kind === "list" ? inDef.children : [inDef]).forEach((d, i) => {
        const r = res[i];
        if (r === null || r === undefined) {
          for (let j = 0; j < numLeaves(d); j++) out.push(null);
        } else out.push(...flatOut("customVjp", `bwd's cotangent ${i}`, r, d));
      });
      return out.map((c, i) => (c && c.dtype !== xs[i].dtype ? astype(c, xs[i].dtype) : c));
    };
    const outs = bind(P.custom_vjp_call, [...consts, ...xs], {
      call: jaxpr,
      numConsts: consts.length,
      fwd,
      bwd,
      name,
    });
    return unflatten(outDef, outs);
  }) as CustomVjpFunction;
  g.defvjp = (fwd: Fn, bwd: Fn) => {
    fwdRule = fwd;
    bwdRule = bwd;
    return g;
  };
  return g;
}
