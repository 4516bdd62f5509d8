import {
  balancedSubset,
  batches,
  computeStatistics,
  FashionMnistNotFoundError,
  type FashionMnistSplit,
  loadFashionMnist,
  type NormalizeMode,
  type Statistics,
  toTensors,
  trainValidationSplit,
} from '@opt/data-fashion-mnist';
import { BatchNormalization, Dense, type Layer, ReLU, Sequential } from '@opt/layers';
import { Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop, SGD } from '@opt/optimizers';
import { type Callback, inverseTimeDecay } from '@opt/schedules';
import { BACKEND_NAMES, type BackendRequest, BackendUnavailableError, tf, useBackend } from '@opt/tensor';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';

const OPTIMIZERS = {
  sgd: SGD,
  rmsprop: RMSprop,
  adam: Adam,
  adamw: AdamW,
  adagrad: Adagrad,
  adamax: Adamax,
  nadam: Nadam,
};
type OptimizerName = keyof typeof OPTIMIZERS;

/** The knobs of one run, as parsed; also what `--json` prints back as `config`. */
export interface TrainOptions {
  backend: BackendRequest;
  optimizer: OptimizerName;
  learningRate?: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  clipnorm?: number;
  decayRate?: number;
  batchSize: number;
  epochs: number;
  hidden: number[];
  batchNorm: boolean;
  normalize: NormalizeMode;
  perClass?: number;
  validationSplit: number;
  seed: number;
  dataDir?: string;
  download: boolean;
  json?: boolean;
}

/** A run that cannot start for a reason the user can fix: printed without a stack, exit code 2. */
class UsageError extends Error {}

function number(name: string, check: (v: number) => boolean, range: string) {
  return (text: string): number => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || !check(value)) {
      throw new InvalidArgumentError(`${name} must be ${range}, got "${text}".`);
    }
    return value;
  };
}
const positiveInteger = (name: string) => number(name, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
const positive = (name: string) => number(name, (v) => v > 0, 'a positive number');
const nonNegative = (name: string) => number(name, (v) => v >= 0, 'a number >= 0');

function hiddenUnits(text: string): number[] {
  const units = text.split(',').map((part) => Number(part.trim()));
  if (units.length === 0 || units.some((u) => !Number.isInteger(u) || u < 1)) {
    throw new InvalidArgumentError(
      `--hidden must be comma-separated positive integers such as 256,128, got "${text}".`,
    );
  }
  return units;
}

/** `opt train`: the chapter's Fashion-MNIST MLP trained with one optimizer, epoch by epoch. */
export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description(
      "Train the chapter's Fashion-MNIST MLP (784-256-128-10) and report train, validation and test loss and accuracy.",
    )
    .addOption(new Option('-b, --backend <name>', 'backend').choices([...BACKEND_NAMES, 'auto']).default('auto'))
    .addOption(new Option('-o, --optimizer <name>', 'optimizer').choices(Object.keys(OPTIMIZERS)).default('adam'))
    .option(
      '--learning-rate <lr>',
      "learning rate (default: the optimizer's Keras default)",
      positive('--learning-rate'),
    )
    .option('--momentum <m>', 'momentum of sgd and rmsprop, in [0, 1]', nonNegative('--momentum'))
    .option('--nesterov', 'Nesterov momentum (sgd)')
    .option('--weight-decay <wd>', 'decoupled weight decay', nonNegative('--weight-decay'))
    .option('--clipnorm <n>', 'clip each gradient to this L2 norm', positive('--clipnorm'))
    .option(
      '--decay-rate <r>',
      'learning-rate decay lr0 / (1 + r * epoch), applied per epoch (staircase inverse-time decay)',
      positive('--decay-rate'),
    )
    .option(
      '--batch-size <n>',
      'examples per step: 1 is stochastic, all is batch gradient descent',
      positiveInteger('--batch-size'),
      128,
    )
    .option('--epochs <n>', 'passes over the training set', positiveInteger('--epochs'), 5)
    .addOption(
      new Option('--hidden <units>', 'hidden layer widths').argParser(hiddenUnits).default([256, 128], '256,128'),
    )
    .option('--batch-norm', 'Dense(useBias: false) -> BatchNormalization -> ReLU in each hidden layer', false)
    .addOption(
      new Option('--normalize <mode>', 'input normalization (standardize uses training-split statistics)')
        .choices(['standardize', 'rescale', 'none'])
        .default('standardize'),
    )
    .option(
      '--per-class <n>',
      'train on a balanced subset of n images per class (quick runs)',
      positiveInteger('--per-class'),
    )
    .addOption(
      new Option('--validation-split <f>', 'fraction of the training images held out for validation (stratified)')
        .argParser(number('--validation-split', (v) => v > 0 && v < 1, 'in (0, 1)'))
        .default(1 / 12, '1/12, 5,000 images'),
    )
    .option(
      '--seed <n>',
      'seed of the weights, the split and the shuffles',
      number('--seed', (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0'),
      42,
    )
    .option('--data-dir <dir>', 'directory with the four Fashion-MNIST files (default: look in the usual places)')
    .option('--no-download', 'never download the dataset')
    .option('--json', 'print one JSON object with the config, history and test result instead of text')
    .action(async (options: TrainOptions) => {
      try {
        await train(options);
      } catch (error) {
        if (
          error instanceof UsageError ||
          error instanceof BackendUnavailableError ||
          error instanceof FashionMnistNotFoundError
        ) {
          console.error(`opt train: ${error.message}`);
          process.exitCode = 2;
          return;
        }
        throw error;
      }
    });
}

/**
 * Checks the optimizer knobs before any data is read (the preset's own range checks included) and returns
 * what builds the optimizer once the steps per epoch, which the decay needs, are known.
 */
function optimizerFactory(
  options: TrainOptions,
): (stepsPerEpoch: number) => InstanceType<(typeof OPTIMIZERS)[OptimizerName]> {
  const Preset = OPTIMIZERS[options.optimizer];
  const knobs: Record<string, unknown> = {};
  if (options.learningRate !== undefined) knobs.learningRate = options.learningRate;
  if (options.momentum !== undefined) {
    if (options.optimizer !== 'sgd' && options.optimizer !== 'rmsprop') {
      throw new UsageError(`--momentum applies to sgd and rmsprop, not ${options.optimizer}.`);
    }
    knobs.momentum = options.momentum;
  }
  if (options.nesterov) {
    if (options.optimizer !== 'sgd') throw new UsageError(`--nesterov applies to sgd, not ${options.optimizer}.`);
    knobs.nesterov = true;
  }
  if (options.weightDecay !== undefined) knobs.weightDecay = options.weightDecay;
  if (options.clipnorm !== undefined) knobs.clipnorm = options.clipnorm;
  const construct = (config: Record<string, unknown>) => {
    try {
      return new Preset(config);
    } catch (error) {
      // The presets validate their arguments with messages that name the argument and its range.
      if (error instanceof RangeError || error instanceof TypeError) throw new UsageError(error.message);
      throw error;
    }
  };
  const plain = construct(knobs);
  const { decayRate } = options;
  if (decayRate === undefined) return () => plain;
  return (stepsPerEpoch) =>
    construct({
      ...knobs,
      learningRate: inverseTimeDecay({
        initialLearningRate: plain.learningRate,
        decaySteps: stepsPerEpoch,
        decayRate,
        staircase: true,
      }),
    });
}

function buildModel(options: TrainOptions): Sequential {
  const layers: Layer[] = [];
  for (const units of options.hidden) {
    if (options.batchNorm) layers.push(new Dense({ units, useBias: false }), new BatchNormalization(), new ReLU());
    else layers.push(new Dense({ units, activation: 'relu' }));
  }
  layers.push(new Dense({ units: 10, activation: 'softmax' }));
  return new Sequential(layers, { inputShape: [784], seed: options.seed });
}

/** The optimizer's knobs in Keras's words, leaving out unset options and the EMA when it is off. */
function describeConfig(config: Record<string, unknown>): string {
  const quiet = new Set([
    'nonFiniteGradients',
    ...(config.useEma === true ? [] : ['useEma', 'emaMomentum', 'emaOverwriteFrequency']),
  ]);
  return Object.entries(config)
    .filter(([key, value]) => value !== null && value !== undefined && !quiet.has(key))
    .map(([key, value]) => `${key}: ${describeValue(value)}`)
    .join(', ');
}

/** A schedule's `{ className, config }` as `InverseTimeDecay(decaySteps: 430, ...)`. */
function describeValue(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  const { className, config } = value as { className?: unknown; config?: Record<string, unknown> };
  if (typeof className !== 'string' || config === undefined) return JSON.stringify(value);
  const args = Object.entries(config).filter(([key, v]) => key !== 'name' && v !== null && v !== undefined);
  return `${className}(${args.map(([key, v]) => `${key}: ${describeValue(v)}`).join(', ')})`;
}

const fixed = (v: number | undefined, digits = 4) => (v === undefined ? '-' : v.toFixed(digits));

async function train(options: TrainOptions): Promise<void> {
  const say = options.json ? () => {} : (line: string) => console.log(line);
  tf.enableProdMode();
  const report = await useBackend(options.backend);
  const makeOptimizer = optimizerFactory(options);
  say(
    `backend: ${report.backend}${report.threads ? ` on ${report.threads.count} thread${report.threads.count === 1 ? '' : 's'}` : ''}${report.skipped.length > 0 ? ` (skipped ${report.skipped.map((s) => s.backend).join(', ')})` : ''}`,
  );

  const downloading = new Set<string>();
  const data = await loadFashionMnist({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    download: options.download,
    // Only a download is worth a word (on stderr, so --json output stays one object): local copies load in a blink.
    onProgress: (p) => {
      if (p.phase === 'download' && !downloading.has(p.file)) {
        downloading.add(p.file);
        console.error(`downloading ${p.file}...`);
      } else if (p.phase === 'done' && downloading.has(p.file)) {
        console.error(`downloaded ${p.file} (${(p.loadedBytes / 2 ** 20).toFixed(1)} MiB, sha256 verified)`);
      }
    },
  });
  say(`data: ${data.train.count} training and ${data.test.count} test images from ${data.sources.trainImages}`);

  let pool: FashionMnistSplit = data.train;
  if (options.perClass !== undefined) {
    try {
      pool = balancedSubset(data.train, options.perClass, options.seed);
    } catch (error) {
      // balancedSubset knows the smallest class and says it; the user only needs the option's name with it.
      if (error instanceof RangeError) throw new UsageError(`--per-class ${options.perClass}: ${error.message}`);
      throw error;
    }
  }
  const { train: trainSplit, validation } = trainValidationSplit(pool, {
    validationFraction: options.validationSplit,
    seed: options.seed,
    stratified: true,
  });
  if (options.batchSize > trainSplit.count) {
    throw new UsageError(`--batch-size ${options.batchSize} is larger than the ${trainSplit.count} training images.`);
  }
  // Statistics of the training split only: validation and test must stay unseen.
  const statistics: Statistics | undefined =
    options.normalize === 'standardize' ? computeStatistics(trainSplit) : undefined;
  const prepare = { normalize: options.normalize, ...(statistics !== undefined ? { statistics } : {}) };
  const source = batches(trainSplit, { batchSize: options.batchSize, seed: options.seed, ...prepare });
  const validationSource = batches(validation, { batchSize: 1024, shuffle: false, ...prepare });

  const optimizer = makeOptimizer(source.batchesPerEpoch);
  const model = buildModel(options);
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  say(
    `model: ${options.hidden.map((u) => (options.batchNorm ? `Dense(${u}, useBias: false)-BN-ReLU` : `Dense(${u}, relu)`)).join(' -> ')} -> Dense(10, softmax); ` +
      `${options.optimizer}(${describeConfig(optimizer.getConfig().config)})`,
  );
  say(
    `training on ${trainSplit.count} images (${source.batchesPerEpoch} steps of ${options.batchSize} per epoch), validating on ${validation.count}`,
  );

  const bar =
    !options.json && process.stderr.isTTY
      ? new SingleBar({
          format: 'epoch {epoch} [{bar}] {value}/{total} steps | {eta_formatted} left',
          clearOnComplete: true,
          stream: process.stderr,
        })
      : null;
  let epochStart = 0;
  let epochLearningRate = optimizer.learningRate;
  const seconds: number[] = [];
  const progress: Callback = {
    onEpochBegin: (epoch) => {
      epochStart = performance.now();
      // The rate of the epoch's first step; logs.learning_rate at epoch end is the next step's (as in Keras).
      epochLearningRate = optimizer.learningRate;
      bar?.start(source.batchesPerEpoch, 0, { epoch: `${epoch + 1}/${options.epochs}` });
    },
    // Reads nothing back: the bar counts steps, the loss stays on the device until the epoch ends.
    onBatchEnd: (batch) => bar?.update(batch + 1),
    onEpochEnd: (epoch, logs = {}) => {
      bar?.stop();
      seconds.push((performance.now() - epochStart) / 1000);
      say(
        `epoch ${epoch + 1}/${options.epochs}: loss ${fixed(logs.loss)} accuracy ${fixed(logs.accuracy)} ` +
          `val_loss ${fixed(logs.val_loss)} val_accuracy ${fixed(logs.val_accuracy)} ` +
          `lr ${epochLearningRate.toPrecision(4)} (${(seconds.at(-1) ?? 0).toFixed(1)} s)`,
      );
    },
  };

  const history = await model.fit(source, {
    epochs: options.epochs,
    seed: options.seed,
    validationData: validationSource,
    callbacks: [progress],
  });

  const test = toTensors(data.test, prepare);
  const result = await model.evaluate(test.x, test.y, { batchSize: 1024 });
  tf.dispose([test.x, test.y]);
  say(`test: loss ${fixed(result.loss)} accuracy ${fixed(result.accuracy)}`);
  if (options.json) {
    const { json: _json, ...config } = options;
    console.log(
      JSON.stringify({
        backend: report.backend,
        config,
        optimizer: optimizer.getConfig(),
        trainCount: trainSplit.count,
        validationCount: validation.count,
        stepsPerEpoch: source.batchesPerEpoch,
        history: history.history,
        secondsPerEpoch: seconds,
        test: result,
      }),
    );
  }
}
