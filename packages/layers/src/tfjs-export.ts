/**
 * `exportLayersModel`: a Sequential written as a tfjs-layers model (model.json's topology and weights manifest,
 * plus the weights), which `tf.loadLayersModel` in any TensorFlow.js app loads and runs.
 */

import { tf } from '@opt/tensor';
import { DirectoryStore } from '#directory-store';
import type { Sequential } from './sequential.js';
import { sequentialTopology } from './tfjs-topology.js';

/** Where an export goes: a directory (Node), a tfjs URL (`indexeddb://`, `localstorage://`, `downloads://`, `http(s)://`) or a tfjs IO handler. */
export type LayersModelTarget = string | tf.io.IOHandler;

/** The weights file a directory export writes, named in model.json's weights manifest. */
const WEIGHTS_FILE = 'weights.bin';

/** The parts of a model an export reads. */
export type ExportableModel = Pick<Sequential, 'name' | 'layers' | 'inputShape' | 'weights'>;

/**
 * Writes `model` as tfjs-layers model artifacts: `format: 'layers-model'`, a Keras-style `Sequential` topology
 * (Dense, BatchNormalization, ReLU, Softmax, Activation, Dropout, Flatten, Rescaling; any other layer is an error
 * naming it) and every weight under its Keras path (`dense/kernel`, `batch_normalization/moving_mean`, ...),
 * which is the name tfjs-layers gives the same weight of a layer of the same name.
 *
 * `target` is a directory path (Node: `model.json` and `weights.bin`, written atomically as checkpoints are; a
 * `file://` URL is the same), a URL tfjs has a save handler for (in a browser `indexeddb://name`,
 * `localstorage://name`, `downloads://name`; `http(s)://` posts), or any `tf.io.IOHandler` (e.g.
 * `tf.io.withSaveHandler(...)`). Load it with `tf.loadLayersModel('file://.../model.json')` (tfjs-node),
 * `tf.loadLayersModel('indexeddb://name')`, or over HTTP from the directory. No optimizer or training config is
 * written: the export is for inference (or for a fresh `compile` in tfjs-layers).
 */
export async function exportLayersModel(model: ExportableModel, target: LayersModelTarget): Promise<tf.io.SaveResult> {
  const save = saveHandler(target);
  const inputShape = model.inputShape;
  if (inputShape === null) {
    throw new Error(
      'exportLayersModel: the model is not built; pass inputShape to Sequential or call it on data first.',
    );
  }
  if (model.layers.length === 0) throw new Error('exportLayersModel: the model has no layers.');
  const modelTopology = sequentialTopology(model.name, model.layers, inputShape);
  const { data, specs } = await tf.io.encodeWeights(model.weights.map((w) => ({ name: w.name, tensor: w.variable })));
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology,
    format: 'layers-model',
    generatedBy: '@opt/layers exportLayersModel',
    convertedBy: null,
    weightSpecs: specs,
    weightData: data,
  };
  return save(artifacts);
}

type Save = (artifacts: tf.io.ModelArtifacts) => Promise<tf.io.SaveResult>;

function saveHandler(target: LayersModelTarget): Save {
  if (typeof target === 'string') {
    if (target.startsWith('file://')) return directorySave(target.slice('file://'.length));
    if (!target.includes('://')) return directorySave(target);
    const handlers = tf.io.getSaveHandlers(target);
    if (handlers.length !== 1) {
      throw new Error(
        `exportLayersModel: ${handlers.length === 0 ? 'no' : 'more than one'} TensorFlow.js save handler for ` +
          `${JSON.stringify(target)}. In a browser use indexeddb://, localstorage:// or downloads://; in Node a ` +
          'directory path; or pass a tf.io.IOHandler.',
      );
    }
    const handler = handlers[0] as tf.io.IOHandler;
    return (artifacts) => (handler.save as Save)(artifacts);
  }
  if (target !== null && typeof target === 'object' && typeof target.save === 'function') {
    return (artifacts) => (target.save as Save)(artifacts);
  }
  throw new TypeError(
    'exportLayersModel(model, target): `target` must be a directory path, a tfjs URL (indexeddb://, localstorage://, ' +
      'downloads://, http(s)://) or a tf.io.IOHandler with save().',
  );
}

/** model.json (topology and weights manifest, as tfjs's file and HTTP handlers write it) and weights.bin. */
function directorySave(directory: string): Save {
  let store: DirectoryStore;
  try {
    store = new DirectoryStore(directory);
  } catch (error) {
    throw new Error(
      `exportLayersModel(${JSON.stringify(directory)}): a directory needs Node.js's file system; in a browser ` +
        "export to 'indexeddb://name', 'localstorage://name' or 'downloads://name'.",
      { cause: error },
    );
  }
  return async (artifacts) => {
    const { weightData, weightSpecs, ...rest } = artifacts;
    const bytes = new Uint8Array(weightData as ArrayBuffer);
    const modelJson: tf.io.ModelJSON = {
      ...(rest as tf.io.ModelJSON),
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: weightSpecs ?? [] }],
    };
    await store.write({ modelJson: JSON.stringify(modelJson), weights: bytes });
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  };
}
