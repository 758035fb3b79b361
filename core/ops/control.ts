// deno-lint-ignore-file no-explicit-any -- loop carries and branch operands are arbitrary pytrees, like JAX.
/**
 * Traceable control flow (JAX's `lax.cond`, `lax.switch`, `lax.while_loop`, `lax.fori_loop`,
 * `lax.scan`). Each function traces its callbacks once into jaxprs (constants hoisted as leading
 * operands) and binds one higher-order primitive, so the loop or branch stays a single equation
 * under `jit`, and `grad`/`vmap`/`jvp` transform it through the rules in `ad/rules/*_control.ts`.
 *
 * Carries and operands are pytrees. A loop carry must keep its structure, shapes and dtypes; a
 * leaf initialised with a JS number (weakly typed) takes the dtype the body gives it.
 *
 * @module
 */
import type { Array, ArrayLike } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { flattenFun, leavesToArrays } from "../api_util.ts";
import { isFloat } from "../dtype.ts";
import type { Jaxpr } from "../jaxpr.ts";
import { mergeBranchConsts, splitList } from "../primitives/control.ts";
import { P } from "../primitives/mod.ts";
import { shapesEqual } from "../shape.ts";
import { hoistConsts, traceFlat } from "../staging.ts";
import { bind } from "../trace.ts";
import { flatten, type TreeDef, treedefEqual, treedefString, unflatten } from "../tree.ts";
import { array, asArray, castTo } from "./convert.ts";
import { add, less, notEqual } from "./elementwise.ts";

type Fn = (...args: any[]) => any;

/** A callback traced into a closure-converted jaxpr (its constants are its leading inputs). */
interface TracedFn {
  jaxpr: Jaxpr;
  consts: Array[];
  outDef: TreeDef;
}

function traceFn(op: string, f: Fn, inDef: TreeDef, avals: ShapedArray[]): TracedFn {
  if (typeof f !== "function") throw new TypeError(`${op}: expected a function, got ${typeof f}`);
  const { flat, outDef } = flattenFun(op, f, inDef);
  const traced = hoistConsts(traceFlat(flat, avals, op));
  return { ...traced, outDef: outDef() };
}

/** Readable names of the leaves of a structure, e.g. `carry.w`, `carry[1]`. */
function leafPaths(def: TreeDef, root: string): string[] {
  const out: string[] = [];
  const walk = (d: TreeDef, path: string) => {
    if (d.kind === "leaf") out.push(path);
    else if (d.kind === "list") d.children.forEach((c, i) => walk(c, `${path}[${i}]`));
    else if (d.kind === "dict") d.keys.forEach((k, i) => walk(d.children[i], `${path}.${k}`));
  };
  walk(def, root);
  return out;
}

/**
 * Traces a loop body at the carry's types. A weakly typed initial leaf (from a JS number) whose
 * dtype the body changes is converted to the body's dtype and the body traced again (as JAX does);
 * any other change of a carry leaf's type is an error naming the leaf and both types.
 */
function traceLoopBody<R>(
  op: string,
  paths: string[],
  init: Array[],
  trace: (carryAvals: ShapedArray[]) => [R, ShapedArray[]],
): [R, Array[]] {
  let [res, outs] = trace(init.map((c) => c.aval));
  const promoted = init.map((c, k) =>
    c.weakType && c.dtype !== outs[k].dtype && shapesEqual(c.shape, outs[k].shape)
      ? castTo(c, { dtype: outs[k].dtype, weak: false })
      : c
  );
  if (promoted.some((c, k) => c !== init[k])) {
    init = promoted;
    [res, outs] = trace(init.map((c) => c.aval));
  }
  init.forEach((c, k) => {
    if (!c.aval.equals(outs[k])) {
      throw new TypeError(
        `${op}: the body changes the type of carry leaf ${paths[k]} from ${c.aval} to ` +
          `${outs[k]}; a loop carry must keep its shape and dtype (initialise it with the type ` +
          `the body produces)`,
      );
    }
  });
  return [res, init];
}

/** Converts a loop bound or branch index to an int32 scalar, naming `op` and `what` on error. */
function toIndex(op: string, x: ArrayLike, what: string): Array {
  if (typeof x === "number" && !Number.isInteger(x)) {
    throw new TypeError(`${op}: ${what} must be an integer, got ${x}`);
  }
  const a = typeof x === "number" ? array(x, "int32") : asArray(x);
  if (a.ndim !== 0 || isFloat(a.dtype)) {
    throw new TypeError(`${op}: ${what} must be an integer scalar, got ${a.aval}`);
  }
  return castTo(a, { dtype: "int32", weak: false });
}

function branchOn(
  op: string,
  index: Array,
  fns: readonly Fn[],
  names: readonly string[],
  operands: readonly unknown[],
): any {
  const [ops, inDef] = flatten(operands as unknown[]);
  const args = leavesToArrays(op, ops);
  const traced = fns.map((f) => traceFn(op, f, inDef, args.map((a) => a.aval)));
  const ref = traced[0];
  const paths = leafPaths(ref.outDef, "output");
  traced.forEach((t, k) => {
    if (!treedefEqual(t.outDef, ref.outDef)) {
      throw new TypeError(
        `${op}: ${names[k]} returns ${treedefString(t.outDef)} but ${names[0]} returns ` +
          `${treedefString(ref.outDef)}; all branches must return the same structure`,
      );
    }
    t.jaxpr.outAvals.forEach((a, j) => {
      const r = ref.jaxpr.outAvals[j];
      if (!a.equals(r)) {
        throw new TypeError(
          `${op}: ${paths[j]} is ${a} in ${names[k]} but ${r} in ${names[0]}; all branches ` +
            `must return the same shapes and dtypes`,
        );
      }
    });
  });
  const { branches, consts } = mergeBranchConsts(traced);
  const outs = bind(P.cond, [index, ...consts, ...args], { branches });
  return unflatten(ref.outDef, outs);
}

/**
 * `pred ? trueFn(...operands) : falseFn(...operands)` where `pred` may be a traced value (JAX's
 * `lax.cond`). Both branches are traced; they must return the same structure, shapes and dtypes.
 * Only the chosen branch runs, except under `vmap` with a batched predicate, where both run and
 * the results are selected per example.
 *
 * @param pred a scalar: bool, or a number (nonzero is true), or a JS boolean
 * @param operands pytrees passed to the branch taken
 *
 * @example
 * ```ts
 * import { array, cond } from "./mod.ts";
 * const x = array(3);
 * cond(x.gt(0), (v) => v.mul(2), (v) => v.neg(), x); // 6
 * ```
 */
export function cond(
  pred: ArrayLike,
  trueFn: (...args: any[]) => any,
  falseFn: (...args: any[]) => any,
  ...operands: unknown[]
): any {
  const p = asArray(pred);
  if (p.ndim !== 0) throw new TypeError(`cond: the predicate must be a scalar, got ${p.aval}`);
  const truth = p.dtype === "bool" ? p : notEqual(p, 0);
  const index = castTo(truth, { dtype: "int32", weak: false });
  return branchOn("cond", index, [falseFn, trueFn], ["the false branch", "the true branch"], [
    ...operands,
  ]);
}

/**
 * Runs `branches[index](...operands)` (JAX's `lax.switch`); the index is clamped into range.
 *
 * @param index an integer scalar (JS number or int32/bool array)
 *
 * @example
 * ```ts
 * import { array, switchCase } from "./mod.ts";
 * switchCase(1, [(x) => x.add(1), (x) => x.mul(10)], array(2)); // 20
 * ```
 */
export function switchCase(
  index: ArrayLike,
  branches: readonly ((...args: any[]) => any)[],
  ...operands: unknown[]
): any {
  if (!globalThis.Array.isArray(branches) || branches.length === 0) {
    throw new TypeError("switchCase: branches must be a non-empty list of functions");
  }
  const i = toIndex("switchCase", index, "the index");
  return branchOn("switchCase", i, branches, branches.map((_, k) => `branch ${k}`), operands);
}

function whileImpl(op: string, condFn: Fn, bodyFn: Fn, init: unknown, paths?: string[]): any {
  const [leaves, carryDef] = flatten(init);
  const argDef: TreeDef = { kind: "list", children: [carryDef] };
  const names = paths ?? leafPaths(carryDef, "carry");
  const [body, carry] = traceLoopBody(op, names, leavesToArrays(op, leaves), (avals) => {
    const t = traceFn(op, bodyFn, argDef, avals);
    if (!treedefEqual(t.outDef, carryDef)) {
      throw new TypeError(
        `${op}: the body must return the carry's structure ${treedefString(carryDef)}, got ` +
          treedefString(t.outDef),
      );
    }
    return [t, t.jaxpr.outAvals];
  });
  const c = traceFn(op, condFn, argDef, carry.map((a) => a.aval));
  const p = c.jaxpr.outAvals;
  if (c.outDef.kind !== "leaf" || p[0].ndim !== 0 || p[0].dtype !== "bool") {
    throw new TypeError(
      `${op}: the condition must return a bool scalar (a comparison such as i.lt(n)), got ` +
        (c.outDef.kind === "leaf" ? String(p[0]) : treedefString(c.outDef)),
    );
  }
  const outs = bind(P.while, [...c.consts, ...body.consts, ...carry], {
    condJaxpr: c.jaxpr,
    bodyJaxpr: body.jaxpr,
    condNConsts: c.consts.length,
    bodyNConsts: body.consts.length,
  });
  return unflatten(carryDef, outs);
}

/**
 * `while (condFn(carry)) carry = bodyFn(carry)` with a traced condition (JAX's
 * `lax.while_loop`). Works under `jit`, `vmap` (examples stop independently) and forward-mode
 * `jvp`; reverse mode (`grad`) is not possible because the trip count is only known at run time:
 * use {@link scan} or {@link foriLoop} with JS-number bounds.
 *
 * @example
 * ```ts
 * import { array, whileLoop } from "./mod.ts";
 * // Newton's iteration for √2: x ← (x + 2/x) / 2 until x² is within 1e-6 of 2.
 * const r = whileLoop(
 *   (x) => x.mul(x).sub(2).abs().gt(1e-6),
 *   (x) => x.add(array(2).div(x)).div(2),
 *   array(1),
 * );
 * ```
 */
export function whileLoop(
  condFn: (...args: any[]) => any,
  bodyFn: (...args: any[]) => any,
  init: unknown,
): any {
  return whileImpl("whileLoop", condFn, bodyFn, init);
}

/** Options of {@link scan}. */
export interface ScanOptions {
  /** Number of iterations; required when `xs` has no leaves, else must match their leading axis. */
  length?: number;
  /** Iterate from the last slice to the first (`ys[i]` still belongs to `xs[i]`). */
  reverse?: boolean;
}

function scanImpl(
  op: string,
  f: Fn,
  init: unknown,
  xs: unknown,
  opts: ScanOptions,
  paths?: string[],
): [any, any] {
  const [carryLeaves, carryDef] = flatten(init);
  const [xLeaves, xsDef] = flatten(xs);
  const xArrs = leavesToArrays(op, xLeaves);
  const xPaths = leafPaths(xsDef, "xs");
  let length = opts.length;
  if (length !== undefined && (!Number.isInteger(length) || length < 0)) {
    throw new RangeError(`${op}: length must be a non-negative integer, got ${length}`);
  }
  xArrs.forEach((x, i) => {
    if (x.ndim === 0) {
      throw new TypeError(
        `${op}: ${xPaths[i]} is a scalar ${x.aval}; xs leaves need a leading axis`,
      );
    }
    if (length === undefined) length = x.shape[0];
    else if (x.shape[0] !== length) {
      throw new TypeError(
        `${op}: ${xPaths[i]} is ${x.aval}, whose leading axis is not the scan length ${length}`,
      );
    }
  });
  if (length === undefined) {
    throw new TypeError(
      `${op}: xs has no arrays, so the number of iterations must be given (length)`,
    );
  }
  const xAvals = xArrs.map((x) => new ShapedArray(x.shape.slice(1), x.dtype, x.weakType));
  const argDef: TreeDef = { kind: "list", children: [carryDef, xsDef] };
  const names = paths ?? leafPaths(carryDef, "carry");
  const numCarry = carryLeaves.length;
  const [body, carry] = traceLoopBody(op, names, leavesToArrays(op, carryLeaves), (avals) => {
    const t = traceFn(op, f, argDef, [...avals, ...xAvals]);
    const d = t.outDef;
    if (d.kind !== "list" || d.children.length !== 2) {
      throw new TypeError(`${op}: f must return [carry, y], got ${treedefString(d)}`);
    }
    if (!treedefEqual(d.children[0], carryDef)) {
      throw new TypeError(
        `${op}: f must return a carry with the structure of init ${treedefString(carryDef)}, ` +
          `got ${treedefString(d.children[0])}`,
      );
    }
    return [{ ...t, yDef: d.children[1] }, t.jaxpr.outAvals.slice(0, numCarry)];
  });
  const outs = bind(P.scan, [...body.consts, ...carry, ...xArrs], {
    jaxpr: body.jaxpr,
    numConsts: body.consts.length,
    numCarry,
    length,
    reverse: !!opts.reverse,
  });
  const [carryOut, ys] = splitList(outs, [numCarry]);
  return [unflatten(carryDef, carryOut), unflatten(body.yDef, ys)];
}

/**
 * Loops `f(carry, x) → [carry, y]` over the leading axis of `xs`, returning the final carry and
 * the stacked `y`s (JAX's `lax.scan`). Fully differentiable (forward and reverse) and batchable.
 *
 * @param xs a pytree of arrays sharing their leading axis, or null (then give `length`)
 *
 * @example
 * ```ts
 * import { array, scan } from "./mod.ts";
 * const [total, partial] = scan((c, x) => [c.add(x), c.add(x)], array(0), array([1, 2, 3]));
 * // total = 6, partial = [1, 3, 6]
 * ```
 */
export function scan(
  f: (...args: any[]) => any,
  init: unknown,
  xs: unknown,
  opts: ScanOptions = {},
): [any, any] {
  return scanImpl("scan", f, init, xs, opts);
}

/**
 * `for (i = lower; i < upper; i++) carry = bodyFn(i, carry)` (JAX's `lax.fori_loop`); `i` is an
 * int32 scalar. With JS-number bounds the loop is a {@link scan} (reverse-differentiable);
 * with traced bounds it is a {@link whileLoop} (forward mode only).
 *
 * @example
 * ```ts
 * import { array, foriLoop } from "./mod.ts";
 * foriLoop(0, 5, (i, acc) => acc.add(i), array(0, "int32")); // 0+1+2+3+4 = 10
 * ```
 */
export function foriLoop(
  lower: ArrayLike,
  upper: ArrayLike,
  bodyFn: (...args: any[]) => any,
  init: unknown,
): any {
  const op = "foriLoop";
  const one = array(1, "int32");
  const paths = ["i", ...leafPaths(flatten(init)[1], "carry")];
  if (typeof lower === "number" && typeof upper === "number") {
    const lo = toIndex(op, lower, "lower");
    toIndex(op, upper, "upper");
    const step = ([i, c]: [Array, unknown]) => [[add(i, one), bodyFn(i, c)], null];
    const opts = { length: Math.max(0, upper - lower) };
    return scanImpl(op, step, [lo, init], null, opts, paths)[0][1];
  }
  const lo = toIndex(op, lower, "lower"), hi = toIndex(op, upper, "upper");
  const out = whileImpl(
    op,
    ([i]: [Array]) => less(i, hi),
    ([i, c]: [Array, unknown]) => [add(i, one), bodyFn(i, c)],
    [lo, init],
    paths,
  );
  return out[1];
}
