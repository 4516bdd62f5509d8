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

/**
 * The sums as numbers, for a checkpoint written inside an epoch: the float32 values the device held, so that
 * the resumed epoch adds its batches to the same sums and reports what an uninterrupted one would have.
 * Non-finite sums are kept as the strings 'NaN', 'Infinity' and '-Infinity' (JSON has no such numbers).
 */
export interface EpochSums {
  readonly samples: number;
  readonly loss: number | string;
  readonly correct: ReadonlyArray<number | string>;
}

const encode = (v: number): number | string => (Number.isFinite(v) ? v : String(v));
const decode = (v: number | string): number => (typeof v === 'number' ? v : Number(v));

export class MetricSums {
  private lossSum: tf.Scalar;
  private correctSums: tf.Scalar[];
  private samples: number;

  /** Sums from zero, or continuing from `start` (a checkpoint's {@link EpochSums}). */
  constructor(
    private readonly metrics: readonly MetricName[],
    start?: EpochSums,
  ) {
    this.lossSum = tf.keep(tf.scalar(start === undefined ? 0 : decode(start.loss)));
    this.correctSums = metrics.map((_, i) =>
      tf.keep(tf.scalar(start === undefined ? 0 : decode(start.correct[i] as number | string))),
    );
    this.samples = start?.samples ?? 0;
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

  /**
   * The sums so far as numbers, without freeing them. The device reads start before this returns, so a batch
   * added meanwhile does not change what it reads.
   */
  state(): Promise<EpochSums> {
    const samples = this.samples;
    const reads = [this.lossSum.data(), ...this.correctSums.map((s) => s.data())];
    return Promise.all(reads).then(([loss, ...correct]) => ({
      samples,
      loss: encode(loss?.[0] as number),
      correct: correct.map((c) => encode(c[0] as number)),
    }));
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
