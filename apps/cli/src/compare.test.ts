import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { optIn, optWith, scratch, spawnOpt } from './testing/fixtures/opt.js';

const work = scratch();
afterAll(() => work.remove());
const run = (...args: string[]) => optIn(work.dir, ...args);

describe('opt compare (worker processes on the real dataset)', () => {
  it('trains the configs in two workers, reports a failing one in its row without stopping the others, and continues into the same directory', async () => {
    writeFileSync(
      join(work.dir, 'configs.yaml'),
      [
        // 600 validation images (validationSplit 0.01), not 5,000 evaluated before the first and after each epoch.
        'base: { perClass: 20, epochs: 2, batchSize: 16, backend: wasm, validationSplit: 0.01 }',
        'configs:',
        '  - { optimizer: sgd }',
        '  - { optimizer: momentum, learningRate: 0.05 }',
        '  - { name: too-big, optimizer: adam, batchSize: 100000 }',
        '  - { optimizer: adam }',
      ].join('\n'),
    );
    // Without $OPT_THREADS (the suite sets it to 1): the pool shares the cores among its workers itself.
    const first = await optWith(
      { cwd: work.dir, env: { OPT_THREADS: '' } },
      'compare',
      '--configs',
      'configs.yaml',
      '--workers',
      '2',
      '--target',
      '0.5',
      '--out',
      'cmp',
      '--json',
    );
    expect(first.code).toBe(1); // one config failed
    const report = JSON.parse(first.stdout);
    expect(report.workers).toBe(2);
    const rows = report.rows as Array<{
      label: string;
      status: string;
      error: string | null;
      runDir: string;
      testAccuracy: number | null;
      epochs: number;
      stepsPerSecond: number;
    }>;
    expect(rows.map((r) => [r.label, r.status])).toEqual([
      ['optimizer=sgd', 'complete'],
      ['optimizer=momentum learningRate=0.05', 'complete'],
      ['too-big', 'failed'],
      ['optimizer=adam', 'complete'],
    ]);
    expect(rows[2]?.error).toBe(
      '--batch-size 100000 is larger than the 200 training images: use at most 200, or --batch-size full.',
    );
    for (const row of [rows[0], rows[1], rows[3]]) {
      expect(row?.epochs).toBe(2);
      expect(row?.stepsPerSecond).toBeGreaterThan(0);
      expect(row?.testAccuracy).toBeGreaterThan(0.1);
      // Every row is a run directory that the other commands open.
      expect(JSON.parse(readFileSync(join(row?.runDir as string, 'status.json'), 'utf8')).state).toBe('complete');
      // Two workers at once share the cores: wasm threads per worker = cores / 2, at least one.
      const config = JSON.parse(readFileSync(join(row?.runDir as string, 'config.json'), 'utf8'));
      expect(config.environment.backend.threads.requested).toBe(Math.max(1, Math.floor(availableParallelism() / 2)));
    }
    // The same data, split and seed for every config: the same training and validation counts and initial weights.
    const initial = [rows[0], rows[1], rows[3]].map(
      (r) => JSON.parse(readFileSync(join(r?.runDir as string, 'history.json'), 'utf8')).initial.val_loss,
    );
    expect(new Set(initial).size).toBe(1);
    for (const metric of ['val_accuracy', 'val_loss', 'accuracy', 'loss']) {
      expect(readFileSync(join(work.dir, 'cmp', 'charts', `${metric}.svg`), 'utf8')).toContain(
        'optimizer=momentum learningRate=0.05',
      );
      expect(existsSync(join(work.dir, 'cmp', 'charts', `${metric}.png`))).toBe(true);
    }
    expect(first.stderr).toContain('[too-big');
    expect(first.stderr).toMatch(/\] failed: --batch-size 100000/);

    const text = await run('compare', '--configs', 'configs.yaml', '--workers', '2', '--target', '0.5', '--out', 'cmp');
    expect(text.stderr.match(/already complete/g)).toHaveLength(3);
    expect(text.stdout).toMatch(
      /│ config +│ status +│ best val acc +│ final val acc │ test acc │ epochs to 50% │ time to 50% │ steps\/s │ time +│/,
    );
    expect(text.stdout).toMatch(/│ too-big +│ failed /);
    expect(text.stdout).toContain('too-big: failed: --batch-size 100000');
  });

  it('builds the grid from --optimizers and --learning-rates, and refuses a bad list before training', async () => {
    const bad = await run('compare', '--optimizers', 'sgd,adamm', '--per-class', '20');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--optimizers: each item must be one of sgd, rmsprop, adam');
    const grid = await run(
      'compare',
      '--optimizers',
      'sgd,adam',
      '--learning-rates',
      '0.1,0.01',
      '--per-class',
      '10',
      '--epochs',
      '1',
      '--batch-size',
      '32',
      '--validation-split',
      '0.01',
      '--backend',
      'wasm',
      '--workers',
      '2',
      '--out',
      'grid',
      '--json',
    );
    expect(grid.code).toBe(0);
    expect(JSON.parse(grid.stdout).rows.map((r: { label: string }) => r.label)).toEqual([
      'sgd lr=0.1',
      'sgd lr=0.01',
      'adam lr=0.1',
      'adam lr=0.01',
    ]);
  });
});

describe('stopping a compare', () => {
  it('Ctrl-C stops every worker after its current step with a checkpoint (exit 130); the same compare then finishes them', async () => {
    const args = [
      'compare',
      '--optimizers',
      'sgd,adam,rmsprop',
      '--per-class',
      '60',
      '--epochs',
      '2',
      '--batch-size',
      '8',
      '--validation-split',
      '0.01',
      '--backend',
      'wasm',
      '--workers',
      '2',
      '--out',
      'stop',
    ];
    const job = spawnOpt(work.dir, ...args, '--json');
    await job.waitFor(/\] epoch 1\/2: /);
    job.child.kill('SIGINT');
    const stopped = await job.done;
    expect(stopped.code).toBe(130);
    const statuses = JSON.parse(stopped.stdout).rows.map((r: { status: string }) => r.status);
    // Two configs were running (each stopped with a checkpoint), the third had not started.
    expect(statuses.filter((s: string) => s === 'interrupted')).toHaveLength(2);
    expect(statuses.filter((s: string) => s === 'not started')).toHaveLength(1);
    expect(stopped.stderr).toContain('interrupted; continue with the same command and --out stop');
    const finished = await run(...args, '--json');
    expect(finished.code).toBe(0);
    expect(JSON.parse(finished.stdout).rows.map((r: { status: string }) => r.status)).toEqual([
      'complete',
      'complete',
      'complete',
    ]);
    expect(finished.stderr.match(/resuming at epoch/g)?.length).toBe(2);
  });
});

describe('opt lr-find', () => {
  it('grows the rate exponentially, stops when the loss explodes, charts it and suggests a rate with its rule', async () => {
    const r = await run(
      'lr-find',
      '--backend',
      'wasm',
      '--per-class',
      '30',
      '--batch-size',
      '16',
      '--start-lr',
      '1e-5',
      '--end-lr',
      '100',
      '--steps',
      '80',
      '--out',
      'lr',
      '--json',
    );
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    const rates = result.points.map((p: { learningRate: number }) => p.learningRate);
    // lr_i = start * (end / start)^(i / (steps - 1)): a closed form, independent of the code under test.
    for (const [i, lr] of (rates as number[]).entries()) expect(lr).toBeCloseTo(1e-5 * (100 / 1e-5) ** (i / 79), 12);
    expect(result.stopped).toMatch(/exceeded 4x its minimum|non-finite|was NaN|was Infinity/);
    expect(rates.length).toBeLessThan(80);
    expect(result.suggestion.rule).toContain('lr_min / 10');
    expect(result.suggestion.learningRate).toBeCloseTo(result.minimum.learningRate / 10, 2);
    expect(readFileSync(join(work.dir, 'lr', 'charts', 'lr-find.svg'), 'utf8')).toMatch(/^<svg/);
    expect(readFileSync(join(work.dir, 'lr', 'lr-find.csv'), 'utf8').split('\n')[0]).toBe(
      'step,learning_rate,loss,smoothed',
    );
    const text = await run(
      'lr-find',
      '--backend',
      'wasm',
      '--per-class',
      '30',
      '--batch-size',
      '16',
      '--steps',
      '40',
      '--out',
      'lr2',
    );
    expect(text.stdout).toMatch(
      /^suggested learning rate: \S+ \(one decade below the rate at the minimum of the smoothed loss/m,
    );
  });
});
