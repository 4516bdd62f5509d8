/** Claim 2, batch, mini-batch and stochastic gradient descent: mini-batches get furthest in the same time. */
import type { LineChart } from '../../run/charts.js';
import { type ClaimRuns, finished, type RunView, rowRuns } from '../runs.js';
import { pct, secs } from './format.js';
import { accuracyAt, missing, secondsPerEpoch, trainSeconds } from './measures.js';
import { finite } from './stats.js';
import type { Column, Finding, Verdict } from './types.js';

const updates = (r: RunView): number | null => r.result?.stepsPerEpoch ?? r.summary?.history?.epochs[0]?.steps ?? null;
const stepsPerSecond = (r: RunView): number | null => r.summary?.stepsPerSecond ?? null;

export function batchSize(c: ClaimRuns): Finding {
  const done = c.runs.filter(finished);
  const budget = done.length > 0 ? Math.min(...done.map(trainSeconds)) : 0;
  const columns: Column[] = [
    { header: 'updates per epoch', cell: (r) => (updates(r) === null ? '-' : String(updates(r))) },
    { header: 'updates per second', cell: (r) => stepsPerSecond(r)?.toFixed(1) ?? '-' },
    {
      header: `validation accuracy after ${secs(budget)}`,
      cell: (r) => (finished(r) ? pct(accuracyAt(r, budget)) : '-'),
    },
  ];
  const notes = [
    `"Validation accuracy after ${secs(budget)}": the best validation accuracy of the epochs that ended within the shortest of the three runs' training times, so every row gets the same wall-clock budget (the initial weights' accuracy where no epoch ended by then).`,
  ];
  const verdict = missing(c) ?? batchVerdict(c, budget);
  return { columns, charts: [{ name: 'val-accuracy-vs-time', chart: accuracyAgainstTime(c.runs) }], notes, verdict };
}

function accuracyAgainstTime(runs: readonly RunView[]): LineChart {
  return {
    title: 'validation accuracy against training time',
    values: runs.flatMap((r) => {
      let elapsed = 0;
      return [
        { seconds: 0, run: r.label, value: finite(r.history?.initial.val_accuracy) },
        ...r.epochs.map((e) => {
          elapsed += e.seconds;
          return { seconds: elapsed, run: r.label, value: finite(e.val_accuracy) };
        }),
      ];
    }),
    x: { field: 'seconds', title: 'training time (s, validation included)' },
    y: { field: 'value', title: 'validation accuracy' },
    series: { field: 'run', title: '' },
    points: true,
  };
}

function batchVerdict(c: ClaimRuns, budget: number): Verdict {
  const [full, mini, one] = ['batch (55,000)', 'mini-batch (128)', 'stochastic (1)'].map(
    (n) => rowRuns(c, n)[0] as RunView,
  ) as [RunView, RunView, RunView];
  const at = (r: RunView) => accuracyAt(r, budget);
  const held = at(mini) > at(full) && at(mini) > at(one);
  // The accuracies come first, before any parenthesis: the report's summary table keeps the text up to the first
  // "; ", and it must read as a whole sentence there.
  const detail = (r: RunView) =>
    `(${updates(r)} update${updates(r) === 1 ? '' : 's'} per epoch, ${stepsPerSecond(r)?.toFixed(1)} per second, ${secs(secondsPerEpoch(r))} per epoch; ${pct(r.summary?.bestValAccuracy)} at best after ${r.epochs.length} epochs in ${secs(trainSeconds(r))})`;
  const sentence = `${held ? 'Held' : 'Did not hold'}: within the same ${secs(budget)} of training, mini-batches of 128 reached ${pct(at(mini))}, full-batch gradient descent ${pct(at(full))} and batches of one ${pct(at(one))}; mini-batches ${detail(mini)}, full batch ${detail(full)}, batches of one ${detail(one)}.`;
  return { status: held ? 'held' : 'did not hold', sentence };
}
