/**
 * One training run, start to finish: given a fully resolved config and a run directory, trains the chapter's
 * MLP into it and returns what happened (config, history, test metrics, timings, backend, advice).
 *
 * This is the unit every front end shares: `opt train` calls it in its own process, each `opt compare`
 * worker process calls it once per config, and a sweep worker can call it for a queued trial. It prints
 * nothing: it reports through `onEvent`, and it stops at the end of the current step when `signal` aborts,
 * writing a checkpoint from which `resume: true` continues to the same weights as an uninterrupted run.
 *
 * Stopping and resuming are @opt/layers' fit's own: `fit({ signal })` ends after the step in progress and the
 * checkpoint saved then records the step within the epoch and the epoch's loss and accuracy sums so far;
 * `fit({ initialEpoch, initialStep })` continues there. Weights, optimizer state, callback decisions and
 * every epoch's logs, the interrupted one included, are those of an uninterrupted run.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type BatchIterator, batches, toTensors } from '@opt/data-fashion-mnist';
import type { Sequential } from '@opt/layers';
import { NonFiniteGradientError } from '@opt/optimizers';
import type { LearningRateSchedule } from '@opt/schedules';
import { type BackendReport, tf, useBackend, type WasmThreads } from '@opt/tensor';
import { RunError, UsageError } from '../cli/errors.js';
import type { TrainConfig } from '../config/knobs.js';
import { sameValue } from '../config/resolve.js';
import { inputMoments, loadData, makeSplits, type Splits } from './data.js';
import { type Advice, batchAdvice, divergedAdvice, inputAdvice } from './diagnostics.js';
import { exportTfjs } from './export-tfjs.js';
import {
  buildModel,
  buildOptimizer,
  buildSchedule,
  checkMemory,
  describeModel,
  type TrainingOptimizer,
} from './model.js';
import { RunCallbacks } from './run-callbacks.js';
import { type Environment, RUN_FORMAT, RunDir, type RunRecord, trackWrite } from './run-dir.js';
import { writeCsv, writeRunCharts } from './run-files.js';
import {
  type EpochEntry,
  type HistoryFile,
  type RunEvent,
  RunInterrupted,
  type RunOutcome,
  type RunResult,
} from './run-types.js';
import { versions } from './versions.js';

export type { EpochEntry, HistoryFile, RunEvent, RunOutcome, RunResult } from './run-types.js';
export { RunInterrupted } from './run-types.js';

export interface TrainRunOptions {
  readonly config: TrainConfig;
  readonly runDir: string;
  /** Continue the run in `runDir` from its last checkpoint (its config must equal `config`). */
  readonly resume?: boolean;
  readonly note?: string | null;
  /** The command line, stored with the run. */
  readonly command?: readonly string[];
  /** Warnings found while resolving the config, stored with the run. */
  readonly warnings?: readonly string[];
  /** Aborting stops the run at the end of the current step, with a checkpoint. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: RunEvent) => void;
  /** The wasm backend's threads (default 'auto'); not part of the config: it does not change what is trained. */
  readonly threads?: WasmThreads;
  /** Write the SVG/PNG charts (default true). */
  readonly charts?: boolean;
  /** At completion, also write the model as a tfjs-layers model to `<runDir>/tfjs` (default false). */
  readonly exportTfjs?: boolean;
}

let activeBackend: { request: string; threads: WasmThreads; report: BackendReport } | null = null;

/** Loads the backend once per process; a later run asking for the same one reuses it. */
async function backendFor(request: TrainConfig['backend'], threads: WasmThreads): Promise<BackendReport> {
  if (activeBackend?.request === request && activeBackend.threads === threads) return activeBackend.report;
  const report = await useBackend(request, { threads });
  activeBackend = { request, threads, report };
  return report;
}

/** Read through a call: TypeScript keeps `signal.aborted` narrowed across the awaits of a training run. */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function kerasHistory(epochs: readonly EpochEntry[]): Record<string, number[]> {
  const keys = ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'learning_rate'] as const;
  return Object.fromEntries(keys.map((k) => [k, epochs.map((e) => e[k])]));
}

/** True when a directory holds a checkpoint (or the `.old` copy a crash between renames leaves). */
async function hasCheckpoint(path: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  for (const p of [path, `${path}.old`]) {
    try {
      if ((await stat(`${p}/model.json`)).isFile()) return true;
    } catch {
      // not there
    }
  }
  return false;
}

/** A new run directory must not exist yet, or be empty. */
async function claimDirectory(dir: RunDir): Promise<void> {
  const { mkdir, readdir } = await import('node:fs/promises');
  if (dir.exists()) {
    if (dir.isRun()) {
      throw new UsageError(
        `--out ${dir.path} already holds a run: continue it with --resume ${dir.path}, or choose another --out.`,
        '--out',
        dir.path,
      );
    }
    if ((await readdir(dir.path)).length > 0) {
      throw new UsageError(
        `--out ${dir.path} is a directory with other files in it: choose a new or empty directory.`,
        '--out',
        dir.path,
      );
    }
  }
  await mkdir(dir.path, { recursive: true });
}

/** A failure of the wasm module itself (it aborts on out-of-memory) said in words. */
function explain(error: unknown, config: TrainConfig): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (
    /Aborted\(\)|out of memory|Cannot enlarge memory|Array buffer allocation failed|Invalid typed array length/i.test(
      message,
    )
  ) {
    return new RunError(
      `the backend ran out of memory training --hidden ${config.hidden.join(',')} with --batch-size ${config.batchSize} (${message.split('\n')[0]}); use narrower layers or smaller batches.`,
      undefined,
      { cause: error },
    );
  }
  return error;
}

interface Setup {
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
async function prepare(config: TrainConfig, threads: WasmThreads, emit: (event: RunEvent) => void): Promise<Setup> {
  tf.enableProdMode();
  const report = await backendFor(config.backend, threads);
  emit({ type: 'backend', report });
  const loaded = await loadData(config, (p) => {
    if (p.phase === 'download' || p.loadedBytes > 0) {
      emit({ type: 'download', file: p.file, phase: p.phase, loadedBytes: p.loadedBytes });
    }
  });
  const splits = makeSplits(loaded.data, config);
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
      trainCount: splits.train.count,
      validationCount: splits.validation.count,
      testCount: splits.test.count,
      statistics: { mean: splits.statistics.mean[0] as number, std: splits.statistics.std[0] as number },
    },
    batchSize: splits.batchSize,
    stepsPerEpoch,
    totalSteps,
  };
  return { report, splits, source, stepsPerEpoch, totalSteps, schedule, optimizer, environment };
}

/** A new run claims its directory and writes config.json; a resumed one must have been made with `config`. */
async function openRecord(dir: RunDir, options: TrainRunOptions, environment: Environment): Promise<RunRecord> {
  let record: RunRecord;
  if (options.resume === true) {
    const saved = dir.record();
    if (saved === null) {
      throw new UsageError(`--resume ${dir.path}: not a run directory (no config.json there).`, '--resume', dir.path);
    }
    if (!sameValue(saved.config, options.config)) {
      throw new UsageError(
        `--resume ${dir.path}: the run was made with another config; resume it with its own.`,
        '--resume',
        dir.path,
      );
    }
    record = { ...saved, environment };
  } else {
    await claimDirectory(dir);
    record = {
      format: RUN_FORMAT,
      createdAt: new Date().toISOString(),
      note: options.note ?? null,
      command: [...(options.command ?? [])],
      config: options.config,
      environment,
    };
  }
  await dir.writeJson('config.json', record);
  return record;
}

/**
 * A resumed run loads its last checkpoint and the history up to it; a new one measures the initial weights on
 * the validation set, gives the advice that needs no training, and saves the initial weights as epoch 0.
 */
async function startOrResume(
  options: TrainRunOptions,
  dir: RunDir,
  model: Sequential,
  setup: Setup,
  emit: (event: RunEvent) => void,
): Promise<{ history: HistoryFile; initialEpoch: number; initialStep: number }> {
  const { config } = options;
  if (options.resume === true && (await hasCheckpoint(dir.lastCheckpoint))) {
    const info = await model.loadWeights(dir.lastCheckpoint);
    // The optimizer counts every step of the run: a checkpoint whose count disagrees was not written by this run.
    if (setup.optimizer.iterations !== info.epoch * setup.stepsPerEpoch + info.step) {
      throw new RunError(
        `${dir.lastCheckpoint}: the checkpoint says ${info.epoch} epochs and ${info.step} steps of ${setup.stepsPerEpoch} done, but its optimizer took ${setup.optimizer.iterations} steps: ` +
          'it was written by an older opt that did not record the step within an epoch, or changed by hand; start the run again.',
        dir.lastCheckpoint,
      );
    }
    const saved = dir.readJson<HistoryFile>('history.json');
    if (saved === null) {
      throw new RunError(
        `${dir.file('history.json')}: missing, so the run cannot be resumed.`,
        dir.file('history.json'),
      );
    }
    // history.json is written before the checkpoint at each epoch's end: it may be one epoch ahead.
    return {
      history: { ...saved, epochs: saved.epochs.slice(0, info.epoch) },
      initialEpoch: info.epoch,
      initialStep: info.step,
    };
  }
  const { splits } = setup;
  const validation = toTensors(splits.validation, splits.prepare);
  let initial: Awaited<ReturnType<Sequential['evaluate']>>;
  try {
    initial = await model.evaluate(validation.x, validation.y, { batchSize: 1024 });
  } finally {
    tf.dispose([validation.x, validation.y]);
  }
  const advice = [
    inputAdvice(config.normalize, inputMoments(config.normalize, splits.statistics)),
    batchAdvice(splits.batchSize, splits.train.count),
  ].filter((a): a is Advice => a !== null);
  const history: HistoryFile = {
    initial: { val_loss: initial.loss ?? Number.NaN, val_accuracy: initial.accuracy ?? Number.NaN },
    epochs: [],
    advice,
  };
  for (const a of advice) emit({ type: 'advice', advice: a });
  await dir.writeJson('history.json', history);
  // Epoch 0: a run stopped or diverged in its first epoch keeps the initial weights.
  await trackWrite(() => model.save(dir.lastCheckpoint));
  return { history, initialEpoch: 0, initialStep: 0 };
}

/** Test loss and accuracy of the final weights (with --ema, the moving average, as Keras finishes). */
async function finalTest(
  model: Sequential,
  setup: Setup,
  config: TrainConfig,
  dir: RunDir,
): Promise<{ test: NonNullable<RunResult['test']>; seconds: number }> {
  if (config.ema) {
    setup.optimizer.finalizeVariableValues();
    await trackWrite(() => model.save(dir.lastCheckpoint));
  }
  const start = performance.now();
  const data = toTensors(setup.splits.test, setup.splits.prepare);
  try {
    const logs = await model.evaluate(data.x, data.y, { batchSize: 1024 });
    return {
      test: { loss: logs.loss ?? Number.NaN, accuracy: logs.accuracy ?? Number.NaN },
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    tf.dispose([data.x, data.y]);
  }
}

export async function trainRun(options: TrainRunOptions): Promise<RunResult> {
  const wallStart = performance.now();
  const { config, signal } = options;
  const emit = options.onEvent ?? (() => {});
  const setup = await prepare(config, options.threads ?? 'auto', emit);
  const { optimizer, stepsPerEpoch } = setup;
  const optimizerConfig = optimizer.getConfig();
  const dir = new RunDir(options.runDir);
  const record = await openRecord(dir, options, setup.environment);

  const model = buildModel(config);
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  // Validation in batches of 1024, in a fixed order.
  const validation = batches(setup.splits.validation, { batchSize: 1024, shuffle: false, ...setup.splits.prepare });
  let status: RunOutcome = 'complete';
  let message: string | null = null;
  let test: RunResult['test'] = null;
  let testSeconds = 0;
  let skippedSteps = 0;
  let loop: RunCallbacks;
  let history: HistoryFile;
  try {
    const start = await startOrResume(options, dir, model, setup, emit);
    history = start.history;
    const { initialEpoch, initialStep } = start;
    await dir.setStatus('running', initialEpoch);
    emit({
      type: 'start',
      runDir: dir.path,
      model: describeModel(config),
      optimizer: optimizerConfig,
      batchSize: setup.splits.batchSize,
      stepsPerEpoch,
      epochs: config.epochs,
      initialEpoch,
      resumedAtStep: initialStep,
    });
    loop = new RunCallbacks({ model, optimizer, config, dir, history, stepsPerEpoch, schedule: setup.schedule, emit });
    try {
      if (signal?.aborted === true) {
        await dir.setStatus('interrupted', initialEpoch, 'stopped before training started');
        throw new RunInterrupted('stopped before training started');
      }
      const fitted = await model.fit(setup.source, {
        epochs: config.epochs,
        initialEpoch,
        initialStep,
        validationData: validation,
        callbacks: loop.list(),
        signal,
      });
      // Stopped inside an epoch or between two; a stop asked for during the last epoch's end stops there too.
      const stopped = fitted.stopped ?? (aborted(signal) ? { epoch: model.epochsCompleted, step: 0 } : null);
      if (stopped !== null) {
        status = 'interrupted';
        message = await loop.stopped(stopped);
      }
    } catch (error) {
      if (error instanceof RunInterrupted) {
        status = 'interrupted';
        message = error.message;
      } else if (error instanceof NonFiniteGradientError) {
        // The optimizer's guard kept the non-finite gradient out of the weights and refused the next step.
        const epoch = loop.epoch + 1;
        const what = `a non-finite gradient at step ${error.step} (${error.variableName}), epoch ${epoch}`;
        loop.advise(divergedAdvice(epoch, what, optimizer.learningRate, epoch - 1));
        await loop.writeHistory();
      } else throw error;
    }
    if (loop.diverged !== null) {
      status = 'diverged';
      message = loop.diverged.message;
    } else if (status === 'complete' && history.epochs.length < config.epochs) {
      message = `early stopping after epoch ${history.epochs.length}: val_loss did not improve for ${config.patience} epochs`;
    }
    if (status === 'complete') {
      if (config.onNan === 'skip') skippedSteps = (await optimizer.nonFiniteReport()).skippedSteps;
      ({ test, seconds: testSeconds } = await finalTest(model, setup, config, dir));
      emit({ type: 'test', ...test });
      if (options.exportTfjs === true) {
        const path = await exportTfjs(model, setup.splits.prepare, dir.path);
        emit({ type: 'note', message: `tfjs-layers model: ${path} (784 pixel values 0..255 in; tf.loadLayersModel)` });
      }
    }
  } catch (error) {
    const failure = explain(error, config);
    if (!(failure instanceof UsageError)) {
      await dir.setStatus('failed', 0, failure instanceof Error ? failure.message : String(failure)).catch(() => {});
    }
    throw failure;
  } finally {
    model.dispose();
    optimizer.dispose();
  }

  const epochs = history.epochs;
  const trainSeconds = epochs.reduce((s, e) => s + e.seconds, 0);
  const result: RunResult = {
    format: 'opt.run-result.v1',
    runDir: dir.path,
    status,
    message,
    config,
    note: record.note,
    backend: setup.report.backend,
    environment: setup.environment,
    optimizer: optimizerConfig,
    trainCount: setup.splits.train.count,
    validationCount: setup.splits.validation.count,
    stepsPerEpoch,
    batchSize: setup.splits.batchSize,
    epochsRun: epochs.length,
    history: kerasHistory(epochs),
    initial: history.initial,
    secondsPerEpoch: epochs.map((e) => e.seconds),
    timings: {
      trainSeconds,
      testSeconds,
      wallSeconds: (performance.now() - wallStart) / 1000,
      stepsPerSecond: trainSeconds > 0 ? epochs.reduce((s, e) => s + e.steps, 0) / trainSeconds : 0,
    },
    best: loop.best,
    test,
    advice: history.advice,
    warnings: [...(options.warnings ?? [])],
    skippedSteps,
  };
  if (status === 'interrupted') return result;
  if (options.charts !== false) await writeRunCharts(dir, history, setup.schedule, stepsPerEpoch, setup.totalSteps);
  await dir.writeJson('result.json', result);
  await writeCsv(dir, epochs);
  await dir.setStatus(status, epochs.length, message);
  return result;
}
