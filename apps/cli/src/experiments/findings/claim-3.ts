/** Claim 3, basic SGD, momentum, RMSprop and Adam over seeds: each beats basic SGD, and Adam falls fastest. */
import { type ClaimRuns, finished, type RunView, rowRuns } from '../runs.js';
import { firstEpochChart, meanPerEpoch } from './charts.js';
import { loss, lossSpread, pctSpread, points, secs } from './format.js';
import { epochReaching, firstEpochLoss, missing, secondsPerEpoch, testAccuracy } from './measures.js';
import { mean, sd } from './stats.js';
import type { Column, Finding, Verdict, VerdictStatus } from './types.js';

/** One row's numbers over its seeds. */
interface RowStats {
  readonly name: string;
  readonly runs: readonly RunView[];
  readonly firstLoss: number[];
  readonly test: number[];
  readonly bestVal: number[];
  /** The epoch each run first reached 88% validation accuracy, for the runs that did. */
  readonly reached: number[];
  readonly perEpoch: number[];
}

function rowStats(c: ClaimRuns, name: string): RowStats {
  const runs = rowRuns(c, name).filter(finished);
  return {
    name,
    runs,
    firstLoss: runs.map(firstEpochLoss),
    test: runs.map(testAccuracy).filter((x): x is number => x !== null),
    bestVal: runs.map((r) => r.summary?.bestValAccuracy ?? Number.NaN),
    reached: runs.map((r) => epochReaching(r, 0.88)).filter((x): x is number => x !== null),
    perEpoch: runs.map(secondsPerEpoch).filter((x): x is number => x !== null),
  };
}

function epochsTo88(s: RowStats): string {
  if (s.reached.length === 0) return `never (0 of ${s.runs.length})`;
  return `${mean(s.reached).toFixed(1)} (${s.reached.length} of ${s.runs.length})`;
}

export function optimizers(c: ClaimRuns): Finding {
  const names = c.claim.rows.map((r) => r.name);
  const columns: Column[] = [{ header: 'training loss, epoch 1', cell: (r) => loss(firstEpochLoss(r)) }];
  const stats = names.map((name) => rowStats(c, name));
  const summary = {
    headers: [
      'optimizer',
      'runs',
      'training loss, epoch 1',
      'test accuracy',
      'best validation accuracy',
      'epochs to 88% (runs that reached it)',
      'time per epoch',
    ],
    rows: stats.map((s) => [
      s.name,
      String(s.runs.length),
      lossSpread(s.firstLoss),
      pctSpread(s.test),
      pctSpread(s.bestVal),
      epochsTo88(s),
      secs(s.perEpoch.length > 0 ? mean(s.perEpoch) : null),
    ]),
  };
  const charts = [
    {
      name: 'first-epoch-loss',
      chart: firstEpochChart(c, names, 'training loss through the first epoch (mean over seeds)', false),
    },
    {
      name: 'val-accuracy',
      chart: meanPerEpoch(
        c,
        names,
        'validation accuracy per epoch (mean over seeds)',
        'validation accuracy',
        (e) => e.val_accuracy,
      ),
    },
  ];
  const verdict = missing(c) ?? optimizersVerdict(stats);
  return {
    columns,
    summary,
    charts,
    notes: ['Means ± sample standard deviations over the seeds; each seed is one row of the table below.'],
    verdict,
  };
}

function optimizersVerdict(stats: readonly RowStats[]): Verdict {
  const sgd = stats.find((s) => s.name === 'sgd') as RowStats;
  const others = stats.filter((s) => s.name !== 'sgd');
  const beatSgd = others.filter((s) => mean(s.firstLoss) < mean(sgd.firstLoss) && mean(s.test) > mean(sgd.test));
  const fastest = [...stats].sort((a, b) => mean(a.firstLoss) - mean(b.firstLoss))[0] as RowStats;
  const bestTest = [...stats].sort((a, b) => mean(b.test) - mean(a.test))[0] as RowStats;
  const status = optimizersStatus(beatSgd.length, others.length, fastest.name === 'adam');
  const ranking = [...stats]
    .sort((a, b) => mean(b.test) - mean(a.test))
    .map((s) => `${s.name} ${pctSpread(s.test)}`)
    .join(', ');
  const lossRanking = [...stats]
    .sort((a, b) => mean(a.firstLoss) - mean(b.firstLoss))
    .map((s) => `${s.name} ${loss(mean(s.firstLoss))}`)
    .join(', ');
  return {
    status,
    sentence: `${lead(status, beatSgd, fastest)} First-epoch training loss (mean over seeds): ${lossRanking}. Test accuracy: ${ranking}; ${bestTest.name} leads SGD by ${points(mean(bestTest.test) - mean(sgd.test))}, ${spreadNote(bestTest, sgd)}.`,
  };
}

function optimizersStatus(beatSgd: number, others: number, adamFastest: boolean): VerdictStatus {
  if (beatSgd === others && adamFastest) return 'held';
  if (beatSgd === 0) return 'did not hold';
  return 'partly held';
}

/** Whether the gap in mean test accuracy is more than twice the larger spread over seeds. */
function spreadNote(a: RowStats, b: RowStats): string {
  const gap = Math.abs(mean(a.test) - mean(b.test));
  const spread = Math.max(sd(a.test), sd(b.test));
  return gap > 2 * spread ? 'more than twice the spread over seeds' : 'within twice the spread over seeds';
}

function lead(status: VerdictStatus, beatSgd: readonly RowStats[], fastest: RowStats): string {
  if (status === 'held') {
    return 'Held: momentum, RMSprop and Adam each trained faster and ended better than basic SGD, and Adam fell fastest in the first epoch.';
  }
  if (status === 'did not hold') {
    return 'Did not hold: basic SGD was not beaten on both first-epoch loss and test accuracy.';
  }
  const winners = beatSgd.map((s) => s.name).join(' and ') || 'none';
  const first =
    fastest.name === 'adam'
      ? ', and Adam fell fastest in the first epoch'
      : `, but ${fastest.name}, not Adam, fell fastest in the first epoch`;
  return `Partly held: ${winners} beat basic SGD on both first-epoch loss and test accuracy${first}.`;
}
