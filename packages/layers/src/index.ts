/**
 * @opt/layers: the handbook's layers, losses and metrics, a Sequential model
 * with a fast hand-differentiated training loop, callbacks and atomic,
 * resumable checkpoints.
 */

// Node's DirectoryStore, or in a browser bundle one whose constructor says to use IndexedDbStore (package.json `imports`).
export { DirectoryStore } from '#directory-store';
export { ACTIVATION_NAMES, type ActivationName } from './activations.js';
export {
  EarlyStopping,
  type EarlyStoppingOptions,
  History,
  type Mode,
  TerminateOnNaN,
} from './callbacks.js';
export {
  CHECKPOINT_FORMAT,
  type CheckpointInfo,
  deleteCheckpoint,
  type LoadInfo,
  loadWeights,
  readCheckpointInfo,
  saveModel,
} from './checkpoint.js';
export type { CheckpointFiles, CheckpointStore } from './checkpoint-store.js';
export type { CheckpointTarget } from './checkpoint-target.js';
export type { Checkpointable, CompileConfig, SequentialConfig } from './checkpointable.js';
export { type ConfusionMatrixOptions, confusionMatrix, perClassAccuracy } from './confusion-matrix.js';
export { type Batch, type BatchSource, type TensorBatchesOptions, tensorBatches } from './data-adapter.js';
export type { BatchLogs, FitCallback, FitStop, TrainEnd } from './fit-loop.js';
export type { EvaluateOptions, FitOptions, SourceFitOptions } from './fit-options.js';
export { IndexedDbStore } from './indexeddb-store.js';
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
} from './layers/index.js';
export { type LoadModelOptions, loadModel } from './load-model.js';
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
export { ModelCheckpoint, type ModelCheckpointOptions, type SaveHook } from './model-checkpoint.js';
export { Sequential } from './sequential.js';
export type { CompileOptions, SequentialOptions } from './sequential-options.js';
export { type ExportableModel, exportLayersModel, type LayersModelTarget } from './tfjs-export.js';
export { TfjsStore } from './tfjs-store.js';
export { AUTO_YIELD_MS, type YieldEvery } from './yielder.js';
