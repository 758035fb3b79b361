/**
 * zgrad core: arrays, the numpy-style API, tracing, jaxprs and pytrees.
 *
 * @module
 */
export * from "./ops/mod.ts";
export { Array, type ArrayLike, type NestedNumbers, type SliceSpec } from "./array.ts";
export { ShapedArray } from "./aval.ts";
export { DeviceArray } from "./device_array.ts";
export { type DType, DTYPES, type TypedArray } from "./dtype.ts";
export { ClosedJaxpr, Jaxpr } from "./jaxpr.ts";
export {
  ConcretizationError,
  EscapedTracerError,
  Tracer,
  TracerBoolConversionError,
} from "./trace.ts";
export * as tree from "./tree.ts";
