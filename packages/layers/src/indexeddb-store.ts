/**
 * Checkpoints in the browser's IndexedDB: both parts of a checkpoint in one record of the object store
 * `checkpoints`, under the store's key. Every write, read and delete is one transaction, and IndexedDB
 * transactions are atomic.
 */
import type { CheckpointFiles, CheckpointStore } from './checkpoint-store.js';

const OBJECT_STORE = 'checkpoints';

/** A checkpoint in the browser's IndexedDB: database `databaseName` (default 'opt-layers'), record `key`. */
export class IndexedDbStore implements CheckpointStore {
  constructor(
    readonly key: string,
    readonly databaseName = 'opt-layers',
    private readonly factory: IDBFactory | undefined = globalThis.indexedDB,
  ) {}

  get description(): string {
    return `indexeddb://${this.databaseName}/${this.key}`;
  }

  async write(files: CheckpointFiles): Promise<void> {
    await this.transaction('readwrite', (store) => {
      store.put({ modelJson: files.modelJson, weights: files.weights.slice() }, this.key);
    });
  }

  async read(): Promise<CheckpointFiles | null> {
    let stored: { modelJson: string; weights: Uint8Array } | undefined;
    await this.transaction('readonly', (store) => {
      const request = store.get(this.key);
      request.onsuccess = () => {
        stored = request.result;
      };
    });
    return stored === undefined ? null : { modelJson: stored.modelJson, weights: new Uint8Array(stored.weights) };
  }

  /** Deletes this key's record (the database and other keys stay), in one transaction with the check for it. */
  async delete(): Promise<boolean> {
    let existed = false;
    await this.transaction('readwrite', (store) => {
      const request = store.count(this.key);
      request.onsuccess = () => {
        existed = request.result > 0;
        if (existed) store.delete(this.key);
      };
    });
    return existed;
  }

  /** Runs `body` in one transaction on the object store; resolves when the transaction has committed. */
  private async transaction(mode: IDBTransactionMode, body: (store: IDBObjectStore) => void): Promise<void> {
    const db = await this.open();
    try {
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(OBJECT_STORE, mode);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error ?? new Error(`${this.description}: IndexedDB transaction aborted.`));
        body(tx.objectStore(OBJECT_STORE));
      });
    } finally {
      db.close();
    }
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
      request.onupgradeneeded = () => request.result.createObjectStore(OBJECT_STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
}
