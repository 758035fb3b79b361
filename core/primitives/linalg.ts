/**
 * Linear-algebra primitives. Operands are batched over leading axes (identical batch shapes; the API
 * broadcasts them first), matrices are the last two axes.
 *
 * @module
 */
import { ShapedArray } from "../aval.ts";
import { DeviceArray } from "../device_array.ts";
import { allocate } from "../dtype.ts";
import { primitive } from "../primitive.ts";
import { fmtShape, shapesEqual, sizeOf } from "../shape.ts";

/** The linear-algebra primitives, by name. */
export const linalgPrimitives = {
  /** [..., m, k] × [..., k, n] → [..., m, n]. */
  matmul: primitive({
    name: "matmul",
    abstractEval([a, b]) {
      const ok = a.ndim >= 2 && a.ndim === b.ndim && a.dtype === b.dtype &&
        a.dtype !== "bool" && shapesEqual(a.shape.slice(0, -2), b.shape.slice(0, -2)) &&
        a.shape[a.ndim - 1] === b.shape[b.ndim - 2];
      if (!ok) {
        throw new TypeError(
          `matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} (dtypes ${a.dtype}, ` +
            `${b.dtype}) do not match: need [..., m, k] x [..., k, n] with equal batch shapes`,
        );
      }
      const shape = [...a.shape.slice(0, -1), b.shape[b.ndim - 1]];
      return [new ShapedArray(shape, a.dtype, a.weakType && b.weakType)];
    },
    impl([x, y]) {
      const [m, k] = x.shape.slice(-2), n = y.shape[y.ndim - 1];
      const batch = sizeOf(x.shape.slice(0, -2));
      const a = x.dataSync(), b = y.dataSync();
      const out = allocate(x.dtype, batch * m * n);
      const acc = new Float64Array(n);
      for (let t = 0; t < batch; t++) {
        for (let i = 0; i < m; i++) {
          acc.fill(0);
          for (let p = 0; p < k; p++) {
            const av = a[t * m * k + i * k + p];
            const boff = t * k * n + p * n;
            for (let j = 0; j < n; j++) acc[j] += av * b[boff + j];
          }
          out.set(acc, t * m * n + i * n);
        }
      }
      const shape = [...x.shape.slice(0, -1), n];
      return [new DeviceArray(new ShapedArray(shape, x.dtype, x.weakType && y.weakType), out)];
    },
  }),
};
