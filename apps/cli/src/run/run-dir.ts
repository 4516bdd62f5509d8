/**
 * A run directory: everything one training run produced, written so that a crash at any point leaves files
 * that are either the old complete version or the new one. The run counts as complete only once
 * `status.json` says so, and that is the last file written.
 *
 *   config.json              the resolved config, the note, the command, and the environment (backend,
 *                            versions, dataset files and hashes, split sizes, normalization statistics)
 *   status.json              running | interrupted | diverged | failed | complete (the completion marker)
 *   history.json, .csv       per-epoch loss, accuracy, val_loss, val_accuracy, learning_rate, seconds
 *   result.json              what the run returned: history, test metrics, timings, advice
 *   checkpoints/last, best   @opt/layers checkpoints (DirectoryStore: atomic)
 *   charts/*.svg, *.png      loss, accuracy and learning rate
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { TrainConfig } from '../config/knobs.js';
import { completeConfig } from '../config/resolve.js';

export const RUN_FORMAT = 'opt.run.v1';

export type RunState = 'running' | 'interrupted' | 'diverged' | 'failed' | 'complete';

export interface RunStatus {
  state: RunState;
  updatedAt: string;
  /** Epochs completed so far. */
  epoch: number;
  message: string | null;
  /** The process writing the run, to tell a live run from one whose process died. */
  pid: number;
  host: string;
}

export interface Environment {
  backend: {
    requested: string;
    name: string;
    /** wasm in Node: the threads it computes on, and why that many. */
    threads?: { count: number; requested: unknown; reason: string };
    skipped: Array<{ backend: string; reason: string }>;
  };
  versions: Record<string, string>;
  node: string;
  platform: string;
  cpus: number;
  dataset: {
    files: Record<string, { path: string; sha256: string }>;
    trainCount: number;
    validationCount: number;
    testCount: number;
    /** Mean and std of the rescaled training pixels (standardize divides by these). */
    statistics: { mean: number; std: number };
  };
  batchSize: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

export interface RunRecord {
  format: typeof RUN_FORMAT;
  createdAt: string;
  note: string | null;
  /** The command line that created the run, for the reader. */
  command: string[];
  config: TrainConfig;
  environment: Environment;
}

/** Temporary files being written right now: removed if the process has to exit at once. */
const pending = new Set<string>();
/** Writes in progress (ours and checkpoints), so that a forced exit can let them land first. */
const inflight = new Set<Promise<unknown>>();
let closing = false;

/** Thrown by a write asked for after a forced exit began: the process is about to end. */
export class WritesClosed extends Error {
  override name = 'WritesClosed';
  constructor() {
    super('the process is exiting: no more files are written');
  }
}

/** Runs a write so that a forced exit waits for it (and starts no new one). */
export function trackWrite<T>(write: () => Promise<T>): Promise<T> {
  if (closing) return Promise.reject(new WritesClosed());
  const promise = write();
  inflight.add(promise);
  promise.then(
    () => inflight.delete(promise),
    () => inflight.delete(promise),
  );
  return promise;
}

/**
 * For a forced exit: refuses new writes, lets the ones in progress land (at most `timeoutMs`; each is
 * atomic, so it either lands or leaves only a temporary file), then removes this process's temporary
 * files (ours and the checkpoint store's) under `dirs`.
 */
export async function closeWrites(dirs: Iterable<string>, timeoutMs = 3000): Promise<void> {
  closing = true;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled([...inflight]),
    new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  removePartialFiles(dirs);
}

/** Removes this process's half-written files (ours and the checkpoint store's) under `dirs`, synchronously. */
export function removePartialFiles(dirs: Iterable<string>): void {
  for (const file of pending) rmSync(file, { force: true, recursive: true });
  pending.clear();
  const marker = `.tmp-${process.pid}-`;
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    // DirectoryStore writes a checkpoint into `<name>.tmp-<pid>-...` before renaming it into place.
    for (const entry of entries) if (entry.includes(marker)) rmSync(join(dir, entry), { force: true, recursive: true });
  }
}

/** Writes `data` to `path` atomically: a temporary file beside it, fsynced, renamed over it. */
export function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  return trackWrite(async () => {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    pending.add(tmp);
    try {
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    } finally {
      pending.delete(tmp);
    }
  });
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function statusOf(state: RunState, epoch: number, message: string | null): RunStatus {
  return { state, updatedAt: new Date().toISOString(), epoch, message, pid: process.pid, host: hostname() };
}

/** What `runs list` says about a run: its recorded state, or `incomplete` when its process is gone. */
export function describeState(status: RunStatus | null): string {
  if (status === null) return 'incomplete';
  if (status.state !== 'running') return status.state;
  if (status.host !== hostname()) return `running on ${status.host}?`;
  try {
    process.kill(status.pid, 0);
    return 'running';
  } catch {
    return 'incomplete (process gone)';
  }
}

export class RunDir {
  readonly path: string;
  constructor(path: string) {
    this.path = resolve(path);
  }

  file(name: string): string {
    return join(this.path, name);
  }
  get lastCheckpoint(): string {
    return join(this.path, 'checkpoints', 'last');
  }
  get bestCheckpoint(): string {
    return join(this.path, 'checkpoints', 'best');
  }
  get chartsDir(): string {
    return join(this.path, 'charts');
  }
  /** Directories where a half-written file of this run can be. */
  get writableDirs(): string[] {
    return [this.path, join(this.path, 'checkpoints'), this.chartsDir];
  }

  writeJson(name: string, value: unknown): Promise<void> {
    return writeAtomic(this.file(name), json(value));
  }

  async setStatus(state: RunState, epoch: number, message: string | null = null): Promise<void> {
    await this.writeJson('status.json', statusOf(state, epoch, message));
  }

  exists(): boolean {
    try {
      return statSync(this.path).isDirectory();
    } catch {
      return false;
    }
  }

  isRun(): boolean {
    try {
      return statSync(this.file('config.json')).isFile();
    } catch {
      return false;
    }
  }

  readJson<T>(name: string): T | null {
    try {
      return JSON.parse(readFileSync(this.file(name), 'utf8')) as T;
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return null;
      throw new Error(`${this.file(name)}: ${(error as Error).message}`);
    }
  }

  /** The run's record; a config saved before an optimizer option existed gets that field as it trained. */
  record(): RunRecord | null {
    const record = this.readJson<RunRecord>('config.json');
    return record === null ? null : { ...record, config: completeConfig(record.config) };
  }
  status(): RunStatus | null {
    return this.readJson<RunStatus>('status.json');
  }
}

/** Every run directory under `root`: its direct children, and the runs inside compare directories. */
export function findRuns(root: string): RunDir[] {
  const out: RunDir[] = [];
  const visit = (dir: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry);
      if (entry.includes('.tmp-')) continue;
      let isDir = false;
      try {
        isDir = statSync(path).isDirectory();
      } catch {
        continue;
      }
      if (!isDir) continue;
      const run = new RunDir(path);
      if (run.isRun()) out.push(run);
      else if (depth < 2) visit(path, depth + 1);
    }
  };
  visit(resolve(root), 1);
  return out;
}
