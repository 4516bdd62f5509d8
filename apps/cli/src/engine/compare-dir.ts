/**
 * A compare, as a function: the planned configs trained into run directories inside one compare directory by
 * worker processes, then summarized as rows and overlay charts. `opt compare` is this plus flags and printing;
 * `pnpm experiments` can call it directly.
 *
 * The compare directory holds `compare.json` (the plan, then the rows), one run directory per config
 * (`01-<label>`, ...) and `charts/`. Running the same plan into the same directory again keeps the complete (and
 * diverged) runs, resumes the interrupted ones and starts the rest.
 */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { WasmThreads } from '@opt/tensor';
import { UsageError } from '../cli/errors.js';
import { sameValue } from '../config/resolve.js';
import { finite, writeChart } from '../run/charts.js';
import { slug } from '../run/naming.js';
import { RunDir } from '../run/run-dir.js';
import { summarize, toTarget } from '../run/summary.js';
import type { RunEvent, RunResult } from '../run/train-run.js';
import type { PlannedEntry } from './plan.js';
import { runJobs } from './pool.js';
import type { Job, JobOutcome } from './worker.js';

export const COMPARE_FORMAT = 'opt.compare.v1';

export interface CompareRow {
  label: string;
  runDir: string;
  status: string;
  error: string | null;
  bestValAccuracy: number | null;
  bestEpoch: number | null;
  finalValAccuracy: number | null;
  testAccuracy: number | null;
  epochsToTarget: number | null;
  secondsToTarget: number | null;
  stepsPerSecond: number | null;
  trainSeconds: number;
  epochs: number;
}

export interface CompareFile {
  format: typeof COMPARE_FORMAT;
  createdAt: string;
  command: string[];
  note: string | null;
  target: number;
  entries: Array<{ label: string; runDir: string; config: PlannedEntry['config'] }>;
  rows?: CompareRow[];
  wallSeconds?: number;
  workers?: number;
}

export interface CompareOptions {
  /** The compare directory. */
  readonly dir: string;
  readonly plan: readonly PlannedEntry[];
  readonly workers: number;
  /** The wasm backend's threads per worker process (default: the cores shared among the workers). */
  readonly threads?: WasmThreads;
  /** Validation accuracy for the "epochs and time to target" columns. */
  readonly target: number;
  readonly note: string | null;
  readonly command: readonly string[];
  /** Aborting stops every running config at the end of its current step (with a checkpoint) and starts no more. */
  readonly signal?: AbortSignal;
  /** Kept up to date with the running workers' process ids. */
  readonly pids?: Set<number>;
  readonly onEvent?: (label: string, event: RunEvent) => void;
  readonly onEnd?: (label: string, outcome: JobOutcome) => void;
  /** A config whose run is already complete or diverged, kept as it is. */
  readonly onKept?: (label: string, state: string, runDir: string) => void;
}

export interface CompareReport {
  format: typeof COMPARE_FORMAT;
  dir: string;
  target: number;
  workers: number;
  /** Configs trained by this call (the others were kept). */
  trained: number;
  wallSeconds: number;
  rows: CompareRow[];
  charts: string[];
}

/** `01-sgd`, `02-momentum`, ...: the run directory of each config inside the compare directory. */
export function runDirectories(plan: readonly PlannedEntry[]): CompareFile['entries'] {
  return plan.map((p, i) => ({
    label: p.label,
    runDir: `${String(i + 1).padStart(2, '0')}-${slug(p.label)}`,
    config: p.config,
  }));
}

/** One row of the table: what the run directory and the outcome of its config say. */
export function rowOf(
  entry: CompareFile['entries'][number],
  dir: string,
  outcome: JobOutcome | null,
  target: number,
): CompareRow {
  const run = new RunDir(join(dir, entry.runDir));
  const summary = summarize(run);
  const reach = toTarget(summary?.history?.epochs ?? [], target);
  const status =
    outcome === null
      ? 'not run'
      : outcome.ok
        ? outcome.result.status
        : outcome.error.kind === 'not started'
          ? 'not started'
          : 'failed';
  return {
    label: entry.label,
    runDir: run.path,
    status,
    error:
      outcome !== null && !outcome.ok ? outcome.error.message : outcome?.ok === true ? outcome.result.message : null,
    bestValAccuracy: summary?.bestValAccuracy ?? null,
    bestEpoch: summary?.bestEpoch ?? null,
    finalValAccuracy: summary?.finalValAccuracy ?? null,
    testAccuracy: outcome?.ok === true ? (outcome.result.test?.accuracy ?? null) : null,
    epochsToTarget: reach.epochs,
    secondsToTarget: reach.seconds,
    stepsPerSecond: summary?.stepsPerSecond ?? null,
    trainSeconds: summary?.trainSeconds ?? 0,
    epochs: summary?.epochs ?? 0,
  };
}

/** A compare directory checked and recorded, with the configs still to train and those kept as they were. */
export interface PreparedCompare {
  readonly dir: string;
  readonly record: CompareFile;
  readonly entries: CompareFile['entries'];
  /** Per entry: the kept run's outcome, or null until its job has run. */
  readonly outcomes: Array<JobOutcome | null>;
  /** The jobs to run, with the index of their entry. */
  readonly jobs: ReadonlyArray<{ index: number; job: Job }>;
}

/**
 * Checks the compare directory (a new one, or one holding the same configs), writes `compare.json`, keeps the
 * complete (and diverged) runs and makes a job of every other config: resumed where its run directory holds a
 * run, started afresh otherwise.
 */
export async function prepareCompare(
  options: Pick<CompareOptions, 'dir' | 'plan' | 'target' | 'note' | 'command' | 'onKept'>,
): Promise<PreparedCompare> {
  const { dir, target } = options;
  const entries = runDirectories(options.plan);
  const compareDir = new RunDir(dir);
  const previous = compareDir.readJson<CompareFile>('compare.json');
  if (previous !== null && !sameValue(previous.entries, entries)) {
    throw new UsageError(`--out ${dir} holds another compare (other configs); choose another --out.`, '--out', dir);
  }
  if (previous === null && compareDir.isRun()) {
    throw new UsageError(
      `--out ${dir} is a run directory, not a compare directory; choose another --out.`,
      '--out',
      dir,
    );
  }
  const record: CompareFile = previous ?? {
    format: COMPARE_FORMAT,
    createdAt: new Date().toISOString(),
    command: [...options.command],
    note: options.note,
    target,
    entries,
  };
  await compareDir.writeJson('compare.json', { ...record, target });

  // Complete (or diverged) runs are kept; the others are resumed, or started afresh.
  const outcomes: Array<JobOutcome | null> = entries.map(() => null);
  const jobs: Array<{ index: number; job: Job }> = [];
  entries.forEach((entry, index) => {
    const run = new RunDir(join(dir, entry.runDir));
    const state = run.status()?.state;
    const result =
      run.isRun() && (state === 'complete' || state === 'diverged') ? run.readJson<RunResult>('result.json') : null;
    if (result !== null) {
      outcomes[index] = { ok: true, result };
      options.onKept?.(entry.label, state as string, run.path);
      return;
    }
    if (!run.isRun()) rmSync(run.path, { recursive: true, force: true }); // a start that never wrote its config
    const planned = options.plan[index];
    jobs.push({
      index,
      job: {
        label: entry.label,
        config: entry.config,
        runDir: run.path,
        resume: run.isRun(),
        note: record.note,
        command: planned?.command ?? record.command,
        warnings: planned?.warnings ?? [],
      },
    });
  });
  return { dir: compareDir.path, record, entries, outcomes, jobs };
}

/**
 * The rows of a prepared compare once its jobs have run (`ran[i]` is the outcome of `jobs[i]`), the overlay
 * charts (unless it was stopped), and `compare.json` with the rows.
 */
export async function finishCompare(
  prepared: PreparedCompare,
  ran: ReadonlyArray<JobOutcome | undefined>,
  how: { target: number; workers: number; wallSeconds: number; stopped: boolean },
): Promise<CompareReport> {
  const { dir, record, entries, jobs } = prepared;
  const outcomes = [...prepared.outcomes];
  jobs.forEach((j, i) => {
    outcomes[j.index] = ran[i] ?? null;
  });
  const rows = entries.map((entry, i) => rowOf(entry, dir, outcomes[i] ?? null, how.target));
  const charts = how.stopped ? [] : await writeOverlayCharts(dir, rows);
  await new RunDir(dir).writeJson('compare.json', {
    ...record,
    target: how.target,
    rows,
    wallSeconds: how.wallSeconds,
    workers: how.workers,
  });
  return {
    format: COMPARE_FORMAT,
    dir,
    target: how.target,
    workers: how.workers,
    trained: jobs.length,
    wallSeconds: how.wallSeconds,
    rows,
    charts,
  };
}

export async function runCompare(options: CompareOptions): Promise<CompareReport> {
  const prepared = await prepareCompare(options);
  const { jobs } = prepared;
  const started = performance.now();
  const ran = await runJobs(
    jobs.map((j) => j.job),
    {
      workers: options.workers,
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.pids !== undefined ? { pids: options.pids } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      onEvent: (i, event) => options.onEvent?.(jobs[i]?.job.label ?? '?', event),
      onEnd: (i, outcome) => options.onEnd?.(jobs[i]?.job.label ?? '?', outcome),
    },
  );
  return finishCompare(prepared, ran, {
    target: options.target,
    workers: options.workers,
    wallSeconds: (performance.now() - started) / 1000,
    stopped: options.signal?.aborted === true,
  });
}

const METRICS = [
  ['val_accuracy', 'validation accuracy'],
  ['val_loss', 'validation loss'],
  ['accuracy', 'training accuracy'],
  ['loss', 'training loss'],
] as const;

/** One chart per metric, one line per config. */
export async function writeOverlayCharts(dir: string, rows: readonly CompareRow[]): Promise<string[]> {
  const written: string[] = [];
  for (const [metric, title] of METRICS) {
    const values = rows.flatMap((row) =>
      (summarize(new RunDir(row.runDir))?.history?.epochs ?? []).map((e) => ({
        epoch: e.epoch,
        config: row.label,
        value: finite(e[metric]),
      })),
    );
    if (values.length === 0) continue;
    written.push(
      ...(await writeChart(join(dir, 'charts'), metric, {
        title: `${title} per epoch`,
        values,
        x: { field: 'epoch', title: 'epoch', integer: true },
        y: { field: 'value', title },
        series: { field: 'config', title: 'config' },
        points: true,
      })),
    );
  }
  return written;
}
