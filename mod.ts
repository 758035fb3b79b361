/**
 * zgrad: a JAX-style functional autodiff framework for Deno — arrays with a numpy-style API,
 * composable transforms (grad, vmap, jit, customVjp, customRoot, ...) compiled to fused JavaScript
 * kernels (worker threads) or WebGPU. The differentiable statistics layer for particle-physics
 * analyses is the separate `./stats` entry (`stats.ts`).
 *
 * @example
 * ```ts
 * import { grad, array, sin } from "./mod.ts";
 * const df = grad((x) => sin(x).sum());
 * console.log(df(array([0, 1])).toString()); // [1., 0.5403023]
 * ```
 *
 * @module
 */
export * from "./core/mod.ts";
export { makeJaxpr } from "./core/make_jaxpr.ts";
export {
  type Fn,
  grad,
  type GradOptions,
  hessian,
  jacfwd,
  jacrev,
  jvp,
  valueAndGrad,
  vjp,
  type VjpOptions,
  vjpWithOptions,
  vmap,
  type VmapOptions,
} from "./ad/api.ts";
export { jit, type JitOptions, type Jitted } from "./jit/jit.ts";
export { FORWARD_MAX_INPUTS, FORWARD_MIN_DATA, type GradMode } from "./ad/grad_mode.ts";
export {
  type BufferPoolLimits,
  configureBufferPool,
  defaultDevice,
  type Device,
  deviceGet,
  devicePut,
  initDevice,
  memoryStats,
  setDefaultDevice,
} from "./jit/device.ts";
export type { WebGpuContext, WebGpuLimits } from "./jit/webgpu/device.ts";
export {
  configureCpuParallel,
  type CpuParallelConfig,
  type CpuPoolStats,
  cpuPoolStats,
} from "./jit/cpu/parallel.ts";
export {
  customJvp,
  type CustomJvpFunction,
  type CustomOptions,
  customVjp,
  type CustomVjpFunction,
} from "./ad/custom.ts";
export { customRoot, linearSolve, type LinearSolveOptions } from "./ad/implicit.ts";
export {
  checkGrads,
  type CheckGradsOptions,
  GradCheckError,
  type GradCheckMode,
} from "./ad/check_grads.ts";
export * as random from "./core/random.ts";
// The statistics layer is the package's `./stats` entry (stats.ts), not re-exported here: the
// core entry stays free of it and of its dependency (zod).
/** Optimisers over pytrees, as optax: `adam`, `sgd`, `chain`, per-parameter rates, clipping, projections. */
export * as optim from "./optim/mod.ts";
/** Small neural networks: an MLP, binary cross-entropy, a training loop, JSON save/load. */
export * as nn from "./nn/mod.ts";
