/**
 * The running sums behind an epoch's logs, kept on the device so that nothing is read back per batch: the loss
 * weighted by batch size and, per metric, the count of correct predictions. One read-back at the end gives
 * Keras's epoch values: `loss = sum_b(size_b * loss_b) / N`, `accuracy = correct / N`.
 */
import type { Logs } from '@opt/schedules';
import { tf } from '@opt/tensor';
import { type MetricName, metricKey } from './losses.js';

/** A batch's mean loss and its correct counts (one scalar per compiled metric). */
export interface BatchResult {
  readonly loss: tf.Scalar;
  readonly correct: readonly tf.Scalar[];
}

export class MetricSums {
  private lossSum: tf.Scalar = tf.keep(tf.scalar(0));
  private correctSums: tf.Scalar[];
  private samples = 0;

  constructor(private readonly metrics: readonly MetricName[]) {
    this.correctSums = metrics.map(() => tf.keep(tf.scalar(0)));
  }

  /** Adds one batch of `size` samples; the caller still owns `batch`'s tensors. */
  add(batch: BatchResult, size: number): void {
    const lossSum = tf.keep(tf.tidy(() => tf.add(this.lossSum, tf.mul(batch.loss, size)) as tf.Scalar));
    const correctSums = this.correctSums.map((s, i) => tf.keep(tf.add(s, batch.correct[i] as tf.Scalar) as tf.Scalar));
    this.dispose();
    this.lossSum = lossSum;
    this.correctSums = correctSums;
    this.samples += size;
  }

  /** The means as Keras's log keys (`loss`, `accuracy`, ... after `prefix`), in one read-back; frees the sums. */
  async read(prefix = ''): Promise<Logs> {
    const sums = await Promise.all([this.lossSum.data(), ...this.correctSums.map((s) => s.data())]);
    this.dispose();
    const n = Math.max(this.samples, 1);
    const logs: Logs = { [`${prefix}loss`]: (sums[0]?.[0] as number) / n };
    this.metrics.forEach((m, i) => {
      logs[`${prefix}${metricKey(m)}`] = (sums[i + 1]?.[0] as number) / n;
    });
    return logs;
  }

  dispose(): void {
    this.lossSum.dispose();
    for (const s of this.correctSums) s.dispose();
  }
}
