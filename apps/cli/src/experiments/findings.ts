/**
 * What each claim's runs show: the claim's own columns, its charts and one sentence saying whether the claim
 * held and by how much. Every number in a sentence is computed from the run directories; the wording is a
 * template, and the comparison that picks "held" or "did not hold" is code, so a claim that fails says so.
 * Each claim is a file under findings/ (claim-1.ts ... claim-7.ts), over the shared statistics (stats.ts), the
 * number formats (format.ts), what a run shows (measures.ts) and the charts (charts.ts).
 */

import { beyond } from './findings/beyond.js';
import { normalization } from './findings/claim-1.js';
import { batchSize } from './findings/claim-2.js';
import { optimizers } from './findings/claim-3.js';
import { learningRates } from './findings/claim-4.js';
import { decay } from './findings/claim-5.js';
import { batchNorm } from './findings/claim-6.js';
import { ema } from './findings/claim-7.js';
import type { Finding } from './findings/types.js';
import type { ClaimRuns } from './runs.js';

export { loss, lossSpread, pct, pctSpread, points, secs } from './findings/format.js';
export {
  accuracyAt,
  diverged,
  finalLoss,
  firstEpochLoss,
  learningRate,
  outcome,
  secondsPerEpoch,
  testAccuracy,
  trainSeconds,
} from './findings/measures.js';
export { mean, sd } from './findings/stats.js';
export type { Column, Finding, Verdict, VerdictStatus } from './findings/types.js';

export const FINDINGS: Readonly<Record<number, (c: ClaimRuns) => Finding>> = {
  1: normalization,
  2: batchSize,
  3: optimizers,
  4: learningRates,
  5: decay,
  6: batchNorm,
  7: ema,
  8: beyond,
};
