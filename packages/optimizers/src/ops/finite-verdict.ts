/**
 * The non-finite verdict: `0 * g` summed along the last axis of every gradient, as matrix products with kept columns
 * of zeros (`g(size / c, c) x zeros(c, 1)`), so that a row is 0 when it is finite and NaN otherwise (`0 * Infinity`
 * and `0 * NaN` are NaN), whatever the magnitudes. The gradient is the left operand: wasm packs the right operand
 * once per tensor, so the kept zeros are packed once. On WebGL one program computes the rows of up to 12 gradients
 * with a uniform zero (`webgl-programs.ts`), in place of a product per gradient.
 *
 * The device's record of bad steps is one vector `[badStep, skipped, badRow, open]`; `'throw'` keeps the first bad
 * step and stays shut after it, `'skip'` keeps the last one and a count and shuts bad steps only.
 */
import { tf } from '@opt/tensor';
import {
  MAX_COLUMNS,
  NO_BAD_STEP,
  paddedRows,
  VERDICT_GATE,
  VERDICT_RECORD,
  VERDICT_ROWS,
  webglOps,
} from './webgl-programs.js';

export { NO_BAD_STEP };

export type RecordPolicy = 'throw' | 'skip';

/** Which gradient the verdict's rows belong to: gradient `index` owns the rows before `end`, after the previous. */
export interface RowRange {
  readonly index: number;
  readonly end: number;
}

/** Columns of zeros by length (0: a zero scalar), kept across steps; `dispose` frees them. */
export class KeptZeros {
  private readonly zeros = new Map<number, tf.Tensor>();

  of(length: number): tf.Tensor {
    let z = this.zeros.get(length);
    if (z === undefined) {
      z = tf.keep(length === 0 ? tf.scalar(0) : tf.zeros([length, 1]));
      this.zeros.set(length, z);
    }
    return z;
  }

  dispose(): void {
    for (const t of this.zeros.values()) t.dispose();
    this.zeros.clear();
  }
}

/** `g(size / c, c) x zeros(c, 1)`: a vector is one row, a scalar one element. */
function column(g: tf.Tensor, zeros: KeptZeros): tf.Tensor {
  const c = g.rank === 0 ? 1 : (g.shape[g.rank - 1] as number);
  const matrix = g.rank === 2 ? (g as tf.Tensor2D) : (tf.reshape(g, [g.size / c, c]) as tf.Tensor2D);
  return tf.matMul(matrix, zeros.of(c) as tf.Tensor2D);
}

/**
 * The verdict's columns and which gradient each range of rows belongs to. Matrices (rank 2 or more) take a product
 * each; vectors and scalars are joined and multiplied by 0 together (one kernel, not a product each).
 */
function verdictColumns(grads: readonly tf.Tensor[], zeros: KeptZeros): { columns: tf.Tensor[]; ranges: RowRange[] } {
  const columns: tf.Tensor[] = [];
  const ranges: RowRange[] = [];
  const vectors: Array<{ t: tf.Tensor; index: number }> = [];
  const add = (index: number, rows: number) => ranges.push({ index, end: (ranges.at(-1)?.end ?? 0) + rows });
  for (const [index, g] of grads.entries()) {
    if (g.size === 0) continue;
    if (g.rank < 2) vectors.push({ t: g.rank === 1 ? g : tf.reshape(g, [1]), index });
    else {
      const c = column(g, zeros);
      columns.push(c);
      add(index, c.shape[0] as number);
    }
  }
  if (vectors.length > 0) {
    const joined = vectors.length === 1 ? (vectors[0]?.t as tf.Tensor) : tf.concat(vectors.map((v) => v.t));
    columns.push(tf.reshape(tf.mul(joined, zeros.of(0)), [joined.size, 1]));
    for (const v of vectors) add(v.index, v.t.size);
  }
  return { columns, ranges };
}

/** Every gradient's rows as one column of zeros and NaNs (the vectors joined), and whose rows are where. */
export function finiteRows(grads: readonly tf.Tensor[], zeros: KeptZeros): { rows: tf.Tensor; ranges: RowRange[] } {
  const { columns, ranges } = verdictColumns(grads, zeros);
  if (columns.length === 0) return { rows: tf.zeros([1, 1]), ranges };
  return { rows: columns.length === 1 ? (columns[0] as tf.Tensor) : tf.concat(columns, 0), ranges };
}

/**
 * Every gradient's `0 * g` summed into one number, 0 when every element is finite and NaN otherwise: the gradients
 * flattened and joined, one product by 0 and one sum. The verdict read back each step; {@link finiteRows} names the
 * variable of a bad one. (On wasm with threads a product per matrix cost several times this pass: XNNPACK hands each
 * to its thread pool.)
 */
export function finiteSum(grads: readonly tf.Tensor[], zeros: KeptZeros): tf.Scalar {
  const flat = grads.filter((g) => g.size > 0).map((g) => (g.rank === 1 ? g : tf.reshape(g, [g.size])));
  if (flat.length === 0) return tf.scalar(0);
  const joined = flat.length === 1 ? (flat[0] as tf.Tensor) : tf.concat(flat);
  return tf.sum(tf.mul(joined, zeros.of(0)));
}

/** A fresh record: no bad step, nothing skipped, open. */
export function initialRecord(policy: RecordPolicy): tf.Tensor {
  return tf.tensor1d([policy === 'throw' ? NO_BAD_STEP : -1, 0, -1, 1]);
}

/**
 * The record after step `step` and the step's gate (a bool scalar, true: write). On WebGL: one program for the rows
 * of up to {@link MAX_COLUMNS} gradients, one record program and one gate program; elsewhere tfjs ops on
 * {@link finiteRows}.
 */
export function finiteVerdict(
  grads: readonly tf.Tensor[],
  record: tf.Tensor,
  step: number,
  policy: RecordPolicy,
  zeros: KeptZeros,
): { record: tf.Tensor; gate: tf.Tensor; ranges: RowRange[] } {
  if (!webglOps()) return finiteVerdictReference(grads, record, step, policy, zeros);
  const { columns: made, ranges } = webglColumns(grads);
  // Each column's texture goes to the record program as it is: a concat would pack and unpack.
  let columns = made.length === 0 ? [tf.zeros([1, 1])] : made;
  if (columns.length > MAX_COLUMNS) columns = [tf.concat(columns, 0)];
  const inputs: Record<string, tf.Tensor> = { record };
  columns.forEach((c, i) => {
    inputs[`c${i}`] = c;
  });
  const rows = columns.map((c) => c.shape[0] as number);
  const engine = tf.engine();
  const next = engine.runKernel(VERDICT_RECORD, inputs, { rows, policy, step }) as tf.Tensor;
  return { record: next, gate: engine.runKernel(VERDICT_GATE, { record: next }) as tf.Tensor, ranges };
}

/** The verdict's columns on WebGL, a rows program per {@link MAX_COLUMNS} gradients, and whose rows are where. */
function webglColumns(grads: readonly tf.Tensor[]): { columns: tf.Tensor[]; ranges: RowRange[] } {
  const matrices: Array<{ g: tf.Tensor; index: number }> = [];
  for (const [index, g] of grads.entries()) {
    if (g.size === 0) continue;
    const c = g.rank === 0 ? 1 : (g.shape[g.rank - 1] as number);
    matrices.push({ g: g.rank === 2 ? g : tf.reshape(g, [g.size / c, c]), index });
  }
  const columns: tf.Tensor[] = [];
  const ranges: RowRange[] = [];
  let end = 0;
  for (let first = 0; first < matrices.length; first += MAX_COLUMNS) {
    const chunk = matrices.slice(first, first + MAX_COLUMNS);
    const inputs: Record<string, tf.Tensor> = {};
    const shapes = chunk.map(({ g, index }, i) => {
      inputs[`g${i}`] = g;
      end += paddedRows(g.shape[0] as number);
      ranges.push({ index, end });
      return g.shape as [number, number];
    });
    columns.push(tf.engine().runKernel(VERDICT_ROWS, inputs, { shapes }) as tf.Tensor);
  }
  return { columns, ranges };
}

/** {@link finiteVerdict} in tfjs ops, on every backend (its rows number the vectors' elements one by one). */
export function finiteVerdictReference(
  grads: readonly tf.Tensor[],
  record: tf.Tensor,
  step: number,
  policy: RecordPolicy,
  zeros: KeptZeros,
): { record: tf.Tensor; gate: tf.Tensor; ranges: RowRange[] } {
  const { rows, ranges } = finiteRows(grads, zeros);
  const nonFinite = tf.reshape(tf.notEqual(rows, rows), [-1]); // NaN != NaN
  const bad = tf.any(nonFinite);
  // A scalar: tfjs-backend-webgpu 4.22's ArgMax of a vector has shape [1], which tf.stack below refuses.
  const firstBad = tf.reshape(tf.cast(tf.argMax(tf.cast(nonFinite, 'float32')), 'float32'), []);
  const [badStep, skipped, badRow] = tf.unstack(record) as [tf.Scalar, tf.Scalar, tf.Scalar, tf.Scalar];
  const stepT = tf.scalar(step);
  const takes = policy === 'throw' ? tf.logicalAnd(bad, tf.equal(badStep, NO_BAD_STEP)) : bad;
  const nextStep = tf.where(takes, stepT, badStep);
  const open = policy === 'throw' ? tf.equal(nextStep, NO_BAD_STEP) : tf.logicalNot(bad);
  const next = tf.stack([
    nextStep,
    policy === 'throw' ? skipped : tf.add(skipped, tf.cast(bad, 'float32')),
    tf.where(takes, firstBad, badRow),
    tf.cast(open, 'float32'),
  ]);
  return { record: next, gate: open, ranges };
}
