/**
 * What a run needs before its first step, everything checked before a file is written: the backend (loaded once
 * per process), the data and its split, the batches, the schedule, the optimizer and the environment recorded
 * with the run.
 */
import { availableParallelism } from 'node:os';
import { type BatchIterator, batches } from '@opt/data-fashion-mnist';
import type { LearningRateSchedule } from '@opt/schedules';
import { type BackendReport, tf, useBackend, type WasmThreads } from '@opt/tensor';
import type { TrainConfig } from '../config/knobs.js';
import { loadData, makeSplits, recorded, type Splits } from './data.js';
import type { RecordedDataset } from './legacy-split.js';
import { buildOptimizer, buildSchedule, checkMemory, type TrainingOptimizer } from './model.js';
import type { Environment } from './run-dir.js';
import type { RunEvent } from './run-types.js';
import { versions } from './versions.js';

let activeBackend: { request: string; threads: WasmThreads; report: BackendReport } | null = null;

/** Loads the backend once per process; a later run asking for the same one reuses it. */
async function backendFor(request: TrainConfig['backend'], threads: WasmThreads): Promise<BackendReport> {
  if (activeBackend?.request === request && activeBackend.threads === threads) return activeBackend.report;
  const report = await useBackend(request, { threads });
  activeBackend = { request, threads, report };
  return report;
}

export interface Setup {
  readonly report: BackendReport;
  readonly splits: Splits;
  readonly source: BatchIterator;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly schedule: LearningRateSchedule | null;
  readonly optimizer: TrainingOptimizer;
  readonly environment: Environment;
}

/** Backend, data, split, batches, schedule and optimizer: everything checked before a file is written. */
export async function prepare(
  config: TrainConfig,
  threads: WasmThreads,
  emit: (event: RunEvent) => void,
  resumed?: RecordedDataset,
): Promise<Setup> {
  tf.enableProdMode();
  const report = await backendFor(config.backend, threads);
  emit({ type: 'backend', report });
  const loaded = await loadData(config, (p) => {
    if (p.phase === 'download' || p.loadedBytes > 0) {
      emit({ type: 'download', file: p.file, phase: p.phase, loadedBytes: p.loadedBytes });
    }
  });
  const splits = makeSplits(loaded.data, config, resumed);
  if (splits.indices === null) {
    emit({
      type: 'note',
      message: `split: the run's own (an older opt's: the --per-class subset first, then a stratified validation split)`,
    });
  }
  emit({
    type: 'data',
    datasetTrainCount: loaded.data.train.count,
    trainCount: splits.train.count,
    validationCount: splits.validation.count,
    testCount: splits.test.count,
    source: loaded.data.sources.trainImages,
  });
  checkMemory(config, splits.batchSize, report.backend);
  const source = batches(splits.train, { batchSize: splits.batchSize, seed: config.seed, ...splits.prepare });
  const stepsPerEpoch = source.batchesPerEpoch;
  const totalSteps = stepsPerEpoch * config.epochs;
  const schedule = buildSchedule(config, stepsPerEpoch, totalSteps);
  const optimizer = buildOptimizer(config, schedule);
  const environment: Environment = {
    backend: {
      requested: config.backend,
      name: report.backend,
      ...(report.threads ? { threads: { ...report.threads } } : {}),
      skipped: report.skipped.map((s) => ({ ...s })),
    },
    versions: versions(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: availableParallelism(),
    dataset: {
      files: loaded.files,
      ...recorded(splits),
      testCount: splits.test.count,
    },
    batchSize: splits.batchSize,
    stepsPerEpoch,
    totalSteps,
  };
  return { report, splits, source, stepsPerEpoch, totalSteps, schedule, optimizer, environment };
}
