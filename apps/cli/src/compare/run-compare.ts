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
import { UsageError } from '../cli/errors.js';
import { sameValue } from '../config/resolve.js';
import { finite, writeChart } from '../run/charts.js';
import { RunDir } from '../run/run-dir.js';
import { type RunSummary, summarize } from '../run/summary.js';
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

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9=.,_-]+/g, '_').slice(0, 60);
}

/** `01-sgd`, `02-momentum`, ...: the run directory of each config inside the compare directory. */
export function runDirectories(plan: readonly PlannedEntry[]): CompareFile['entries'] {
  return plan.map((p, i) => ({
    label: p.label,
    runDir: `${String(i + 1).padStart(2, '0')}-${slug(p.label)}`,
    config: p.config,
  }));
}

/** The first epoch whose validation accuracy reaches `target`, and the training seconds until then. */
function toTarget(summary: RunSummary | null, target: number): { epochs: number | null; seconds: number | null } {
  let elapsed = 0;
  for (const e of summary?.history?.epochs ?? []) {
    elapsed += e.seconds;
    if (e.val_accuracy >= target) return { epochs: e.epoch, seconds: elapsed };
  }
  return { epochs: null, seconds: null };
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
  const reach = toTarget(summary, target);
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

export async function runCompare(options: CompareOptions): Promise<CompareReport> {
  const { dir, target, workers } = options;
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
    jobs.push({
      index,
      job: {
        label: entry.label,
        config: entry.config,
        runDir: run.path,
        resume: run.isRun(),
        note: record.note,
        command: record.command,
        warnings: options.plan[index]?.warnings ?? [],
      },
    });
  });

  const started = performance.now();
  const ran = await runJobs(
    jobs.map((j) => j.job),
    {
      workers,
      ...(options.pids !== undefined ? { pids: options.pids } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      onEvent: (i, event) => options.onEvent?.(jobs[i]?.job.label ?? '?', event),
      onEnd: (i, outcome) => options.onEnd?.(jobs[i]?.job.label ?? '?', outcome),
    },
  );
  jobs.forEach((j, i) => {
    outcomes[j.index] = ran[i] ?? null;
  });
  const rows = entries.map((entry, i) => rowOf(entry, dir, outcomes[i] ?? null, target));
  const wallSeconds = (performance.now() - started) / 1000;
  const charts = options.signal?.aborted === true ? [] : await writeOverlayCharts(dir, rows);
  await compareDir.writeJson('compare.json', { ...record, target, rows, wallSeconds, workers });
  return {
    format: COMPARE_FORMAT,
    dir: compareDir.path,
    target,
    workers,
    trained: jobs.length,
    wallSeconds,
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
