/** The options of `fit`, `evaluate` and `predict`: Keras's names in camelCase, each checked with the value shown. */
import { Random, type tf } from '@opt/tensor';
import { type BatchSource, isBatchSource } from './data-adapter.js';
import type { FitCallback } from './fit-loop.js';
import { inRange, knownOptions, nonNegativeInteger, positiveInteger, show } from './validate.js';
import { parseYieldEvery, type YieldEvery } from './yielder.js';

/** `fit(source, options)`: the source batches and shuffles, so batchSize, shuffle and validationSplit are not here. */
export interface SourceFitOptions {
  /** Train until this epoch (0-based count, Keras semantics with initialEpoch). Default 1. */
  readonly epochs?: number;
  /** Epoch to start from (resuming). Default 0. */
  readonly initialEpoch?: number;
  /**
   * Steps of `initialEpoch` already done: the fit continues that epoch at this step (its first batches are drawn
   * and dropped, in the same order as before). Needs the model to stand there, with that epoch's loss and metric
   * sums: after `loadWeights` of a checkpoint written inside the epoch, or a fit stopped there by its `signal`
   * (`history.stopped`, `model.stepsInEpoch`). The epoch's logs then equal an uninterrupted epoch's. Default 0;
   * left out while the model stands inside epoch `initialEpoch`, fit asks for it.
   */
  readonly initialStep?: number;
  /**
   * Ends fit after the step in progress once aborted, leaving the epoch unfinished (no validation, no
   * onEpochEnd): fit resolves with `history.stopped` = `{ epoch, step }`, the model and optimizer as after that
   * step, and `model.save()` writes a checkpoint that continues there. Keras has no such option (see README).
   */
  readonly signal?: AbortSignal;
  /**
   * When fit gives the event loop a turn (for timers, I/O, a signal's handler): 'auto' (every 50 ms), 'batch',
   * 'epoch', 'never', or a number of milliseconds. tfjs-layers' knob. Default 'auto'.
   */
  readonly yieldEvery?: YieldEvery;
  /** Held-out data evaluated after each epoch. */
  readonly validationData?: readonly [tf.Tensor, tf.Tensor] | BatchSource;
  /** Seed of the shuffling of tensors; default the model's seed. Epoch e's order depends only on (seed, e). */
  readonly seed?: number;
  /** Keras-shaped callbacks (@opt/schedules' `Callback` fits); `onBatchEnd` gets {@link BatchLogs}. */
  readonly callbacks?: readonly FitCallback[];
  /** 0 silent, 1 or 2: one line per epoch. Default 0 (a library should not print unasked). */
  readonly verbose?: 0 | 1 | 2;
  /** Where verbose lines go. Default console.log. */
  readonly log?: (line: string) => void;
}

/** `fit(x, y, options)`. */
export interface FitOptions extends SourceFitOptions {
  /** Samples per gradient step: N (all) is batch gradient descent, 1 is stochastic, B is mini-batch. Default 32. */
  readonly batchSize?: number;
  /** Fraction of x/y held out, taken from the END of the data before shuffling (Keras). */
  readonly validationSplit?: number;
  /** Reshuffle the training samples every epoch. Default true. */
  readonly shuffle?: boolean;
}

/** Options of {@link Sequential.evaluate}. */
export interface EvaluateOptions {
  readonly batchSize?: number;
}

const SOURCE_FIT_OPTIONS = [
  'epochs',
  'initialEpoch',
  'initialStep',
  'validationData',
  'seed',
  'callbacks',
  'verbose',
  'log',
  'signal',
  'yieldEvery',
];
const FIT_OPTIONS = ['batchSize', 'validationSplit', 'shuffle', ...SOURCE_FIT_OPTIONS];
/** Names from Keras 1/2 and PyTorch that mean one of ours. */
const FIT_ALIASES = {
  nb_epoch: 'epochs',
  epoch: 'epochs',
  batch: 'batchSize',
  abortSignal: 'signal',
  lr: 'the learning rate belongs to the optimizer: compile({ optimizer: new Adam({ learningRate }) })',
};

export interface ParsedFitOptions {
  readonly batchSize: number;
  readonly epochs: number;
  readonly initialEpoch: number;
  readonly initialStep: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly yieldEvery: YieldEvery;
  readonly shuffle: boolean;
  readonly seed: number | undefined;
  readonly validationSplit: number | undefined;
  readonly validationData: readonly [tf.Tensor, tf.Tensor] | BatchSource | undefined;
  readonly callbacks: readonly FitCallback[];
  readonly verbose: 0 | 1 | 2;
  readonly log: (line: string) => void;
}

/** Checks every option of `fit` (with tensors, or with a source when `source` is true) and fills the defaults. */
export function parseFitOptions(options: FitOptions | undefined, source: boolean): ParsedFitOptions {
  const o = options ?? {};
  if (source) {
    for (const key of ['batchSize', 'validationSplit', 'shuffle'] as const) {
      if (o[key] !== undefined) {
        throw new TypeError(
          `fit(source, options): \`${key}\` does not apply to a BatchSource, which makes and orders its own batches` +
            (key === 'validationSplit' ? '; pass validationData instead.' : '.'),
        );
      }
    }
  }
  knownOptions('fit', o, source ? SOURCE_FIT_OPTIONS : FIT_OPTIONS, FIT_ALIASES);
  const seed = o.seed;
  if (seed !== undefined) new Random(seed); // Random's own message names the problem
  const validationSplit = o.validationSplit;
  if (validationSplit !== undefined) inRange('fit', 'validationSplit', validationSplit, 0, 1, true);
  const vd = o.validationData;
  if (vd !== undefined && !isBatchSource(vd) && !(Array.isArray(vd) && vd.length === 2)) {
    throw new TypeError(`fit: \`validationData\` must be [xVal, yVal] tensors or a BatchSource, got ${show(vd)}.`);
  }
  const callbacks = o.callbacks ?? [];
  if (!Array.isArray(callbacks) || !callbacks.every((c) => typeof c === 'object' && c !== null)) {
    throw new TypeError(`fit: \`callbacks\` must be an array of callback objects, got ${show(callbacks)}.`);
  }
  const verbose = o.verbose ?? 0;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) {
    throw new RangeError(`fit: \`verbose\` must be 0, 1 or 2, got ${show(verbose)}.`);
  }
  const log = o.log ?? ((line: string) => console.log(line));
  if (typeof log !== 'function')
    throw new TypeError(`fit: \`log\` must be a function (line: string) => void, got ${show(log)}.`);
  const signal = o.signal;
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean')) {
    throw new TypeError(`fit: \`signal\` must be an AbortSignal (new AbortController().signal), got ${show(signal)}.`);
  }
  const shuffle = o.shuffle ?? true;
  if (typeof shuffle !== 'boolean')
    throw new TypeError(`fit: \`shuffle\` must be true or false, got ${show(shuffle)}.`);
  return {
    batchSize: positiveInteger('fit', 'batchSize', o.batchSize ?? 32),
    epochs: positiveInteger('fit', 'epochs', o.epochs ?? 1),
    initialEpoch: nonNegativeInteger('fit', 'initialEpoch', o.initialEpoch ?? 0),
    initialStep: o.initialStep === undefined ? undefined : nonNegativeInteger('fit', 'initialStep', o.initialStep),
    signal,
    yieldEvery: parseYieldEvery(o.yieldEvery ?? 'auto'),
    shuffle,
    seed,
    validationSplit,
    validationData: vd,
    callbacks,
    verbose,
    log,
  };
}

/** The batch size of `evaluate` / `predict`. */
export function parseBatchSize(where: string, options: EvaluateOptions | undefined): number {
  knownOptions(where, options ?? {}, ['batchSize'], { batch_size: 'batchSize' });
  return positiveInteger(where, 'batchSize', options?.batchSize ?? 32);
}
