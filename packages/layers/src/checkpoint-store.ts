/**
 * Where checkpoints live: a two-method store (`write`, `read`) shared by Node directories and the browser's
 * IndexedDB. Both write atomically: after a crash at any point, `read` returns the previous complete
 * checkpoint or the new one, never a mix.
 */

/** The two parts of a checkpoint. */
export interface CheckpointFiles {
  readonly modelJson: string;
  readonly weights: Uint8Array;
}

export interface CheckpointStore {
  /** Replaces the stored checkpoint, atomically. */
  write(files: CheckpointFiles): Promise<void>;
  /** The stored checkpoint, or null when there is none. */
  read(): Promise<CheckpointFiles | null>;
  /** For messages, e.g. the directory. */
  readonly description: string;
}

export type CheckpointTarget = string | CheckpointStore;

export function toStore(target: CheckpointTarget): CheckpointStore {
  if (typeof target === 'string') return new DirectoryStore(target);
  if (target !== null && typeof target === 'object' && typeof target.write === 'function') return target;
  throw new TypeError('Expected a directory path or a CheckpointStore (DirectoryStore, IndexedDbStore).');
}

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/** Temporary directories this process is writing now (any other `<dir>.tmp-<our pid>-*` is a leftover). */
const writing = new Set<string>();

/**
 * A checkpoint directory in Node: `model.json` + `weights.bin`.
 *
 * Writing: both files go to a fresh `<dir>.tmp-<pid>-*` directory and are fsynced; then the previous
 * checkpoint is renamed to `<dir>.old`, the new one renamed to `<dir>`, the parent fsynced, and `<dir>.old`
 * removed. A crash before the second rename leaves `<dir>.old`, which `read` falls back to; a crash while
 * writing leaves a `<dir>.tmp-*` directory, which the next save or load of `<dir>` removes (when the process
 * named in it is gone). A path that is a file, or a directory that holds something other than a checkpoint,
 * is refused rather than replaced.
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
    await makeDirectories(parent, `Cannot save a checkpoint to ${this.directory}`);
    await this.refuseNonCheckpoint(dir);
    await removeLeftovers(dir);
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
    writing.add(tmp);
    try {
      await fs.mkdir(tmp);
      await writeSynced(path.join(tmp, WEIGHTS_BIN), files.weights);
      await writeSynced(path.join(tmp, MODEL_JSON), files.modelJson);
      await syncDirectory(tmp);
      const old = `${dir}.old`;
      await fs.rm(old, { recursive: true, force: true });
      if (await isDirectory(dir)) await fs.rename(dir, old);
      await fs.rename(tmp, dir);
      await syncDirectory(parent);
      await fs.rm(old, { recursive: true, force: true });
    } finally {
      writing.delete(tmp);
      await fs.rm(tmp, { recursive: true, force: true }); // gone already unless a step failed
    }
  }

  async read(): Promise<CheckpointFiles | null> {
    const path = await import('node:path');
    const dir = path.resolve(this.directory);
    await removeLeftovers(dir).catch(() => {}); // reading works on a read-only disk too
    return (await readDirectory(dir, this.directory)) ?? (await readDirectory(`${dir}.old`, `${this.directory}.old`));
  }

  /** A file, or a directory with other things in it, is not ours to replace. */
  private async refuseNonCheckpoint(dir: string): Promise<void> {
    const fs = await import('node:fs/promises');
    const stat = await fs.lstat(dir).catch(() => null);
    if (stat === null) return;
    if (!stat.isDirectory()) {
      throw new Error(
        `Cannot save a checkpoint to ${this.directory}: it is a file, not a checkpoint directory. Choose another path, or remove the file.`,
      );
    }
    const entries = await fs.readdir(dir);
    if (entries.length > 0 && !entries.includes(MODEL_JSON)) {
      throw new Error(
        `Cannot save a checkpoint to ${this.directory}: the directory holds other files (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}) and no ${MODEL_JSON}; saving would replace it. Choose a new or empty directory.`,
      );
    }
  }
}

async function isDirectory(path: string): Promise<boolean> {
  const fs = await import('node:fs/promises');
  return fs.stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * `mkdir -p` one level at a time, so that a file in the way is named instead of reported as a raw EEXIST or
 * ENOTDIR (and so that no recursive mkdir spins on a filesystem that refuses directories, such as /proc).
 */
async function makeDirectories(dir: string, what: string): Promise<void> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    const stat = await fs.stat(existing).catch((error: NodeJS.ErrnoException) => error);
    if (!(stat instanceof Error)) {
      if (!stat.isDirectory()) throw new Error(`${what}: ${existing} is a file, not a directory.`);
      break;
    }
    // ENOTDIR: a file further up; walking up finds and names it.
    if (stat.code !== 'ENOENT' && stat.code !== 'ENOTDIR')
      throw new Error(`${what}: cannot use ${existing} (${stat.code}: ${stat.message}).`, { cause: stat });
    missing.unshift(existing);
    const up = path.dirname(existing);
    if (up === existing) break;
    existing = up;
  }
  for (const d of missing) {
    await fs.mkdir(d).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST')
        throw new Error(`${what}: cannot create ${d} (${error.code}: ${error.message}).`, { cause: error });
    });
  }
}

/** Removes `<dir>.tmp-<pid>-*` directories that a save killed mid-write left (pid gone, or ours but not in flight). */
async function removeLeftovers(dir: string): Promise<void> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const prefix = `${path.basename(dir)}.tmp-`;
  const entries = await fs.readdir(path.dirname(dir)).catch(() => [] as string[]);
  for (const name of entries) {
    if (!name.startsWith(prefix)) continue;
    const full = path.join(path.dirname(dir), name);
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    const leftover = pid === process.pid ? !writing.has(full) : !processAlive(pid);
    if (leftover) await fs.rm(full, { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  const fs = await import('node:fs/promises');
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
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

/** Both files of the checkpoint in `dir`, null when there is no such directory, an error naming a missing part. */
async function readDirectory(dir: string, shown: string): Promise<CheckpointFiles | null> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const stat = await fs.stat(dir).catch(() => null);
  if (stat === null) return null;
  if (!stat.isDirectory()) throw new Error(`No checkpoint at ${shown}: it is a file, not a checkpoint directory.`);
  const read = (name: string) =>
    fs.readFile(path.join(dir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
  const [modelJson, weights] = await Promise.all([read(MODEL_JSON), read(WEIGHTS_BIN)]);
  if (modelJson === null && weights === null) return null;
  if (modelJson === null || weights === null) {
    const [missing, present] = modelJson === null ? [MODEL_JSON, WEIGHTS_BIN] : [WEIGHTS_BIN, MODEL_JSON];
    throw new Error(
      `Checkpoint ${shown} is incomplete: ${path.join(shown, missing)} is missing (${present} is there). ` +
        'A checkpoint is written whole, so something removed it: restore the file or save the model again.',
    );
  }
  return { modelJson: modelJson.toString('utf8'), weights: new Uint8Array(weights) };
}

/**
 * A checkpoint in the browser's IndexedDB: both parts in one record, written in one transaction (IndexedDB
 * transactions are atomic).
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
