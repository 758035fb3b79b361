/**
 * `makeJaxpr`: the IR of a function, for reading and debugging.
 *
 * @module
 */
import { flattenArgs, flattenFun } from "./api_util.ts";
import { ClosedJaxpr } from "./jaxpr.ts";
import { traceFlat } from "./staging.ts";

/**
 * Traces `f` at the given arguments' shapes and dtypes and returns its jaxpr.
 *
 * @example
 * ```ts
 * import { makeJaxpr, sin, array } from "./mod.ts";
 * console.log(makeJaxpr((x) => sin(x).mul(2))(array([1, 2])).toString());
 * // { lambda ; a:f32[2]. let
 * //     b:f32[2] = sin a
 * //     c:f32[2] = broadcast_in_dim[shape=(2) broadcastDimensions=()] 2.0
 * //     d:f32[2] = mul b c
 * //   in (d) }
 * ```
 */
// deno-lint-ignore no-explicit-any
export function makeJaxpr(f: (...args: any[]) => unknown): (...args: unknown[]) => ClosedJaxpr {
  return (...args: unknown[]) => {
    const [xs, inDef] = flattenArgs("makeJaxpr", args);
    const { flat } = flattenFun("makeJaxpr", f, inDef);
    const { jaxpr, consts } = traceFlat(flat, xs.map((x) => x.aval), "makeJaxpr");
    return new ClosedJaxpr(jaxpr, consts);
  };
}
