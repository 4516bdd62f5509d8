/**
 * "Beyond the chapter": every preset of the optimizer catalog on the chapter's MLP, a leaderboard the chapter does
 * not make. Each optimizer trains at three rates around its catalog default, lr0 / 3, lr0 and 3 lr0 (a factor of 3
 * is half a decade on a log scale: the classic 1-3-10 grid, wide enough to show a rate that is off by a few times,
 * narrow enough that the default stays in the middle), with seed 1; then its best rate (by best validation
 * accuracy, never the test set) trains with seeds 2 and 3 as well, once every grid run has finished. Runs are planned in that order: every default
 * first, then the lower rates, then the higher ones, then the extra seeds, so that a stopped leaderboard is useful.
 */
import { CATALOG } from '@opt/optimizers/catalog';
import type { Claim, ExperimentRow } from './plan.js';

/** The grid's factors on the catalog's default rate, in the order they are trained. */
export const RATE_FACTORS = [1, 1 / 3, 3] as const;
/** The grid's seed (claim 3's first). */
export const GRID_SEED = 1;
/** The seeds added at each optimizer's best rate, for a mean and a standard deviation over three. */
export const EXTRA_SEEDS = [2, 3] as const;
/** The length of a run: twice the chapter's 10, where the slower optimizers have caught up. */
export const BEYOND_EPOCHS = 20;

/** A rate of the grid, to 3 significant digits so that commands and row names read well: 0.001 / 3 = 0.000333. */
export const gridRate = (lr0: number, factor: number): number => Number((lr0 * factor).toPrecision(3));

/** `adam, lr 0.000333` */
export const rowName = (optimizer: string, rate: number): string => `${optimizer}, lr ${rate}`;

/** The optimizer a row trains. */
export const optimizerOf = (row: ExperimentRow): string => String(row.knobs.optimizer);
/** The learning rate a row trains at. */
export const rateOf = (row: ExperimentRow): number => Number(row.knobs.learningRate);

function gridRow(optimizer: string, rate: number, seeds: readonly number[]): ExperimentRow {
  return { name: rowName(optimizer, rate), knobs: { optimizer, learningRate: rate }, seeds };
}

/** Every optimizer's grid, factor by factor (all defaults first). */
export const GRID_ROWS: readonly ExperimentRow[] = RATE_FACTORS.flatMap((factor) =>
  CATALOG.map((e) => gridRow(e.name, gridRate(e.learningRate, factor), [GRID_SEED])),
);

/** A grid run as the follow-up sees it: its score is its best validation accuracy, -Infinity when it diverged. */
export interface GridScore {
  readonly row: ExperimentRow;
  /** Null while the run has not finished. */
  readonly score: number | null;
}

/**
 * The best rate of each optimizer whose three grid runs have all finished: the highest best validation accuracy,
 * the earlier rate of the grid on a tie; none when every rate diverged.
 */
export function bestRates(grid: readonly GridScore[]): Map<string, ExperimentRow> {
  const best = new Map<string, ExperimentRow>();
  for (const e of CATALOG) {
    const mine = grid.filter((g) => optimizerOf(g.row) === e.name);
    if (mine.length < RATE_FACTORS.length || mine.some((g) => g.score === null)) continue;
    const top = mine.reduce((a, b) => ((b.score as number) > (a.score as number) ? b : a));
    if (Number.isFinite(top.score)) best.set(e.name, top.row);
  }
  return best;
}

/**
 * The extra seeds at each best rate, in catalog order, planned once every grid run has finished: they join the
 * leaderboard's compare directory after the grid's entries, all at once, so that no run directory is renumbered.
 */
export function extraSeedRows(grid: readonly GridScore[]): ExperimentRow[] {
  if (grid.some((g) => g.score === null)) return [];
  return [...bestRates(grid).values()].map((row) => gridRow(optimizerOf(row), rateOf(row), EXTRA_SEEDS));
}

/** Runs the leaderboard plans in all: three rates and two extra seeds per optimizer. */
export const PLANNED_RUNS = CATALOG.length * (RATE_FACTORS.length + EXTRA_SEEDS.length);

/** The leaderboard as a claim of the plan: `pnpm experiments --only beyond`, section "Beyond the chapter". */
export const BEYOND: Claim = {
  id: 8,
  key: 'beyond',
  slug: 'beyond',
  title: 'Beyond the chapter',
  chapter:
    'Which optimizer wins on the chapter’s MLP? The chapter stops at SGD, momentum, RMSprop and Adam; the catalog of @opt/optimizers has every preset of Keras, PyTorch and optax. No reference publishes this leaderboard for this task.',
  setup: `Every preset of the catalog (${CATALOG.length}) with its defaults but the learning rate: lr0 / 3, lr0 and 3 lr0 around the catalog's default lr0 (rounded to 3 significant digits; a factor of 3 is half a decade, the 1-3-10 grid), seed ${GRID_SEED}, ${BEYOND_EPOCHS} epochs, the chapter's MLP and defaults otherwise (batches of 128, standardized inputs); then seeds ${EXTRA_SEEDS.join(' and ')} at each optimizer's best rate, chosen by best validation accuracy. ${PLANNED_RUNS} runs in all (${CATALOG.length * RATE_FACTORS.length} for the grid, ${CATALOG.length * EXTRA_SEEDS.length} for the seeds), trained in that order: every default first, then the lower rates, the higher rates and the extra seeds.`,
  base: { epochs: BEYOND_EPOCHS },
  rows: GRID_ROWS,
  followUp: extraSeedRows,
};
