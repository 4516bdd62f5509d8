/**
 * From the plan (plan.ts) to what runs: each claim becomes one compare (engine/plan.ts resolves and checks its
 * configs, engine/run-plan.ts trains them) in `<out>/<claim slug>/`, one run directory per row and seed, each
 * with the `opt train` command that trains exactly that config into it. Rows that train at the rate `opt lr-find`
 * suggests get it from an lr-find directory beside the runs.
 */
import { join, relative } from 'node:path';
import { flagsFor, trainCommand } from '../config/command-line.js';
import { KNOBS, type KnobKey, type TrainConfig } from '../config/knobs.js';
import { inputFromObject, resolveConfig, sameValue } from '../config/resolve.js';
import { runDirectories } from '../engine/compare-dir.js';
import { type PlannedEntry, planFromContent } from '../engine/plan.js';
import { slug } from '../run/naming.js';
import { RunDir } from '../run/run-dir.js';
import type { RunResult } from '../run/train-run.js';
import { BASE, type Claim, type ExperimentRow, LR_FIND, QUICK } from './plan.js';

export interface ExpandOptions {
  /** The root of the experiments' run directories. */
  readonly out: string;
  readonly quick: boolean;
  /** Commands name run directories relative to this directory (where `pnpm experiments` runs). */
  readonly cwd: string;
}

/** One planned run: a compare entry with the row and seed it measures. */
export interface PlannedRun extends PlannedEntry {
  readonly row: ExperimentRow;
  readonly seed: number | null;
  /** The run directory, absolute. */
  readonly runDir: string;
  readonly command: readonly string[];
}

export const claimDir = (options: Pick<ExpandOptions, 'out'>, claim: Claim): string => join(options.out, claim.slug);

/** `adam, seed 2` for a row run with several seeds, else the row's name. */
export function labelOf(row: ExperimentRow, seed: number | null): string {
  return seed === null ? row.name : `${row.name}, seed ${seed}`;
}

/** The seeds a row runs with: its own (the first only with --quick), else the base's (null). */
export function seedsOf(row: ExperimentRow, quick: boolean): Array<number | null> {
  if (row.seeds === undefined || row.seeds.length === 0) return [null];
  return quick ? [row.seeds[0] as number] : [...row.seeds];
}

function baseKnobs(quick: boolean): Record<string, unknown> {
  return quick ? { ...BASE, perClass: QUICK.perClass } : { ...BASE };
}

/** The knobs lr-find sweeps itself, left out of its command. */
const SWEPT: readonly KnobKey[] = KNOBS.filter(
  (k) => k.group === 'schedule' || k.key === 'learningRate' || k.key === 'epochs' || k.key === 'patience',
).map((k) => k.key);

/** An lr-find that a row's rate comes from. */
export interface LrFindJob {
  readonly row: ExperimentRow;
  /** Where lr-find writes lr-find.json and its chart. */
  readonly dir: string;
  readonly config: TrainConfig;
  readonly steps: number;
  /** `lr-find --optimizer sgd ... --out DIR --json` (the arguments after `opt`). */
  readonly args: readonly string[];
}

/** The lr-find runs a claim needs before its compare can be planned. */
export function lrFindJobs(claim: Claim, options: ExpandOptions): LrFindJob[] {
  return claim.rows
    .filter((row) => row.lrFind === true)
    .map((row) => {
      const where = `experiments plan: claim ${claim.id}, row "${row.name}"`;
      const { learningRate: _swept, ...knobs } = { ...baseKnobs(options.quick), ...claim.base, ...row.knobs };
      const config = resolveConfig(inputFromObject(knobs, where)).config;
      const dir = join(claimDir(options, claim), `lr-find-${slug(row.name, Number.POSITIVE_INFINITY)}`);
      const steps = options.quick ? QUICK.lrFindSteps : LR_FIND.steps;
      return {
        row,
        dir,
        config,
        steps,
        args: [
          'lr-find',
          ...flagsFor(config, SWEPT),
          '--steps',
          String(steps),
          '--out',
          relative(options.cwd, dir) || '.',
        ],
      };
    });
}

/**
 * The runs of one claim, in the plan's order, resolved and checked as one compare. `rates` gives the learning
 * rate of each lr-find row (by row name); a claim with such rows cannot be planned without them.
 */
export function expandClaim(
  claim: Claim,
  options: ExpandOptions,
  rates: ReadonlyMap<string, number> = new Map(),
  /** Plan an lr-find row whose lr-find has not run at the preset's rate (to name its directory in a report). */
  allowMissingRates = false,
): PlannedRun[] {
  const rows = rowsOf(claim, options, rates).flatMap((row) =>
    seedsOf(row, options.quick).map((seed) => ({ row, seed })),
  );
  const configs = rows.map(({ row, seed }) => {
    const rate = rates.get(row.name);
    if (row.lrFind === true && rate === undefined && !allowMissingRates) {
      throw new Error(`claim ${claim.id}, row "${row.name}": its learning rate comes from lr-find, which has not run.`);
    }
    return {
      name: labelOf(row, seed),
      ...row.knobs,
      ...(seed !== null ? { seed } : {}),
      ...(rate !== undefined ? { learningRate: rate } : {}),
    };
  });
  const where = `experiments plan: claim ${claim.id} (${claim.title})`;
  const base = inputFromObject(baseKnobs(options.quick), 'experiments plan: base');
  const planned = planFromContent(base, { base: claim.base, configs }, { where, source: where }).map((entry) =>
    options.quick
      ? { ...entry, config: { ...entry.config, epochs: Math.min(entry.config.epochs, QUICK.epochs) } }
      : entry,
  );
  const dir = claimDir(options, claim);
  const dirs = runDirectories(planned);
  return planned.map((entry, i) => {
    const runDir = join(dir, dirs[i]?.runDir as string);
    const { row, seed } = rows[i] as { row: ExperimentRow; seed: number | null };
    return {
      ...entry,
      row,
      seed,
      runDir,
      command: trainCommand(entry.config, ['--out', relative(options.cwd, runDir)]),
    };
  });
}

/**
 * A claim's rows: its own, then those its follow-up plans from its finished runs, read from their directories (a
 * finished run scores its best validation accuracy, a diverged one -Infinity, any other null).
 */
function rowsOf(claim: Claim, options: ExpandOptions, rates: ReadonlyMap<string, number>): readonly ExperimentRow[] {
  if (claim.followUp === undefined) return claim.rows;
  const { followUp, ...own } = claim;
  const grid = expandClaim(own, options, rates, true).map((planned) => {
    const dir = new RunDir(planned.runDir);
    const result = dir.readJson<RunResult>('result.json');
    const record = dir.record();
    const same = record !== null && result !== null && sameValue(record.config, planned.config);
    const score =
      !same || result.status === 'interrupted'
        ? null
        : result.status === 'diverged'
          ? Number.NEGATIVE_INFINITY
          : (result.best?.val_accuracy ?? null);
    return { row: planned.row, score };
  });
  return [...claim.rows, ...followUp(grid)];
}
