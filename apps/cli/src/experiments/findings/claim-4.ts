/** Claim 4, the learning rate too high and too low: 100 times too high fails, 100 times too low crawls. */
import type { LineChart } from '../../run/charts.js';
import { type ClaimRuns, type LrFindView, type RunView, rowRuns } from '../runs.js';
import { perEpoch } from './charts.js';
import { loss, pct } from './format.js';
import {
  diverged,
  finalLoss,
  firstEpochLoss,
  learningRate,
  missing,
  orInfinity,
  outcome,
  testAccuracy,
} from './measures.js';
import { finite } from './stats.js';
import { type Column, type Finding, statusOf, type Verdict, type VerdictStatus } from './types.js';

type FoundLrFind = LrFindView & { result: NonNullable<LrFindView['result']> };

export function learningRates(c: ClaimRuns): Finding {
  const columns: Column[] = [
    { header: 'learning rate', cell: (r) => (learningRate(r) === null ? '-' : String(learningRate(r))) },
    { header: 'training loss, epoch 1', cell: (r) => loss(firstEpochLoss(r)) },
    { header: 'final training loss', cell: (r) => loss(finalLoss(r)) },
  ];
  const charts: Array<{ name: string; chart: LineChart }> = [
    {
      name: 'training-loss',
      chart: perEpoch(c.runs, 'training loss per epoch (log scale)', 'training loss', (e) => e.loss, { log: true }),
    },
  ];
  const finds = c.lrFinds.filter((f): f is FoundLrFind => f.result !== null);
  if (finds.length > 0) charts.push({ name: 'lr-find', chart: lrFindChart(finds) });
  const notes = c.lrFinds.map((f) => `${f.row.name}: \`${f.command}\` ${lrFindNote(f)}.`);
  const verdict = missing(c) ?? learningRateVerdict(c);
  return { columns, charts, notes, verdict };
}

function lrFindChart(finds: readonly FoundLrFind[]): LineChart {
  return {
    title: 'opt lr-find: smoothed training loss against the learning rate',
    values: finds.flatMap((f) =>
      f.result.points.map((p) => ({
        learning_rate: p.learningRate,
        run: `${f.result.config.optimizer} (suggests ${f.result.suggestion?.learningRate ?? '-'})`,
        loss: finite(p.smoothed),
      })),
    ),
    x: { field: 'learning_rate', title: 'learning rate (log scale)', log: true },
    y: { field: 'loss', title: 'smoothed training loss' },
    series: { field: 'run', title: '' },
  };
}

/** "suggested 0.02 (rule; minimum of the smoothed loss at 0.1)" or "has not run". */
function lrFindNote(f: LrFindView): string {
  const suggestion = f.result?.suggestion;
  if (suggestion === null || suggestion === undefined) return 'has not run';
  return `suggested ${suggestion.learningRate} (${suggestion.rule}; minimum of the smoothed loss at ${f.result?.minimum?.learningRate.toPrecision(3)})`;
}

const ROWS = [
  ['SGD', 'sgd 0.01 (chapter)', 'sgd 1 (100x)', 'sgd 0.0001 (1/100)', 'sgd, lr-find'],
  ['Adam', 'adam 0.001 (chapter)', 'adam 0.1 (100x)', 'adam 0.00001 (1/100)', 'adam, lr-find'],
] as const;

function learningRateVerdict(c: ClaimRuns): Verdict {
  const parts: string[] = [];
  let highHeld = 0;
  let lowHeld = 0;
  for (const [label, ...names] of ROWS) {
    const [chapter, high, low, found] = names.map((n) => rowRuns(c, n)[0] as RunView) as [
      RunView,
      RunView,
      RunView,
      RunView,
    ];
    // Too high: it diverged, or its loss never came near the chapter rate's.
    const highBad = diverged(high) || orInfinity(finalLoss(high), high) > 2 * finalLoss(chapter);
    // Too low: after all its epochs it is still above where one epoch at the chapter's rate got.
    const lowSlow = finalLoss(low) > firstEpochLoss(chapter);
    if (highBad) highHeld++;
    if (lowSlow) lowHeld++;
    parts.push(
      `${label} at 100 times its rate (${learningRate(high)}) ${highText(high, chapter)}; at 1/100 (${learningRate(low)}) its training loss after ${low.epochs.length} epochs was ${loss(finalLoss(low))}, against ${loss(firstEpochLoss(chapter))} after one epoch at the chapter's rate (${pct(testAccuracy(low))} against ${pct(testAccuracy(chapter))} test accuracy); lr-find's rate ${learningRate(found)} gave ${outcome(found)}`,
    );
  }
  // Each failure mode is checked for both optimizers: four checks.
  const status = statusOf(highHeld + lowHeld, 4);
  return { status, sentence: `${lead(status, highHeld, lowHeld)} ${parts.join('. ')}.` };
}

function highText(high: RunView, chapter: RunView): string {
  if (diverged(high)) return `diverged in epoch ${high.epochs.length}`;
  return `ended with a training loss of ${loss(finalLoss(high))} (${loss(finalLoss(chapter))} at the chapter's rate) and ${pct(testAccuracy(high))} test accuracy`;
}

function lead(status: VerdictStatus, highHeld: number, lowHeld: number): string {
  if (status === 'held') return 'Held: both failure modes appeared for both optimizers.';
  const word = status === 'partly held' ? 'Partly held' : 'Did not hold';
  return `${word}: the rate 100 times too high failed for ${highHeld} of 2 optimizers and the rate 100 times too low was painfully slow for ${lowHeld} of 2.`;
}
