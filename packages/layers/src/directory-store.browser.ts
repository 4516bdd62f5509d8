/**
 * `DirectoryStore` in a browser bundle: the `browser` condition of the `#directory-store` import in package.json
 * picks this file instead of `directory-store.ts`, so that the browser build reaches no node: module. There is
 * no file system to write to, so constructing one (also through a path given to `save`, `loadWeights`,
 * `loadModel` or `ModelCheckpoint`) is an error that says what to use instead.
 */
import type { CheckpointFiles, CheckpointStore } from './checkpoint-store.js';

function unavailable(directory: unknown): Error {
  return new Error(
    `DirectoryStore(${JSON.stringify(directory)}): checkpoints in directories need Node.js's file system, which a ` +
      "browser does not have. Use an IndexedDbStore instead, e.g. model.save(new IndexedDbStore('my-model')), or a " +
      "TensorFlow.js URL, model.save('indexeddb://my-model').",
  );
}

export class DirectoryStore implements CheckpointStore {
  constructor(readonly directory: string) {
    throw unavailable(directory);
  }

  get description(): string {
    return this.directory;
  }

  write(_files: CheckpointFiles): Promise<void> {
    return Promise.reject(unavailable(this.directory));
  }

  read(): Promise<CheckpointFiles | null> {
    return Promise.reject(unavailable(this.directory));
  }

  delete(): Promise<boolean> {
    return Promise.reject(unavailable(this.directory));
  }
}
