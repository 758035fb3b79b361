/**
 * The one place where `jit/` plugs into `core/`. Core reaches a backend through two settable
 * hooks, because `core/` must not import `jit/`: `jitCallExecutor` (core/primitives/control.ts)
 * runs every `jit_call` on concrete arrays, and `deviceDispatch` (core/trace.ts) runs eager
 * operations whose operands live on another device. Both are set here, once, when `jit/jit.ts`
 * (and so `mod.ts`) is loaded. (`installOps` in core/array.ts is core's own wiring of the op
 * functions into `Array`'s methods, not a backend hook.)
 *
 * @module
 */
import { jitCallExecutor } from "../core/primitives/control.ts";
import { deviceDispatch } from "../core/trace.ts";
import { runOnDevice } from "./eager.ts";
import { runJitCall } from "./jit.ts";

jitCallExecutor.run = runJitCall;
deviceDispatch.run = runOnDevice;
