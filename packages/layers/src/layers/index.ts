/** The layers, one file per family as in Keras 3 (`keras/src/layers/`), and the factory that rebuilds them. */
export { Activation, ReLU, Softmax } from './activations.js';
export { Dense, type DenseOptions } from './dense.js';
export { layerFromConfig } from './factory.js';
export {
  type ApplyOptions,
  type BackwardResult,
  type ForwardResult,
  Layer,
  type LayerConfig,
  type LayerWeight,
} from './layer.js';
export { BatchNormalization, type BatchNormalizationOptions } from './normalization.js';
export { Normalization, Rescaling } from './preprocessing.js';
export { Dropout, type DropoutOptions } from './regularization.js';
export { Flatten } from './reshaping.js';
