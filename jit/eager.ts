/**
 * Eager operations on device arrays: `x.mul(2)` where `x` lives on WebGPU runs there, as a
 * compiled program of that one primitive (so there is one way to execute: the jit path). The
 * program caches (`ProgramCache`, by structure) compile each primitive, parameters and operand
 * types once.
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import type { DeviceArray } from "../core/device_array.ts";
import { Jaxpr, Var } from "../core/jaxpr.ts";
import type { Params, Primitive } from "../core/primitive.ts";
import { jitCallExecutor } from "../core/primitives/control.ts";

/**
 * Runs one primitive on the device of its operands (CPU operands are uploaded).
 *
 * @example
 * ```ts
 * import { array, devicePut, initDevice } from "../mod.ts";
 * import { runOnDevice } from "./eager.ts";
 * import { P } from "../core/primitives/mod.ts";
 * if (await initDevice("webgpu")) {
 *   const x = devicePut(array([1, 2]), "webgpu");
 *   const [y] = runOnDevice(P.exp, [x as never], {});
 *   console.log(await y.data());
 * }
 * ```
 */
export function runOnDevice(prim: Primitive, args: DeviceArray[], params: Params): Array[] {
  // A jit_call already runs on its operands' device.
  if (prim.name === "jit_call") return prim.impl(args, params);
  const jaxpr = oneEquation(prim, args, params);
  return jitCallExecutor.run(args, { jaxpr, name: prim.name });
}

function oneEquation(prim: Primitive, args: DeviceArray[], params: Params): Jaxpr {
  const invars = args.map((a) => new Var(a.aval));
  const outputs = prim.abstractEval(invars.map((v) => v.aval), params).map((a) => new Var(a));
  return new Jaxpr([], invars, [{ prim, inputs: invars, params, outputs }], outputs);
}
