/**
 * Checkpoints as directories in Node.js: `model.json` + `weights.bin`, written and deleted atomically. Node-only
 * (node:fs); a browser bundle gets `directory-store.browser.ts` instead, through the `browser` condition of the
 * `#directory-store` import in package.json, so that it reaches no node: module.
 */
import { lstat, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { CheckpointFiles, CheckpointStore } from './checkpoint-store.js';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/** Temporary directories this process is using now (any other `<dir>.tmp-<our pid>-*` is a leftover). */
const inUse = new Set<string>();

/**
 * A checkpoint directory in Node: `model.json` + `weights.bin`.
 *
 * Writing: both files go to a fresh `<dir>.tmp-<pid>-*` directory and are fsynced; then the previous
 * checkpoint is renamed to `<dir>.old`, the new one renamed to `<dir>`, the parent fsynced, and `<dir>.old`
 * removed. A crash before the second rename leaves `<dir>.old`, which `read` falls back to; a crash while
 * writing leaves a `<dir>.tmp-*` directory, which the next save or load of `<dir>` removes (when the process
 * named in it is gone). A path that is a file, or a directory that holds something other than a checkpoint,
 * is refused rather than replaced.
 *
 * Deleting: `<dir>.old` and then `<dir>` are renamed to `<dir>.tmp-*` names, the parent fsynced, and those
 * removed; a crash part-way leaves the checkpoint readable or nothing (and leftovers the next save removes). A
 * directory that holds anything besides `model.json` and `weights.bin` is refused rather than removed.
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
    const dir = resolve(this.directory);
    const parent = dirname(dir);
    const what = `Cannot save a checkpoint to ${this.directory}`;
    await makeDirectories(parent, what);
    const entries = await checkpointEntries(dir, 'it', what);
    if (entries !== null && entries.length > 0 && !entries.includes(MODEL_JSON)) {
      throw new Error(
        `${what}: the directory holds other files (${listed(entries)}) and no ${MODEL_JSON}; saving would replace it. Choose a new or empty directory.`,
      );
    }
    await removeLeftovers(dir);
    const tmp = temporaryName(dir);
    try {
      await mkdir(tmp);
      await writeSynced(join(tmp, WEIGHTS_BIN), files.weights);
      await writeSynced(join(tmp, MODEL_JSON), files.modelJson);
      await syncDirectory(tmp);
      const old = `${dir}.old`;
      await rm(old, { recursive: true, force: true });
      if (await isDirectory(dir)) await rename(dir, old);
      await rename(tmp, dir);
      await syncDirectory(parent);
      await rm(old, { recursive: true, force: true });
    } finally {
      inUse.delete(tmp);
      await rm(tmp, { recursive: true, force: true }); // gone already unless a step failed
    }
  }

  async read(): Promise<CheckpointFiles | null> {
    const dir = resolve(this.directory);
    await removeLeftovers(dir).catch(() => {}); // reading works on a read-only disk too
    return (await readDirectory(dir, this.directory)) ?? (await readDirectory(`${dir}.old`, `${this.directory}.old`));
  }

  async delete(): Promise<boolean> {
    const dir = resolve(this.directory);
    const what = `Cannot delete the checkpoint at ${this.directory}`;
    const doomed: string[] = [];
    // `.old` first: while `<dir>` is there `read` never looks at it, and once `<dir>` is gone it would.
    for (const [path, subject] of [
      [`${dir}.old`, `${this.directory}.old`],
      [dir, 'it'],
    ] as const) {
      const entries = await checkpointEntries(path, subject, what);
      if (entries === null || entries.length === 0) continue;
      const foreign = entries.filter((name) => name !== MODEL_JSON && name !== WEIGHTS_BIN);
      if (foreign.length > 0) {
        throw new Error(
          `${what}: ${subject === 'it' ? 'the directory' : subject} holds other files besides ${MODEL_JSON} and ${WEIGHTS_BIN} (${listed(foreign)}). Move them elsewhere, or remove the directory yourself.`,
        );
      }
      doomed.push(path);
    }
    if (doomed.length === 0) return false;
    await removeLeftovers(dir);
    const moved: string[] = [];
    try {
      for (const path of doomed) {
        const tmp = temporaryName(dir);
        await rename(path, tmp);
        moved.push(tmp);
      }
      await syncDirectory(dirname(dir));
    } finally {
      for (const tmp of moved) {
        await rm(tmp, { recursive: true, force: true });
        inUse.delete(tmp);
      }
    }
    return true;
  }
}

/** A fresh `<dir>.tmp-<pid>-*` name, marked in use (the pid says whose it is when a crash leaves it). */
function temporaryName(dir: string): string {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  inUse.add(tmp);
  return tmp;
}

function listed(entries: readonly string[]): string {
  return `${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}`;
}

/**
 * The names in directory `dir`, null when nothing is there; a file at `dir` is not ours to touch (an error
 * saying that `subject`, 'it' or a path, is a file).
 */
async function checkpointEntries(dir: string, subject: string, what: string): Promise<string[] | null> {
  const info = await lstat(dir).catch(() => null);
  if (info === null) return null;
  if (!info.isDirectory()) {
    throw new Error(
      `${what}: ${subject} is a file, not a checkpoint directory. Choose another path, or remove the file.`,
    );
  }
  return readdir(dir);
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * `mkdir -p` one level at a time, so that a file in the way is named instead of reported as a raw EEXIST or
 * ENOTDIR (and so that no recursive mkdir spins on a filesystem that refuses directories, such as /proc).
 */
async function makeDirectories(dir: string, what: string): Promise<void> {
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    const info = await stat(existing).catch((error: NodeJS.ErrnoException) => error);
    if (!(info instanceof Error)) {
      if (!info.isDirectory()) throw new Error(`${what}: ${existing} is a file, not a directory.`);
      break;
    }
    // ENOTDIR: a file further up; walking up finds and names it.
    if (info.code !== 'ENOENT' && info.code !== 'ENOTDIR')
      throw new Error(`${what}: cannot use ${existing} (${info.code}: ${info.message}).`, { cause: info });
    missing.unshift(existing);
    const up = dirname(existing);
    if (up === existing) break;
    existing = up;
  }
  for (const d of missing) {
    await mkdir(d).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST')
        throw new Error(`${what}: cannot create ${d} (${error.code}: ${error.message}).`, { cause: error });
    });
  }
}

/** Removes `<dir>.tmp-<pid>-*` directories that a save or delete killed part-way left (pid gone, or ours but idle). */
async function removeLeftovers(dir: string): Promise<void> {
  const prefix = `${basename(dir)}.tmp-`;
  const entries = await readdir(dirname(dir)).catch(() => [] as string[]);
  for (const name of entries) {
    if (!name.startsWith(prefix)) continue;
    const full = join(dirname(dir), name);
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    const leftover = pid === process.pid ? !inUse.has(full) : !processAlive(pid);
    if (leftover) await rm(full, { recursive: true, force: true });
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
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Both files of the checkpoint in `dir`, null when there is no such directory, an error naming a missing part. */
async function readDirectory(dir: string, shown: string): Promise<CheckpointFiles | null> {
  const info = await stat(dir).catch(() => null);
  if (info === null) return null;
  if (!info.isDirectory()) throw new Error(`No checkpoint at ${shown}: it is a file, not a checkpoint directory.`);
  const read = (name: string) =>
    readFile(join(dir, name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
  const [modelJson, weights] = await Promise.all([read(MODEL_JSON), read(WEIGHTS_BIN)]);
  if (modelJson === null && weights === null) return null;
  if (modelJson === null || weights === null) {
    const [missing, present] = modelJson === null ? [MODEL_JSON, WEIGHTS_BIN] : [WEIGHTS_BIN, MODEL_JSON];
    throw new Error(
      `Checkpoint ${shown} is incomplete: ${join(shown, missing)} is missing (${present} is there). ` +
        'A checkpoint is written whole, so something removed it: restore the file or save the model again.',
    );
  }
  return { modelJson: modelJson.toString('utf8'), weights: new Uint8Array(weights) };
}
