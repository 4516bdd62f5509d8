/** What the page and the training worker say to each other (plain, cloneable data). */
import type { NormalizeMode } from '@opt/data-fashion-mnist';
import type { BackendReport } from '@opt/tensor';
import type { ScheduleSettings } from '../schedule-choice.js';

export type OptimizerName = 'SGD' | 'RMSprop' | 'Adam';

/** The knobs of one run. */
export interface TrainingSettings {
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  /** SGD and RMSprop. */
  readonly momentum: number;
  /** SGD. */
  readonly nesterov: boolean;
  /** RMSprop. */
  readonly rho: number;
  /** Adam. */
  readonly beta1: number;
  readonly beta2: number;
  /** RMSprop and Adam. */
  readonly epsilon: number;
  readonly schedule: ScheduleSettings;
  readonly batchSize: number;
  readonly epochs: number;
  /** Dense(useBias: false) -> BatchNormalization -> ReLU in each hidden layer. */
  readonly batchNorm: boolean;
  readonly normalize: NormalizeMode;
  /** Training images per class (a balanced subset of what the validation split leaves); null: all of it. */
  readonly perClass: number | null;
  readonly seed: number;
}

export const DEFAULT_SETTINGS: TrainingSettings = {
  optimizer: 'Adam',
  learningRate: 0.001,
  momentum: 0.9,
  nesterov: false,
  rho: 0.9,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
  schedule: { kind: 'constant', decaySteps: 1000, decayRate: 0.5, alpha: 0 },
  batchSize: 64,
  epochs: 10,
  batchNorm: false,
  normalize: 'standardize',
  perClass: 600,
  seed: 42,
};

/** Keras's validationSplit, as `opt train`'s default: the last twelfth of the 60,000 training images validates. */
export const VALIDATION_SPLIT = 1 / 12;
/** 60000 - floor(60000 (1 - 1/12)): the same images for every run, whatever its subset or seed. */
export const VALIDATION_COUNT = 5000;
/** Test images shown in the grid with their predicted labels. */
export const GRID_IMAGES = 24;

/**
 * The version of {@link RunRecord}: v2 added the per-class accuracy; v3 runs train on the recipe's split (the
 * CLI's), so a v2 run saved before it would continue on other images and is not continued.
 */
export const RUN_RECORD_FORMAT = 'opt-demo.run.v3';

/** Everything a run has recorded: what the charts show and what a checkpoint keeps. */
export interface RunRecord {
  readonly format: typeof RUN_RECORD_FORMAT;
  readonly settings: TrainingSettings;
  readonly stepsPerEpoch: number;
  /** Per step: the optimizer step (1-based), the batch loss and the learning rate the step used. */
  readonly steps: { step: number[]; loss: number[]; learningRate: number[] };
  /** Per completed epoch: Keras's logs (loss, accuracy, val_loss, val_accuracy, learning_rate) and the step. */
  readonly epochs: Array<{ epoch: number; step: number; logs: Record<string, number> }>;
  /** Validation confusion matrix after the last epoch, row = true class, column = predicted; 100 counts. */
  confusion: number[] | null;
  /** Validation accuracy of each class after the last epoch (@opt/layers' perClassAccuracy of the confusion matrix). */
  perClassAccuracy: number[] | null;
  /** Predicted class of each grid image after the last epoch. */
  predictions: number[] | null;
}

export type TrainingEvent =
  /** The run's record as it starts: empty, or restored from the saved run. */
  | { readonly kind: 'started'; readonly record: RunRecord }
  | {
      readonly kind: 'step';
      readonly step: number;
      readonly epoch: number;
      readonly loss: number;
      readonly learningRate: number;
      /** Wall time per training step, averaged over the last steps. */
      readonly msPerStep: number;
    }
  | {
      readonly kind: 'epoch';
      readonly epoch: number;
      readonly step: number;
      readonly logs: Record<string, number>;
      readonly confusion: number[];
      readonly perClassAccuracy: number[];
      readonly predictions: number[];
    }
  | { readonly kind: 'saved'; readonly epoch: number; readonly step: number }
  | { readonly kind: 'state'; readonly state: RunState; readonly message?: string };

export type RunState = 'idle' | 'preparing' | 'running' | 'paused' | 'stopping' | 'finished' | 'failed';

export interface WorkerBackend {
  readonly report: BackendReport;
  readonly reason: string | null;
  readonly notice: string | null;
}

export interface DataSummary {
  readonly trainCount: number;
  readonly testCount: number;
  readonly classNames: readonly string[];
  /** The grid's test images (GRID_IMAGES x 784 bytes) and their labels. */
  readonly gridImages: Uint8Array;
  readonly gridLabels: number[];
}

/** A run saved in IndexedDB that a reload can continue. */
export interface SavedRun {
  readonly record: RunRecord;
  /** Epochs completed and optimizer steps at the checkpoint. */
  readonly epoch: number;
  readonly step: number;
}

/** One training step on this backend and on cpu, compared. */
export interface ParityResult {
  readonly backend: string;
  readonly loss: { readonly here: number; readonly cpu: number };
  /** Largest absolute difference over every weight after the step (moving statistics included). */
  readonly maxWeightDifference: number;
  readonly weightCount: number;
}

/** What automation (the end-to-end tests) can read: the run as the page has it. */
export interface TrainingSnapshot {
  readonly state: RunState;
  readonly backend: string | null;
  readonly step: number;
  readonly epochsDone: number;
  readonly msPerStep: number;
  readonly trainLoss: readonly number[];
  readonly epochs: RunRecord['epochs'];
}
