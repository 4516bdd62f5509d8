/** Layers by class name, for checkpoints. */
import { Activation, ReLU, Softmax } from './activations.js';
import { Dense } from './dense.js';
import type { Layer, LayerConfig } from './layer.js';
import { BatchNormalization } from './normalization.js';
import { Normalization, Rescaling } from './preprocessing.js';
import { Dropout, type DropoutOptions } from './regularization.js';
import { Flatten } from './reshaping.js';

/** Rebuilds a layer from `{ className, config }` (checkpoints). */
export function layerFromConfig(spec: LayerConfig): Layer {
  const c = spec.config as never;
  switch (spec.className) {
    case 'Dense':
      return new Dense(c);
    case 'BatchNormalization':
      return new BatchNormalization(c);
    case 'ReLU':
      return new ReLU(c);
    case 'Softmax':
      return new Softmax(c);
    case 'Activation':
      return new Activation(c);
    case 'Dropout':
      return new Dropout({
        ...(c as object),
        seed: (spec.config.seed as number | null) ?? undefined,
      } as DropoutOptions);
    case 'Flatten':
      return new Flatten(c);
    case 'Rescaling':
      return new Rescaling(c);
    case 'Normalization':
      return new Normalization(c);
    default:
      throw new Error(`Unknown layer class "${spec.className}" in a saved model.`);
  }
}
