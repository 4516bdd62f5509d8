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
import { type CheckpointStore, type CheckpointTarget, toStore } from './checkpoint-store.js';
import { type Checkpointable, type CompileConfig, type SequentialConfig, trainingProgress } from './checkpointable.js';
import type { ProgressState } from './training-progress.js';

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
  const modelWeights = await readWeights(model.weights.map((w) => ({ name: `model/${w.name}`, tensor: w.variable })));
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
    training: model[trainingProgress].snapshot(),
    weights: manifest,
    modelWeightCount: modelWeights.length,
    optimizer,
    weightsByteLength: data.byteLength,
    checksum: fnv1a(data),
  };
  await store.write({ modelJson: JSON.stringify(json), weights: data });
}

/** model.json parsed and checked, and the weights it describes. */
export async function readCheckpoint(
  store: CheckpointStore,
): Promise<{ json: CheckpointJson; weights: NamedWeight[] }> {
  const files = await store.read();
  if (files === null) throw new Error(`No checkpoint at ${store.description}.`);
  let json: CheckpointJson;
  try {
    json = JSON.parse(files.modelJson) as CheckpointJson;
  } catch (error) {
    throw new Error(`Checkpoint ${store.description}: model.json is not valid JSON (${(error as Error).message}).`);
  }
  if (json.format !== CHECKPOINT_FORMAT) {
    throw new Error(`Checkpoint ${store.description}: format "${String(json.format)}" is not ${CHECKPOINT_FORMAT}.`);
  }
  if (files.weights.byteLength !== json.weightsByteLength || fnv1a(files.weights) !== json.checksum) {
    throw new Error(
      `Checkpoint ${store.description}: weights.bin (${files.weights.byteLength} bytes) does not match model.json (${json.weightsByteLength} bytes, checksum ${json.checksum}): the files are damaged or from different saves.`,
    );
  }
  return { json, weights: unpackWeights(json.weights, files.weights) };
}

export interface LoadInfo {
  /** Epochs completed when the checkpoint was written: pass it as fit's initialEpoch to resume. */
  readonly epoch: number;
  readonly optimizerRestored: boolean;
}

/**
 * Restores a checkpoint into `model`: weights (checked count by count and shape by shape), the optimizer state
 * if the model is compiled, and the training progress (epoch, shuffle seed, random streams; callback states go
 * to the callbacks of the next fit).
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
  return { epoch: json.training.epoch, optimizerRestored };
}
