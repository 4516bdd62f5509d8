/**
 * Checkpoints: weights, optimizer state, model and compile config, epoch and
 * random streams, written through a small storage interface so that Node
 * directories and browser IndexedDB share the code.
 *
 * A checkpoint is two parts: `model.json` (everything JSON, including the
 * weights manifest, the byte length and an FNV-1a checksum of the weights) and
 * `weights.bin` (@opt/tensor's packWeights buffer: the model's weights, then the
 * optimizer's slots).
 */
import { optimizerFromConfig } from '@opt/optimizers';
import { type ScheduleConfig, scheduleFromConfig } from '@opt/schedules';
import {
  type NamedWeight,
  packWeights,
  type RandomState,
  readWeights,
  tf,
  unpackWeights,
  type WeightsManifestEntry,
} from '@opt/tensor';
import { categoricalCrossentropy, getLoss, type Loss, type LossName, sparseCategoricalCrossentropy } from './losses.js';
import { Sequential } from './sequential.js';
import type { OptimizerStateLike, TrainingOptimizer } from './types.js';

export const CHECKPOINT_FORMAT = 'opt.layers.checkpoint.v1';

/** The two parts of a checkpoint. */
export interface CheckpointFiles {
  readonly modelJson: string;
  readonly weights: Uint8Array;
}

/**
 * Where checkpoints live. `write` must be atomic: after a crash at any point,
 * `read` returns either the previous complete checkpoint or the new one, never a mix.
 */
export interface CheckpointStore {
  write(files: CheckpointFiles): Promise<void>;
  /** The stored checkpoint, or null when there is none. */
  read(): Promise<CheckpointFiles | null>;
  /** For messages, e.g. the directory. */
  readonly description: string;
}

interface CheckpointJson {
  format: string;
  model: ReturnType<Sequential['getConfig']>;
  compile: Record<string, unknown> | null;
  training: {
    epoch: number;
    shuffleSeed: number;
    random: Record<string, RandomState>;
    callbacks?: Record<string, unknown>;
  };
  weights: WeightsManifestEntry[];
  modelWeightCount: number;
  optimizer: Omit<OptimizerStateLike, 'slots'> | null;
  weightsByteLength: number;
  checksum: number;
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

/**
 * A checkpoint directory in Node: `model.json` + `weights.bin`.
 *
 * Writing: both files go to a fresh `<dir>.tmp-*` directory and are fsynced;
 * then the previous checkpoint is renamed to `<dir>.old`, the new one renamed
 * to `<dir>`, the parent fsynced, and `<dir>.old` removed. A crash before the
 * second rename leaves `<dir>.old`, which `read` falls back to.
 */
export class DirectoryStore implements CheckpointStore {
  constructor(readonly directory: string) {
    if (typeof directory !== 'string' || directory.length === 0) {
      throw new TypeError('DirectoryStore needs a directory path.');
    }
  }

  get description(): string {
    return this.directory;
  }

  async write(files: CheckpointFiles): Promise<void> {
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    const dir = path.resolve(this.directory);
    const parent = path.dirname(dir);
    await fs.mkdir(parent, { recursive: true });
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
    await fs.mkdir(tmp);
    const writeSynced = async (file: string, data: string | Uint8Array) => {
      const handle = await fs.open(file, 'w');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    };
    await writeSynced(path.join(tmp, 'weights.bin'), files.weights);
    await writeSynced(path.join(tmp, 'model.json'), files.modelJson);
    await syncDirectory(tmp);
    const old = `${dir}.old`;
    await fs.rm(old, { recursive: true, force: true });
    const exists = await fs.stat(dir).then(
      () => true,
      () => false,
    );
    if (exists) await fs.rename(dir, old);
    await fs.rename(tmp, dir);
    await syncDirectory(parent);
    await fs.rm(old, { recursive: true, force: true });
  }

  async read(): Promise<CheckpointFiles | null> {
    const path = await import('node:path');
    const dir = path.resolve(this.directory);
    return (await readDirectory(dir)) ?? (await readDirectory(`${dir}.old`));
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const fs = await import('node:fs/promises');
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readDirectory(dir: string): Promise<CheckpointFiles | null> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  try {
    const modelJson = await fs.readFile(path.join(dir, 'model.json'), 'utf8');
    const weights = new Uint8Array(await fs.readFile(path.join(dir, 'weights.bin')));
    return { modelJson, weights };
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * A checkpoint in the browser's IndexedDB: both parts in one record, written in
 * one transaction (IndexedDB transactions are atomic).
 */
export class IndexedDbStore implements CheckpointStore {
  constructor(
    readonly key: string,
    readonly databaseName = 'opt-layers',
    private readonly factory: IDBFactory | undefined = globalThis.indexedDB,
  ) {}

  get description(): string {
    return `indexeddb://${this.databaseName}/${this.key}`;
  }

  private open(): Promise<IDBDatabase> {
    const factory = this.factory;
    if (factory === undefined) {
      return Promise.reject(
        new Error('IndexedDbStore: indexedDB is not available here (Node has none); use DirectoryStore.'),
      );
    }
    return new Promise((resolve, reject) => {
      const request = factory.open(this.databaseName, 1);
      request.onupgradeneeded = () => request.result.createObjectStore('checkpoints');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async write(files: CheckpointFiles): Promise<void> {
    const db = await this.open();
    try {
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction('checkpoints', 'readwrite');
        tx.objectStore('checkpoints').put({ modelJson: files.modelJson, weights: files.weights.slice() }, this.key);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
      });
    } finally {
      db.close();
    }
  }

  async read(): Promise<CheckpointFiles | null> {
    const db = await this.open();
    try {
      return await new Promise((resolve, reject) => {
        const request = db.transaction('checkpoints', 'readonly').objectStore('checkpoints').get(this.key);
        request.onsuccess = () => {
          const v = request.result as { modelJson: string; weights: Uint8Array } | undefined;
          resolve(v === undefined ? null : { modelJson: v.modelJson, weights: new Uint8Array(v.weights) });
        };
        request.onerror = () => reject(request.error);
      });
    } finally {
      db.close();
    }
  }
}

export type CheckpointTarget = string | CheckpointStore;

export function toStore(target: CheckpointTarget): CheckpointStore {
  if (typeof target === 'string') return new DirectoryStore(target);
  if (target !== null && typeof target === 'object' && typeof target.write === 'function') return target;
  throw new TypeError('Expected a directory path or a CheckpointStore (DirectoryStore, IndexedDbStore).');
}

/** Writes the model's weights, optimizer state, configs, epoch and random streams to `target`. */
export async function saveModel(model: Sequential, target: CheckpointTarget): Promise<void> {
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
    training: {
      epoch: model.trainingState.epoch,
      shuffleSeed: model.trainingState.shuffleSeed,
      random: model.getRandomStates(),
      callbacks: model.getCallbackStates(),
    },
    weights: manifest,
    modelWeightCount: modelWeights.length,
    optimizer,
    weightsByteLength: data.byteLength,
    checksum: fnv1a(data),
  };
  await store.write({ modelJson: JSON.stringify(json), weights: data });
}

async function readCheckpoint(store: CheckpointStore): Promise<{ json: CheckpointJson; weights: NamedWeight[] }> {
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
 * Restores a checkpoint into `model`: weights (checked count by count and shape
 * by shape), the optimizer state if the model is compiled, epoch, shuffle seed
 * and random streams.
 */
export async function loadWeights(model: Sequential, target: CheckpointTarget): Promise<LoadInfo> {
  const store = toStore(target);
  const { json, weights } = await readCheckpoint(store);
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
      `Checkpoint ${store.description} holds ${saved.length} weights (${saved.map((w) => w.name.replace(/^model\//, '')).join(', ')}) but the model has ${own.length} (${own.map((w) => w.name).join(', ')}): it was saved from a different architecture.`,
    );
  }
  own.forEach((w, i) => {
    const s = saved[i] as NamedWeight;
    if (!tf.util.arraysEqual(s.shape.slice(), w.variable.shape)) {
      throw new Error(
        `Checkpoint ${store.description} does not fit the model: weight "${s.name.replace(/^model\//, '')}" has shape [${s.shape.join(', ')}] but the model's "${w.name}" has shape [${w.variable.shape.join(', ')}].`,
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
    const optimizer = model.optimizer;
    model.buildOptimizer();
    optimizer.setState({
      ...json.optimizer,
      slots: slots.map((w) => ({ ...w, name: w.name.replace(/^optimizer\/\d+\//, '') })),
    });
    optimizerRestored = true;
  }
  model.trainingState.epoch = json.training.epoch;
  model.trainingState.shuffleSeed = json.training.shuffleSeed;
  model.setRandomStates(json.training.random);
  const callbacks = json.training.callbacks ?? {};
  model.setPendingCallbackStates(Object.keys(callbacks).length > 0 ? callbacks : null);
  return { epoch: json.training.epoch, optimizerRestored };
}

/**
 * Rebuilds a model from a checkpoint, compiled and ready to continue `fit`
 * (Keras's `load_model`): the saved loss and metrics, and the saved optimizer
 * with its state. The optimizer is rebuilt from its config (presets of
 * @opt/optimizers, learning-rate schedules of @opt/schedules); pass
 * `optimizer` to supply one yourself (needed for one assembled with
 * `fromTransformation`; its slots must fit), or `compile: false` for the
 * weights alone.
 */
export async function loadModel(
  target: CheckpointTarget,
  options: { optimizer?: TrainingOptimizer; compile?: boolean } = {},
): Promise<Sequential> {
  const store = toStore(target);
  const { json } = await readCheckpoint(store);
  const model = Sequential.fromConfig(json.model);
  const optimizer =
    options.optimizer ??
    (options.compile !== false && json.optimizer !== null && json.compile !== null
      ? rebuildOptimizer(json.optimizer, store.description)
      : undefined);
  if (optimizer !== undefined && options.compile !== false) {
    const compile = json.compile as { loss?: { name: LossName; fromLogits: boolean }; metrics?: string[] } | null;
    if (compile?.loss === undefined)
      throw new Error(`Checkpoint ${store.description} has no compile config to compile with.`);
    const loss = lossFromConfig(compile.loss);
    model.compile({ optimizer, loss, metrics: (compile.metrics ?? []) as never });
  }
  await loadWeights(model, store);
  return model;
}

function rebuildOptimizer(saved: { className: string; config: Record<string, unknown> }, where: string) {
  try {
    return optimizerFromConfig(saved, { schedule: (config) => scheduleFromConfig(config as ScheduleConfig) });
  } catch (error) {
    throw new Error(
      `Checkpoint ${where} was saved with the optimizer ${saved.className}, which loadModel cannot rebuild from its config ` +
        `(${(error as Error).message}). Pass loadModel(target, { optimizer }) with an optimizer of that kind, ` +
        'or { compile: false } to load the weights alone.',
      { cause: error },
    );
  }
}

function lossFromConfig(config: { name: LossName; fromLogits: boolean }): Loss {
  const fromLogits = config.fromLogits === true;
  switch (config.name) {
    case 'categoricalCrossentropy':
      return categoricalCrossentropy({ fromLogits });
    case 'sparseCategoricalCrossentropy':
      return sparseCategoricalCrossentropy({ fromLogits });
    default:
      return getLoss(config.name);
  }
}
