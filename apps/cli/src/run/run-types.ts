/** What a run reports while it trains (events) and what it returns (the result), as plain JSON. */
import type { BackendReport } from '@opt/tensor';
import type { TrainConfig } from '../config/knobs.js';
import type { Advice } from './diagnostics.js';
import type { Environment } from './run-dir.js';

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

/** One point of the first epoch's loss curve: a window of steps ending at `step` (1-based). */
export interface FirstEpochPoint {
  step: number;
  /** Sample-weighted mean batch loss over the window. */
  loss: number;
  /** Samples in the window. */
  samples: number;
  /** Seconds from the epoch's start to the window's end. */
  seconds: number;
}

/** The training loss through the first epoch (run/first-epoch-loss.ts). */
export interface FirstEpochLoss {
  /** Steps per point. */
  window: number;
  points: FirstEpochPoint[];
  /** Set when the first epoch was resumed: the steps done before the stop (their points may be missing). */
  resumedAtStep?: number;
}

export interface HistoryFile {
  /** Validation loss and accuracy of the initial weights. */
  initial: { val_loss: number; val_accuracy: number };
  epochs: EpochEntry[];
  advice: Advice[];
  /** The first epoch's training loss, step by step (absent in runs made before it was recorded). */
  firstEpoch?: FirstEpochLoss;
  /** With --step-losses: every step's batch loss, in call order (null: lost with an interrupted epoch). */
  stepLosses?: Array<number | null>;
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
  /**
   * The optimizer's steps at the end (Keras's `iterations`): fit's steps, divided by --gradient-accumulation-steps
   * and rounded down; less the steps a --loss-scale skipped. Absent in results written before it was recorded.
   */
  iterations?: number;
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
  | {
      type: 'epochEnd';
      epochs: number;
      entry: EpochEntry;
      valLoss: number[];
      /** The rate at the epoch's end (the next step's), as Keras logs `learning_rate`; the entry keeps the first step's. */
      learningRate: number;
    }
  | { type: 'advice'; advice: Advice }
  | { type: 'note'; message: string }
  | { type: 'checkpoint'; which: 'last' | 'best'; epoch: number; path: string }
  | { type: 'test'; loss: number; accuracy: number };
