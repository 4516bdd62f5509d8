/** Claim 1, input normalization: standardized or rescaled pixels train faster and end better than raw ones. */
import { type ClaimRuns, type RunView, rowRuns } from '../runs.js';
import { firstEpochChart, perEpoch } from './charts.js';
import { loss, pct, points } from './format.js';
import { diverged, firstEpochLoss, missing, orInfinity, outcome, testAccuracy } from './measures.js';
import { type Finding, statusOf, type Verdict, type VerdictStatus } from './types.js';

export function normalization(c: ClaimRuns): Finding {
  const columns = [
    { header: 'training loss, epoch 1', cell: (r: RunView) => loss(firstEpochLoss(r)) },
    { header: 'validation loss after epoch 1', cell: (r: RunView) => loss(r.epochs[0]?.val_loss) },
  ];
  const names = c.claim.rows.map((r) => r.name);
  const charts = [
    {
      name: 'first-epoch-loss',
      chart: firstEpochChart(c, names, 'training loss through the first epoch (log scale)', true),
    },
    {
      name: 'val-accuracy',
      chart: perEpoch(c.runs, 'validation accuracy per epoch', 'validation accuracy', (e) => e.val_accuracy, {
        initial: (r) => r.history?.initial.val_accuracy,
      }),
    },
  ];
  const verdict = missing(c) ?? normalizationVerdict(c);
  return { columns, charts, notes: [], verdict };
}

function normalizationVerdict(c: ClaimRuns): Verdict {
  const one = (name: string) => rowRuns(c, name)[0] as RunView;
  const parts: string[] = [];
  let held = 0;
  let checks = 0;
  for (const optimizer of ['adam', 'sgd']) {
    const raw = one(`${optimizer}, raw pixels`);
    const scaled = [one(`${optimizer}, standardized`), one(`${optimizer}, rescaled`)];
    const rawAccuracy = diverged(raw) ? -1 : (testAccuracy(raw) ?? -1);
    for (const r of scaled) {
      checks++;
      const lower = orInfinity(firstEpochLoss(r), r) < orInfinity(firstEpochLoss(raw), raw);
      const better = (testAccuracy(r) ?? -1) > rawAccuracy;
      if (lower && better) held++;
    }
    const label = optimizer === 'adam' ? 'Adam' : 'basic SGD';
    const scaledText = scaled
      .map((r) => `${loss(firstEpochLoss(r))} and ${outcome(r)} ${r.row.name.split(', ')[1]}`)
      .join(', ');
    parts.push(`${label} ${rawText(raw)}, against ${scaledText}${standardizingGain(raw, scaled[0] as RunView)}`);
  }
  const status = statusOf(held, checks);
  return { status, sentence: `${lead(status, held, checks)} ${parts.join('; ')}.` };
}

function rawText(raw: RunView): string {
  if (diverged(raw)) return `diverged on raw pixels in epoch ${raw.epochs.length}`;
  return `had a first-epoch loss of ${loss(firstEpochLoss(raw))} on raw pixels and ended at ${pct(testAccuracy(raw))}`;
}

/** " (standardizing: +4.90 points of test accuracy)", or nothing when either run has no test accuracy. */
function standardizingGain(raw: RunView, standardized: RunView): string {
  const before = testAccuracy(raw);
  const after = testAccuracy(standardized);
  if (diverged(raw) || before === null || after === null) return '';
  return ` (standardizing: ${points(after - before)} of test accuracy)`;
}

function lead(status: VerdictStatus, held: number, checks: number): string {
  if (status === 'held') return 'Held: normalized inputs trained faster and ended better with both optimizers.';
  if (status === 'partly held') {
    return `Partly held: normalized inputs beat raw pixels in ${held} of ${checks} comparisons (lower first-epoch loss and higher test accuracy).`;
  }
  return 'Did not hold: raw pixels did as well as normalized inputs.';
}
