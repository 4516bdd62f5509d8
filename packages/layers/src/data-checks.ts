/**
 * The checks `fit` and `evaluate` run on their data before the first step, so that bad input is one clear
 * error up front rather than NaN weights or a shape error deep in a kernel: sample counts, the input shape,
 * labels against the loss and the number of outputs, NaN and infinities, and batch sizes the layers accept.
 */
import { tf } from '@opt/tensor';
import type { Layer, LayerWeight } from './layers/index.js';
import type { Loss } from './losses.js';

export function shapeText(shape: ReadonlyArray<number | null>): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
}

/** `x` has the model's input shape after its batch axis. */
export function checkInputShape(inputShape: readonly number[], x: tf.Tensor, what: string): void {
  const got = x.shape.slice(1);
  if (got.length !== inputShape.length || got.some((d, i) => d !== inputShape[i])) {
    throw new Error(
      `${what} has shape ${shapeText(x.shape)} but the model expects input shape ${shapeText([null, ...inputShape])} (batch first). Reshape the data or build the model with inputShape ${shapeText(got)}.`,
    );
  }
}

/** A streamed batch: the input shape, and one label row per sample. */
export function checkBatch(inputShape: readonly number[], x: tf.Tensor, y: tf.Tensor): void {
  checkInputShape(inputShape, x, 'batch x');
  if (x.shape[0] !== y.shape[0])
    throw new Error(`A batch has ${x.shape[0]} samples in x but ${y.shape[0]} labels in y.`);
}

/** Tensors already checked for NaN (tensors are immutable, so a verdict holds for their lifetime). */
const finiteChecked = new WeakSet<tf.Tensor>();
/** Label tensors already checked against a number of classes. */
const labelsChecked = new WeakMap<tf.Tensor, Set<number>>();

export interface DataExpectations {
  readonly inputShape: readonly number[];
  /** The model's output shape without the batch axis. */
  readonly outputShape: readonly number[];
  readonly loss: Loss;
}

/**
 * Validates tensors handed to fit/evaluate once: counts, shapes, label range, NaN (one read-back per tensor,
 * remembered: a tensor checked once is not checked again).
 */
export async function checkData(x: unknown, y: unknown, expected: DataExpectations, where: string): Promise<void> {
  if (!(x instanceof tf.Tensor) || !(y instanceof tf.Tensor))
    throw new TypeError(`${where}: x and y must be tf.Tensors.`);
  checkInputShape(expected.inputShape, x, `${where}: x`);
  const n = x.shape[0] as number;
  if (y.shape[0] !== n) {
    throw new Error(`${where}: x has ${n} samples but y has ${y.shape[0]}; give exactly one label (row) per sample.`);
  }
  if (n === 0) throw new Error(`${where}: x and y hold no samples.`);
  const { loss, outputShape } = expected;
  if (loss.sparse) await checkSparseLabels(y, outputShape[outputShape.length - 1] as number, loss, where);
  else {
    const shape = [n, ...outputShape];
    if (!tf.util.arraysEqual(y.shape, shape)) {
      throw new Error(
        `${where}: y has shape ${shapeText(y.shape)} but ${loss.name} on this model needs ${shapeText(shape)}` +
          (loss.name === 'categoricalCrossentropy' && y.rank === 1
            ? '; these look like integer labels: use sparseCategoricalCrossentropy or one-hot encode them.'
            : '.'),
      );
    }
  }
  await checkFinite(x, 'x', where);
  await checkFinite(y, 'y', where);
}

async function checkSparseLabels(y: tf.Tensor, classes: number, loss: Loss, where: string): Promise<void> {
  const n = y.shape[0] as number;
  if (!(y.rank === 1 || (y.rank === 2 && y.shape[1] === 1))) {
    throw new Error(
      `${where}: ${loss.name} takes integer class labels of shape [${n}] or [${n}, 1], got y of shape ${shapeText(y.shape)}. For one-hot labels use categoricalCrossentropy.`,
    );
  }
  const checked = labelsChecked.get(y);
  if (checked?.has(classes) === true) return;
  const labels = await y.data();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number;
    if (!Number.isInteger(l) || l < 0 || l >= classes) {
      throw new RangeError(
        `${where}: label y[${i}] = ${l} is out of range: ${loss.name} needs integers in [0, ${classes - 1}] for a model with ${classes} outputs.`,
      );
    }
  }
  labelsChecked.set(y, (checked ?? new Set<number>()).add(classes));
}

async function checkFinite(t: tf.Tensor, what: string, where: string): Promise<void> {
  if (finiteChecked.has(t)) return;
  // One streaming pass without a mask the size of the data: any NaN makes the sum NaN and any infinity makes it
  // infinite, so a finite sum proves the data clean. Only then count.
  const total = tf.tidy(() => tf.sum(t.dtype === 'float32' ? t : tf.cast(t, 'float32')));
  const sum = (await total.data())[0] as number;
  total.dispose();
  if (!Number.isFinite(sum)) {
    const bad = tf.tidy(() => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(tf.cast(t, 'float32'))), 'int32')));
    const count = (await bad.data())[0] as number;
    bad.dispose();
    if (count > 0) {
      throw new Error(
        `${where}: ${what} contains ${count} NaN or infinite value(s); clean or impute the data before training.`,
      );
    }
  }
  finiteChecked.add(t);
}

/**
 * Every training batch is large enough for every layer (BatchNormalization needs 2 samples): with `n` rows in
 * batches of `batchSize`, the smallest batch is the last one, `n mod batchSize` when that is not 0.
 */
export function checkTrainingBatchSizes(layers: readonly Layer[], n: number, batchSize: number): void {
  const smallest = n % batchSize === 0 ? Math.min(batchSize, n) : n % batchSize;
  for (const layer of layers) {
    const needed = layer.minTrainingBatchSize;
    if (smallest >= needed) continue;
    const why =
      `${layer.className} "${layer.name}" needs at least ${needed} samples per training batch ` +
      '(the batch variance of one sample is 0: it would output beta, zeros at the start, whatever the input, and learn nothing)';
    if (batchSize < needed)
      throw new RangeError(`fit: batchSize ${batchSize} is too small: ${why}. Use batchSize >= ${needed}.`);
    let other = batchSize + 1;
    while (other <= n && n % other !== 0 && n % other < needed) other++;
    throw new RangeError(
      `fit: the last batch of each epoch would hold ${smallest} sample(s) (${n} training samples in batches of ${batchSize}), but ${why}. ` +
        `Choose a batchSize that leaves no such remainder, e.g. ${Math.min(other, n)}.`,
    );
  }
}

/** Throws unless `values` has one tensor per weight, each of the weight's shape (setWeights). */
export function checkWeightValues(weights: readonly LayerWeight[], values: readonly tf.Tensor[]): void {
  if (values.length !== weights.length) {
    throw new Error(`setWeights: the model has ${weights.length} weights, got ${values.length} values.`);
  }
  weights.forEach((w, i) => {
    const v = values[i] as tf.Tensor;
    if (!tf.util.arraysEqual(v.shape, w.variable.shape)) {
      throw new Error(
        `setWeights: weight "${w.name}" has shape ${shapeText(w.variable.shape)}, got ${shapeText(v.shape)}.`,
      );
    }
  });
}
