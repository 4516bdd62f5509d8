/**
 * What a run does around each step and epoch of `fit`, as Keras callbacks: progress events, the history,
 * advice, and the `best` and `last` checkpoints (the library's ModelCheckpoint); and, when fit stopped on the run's
 * signal, the checkpoint there.
 *
 * The order matters. `progress` first: it records the epoch and writes history.json before anything saves a
 * checkpoint (so history.json is never behind the checkpoint; on resume it is cut to the checkpoint's epoch).
 * Then Keras's ReduceLROnPlateau and EarlyStopping. The checkpoints last, so that the callbacks before them have
 * finished the epoch they save; `best` before `last`, so that the last checkpoint holds the best value so far.
 */
import {
  EarlyStopping,
  type FitCallback,
  type FitStop,
  ModelCheckpoint,
  type SaveHook,
  type Sequential,
} from '@opt/layers';
import { type LearningRateSchedule, type Logs, ReduceLROnPlateau } from '@opt/schedules';
import type { TrainConfig } from '../config/knobs.js';
import { type Advice, type AdviceId, epochAdvice } from './diagnostics.js';
import { firstEpochLoss, stepLosses } from './first-epoch-loss.js';
import type { TrainingOptimizer } from './model.js';
import { type RunDir, trackWrite } from './run-dir.js';
import type { EpochEntry, HistoryFile, RunEvent, RunResult } from './run-types.js';

export interface RunState {
  readonly model: Sequential;
  readonly optimizer: TrainingOptimizer;
  readonly config: TrainConfig;
  readonly dir: RunDir;
  readonly history: HistoryFile;
  readonly stepsPerEpoch: number;
  /** The optimizer's learning-rate schedule (a function of the step), or null for a rate set between epochs. */
  readonly schedule: LearningRateSchedule | null;
  readonly emit: (event: RunEvent) => void;
}

/** The best validation accuracy so far. */
export function bestOf(epochs: readonly EpochEntry[]): RunResult['best'] {
  let best: RunResult['best'] = null;
  for (const e of epochs) {
    if (Number.isFinite(e.val_accuracy) && (best === null || e.val_accuracy > best.val_accuracy)) {
      best = { epoch: e.epoch, val_accuracy: e.val_accuracy, val_loss: e.val_loss };
    }
  }
  return best;
}

export class RunCallbacks {
  /** The 0-based epoch in progress. */
  epoch = 0;
  best: RunResult['best'];
  /** Set when the run diverged: no more checkpoints, and the run ends as diverged. */
  diverged: Advice | null = null;
  private readonly given: Set<AdviceId>;
  private epochStart = 0;
  private epochLearningRate = 0;
  /** Steps of the current epoch done before this process started it (a resumed epoch). */
  private offset = 0;

  constructor(private readonly run: RunState) {
    this.given = new Set(run.history.advice.map((a) => a.id));
    this.best = bestOf(run.history.epochs);
  }

  /** The callbacks for `fit`, in order. */
  list(): FitCallback[] {
    const { config, emit } = this.run;
    const note = (message: string) => emit({ type: 'note', message });
    const callbacks: FitCallback[] = [
      {
        onEpochBegin: (epoch, logs) => this.epochBegin(epoch, logs?.initialStep ?? 0),
        onBatchEnd: (batch) => this.batchEnd(batch),
        onEpochEnd: (epoch, logs) => this.epochEnd(epoch, logs),
      },
      // The first epoch's loss curve, in the history that the callback above writes at the epoch's end.
      firstEpochLoss({ target: this.run.history, stepsPerEpoch: this.run.stepsPerEpoch }),
      ...(config.stepLosses === true
        ? [stepLosses({ target: this.run.history, stepsPerEpoch: this.run.stepsPerEpoch })]
        : []),
    ];
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
    if (config.patience !== null) {
      callbacks.push(new EarlyStopping({ monitor: 'val_loss', patience: config.patience, verbose: 1, log: note }));
    }
    callbacks.push(...this.checkpoints());
    return callbacks;
  }

  /** Records advice; a divergence stops training at the end of this epoch. */
  advise(advice: Advice): void {
    this.given.add(advice.id);
    this.run.history.advice.push(advice);
    this.run.emit({ type: 'advice', advice });
    if (advice.id === 'diverged') {
      this.diverged = advice;
      this.run.model.stopTraining = true;
    }
  }

  writeHistory(): Promise<void> {
    return this.run.dir.writeJson('history.json', this.run.history);
  }

  /**
   * fit stopped on the run's signal after `stop.step` steps of epoch `stop.epoch`: the checkpoint there (fit
   * recorded the step and the epoch's sums so far, and kept the callbacks' states), and the status.
   * Not a ModelCheckpoint: it saves at epoch ends only, and this save is inside an epoch.
   */
  async stopped(stop: FitStop): Promise<string> {
    const { model, dir } = this.run;
    if (this.diverged === null) {
      await trackWrite(() => model.save(dir.lastCheckpoint));
      this.run.emit({ type: 'checkpoint', which: 'last', epoch: stop.epoch, path: dir.lastCheckpoint });
    }
    const what =
      stop.step > 0
        ? `stopped after step ${stop.step} of epoch ${stop.epoch + 1}`
        : `stopped after epoch ${stop.epoch}`;
    await dir.setStatus('interrupted', stop.epoch, what);
    return what;
  }

  /** `firstStep`: steps of this epoch done before a resume (fit's `initialStep`). */
  private epochBegin(epoch: number, firstStep: number): void {
    this.epoch = epoch;
    this.epochStart = performance.now();
    const { config, stepsPerEpoch, schedule } = this.run;
    // The rate of the epoch's first step (also when it was taken before a resume); logs.learning_rate at the
    // epoch's end is the next step's (Keras). A rate set between epochs holds for the whole epoch.
    this.epochLearningRate =
      firstStep > 0 && schedule !== null ? schedule(epoch * stepsPerEpoch) : this.run.optimizer.learningRate;
    this.offset = firstStep;
    this.run.emit({
      type: 'epochBegin',
      epoch: epoch + 1,
      epochs: config.epochs,
      steps: stepsPerEpoch,
      firstStep,
    });
  }

  /** Reads nothing back from the device: a step's loss stays there until the epoch ends. */
  private batchEnd(batch: number): void {
    this.run.emit({ type: 'step', epoch: this.epoch + 1, step: batch + 1, steps: this.run.stepsPerEpoch });
  }

  /** history.json, not the library's History: its entries also hold the epoch's first rate, seconds and steps. */
  private async epochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const { history, config, stepsPerEpoch } = this.run;
    const entry: EpochEntry = {
      epoch: epoch + 1,
      loss: logs.loss ?? Number.NaN,
      accuracy: logs.accuracy ?? Number.NaN,
      val_loss: logs.val_loss ?? Number.NaN,
      val_accuracy: logs.val_accuracy ?? Number.NaN,
      learning_rate: this.epochLearningRate,
      seconds: (performance.now() - this.epochStart) / 1000,
      steps: stepsPerEpoch - this.offset,
      ...(this.offset > 0 ? { resumedAtStep: this.offset } : {}),
    };
    history.epochs.push(entry);
    this.run.emit({
      type: 'epochEnd',
      epochs: config.epochs,
      entry,
      valLoss: history.epochs.map((e) => e.val_loss),
      learningRate: logs.learning_rate ?? this.run.optimizer.learningRate,
    });
    const initialLoss = history.initial.val_loss;
    for (const advice of epochAdvice(
      history.epochs,
      initialLoss,
      this.epochLearningRate,
      config.patience,
      this.given,
    )) {
      this.advise(advice);
    }
    await this.writeHistory();
  }

  /**
   * The best checkpoint (by val_accuracy; a NaN never improves) and the last one. Their best values so far come
   * from the last checkpoint's callback states, or, in one written before they were ModelCheckpoints, from history.
   * After a divergence nothing is saved: the last checkpoint keeps weights worth resuming.
   */
  private checkpoints(): ModelCheckpoint[] {
    const { dir } = this.run;
    const note = (message: string) => this.run.emit({ type: 'note', message });
    const saving =
      (which: 'best' | 'last', path: string): SaveHook =>
      async (write, epoch, logs) => {
        if (this.diverged !== null) return;
        await trackWrite(write);
        if (which === 'best') {
          this.best = {
            epoch: epoch + 1,
            val_accuracy: logs.val_accuracy as number,
            val_loss: logs.val_loss ?? Number.NaN,
          };
        }
        this.run.emit({ type: 'checkpoint', which, epoch: epoch + 1, path });
      };
    return [
      new ModelCheckpoint(dir.bestCheckpoint, {
        monitor: 'val_accuracy',
        saveBestOnly: true,
        ...(this.best !== null ? { initialValueThreshold: this.best.val_accuracy } : {}),
        stateKey: 'bestCheckpoint',
        log: note,
        onSave: saving('best', dir.bestCheckpoint),
      }),
      new ModelCheckpoint(dir.lastCheckpoint, {
        stateKey: 'lastCheckpoint',
        onSave: saving('last', dir.lastCheckpoint),
      }),
    ];
  }
}
