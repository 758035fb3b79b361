/**
 * zgrad core: arrays, the numpy-style API, tracing, jaxprs and pytrees.
 *
 * @module
 */
export * from "./ops/mod.ts";
export { Array, type ArrayLike, type NestedNumbers, type SliceSpec } from "./array.ts";
export { ShapedArray } from "./aval.ts";
export type { Shape } from "./shape.ts";
export type { TypeInfo } from "./dtype.ts";
export type { Params, Primitive } from "./primitive.ts";
export { DeviceArray } from "./device_array.ts";
export { type DType, DTYPES, type TypedArray } from "./dtype.ts";
export { type Atom, ClosedJaxpr, type Eqn, Jaxpr, Literal, Var } from "./jaxpr.ts";
export {
  ConcretizationError,
  EscapedTracerError,
  SolverClosureError,
  Trace,
  Tracer,
  TracerBoolConversionError,
} from "./trace.ts";
export * as tree from "./tree.ts";
/**
 * The normal distribution (`cdf`, `logcdf`, `sf`, `logsf`, `pdf`, `logpdf`, `ppf`, `isf`), like
 * `jax.scipy.stats.norm`.
 */
export * as norm from "./ops/norm.ts";
/** `numpy.linalg` under its numpy names (`linalg.eigh`, `linalg.svd`, `linalg.qr`, ...). */
export * as linalg from "./linalg.ts";
