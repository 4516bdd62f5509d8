/**
 * What the checkpoint functions accept: a directory path (a `DirectoryStore`, Node only), a TensorFlow.js URL
 * (`indexeddb://name`, `localstorage://name`) or `tf.io.IOHandler` (a `TfjsStore`), or any `CheckpointStore`.
 */

import type { tf } from '@opt/tensor';
import { DirectoryStore } from '#directory-store';
import type { CheckpointStore } from './checkpoint-store.js';
import { isIOHandler, isTfjsUrl, TfjsStore } from './tfjs-store.js';

/**
 * Where `save`, `loadWeights`, `loadModel` and `ModelCheckpoint` write or read: a directory path (Node), a tfjs URL
 * (`indexeddb://`, `localstorage://`, `downloads://`, `http(s)://`), a {@link CheckpointStore}, or a `tf.io.IOHandler`.
 */
export type CheckpointTarget = string | CheckpointStore | tf.io.IOHandler;

export function toStore(target: CheckpointTarget): CheckpointStore {
  if (typeof target === 'string') {
    if (isTfjsUrl(target)) return new TfjsStore(target);
    return new DirectoryStore(target.startsWith('file://') ? target.slice('file://'.length) : target);
  }
  if (isIOHandler(target)) return new TfjsStore(target);
  if (target !== null && typeof target === 'object' && typeof target.write === 'function') return target;
  throw new TypeError(
    'Expected a directory path, a TensorFlow.js URL (indexeddb://, localstorage://), a tf.io.IOHandler or a ' +
      'CheckpointStore (DirectoryStore, IndexedDbStore).',
  );
}
