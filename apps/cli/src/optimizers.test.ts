/**
 * The optimizers of @opt/optimizers' catalog through `opt`: listed in help with their flags, trained by name with
 * their options (real processes on the real dataset), and configs saved before an option existed read as trained.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG } from '@opt/optimizers/catalog';
import { afterAll, describe, expect, it } from 'vitest';
import { KNOBS, type TrainConfig } from './config/knobs.js';
import { completeConfig, configId, inputFromFlags, knobsDiffering, resolveConfig } from './config/resolve.js';
import { RunDir } from './run/run-dir.js';
import { optIn, scratch } from './testing/fixtures/opt.js';

const work = scratch();
afterAll(() => work.remove());
// 600 validation images (--validation-split 0.01), not 5,000 evaluated after each epoch, and no charts: these tests
// check optimizers.
const quick = [
  ...['--backend', 'wasm', '--per-class', '12', '--epochs', '1', '--batch-size', '32'],
  ...['--validation-split', '0.01', '--no-charts', '--json'],
];

describe('the catalog through opt', () => {
  it('opt train --help lists every optimizer of the catalog and each option flag', async () => {
    const help = await optIn(work.dir, 'train', '--help');
    expect(help.code).toBe(0);
    const optimizerLine = help.stdout.slice(help.stdout.indexOf('--optimizer'));
    for (const entry of CATALOG) expect(optimizerLine).toContain(entry.name);
    for (const flag of ['--beta1', '--l1-regularization-strength', '--beta2-decay', '--no-relative-step', '--epsilon1'])
      expect(help.stdout).toContain(flag);
  });

  it('trains lion with --beta1 0.95 (accumulating 2 steps) and ftrl with its L1 strength (in Lookahead); refuses an option lion lacks, naming the takers', async () => {
    const [lion, ftrl, wrong, range] = await Promise.all([
      optIn(
        work.dir,
        'train',
        ...quick,
        '--optimizer',
        'lion',
        '--beta1',
        '0.95',
        '--gradient-accumulation-steps',
        '2',
        '--out',
        'lion',
      ),
      optIn(
        work.dir,
        'train',
        ...quick,
        '--optimizer',
        'ftrl',
        '--l1-regularization-strength',
        '0.001',
        '--lookahead',
        '--out',
        'ftrl',
      ),
      optIn(work.dir, 'train', ...quick, '--optimizer', 'lion', '--epsilon', '1e-6', '--out', 'wrong'),
      optIn(work.dir, 'train', ...quick, '--optimizer', 'lion', '--beta1', '0', '--out', 'range'),
    ]);
    expect([lion.code, lion.stderr]).toEqual([0, '']);
    const config = JSON.parse(readFileSync(join(work.dir, 'lion', 'config.json'), 'utf8')).config as TrainConfig;
    // Keras's Lion: lr 0.001, beta2 0.99; ours 0.95 as asked
    expect(config).toMatchObject({ optimizer: 'lion', learningRate: 0.001, beta1: 0.95, beta2: 0.99, epsilon: null });
    const lionResult = JSON.parse(lion.stdout);
    expect(Number.isFinite(lionResult.test.loss)).toBe(true);
    // Keras's iterations with accumulation: floor(calls / 2) of the stepsPerEpoch * epochs calls
    const calls = (r: { stepsPerEpoch: number; epochsRun: number }) => r.stepsPerEpoch * r.epochsRun;
    // 12 per class after the validation split: 120 images in batches of 32.
    expect(calls(lionResult)).toBe(Math.ceil(120 / 32));
    expect(lionResult.iterations).toBe(Math.floor(calls(lionResult) / 2));
    expect(lionResult.optimizer.config).toMatchObject({ gradientAccumulationSteps: 2 });
    expect([ftrl.code, ftrl.stderr]).toEqual([0, '']);
    // Lookahead applies every call: iterations = calls
    const ftrlResult = JSON.parse(ftrl.stdout);
    expect(ftrlResult.iterations).toBe(calls(ftrlResult));
    expect(ftrlResult.optimizer).toMatchObject({
      className: 'Lookahead',
      config: { syncPeriod: 6, slowStepSize: 0.5, innerOptimizer: { className: 'Ftrl' } },
    });
    expect(JSON.parse(readFileSync(join(work.dir, 'ftrl', 'config.json'), 'utf8')).config).toMatchObject({
      optimizer: 'ftrl',
      l1RegularizationStrength: 0.001,
      learningRatePower: -0.5,
      initialAccumulatorValue: 0.1,
      lookahead: true,
      lookaheadSyncPeriod: 6,
      lookaheadSlowStepSize: 0.5,
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      '--epsilon applies to rmsprop, adam, adamw, adagrad, adamax, nadam, adadelta, lamb, muon, radam, yogi, adabelief, schedulefreeadamw and prodigy, not lion.',
    );
    expect(range.code).toBe(2);
    expect(range.stderr).toContain('--beta1 must be a number in (0, 1] for lion, got 0.');
  });
});

describe("PyTorch's and optax's optimizers through opt", () => {
  it("trains rprop with --step-sizes low,high and asgd with --asgd-alpha (the cosine schedule's is --alpha)", async () => {
    const [rprop, asgd] = await Promise.all([
      optIn(work.dir, 'train', ...quick, '--optimizer', 'rprop', '--step-sizes', '1e-5,10', '--out', 'rprop'),
      optIn(work.dir, 'train', ...quick, '--optimizer', 'asgd', '--asgd-alpha', '0.5', '--t0', '3', '--out', 'asgd'),
    ]);
    expect([rprop.code, rprop.stderr]).toEqual([0, '']);
    expect(JSON.parse(readFileSync(join(work.dir, 'rprop', 'config.json'), 'utf8')).config).toMatchObject({
      optimizer: 'rprop',
      learningRate: 0.01, // torch.optim.Rprop's lr
      stepSizes: [1e-5, 10],
      etaminus: 0.5,
      etaplus: 1.2,
    });
    expect([asgd.code, asgd.stderr]).toEqual([0, '']);
    expect(JSON.parse(readFileSync(join(work.dir, 'asgd', 'config.json'), 'utf8')).config).toMatchObject({
      optimizer: 'asgd',
      asgdAlpha: 0.5,
      t0: 3,
      lambd: 1e-4,
      alpha: null,
    });
  });

  it('refuses a step-size pair out of order or for another optimizer, and --asgd-alpha for adam', () => {
    const refused = (flags: Record<string, unknown>) => {
      try {
        resolveConfig(inputFromFlags(flags));
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refused({ optimizer: 'rprop', stepSizes: '10,1' })).toBe(
      '--step-sizes must be two positive numbers such as 0.000001,50, low <= high, got "10,1".',
    );
    expect(refused({ optimizer: 'rprop', stepSizes: '1,2,3' })).toMatch(/^--step-sizes must be two positive numbers/);
    expect(refused({ optimizer: 'adam', stepSizes: '1,2' })).toBe('--step-sizes applies to rprop, not adam.');
    expect(refused({ optimizer: 'adam', asgdAlpha: '0.5' })).toBe('--asgd-alpha applies to asgd, not adam.');
    expect(refused({ optimizer: 'yogi', epsilon: '0.01' })).toBe('accepted');
  });
});

describe('configs saved before the catalog options existed', () => {
  /** A resolved config as an earlier opt wrote it: without the fields of the knobs added since. */
  const old = (flags: Record<string, unknown>): TrainConfig => {
    const config = { ...resolveConfig(inputFromFlags(flags)).config } as Record<string, unknown>;
    for (const knob of KNOBS) if (knob.idWhenSet === true) delete config[knob.key];
    return config as unknown as TrainConfig;
  };

  it('keep their id, read back complete (Adagrad at its initialAccumulatorValue) and differ in no knob', () => {
    for (const flags of [{}, { optimizer: 'adagrad' }, { optimizer: 'sgd', momentum: '0.9' }]) {
      const saved = old(flags);
      const current = resolveConfig(inputFromFlags(flags)).config;
      expect(configId(saved)).toBe(configId(current));
      expect(completeConfig(saved)).toEqual(current);
      expect(knobsDiffering(completeConfig(saved))).toEqual(knobsDiffering(current));
    }
    expect(completeConfig(old({ optimizer: 'adagrad' })).initialAccumulatorValue).toBe(0.1);
    // a new option set away from its default is part of the id
    expect(
      configId(resolveConfig(inputFromFlags({ optimizer: 'adagrad', initialAccumulatorValue: '0.2' })).config),
    ).not.toBe(configId(resolveConfig(inputFromFlags({ optimizer: 'adagrad' })).config));
  });

  it('RunDir.record() completes an old config.json', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const dir = join(work.dir, 'old-run');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ config: old({ optimizer: 'adagrad' }) }));
    expect(new RunDir(dir).record()?.config).toEqual(resolveConfig(inputFromFlags({ optimizer: 'adagrad' })).config);
  });
});
