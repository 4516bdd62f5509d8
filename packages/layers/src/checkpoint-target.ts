/**
 * What the checkpoint functions accept: a directory path (a `DirectoryStore`, Node only) or any
 * `CheckpointStore`.
 */
import { DirectoryStore } from '#directory-store';
import type { CheckpointStore } from './checkpoint-store.js';

export type CheckpointTarget = string | CheckpointStore;

export function toStore(target: CheckpointTarget): CheckpointStore {
  if (typeof target === 'string') return new DirectoryStore(target);
  if (target !== null && typeof target === 'object' && typeof target.write === 'function') return target;
  throw new TypeError('Expected a directory path or a CheckpointStore (DirectoryStore, IndexedDbStore).');
}
