/** Claim 6, batch normalization: it tolerates a higher learning rate and reaches a good accuracy sooner. */
import { type ClaimRuns, type RunView, rowRuns } from '../runs.js';
import { perEpoch } from './charts.js';
import { pct, points, secs } from './format.js';
import {
  diverged,
  epochReaching,
  learningRate,
  missing,
  outcome,
  secondsPerEpoch,
  testAccuracy,
  trainSeconds,
} from './measures.js';
import { mean } from './stats.js';
import type { Column, Finding, Verdict } from './types.js';

/** A row of the plan and the same row with BatchNormalization. */
interface Pair {
  readonly name: string;
  readonly plain: RunView;
  readonly bn: RunView;
}

export function batchNorm(c: ClaimRuns): Finding {
  const columns: Column[] = [
    { header: 'learning rate', cell: (r) => (learningRate(r) === null ? '-' : String(learningRate(r))) },
  ];
  const charts = [
    {
      name: 'val-accuracy',
      chart: perEpoch(c.runs, 'validation accuracy per epoch', 'validation accuracy', (e) => e.val_accuracy, {
        initial: (r) => r.history?.initial.val_accuracy,
      }),
    },
  ];
  const verdict = missing(c) ?? batchNormVerdict(c);
  return { columns, charts, notes: [], verdict };
}

/** Test accuracy, with a diverged run (or one without a test) as -1: below every real accuracy. */
const score = (r: RunView): number => (diverged(r) ? -1 : (testAccuracy(r) ?? -1));

/** "diverged" or "reached 88.50%". */
const reached = (r: RunView): string => (diverged(r) ? 'diverged' : `reached ${pct(testAccuracy(r))}`);

/** BatchNorm reached 88% validation accuracy in fewer epochs, or in as many and less training time. */
function reachedSooner(p: Pair): boolean {
  const a = epochReaching(p.plain, 0.88) ?? Number.POSITIVE_INFINITY;
  const b = epochReaching(p.bn, 0.88) ?? Number.POSITIVE_INFINITY;
  return b < a || (b === a && b !== Number.POSITIVE_INFINITY && trainSeconds(p.bn) < trainSeconds(p.plain));
}

function pairText(p: Pair): string {
  const gap =
    diverged(p.plain) || diverged(p.bn)
      ? 'a run diverged'
      : points((testAccuracy(p.bn) ?? 0) - (testAccuracy(p.plain) ?? 0));
  return `${p.name}: ${outcome(p.plain)} without, ${outcome(p.bn)} with (${gap})`;
}

function batchNormVerdict(c: ClaimRuns): Verdict {
  const pairs: Pair[] = c.claim.rows
    .filter((row) => !row.name.endsWith('batch norm'))
    .map((row) => ({
      name: row.name,
      plain: rowRuns(c, row.name)[0] as RunView,
      bn: rowRuns(c, `${row.name}, batch norm`)[0] as RunView,
    }));
  const sgd = pairs.filter((p) => p.name.startsWith('sgd'));
  const highest = sgd.at(-1) as Pair;
  // Tolerates a higher rate: at the highest rate, BatchNorm trains where the plain MLP diverges or does worse.
  const tolerates = score(highest.bn) > score(highest.plain);
  // The best rate for each: BatchNorm's best SGD rate is at least as high.
  const bestRate = (pick: (p: Pair) => RunView) =>
    [...sgd].sort((a, b) => score(pick(b)) - score(pick(a)))[0]?.name ?? '';
  const each = pairs.map(pairText).join('; ');
  const faster = pairs.filter(reachedSooner);
  return {
    status: tolerates ? 'held' : 'did not hold',
    sentence: `${tolerates ? 'Held' : 'Did not hold'}: at the highest rate (${highest.name}) the MLP ${reached(highest.plain)} without BatchNormalization and ${reached(highest.bn)} with it; SGD's best rate was ${bestRate((p) => p.plain)} without and ${bestRate((p) => p.bn)} with. Test accuracy per rate — ${each}. BatchNormalization reached 88% validation accuracy in fewer epochs in ${faster.length} of ${pairs.length} pairs; its epochs took ${secs(mean(pairs.map((p) => secondsPerEpoch(p.bn) ?? 0)))} against ${secs(mean(pairs.map((p) => secondsPerEpoch(p.plain) ?? 0)))}.`,
  };
}
