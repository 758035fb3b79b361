/**
 * The PRNG primitive: `threefry2x32`, JAX's `threefry2x32_p`. It hashes counter pairs `(x0, x1)`
 * under keys `(k0, k1)` elementwise; the samplers in `core/random.ts` build everything else
 * (split, fold_in, random bits, uniform, normal...) from it with ordinary ops, so they trace.
 *
 * zgrad has no unsigned dtype: the four operands and two outputs are int32 arrays holding uint32
 * bit patterns (as `jax.random.key_data` reinterpreted). The eager implementation is
 * {@link threefry2x32Keys} of `core/threefry.ts`, which is checked against the Random123
 * known-answer vectors.
 *
 * @module
 */
import { ShapedArray } from "../aval.ts";
import { DeviceArray } from "../device_array.ts";
import { primitive } from "../primitive.ts";
import { fmtShape, shapesEqual } from "../shape.ts";
import { threefry2x32Keys } from "../threefry.ts";

/** Reinterprets int32 storage as uint32 words without copying. */
function words(x: DeviceArray): Uint32Array {
  const d = x.dataSync();
  return new Uint32Array(d.buffer, d.byteOffset, d.length);
}

/** Reinterprets uint32 words as int32 storage without copying. */
function int32View(u: Uint32Array): Int32Array {
  return new Int32Array(u.buffer, u.byteOffset, u.length);
}

/**
 * The random-number primitives, by name.
 *
 * @example
 * ```ts
 * import { bind } from "../trace.ts";
 * import { array } from "../ops/mod.ts";
 * const z = array([0], "int32");
 * const [y0, y1] = bind(randomPrimitives.threefry2x32, [z, z, z, z]); // 0x6b200159, 0x99ba4efe
 * ```
 */
export const randomPrimitives = {
  /**
   * `threefry2x32(k0, k1, x0, x1) → (y0, y1)`: Threefry-2x32 (20 rounds), elementwise over four
   * int32 operands of one shape.
   */
  threefry2x32: primitive({
    name: "threefry2x32",
    abstractEval(avals) {
      const names = ["k0", "k1", "x0", "x1"];
      if (avals.length !== 4) {
        throw new TypeError(
          `threefry2x32: expected 4 operands (k0, k1, x0, x1), got ${avals.length}`,
        );
      }
      avals.forEach((a, i) => {
        if (a.dtype !== "int32") {
          throw new TypeError(
            `threefry2x32: operand ${names[i]} must be int32 (uint32 bits), got ${a}`,
          );
        }
        if (!shapesEqual(a.shape, avals[0].shape)) {
          throw new TypeError(
            `threefry2x32: operands must have equal shapes, got ${
              avals.map((v, j) => `${names[j]} ${fmtShape(v.shape)}`).join(", ")
            }`,
          );
        }
      });
      const out = new ShapedArray(avals[0].shape, "int32");
      return [out, out];
    },
    impl([k0, k1, x0, x1]) {
      const [y0, y1] = threefry2x32Keys(words(k0), words(k1), words(x0), words(x1));
      const aval = new ShapedArray(k0.shape, "int32");
      return [new DeviceArray(aval, int32View(y0)), new DeviceArray(aval, int32View(y1))];
    },
  }),
};
