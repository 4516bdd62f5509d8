/**
 * Picking examples from a split: the seeded train/validation split (stratified or not) and class-balanced
 * subsets. The examples stay bytes; only their order and selection change.
 */
import { Random } from '@opt/tensor';
import { type FashionMnistSplit, IMAGE_SIZE, NUM_CLASSES } from './idx.js';

/** Throws a TypeError naming `what` unless `data` is a well-formed split (the check every preparation starts with). */
export function checkSplit(data: FashionMnistSplit, what: string): void {
  if (
    !(data?.images instanceof Uint8Array) ||
    !(data.labels instanceof Uint8Array) ||
    data.labels.length !== data.count ||
    data.images.length !== data.count * IMAGE_SIZE
  ) {
    throw new TypeError(
      `${what}: data must be { images: Uint8Array of count * ${IMAGE_SIZE} bytes, labels: Uint8Array of count bytes, count }.`,
    );
  }
}

/** Copies the examples at `indices` (in that order) into a new split. */
export function selectExamples(data: FashionMnistSplit, indices: ArrayLike<number>): FashionMnistSplit {
  const n = indices.length;
  const images = new Uint8Array(n * IMAGE_SIZE);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = indices[i] as number;
    images.set(data.images.subarray(j * IMAGE_SIZE, (j + 1) * IMAGE_SIZE), i * IMAGE_SIZE);
    labels[i] = data.labels[j] as number;
  }
  return { images, labels, count: n };
}

/** The indices of each class's examples, in dataset order. */
function indicesByClass(labels: Uint8Array): number[][] {
  const byClass: number[][] = Array.from({ length: NUM_CLASSES }, () => []);
  for (let i = 0; i < labels.length; i++) (byClass[labels[i] as number] as number[]).push(i);
  return byClass;
}

/** Options of {@link trainValidationSplit}. */
export interface SplitOptions {
  /** Fraction of the examples held out, in (0, 1). Give this or `validationCount`. */
  validationFraction?: number;
  /** Number of examples held out. */
  validationCount?: number;
  /** Seed of the shuffle that picks the held-out examples (default 0). */
  seed?: number;
  /**
   * Hold out the same fraction of every class (default `false`): each class
   * gives `floor(n_c * v / n)` examples and the remainder goes to the classes
   * with the largest fractional parts (ties to the smaller label), so the
   * total is exactly `v`.
   */
  stratified?: boolean;
}

/**
 * Splits `data` into training and validation sets, seeded. Both keep the
 * shuffled order of the pick; the inputs are copied (bytes), not converted.
 */
export function trainValidationSplit(
  data: FashionMnistSplit,
  options: SplitOptions,
): { train: FashionMnistSplit; validation: FashionMnistSplit } {
  checkSplit(data, 'trainValidationSplit');
  const { validationFraction, validationCount } = options;
  let v: number;
  if (validationCount !== undefined && validationFraction === undefined) {
    if (!Number.isInteger(validationCount) || validationCount <= 0 || validationCount >= data.count) {
      throw new RangeError(
        `trainValidationSplit: validationCount must be an integer in [1, ${data.count - 1}], got ${String(validationCount)}.`,
      );
    }
    v = validationCount;
  } else if (validationFraction !== undefined && validationCount === undefined) {
    if (typeof validationFraction !== 'number' || !(validationFraction > 0 && validationFraction < 1)) {
      throw new RangeError(
        `trainValidationSplit: validationFraction must be a number in (0, 1), got ${String(validationFraction)}.`,
      );
    }
    v = Math.round(data.count * validationFraction);
    if (v === 0 || v === data.count) {
      throw new RangeError(
        `trainValidationSplit: validationFraction ${validationFraction} of ${data.count} examples leaves an empty set.`,
      );
    }
  } else {
    throw new TypeError('trainValidationSplit: give exactly one of validationFraction and validationCount.');
  }
  const random = new Random(options.seed ?? 0);
  let validation: number[];
  let train: number[];
  if (options.stratified === true) {
    const byClass = indicesByClass(data.labels);
    const exact = byClass.map((idx) => (idx.length * v) / data.count);
    const take = exact.map(Math.floor);
    let left = v - take.reduce((a, b) => a + b, 0);
    const order = exact.map((e, c) => [e - Math.floor(e), c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (const [, c] of order) {
      if (left === 0) break;
      take[c] = (take[c] as number) + 1;
      left--;
    }
    validation = [];
    train = [];
    byClass.forEach((idx, c) => {
      random.shuffle(idx);
      validation.push(...idx.slice(0, take[c]));
      train.push(...idx.slice(take[c]));
    });
    random.shuffle(validation);
    random.shuffle(train);
  } else {
    const perm = Array.from(random.permutation(data.count));
    validation = perm.slice(0, v);
    train = perm.slice(v);
  }
  return { train: selectExamples(data, train), validation: selectExamples(data, validation) };
}

/**
 * `perClass` examples of every class, picked and ordered by a seeded shuffle:
 * a small, balanced set for quick runs.
 */
export function balancedSubset(data: FashionMnistSplit, perClass: number, seed = 0): FashionMnistSplit {
  checkSplit(data, 'balancedSubset');
  return selectExamples(data, balancedSubsetIndices(data.labels, perClass, seed));
}

/**
 * The indices (into `labels`) of the examples {@link balancedSubset} picks, in
 * its order: `perClass` of every class, so a caller can record or compare the
 * subset without comparing images.
 */
export function balancedSubsetIndices(labels: Uint8Array, perClass: number, seed = 0): number[] {
  const byClass = indicesByClass(labels);
  const fewest = Math.min(...byClass.map((idx) => idx.length));
  if (!Number.isInteger(perClass) || perClass < 1 || perClass > fewest) {
    throw new RangeError(
      `balancedSubset: perClass must be an integer in [1, ${fewest}] (the smallest class has ${fewest} examples), got ${String(perClass)}.`,
    );
  }
  const random = new Random(seed);
  const picked: number[] = [];
  for (const idx of byClass) picked.push(...random.shuffle(idx).slice(0, perClass));
  return random.shuffle(picked);
}
