/**
 * One training run, start to finish: given a fully resolved config and a run directory, trains the chapter's
 * MLP into it and returns what happened (config, history, test metrics, timings, backend, advice).
 *
 * This is the unit every front end shares: `opt train` calls it in its own process, each `opt compare`
 * worker process calls it once per config, and a sweep worker can call it for a queued trial. It prints
 * nothing: it reports through `onEvent`, and it stops at the end of the current step when `signal` aborts,
 * writing a checkpoint from which `resume: true` continues to the same weights as an uninterrupted run.
 *
 * Resume is exact within an epoch: a checkpoint records the epochs completed and the optimizer's step count,
 * so a run stopped after step k of epoch e resumes at epoch e with the first k batches of that epoch skipped
 * (the batch order depends only on the seed and the epoch). The interrupted epoch's training loss and accuracy
 * then average the steps after the resume only; weights, optimizer state and every later epoch are identical.
 */
import { performance } from 'node:perf_hooks';
import { type Batch, type BatchIterator, batches, toTensors } from '@opt/data-fashion-mnist';
import { EarlyStopping, type Sequential } from '@opt/layers';
import { NonFiniteGradientError } from '@opt/optimizers';
import { type Callback, type LearningRateSchedule, type Logs, ReduceLROnPlateau, sampleSchedule } from '@opt/schedules';
import { type BackendReport, tf, useBackend } from '@opt/tensor';
import { RunError, UsageError } from '../cli/errors.js';
import type { TrainConfig } from '../config/knobs.js';
import { sameValue } from '../config/resolve.js';
import { finite, writeChart } from './charts.js';
import { inputMoments, loadData, makeSplits } from './data.js';
import { type Advice, type AdviceId, batchAdvice, divergedAdvice, epochAdvice, inputAdvice } from './diagnostics.js';
import { buildModel, buildOptimizer, buildSchedule, checkMemory, describeModel } from './model.js';
import { type Environment, RUN_FORMAT, RunDir, type RunRecord, trackWrite, writeAtomic } from './run-dir.js';
import { versions } from './versions.js';

/** Thrown when a stop was requested before there was anything to save. */
export class RunInterrupted extends Error {
  override name = 'RunInterrupted';
}

export type RunOutcome = 'complete' | 'diverged' | 'interrupted';

/** One epoch of the history, with Keras's log keys. `learning_rate` is the rate of the epoch's first step. */
export interface EpochEntry {
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss: number;
  val_accuracy: number;
  learning_rate: number;
  seconds: number;
  steps: number;
  /** Set on the epoch a resumed run continued: the steps done before the interruption. */
  resumedAtStep?: number;
}

export interface HistoryFile {
  /** Validation loss and accuracy of the initial weights. */
  initial: { val_loss: number; val_accuracy: number };
  epochs: EpochEntry[];
  advice: Advice[];
}

export interface RunResult {
  format: 'opt.run-result.v1';
  runDir: string;
  status: RunOutcome;
  /** Why a run did not complete, or how it ended early. */
  message: string | null;
  config: TrainConfig;
  note: string | null;
  backend: string;
  environment: Environment;
  optimizer: { className: string; config: Record<string, unknown> };
  trainCount: number;
  validationCount: number;
  stepsPerEpoch: number;
  batchSize: number;
  epochsRun: number;
  /** Keras's History: per log key, one value per epoch. */
  history: Record<string, number[]>;
  initial: { val_loss: number; val_accuracy: number };
  secondsPerEpoch: number[];
  timings: { trainSeconds: number; testSeconds: number; wallSeconds: number; stepsPerSecond: number };
  best: { epoch: number; val_accuracy: number; val_loss: number } | null;
  test: { loss: number; accuracy: number } | null;
  advice: Advice[];
  warnings: string[];
  /** Steps skipped for a non-finite gradient (with --on-nan skip). */
  skippedSteps: number;
}

export type RunEvent =
  | { type: 'backend'; report: BackendReport }
  | { type: 'download'; file: string; phase: 'download' | 'done'; loadedBytes: number }
  | {
      type: 'data';
      datasetTrainCount: number;
      trainCount: number;
      validationCount: number;
      testCount: number;
      source: string;
    }
  | {
      type: 'start';
      runDir: string;
      model: string;
      optimizer: { className: string; config: Record<string, unknown> };
      batchSize: number;
      stepsPerEpoch: number;
      epochs: number;
      initialEpoch: number;
      resumedAtStep: number;
    }
  | { type: 'epochBegin'; epoch: number; epochs: number; steps: number; firstStep: number }
  | { type: 'step'; epoch: number; step: number; steps: number }
  | { type: 'epochEnd'; epochs: number; entry: EpochEntry; valLoss: number[] }
  | { type: 'advice'; advice: Advice }
  | { type: 'note'; message: string }
  | { type: 'checkpoint'; which: 'last' | 'best'; epoch: number; path: string }
  | { type: 'test'; loss: number; accuracy: number };

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
  /** Write the SVG/PNG charts (default true). */
  readonly charts?: boolean;
}

let activeBackend: { request: string; report: BackendReport } | null = null;

/** Loads the backend once per process; a later run asking for the same one reuses it. */
async function backendFor(request: TrainConfig['backend']): Promise<BackendReport> {
  if (activeBackend?.request === request) return activeBackend.report;
  const report = await useBackend(request);
  activeBackend = { request, report };
  return report;
}

/** `batches` with the first `skip` batches of epoch `from` left out (resuming inside an epoch). */
function resumedSource(source: BatchIterator, from: number, skip: number): BatchIterator {
  if (skip === 0) return source;
  return {
    ...source,
    batches(epoch: number) {
      const all = source.batches(epoch);
      if (epoch !== from) return all;
      function* rest(): Generator<Batch> {
        let i = 0;
        for (const batch of all) {
          if (i++ < skip) tf.dispose([batch.x, batch.y]);
          else yield batch;
        }
      }
      return {
        [Symbol.iterator]: rest,
        async *[Symbol.asyncIterator]() {
          yield* rest();
        },
      };
    },
  };
}

function kerasHistory(epochs: readonly EpochEntry[]): Record<string, number[]> {
  const keys = ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'learning_rate'] as const;
  return Object.fromEntries(keys.map((k) => [k, epochs.map((e) => e[k])]));
}

function bestOf(epochs: readonly EpochEntry[]): RunResult['best'] {
  let best: RunResult['best'] = null;
  for (const e of epochs) {
    if (Number.isFinite(e.val_accuracy) && (best === null || e.val_accuracy > best.val_accuracy)) {
      best = { epoch: e.epoch, val_accuracy: e.val_accuracy, val_loss: e.val_loss };
    }
  }
  return best;
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

export async function trainRun(options: TrainRunOptions): Promise<RunResult> {
  const wallStart = performance.now();
  const { config, signal } = options;
  const emit = options.onEvent ?? (() => {});
  tf.enableProdMode();
  const report = await backendFor(config.backend);
  emit({ type: 'backend', report });

  const loaded = await loadData(config, (p) => {
    if (p.phase === 'download' || p.loadedBytes > 0)
      emit({ type: 'download', file: p.file, phase: p.phase, loadedBytes: p.loadedBytes });
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
  const schedule: LearningRateSchedule | null = buildSchedule(config, stepsPerEpoch, totalSteps);
  const optimizer = buildOptimizer(config, schedule);
  const optimizerConfig = optimizer.getConfig();

  const dir = new RunDir(options.runDir);
  const environment: Environment = {
    backend: { requested: config.backend, name: report.backend, skipped: report.skipped.map((s) => ({ ...s })) },
    versions: versions(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: (await import('node:os')).availableParallelism(),
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
  let record: RunRecord;
  if (options.resume === true) {
    const saved = dir.record();
    if (saved === null)
      throw new UsageError(`--resume ${dir.path}: not a run directory (no config.json there).`, '--resume', dir.path);
    if (!sameValue(saved.config, config))
      throw new UsageError(
        `--resume ${dir.path}: the run was made with another config; resume it with its own.`,
        '--resume',
        dir.path,
      );
    record = { ...saved, environment };
  } else {
    await claimDirectory(dir);
    record = {
      format: RUN_FORMAT,
      createdAt: new Date().toISOString(),
      note: options.note ?? null,
      command: [...(options.command ?? [])],
      config,
      environment,
    };
  }
  await dir.writeJson('config.json', record);
  const warnings = [...(options.warnings ?? [])];

  const model: Sequential = buildModel(config);
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const validation = toTensors(splits.validation, splits.prepare);
  let history: HistoryFile;
  let initialEpoch = 0;
  let skip = 0;
  if (options.resume === true && (await hasCheckpoint(dir.lastCheckpoint))) {
    const info = await model.loadWeights(dir.lastCheckpoint);
    initialEpoch = info.epoch;
    skip = optimizer.iterations - initialEpoch * stepsPerEpoch;
    if (!(skip >= 0 && skip < stepsPerEpoch)) {
      throw new RunError(
        `${dir.lastCheckpoint}: the checkpoint is at step ${optimizer.iterations} of epoch ${initialEpoch}, which does not fit ${stepsPerEpoch} steps per epoch; the run directory was changed by hand.`,
        dir.lastCheckpoint,
      );
    }
    const saved = dir.readJson<HistoryFile>('history.json');
    if (saved === null)
      throw new RunError(
        `${dir.file('history.json')}: missing, so the run cannot be resumed.`,
        dir.file('history.json'),
      );
    // history.json is written before the checkpoint at each epoch's end: it may be one epoch ahead.
    history = { ...saved, epochs: saved.epochs.slice(0, initialEpoch) };
  } else {
    const initial = await model.evaluate(validation.x, validation.y, { batchSize: 1024 });
    const before: Advice[] = [];
    const input = inputAdvice(config.normalize, inputMoments(config.normalize, splits.statistics));
    if (input !== null) before.push(input);
    const batch = batchAdvice(splits.batchSize, splits.train.count);
    if (batch !== null) before.push(batch);
    history = {
      initial: { val_loss: initial.loss ?? Number.NaN, val_accuracy: initial.accuracy ?? Number.NaN },
      epochs: [],
      advice: before,
    };
    for (const advice of before) emit({ type: 'advice', advice });
    await dir.writeJson('history.json', history);
    await trackWrite(() => model.save(dir.lastCheckpoint)); // epoch 0: a run stopped in its first epoch keeps the initial weights
  }
  await dir.setStatus('running', initialEpoch);
  emit({
    type: 'start',
    runDir: dir.path,
    model: describeModel(config),
    optimizer: optimizer.getConfig(),
    batchSize: splits.batchSize,
    stepsPerEpoch,
    epochs: config.epochs,
    initialEpoch,
    resumedAtStep: skip,
  });

  const given = new Set<AdviceId>(history.advice.map((a) => a.id));
  let best = bestOf(history.epochs);
  let diverged: Advice | null = null;
  let stopAfterEpoch = false;
  let epochStart = 0;
  let epochLearningRate = optimizer.learningRate;
  let offset = 0;
  let current = 0;
  const interrupted = async (epoch: number, what: string) => {
    await dir.setStatus('interrupted', epoch, what);
    return new RunInterrupted(what);
  };
  const writeHistory = () => dir.writeJson('history.json', history);

  const progress: Callback = {
    onEpochBegin: (epoch) => {
      current = epoch;
      epochStart = performance.now();
      // The rate of the epoch's first step; logs.learning_rate at the epoch's end is the next step's (Keras).
      epochLearningRate = optimizer.learningRate;
      offset = epoch === initialEpoch ? skip : 0;
      emit({ type: 'epochBegin', epoch: epoch + 1, epochs: config.epochs, steps: stepsPerEpoch, firstStep: offset });
    },
    // Reads nothing back from the device: a step's loss stays there until the epoch ends.
    onBatchEnd: async (batch) => {
      const step = offset + batch + 1;
      emit({ type: 'step', epoch: current + 1, step, steps: stepsPerEpoch });
      // fit's loop only awaits settled promises: without a turn of the event loop a signal would wait for the epoch's end.
      if (signal !== undefined) await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted !== true || stopAfterEpoch) return;
      if (step === stepsPerEpoch) {
        stopAfterEpoch = true; // the epoch's last step: finish it (validation, checkpoint) and stop there
        return;
      }
      await trackWrite(() => model.save(dir.lastCheckpoint));
      emit({ type: 'checkpoint', which: 'last', epoch: current, path: dir.lastCheckpoint });
      throw await interrupted(current, `stopped after step ${step} of epoch ${current + 1}`);
    },
    onEpochEnd: async (epoch, logs: Logs = {}) => {
      const entry: EpochEntry = {
        epoch: epoch + 1,
        loss: logs.loss ?? Number.NaN,
        accuracy: logs.accuracy ?? Number.NaN,
        val_loss: logs.val_loss ?? Number.NaN,
        val_accuracy: logs.val_accuracy ?? Number.NaN,
        learning_rate: epochLearningRate,
        seconds: (performance.now() - epochStart) / 1000,
        steps: stepsPerEpoch - offset,
        ...(offset > 0 ? { resumedAtStep: offset } : {}),
      };
      history.epochs.push(entry);
      emit({ type: 'epochEnd', epochs: config.epochs, entry, valLoss: history.epochs.map((e) => e.val_loss) });
      for (const advice of epochAdvice(
        history.epochs,
        history.initial.val_loss,
        epochLearningRate,
        config.patience,
        given,
      )) {
        given.add(advice.id);
        history.advice.push(advice);
        emit({ type: 'advice', advice });
        if (advice.id === 'diverged') {
          diverged = advice;
          model.stopTraining = true;
        }
      }
      await writeHistory();
    },
  };
  const note = (message: string) => emit({ type: 'note', message });
  const callbacks: Callback[] = [progress];
  if (config.schedule === 'reduce-on-plateau') {
    callbacks.push(
      new ReduceLROnPlateau({
        monitor: 'val_loss',
        factor: config.factor as number,
        patience: config.plateauPatience as number,
        minDelta: config.minDelta as number,
        cooldown: config.cooldown as number,
        minLr: config.minLr as number,
        verbose: 1,
        log: note,
      }),
    );
  }
  if (config.patience !== null)
    callbacks.push(new EarlyStopping({ monitor: 'val_loss', patience: config.patience, verbose: 1, log: note }));
  // Last, so that the callbacks before it have finished the epoch it saves.
  callbacks.push({
    onEpochEnd: async (epoch, logs: Logs = {}) => {
      if (diverged === null) {
        await trackWrite(() => model.save(dir.lastCheckpoint));
        emit({ type: 'checkpoint', which: 'last', epoch: epoch + 1, path: dir.lastCheckpoint });
        const accuracy = logs.val_accuracy ?? Number.NaN;
        if (Number.isFinite(accuracy) && (best === null || accuracy > best.val_accuracy)) {
          best = { epoch: epoch + 1, val_accuracy: accuracy, val_loss: logs.val_loss ?? Number.NaN };
          await trackWrite(() => model.save(dir.bestCheckpoint));
          emit({ type: 'checkpoint', which: 'best', epoch: epoch + 1, path: dir.bestCheckpoint });
        }
      }
      if (stopAfterEpoch || signal?.aborted === true) {
        throw await interrupted(epoch + 1, `stopped after epoch ${epoch + 1}`);
      }
    },
  });

  let status: RunOutcome = 'complete';
  let message: string | null = null;
  try {
    if (signal?.aborted === true) throw await interrupted(initialEpoch, 'stopped before training started');
    await model.fit(resumedSource(source, initialEpoch, skip), {
      epochs: config.epochs,
      initialEpoch,
      validationData: [validation.x, validation.y],
      batchSize: 1024, // only the validation pass uses it: the source makes the training batches
      callbacks,
    });
  } catch (error) {
    if (error instanceof RunInterrupted) {
      status = 'interrupted';
      message = error.message;
    } else if (error instanceof NonFiniteGradientError) {
      const epoch = current + 1;
      diverged = divergedAdvice(
        epoch,
        `a non-finite gradient at step ${error.step} (${error.variableName}), epoch ${epoch}`,
        optimizer.learningRate,
        epoch - 1,
      );
      history.advice.push(diverged);
      emit({ type: 'advice', advice: diverged });
      await writeHistory();
    } else {
      const failure = explain(error, config);
      await dir.setStatus(
        'failed',
        history.epochs.length,
        failure instanceof Error ? failure.message : String(failure),
      );
      throw failure;
    }
  } finally {
    tf.dispose([validation.x, validation.y]);
  }
  const divergedAdviceGiven = diverged as Advice | null;
  if (divergedAdviceGiven !== null) {
    status = 'diverged';
    message = divergedAdviceGiven.message;
  } else if (status === 'complete' && history.epochs.length < config.epochs) {
    message = `early stopping after epoch ${history.epochs.length}: val_loss did not improve for ${config.patience} epochs`;
  }

  let test: RunResult['test'] = null;
  let testSeconds = 0;
  let skippedSteps = 0;
  if (status === 'complete') {
    if (config.onNan === 'skip') skippedSteps = (await optimizer.nonFiniteReport()).skippedSteps;
    if (config.ema) {
      // Keras finishes a run with the moving average of the weights: those are the final weights.
      optimizer.finalizeVariableValues();
      await trackWrite(() => model.save(dir.lastCheckpoint));
    }
    const t = performance.now();
    const data = toTensors(splits.test, splits.prepare);
    try {
      const logs = await model.evaluate(data.x, data.y, { batchSize: 1024 });
      test = { loss: logs.loss ?? Number.NaN, accuracy: logs.accuracy ?? Number.NaN };
    } finally {
      tf.dispose([data.x, data.y]);
    }
    testSeconds = (performance.now() - t) / 1000;
    emit({ type: 'test', ...test });
  }
  model.dispose();
  optimizer.dispose();

  const epochs = history.epochs;
  const trainSeconds = epochs.reduce((s, e) => s + e.seconds, 0);
  const result: RunResult = {
    format: 'opt.run-result.v1',
    runDir: dir.path,
    status,
    message,
    config,
    note: record.note,
    backend: report.backend,
    environment,
    optimizer: optimizerConfig,
    trainCount: splits.train.count,
    validationCount: splits.validation.count,
    stepsPerEpoch,
    batchSize: splits.batchSize,
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
    best,
    test,
    advice: history.advice,
    warnings,
    skippedSteps,
  };
  if (status === 'interrupted') return result;
  if (options.charts !== false) await writeRunCharts(dir, history, schedule, stepsPerEpoch, totalSteps);
  await dir.writeJson('result.json', result);
  await writeCsv(dir, epochs);
  await dir.setStatus(status, epochs.length, message);
  return result;
}

async function writeCsv(dir: RunDir, epochs: readonly EpochEntry[]): Promise<void> {
  const header = 'epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds,steps';
  const rows = epochs.map((e) =>
    [e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy, e.learning_rate, e.seconds.toFixed(3), e.steps].join(','),
  );
  await writeAtomic(dir.file('history.csv'), `${[header, ...rows].join('\n')}\n`);
}

/** Loss and accuracy per epoch (train and validation; epoch 0 is the initial weights), the rate per step. */
export async function writeRunCharts(
  dir: RunDir,
  history: HistoryFile,
  schedule: LearningRateSchedule | null,
  stepsPerEpoch: number,
  totalSteps: number,
): Promise<void> {
  const epochs = history.epochs;
  const series = (metric: 'loss' | 'accuracy') => [
    { epoch: 0, split: 'validation', value: finite(history.initial[`val_${metric}`]) },
    ...epochs.flatMap((e) => [
      { epoch: e.epoch, split: 'training', value: finite(e[metric]) },
      { epoch: e.epoch, split: 'validation', value: finite(e[`val_${metric}`]) },
    ]),
  ];
  await writeChart(dir.chartsDir, 'loss', {
    title: 'loss (sparse categorical cross-entropy)',
    values: series('loss'),
    x: { field: 'epoch', title: 'epoch', integer: true },
    y: { field: 'value', title: 'loss' },
    series: { field: 'split', title: 'split' },
    points: true,
  });
  await writeChart(dir.chartsDir, 'accuracy', {
    title: 'accuracy',
    values: series('accuracy'),
    x: { field: 'epoch', title: 'epoch', integer: true },
    y: { field: 'value', title: 'accuracy' },
    series: { field: 'split', title: 'split' },
    points: true,
  });
  const steps = Math.max(1, Math.min(totalSteps, epochs.length * stepsPerEpoch));
  const rates =
    schedule !== null
      ? sampleSchedule(schedule, { steps, points: 400 }).map((p) => ({ step: p.step, learning_rate: p.learningRate }))
      : epochs.flatMap((e) => [
          { step: (e.epoch - 1) * stepsPerEpoch, learning_rate: e.learning_rate },
          { step: e.epoch * stepsPerEpoch - 1, learning_rate: e.learning_rate },
        ]);
  await writeChart(dir.chartsDir, 'learning-rate', {
    title: 'learning rate per step',
    values: rates,
    x: { field: 'step', title: 'optimizer step' },
    y: { field: 'learning_rate', title: 'learning rate' },
  });
}
