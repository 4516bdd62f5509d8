/**
 * One training run, start to finish: given a fully resolved config and a run directory, trains the chapter's
 * MLP into it and returns what happened (config, history, test metrics, timings, backend, advice).
 *
 * This is the unit every front end shares: `opt train` calls it in its own process, and each job process of a
 * compare, a sweep or the experiments calls it once. It prints nothing: it reports through `onEvent`, and it
 * stops at the end of the current step when `signal` aborts, writing a checkpoint from which `resume: true`
 * continues to the same weights as an uninterrupted run.
 *
 * A run ends in one of four outcomes (run-outcomes.ts): complete, stopped, diverged or failed, each written by
 * its own function. The directory is checked once (run-target.ts), and what is loaded before the first step is
 * run-setup.ts's.
 *
 * Stopping and resuming are @opt/layers' fit's own: `fit({ signal })` ends after the step in progress and the
 * checkpoint saved then records the step within the epoch and the epoch's loss and accuracy sums so far;
 * `fit({ initialEpoch, initialStep })` continues there. Weights, optimizer state, callback decisions and
 * every epoch's logs, the interrupted one included, are those of an uninterrupted run.
 */
import { performance } from 'node:perf_hooks';
import { batches, toTensors } from '@opt/data-fashion-mnist';
import type { Sequential } from '@opt/layers';
import { LossScaleOptimizer, NonFiniteGradientError } from '@opt/optimizers';
import { tf, type WasmThreads } from '@opt/tensor';
import { RunError, UsageError } from '../cli/errors.js';
import type { TrainConfig } from '../config/knobs.js';
import { sameValue } from '../config/resolve.js';
import { inputMoments } from './data.js';
import { type Advice, batchAdvice, divergedAdvice, inputAdvice } from './diagnostics.js';
import { exportTfjs } from './export-tfjs.js';
import { sameExamples } from './legacy-split.js';
import { buildModel, describeModel } from './model.js';
import { RunCallbacks } from './run-callbacks.js';
import { type Environment, RUN_FORMAT, type RunDir, type RunRecord, trackWrite } from './run-dir.js';
import { writeRunCharts } from './run-files.js';
import { type Ending, type Outcome, stoppedResult, writeComplete, writeDiverged, writeFailed } from './run-outcomes.js';
import { prepare, type Setup } from './run-setup.js';
import { claim, type RunTarget, runTarget } from './run-target.js';
import type { EpochEntry, HistoryFile, RunEvent, RunResult } from './run-types.js';

export type { EpochEntry, HistoryFile, RunEvent, RunOutcome, RunResult } from './run-types.js';

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

/**
 * Keras's `iterations` after `calls` steps of fit: `floor(calls / gradientAccumulationSteps)`, or `calls`. With
 * --loss-scale this is an upper bound: a step the loss scale skips (a non-finite gradient) is not counted.
 */
export function appliedSteps(config: Pick<TrainConfig, 'gradientAccumulationSteps'>, calls: number): number {
  return Math.floor(calls / (config.gradientAccumulationSteps ?? 1));
}

/** A new run claims its directory and writes config.json; a resumed one must have been made with `config`. */
async function openRecord(target: RunTarget, options: TrainRunOptions, environment: Environment): Promise<RunRecord> {
  const { dir } = target;
  if (target.resume && !sameValue(target.record.config, options.config)) {
    throw new UsageError(
      `--resume ${dir.path}: the run was made with another config; resume it with its own.`,
      '--resume',
      dir.path,
    );
  }
  const saved = target.resume ? target.record.environment.dataset : null;
  if (saved !== null && !sameExamples(saved, environment.dataset)) {
    const dataSource = Object.values(saved.files)[0]?.path ?? 'its recorded files';
    throw new UsageError(
      `--resume ${dir.path}: the run trained on ${saved.trainCount} images and validated on ${saved.validationCount} (training pixels' mean ${saved.statistics.mean}, std ${saved.statistics.std}), but neither this opt's split nor the older one (--per-class before the validation split) picks those from this copy of Fashion-MNIST; it would continue on different data. Resume it with the dataset it was made with (${dataSource}), or start it again with --out.`,
      '--resume',
      dir.path,
    );
  }
  claim(target);
  const record: RunRecord = target.resume
    ? { ...target.record, environment }
    : {
        format: RUN_FORMAT,
        createdAt: new Date().toISOString(),
        note: options.note ?? null,
        command: [...(options.command ?? [])],
        config: options.config,
        environment,
      };
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
    const applied = appliedSteps(config, info.epoch * setup.stepsPerEpoch + info.step);
    const iterations = setup.optimizer.iterations;
    if (config.lossScale ? iterations > applied : iterations !== applied) {
      throw new RunError(
        `${dir.lastCheckpoint}: the checkpoint says ${info.epoch} epochs and ${info.step} steps of ${setup.stepsPerEpoch} done, so ${applied} optimizer steps, but its optimizer took ${iterations}: ` +
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

/** The training itself, from the first (or resumed) step to how it ended; a failure throws. */
async function fitRun(
  options: TrainRunOptions,
  setup: Setup,
  dir: RunDir,
  model: Sequential,
  optimizerConfig: RunResult['optimizer'],
  emit: (event: RunEvent) => void,
): Promise<{ outcome: Exclude<Outcome, { kind: 'failed' }>; history: HistoryFile; loop: RunCallbacks }> {
  const { config, signal } = options;
  const { optimizer, stepsPerEpoch } = setup;
  const { history, initialEpoch, initialStep } = await startOrResume(options, dir, model, setup, emit);
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
  const loop = new RunCallbacks({
    model,
    optimizer,
    config,
    dir,
    history,
    stepsPerEpoch,
    schedule: setup.schedule,
    emit,
  });
  if (aborted(signal)) {
    const message = 'stopped before training started';
    await dir.setStatus('interrupted', initialEpoch, message);
    return { outcome: { kind: 'stopped', message }, history, loop };
  }
  let stoppedAt: string | null = null;
  try {
    // Validation in batches of 1024, in a fixed order.
    const validation = batches(setup.splits.validation, { batchSize: 1024, shuffle: false, ...setup.splits.prepare });
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
    if (stopped !== null) stoppedAt = await loop.stopped(stopped);
  } catch (error) {
    if (!(error instanceof NonFiniteGradientError)) throw error;
    // The optimizer's guard kept the non-finite gradient out of the weights and refused the next step.
    const epoch = loop.epoch + 1;
    const what = `a non-finite gradient at step ${error.step} (${error.variableName}), epoch ${epoch}`;
    loop.advise(divergedAdvice(epoch, what, optimizer.learningRate, epoch - 1));
    await loop.writeHistory();
  }
  if (loop.diverged !== null) return { outcome: { kind: 'diverged', message: loop.diverged.message }, history, loop };
  if (stoppedAt !== null) return { outcome: { kind: 'stopped', message: stoppedAt }, history, loop };
  const message =
    history.epochs.length < config.epochs
      ? `early stopping after epoch ${history.epochs.length}: val_loss did not improve for ${config.patience} epochs`
      : null;
  // The preset's guard sees the gradients a loss scale let through (Lookahead is a preset with a guard of its own).
  const guarded = optimizer instanceof LossScaleOptimizer ? optimizer.innerOptimizer : optimizer;
  const skippedSteps = config.onNan === 'skip' ? (await guarded.nonFiniteReport()).skippedSteps : 0;
  const { test, seconds: testSeconds } = await finalTest(model, setup, config, dir);
  emit({ type: 'test', ...test });
  if (options.exportTfjs === true) {
    const path = await exportTfjs(model, setup.splits.prepare, dir.path);
    emit({ type: 'note', message: `tfjs-layers model: ${path} (784 pixel values 0..255 in; tf.loadLayersModel)` });
  }
  return { outcome: { kind: 'complete', message, test, testSeconds, skippedSteps }, history, loop };
}

export async function trainRun(options: TrainRunOptions): Promise<RunResult> {
  const wallStart = performance.now();
  const { config } = options;
  const emit = options.onEvent ?? (() => {});
  const target = runTarget(options.runDir, options.resume === true);
  const setup = await prepare(
    config,
    options.threads ?? 'auto',
    emit,
    target.resume ? target.record.environment.dataset : undefined,
  );
  const { optimizer, stepsPerEpoch } = setup;
  const { dir } = target;
  // The config the run starts with (a schedule or ReduceLROnPlateau changes the rate while it trains).
  const optimizerConfig = optimizer.getConfig();
  const record = await openRecord(target, options, setup.environment);
  const model = buildModel(config);
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  let ran: Awaited<ReturnType<typeof fitRun>>;
  let iterations = 0;
  try {
    ran = await fitRun(options, setup, dir, model, optimizerConfig, emit);
    iterations = optimizer.iterations;
  } catch (error) {
    return writeFailed(dir, { kind: 'failed', error }, config);
  } finally {
    model.dispose();
    optimizer.dispose();
  }
  const { outcome, history, loop } = ran;
  const epochs = history.epochs;
  const trainSeconds = epochs.reduce((s, e) => s + e.seconds, 0);
  const ending: Ending = {
    dir,
    history,
    charts:
      options.charts === false
        ? null
        : () => writeRunCharts(dir, history, setup.schedule, stepsPerEpoch, setup.totalSteps),
    result: (end) => ({
      format: 'opt.run-result.v1',
      runDir: dir.path,
      status: end.status,
      message: end.message,
      config,
      note: record.note,
      backend: setup.report.backend,
      environment: setup.environment,
      optimizer: optimizerConfig,
      trainCount: setup.splits.train.count,
      validationCount: setup.splits.validation.count,
      stepsPerEpoch,
      iterations,
      batchSize: setup.splits.batchSize,
      epochsRun: epochs.length,
      history: kerasHistory(epochs),
      initial: history.initial,
      secondsPerEpoch: epochs.map((e) => e.seconds),
      timings: {
        trainSeconds,
        testSeconds: end.testSeconds,
        wallSeconds: (performance.now() - wallStart) / 1000,
        stepsPerSecond: trainSeconds > 0 ? epochs.reduce((s, e) => s + e.steps, 0) / trainSeconds : 0,
      },
      best: loop.best,
      test: end.test,
      advice: history.advice,
      warnings: [...(options.warnings ?? [])],
      skippedSteps: end.skippedSteps,
    }),
  };
  switch (outcome.kind) {
    case 'complete':
      return writeComplete(ending, outcome);
    case 'diverged':
      return writeDiverged(ending, outcome);
    case 'stopped':
      return stoppedResult(ending, outcome);
  }
}
