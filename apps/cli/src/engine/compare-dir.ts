/**
 * The compare directory, where a plan of runs ends whatever executed it (the local pool, or the queue's workers
 * through sweep/results.ts). It holds `compare.json` (the plan, then the rows), one run directory per config
 * (`01-<label>`, ...) and `charts/`. Running the same plan into the same directory again keeps the complete (and
 * diverged) runs, resumes the interrupted ones and starts the rest.
 */

import { join } from 'node:path';
import { UsageError } from '../cli/errors.js';
import { sameValue } from '../config/resolve.js';
import { finite, writeChart } from '../run/charts.js';
import { slug } from '../run/naming.js';
import { RunDir } from '../run/run-dir.js';
import { summarize, toTarget } from '../run/summary.js';
import { existingRun } from './existing-run.js';
import type { Job, JobOutcome } from './job-process.js';
import type { PlannedEntry } from './plan.js';

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

export interface PrepareOptions {
  /** The compare directory. */
  readonly dir: string;
  readonly plan: readonly PlannedEntry[];
  /** Validation accuracy for the "epochs and time to target" columns. */
  readonly target: number;
  readonly note: string | null;
  readonly command: readonly string[];
  /** A config whose run is already complete or diverged, kept as it is. */
  readonly onKept?: (label: string, state: string, runDir: string) => void;
  /** The plan may add configs after those recorded (the leaderboard's extra seeds), never change or drop one. */
  readonly grows?: boolean;
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
export async function prepareCompare(options: PrepareOptions): Promise<PreparedCompare> {
  const { dir, target } = options;
  const entries = runDirectories(options.plan);
  const compareDir = new RunDir(dir);
  const previous = compareDir.readJson<CompareFile>('compare.json');
  const grown =
    previous !== null &&
    options.grows === true &&
    previous.entries.length < entries.length &&
    sameValue(previous.entries, entries.slice(0, previous.entries.length));
  if (previous !== null && !grown && !sameValue(previous.entries, entries)) {
    throw new UsageError(`--out ${dir} holds another compare (other configs); choose another --out.`, '--out', dir);
  }
  if (previous === null && compareDir.isRun()) {
    throw new UsageError(
      `--out ${dir} is a run directory, not a compare directory; choose another --out.`,
      '--out',
      dir,
    );
  }
  const record: CompareFile =
    previous !== null
      ? { ...previous, entries }
      : {
          format: COMPARE_FORMAT,
          createdAt: new Date().toISOString(),
          command: [...options.command],
          note: options.note,
          target,
          entries,
        };
  await compareDir.writeJson('compare.json', { ...record, target });

  const outcomes: Array<JobOutcome | null> = entries.map(() => null);
  const jobs: Array<{ index: number; job: Job }> = [];
  entries.forEach((entry, index) => {
    const runDir = join(compareDir.path, entry.runDir);
    const existing = existingRun(runDir);
    if (existing.action === 'keep') {
      outcomes[index] = { ok: true, result: existing.result };
      options.onKept?.(entry.label, existing.state, runDir);
      return;
    }
    const planned = options.plan[index];
    jobs.push({
      index,
      job: {
        label: entry.label,
        config: entry.config,
        runDir,
        resume: existing.action === 'resume',
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
