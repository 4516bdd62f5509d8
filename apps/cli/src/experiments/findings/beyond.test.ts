/**
 * The leaderboard beyond the chapter, without training: the plan's expansion (how many runs, in which order, the
 * extra seeds planned from finished grid runs read from their directories) and the findings on made-up run views
 * whose numbers are round enough to check by hand.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CATALOG } from '@opt/optimizers/catalog';
import { afterEach, describe, expect, it } from 'vitest';
import { RunDir } from '../../run/run-dir.js';
import type { EpochEntry } from '../../run/train-run.js';
import { BEYOND, extraSeedRows, type GridScore, gridRate, PLANNED_RUNS, rowName } from '../beyond-plan.js';
import { expandClaim } from '../expand.js';
import type { ExperimentRow } from '../plan.js';
import { checkpointFloats, type RunView } from '../runs.js';
import { accuracyCell, atChance, beyond, FTRL_NOTE, leaderboard, reachCell, standing } from './beyond.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'opt-beyond-'));
  dirs.push(dir);
  return dir;
}

const n = CATALOG.length;
const lr0 = (name: string) => CATALOG.find((e) => e.name === name)?.learningRate as number;

describe('the plan', () => {
  it('rounds the grid rates to 3 significant digits', () => {
    expect(gridRate(0.001, 1 / 3)).toBe(0.000333);
    expect(gridRate(0.001, 3)).toBe(0.003);
    expect(gridRate(0.0025, 1 / 3)).toBe(0.000833);
    expect(gridRate(1, 1 / 3)).toBe(0.333);
  });

  it('plans 3 rates per preset, every default first, then lr0 / 3, then 3 lr0, on the chapter’s MLP', () => {
    const out = scratch();
    const runs = expandClaim(BEYOND, { out, quick: false, cwd: out });
    expect(runs).toHaveLength(3 * n);
    expect(PLANNED_RUNS).toBe(5 * n);
    const expected = [1, 1 / 3, 3].flatMap((f) => CATALOG.map((e) => [e.name, gridRate(e.learningRate, f)]));
    expect(runs.map((r) => [r.config.optimizer, r.config.learningRate])).toEqual(expected);
    for (const r of runs) {
      expect(r.config).toMatchObject({ epochs: 20, batchSize: 128, normalize: 'standardize', seed: 1 });
      expect(r.config.batchNorm).toBe(false);
    }
  });

  const score = (row: ExperimentRow, s: number | null): GridScore => ({ row, score: s });
  const gridOf = (name: string) => BEYOND.rows.filter((r) => r.knobs.optimizer === name);

  it('adds seeds 2 and 3 at each best validation accuracy once every grid run has finished', () => {
    const [adam1, adamThird, adam3] = gridOf('adam') as [ExperimentRow, ExperimentRow, ExperimentRow];
    const [sgd1, sgdThird, sgd3] = gridOf('sgd') as [ExperimentRow, ExperimentRow, ExperimentRow];
    const [lion1, lionThird, lion3] = gridOf('lion') as [ExperimentRow, ExperimentRow, ExperimentRow];
    const [nadam1, nadamThird, nadam3] = gridOf('nadam') as [ExperimentRow, ExperimentRow, ExperimentRow];
    const grid = (sgdThirdScore: number | null) => [
      score(adam1, 0.85),
      score(adamThird, 0.87),
      score(adam3, 0.86),
      score(sgd1, 0.8),
      score(sgdThird, sgdThirdScore),
      score(sgd3, 0.81),
      // Every rate diverged: nothing to add seeds to.
      score(lion1, Number.NEGATIVE_INFINITY),
      score(lionThird, Number.NEGATIVE_INFINITY),
      score(lion3, Number.NEGATIVE_INFINITY),
      // A tie goes to the earlier rate of the grid, the default.
      score(nadam1, 0.86),
      score(nadamThird, 0.86),
      score(nadam3, Number.NEGATIVE_INFINITY),
    ];
    // One grid run still training: no extra seeds yet, for anyone.
    expect(extraSeedRows(grid(null))).toEqual([]);
    expect(extraSeedRows(grid(0.79))).toEqual([
      { name: 'sgd, lr 0.03', knobs: { optimizer: 'sgd', learningRate: 0.03 }, seeds: [2, 3] },
      { name: 'adam, lr 0.000333', knobs: { optimizer: 'adam', learningRate: 0.000333 }, seeds: [2, 3] },
      { name: 'nadam, lr 0.001', knobs: { optimizer: 'nadam', learningRate: 0.001 }, seeds: [2, 3] },
    ]);
  });

  it('reads the grid from the run directories and plans the extra seeds after it', () => {
    const out = scratch();
    const grid = expandClaim(BEYOND, { out, quick: false, cwd: out });
    // Every grid run finished, adam's best validation accuracy at 3 lr0 and every other optimizer diverged.
    for (const r of grid) {
      const adam = r.config.optimizer === 'adam';
      mkdirSync(r.runDir, { recursive: true });
      writeFileSync(join(r.runDir, 'config.json'), JSON.stringify({ config: r.config }));
      const result = adam
        ? { status: 'complete', best: { val_accuracy: r.config.learningRate } }
        : { status: 'diverged' };
      writeFileSync(join(r.runDir, 'result.json'), JSON.stringify(result));
    }
    const planned = expandClaim(BEYOND, { out, quick: false, cwd: out });
    expect(planned).toHaveLength(3 * n + 2);
    expect(planned.slice(3 * n).map((r) => [r.label, r.config.learningRate, r.config.seed])).toEqual([
      ['adam, lr 0.003, seed 2', 0.003, 2],
      ['adam, lr 0.003, seed 3', 0.003, 3],
    ]);
    // A stale directory (another config) does not count: that run is not finished, so no extra seeds yet.
    const first = grid.find((r) => r.config.optimizer === 'adam') as (typeof grid)[number];
    writeFileSync(join(first.runDir, 'config.json'), JSON.stringify({ config: { ...first.config, epochs: 1 } }));
    expect(expandClaim(BEYOND, { out, quick: false, cwd: out })).toHaveLength(3 * n);
  });
});

describe('state floats per weight', () => {
  it('counts the values of the model and of the optimizer state in the last checkpoint', () => {
    const dir = scratch();
    expect(checkpointFloats(new RunDir(dir))).toBeNull();
    const layers = [
      ['dense/kernel', [784, 256]],
      ['dense/bias', [256]],
      ['dense_1/kernel', [256, 128]],
      ['dense_1/bias', [128]],
      ['dense_2/kernel', [128, 10]],
      ['dense_2/bias', [10]],
    ] as const;
    const weights = [
      ...layers.map(([name, shape]) => ({ name: `model/${name}`, shape })),
      // Adam's two slots per weight, and one scalar (shape []: one value).
      ...layers.flatMap(([name, shape], i) =>
        ['momentum', 'velocity'].map((slot, k) => ({ name: `optimizer/${2 * i + k}/${i}/${name}/${slot}`, shape })),
      ),
      { name: 'optimizer/12/step', shape: [] },
    ];
    mkdirSync(join(dir, 'checkpoints', 'last'), { recursive: true });
    writeFileSync(join(dir, 'checkpoints', 'last', 'model.json'), JSON.stringify({ weights }));
    // 784·256 + 256 + 256·128 + 128 + 128·10 + 10 = 235,146 weights; twice that and one for the optimizer.
    expect(checkpointFloats(new RunDir(dir))).toEqual({ model: 235_146, optimizer: 470_293 });
  });
});

interface Spec {
  optimizer: string;
  rate: number;
  seed: number;
  test?: number;
  diverged?: boolean;
  val?: number[];
  seconds?: number;
  floats?: { model: number; optimizer: number };
  state?: string;
}

/** A run view of the leaderboard: `val` per epoch, each epoch `seconds` long. */
function view(spec: Spec): RunView {
  const name = rowName(spec.optimizer, spec.rate);
  const row = { name, knobs: { optimizer: spec.optimizer, learningRate: spec.rate }, seeds: [spec.seed] };
  const val = spec.val ?? [0.8, 0.85, 0.87];
  const epochs: EpochEntry[] = val.map((v, i) => ({
    epoch: i + 1,
    loss: 1 / (i + 1),
    accuracy: v,
    val_loss: 1 / (i + 1),
    val_accuracy: v,
    learning_rate: spec.rate,
    seconds: spec.seconds ?? 10,
    steps: 430,
  }));
  const state = spec.state ?? (spec.diverged === true ? 'diverged' : 'complete');
  const best = Math.max(...val);
  return {
    row,
    seed: spec.seed,
    label: `${name}, seed ${spec.seed}`,
    dir: `runs/x/${name}`,
    command: 'opt train',
    state,
    summary: {
      bestValAccuracy: best,
      bestEpoch: val.indexOf(best) + 1,
      message: null,
    } as unknown as RunView['summary'],
    result: {
      test: spec.diverged === true ? null : { loss: 0.3, accuracy: spec.test ?? 0.85 },
    } as unknown as RunView['result'],
    history: null,
    epochs,
    floats: spec.floats ?? { model: 100, optimizer: 200 },
  };
}

const claimRuns = (runs: RunView[]) => ({ claim: BEYOND, runs, lrFinds: [] });

/** adam: 3 lr0 wins on validation (0.9), test 0.88, 0.89, 0.90 over seeds 1 to 3; lr0 / 3 diverged. */
function adamRuns(): RunView[] {
  return [
    view({ optimizer: 'adam', rate: 0.001, seed: 1, test: 0.86, val: [0.8, 0.85, 0.87] }),
    view({ optimizer: 'adam', rate: 0.000333, seed: 1, diverged: true, val: [0.1] }),
    view({ optimizer: 'adam', rate: 0.003, seed: 1, test: 0.88, val: [0.8, 0.88, 0.9], seconds: 20 }),
    view({ optimizer: 'adam', rate: 0.003, seed: 2, test: 0.89, val: [0.88, 0.89, 0.9], seconds: 20 }),
    view({ optimizer: 'adam', rate: 0.003, seed: 3, test: 0.9, val: [0.8, 0.85, 0.87], seconds: 20 }),
  ];
}

describe('the leaderboard', () => {
  it('explains Ftrl when every finished run of it ends at chance, and not otherwise', () => {
    const ftrl = (test: number) => [
      view({ optimizer: 'ftrl', rate: 0.001, seed: 1, test: 0.1, val: [0.1, 0.1, 0.1] }),
      view({ optimizer: 'ftrl', rate: 0.003, seed: 1, test, val: [0.1, 0.1, test] }),
    ];
    expect(atChance(standing(claimRuns(ftrl(0.1)), 'ftrl', lr0('ftrl')))).toBe(true);
    expect(beyond(claimRuns([...adamRuns(), ...ftrl(0.1)])).notes).toContain(FTRL_NOTE);
    expect(atChance(standing(claimRuns(ftrl(0.6)), 'ftrl', lr0('ftrl')))).toBe(false);
    expect(beyond(claimRuns([...adamRuns(), ...ftrl(0.6)])).notes).not.toContain(FTRL_NOTE);
  });

  it('measures one optimizer: best rate, test accuracy over seeds, time to 88%, floats per weight, spread', () => {
    const s = standing(claimRuns(adamRuns()), 'adam', lr0('adam'));
    expect(s.bestRate).toBe(0.003);
    expect(s.provisional).toBe(false);
    expect(s.test).toEqual([0.88, 0.89, 0.9]);
    // Seeds 1 and 2 reach 88% at epochs 2 and 1 (40 s and 20 s of training), seed 3 never.
    expect(s.reach).toEqual([
      { epochs: 2, seconds: 40 },
      { epochs: 1, seconds: 20 },
      { epochs: null, seconds: null },
    ]);
    expect(reachCell(s, 'epochs')).toBe('1.5 (2 of 3 seeds)');
    expect(reachCell(s, 'seconds')).toBe('30.0 s (2 of 3 seeds)');
    // Mean of 10, 10, 20, 20, 20 s per epoch.
    expect(s.secondsPerEpoch).toBeCloseTo(16, 12);
    expect(s.floatsPerWeight).toBe(2);
    // max 0.88 − min 0.10 (the diverged rate counts as chance).
    expect(s.spread).toBeCloseTo(0.78, 12);
    expect(s.finished).toBe(5);
    expect(s.diverged).toBe(0);
  });

  it('names the seeds that diverged at the best rate beside the mean of the others', () => {
    const runs = adamRuns().map((r) =>
      r.seed === 3 ? view({ optimizer: 'adam', rate: 0.003, seed: 3, diverged: true }) : r,
    );
    const s = standing(claimRuns(runs), 'adam', lr0('adam'));
    expect(s.test).toEqual([0.88, 0.89]);
    expect(s.diverged).toBe(1);
    expect(accuracyCell(s.test, s.diverged)).toBe('88.50 ± 0.71% (2 seeds; 1 more diverged)');
    expect(accuracyCell([0.95])).toBe('95.00% (1 seed)');
  });

  it('ranks by mean test accuracy and marks what is incomplete', () => {
    const runs = [
      ...adamRuns(),
      // sgd: only its default has run, at 0.95: first, provisional.
      view({ optimizer: 'sgd', rate: 0.01, seed: 1, test: 0.95 }),
      view({ optimizer: 'rmsprop', rate: 0.001, seed: 1, state: 'failed' }),
    ];
    const board = leaderboard(claimRuns(runs));
    expect(board).toHaveLength(n);
    expect(board.slice(0, 2).map((s) => s.optimizer)).toEqual(['sgd', 'adam']);
    expect(board[0]?.provisional).toBe(true);
    expect(board[0]?.spread).toBeNull();
    // The rest in catalog order, rmsprop (failed) first of them.
    expect(board[2]?.optimizer).toBe('rmsprop');
    expect(board[2]?.problems).toEqual(['rmsprop, lr 0.001, seed 1: failed']);

    const f = beyond(claimRuns(runs));
    const rows = f.summary?.rows ?? [];
    expect(rows[0]).toEqual([
      '1',
      'sgd',
      '0.01 (lr0, provisional)',
      '95.00% (1 seed)',
      'not reached',
      'not reached',
      '10.0 s',
      '2.00',
      '-',
      'incomplete: 1 of 5 runs',
    ]);
    expect(rows[1]).toEqual([
      '2',
      'adam',
      '0.003 (3 lr0)',
      '89.00 ± 1.00% (3 seeds)',
      '1.5 (2 of 3 seeds)',
      '30.0 s (2 of 3 seeds)',
      '16.0 s',
      '2.00',
      '78.00 points',
      'complete',
    ]);
    expect(rows[2]?.[0]).toBe('-');
    expect(f.verdict.status).toBe('partly measured');
    expect(f.verdict.sentence).toBe(
      `sgd leads with 95.00% (1 seed) at lr 0.01, ahead of adam with 89.00 ± 1.00% (3 seeds) at lr 0.003; the chapter’s Adam ranks 2 of 2; 6 of ${PLANNED_RUNS} runs finished, so the order is provisional.`,
    );
    expect(f.notes.join('\n')).toContain(`**6 of ${PLANNED_RUNS} runs have finished**`);
    expect(f.notes.join('\n')).toContain('rmsprop, lr 0.001, seed 1: failed');
    expect(f.notes.join('\n')).toContain(
      'Runs that diverged (a result, kept in the spread): adam, lr 0.000333, seed 1.',
    );
    // The chart: mean validation accuracy per epoch at the best rate, sgd's one seed and adam's three.
    const chart = f.charts[0]?.chart;
    expect(chart?.values.filter((v) => v.run === 'adam, lr 0.003').map((v) => v.value)).toEqual([
      (0.8 + 0.88 + 0.8) / 3,
      (0.88 + 0.89 + 0.85) / 3,
      (0.9 + 0.9 + 0.87) / 3,
    ]);
  });

  it('says nothing is measured before a run finishes', () => {
    const f = beyond(claimRuns([]));
    expect(f.verdict).toEqual({
      status: 'not measured',
      sentence: `Not measured yet: 0 of ${PLANNED_RUNS} runs have finished; \`pnpm experiments --only beyond\` trains them.`,
    });
    expect(f.charts).toEqual([]);
    expect(f.summary?.rows.every((r) => r.at(-1) === 'incomplete: 0 of 5 runs')).toBe(true);
  });
});
