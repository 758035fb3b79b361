/**
 * A small fully connected network (multi-layer perceptron): its parameters are a plain pytree
 * (`[{w, b}, ...]`, one object per layer, `w` of shape `[in, out]`), so `grad`, `jit`, the
 * optimisers of `optim/` and {@link saveParams} work on it directly.
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import type { DType } from "../core/dtype.ts";
import { asArray } from "../core/ops/convert.ts";
import { zeros } from "../core/ops/creation.ts";
import { maximum, sigmoid, tanh } from "../core/ops/elementwise.ts";
import { matmul } from "../core/ops/linalg.ts";
import { key as makeKey, split } from "../core/random.ts";
import { glorotUniform, type Initializer, lecunNormal } from "./init.ts";

/** One dense layer's parameters: `y = x·w + b`. */
// A type alias, not an interface, so it is assignable to the optimisers' pytree type.
export type DenseParams = {
  /** Kernel, `[in, out]`. */
  w: Array;
  /** Bias, `[out]`. */
  b: Array;
};

/** An MLP's parameters, input layer first. */
export type MlpParams = DenseParams[];

/**
 * Hidden-layer activations by name.
 *
 * @example
 * ```ts
 * import { ACTIVATIONS } from "./mlp.ts";
 * Object.keys(ACTIVATIONS); // tanh, relu, sigmoid
 * ```
 */
export const ACTIVATIONS: Readonly<Record<"tanh" | "relu" | "sigmoid", (x: Array) => Array>> = {
  tanh,
  relu: (x: Array): Array => maximum(x, 0),
  sigmoid,
};

/** Name of a hidden-layer activation. */
export type Activation = keyof typeof ACTIVATIONS;

/** Options of {@link mlp}. */
export interface MlpOptions {
  /** Activation of the hidden layers (default `"tanh"`); the output layer is linear (logits). */
  activation?: Activation;
  /** Seed of the initialisation (default 0). */
  seed?: number;
  /**
   * Kernel initialiser: `"lecunNormal"` (default, flax `Dense`'s: truncated normal, variance
   * 1/fanIn) or `"glorotUniform"`. Biases start at 0 (flax and haiku).
   */
  init?: "lecunNormal" | "glorotUniform";
  /** dtype of the parameters (default float32). */
  dtype?: DType;
}

/** An MLP: its initial parameters and the function applying it. */
export interface Mlp {
  /** Initial parameters. */
  params: MlpParams;
  /** Layer sizes, input first. */
  sizes: readonly number[];
  /** `[N, in]` (or `[in]`) inputs → `[N, out]` (or `[out]`) outputs (logits). */
  apply(params: MlpParams, x: Array): Array;
}

const INITS: Record<NonNullable<MlpOptions["init"]>, Initializer> = { lecunNormal, glorotUniform };

/**
 * A multi-layer perceptron with layer sizes `sizes` (input first): hidden layers
 * `activation(x·w + b)`, a linear last layer. Layer i's kernel is drawn with key
 * `split(key(seed), L)[i]`.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { mlp } from "./mod.ts";
 * const net = mlp([3, 16, 16, 1], { activation: "tanh", seed: 42 });
 * const logits = net.apply(net.params, array([[0.4, 1.2, 0.8]])); // [1, 1]
 * ```
 */
export function mlp(sizes: readonly number[], opts: MlpOptions = {}): Mlp {
  const { activation = "tanh", seed = 0, init = "lecunNormal", dtype = "float32" } = opts;
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new RangeError(`mlp: sizes must be ≥ 2 positive integers, got [${sizes}]`);
  }
  if (!(activation in ACTIVATIONS)) {
    throw new RangeError(
      `mlp: unknown activation ${JSON.stringify(activation)} (${Object.keys(ACTIVATIONS)})`,
    );
  }
  const initW = INITS[init];
  if (!initW) throw new RangeError(`mlp: unknown init ${JSON.stringify(init)}`);
  const L = sizes.length - 1;
  const keys = split(makeKey(seed), L);
  const params: MlpParams = [];
  for (let i = 0; i < L; i++) {
    params.push({
      w: initW(keys.slice(i), [sizes[i], sizes[i + 1]], dtype),
      b: zeros([sizes[i + 1]], dtype),
    });
  }
  const act = ACTIVATIONS[activation];
  return {
    params,
    sizes: [...sizes],
    apply: (ps, x) => applyMlp(ps, x, act, sizes),
  };
}

function applyMlp(
  params: MlpParams,
  x: Array,
  act: (x: Array) => Array,
  sizes: readonly number[],
): Array {
  if (!globalThis.Array.isArray(params) || params.length !== sizes.length - 1) {
    throw new RangeError(
      `mlp.apply: expected ${sizes.length - 1} layers of {w, b}, got ${
        globalThis.Array.isArray(params) ? params.length : typeof params
      }`,
    );
  }
  let h = asArray(x);
  if (h.shape[h.ndim - 1] !== sizes[0]) {
    throw new RangeError(`mlp.apply: input shape [${h.shape}] does not end in ${sizes[0]}`);
  }
  params.forEach((layer, i) => {
    h = matmul(h, layer.w).add(layer.b);
    if (i < params.length - 1) h = act(h);
  });
  return h;
}
