// deno-lint-ignore-file no-explicit-any -- user callbacks take and return arbitrary pytrees, like JAX.
/**
 * Implicit differentiation: `linearSolve` (like `lax.custom_linear_solve`) and `customRoot` (like
 * `lax.custom_root`). The user's solvers run on concrete arrays and are never traced or
 * differentiated; derivatives come from the implicit function theorem, so gradients flow through
 * iterative solvers (likelihood fits) at the cost of linear solves only.
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import { flattenFun, leavesToArrays } from "../core/api_util.ts";
import { evalJaxpr, Jaxpr } from "../core/jaxpr.ts";
import { zeros } from "../core/ops/creation.ts";
import { neg } from "../core/ops/elementwise.ts";
import { P } from "../core/primitives/mod.ts";
import type { CustomRootParams, LinearSolveParams, SolveFn } from "../core/primitives/custom.ts";
import { hoistConsts, traceFlat } from "../core/staging.ts";
import { bind } from "../core/trace.ts";
import { flatten, type TreeDef, treedefEqual, treedefString, unflatten } from "../core/tree.ts";
import type { ShapedArray } from "../core/aval.ts";
import { instantiate, jvpFlat } from "./jvp.ts";
import { solverDeferred, tracedSolveFn, traceSolver, withUnusedConsts } from "./solver_closure.ts";
import { backwardPass } from "./linearize.ts";

/** A flat linear map on lists of arrays. */
export type LinearMap = (x: Array[]) => Array[];
/** A flat solver of a linear system given its map: returns x with `map(x) = b`. */
export type FlatLinearSolver = (map: LinearMap, b: Array[]) => Array[];

/** Applies the linear map of `matvec` (constants first) to x. */
export function applyMatvec(matvec: Jaxpr, consts: Array[], x: Array[]): Array[] {
  return evalJaxpr(matvec, [], [...consts, ...x]);
}

/** Applies the transpose of `matvec`'s linear map (in its non-constant inputs) to y. */
export function applyVecmat(matvec: Jaxpr, consts: Array[], y: Array[]): Array[] {
  const k = consts.length;
  const lin = new Jaxpr(
    matvec.invars.slice(0, k),
    matvec.invars.slice(k),
    matvec.eqns,
    matvec.outvars,
  );
  const cts = backwardPass(lin, consts, y);
  return cts.map((c, i) => c ?? zeros(lin.invars[i].aval.shape, lin.invars[i].aval.dtype));
}

/** Traces the transposed linear map of `matvec` as a jaxpr (constants first, then y). */
export function vecmatJaxpr(matvec: Jaxpr, numConsts: number): { jaxpr: Jaxpr; consts: Array[] } {
  const constAvals = matvec.inAvals.slice(0, numConsts);
  const traced = traceFlat(
    (...args) => applyVecmat(matvec, args.slice(0, numConsts), args.slice(numConsts)),
    [...constAvals, ...matvec.outAvals],
    "linearSolve",
  );
  return hoistConsts(traced);
}

/** Wraps a solver of "map(x) = b" into a solver of the primitive's operands, using `matvec`. */
export function solverFor(matvec: Jaxpr, solve: FlatLinearSolver, transpose: boolean): SolveFn {
  return (consts, b) => solve((x) => (transpose ? applyVecmat : applyMatvec)(matvec, consts, x), b);
}

/**
 * Binds `linear_solve` for the linear map `matvec` (closure-converted, constants first). Where the
 * solvers cannot read their closures when they run (jit, loop bodies, vmap), they are traced and
 * their closed-over values become operands (see solver_closure.ts).
 */
export function bindLinearSolve(
  matvec: Jaxpr,
  consts: Array[],
  b: Array[],
  solve: FlatLinearSolver,
  transposeSolve: FlatLinearSolver | null,
  symmetric: boolean,
): Array[] {
  const k = consts.length;
  const transposeF = symmetric ? solve : transposeSolve;
  const convert = (s: FlatLinearSolver, transpose: boolean) =>
    traceSolver(
      "linearSolve",
      solverFor(matvec, s, transpose),
      matvec.inAvals.slice(0, k),
      b.map((v) => v.aval.strengthen()),
    );
  const deferred = solverDeferred();
  const conv = deferred ? convert(solve, false) : null;
  const tConv = deferred && transposeF ? convert(transposeF, true) : null;
  const closure = [...(conv?.closure ?? []), ...(tConv?.closure ?? [])];
  // An opaque solver ignores the traced solvers' closures among the constants.
  const opaque = (s: FlatLinearSolver, transpose: boolean): SolveFn => (cs, rhs) =>
    solverFor(matvec, s, transpose)(cs.slice(0, k), rhs);
  const params: LinearSolveParams = {
    matvec: withUnusedConsts(matvec, k, closure.map((c) => c.aval)),
    numConsts: k + closure.length,
    solve: conv ? tracedSolveFn(conv, k, k) : opaque(solve, false),
    transposeSolve: tConv
      ? tracedSolveFn(tConv, k, k + (conv?.closure.length ?? 0))
      : transposeF && opaque(transposeF, true),
    symmetric,
  };
  return bind(P.linear_solve, [...consts, ...closure, ...b], params);
}

function traceLinear(op: string, f: (...xs: Array[]) => Array[], avals: ShapedArray[]) {
  return hoistConsts(traceFlat(f, avals, op));
}

/** Turns a pytree-level solver `(map, b) => x` into a flat one. */
function flatSolver(
  solve: (map: (x: any) => any, b: any) => any,
  def: TreeDef,
  op: string,
): FlatLinearSolver {
  return (map, b) => {
    const treeMap = (x: unknown) => {
      const [ls, d] = flatten(x);
      if (!treedefEqual(d, def)) {
        throw new Error(
          `${op}: the solver called the map with structure ${treedefString(d)}, expected ${
            treedefString(def)
          }`,
        );
      }
      return unflatten(def, map(leavesToArrays(op, ls)));
    };
    const x = solve(treeMap, unflatten(def, b));
    const [ls, d] = flatten(x);
    if (!treedefEqual(d, def)) {
      throw new Error(
        `${op}: the solver returned structure ${treedefString(d)}, expected ${treedefString(def)}`,
      );
    }
    return leavesToArrays(op, ls);
  };
}

/** Options of {@link linearSolve}. */
export interface LinearSolveOptions {
  /** Solves the transposed system `matvecᵀ(x) = b` (needed for reverse mode unless symmetric). */
  transposeSolve?: (vecmat: (x: any) => any, b: any) => any;
  /** The map is symmetric, so `solve` also solves the transposed system. */
  symmetric?: boolean;
}

/**
 * Solves the linear system `matvec(x) = b` with the user's `solve(matvec, b)`, and differentiates the
 * result implicitly: tangents and cotangents need only further solves (like `lax.custom_linear_solve`).
 * `b` and `x` are pytrees of the same structure; `matvec` must be linear in x (it may close over
 * values being differentiated).
 *
 * @example
 * ```ts
 * import { linearSolve, array, matmul, solve, grad } from "./mod.ts";
 * const a = array([[2, 1], [1, 3]], "float64");
 * const direct = (mv: (x: any) => any, b: any) => solve(a, b);
 * const x = linearSolve((x: any) => matmul(a, x), array([1, 2], "float64"), direct, { symmetric: true });
 * ```
 */
export function linearSolve(
  matvec: (x: any) => any,
  b: unknown,
  solve: (matvec: (x: any) => any, b: any) => any,
  opts: LinearSolveOptions = {},
): any {
  const [bl, def] = flatten(b);
  const bs = leavesToArrays("linearSolve", bl);
  const { flat } = flattenFun("linearSolve", (x: unknown) => matvec(x), listOf(def));
  const { jaxpr, consts } = traceLinear(
    "linearSolve",
    (...x) => flat(...x),
    bs.map((v) => v.aval.strengthen()),
  );
  const xs = bindLinearSolve(
    jaxpr,
    consts,
    bs,
    flatSolver(solve, def, "linearSolve"),
    opts.transposeSolve ? flatSolver(opts.transposeSolve, def, "linearSolve") : null,
    !!opts.symmetric,
  );
  return unflatten(def, xs);
}

/** The structure of a one-element argument list holding a tree of structure `def`. */
function listOf(def: TreeDef): TreeDef {
  return { kind: "list", children: [def] };
}

/** Binds `custom_root` for residual `f` (closure-converted, constants first). */
export function bindCustomRoot(
  f: Jaxpr,
  consts: Array[],
  x0: Array[],
  solve: SolveFn,
  tangentSolve: FlatLinearSolver,
): Array[] {
  const params: CustomRootParams = { f, numConsts: consts.length, solve, tangentSolve };
  return bind(P.custom_root, [...consts, ...x0], params);
}

/**
 * The tangent of a root x*(c) of f(c, x) = 0: ẋ = −(∂f/∂x)⁻¹ (∂f/∂c · ċ), by `linear_solve` with
 * `tangentSolve` for both the system and its transpose (so reverse mode needs no other solver).
 */
export function rootTangent(
  p: CustomRootParams,
  consts: Array[],
  x: Array[],
  constTangents: (Array | null)[],
): Array[] {
  const fOf = (cs: Array[], xs: Array[]) => evalJaxpr(p.f, [], [...cs, ...xs]);
  const [, fdot] = jvpFlat((...cs) => fOf(cs, x), consts, constTangents);
  const rhs = fdot.map((t, i) => neg(instantiate(t, x[i])));
  const k = consts.length, n = x.length;
  // matvec(v) = ∂f/∂x(c, x*) · v, with c and x* as its constants.
  const matvec = traceLinear(
    "customRoot",
    (...args) => {
      const cs = args.slice(0, k), xs = args.slice(k, k + n), vs = args.slice(k + n);
      const [, t] = jvpFlat((...xx) => fOf(cs, xx), xs, vs);
      return t.map((ti, i) => instantiate(ti, xs[i]));
    },
    [
      ...p.f.inAvals.slice(0, k),
      ...x.map((v) => v.aval.strengthen()),
      ...x.map((v) => v.aval.strengthen()),
    ],
  );
  return bindLinearSolve(
    matvec.jaxpr,
    [...matvec.consts, ...consts, ...x],
    rhs,
    p.tangentSolve,
    p.tangentSolve,
    false,
  );
}

/**
 * Finds x with `f(x) = 0` using the user's `solve(f, initialGuess)` — any JS code, never traced or
 * differentiated — and differentiates the answer with respect to everything `f` closes over by the
 * implicit function theorem: ẋ = −(∂f/∂x)⁻¹ ∂f/∂θ θ̇. `tangentSolve(g, y)` must return x with
 * `g(x) = y` for a linear map g (e.g. by materialising its Jacobian and calling `solve`); it is used
 * for the tangent system and its transpose. Like `lax.custom_root`.
 *
 * @example
 * ```ts
 * import { customRoot, grad, array } from "./mod.ts";
 * // x*(θ) = √θ as the root of x² − θ, found by Newton's method on plain numbers.
 * const sqrtViaRoot = (theta: any) =>
 *   customRoot(
 *     (x: any) => x.mul(x).sub(theta),
 *     array(1, "float64"),
 *     (f: any, x0: any) => {
 *       let x = x0.item();
 *       for (let i = 0; i < 50; i++) x -= f(array(x, "float64")).item() / (2 * x);
 *       return array(x, "float64");
 *     },
 *     (g: any, y: any) => y.div(g(array(1, "float64"))),
 *   );
 * grad(sqrtViaRoot)(array(4, "float64")); // 0.25
 * ```
 */
export function customRoot(
  f: (x: any) => any,
  initialGuess: unknown,
  solve: (f: (x: any) => any, x0: any) => any,
  tangentSolve: (g: (x: any) => any, y: any) => any,
): any {
  const [gl, def] = flatten(initialGuess);
  const x0 = leavesToArrays("customRoot", gl);
  const { flat, outDef } = flattenFun("customRoot", (x: unknown) => f(x), listOf(def));
  const traced = traceLinear(
    "customRoot",
    (...x) => flat(...x),
    x0.map((v) => v.aval.strengthen()),
  );
  if (!treedefEqual(outDef(), def)) {
    throw new Error(
      `customRoot: f must return the same structure as its input (${treedefString(def)}), got ${
        treedefString(outDef())
      }`,
    );
  }
  traced.jaxpr.outAvals.forEach((a, i) => {
    if (a.shape.join() !== x0[i].shape.join()) {
      throw new Error(
        `customRoot: f's output ${i} has shape [${a.shape}], its input has shape [${x0[i].shape}]`,
      );
    }
  });
  const fJ = traced.jaxpr;
  const k = traced.consts.length;
  const userSolve = flatSolver(solve, def, "customRoot");
  const run = (consts: Array[], guess: Array[]) =>
    userSolve((x) => evalJaxpr(fJ, [], [...consts, ...x]), guess);
  // Where the solver cannot read its closure when it runs, trace it (closure conversion).
  const conv = solverDeferred()
    ? traceSolver("customRoot", run, fJ.inAvals.slice(0, k), x0.map((v) => v.aval.strengthen()))
    : null;
  const closure = conv?.closure ?? [];
  const xs = bindCustomRoot(
    withUnusedConsts(fJ, k, closure.map((c) => c.aval)),
    [...traced.consts, ...closure],
    x0,
    conv ? tracedSolveFn(conv, k, k) : run,
    flatSolver(tangentSolve, def, "customRoot"),
  );
  return unflatten(def, xs);
}
