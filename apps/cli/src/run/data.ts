/**
 * The data of a run: Fashion-MNIST loaded strictly (a `--data-dir` the user names is used or the run fails),
 * and the recipe's split of it (@opt/recipe: the validation split, then the balanced subset) with the CLI's checks.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultCacheDir,
  FASHION_MNIST_FILES,
  FashionMnistError,
  type FashionMnistNodeData,
  FashionMnistNotFoundError,
  type FashionMnistSplit,
  type FileKey,
  type LoadProgress,
  loadFashionMnist,
  type NormalizeMode,
  type Statistics,
} from '@opt/data-fashion-mnist';
import { type RunData, resolveBatchSize, splitData } from '@opt/recipe';
import { RunError, UsageError } from '../cli/errors.js';
import type { TrainConfig } from '../config/knobs.js';
import { legacySplit, type RecordedDataset, sameExamples } from './legacy-split.js';

export interface LoadedData {
  readonly data: FashionMnistNodeData;
  /** file key -> where it was read and its verified sha256 (of the uncompressed content). */
  readonly files: Record<string, { path: string; sha256: string }>;
}

/** Debian's package of the dataset (`/usr/share/datasets/fashion-mnist`). */
export const DEBIAN_PACKAGE = 'dataset-fashion-mnist';

const cache = new Map<string, Promise<LoadedData>>();

/** file key -> where it was read and the sha256 its uncompressed content was verified against. */
export function verifiedFiles(data: FashionMnistNodeData): Record<FileKey, { path: string; sha256: string }> {
  return Object.fromEntries(
    FASHION_MNIST_FILES.map((f) => [f.key, { path: data.sources[f.key], sha256: f.sha256 }]),
  ) as Record<FileKey, { path: string; sha256: string }>;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Refuses a `--data-dir` that is missing, not a directory, or lacks any of the four files. */
export function checkDataDir(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(
      `--data-dir ${dir}: no such directory. Give the directory that holds the four Fashion-MNIST files, or leave --data-dir out to use the usual places.`,
      '--data-dir',
      dir,
    );
  }
  if (!isDir)
    throw new UsageError(
      `--data-dir ${dir}: not a directory. Give the directory that holds the four Fashion-MNIST files.`,
      '--data-dir',
      dir,
    );
  const missing = FASHION_MNIST_FILES.filter((f) => !isFile(join(dir, `${f.name}.gz`)) && !isFile(join(dir, f.name)));
  if (missing.length > 0) {
    throw new UsageError(
      `--data-dir ${dir}: ${missing.length === FASHION_MNIST_FILES.length ? 'none of the four Fashion-MNIST files is there' : 'incomplete'}; missing ${missing.map((f) => `${f.name}.gz`).join(', ')} (or the uncompressed files). Copy the four files there (e.g. from /usr/share/datasets/fashion-mnist/), or leave --data-dir out.`,
      '--data-dir',
      dir,
    );
  }
}

/**
 * Loads and verifies the dataset once per process (compare workers train several configs). With a
 * `dataDir`, only that directory is read: no other copy, no download.
 */
export function loadData(
  config: Pick<TrainConfig, 'dataDir' | 'download'>,
  onProgress?: (p: LoadProgress) => void,
): Promise<LoadedData> {
  const key = JSON.stringify([config.dataDir, config.download]);
  let loaded = cache.get(key);
  if (loaded === undefined) {
    loaded = load(config, onProgress);
    cache.set(key, loaded);
    loaded.catch(() => cache.delete(key));
  }
  return loaded;
}

async function load(
  config: Pick<TrainConfig, 'dataDir' | 'download'>,
  onProgress?: (p: LoadProgress) => void,
): Promise<LoadedData> {
  if (config.dataDir !== null) checkDataDir(config.dataDir);
  try {
    const data = await loadFashionMnist({
      ...(config.dataDir !== null
        ? { dataDir: config.dataDir, systemDir: null, download: false }
        : { download: config.download }),
      ...(onProgress !== undefined ? { onProgress } : {}),
    });
    return { data, files: verifiedFiles(data) };
  } catch (error) {
    if (error instanceof FashionMnistNotFoundError)
      throw notFound(error, 'not tried (only `opt data get` installs it, as root)', config.download);
    throw damaged(error);
  }
}

/** A damaged data file as the one message that names it and the fix; any other error as it is. */
export function damaged(error: unknown): unknown {
  if (!(error instanceof FashionMnistError)) return error;
  return new RunError(
    `${error.message}${/delete|fresh copy|replace/i.test(error.message) ? '' : ' Replace it with the official file (e.g. from /usr/share/datasets/fashion-mnist/) or point --data-dir at a good copy.'}`,
    error.file,
    { cause: error },
  );
}

/** The one message for no copy anywhere: every place looked in, what the install did, every way to get the data. */
export function notFound(error: FashionMnistNotFoundError, install: string, downloadTried: boolean): RunError {
  const places = [
    ...error.places.map((p) => p.replace(/^dataDir option/, '--data-dir')),
    `installing ${DEBIAN_PACKAGE}: ${install}`,
  ].map((p) => `  - ${p}`);
  const names = FASHION_MNIST_FILES.map((f) => `${f.name}.gz`).join(', ');
  return new RunError(
    `Fashion-MNIST not found. Looked in:\n${places.join('\n')}\n` +
      `Get it one of these ways: install Debian's package (\`sudo apt-get install ${DEBIAN_PACKAGE}\`, or run \`opt data get\` as root); ` +
      `copy ${names} into a directory and pass --data-dir DIR or set FASHION_MNIST_DIR=DIR; ` +
      `or, with internet access, run \`opt data get\`${downloadTried ? ' again' : ''} to download them into ${defaultCacheDir()}.`,
    undefined,
    { cause: error },
  );
}

export interface Splits {
  readonly train: FashionMnistSplit;
  readonly validation: FashionMnistSplit;
  readonly test: FashionMnistSplit;
  /**
   * Indices into the dataset's training images, in the order of `train` and `validation`; null for a run resumed
   * on the split of an older opt (legacy-split.ts), whose picks were not kept as indices.
   */
  readonly indices: RunData['indices'] | null;
  /** Mean and std of the rescaled training pixels. */
  readonly statistics: Statistics;
  /** What the batch iterator and toTensors need for the chosen normalization. */
  readonly prepare: { normalize: NormalizeMode; statistics?: Statistics };
  /** The resolved batch size: `full` is the training split's size. */
  readonly batchSize: number;
}

/**
 * The recipe's split (the last `--validation-split` held out, then the `--per-class` subset), with usage checks.
 * With `resumed` (the dataset a run being resumed recorded) and a split that does not match it, the split of the
 * older opt that made the run, when that one matches.
 */
export function makeSplits(data: FashionMnistNodeData, config: TrainConfig, resumed?: RecordedDataset): Splits {
  let split: RunData;
  try {
    split = splitData(data, config);
  } catch (error) {
    // The recipe names its knob in camelCase and knows the range; the user needs the option's name.
    if (error instanceof RangeError && error.message.startsWith('validationSplit'))
      throw new UsageError(
        error.message.replace('validationSplit', '--validation-split'),
        '--validation-split',
        config.validationSplit,
      );
    if (error instanceof RangeError)
      throw new UsageError(`--per-class ${config.perClass}: ${error.message}`, '--per-class', config.perClass);
    throw error;
  }
  const legacy = resumed === undefined || sameExamples(recorded(split), resumed) ? null : legacySplit(data, config);
  if (legacy !== null && sameExamples(recorded(legacy), resumed as RecordedDataset)) {
    const { train, validation, statistics } = legacy;
    return checkedSplits({ train, validation, test: data.test, indices: null, statistics }, config);
  }
  const { train, validation, test, indices, statistics } = split;
  return checkedSplits({ train, validation, test, indices, statistics }, config);
}

/** What a run's record says of these examples (config.json's `environment.dataset`, less its files). */
export function recorded(split: Pick<Splits, 'train' | 'validation' | 'statistics'>): RecordedDataset {
  return {
    trainCount: split.train.count,
    validationCount: split.validation.count,
    statistics: { mean: split.statistics.mean[0] as number, std: split.statistics.std[0] as number },
  };
}

/** The batch size resolved and checked against the training examples, and the normalization of the config. */
function checkedSplits(split: Omit<Splits, 'prepare' | 'batchSize'>, config: TrainConfig): Splits {
  const { train, statistics } = split;
  const prepare =
    config.normalize === 'standardize' ? { normalize: config.normalize, statistics } : { normalize: config.normalize };
  const batchSize = resolveBatchSize({ train }, config);
  if (batchSize > train.count) {
    throw new UsageError(
      `--batch-size ${batchSize} is larger than the ${train.count} training images: use at most ${train.count}, or --batch-size full.`,
      '--batch-size',
      batchSize,
    );
  }
  const remainder = train.count % batchSize;
  if (config.batchNorm && remainder === 1) {
    let other = batchSize + 1;
    while (other < train.count && train.count % other === 1) other++;
    throw new UsageError(
      `--batch-size ${batchSize} leaves a last batch of 1 sample each epoch (${train.count} training images), which BatchNormalization cannot train on: use e.g. --batch-size ${Math.min(other, train.count)}.`,
      '--batch-size',
      batchSize,
    );
  }
  return { ...split, prepare, batchSize };
}

/** Mean and std of the inputs the model sees after the chosen normalization. */
export function inputMoments(normalize: NormalizeMode, statistics: Statistics): { mean: number; std: number } {
  const mean = statistics.mean[0] as number;
  const std = statistics.std[0] as number;
  if (normalize === 'none') return { mean: mean * 255, std: std * 255 };
  if (normalize === 'rescale') return { mean, std };
  return { mean: 0, std: 1 };
}
