/** The epoch progress line, the same for `opt train`, a compare's or sweep's runs, a queue worker and experiments. */
import type { RunEvent } from '../run/run-types.js';
import { fixed } from './format.js';

/**
 * `epoch 2/5: loss 0.3452 accuracy 0.8736 val_loss 0.3727 val_accuracy 0.8602 lr 0.001000 (7.5 s)`, after
 * `tag` (a run's label) where several runs print. `lr` is the rate at the epoch's end, the next step's, as
 * Keras logs `learning_rate`.
 */
export function epochLine(event: Extract<RunEvent, { type: 'epochEnd' }>, tag?: string): string {
  const e = event.entry;
  return (
    `${tag !== undefined ? `${tag} ` : ''}epoch ${e.epoch}/${event.epochs}: loss ${fixed(e.loss)} accuracy ${fixed(e.accuracy)} ` +
    `val_loss ${fixed(e.val_loss)} val_accuracy ${fixed(e.val_accuracy)} ` +
    `lr ${event.learningRate.toPrecision(4)} (${e.seconds.toFixed(1)} s)`
  );
}
