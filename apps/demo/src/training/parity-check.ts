/** The parity check's result in words: one SGD step on this backend against the cpu backend. */
import type { ParityResult } from './protocol.js';

/** The largest weight difference and the loss difference both under this agree. */
export const PARITY_TOLERANCE = 1e-5;

export function parityReport(r: ParityResult): { text: string; lossDifference: number } {
  const lossDifference = Math.abs(r.loss.here - r.loss.cpu);
  const ok = r.maxWeightDifference < PARITY_TOLERANCE && lossDifference < PARITY_TOLERANCE;
  const text =
    `One SGD step (learning rate 0.1) on the first batch: loss ${r.loss.here.toFixed(7)} on ${r.backend}, ${r.loss.cpu.toFixed(7)} on cpu; ` +
    `largest weight difference ${r.maxWeightDifference.toExponential(2)} over ${r.weightCount.toLocaleString('en')} weights` +
    (ok ? ' (agree to 1e-5).' : ' (more than 1e-5 apart!).');
  return { text, lossDifference };
}
