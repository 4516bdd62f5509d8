/**
 * Checkpoints through TensorFlow.js's IO: a `CheckpointStore` over a tfjs URL (`indexeddb://name`,
 * `localstorage://name` in a browser) or any `tf.io.IOHandler` with `save` and `load`.
 *
 * What it stores is also a tfjs-layers model: the topology of `exportLayersModel`, the model's weights under their
 * Keras paths and the optimizer's slots as `group: 'optimizer'` weights (which `tf.loadLayersModel` sets aside),
 * so `tf.loadLayersModel(url)` opens it for inference. The whole checkpoint's model.json rides along in
 * `userDefinedMetadata`, which tfjs's stores keep, so `loadModel(url)` resumes exactly as from a directory.
 */
import { tf, type WeightsManifestEntry } from '@opt/tensor';
import type { CheckpointFiles, CheckpointStore } from './checkpoint-store.js';
import type { SequentialConfig } from './checkpointable.js';
import { layerFromConfig } from './layers/index.js';
import { sequentialTopology } from './tfjs-topology.js';

/** What this store reads of a checkpoint's model.json (checkpoint.ts's `CheckpointJson`). */
interface CheckpointJson {
  readonly model: SequentialConfig;
  readonly weights: readonly WeightsManifestEntry[];
  readonly modelWeightCount: number;
}

/** The key of `userDefinedMetadata` that holds the checkpoint's model.json. */
const METADATA_KEY = 'optLayersCheckpoint';

/** Whether `target` is a URL for tfjs's IO (a scheme other than `file://`, which names a directory). */
export function isTfjsUrl(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !target.startsWith('file://');
}

/** Whether `value` looks like a `tf.io.IOHandler` (it has `save` or `load`, and no `write` of a CheckpointStore). */
export function isIOHandler(value: unknown): value is tf.io.IOHandler {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.write !== 'function' && (typeof v.save === 'function' || typeof v.load === 'function');
}

/** A checkpoint kept by tfjs's IO: a URL's save and load handlers, or one IOHandler. */
export class TfjsStore implements CheckpointStore {
  readonly description: string;
  private readonly url: string | null;
  private readonly handler: tf.io.IOHandler | null;

  constructor(target: string | tf.io.IOHandler) {
    if (typeof target === 'string') {
      if (tf.io.getSaveHandlers(target).length === 0 && tf.io.getLoadHandlers(target).length === 0) {
        throw new Error(
          `No TensorFlow.js save or load handler for ${JSON.stringify(target)}: indexeddb:// and localstorage:// work ` +
            'in a browser; in Node pass a directory path, or any tf.io.IOHandler with save() and load().',
        );
      }
      this.url = target;
      this.handler = null;
      this.description = target;
    } else {
      this.url = null;
      this.handler = target;
      this.description = 'a tf.io.IOHandler';
    }
  }

  /** The URL's handler of `kind`, or the IOHandler given; an error naming the target when there is none. */
  private handlerFor(kind: 'save' | 'load'): tf.io.IOHandler {
    const handler =
      this.handler ?? (kind === 'save' ? tf.io.getSaveHandlers : tf.io.getLoadHandlers)(this.url as string)[0];
    if (handler === undefined || typeof handler[kind] !== 'function') {
      throw new Error(`${this.description} cannot ${kind} (TensorFlow.js has no ${kind} handler for it).`);
    }
    return handler;
  }

  /** Whether tfjs's model stores (IndexedDB, local storage) list the URL; null for URLs they do not manage. */
  private async listed(): Promise<boolean | null> {
    if (this.url === null || !/^(indexeddb|localstorage):\/\//.test(this.url)) return null;
    return this.url in (await tf.io.listModels());
  }

  async write(files: CheckpointFiles): Promise<void> {
    const handler = this.handlerFor('save');
    const json = JSON.parse(files.modelJson) as CheckpointJson;
    const weights = files.weights;
    const artifacts: tf.io.ModelArtifacts = {
      modelTopology: topologyOf(json),
      format: 'layers-model',
      generatedBy: '@opt/layers',
      convertedBy: null,
      weightSpecs: json.weights.map((w, i) =>
        i < json.modelWeightCount
          ? { name: w.name.replace(/^model\//, ''), shape: w.shape.slice(), dtype: 'float32' }
          : { name: w.name, shape: w.shape.slice(), dtype: 'float32', group: 'optimizer' },
      ),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
      userDefinedMetadata: { [METADATA_KEY]: files.modelJson },
    };
    await (handler.save as (a: tf.io.ModelArtifacts) => Promise<tf.io.SaveResult>)(artifacts);
  }

  async read(): Promise<CheckpointFiles | null> {
    if ((await this.listed()) === false) return null;
    const artifacts = await (this.handlerFor('load').load as () => Promise<tf.io.ModelArtifacts>)();
    const modelJson = (artifacts.userDefinedMetadata as Record<string, unknown> | undefined)?.[METADATA_KEY];
    if (typeof modelJson !== 'string') {
      throw new Error(
        `${this.description} holds a TensorFlow.js model but no @opt/layers checkpoint (no ${METADATA_KEY} in its ` +
          'userDefinedMetadata): load it with tf.loadLayersModel, or save one there with model.save first.',
      );
    }
    const data =
      artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    return { modelJson, weights: new Uint8Array(data) };
  }

  async delete(): Promise<boolean> {
    const listed = await this.listed();
    if (listed === null)
      throw new Error(`deleteCheckpoint: ${this.description} cannot delete; delete where it writes.`);
    if (!listed) return false;
    await tf.io.removeModel(this.url as string);
    return true;
  }
}

/** tfjs-layers' topology of the checkpoint's model, or (for a layer tfjs-layers lacks) our config as it is. */
function topologyOf(json: CheckpointJson): object {
  const { name, inputShape, layers } = json.model;
  if (inputShape === null) return { optLayersModel: json.model };
  try {
    return sequentialTopology(name, layers.map(layerFromConfig), inputShape);
  } catch {
    // A Normalization layer: tf.loadLayersModel cannot open it, loadModel still can.
    return { optLayersModel: json.model };
  }
}
