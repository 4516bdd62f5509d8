/**
 * The directory a run trains into, checked once before anything loads: a new run's must hold no run and no
 * other files (it is created), a resumed run's must be a run (its record says what it was made with).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { UsageError } from '../cli/errors.js';
import { RunDir, type RunRecord } from './run-dir.js';

export type RunTarget =
  | { readonly resume: false; readonly dir: RunDir }
  | { readonly resume: true; readonly dir: RunDir; readonly record: RunRecord };

/** `--out DIR` (a new run) or `--resume DIR`, checked; the messages name the flag and the fix. */
export function runTarget(path: string, resume: boolean): RunTarget {
  return resume ? resumeTarget(path) : newRunTarget(path);
}

/** `--resume DIR`: a run directory. */
export function resumeTarget(path: string): Extract<RunTarget, { resume: true }> {
  const dir = new RunDir(path);
  const record = dir.isRun() ? dir.record() : null;
  if (record === null) {
    throw new UsageError(
      `--resume ${path}: not a run directory (no config.json there); \`opt runs list\` shows the runs.`,
      '--resume',
      path,
    );
  }
  return { resume: true, dir, record };
}

/** `--out DIR`: absent, or an empty directory. */
export function newRunTarget(path: string): Extract<RunTarget, { resume: false }> {
  const dir = new RunDir(path);
  if (dir.isRun()) {
    throw new UsageError(
      `--out ${path} already holds a run: continue it with --resume ${path}, or choose another --out.`,
      '--out',
      path,
    );
  }
  if (dir.exists() && readdirSync(dir.path).length > 0) {
    throw new UsageError(
      `--out ${path} is a directory with other files in it: choose a new or empty directory.`,
      '--out',
      path,
    );
  }
  return { resume: false, dir };
}

/** Makes a new run's directory (checked by runTarget). */
export function claim(target: RunTarget): void {
  if (!target.resume) mkdirSync(target.dir.path, { recursive: true });
}
