/**
 * Keras's evaluation loop, over a {@link BatchSource} (tensors go through the data adapter first): one test step
 * per batch in inference mode, the sums kept on the device, one read-back at the end.
 */
import type { Logs } from '@opt/schedules';
import type { tf } from '@opt/tensor';
import type { BatchSource } from './data-adapter.js';
import type { MetricName } from './losses.js';
import { type BatchResult, MetricSums } from './metric-sums.js';

export interface EvaluateLoop {
  readonly metrics: readonly MetricName[];
  /** The batch's mean loss and correct counts in inference mode (the batch stays the caller's). */
  step(x: tf.Tensor, y: tf.Tensor): BatchResult;
  /** Throws a clear error for a batch that does not fit the model (asked of the first batch). */
  checkBatch(x: tf.Tensor, y: tf.Tensor): void;
}

/** Mean loss and metrics over the batches of `source`'s epoch `epoch`, as log keys after `prefix`. */
export async function runEvaluate(
  loop: EvaluateLoop,
  source: BatchSource,
  epoch: number,
  prefix: string,
): Promise<Logs> {
  const sums = new MetricSums(loop.metrics);
  try {
    let first = true;
    for await (const { x, y } of source.batches(epoch)) {
      try {
        if (first) loop.checkBatch(x, y);
        first = false;
        const result = loop.step(x, y);
        sums.add(result, x.shape[0] as number);
        result.loss.dispose();
        for (const c of result.correct) c.dispose();
      } finally {
        x.dispose();
        y.dispose();
      }
    }
    return await sums.read(prefix);
  } finally {
    sums.dispose();
  }
}
