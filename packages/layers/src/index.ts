/**
 * @opt/layers: the handbook's layers, losses and metrics, a Sequential model
 * with a fast hand-differentiated training loop, callbacks and atomic,
 * resumable checkpoints.
 */

export { ACTIVATION_NAMES, type ActivationName } from './activations.js';
export {
  EarlyStopping,
  type EarlyStoppingOptions,
  type Mode,
  ModelCheckpoint,
  type ModelCheckpointOptions,
  TerminateOnNaN,
} from './callbacks.js';
export {
  CHECKPOINT_FORMAT,
  type CheckpointFiles,
  type CheckpointStore,
  type CheckpointTarget,
  DirectoryStore,
  IndexedDbStore,
  type LoadInfo,
  loadModel,
  loadWeights,
  saveModel,
} from './checkpoint.js';
export {
  Activation,
  type ApplyOptions,
  type BackwardResult,
  BatchNormalization,
  type BatchNormalizationOptions,
  Dense,
  type DenseOptions,
  Dropout,
  type DropoutOptions,
  Flatten,
  type ForwardResult,
  Layer,
  type LayerConfig,
  type LayerWeight,
  layerFromConfig,
  Normalization,
  ReLU,
  Rescaling,
  Softmax,
} from './layers.js';
export {
  categoricalCrossentropy,
  correctCount,
  EPSILON,
  getLoss,
  LOSS_NAMES,
  type Loss,
  type LossName,
  type LossOptions,
  type LossSpec,
  METRIC_NAMES,
  type MetricName,
  meanSquaredError,
  metricKey,
  oneHotLabels,
  sparseCategoricalCrossentropy,
} from './losses.js';
export {
  type BatchLossCallback,
  type CompileOptions,
  type EvaluateOptions,
  epochPermutation,
  type FitOptions,
  History,
  Sequential,
  type SequentialOptions,
  type TrainingState,
} from './sequential.js';
export type { Batch, BatchSource, OptimizerStateLike, TrainingOptimizer } from './types.js';
