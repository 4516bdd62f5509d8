/**
 * What each claim's runs show: the claim's own columns, its charts and one sentence saying whether the claim
 * held and by how much. Every number in a sentence is computed here from the run directories; the wording is a
 * template, and the comparison that picks "held" or "did not hold" is code, so a claim that fails says so.
 */
import type { LineChart } from '../run/charts.js';
import type { LrFindView } from './runs.js';
import { type ClaimRuns, finished, type RunView, rowRuns } from './runs.js';

export type VerdictStatus = 'held' | 'partly held' | 'did not hold' | 'not measured';

export interface Verdict {
  readonly status: VerdictStatus;
  readonly sentence: string;
}

export interface Column {
  readonly header: string;
  readonly cell: (run: RunView) => string;
}

export interface Finding {
  /** Columns of this claim, after the row's name in the per-run table. */
  readonly columns: readonly Column[];
  /** A table over the rows (means and spreads over seeds), for claims with seeds. */
  readonly summary?: { readonly headers: readonly string[]; readonly rows: ReadonlyArray<readonly string[]> };
  readonly charts: ReadonlyArray<{ readonly name: string; readonly chart: LineChart }>;
  readonly notes: readonly string[];
  readonly verdict: Verdict;
}

// ---- numbers ----

export const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
/** Sample standard deviation (n - 1); 0 for one value. */
export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/** 88.52% */
export const pct = (x: number | null | undefined, digits = 2): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(digits)}%`;
/** +0.41 points (of accuracy) */
export const points = (d: number): string => `${d >= 0 ? '+' : '−'}${Math.abs(100 * d).toFixed(2)} points`;
/** A loss: 4 significant digits, or "NaN". */
export const loss = (x: number | null | undefined): string =>
  x === null || x === undefined ? '-' : Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x);
export const secs = (s: number | null | undefined): string => {
  if (s === null || s === undefined || !Number.isFinite(s)) return '-';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s - 60 * m)).padStart(2, '0')} s`;
};
/** 88.52 ± 0.21% over seeds. */
export const pctSpread = (xs: readonly number[]): string =>
  xs.length === 0 ? '-' : `${(100 * mean(xs)).toFixed(2)} ± ${(100 * sd(xs)).toFixed(2)}%`;
export const lossSpread = (xs: readonly number[]): string =>
  xs.length === 0 ? '-' : `${loss(mean(xs))} ± ${loss(sd(xs))}`;

// ---- what a run shows ----

export const testAccuracy = (r: RunView): number | null => r.result?.test?.accuracy ?? null;
export const diverged = (r: RunView): boolean => r.state === 'diverged';
/** The training loss of the first epoch (fit's mean over its steps). */
export const firstEpochLoss = (r: RunView): number => r.epochs[0]?.loss ?? Number.NaN;
export const finalLoss = (r: RunView): number => r.epochs.at(-1)?.loss ?? Number.NaN;
export const secondsPerEpoch = (r: RunView): number | null =>
  r.epochs.length === 0 ? null : r.epochs.reduce((s, e) => s + e.seconds, 0) / r.epochs.length;
export const trainSeconds = (r: RunView): number => r.epochs.reduce((s, e) => s + e.seconds, 0);
export const learningRate = (r: RunView): number | null => r.summary?.config.learningRate ?? null;
/** A comparable "how badly": a diverged run or a NaN counts as infinitely bad. */
const orInfinity = (x: number, r: RunView): number =>
  diverged(r) || !Number.isFinite(x) ? Number.POSITIVE_INFINITY : x;

/** "diverged in epoch 1" or "88.52%". */
export function outcome(r: RunView): string {
  if (diverged(r)) return `diverged in epoch ${r.epochs.length}`;
  return pct(testAccuracy(r));
}

/** Validation accuracy after `seconds` of training: the best reached by an epoch that ended by then. */
export function accuracyAt(r: RunView, seconds: number): number {
  let elapsed = 0;
  let best = r.history?.initial.val_accuracy ?? Number.NaN;
  for (const e of r.epochs) {
    elapsed += e.seconds;
    if (elapsed > seconds) break;
    if (Number.isFinite(e.val_accuracy) && e.val_accuracy > best) best = e.val_accuracy;
  }
  return best;
}

const finite = (x: number | undefined | null): number | null =>
  x !== undefined && x !== null && Number.isFinite(x) ? x : null;

/** The claim's runs that are missing, as a verdict; null when every run finished. */
function missing(c: ClaimRuns): Verdict | null {
  const absent = c.runs.filter((r) => !finished(r));
  const noLrFind = c.lrFinds.filter((f) => f.result === null);
  if (absent.length === 0 && noLrFind.length === 0) return null;
  const states = [...new Set(absent.map((r) => r.state))].join(', ');
  return {
    status: 'not measured',
    sentence: `Not measured yet: ${absent.length} of ${c.runs.length} runs have not finished (${states}); \`pnpm experiments --only ${c.claim.id}\` trains them.`,
  };
}

// ---- charts ----

/** One series per row: a value per epoch (epoch 0 is the initial weights where `initial` gives it). */
function perEpoch(
  runs: readonly RunView[],
  title: string,
  y: string,
  value: (e: RunView['epochs'][number]) => number,
  options: { initial?: (r: RunView) => number | undefined; log?: boolean; name?: (r: RunView) => string } = {},
): LineChart {
  const name = options.name ?? ((r: RunView) => r.label);
  return {
    title,
    values: runs.flatMap((r) => [
      ...(options.initial !== undefined ? [{ epoch: 0, run: name(r), value: finite(options.initial(r)) }] : []),
      ...r.epochs.map((e) => ({ epoch: e.epoch, run: name(r), value: finite(value(e)) })),
    ]),
    x: { field: 'epoch', title: 'epoch', integer: true },
    y: { field: 'value', title: y, ...(options.log === true ? { log: true } : {}) },
    series: { field: 'run', title: '' },
    points: true,
  };
}

/** The mean over a row's seeds, per epoch, as a run-like series. */
function meanPerEpoch(
  c: ClaimRuns,
  names: readonly string[],
  title: string,
  y: string,
  value: (e: RunView['epochs'][number]) => number,
): LineChart {
  const values = names.flatMap((name) => {
    const runs = rowRuns(c, name).filter(finished);
    const epochs = Math.max(0, ...runs.map((r) => r.epochs.length));
    return Array.from({ length: epochs }, (_, i) => {
      const xs = runs
        .map((r) => r.epochs[i])
        .filter((e) => e !== undefined)
        .map(value);
      return { epoch: i + 1, run: name, value: xs.length > 0 ? finite(mean(xs)) : null };
    });
  });
  return {
    title,
    values,
    x: { field: 'epoch', title: 'epoch', integer: true },
    y: { field: 'value', title: y },
    series: { field: 'run', title: '' },
    points: true,
  };
}

/** The first epoch's loss curve per run, or its mean over each row's seeds. */
function firstEpochChart(c: ClaimRuns, names: readonly string[], title: string, log: boolean): LineChart {
  const values = names.flatMap((name) => {
    const runs = rowRuns(c, name).filter((r) => (r.history?.firstEpoch?.points.length ?? 0) > 0);
    const first = runs[0]?.history?.firstEpoch?.points ?? [];
    return first.map((p, i) => {
      const xs = runs.map((r) => r.history?.firstEpoch?.points[i]?.loss ?? Number.NaN);
      return { step: p.step, run: name, loss: xs.every(Number.isFinite) ? finite(mean(xs)) : null };
    });
  });
  return {
    title,
    values,
    x: { field: 'step', title: 'optimizer step in the first epoch' },
    y: { field: 'loss', title: 'training loss (mean over a window of steps)', ...(log ? { log: true } : {}) },
    series: { field: 'run', title: '' },
  };
}

// ---- the claims ----

/** 1. Input normalization. */
function normalization(c: ClaimRuns): Finding {
  const columns: Column[] = [
    { header: 'training loss, epoch 1', cell: (r) => loss(firstEpochLoss(r)) },
    { header: 'validation loss after epoch 1', cell: (r) => loss(r.epochs[0]?.val_loss) },
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
    for (const r of scaled) {
      checks++;
      const lower = orInfinity(firstEpochLoss(r), r) < orInfinity(firstEpochLoss(raw), raw);
      const better = (testAccuracy(r) ?? -1) > (diverged(raw) ? -1 : (testAccuracy(raw) ?? -1));
      if (lower && better) held++;
    }
    const label = optimizer === 'adam' ? 'Adam' : 'basic SGD';
    const rawText = diverged(raw)
      ? `diverged on raw pixels in epoch ${raw.epochs.length}`
      : `had a first-epoch loss of ${loss(firstEpochLoss(raw))} on raw pixels and ended at ${pct(testAccuracy(raw))}`;
    const scaledText = scaled
      .map((r) => `${loss(firstEpochLoss(r))} and ${outcome(r)} ${r.row.name.split(', ')[1]}`)
      .join(', ');
    const gain =
      !diverged(raw) && testAccuracy(raw) !== null && testAccuracy(scaled[0] as RunView) !== null
        ? ` (standardizing: ${points((testAccuracy(scaled[0] as RunView) as number) - (testAccuracy(raw) as number))} of test accuracy)`
        : '';
    parts.push(`${label} ${rawText}, against ${scaledText}${gain}`);
  }
  const status: VerdictStatus = held === checks ? 'held' : held === 0 ? 'did not hold' : 'partly held';
  const lead =
    status === 'held'
      ? 'Held: normalized inputs trained faster and ended better with both optimizers.'
      : status === 'partly held'
        ? `Partly held: normalized inputs beat raw pixels in ${held} of ${checks} comparisons (lower first-epoch loss and higher test accuracy).`
        : 'Did not hold: raw pixels did as well as normalized inputs.';
  return { status, sentence: `${lead} ${parts.join('; ')}.` };
}

/** 2. Batch, mini-batch and stochastic gradient descent. */
function batchSize(c: ClaimRuns): Finding {
  const updates = (r: RunView) => r.result?.stepsPerEpoch ?? r.summary?.history?.epochs[0]?.steps ?? null;
  const stepsPerSecond = (r: RunView) => r.summary?.stepsPerSecond ?? null;
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
  const chart: LineChart = {
    title: 'validation accuracy against training time',
    values: c.runs.flatMap((r) => {
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
  const notes = [
    `"Validation accuracy after ${secs(budget)}": the best validation accuracy of the epochs that ended within the shortest of the three runs' training times, so every row gets the same wall-clock budget (the initial weights' accuracy where no epoch ended by then).`,
  ];
  const verdict = missing(c) ?? batchVerdict(c, budget, updates, stepsPerSecond);
  return { columns, charts: [{ name: 'val-accuracy-vs-time', chart }], notes, verdict };
}

function batchVerdict(
  c: ClaimRuns,
  budget: number,
  updates: (r: RunView) => number | null,
  perSecond: (r: RunView) => number | null,
): Verdict {
  const [full, mini, one] = ['batch (55,000)', 'mini-batch (128)', 'stochastic (1)'].map(
    (n) => rowRuns(c, n)[0] as RunView,
  ) as [RunView, RunView, RunView];
  const at = (r: RunView) => accuracyAt(r, budget);
  const held = at(mini) > at(full) && at(mini) > at(one);
  const describe = (r: RunView, what: string) =>
    `${what} ${pct(at(r))} (${updates(r)} update${updates(r) === 1 ? '' : 's'} per epoch, ${perSecond(r)?.toFixed(1)} per second, ${secs(secondsPerEpoch(r))} per epoch; ${pct(r.summary?.bestValAccuracy)} at best after ${r.epochs.length} epochs in ${secs(trainSeconds(r))})`;
  const sentence = `${held ? 'Held' : 'Did not hold'}: within the same ${secs(budget)} of training, mini-batches of 128 reached ${describe(mini, '')}, full-batch gradient descent ${describe(full, '')} and batches of one ${describe(one, '')}.`;
  return { status: held ? 'held' : 'did not hold', sentence: sentence.replace(/ {2}/g, ' ') };
}

/** 3. Basic SGD, momentum, RMSprop and Adam, over seeds. */
function optimizers(c: ClaimRuns): Finding {
  const names = c.claim.rows.map((r) => r.name);
  const columns: Column[] = [{ header: 'training loss, epoch 1', cell: (r) => loss(firstEpochLoss(r)) }];
  const stats = names.map((name) => {
    const runs = rowRuns(c, name).filter(finished);
    const reached = runs.map((r) => r.summary?.history?.epochs.find((e) => e.val_accuracy >= 0.88)?.epoch ?? null);
    return {
      name,
      runs,
      firstLoss: runs.map(firstEpochLoss),
      test: runs.map(testAccuracy).filter((x): x is number => x !== null),
      bestVal: runs.map((r) => r.summary?.bestValAccuracy ?? Number.NaN),
      reached: reached.filter((x): x is number => x !== null),
      perEpoch: runs.map(secondsPerEpoch).filter((x): x is number => x !== null),
    };
  });
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
      s.reached.length === 0
        ? `never (0 of ${s.runs.length})`
        : `${mean(s.reached).toFixed(1)} (${s.reached.length} of ${s.runs.length})`,
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

function optimizersVerdict(stats: Array<{ name: string; firstLoss: number[]; test: number[] }>): Verdict {
  const by = (name: string) => stats.find((s) => s.name === name) as (typeof stats)[number];
  const sgd = by('sgd');
  const others = stats.filter((s) => s.name !== 'sgd');
  const beatSgd = others.filter((s) => mean(s.firstLoss) < mean(sgd.firstLoss) && mean(s.test) > mean(sgd.test));
  const fastest = [...stats].sort((a, b) => mean(a.firstLoss) - mean(b.firstLoss))[0] as (typeof stats)[number];
  const bestTest = [...stats].sort((a, b) => mean(b.test) - mean(a.test))[0] as (typeof stats)[number];
  const adamFastest = fastest.name === 'adam';
  const status: VerdictStatus =
    beatSgd.length === others.length && adamFastest ? 'held' : beatSgd.length === 0 ? 'did not hold' : 'partly held';
  const spreadNote = (a: (typeof stats)[number], b: (typeof stats)[number]) => {
    const gap = Math.abs(mean(a.test) - mean(b.test));
    const spread = Math.max(sd(a.test), sd(b.test));
    return gap > 2 * spread ? 'more than twice the spread over seeds' : 'within twice the spread over seeds';
  };
  const ranking = [...stats]
    .sort((a, b) => mean(b.test) - mean(a.test))
    .map((s) => `${s.name} ${pctSpread(s.test)}`)
    .join(', ');
  const lossRanking = [...stats]
    .sort((a, b) => mean(a.firstLoss) - mean(b.firstLoss))
    .map((s) => `${s.name} ${loss(mean(s.firstLoss))}`)
    .join(', ');
  const lead =
    status === 'held'
      ? `Held: momentum, RMSprop and Adam each trained faster and ended better than basic SGD, and Adam fell fastest in the first epoch.`
      : status === 'partly held'
        ? `Partly held: ${beatSgd.map((s) => s.name).join(' and ') || 'none'} beat basic SGD on both first-epoch loss and test accuracy${adamFastest ? ', and Adam fell fastest in the first epoch' : `, but ${fastest.name}, not Adam, fell fastest in the first epoch`}.`
        : 'Did not hold: basic SGD was not beaten on both first-epoch loss and test accuracy.';
  return {
    status,
    sentence: `${lead} First-epoch training loss (mean over seeds): ${lossRanking}. Test accuracy: ${ranking}; ${bestTest.name} leads SGD by ${points(mean(bestTest.test) - mean(sgd.test))}, ${spreadNote(bestTest, sgd)}.`,
  };
}

/** 4. Learning rate too high and too low. */
function learningRates(c: ClaimRuns): Finding {
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
  const finds = c.lrFinds.filter(
    (f): f is LrFindView & { result: NonNullable<LrFindView['result']> } => f.result !== null,
  );
  if (finds.length > 0) {
    charts.push({
      name: 'lr-find',
      chart: {
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
      },
    });
  }
  const notes = c.lrFinds.map(
    (f) =>
      `${f.row.name}: \`${f.command}\` ${f.result?.suggestion !== null && f.result?.suggestion !== undefined ? `suggested ${f.result.suggestion.learningRate} (${f.result.suggestion.rule}; minimum of the smoothed loss at ${f.result.minimum?.learningRate.toPrecision(3)})` : 'has not run'}.`,
  );
  const verdict = missing(c) ?? learningRateVerdict(c);
  return { columns, charts, notes, verdict };
}

function learningRateVerdict(c: ClaimRuns): Verdict {
  const parts: string[] = [];
  let highHeld = 0;
  let lowHeld = 0;
  const optimizers = [
    ['sgd', 'SGD', 'sgd 0.01 (chapter)', 'sgd 1 (100x)', 'sgd 0.0001 (1/100)', 'sgd, lr-find'],
    ['adam', 'Adam', 'adam 0.001 (chapter)', 'adam 0.1 (100x)', 'adam 0.00001 (1/100)', 'adam, lr-find'],
  ] as const;
  for (const [, label, chapterName, highName, lowName, findName] of optimizers) {
    const [chapter, high, low, found] = [chapterName, highName, lowName, findName].map(
      (n) => rowRuns(c, n)[0] as RunView,
    ) as [RunView, RunView, RunView, RunView];
    // Too high: it diverged, or its loss never came near the chapter rate's.
    const highBad = diverged(high) || orInfinity(finalLoss(high), high) > 2 * finalLoss(chapter);
    // Too low: after all its epochs it is still above where one epoch at the chapter's rate got.
    const lowSlow = finalLoss(low) > firstEpochLoss(chapter);
    if (highBad) highHeld++;
    if (lowSlow) lowHeld++;
    const highText = diverged(high)
      ? `diverged in epoch ${high.epochs.length}`
      : `ended with a training loss of ${loss(finalLoss(high))} (${loss(finalLoss(chapter))} at the chapter's rate) and ${pct(testAccuracy(high))} test accuracy`;
    parts.push(
      `${label} at 100 times its rate (${learningRate(high)}) ${highText}; at 1/100 (${learningRate(low)}) its training loss after ${low.epochs.length} epochs was ${loss(finalLoss(low))}, against ${loss(firstEpochLoss(chapter))} after one epoch at the chapter's rate (${pct(testAccuracy(low))} against ${pct(testAccuracy(chapter))} test accuracy); lr-find's rate ${learningRate(found)} gave ${outcome(found)}`,
    );
  }
  const status: VerdictStatus =
    highHeld === 2 && lowHeld === 2 ? 'held' : highHeld + lowHeld === 0 ? 'did not hold' : 'partly held';
  const lead =
    status === 'held'
      ? 'Held: both failure modes appeared for both optimizers.'
      : `${status === 'partly held' ? 'Partly held' : 'Did not hold'}: the rate 100 times too high failed for ${highHeld} of 2 optimizers and the rate 100 times too low was painfully slow for ${lowHeld} of 2.`;
  return { status, sentence: `${lead} ${parts.join('. ')}.` };
}

/** 5. Learning-rate decay. */
function decay(c: ClaimRuns): Finding {
  const lastSpread = (r: RunView) => {
    const last = r.epochs.slice(-5).map((e) => e.val_accuracy);
    return last.length === 0 ? Number.NaN : Math.max(...last) - Math.min(...last);
  };
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
        {
          log: true,
        },
      ),
    },
  ];
  const verdict = missing(c) ?? decayVerdict(c, lastSpread);
  return { columns, charts, notes: [], verdict };
}

function decayVerdict(c: ClaimRuns, lastSpread: (r: RunView) => number): Verdict {
  const [constant, ...decayed] = c.claim.rows.map((row) => rowRuns(c, row.name)[0] as RunView) as [
    RunView,
    ...RunView[],
  ];
  const better = decayed.filter(
    (r) => (testAccuracy(r) ?? 0) > (testAccuracy(constant) ?? 0) && lastSpread(r) <= lastSpread(constant),
  );
  const status: VerdictStatus =
    better.length === decayed.length ? 'held' : better.length === 0 ? 'did not hold' : 'partly held';
  const each = decayed
    .map(
      (r) =>
        `${r.row.name} ${pct(testAccuracy(r))} (${points((testAccuracy(r) ?? 0) - (testAccuracy(constant) ?? 0))}; last-5-epoch range ${(100 * lastSpread(r)).toFixed(2)} points)`,
    )
    .join(', ');
  const lead =
    status === 'held'
      ? 'Held: every decay schedule ended with a higher test accuracy and a steadier validation accuracy than the constant rate.'
      : status === 'partly held'
        ? `Partly held: ${better.map((r) => r.row.name).join(' and ')} ended higher and steadier than the constant rate, the other schedules did not.`
        : 'Did not hold: no decay schedule ended both higher and steadier than the constant rate.';
  return {
    status,
    sentence: `${lead} Constant rate: ${pct(testAccuracy(constant))} test accuracy, last-5-epoch validation range ${(100 * lastSpread(constant)).toFixed(2)} points; ${each}.`,
  };
}

/** 6. Batch normalization. */
function batchNorm(c: ClaimRuns): Finding {
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

function batchNormVerdict(c: ClaimRuns): Verdict {
  const pairs = c.claim.rows
    .filter((row) => !row.name.endsWith('batch norm'))
    .map((row) => ({
      name: row.name,
      plain: rowRuns(c, row.name)[0] as RunView,
      bn: rowRuns(c, `${row.name}, batch norm`)[0] as RunView,
    }));
  const sgd = pairs.filter((p) => p.name.startsWith('sgd'));
  const highest = sgd.at(-1) as (typeof pairs)[number];
  const score = (r: RunView) => (diverged(r) ? -1 : (testAccuracy(r) ?? -1));
  // Tolerates a higher rate: at the highest rate, BatchNorm trains where the plain MLP diverges or does worse.
  const tolerates = score(highest.bn) > score(highest.plain);
  // The best rate for each: BatchNorm's best SGD rate is at least as high.
  const bestRate = (pick: (p: (typeof pairs)[number]) => RunView) =>
    [...sgd].sort((a, b) => score(pick(b)) - score(pick(a)))[0]?.name ?? '';
  const each = pairs
    .map(
      (p) =>
        `${p.name}: ${outcome(p.plain)} without, ${outcome(p.bn)} with (${diverged(p.plain) || diverged(p.bn) ? 'a run diverged' : points((testAccuracy(p.bn) ?? 0) - (testAccuracy(p.plain) ?? 0))})`,
    )
    .join('; ');
  const faster = pairs.filter((p) => {
    const a = p.plain.summary?.history?.epochs.find((e) => e.val_accuracy >= 0.88)?.epoch ?? Number.POSITIVE_INFINITY;
    const b = p.bn.summary?.history?.epochs.find((e) => e.val_accuracy >= 0.88)?.epoch ?? Number.POSITIVE_INFINITY;
    return b < a || (b === a && b !== Number.POSITIVE_INFINITY && trainSeconds(p.bn) < trainSeconds(p.plain));
  });
  const status: VerdictStatus = tolerates ? 'held' : 'did not hold';
  return {
    status,
    sentence: `${tolerates ? 'Held' : 'Did not hold'}: at the highest rate (${highest.name}) the MLP ${diverged(highest.plain) ? 'diverged' : `reached ${pct(testAccuracy(highest.plain))}`} without BatchNormalization and ${diverged(highest.bn) ? 'diverged' : `reached ${pct(testAccuracy(highest.bn))}`} with it; SGD's best rate was ${bestRate((p) => p.plain)} without and ${bestRate((p) => p.bn)} with. Test accuracy per rate — ${each}. BatchNormalization reached 88% validation accuracy in fewer epochs in ${faster.length} of ${pairs.length} pairs; its epochs took ${secs(mean(pairs.map((p) => secondsPerEpoch(p.bn) ?? 0)))} against ${secs(mean(pairs.map((p) => secondsPerEpoch(p.plain) ?? 0)))}.`,
  };
}

/** 7. The EMA of the weights on the best configuration. */
function ema(c: ClaimRuns): Finding {
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
  const status: VerdictStatus = m > 0 ? 'held' : 'did not hold';
  return {
    status,
    sentence: `${m > 0 ? 'Held' : 'Did not hold'}: finishing with the moving average of the weights changed the test accuracy by ${points(m)} on average (${diffs.map(points).join(', ')} for seeds ${off.map((r) => r.seed).join(', ')}), ${pctSpread(on.map((r) => testAccuracy(r) ?? 0))} with it against ${pctSpread(off.map((r) => testAccuracy(r) ?? 0))} without${same ? '; the training curves with and without it are identical, as they should be' : '; the training curves differ, which they should not'}.`,
  };
}

export const FINDINGS: Readonly<Record<number, (c: ClaimRuns) => Finding>> = {
  1: normalization,
  2: batchSize,
  3: optimizers,
  4: learningRates,
  5: decay,
  6: batchNorm,
  7: ema,
};
