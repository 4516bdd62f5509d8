/**
 * Checkpoints: a model's weights, its optimizer's state, its architecture and compile settings, and where its
 * training stands (epoch, shuffle seed, random streams, callback states), written through a
 * {@link CheckpointStore}. The model is reached only through the {@link Checkpointable} view.
 *
 * A checkpoint is two parts: `model.json` (everything JSON, including the weights manifest, the byte length and
 * an FNV-1a checksum of the weights) and `weights.bin` (@opt/tensor's packWeights buffer: the model's weights,
 * then the optimizer's slots).
 */
import type { OptimizerState } from '@opt/optimizers';
import { type NamedWeight, packWeights, readWeights, tf, unpackWeights, type WeightsManifestEntry } from '@opt/tensor';
import type { CheckpointStore } from './checkpoint-store.js';
import { type CheckpointTarget, toStore } from './checkpoint-target.js';
import { type Checkpointable, type CompileConfig, type SequentialConfig, trainingProgress } from './checkpointable.js';
import type { ProgressState } from './training-progress.js';

/** The format tag a checkpoint's `model.json` carries; loading refuses any other. */
export const CHECKPOINT_FORMAT = 'opt.layers.checkpoint.v1';

/** model.json. */
export interface CheckpointJson {
  readonly format: string;
  readonly model: SequentialConfig;
  readonly compile: CompileConfig | null;
  readonly training: ProgressState;
  readonly weights: WeightsManifestEntry[];
  readonly modelWeightCount: number;
  readonly optimizer: Omit<OptimizerState, 'slots'> | null;
  readonly weightsByteLength: number;
  readonly checksum: number;
}

/** FNV-1a over the bytes: catches a weights file that is not the one its model.json describes. */
export function fnv1a(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Writes the model's weights, optimizer state, configs and training progress to `target`, atomically. */
export async function saveModel(model: Checkpointable, target: CheckpointTarget): Promise<void> {
  const store = toStore(target);
  if (!model.built) throw new Error('save: the model is not built, so it has no weights yet.');
  // Read together, as they are at the call: inside an epoch the progress holds the epoch's sums so far.
  const [training, modelWeights] = await Promise.all([
    model[trainingProgress].snapshot(),
    readWeights(model.weights.map((w) => ({ name: `model/${w.name}`, tensor: w.variable }))),
  ]);
  let optimizer: CheckpointJson['optimizer'] = null;
  let slots: NamedWeight[] = [];
  if (model.isCompiled) {
    const { slots: s, ...rest } = await model.optimizer.getState();
    optimizer = rest;
    slots = s.map((w, i) => ({ name: `optimizer/${i}/${w.name}`, shape: w.shape, values: w.values }));
  }
  const { manifest, data } = packWeights([...modelWeights, ...slots]);
  const json: CheckpointJson = {
    format: CHECKPOINT_FORMAT,
    model: model.getConfig(),
    compile: model.getCompileConfig(),
    training,
    weights: manifest,
    modelWeightCount: modelWeights.length,
    optimizer,
    weightsByteLength: data.byteLength,
    checksum: fnv1a(data),
  };
  await store.write({ modelJson: JSON.stringify(json), weights: data });
}

/** model.json parsed and checked against its format and the weights' length and checksum; null: no checkpoint. */
async function readChecked(store: CheckpointStore): Promise<{ json: CheckpointJson; weights: Uint8Array } | null> {
  const files = await store.read();
  if (files === null) return null;
  let json: CheckpointJson;
  try {
    json = JSON.parse(files.modelJson) as CheckpointJson;
  } catch (error) {
    throw new Error(`Checkpoint ${store.description}: model.json is not valid JSON (${(error as Error).message}).`);
  }
  if (json === null || typeof json !== 'object' || json.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `Checkpoint ${store.description}: format "${String(json?.format)}" is not ${CHECKPOINT_FORMAT}, so this is not a checkpoint of @opt/layers (or of a version that cannot read it).`,
    );
  }
  if (files.weights.byteLength !== json.weightsByteLength || fnv1a(files.weights) !== json.checksum) {
    throw new Error(
      `Checkpoint ${store.description}: weights.bin (${files.weights.byteLength} bytes) does not match model.json (${json.weightsByteLength} bytes, checksum ${json.checksum}): the files are damaged or from different saves.`,
    );
  }
  return { json, weights: files.weights };
}

/** model.json parsed and checked, and the weights it describes. */
export async function readCheckpoint(
  store: CheckpointStore,
): Promise<{ json: CheckpointJson; weights: NamedWeight[] }> {
  const checked = await readChecked(store);
  if (checked === null) throw new Error(`No checkpoint at ${store.description}.`);
  return { json: checked.json, weights: unpackWeights(checked.json.weights, checked.weights) };
}

/** What a checkpoint says about itself, read without building a model: {@link readCheckpointInfo}. */
export interface CheckpointInfo {
  /** Where it was read: the directory, or the store's description (e.g. `indexeddb://opt-layers/mlp`). */
  readonly location: string;
  /** The format of its model.json, {@link CHECKPOINT_FORMAT}. */
  readonly format: string;
  /** Epochs completed when it was written: fit's `initialEpoch` to resume (a loaded model's `epochsCompleted`). */
  readonly epochsCompleted: number;
  /**
   * Steps done of the epoch after those when it was written: 0 at an epoch's end, more for a checkpoint written
   * inside an epoch (after a fit stopped by its signal, or from `onBatchEnd`). fit's `initialStep` to resume.
   */
  readonly stepsInEpoch: number;
  /** The architecture, as `Sequential.getConfig()` gave it (`Sequential.fromConfig` rebuilds it). */
  readonly model: SequentialConfig;
  /** The loss, metrics and optimizer passed to compile; null for a model saved uncompiled. */
  readonly compile: CompileConfig | null;
  /**
   * The optimizer's class and config, the steps it has taken (`iterations`) and its learning rate then;
   * null for a model saved uncompiled.
   */
  readonly optimizer: {
    readonly className: string;
    readonly config: Record<string, unknown>;
    readonly iterations: number;
    readonly learningRate: number;
  } | null;
  /**
   * The states of the callbacks of the fit that wrote it, by their `stateKey` (for checkpoints written before
   * stateKey existed: by position and class name, e.g. '0:ReduceLROnPlateau'). Saved outside a fit: those of the
   * fit that stopped on its signal, or of the checkpoint the model was loaded from; else empty.
   */
  readonly callbackStates: Readonly<Record<string, unknown>>;
  /** The model's weights: Keras paths (e.g. `dense/kernel`) and shapes, in the model's order. */
  readonly weights: ReadonlyArray<{ readonly name: string; readonly shape: readonly number[] }>;
  /** Bytes of weights.bin: the model's weights and the optimizer's slots, float32. */
  readonly weightsByteLength: number;
}

/**
 * Reads a checkpoint's description without building a model or loading its weights into tensors: the epochs
 * completed, the architecture, the compile settings, the optimizer (class, config, steps, learning rate) and
 * the callbacks' states. Null when `target` holds no checkpoint; an error that says what is wrong when it holds
 * a damaged one (model.json not JSON or of another format, weights.bin that does not match it, a missing file):
 * the same checks as loading, so a checkpoint this accepts also loads.
 */
export async function readCheckpointInfo(target: CheckpointTarget): Promise<CheckpointInfo | null> {
  const store = toStore(target);
  const checked = await readChecked(store);
  if (checked === null) return null;
  const { json } = checked;
  const saved = json.optimizer;
  return {
    location: store.description,
    format: json.format,
    epochsCompleted: json.training.epoch,
    stepsInEpoch: json.training.step ?? 0,
    model: json.model,
    compile: json.compile,
    optimizer:
      saved === null
        ? null
        : {
            className: saved.className,
            config: saved.config,
            iterations: saved.iterations,
            learningRate: saved.learningRate,
          },
    callbackStates: json.training.callbackStates ?? json.training.callbacks ?? {},
    weights: json.weights
      .slice(0, json.modelWeightCount)
      .map((w) => ({ name: w.name.replace(/^model\//, ''), shape: w.shape })),
    weightsByteLength: json.weightsByteLength,
  };
}

/**
 * Deletes the checkpoint at `target`, atomically (a directory: both files and the fallback `<dir>.old`; an
 * IndexedDbStore: its record). Resolves to true if there was one, false if there was nothing to delete. A
 * directory holding other files besides the checkpoint's is refused, not removed.
 */
export async function deleteCheckpoint(target: CheckpointTarget): Promise<boolean> {
  const store = toStore(target);
  if (typeof store.delete !== 'function') {
    throw new TypeError(
      `deleteCheckpoint: the store for ${store.description} has no delete() method; a CheckpointStore needs write, read and delete.`,
    );
  }
  return store.delete();
}

/** What {@link Sequential.loadWeights} and `loadModel` restored, and where to resume. */
export interface LoadInfo {
  /** Epochs completed when the checkpoint was written: pass it as fit's initialEpoch to resume. */
  readonly epoch: number;
  /** Steps done of epoch `epoch` (0 at an epoch's end): pass it as fit's initialStep to resume. */
  readonly step: number;
  /** True when the checkpoint held optimizer state (slots, iterations) and it was restored. */
  readonly optimizerRestored: boolean;
}

/**
 * Restores a checkpoint into `model`: weights (checked count by count and shape by shape), the optimizer state
 * if the model is compiled, and the training progress (epoch, step within it and that epoch's sums, shuffle
 * seed, random streams; callback states go to the callbacks of the next fit).
 */
export async function loadWeights(model: Checkpointable, target: CheckpointTarget): Promise<LoadInfo> {
  const store = toStore(target);
  return restoreCheckpoint(model, await readCheckpoint(store), store.description);
}

/** {@link loadWeights} for a checkpoint already read. */
export async function restoreCheckpoint(
  model: Checkpointable,
  { json, weights }: { json: CheckpointJson; weights: NamedWeight[] },
  where: string,
): Promise<LoadInfo> {
  if (!model.built) {
    if (json.model.inputShape === null)
      throw new Error('loadWeights: build the model (pass inputShape) before loading.');
    model.build(json.model.inputShape);
  }
  const saved = weights.slice(0, json.modelWeightCount);
  const slots = weights.slice(json.modelWeightCount);
  const own = model.weights;
  if (saved.length !== own.length) {
    throw new Error(
      `Checkpoint ${where} holds ${saved.length} weights (${saved.map((w) => w.name.replace(/^model\//, '')).join(', ')}) but the model has ${own.length} (${own.map((w) => w.name).join(', ')}): it was saved from a different architecture.`,
    );
  }
  own.forEach((w, i) => {
    const s = saved[i] as NamedWeight;
    if (!tf.util.arraysEqual(s.shape.slice(), w.variable.shape)) {
      throw new Error(
        `Checkpoint ${where} does not fit the model: weight "${s.name.replace(/^model\//, '')}" has shape [${s.shape.join(', ')}] but the model's "${w.name}" has shape [${w.variable.shape.join(', ')}].`,
      );
    }
  });
  own.forEach((w, i) => {
    const s = saved[i] as NamedWeight;
    const t = tf.tensor(s.values, s.shape.slice(), 'float32');
    w.variable.assign(t);
    t.dispose();
  });
  let optimizerRestored = false;
  if (model.isCompiled && json.optimizer !== null) {
    // Awaited in case setState is asynchronous; the model built the optimizer's slots with its weights.
    await model.optimizer.setState({
      ...json.optimizer,
      slots: slots.map((w) => ({ ...w, name: w.name.replace(/^optimizer\/\d+\//, '') })),
    } as OptimizerState);
    optimizerRestored = true;
  }
  model[trainingProgress].restore(json.training);
  return { epoch: json.training.epoch, step: json.training.step ?? 0, optimizerRestored };
}
