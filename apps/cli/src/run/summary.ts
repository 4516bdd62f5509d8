/** One line of facts about a run directory, complete or not: what `runs list`, `runs diff` and `compare` tabulate. */
import type { TrainConfig } from '../config/knobs.js';
import { knobsDiffering } from '../config/resolve.js';
import { describeState, type RunDir } from './run-dir.js';
import type { EpochEntry, HistoryFile, RunResult } from './train-run.js';

export interface RunSummary {
  path: string;
  createdAt: string;
  /** complete, diverged, interrupted, failed, running, incomplete (process gone) */
  state: string;
  message: string | null;
  note: string | null;
  config: TrainConfig;
  knobs: Array<{ key: string; value: unknown; default: unknown }>;
  backend: string;
  epochs: number;
  bestValAccuracy: number | null;
  bestEpoch: number | null;
  finalValAccuracy: number | null;
  finalValLoss: number | null;
  testAccuracy: number | null;
  testLoss: number | null;
  trainSeconds: number;
  stepsPerSecond: number | null;
  history: HistoryFile | null;
}

export function summarize(dir: RunDir): RunSummary | null {
  const record = dir.record();
  if (record === null) return null;
  const status = dir.status();
  const result =
    status?.state === 'complete' || status?.state === 'diverged' ? dir.readJson<RunResult>('result.json') : null;
  const history = dir.readJson<HistoryFile>('history.json');
  const epochs = history?.epochs ?? [];
  let best: { epoch: number; val_accuracy: number } | null = null;
  for (const e of epochs)
    if (Number.isFinite(e.val_accuracy) && (best === null || e.val_accuracy > best.val_accuracy)) best = e;
  const last = epochs.at(-1);
  const trainSeconds = epochs.reduce((s, e) => s + e.seconds, 0);
  const steps = epochs.reduce((s, e) => s + e.steps, 0);
  return {
    path: dir.path,
    createdAt: record.createdAt,
    state: describeState(status),
    message: status?.message ?? null,
    note: record.note,
    config: record.config,
    knobs: knobsDiffering(record.config),
    backend: record.environment.backend.name,
    epochs: epochs.length,
    bestValAccuracy: best?.val_accuracy ?? null,
    bestEpoch: best?.epoch ?? null,
    finalValAccuracy: last?.val_accuracy ?? null,
    finalValLoss: last?.val_loss ?? null,
    testAccuracy: result?.test?.accuracy ?? null,
    testLoss: result?.test?.loss ?? null,
    trainSeconds,
    stepsPerSecond: trainSeconds > 0 ? steps / trainSeconds : null,
    history,
  };
}

/** The first epoch whose validation accuracy reaches `target`, and the training seconds until its end. */
export function toTarget(
  epochs: readonly Pick<EpochEntry, 'epoch' | 'val_accuracy' | 'seconds'>[],
  target: number,
): { epochs: number | null; seconds: number | null } {
  let elapsed = 0;
  for (const e of epochs) {
    elapsed += e.seconds;
    if (e.val_accuracy >= target) return { epochs: e.epoch, seconds: elapsed };
  }
  return { epochs: null, seconds: null };
}
