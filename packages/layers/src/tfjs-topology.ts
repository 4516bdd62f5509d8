/**
 * Our layers as tfjs-layers' model topology: each layer's `{ class_name, config }` in the snake_case JSON that
 * Keras and `tf.loadLayersModel` read (tfjs-layers turns `use_bias` into `useBias` when it loads). Only layers
 * with a tfjs-layers 4.22 class of the same arithmetic are written; any other is refused, by name.
 */
import type { Initializer, InitializerName } from '@opt/tensor';
import type { Layer } from './layers/index.js';

/** A tfjs-layers layer as model.json holds it. */
export interface TfjsLayerJson {
  readonly class_name: string;
  readonly config: Record<string, unknown>;
}

/** Our initializer names and tfjs-layers' registered class names (their arguments are Keras's for both). */
const INITIALIZER_CLASSES: Record<InitializerName, string> = {
  glorotUniform: 'GlorotUniform',
  glorotNormal: 'GlorotNormal',
  heNormal: 'HeNormal',
  heUniform: 'HeUniform',
  zeros: 'Zeros',
  ones: 'Ones',
};

function initializer(init: InitializerName | Initializer | string): TfjsLayerJson {
  const name = (typeof init === 'string' ? init : init.name) as InitializerName;
  const className = INITIALIZER_CLASSES[name];
  if (className === undefined) throw new Error(`exportLayersModel: no tfjs-layers initializer for "${name}".`);
  return { class_name: className, config: className === 'Zeros' || className === 'Ones' ? {} : { seed: null } };
}

/** The config keys of one of our layers, in tfjs-layers' snake_case, without the common ones (name, dtype). */
function ownConfig(layer: Layer): [string, Record<string, unknown>] {
  const c = layer.getConfig();
  switch (layer.className) {
    case 'Dense':
      return [
        'Dense',
        {
          units: c.units,
          activation: c.activation,
          use_bias: c.useBias,
          kernel_initializer: initializer(c.kernelInitializer as string),
          bias_initializer: initializer(c.biasInitializer as string),
          kernel_regularizer: null,
          bias_regularizer: null,
          activity_regularizer: null,
          kernel_constraint: null,
          bias_constraint: null,
        },
      ];
    case 'BatchNormalization':
      return [
        'BatchNormalization',
        {
          axis: -1,
          momentum: c.momentum,
          epsilon: c.epsilon,
          center: c.center,
          scale: c.scale,
          beta_initializer: initializer('zeros'),
          gamma_initializer: initializer('ones'),
          moving_mean_initializer: initializer('zeros'),
          moving_variance_initializer: initializer('ones'),
          beta_regularizer: null,
          gamma_regularizer: null,
          beta_constraint: null,
          gamma_constraint: null,
        },
      ];
    case 'ReLU':
      return ['ReLU', { max_value: null }];
    case 'Softmax':
      return ['Softmax', { axis: -1 }];
    case 'Activation':
      return ['Activation', { activation: c.activation }];
    case 'Dropout':
      return ['Dropout', { rate: c.rate, noise_shape: null, seed: c.seed }];
    case 'Flatten':
      return ['Flatten', { data_format: 'channels_last' }];
    case 'Rescaling':
      return ['Rescaling', { scale: c.scale, offset: c.offset }];
    case 'Normalization':
      throw new Error(
        `exportLayersModel: layer "${layer.name}" (Normalization) has no equivalent in tfjs-layers 4.22, which has no ` +
          'Normalization layer. Normalize the inputs before the model instead, (x - mean) / max(sqrt(variance), 1e-7) ' +
          "with the layer's `mean` and `variance`, and train the model without the layer (or use Rescaling).",
      );
    default:
      throw new Error(
        `exportLayersModel: layer "${layer.name}" (${layer.className}) has no tfjs-layers equivalent here; ` +
          'exportable layers: Dense, BatchNormalization, ReLU, Softmax, Activation, Dropout, Flatten, Rescaling.',
      );
  }
}

/**
 * tfjs-layers' model topology of a Sequential of `layers` built for inputs of `inputShape` (batch axis
 * excluded): `{ class_name: 'Sequential', config: { name, layers } }`, the first layer carrying
 * `batch_input_shape: [null, ...inputShape]` as Keras writes it.
 */
export function sequentialTopology(
  name: string,
  layers: readonly Layer[],
  inputShape: readonly number[],
): Record<string, unknown> {
  const layerJson = layers.map((layer, i): TfjsLayerJson => {
    const [className, own] = ownConfig(layer);
    const config: Record<string, unknown> = { name: layer.name, trainable: true, dtype: 'float32', ...own };
    if (i === 0) config.batch_input_shape = [null, ...inputShape];
    return { class_name: className, config };
  });
  return {
    class_name: 'Sequential',
    config: { name, layers: layerJson },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
}
