/**
 * Small neural networks for analyses: an MLP with flax-default initialisation, the binary
 * cross-entropy with logits, class-balancing weights, a training loop, and parameters saved as
 * JSON.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { classWeights, mlp, saveParams, train } from "./mod.ts";
 * const net = mlp([3, 16, 16, 1], { activation: "tanh", seed: 42 });
 * const x = array([[0.1, 0.2, 0.3], [0.9, 0.8, 0.7]]), y = array([0, 1]);
 * const { params } = train({ ...net, x, y, weights: classWeights(y), epochs: 1000, lr: 0.02 });
 * await saveParams("mlp.json", params);
 * ```
 *
 * @module
 */
export {
  type Activation,
  ACTIVATIONS,
  type DenseParams,
  type Mlp,
  mlp,
  type MlpOptions,
  type MlpParams,
} from "./mlp.ts";
export { glorotUniform, type Initializer, lecunNormal, truncatedNormal } from "./init.ts";
export { bceWithLogits, classWeights, sigmoidBinaryCrossEntropy } from "./loss.ts";
export { train, type TrainOptions, type TrainResult } from "./train.ts";
export { loadParams, paramsFromJson, type ParamsJson, paramsToJson, saveParams } from "./io.ts";
