/**
 * What a run directory that a plan trains into already holds, and what is done with it: a complete (or
 * diverged) run is kept as it is, any other run (interrupted, killed, failed) is resumed from its last
 * checkpoint, and a directory whose start never wrote config.json is removed and started afresh.
 */
import { rmSync } from 'node:fs';
import { RunDir, type RunRecord } from '../run/run-dir.js';
import type { RunResult } from '../run/run-types.js';

export type ExistingRun =
  | {
      readonly action: 'keep';
      readonly state: 'complete' | 'diverged';
      readonly result: RunResult;
      readonly record: RunRecord;
    }
  | { readonly action: 'resume'; readonly record: RunRecord }
  | { readonly action: 'start' };

/** Decides for `runDir`; removes it when it is a start that left nothing worth keeping. */
export function existingRun(runDir: string): ExistingRun {
  const dir = new RunDir(runDir);
  const record = dir.isRun() ? dir.record() : null;
  if (record === null) {
    rmSync(dir.path, { recursive: true, force: true });
    return { action: 'start' };
  }
  const state = dir.status()?.state;
  if (state === 'complete' || state === 'diverged') {
    const result = dir.readJson<RunResult>('result.json');
    if (result !== null) return { action: 'keep', state, result, record };
  }
  return { action: 'resume', record };
}
