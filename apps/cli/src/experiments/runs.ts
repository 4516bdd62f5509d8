/**
 * The experiments' run directories read back for the report: for each planned row and seed, what its run
 * directory holds (nothing is taken from the process that trained it), and the lr-find results.
 */
import { join, relative } from 'node:path';
import { shellLine } from '../config/command-line.js';
import { sameValue } from '../config/resolve.js';
import type { LrFindResult } from '../run/lr-find.js';
import { RunDir } from '../run/run-dir.js';
import { type RunSummary, summarize } from '../run/summary.js';
import type { EpochEntry, HistoryFile, RunResult } from '../run/train-run.js';
import { type ExpandOptions, expandClaim, type LrFindJob, lrFindJobs, type PlannedRun } from './expand.js';
import type { Claim, ExperimentRow } from './plan.js';

/** One planned run and what its directory holds. */
export interface RunView {
  readonly row: ExperimentRow;
  readonly seed: number | null;
  readonly label: string;
  /** The run directory, relative to where the report's commands run. */
  readonly dir: string;
  /** The `opt train` command that trains it, as one shell line. */
  readonly command: string;
  /**
   * complete, diverged, interrupted, failed, running, incomplete (process gone), `not run`, or `stale` (its
   * directory holds a run of another config: the plan changed since).
   */
  readonly state: string;
  readonly summary: RunSummary | null;
  readonly result: RunResult | null;
  readonly history: HistoryFile | null;
  readonly epochs: readonly EpochEntry[];
  /**
   * The float32 values the last checkpoint holds for the model's weights and for the optimizer's state (its
   * slots, as allocated); null without a checkpoint. Optional: views made before it was read lack it.
   */
  readonly floats?: { readonly model: number; readonly optimizer: number } | null;
}

export interface LrFindView {
  readonly row: ExperimentRow;
  readonly dir: string;
  readonly command: string;
  readonly result: LrFindResult | null;
}

export interface ClaimRuns {
  readonly claim: Claim;
  readonly runs: readonly RunView[];
  readonly lrFinds: readonly LrFindView[];
}

/** The runs of one row (one per seed), in seed order. */
export function rowRuns(c: ClaimRuns, name: string): RunView[] {
  return c.runs.filter((r) => r.row.name === name);
}

/** True when the run ended as planned: complete, or diverged (which is a result too). */
export const finished = (r: RunView): boolean => r.state === 'complete' || r.state === 'diverged';

function viewOf(planned: PlannedRun, cwd: string, pendingRate: boolean): RunView {
  const dir = new RunDir(planned.runDir);
  const record = dir.record();
  const base = {
    row: planned.row,
    seed: planned.seed,
    label: planned.label,
    dir: relative(cwd, planned.runDir),
    command: pendingRate ? '(the rate comes from lr-find, which has not run yet)' : shellLine(planned.command),
  };
  if (record === null || pendingRate) {
    return { ...base, state: 'not run', summary: null, result: null, history: null, epochs: [] };
  }
  if (!sameValue(record.config, planned.config)) {
    return { ...base, state: 'stale', summary: null, result: null, history: null, epochs: [] };
  }
  const summary = summarize(dir);
  const finishedState = summary?.state === 'complete' || summary?.state === 'diverged';
  return {
    ...base,
    state: summary?.state ?? 'not run',
    summary,
    result: finishedState ? dir.readJson<RunResult>('result.json') : null,
    history: summary?.history ?? null,
    epochs: summary?.history?.epochs ?? [],
    floats: checkpointFloats(dir),
  };
}

interface CheckpointJson {
  readonly weights: ReadonlyArray<{ readonly name: string; readonly shape: readonly number[] }>;
}

/** Values in the last checkpoint: Π shape summed over `model/...` entries and over `optimizer/...` entries. */
export function checkpointFloats(dir: RunDir): RunView['floats'] {
  const json = dir.readJson<CheckpointJson>(join('checkpoints', 'last', 'model.json'));
  if (json === null) return null;
  const count = (prefix: string) =>
    json.weights.filter((w) => w.name.startsWith(prefix)).reduce((n, w) => n + w.shape.reduce((p, d) => p * d, 1), 0);
  return { model: count('model/'), optimizer: count('optimizer/') };
}

function lrFindView(job: LrFindJob, cwd: string): LrFindView {
  return {
    row: job.row,
    dir: relative(cwd, job.dir),
    command: shellLine(['opt', ...job.args]),
    result: new RunDir(job.dir).readJson<LrFindResult>('lr-find.json'),
  };
}

/** Reads a claim's runs as the plan names them; rows whose lr-find has not run are `not run`. */
export function loadClaim(claim: Claim, options: ExpandOptions): ClaimRuns {
  const lrFinds = lrFindJobs(claim, options).map((job) => lrFindView(job, options.cwd));
  const rates = new Map<string, number>();
  for (const f of lrFinds) {
    const rate = f.result?.suggestion?.learningRate;
    if (rate !== undefined) rates.set(f.row.name, rate);
  }
  const planned = expandClaim(claim, options, rates, true);
  const runs = planned.map((p) => viewOf(p, options.cwd, p.row.lrFind === true && !rates.has(p.row.name)));
  return { claim, runs, lrFinds };
}
