/** Claim 7, the moving average (EMA) of the weights on the best configuration: it tests better, paired by seed. */
import { type ClaimRuns, finished, type RunView, rowRuns } from '../runs.js';
import { perEpoch } from './charts.js';
import { pctSpread, points, secs } from './format.js';
import { missing, secondsPerEpoch, testAccuracy } from './measures.js';
import { mean } from './stats.js';
import type { Column, Finding, Verdict } from './types.js';

export function ema(c: ClaimRuns): Finding {
  const [off, on] = c.claim.rows.map((row) => rowRuns(c, row.name).filter(finished)) as [RunView[], RunView[]];
  const columns: Column[] = [];
  const summary = {
    headers: [
      'configuration',
      'runs',
      'test accuracy',
      'best validation accuracy',
      'time per epoch',
      'wall time per run',
    ],
    rows: c.claim.rows.map((row) => {
      const runs = rowRuns(c, row.name).filter(finished);
      return [
        row.name,
        String(runs.length),
        pctSpread(runs.map(testAccuracy).filter((x): x is number => x !== null)),
        pctSpread(runs.map((r) => r.summary?.bestValAccuracy ?? Number.NaN)),
        secs(runs.length > 0 ? mean(runs.map((r) => secondsPerEpoch(r) ?? 0)) : null),
        secs(runs.length > 0 ? mean(runs.map((r) => r.result?.timings.wallSeconds ?? 0)) : null),
      ];
    }),
  };
  const charts = [
    {
      name: 'val-accuracy',
      chart: perEpoch(
        off,
        'the best configuration: validation accuracy per epoch, each seed',
        'validation accuracy',
        (e) => e.val_accuracy,
        { name: (r) => `seed ${r.seed}` },
      ),
    },
  ];
  const verdict = missing(c) ?? emaVerdict(off, on);
  return {
    columns,
    summary,
    charts,
    notes: [
      'The EMA is a shadow copy of the weights: training (and the validation accuracy measured during it) is the same with and without it; only the weights the run ends with, and so the test accuracy, differ.',
    ],
    verdict,
  };
}

function emaVerdict(off: RunView[], on: RunView[]): Verdict {
  const diffs = off.map((r, i) => (testAccuracy(on[i] as RunView) ?? 0) - (testAccuracy(r) ?? 0));
  const same = off.every((r, i) =>
    r.epochs.every((e, k) => e.val_accuracy === (on[i] as RunView).epochs[k]?.val_accuracy),
  );
  const m = mean(diffs);
  const curves = same
    ? '; the training curves with and without it are identical, as they should be'
    : '; the training curves differ, which they should not';
  return {
    status: m > 0 ? 'held' : 'did not hold',
    sentence: `${m > 0 ? 'Held' : 'Did not hold'}: finishing with the moving average of the weights changed the test accuracy by ${points(m)} on average (${diffs.map(points).join(', ')} for seeds ${off.map((r) => r.seed).join(', ')}), ${pctSpread(on.map((r) => testAccuracy(r) ?? 0))} with it against ${pctSpread(off.map((r) => testAccuracy(r) ?? 0))} without${curves}.`,
  };
}
