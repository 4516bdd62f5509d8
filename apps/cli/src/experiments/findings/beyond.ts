/**
 * The leaderboard beyond the chapter (beyond-plan.ts): per optimizer of the catalog, its best rate of the grid
 * (by best validation accuracy at the grid's seed), the test accuracy there over its seeds, how fast it reached
 * 88% validation accuracy, its time per epoch, the optimizer state it allocated per weight, and how much its test
 * accuracy moved over the grid. Rows whose runs have not all finished say so; the order is then provisional.
 */
import { CATALOG } from '@opt/optimizers/catalog';
import { toTarget } from '../../run/summary.js';
import {
  BEYOND_EPOCHS,
  EXTRA_SEEDS,
  GRID_SEED,
  gridRate,
  PLANNED_RUNS,
  RATE_FACTORS,
  rowName,
} from '../beyond-plan.js';
import { TARGET } from '../plan.js';
import { type ClaimRuns, finished, type RunView, rowRuns } from '../runs.js';
import { meanPerEpoch } from './charts.js';
import { pct, pctSpread, secs } from './format.js';
import { secondsPerEpoch, testAccuracy, trainSeconds } from './measures.js';
import { mean } from './stats.js';
import type { Finding } from './types.js';

/** The test accuracy a diverged run counts for in the spread over the grid: chance, one class in ten. */
export const CHANCE = 0.1;
/** Optimizers in the chart of validation accuracy per epoch. */
export const CHART_TOP = 5;
const RUNS_PER_OPTIMIZER = RATE_FACTORS.length + EXTRA_SEEDS.length;

/** One optimizer's line of the leaderboard. */
export interface Standing {
  readonly optimizer: string;
  /** The catalog's default rate. */
  readonly lr0: number;
  /** The grid's runs (seed GRID_SEED), rate by rate in the grid's order; undefined where none is planned. */
  readonly grid: ReadonlyArray<{ readonly rate: number; readonly run: RunView | undefined }>;
  /** The rate with the highest best validation accuracy among the finished grid runs; null if none trained. */
  readonly bestRate: number | null;
  /** True when the grid has not finished: the best rate may change. */
  readonly provisional: boolean;
  /** Test accuracy of each finished seed at the best rate. */
  readonly test: readonly number[];
  /** Seeds at the best rate that diverged: no test accuracy, so not in `test`'s mean. */
  readonly diverged: number;
  /** Per finished seed at the best rate: the first epoch with validation accuracy ≥ TARGET and the time to it. */
  readonly reach: ReadonlyArray<{ readonly epochs: number | null; readonly seconds: number | null }>;
  /** Mean seconds per epoch over the optimizer's finished runs (validation pass included). */
  readonly secondsPerEpoch: number | null;
  /** Optimizer state values / model weight values in a checkpoint: the floats it allocated per weight. */
  readonly floatsPerWeight: number | null;
  /** max − min test accuracy over the three grid rates (a diverged rate counts as CHANCE); null until all ran. */
  readonly spread: number | null;
  /** Runs finished, of RUNS_PER_OPTIMIZER planned. */
  readonly finished: number;
  /** Runs that failed or are stale, with their state. */
  readonly problems: readonly string[];
}

const optimizerRuns = (c: ClaimRuns, optimizer: string): RunView[] =>
  c.runs.filter((r) => r.row.knobs.optimizer === optimizer);

/** Best validation accuracy of a finished run; -Infinity for a diverged one (never the best rate). */
const score = (r: RunView): number =>
  r.state === 'diverged' ? Number.NEGATIVE_INFINITY : (r.summary?.bestValAccuracy ?? Number.NEGATIVE_INFINITY);

/** The standing of one catalog preset from the claim's runs. */
export function standing(c: ClaimRuns, optimizer: string, lr0: number): Standing {
  const mine = optimizerRuns(c, optimizer);
  const grid = RATE_FACTORS.map((factor) => {
    const rate = gridRate(lr0, factor);
    return { rate, run: mine.find((r) => r.seed === GRID_SEED && r.row.name === rowName(optimizer, rate)) };
  });
  const done = grid.filter((g) => g.run !== undefined && finished(g.run));
  const top = done.reduce<(typeof done)[number] | null>(
    (a, b) => (a === null || score(b.run as RunView) > score(a.run as RunView) ? b : a),
    null,
  );
  const bestRate = top !== null && Number.isFinite(score(top.run as RunView)) ? top.rate : null;
  const atBest = bestRate === null ? [] : rowRuns(c, rowName(optimizer, bestRate)).filter(finished);
  const test = atBest.map(testAccuracy).filter((x): x is number => x !== null);
  const withFloats = mine.find((r) => r.floats != null && r.floats.model > 0);
  const perEpoch = mine
    .filter(finished)
    .map(secondsPerEpoch)
    .filter((x): x is number => x !== null);
  const gridTest = done.map((g) => testAccuracy(g.run as RunView) ?? CHANCE);
  return {
    optimizer,
    lr0,
    grid,
    bestRate,
    provisional: done.length < RATE_FACTORS.length,
    test,
    diverged: atBest.filter((r) => r.state === 'diverged').length,
    reach: atBest.filter((r) => testAccuracy(r) !== null).map((r) => toTarget(r.epochs, TARGET)),
    secondsPerEpoch: perEpoch.length > 0 ? mean(perEpoch) : null,
    floatsPerWeight: withFloats?.floats != null ? withFloats.floats.optimizer / withFloats.floats.model : null,
    spread: done.length === RATE_FACTORS.length ? Math.max(...gridTest) - Math.min(...gridTest) : null,
    finished: mine.filter(finished).length,
    problems: mine
      .filter((r) => r.state === 'failed' || r.state === 'stale')
      .map((r) => `${r.label}: ${r.state}${r.summary?.message ? ` (${r.summary.message})` : ''}`),
  };
}

/** Every catalog preset's standing, best mean test accuracy first; those without one last, in catalog order. */
export function leaderboard(c: ClaimRuns): Standing[] {
  const all = CATALOG.map((e) => standing(c, e.name, e.learningRate));
  const key = (s: Standing) => (s.test.length > 0 ? mean(s.test) : Number.NEGATIVE_INFINITY);
  return all
    .map((s, i) => ({ s, i }))
    .sort((a, b) => key(b.s) - key(a.s) || a.i - b.i)
    .map(({ s }) => s);
}

/** "6" when every seed reached the target, "7 (2 of 3 seeds)" when some did, "not reached" when none did. */
export function reachCell(s: Standing, field: 'epochs' | 'seconds'): string {
  if (s.reach.length === 0) return '-';
  const got = s.reach.map((r) => r[field]).filter((x): x is number => x !== null);
  if (got.length === 0) return 'not reached';
  const value = field === 'epochs' ? mean(got).toFixed(got.length > 1 ? 1 : 0) : secs(mean(got));
  return got.length === s.reach.length ? value : `${value} (${got.length} of ${s.reach.length} seeds)`;
}

/** Which grid rate won: "0.001 (lr0)", "0.000333 (lr0 / 3)", "0.003 (3 lr0)". */
function rateCell(s: Standing): string {
  if (s.bestRate === null) return '-';
  const at = s.grid.findIndex((g) => g.rate === s.bestRate);
  const factor = RATE_FACTORS[at];
  const which = factor === 1 ? 'lr0' : factor !== undefined && factor < 1 ? `lr0 / ${1 / factor}` : `${factor} lr0`;
  return `${s.bestRate} (${which}${s.provisional ? ', provisional' : ''})`;
}

function statusCell(s: Standing): string {
  return s.finished === RUNS_PER_OPTIMIZER ? 'complete' : `incomplete: ${s.finished} of ${RUNS_PER_OPTIMIZER} runs`;
}

/**
 * "89.00 ± 1.00% (3 seeds)", or "95.00% (1 seed)": no standard deviation of one value. Seeds that diverged at that
 * rate are named, since the mean is of the others: "87.88 ± 0.52% (2 seeds; 1 more diverged)".
 */
export const accuracyCell = (test: readonly number[], diverged = 0): string => {
  const seeds = test.length === 1 ? '1 seed' : `${test.length} seeds`;
  const more = diverged > 0 ? `; ${diverged} more diverged` : '';
  return `${test.length === 1 ? pct(test[0]) : pctSpread(test)} (${seeds}${more})`;
};

const HEADERS = [
  'rank',
  'optimizer',
  'best rate',
  'test accuracy at it (seeds)',
  `epochs to ${pct(TARGET, 0)} validation`,
  `time to ${pct(TARGET, 0)}`,
  'time per epoch',
  'state floats per weight',
  'spread over the grid',
  'runs',
];

function rowOf(s: Standing, rank: number): string[] {
  return [
    s.test.length > 0 ? String(rank) : '-',
    s.optimizer,
    rateCell(s),
    s.test.length > 0 ? accuracyCell(s.test, s.diverged) : '-',
    reachCell(s, 'epochs'),
    reachCell(s, 'seconds'),
    secs(s.secondsPerEpoch),
    s.floatsPerWeight === null ? '-' : s.floatsPerWeight.toFixed(2),
    s.spread === null ? '-' : `${(100 * s.spread).toFixed(2)} points`,
    statusCell(s),
  ];
}

/** How many runs finished and what they cost, and the rest at that pace with one worker process. */
function costNote(c: ClaimRuns): string {
  const done = c.runs.filter(finished);
  const train = done.reduce((t, r) => t + trainSeconds(r), 0);
  const per = done.length > 0 ? train / done.length : null;
  const left = PLANNED_RUNS - done.length;
  return `**Design and cost.** ${PLANNED_RUNS} runs planned: ${CATALOG.length} optimizers × ${RATE_FACTORS.length} rates at seed ${GRID_SEED} (${CATALOG.length * RATE_FACTORS.length}), then seeds ${EXTRA_SEEDS.join(' and ')} at each best rate (${CATALOG.length * EXTRA_SEEDS.length}), instead of 3 seeds everywhere (${CATALOG.length * RATE_FACTORS.length * 3}): the seeds measure the spread of the winner's accuracy, the grid only has to find it. **${done.length} of ${PLANNED_RUNS} runs have finished** (${c.runs.length} planned so far: the extra seeds are planned once every grid run has finished). ${per === null ? 'None has finished yet.' : `Their training took ${secs(train)}, ${secs(per)} per run of ${BEYOND_EPOCHS} epochs on average (one thread each, on 2 cores shared with other jobs)${left > 0 ? `; the ${left} left take about ${((left * per) / 3600).toFixed(1)} hours more of one core at that pace` : ''}.`} \`pnpm experiments --only beyond\` trains what is missing through the engine \`opt sweep\` and \`opt compare\` run locally (complete runs are kept), then rewrites this section. ${ARCHIVE}`;
}

/** Where the finished runs' records travel between machines (their weights stay behind). */
const ARCHIVE =
  'The finished runs’ records (config, history, result, status and the checkpoints’ model.json, without weights or charts) are committed as `docs/experiments/beyond-runs.tar.gz`: `mkdir -p runs/experiments && tar xzf docs/experiments/beyond-runs.tar.gz -C runs/experiments` first, and the same command continues from them on another machine.';

const READING =
  '**How to read it.** Best rate: the grid rate with the highest best validation accuracy at seed 1 (the test set picks nothing). Test accuracy: that of the weights each run ends with, mean ± sample standard deviation over the seeds that finished at the best rate (their number in brackets). Epochs and time to 88%: the first epoch whose validation accuracy reached 88% (the runs record validation accuracy per epoch, test accuracy only at the end) and the training time to its end, mean over the seeds that reached it. Time per epoch: mean over the optimizer’s finished runs, validation pass included, on a loaded machine: compare within this table only. State floats per weight: the values of the optimizer’s state in the last checkpoint over the model’s weights, so what the optimizer allocated (Adafactor’s factored rows and columns and Muon’s AdamW-updated biases give fractions). Spread over the grid: max − min test accuracy over the three rates at seed 1, a diverged rate counting as 10% (chance); it is the sensitivity to the rate, over a factor of 9.';

const NOT_ON_BOARD =
  'Every preset of the catalog is on the board: none is a wrapper. Lookahead and the loss-scale optimizer wrap a preset (`opt train --lookahead`, `--loss-scale`) and are not catalog entries, so they are not ranked here.';

/**
 * Why Keras's Ftrl stays at chance on this MLP: its linear accumulator z starts at 0 and each step sets the weight
 * from it, w1 = -z1 lr / sqrt(n1) with z1 = g - (sqrt(n1) - sqrt(n0)) / lr w0, so w1 = w0 (1 - sqrt(n0 / n1)) -
 * lr g / sqrt(n1): the first step shrinks the initial weights to a few percent of themselves.
 */
export const FTRL_NOTE =
  '**Why Ftrl sits at chance.** Keras’s Ftrl (as TensorFlow’s, for sparse linear models started at zero) sets each weight from its linear accumulator z, which starts at 0: after the first step w = w0 (1 − √(n0 / n1)) − lr g / √n1, with n the squared-gradient accumulator (0.1 at the start). With n1 close to n0 the first step shrinks the Glorot-initialized weights to a few percent of themselves (w0 = 1, g = 0.1 give 0.046; @opt/optimizers matches this closed form), and the deep ReLU network does not recover. It is Keras’s arithmetic, not a bug; Ftrl is meant for wide linear models.';

/** An optimizer whose every finished run ends near chance (10 classes): at most 15% test accuracy. */
export const atChance = (s: Standing): boolean =>
  s.grid.some((g) => g.run !== undefined && finished(g.run)) &&
  s.grid.every((g) => g.run === undefined || !finished(g.run) || (testAccuracy(g.run) ?? 0.1) <= 0.15);

/** The leaderboard's table, chart, notes and a one-sentence summary. */
export function beyond(c: ClaimRuns): Finding {
  const board = leaderboard(c);
  const ranked = board.filter((s) => s.test.length > 0);
  const done = c.runs.filter(finished).length;
  const problems = board.flatMap((s) => s.problems);
  // Why an optimizer has no rank or a rate no score: the run's own message (the step and weight that went non-finite).
  const diverged = c.runs
    .filter((r) => r.state === 'diverged')
    .map((r) => `${r.label}${r.summary?.message ? ` (${r.summary.message.replace(/\.$/, '')})` : ''}`);
  const top = ranked.slice(0, CHART_TOP).map((s) => rowName(s.optimizer, s.bestRate as number));
  const chart = meanPerEpoch(
    c,
    top,
    `Validation accuracy per epoch of the top ${top.length}, each at its best rate (mean over its seeds)`,
    'validation accuracy',
    (e) => e.val_accuracy,
  );
  const notes = [
    costNote(c),
    READING,
    NOT_ON_BOARD,
    ...(board.some((s) => s.optimizer === 'ftrl' && atChance(s)) ? [FTRL_NOTE] : []),
    ...(problems.length > 0 ? [`Runs that did not train: ${problems.join('; ')}.`] : []),
    ...(diverged.length > 0 ? [`Runs that diverged (a result, kept in the spread): ${diverged.join('; ')}.`] : []),
  ];
  const summary = { headers: HEADERS, rows: board.map((s, i) => rowOf(s, i + 1)) };
  if (ranked.length === 0) {
    return {
      columns: [],
      summary,
      charts: [],
      notes,
      verdict: {
        status: 'not measured',
        sentence: `Not measured yet: ${done} of ${PLANNED_RUNS} runs have finished; \`pnpm experiments --only beyond\` trains them.`,
      },
    };
  }
  return {
    columns: [],
    summary,
    charts: [{ name: 'top-validation-accuracy', chart }],
    notes,
    verdict: { status: done === PLANNED_RUNS ? 'measured' : 'partly measured', sentence: sentence(ranked, done) },
  };
}

/** "adam leads: 89.10 ± 0.20% at lr 0.001 (3 seeds), ahead of nadam (…); 12 of 105 runs finished, …" */
export function sentence(ranked: readonly Standing[], done: number): string {
  const at = (s: Standing) => `${accuracyCell(s.test, s.diverged)} at lr ${s.bestRate}`;
  const [first, second] = ranked as [Standing, Standing | undefined];
  const adam = ranked.findIndex((s) => s.optimizer === 'adam');
  const partial = done < PLANNED_RUNS || ranked.some((s) => s.provisional);
  return [
    `${first.optimizer} leads with ${at(first)}`,
    second !== undefined ? `, ahead of ${second.optimizer} with ${at(second)}` : '',
    adam > 0 ? `; the chapter’s Adam ranks ${adam + 1} of ${ranked.length}` : '',
    `; ${done} of ${PLANNED_RUNS} runs finished`,
    partial ? ', so the order is provisional.' : '.',
  ].join('');
}
