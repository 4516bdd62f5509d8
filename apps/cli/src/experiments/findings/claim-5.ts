/** Claim 5, learning-rate decay: a decaying rate ends higher and steadier than a constant one. */
import { type ClaimRuns, finished, type RunView, rowRuns } from '../runs.js';
import { perEpoch } from './charts.js';
import { loss, pct, points } from './format.js';
import { missing, testAccuracy } from './measures.js';
import { type Column, type Finding, statusOf, type Verdict, type VerdictStatus } from './types.js';

/** The range (max - min) of the validation accuracy over the last 5 epochs: how steady the run ended. */
function lastSpread(r: RunView): number {
  const last = r.epochs.slice(-5).map((e) => e.val_accuracy);
  return last.length === 0 ? Number.NaN : Math.max(...last) - Math.min(...last);
}

export function decay(c: ClaimRuns): Finding {
  const columns: Column[] = [
    { header: 'final validation loss', cell: (r) => loss(r.epochs.at(-1)?.val_loss) },
    {
      header: 'validation accuracy range, last 5 epochs',
      cell: (r) => (finished(r) ? points(lastSpread(r)).replace('+', '') : '-'),
    },
  ];
  const charts = [
    {
      name: 'val-accuracy',
      chart: perEpoch(c.runs, 'validation accuracy per epoch', 'validation accuracy', (e) => e.val_accuracy),
    },
    {
      name: 'learning-rate',
      chart: perEpoch(
        c.runs,
        "learning rate at each epoch's first step (log scale)",
        'learning rate',
        (e) => e.learning_rate,
        { log: true },
      ),
    },
  ];
  const verdict = missing(c) ?? decayVerdict(c);
  return { columns, charts, notes: [], verdict };
}

function decayVerdict(c: ClaimRuns): Verdict {
  const [constant, ...decayed] = c.claim.rows.map((row) => rowRuns(c, row.name)[0] as RunView) as [
    RunView,
    ...RunView[],
  ];
  const better = decayed.filter(
    (r) => (testAccuracy(r) ?? 0) > (testAccuracy(constant) ?? 0) && lastSpread(r) <= lastSpread(constant),
  );
  const status = statusOf(better.length, decayed.length);
  const each = decayed
    .map(
      (r) =>
        `${r.row.name} ${pct(testAccuracy(r))} (${points((testAccuracy(r) ?? 0) - (testAccuracy(constant) ?? 0))}; last-5-epoch range ${(100 * lastSpread(r)).toFixed(2)} points)`,
    )
    .join(', ');
  return {
    status,
    sentence: `${lead(status, better)} Constant rate: ${pct(testAccuracy(constant))} test accuracy, last-5-epoch validation range ${(100 * lastSpread(constant)).toFixed(2)} points; ${each}.`,
  };
}

function lead(status: VerdictStatus, better: readonly RunView[]): string {
  if (status === 'held') {
    return 'Held: every decay schedule ended with a higher test accuracy and a steadier validation accuracy than the constant rate.';
  }
  if (status === 'partly held') {
    return `Partly held: ${better.map((r) => r.row.name).join(' and ')} ended higher and steadier than the constant rate, the other schedules did not.`;
  }
  return 'Did not hold: no decay schedule ended both higher and steadier than the constant rate.';
}
