/**
 * A queued sweep's results written as a compare directory, so that its table and charts are compare's and
 * `opt runs list`, `show` and `diff` read its trials: `sweep.json` (the sweep and where it ran), `compare.json`,
 * one run directory per trial (`01-<label>`, ...) rebuilt from the job's return value (config.json,
 * history.json, history.csv, result.json, status.json, trial.json with the worker, backend and weights hash),
 * and `charts/`. The checkpoints and per-run charts stay in the worker's directory, on the worker's machine.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../cli/errors.js';
import { sameValue } from '../config/resolve.js';
import {
  COMPARE_FORMAT,
  type CompareFile,
  type CompareReport,
  type CompareRow,
  rowOf,
  runDirectories,
  writeOverlayCharts,
} from '../engine/compare-dir.js';
import type { JobOutcome } from '../engine/job-process.js';
import { RunDir } from '../run/run-dir.js';
import { writeCsv } from '../run/run-files.js';
import type { SweepRecord, TrialState } from './queue.js';

export interface SweepReport extends CompareReport {
  sweep: { id: string; name: string; queue: string | null; trials: number };
  /** Each trial's state in the queue, and for a completed one where and how it was trained. */
  trials: Array<{
    label: string;
    jobId: string;
    state: TrialState['state'];
    worker: string | null;
    attemptsMade: number;
    stalled: number;
    backend: string | null;
    reused: boolean | null;
    resumedFrom: { epoch: number; step: number } | null;
    weightsSha256: string | null;
    error: string | null;
  }>;
}

/** What compare's row needs to know of a trial that is not complete. */
function outcomeOf(state: TrialState): JobOutcome | null {
  if (state.state === 'completed' && state.value !== null) return { ok: true, result: state.value.result };
  if (state.state === 'failed') return { ok: false, error: { kind: 'failure', message: state.error ?? 'failed' } };
  return null;
}

export interface WriteOptions {
  readonly dir: string;
  readonly queue: string;
  readonly target: number;
  readonly command: readonly string[];
  readonly wallSeconds: number;
}

export async function writeSweepResults(
  record: SweepRecord,
  states: readonly TrialState[],
  options: WriteOptions,
): Promise<SweepReport> {
  const { dir, target } = options;
  const entries = runDirectories(record.trials.map((t) => ({ label: t.label, config: t.config, warnings: [] })));
  const compareDir = new RunDir(dir);
  const previous = compareDir.readJson<CompareFile>('compare.json');
  if (previous !== null && !sameValue(previous.entries, entries))
    throw new UsageError(
      `--out ${dir} holds another compare or sweep (other trials); choose another --out.`,
      '--out',
      dir,
    );
  if (previous === null && compareDir.isRun())
    throw new UsageError(`--out ${dir} is a run directory, not a sweep directory; choose another --out.`, '--out', dir);
  await compareDir.writeJson('sweep.json', { ...record, queue: options.queue });

  const rows: CompareRow[] = [];
  for (const [i, entry] of entries.entries()) {
    const state = states[i] as TrialState;
    const run = new RunDir(join(dir, entry.runDir));
    const value = state.state === 'completed' ? state.value : null;
    // A run directory this code did not write (the same sweep run locally into --out) is left as it is.
    const ours = !run.exists() || existsSync(run.file('trial.json'));
    if (value !== null && ours) {
      rmSync(run.path, { recursive: true, force: true });
      await run.writeJson('config.json', value.record);
      await run.writeJson('history.json', value.history);
      await run.writeJson('result.json', { ...value.result, runDir: run.path });
      await writeCsv(run, value.history.epochs);
      const { record: _r, history: _h, result: _res, ...trial } = value;
      await run.writeJson('trial.json', { ...trial, workerRunDir: value.result.runDir });
      await run.setStatus(value.status, value.history.epochs.length, value.result.message);
    }
    const row = rowOf(entry, dir, outcomeOf(state), target);
    rows.push(state.state === 'completed' || state.state === 'failed' ? row : { ...row, status: state.state });
  }
  const charts = await writeOverlayCharts(dir, rows);
  const workers = new Set(states.flatMap((s) => (s.value !== null ? [s.value.worker.id] : []))).size;
  const file: CompareFile = {
    format: COMPARE_FORMAT,
    createdAt: previous?.createdAt ?? record.createdAt,
    command: [...options.command],
    note: null,
    target,
    entries,
    rows,
    wallSeconds: options.wallSeconds,
    workers,
  };
  await compareDir.writeJson('compare.json', file);
  return {
    format: COMPARE_FORMAT,
    dir: compareDir.path,
    target,
    workers,
    trained: states.filter((s) => s.state === 'completed').length,
    wallSeconds: options.wallSeconds,
    rows,
    charts,
    sweep: { id: record.id, name: record.name, queue: options.queue, trials: record.trials.length },
    trials: states.map((s) => ({
      label: s.label,
      jobId: s.jobId,
      state: s.state,
      worker: s.worker,
      attemptsMade: s.attemptsMade,
      stalled: s.stalled,
      backend: s.value?.backend ?? null,
      reused: s.value?.reused ?? null,
      resumedFrom: s.value?.resumedFrom ?? null,
      weightsSha256: s.value?.weightsSha256 ?? null,
      error: s.error,
    })),
  };
}
