import { Lookahead, LossScaleOptimizer } from '@opt/optimizers';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../cli/errors.js';
import { buildOptimizer } from '../run/model.js';
import type { TrainConfig } from './knobs.js';
import { completeConfig, configId, inputFromFlags, inputFromObject, knobsDiffering, resolveConfig } from './resolve.js';

const flags = (given: Record<string, unknown>) => resolveConfig(inputFromFlags(given));
const usage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('expected a UsageError');
};

describe('the base-option and wrapper knobs', () => {
  it('are off by default, and each wrapper fills its own arguments with optax/Keras defaults when on', () => {
    expect(resolveConfig().config).toMatchObject({
      gradientAccumulationSteps: null,
      lossScaleFactor: null,
      lookahead: false,
      lookaheadSyncPeriod: null,
      lookaheadSlowStepSize: null,
      lossScale: false,
      initialScale: null,
      dynamicGrowthSteps: null,
      excludeLayers: null,
      stepLosses: false,
    });
    expect(flags({ lookahead: true }).config).toMatchObject({ lookaheadSyncPeriod: 6, lookaheadSlowStepSize: 0.5 });
    expect(flags({ lookahead: true, lookaheadSyncPeriod: '5' }).config.lookaheadSyncPeriod).toBe(5);
    expect(flags({ lossScale: true }).config).toMatchObject({ initialScale: 32768, dynamicGrowthSteps: 2000 });
    expect(flags({ optimizer: 'sgd', gradientAccumulationSteps: '2', lossScaleFactor: '128' }).config).toMatchObject({
      gradientAccumulationSteps: 2,
      lossScaleFactor: 128,
    });
    expect(flags({ optimizer: 'muon', excludeLayers: 'dense_2,^dense_1/' }).config.excludeLayers).toEqual([
      'dense_2',
      '^dense_1/',
    ]);
  });

  it('refuse values out of range, orphan arguments and the combinations @opt/optimizers refuses, naming the flags', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ gradientAccumulationSteps: '1' }, '--gradient-accumulation-steps must be an integer >= 2, got "1".'],
      [{ lossScaleFactor: '0' }, '--loss-scale-factor must be a positive number, got "0".'],
      [
        { lookahead: true, lookaheadSlowStepSize: '1.5' },
        '--lookahead-slow-step-size must be a number in [0, 1], got "1.5".',
      ],
      [
        { lookaheadSyncPeriod: '5' },
        '--lookahead-sync-period is an argument of Lookahead: add --lookahead to wrap the optimizer in it.',
      ],
      [
        { initialScale: '1024' },
        '--initial-scale is an argument of LossScaleOptimizer: add --loss-scale to wrap the optimizer in it.',
      ],
      [
        { lookahead: true, gradientAccumulationSteps: '2' },
        '--lookahead with --gradient-accumulation-steps: Lookahead counts the steps the inner optimizer applies, and accumulation makes most calls apply none (@opt/optimizers refuses it); choose one.',
      ],
      [
        { lossScale: true, lossScaleFactor: '128' },
        '--loss-scale with --loss-scale-factor: both scale the loss, so the gradients would be unscaled twice; keep --loss-scale (dynamic) or --loss-scale-factor (fixed).',
      ],
      [{ excludeLayers: 'dense_2' }, '--exclude-layers applies to muon, not adam.'],
      [
        { optimizer: 'muon', excludeLayers: 'dense_(' },
        '--exclude-layers must be comma-separated regular expressions of weight names such as dense_2, got "dense_(".',
      ],
    ];
    for (const [given, message] of cases) expect(usage(() => flags(given))).toBe(message);
    expect(usage(() => resolveConfig(inputFromObject({ lookaheadSyncPeriod: 0 }, 'compare.yaml')))).toBe(
      'compare.yaml: lookaheadSyncPeriod must be a positive integer, got 0.',
    );
  });

  it('read back from a config file unchanged, and leave the id of a config saved before they existed as it was', () => {
    const { config } = flags({ optimizer: 'sgd', lookahead: true, lossScale: true, stepLosses: true });
    expect(resolveConfig(inputFromObject(JSON.parse(JSON.stringify(config)), 'config.json')).config).toEqual(config);
    expect(knobsDiffering(config).map((d) => d.key)).toEqual([
      'optimizer',
      'lookahead',
      'lookaheadSyncPeriod',
      'lookaheadSlowStepSize',
      'lossScale',
      'initialScale',
      'dynamicGrowthSteps',
      'stepLosses',
    ]);
    const plain = flags({ optimizer: 'muon' }).config;
    const old = { ...plain } as Partial<TrainConfig>;
    for (const key of ['gradientAccumulationSteps', 'lookahead', 'lossScale', 'excludeLayers', 'stepLosses'] as const)
      delete old[key];
    expect(completeConfig(old as TrainConfig)).toMatchObject({ lookahead: false, lossScale: false, stepLosses: false });
    expect(configId(old as TrainConfig)).toBe(configId(plain));
    expect(configId({ ...plain, lookahead: true })).not.toBe(configId(plain));
  });

  it('build the preset inside Lookahead inside the LossScaleOptimizer, with the base options on the preset', () => {
    const { config } = flags({ optimizer: 'sgd', lookahead: true, lossScale: true, initialScale: '1024' });
    const optimizer = buildOptimizer(config, null) as LossScaleOptimizer;
    expect(optimizer).toBeInstanceOf(LossScaleOptimizer);
    expect(optimizer.initialScale).toBe(1024);
    expect(optimizer.innerOptimizer).toBeInstanceOf(Lookahead);
    expect(optimizer.getConfig().config.innerOptimizer).toMatchObject({
      className: 'Lookahead',
      config: { syncPeriod: 6, slowStepSize: 0.5, innerOptimizer: { className: 'SGD' } },
    });
    optimizer.dispose();
    const accumulating = buildOptimizer(flags({ gradientAccumulationSteps: '3', lossScaleFactor: '8' }).config, null);
    expect(accumulating.getConfig().config).toMatchObject({ gradientAccumulationSteps: 3, lossScaleFactor: 8 });
    accumulating.dispose();
    const muon = buildOptimizer(flags({ optimizer: 'muon', excludeLayers: '^dense_2/' }).config, null);
    expect(muon.getConfig().config).toMatchObject({ excludeLayers: ['^dense_2/'] });
    muon.dispose();
  });
});
