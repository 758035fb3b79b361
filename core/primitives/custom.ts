/**
 * Primitives behind user-defined derivatives and implicit differentiation. Their parameters hold
 * jaxprs (constants as leading operands) and plain functions; the transform rules live in
 * `ad/rules/*_custom.ts`.
 *
 * - `custom_jvp_call`: runs `call`; under JVP, the user's rule `jvp` gives the tangents.
 * - `custom_vjp_call`: runs `call`; under reverse mode, `fwd` runs and a `custom_lin` node whose
 *   transpose calls `bwd` carries the tangents.
 * - `linear_solve`: x = A⁻¹ b with A given by the linear map `matvec`; solved by a user function,
 *   differentiated implicitly (like `lax.custom_linear_solve`).
 * - `custom_root`: x with f(x) = 0, found by a user solver that is never traced or differentiated;
 *   its tangent comes from the implicit function theorem (like `lax.custom_root`).
 *
 * @module
 */
import type { Array } from "../array.ts";
import type { ShapedArray } from "../aval.ts";
import type { DeviceArray } from "../device_array.ts";
import { evalJaxpr, type Jaxpr } from "../jaxpr.ts";
import { primitive } from "../primitive.ts";
import { runSolver } from "../trace.ts";

/** A solver called on concrete arrays: (the primitive's constants, right-hand side or guess) → x. */
export type SolveFn = (consts: Array[], b: Array[]) => Array[];

/** Parameters of `custom_jvp_call`. */
export interface CustomJvpParams {
  call: Jaxpr;
  numConsts: number;
  /** (primals, tangents) of the non-constant operands → [outputs, output tangents]. */
  jvp: (primals: Array[], tangents: Array[]) => [Array[], Array[]];
  name: string;
}

/** Parameters of `custom_vjp_call`. */
export interface CustomVjpParams {
  call: Jaxpr;
  numConsts: number;
  /** primals (non-constant operands) → [outputs, residuals]. */
  fwd: (primals: Array[]) => [Array[], Array[]];
  /** (residuals, output cotangents) → cotangents of the non-constant operands. */
  bwd: (residuals: Array[], cts: Array[]) => (Array | null)[];
  name: string;
}

/** Parameters of `custom_lin`: operands are residuals then tangents. */
export interface CustomLinParams {
  numRes: number;
  bwd: CustomVjpParams["bwd"];
  outAvals: ShapedArray[];
  name: string;
}

/** Parameters of `linear_solve`: operands are matvec's constants then b. */
export interface LinearSolveParams {
  /** (consts..., x...) → A x, linear in x. */
  matvec: Jaxpr;
  numConsts: number;
  /** (consts, b) → x solving A x = b. */
  solve: SolveFn;
  /** (consts, b) → x solving Aᵀ x = b (null: not provided). */
  transposeSolve: SolveFn | null;
  symmetric: boolean;
}

/** Parameters of `custom_root`: operands are f's constants then the initial guess. */
export interface CustomRootParams {
  /** (consts..., x...) → f(x), the residual that is zero at the solution. */
  f: Jaxpr;
  numConsts: number;
  /** (consts, initial guess) → the root (the user's solver; never traced). */
  solve: SolveFn;
  /** (linear map g, y) → x with g(x) = y; solves the tangent systems. */
  tangentSolve: (g: (x: Array[]) => Array[], y: Array[]) => Array[];
}

const evalCall = (call: Jaxpr, args: Array[]) => evalJaxpr(call, [], args) as DeviceArray[];

/** The custom-derivative primitives, by name. */
export const customPrimitives = {
  custom_jvp_call: primitive<CustomJvpParams>({
    name: "custom_jvp_call",
    abstractEval: (_, { call }) => call.outAvals,
    impl: (args, { call }) => evalCall(call, args),
  }),
  custom_vjp_call: primitive<CustomVjpParams>({
    name: "custom_vjp_call",
    abstractEval: (_, { call }) => call.outAvals,
    impl: (args, { call }) => evalCall(call, args),
  }),
  custom_lin: primitive<CustomLinParams>({
    name: "custom_lin",
    abstractEval: (_, { outAvals }) => outAvals,
    impl: (_, { name }) => {
      throw new Error(
        `jvp: forward-mode differentiation (jvp, jacfwd, hessian) of the customVjp function ` +
          `'${name}' is not supported; use reverse mode (grad, vjp, jacrev), or define it with customJvp`,
      );
    },
  }),
  linear_solve: primitive<LinearSolveParams>({
    name: "linear_solve",
    abstractEval: (avals, { numConsts }) => avals.slice(numConsts).map((a) => a.strengthen()),
    impl: (args, { solve, numConsts }) =>
      runSolver(
        "linearSolve",
        () => solve(args.slice(0, numConsts), args.slice(numConsts)) as DeviceArray[],
      ),
  }),
  custom_root: primitive<CustomRootParams>({
    name: "custom_root",
    abstractEval: (avals, { numConsts }) => avals.slice(numConsts).map((a) => a.strengthen()),
    impl: (args, { solve, numConsts }) =>
      runSolver(
        "customRoot",
        () => solve(args.slice(0, numConsts), args.slice(numConsts)) as DeviceArray[],
      ),
  }),
};
