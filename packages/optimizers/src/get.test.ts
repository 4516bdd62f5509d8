import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdaBelief,
  Adadelta,
  Adafactor,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  ASGD,
  Ftrl,
  getOptimizer,
  Lamb,
  Lion,
  Muon,
  Nadam,
  OPTIMIZER_NAMES,
  Prodigy,
  RAdam,
  RMSprop,
  Rprop,
  ScheduleFreeAdamW,
  ScheduleFreeSGD,
  SGD,
  Yogi,
} from './index.js';

beforeAll(() => useTestBackend());

describe('getOptimizer (Keras keras.optimizers.get)', () => {
  it('a name in any case gives the preset with Keras defaults', () => {
    const expected = {
      sgd: SGD,
      rmsprop: RMSprop,
      adam: Adam,
      adamw: AdamW,
      adagrad: Adagrad,
      adamax: Adamax,
      nadam: Nadam,
      adadelta: Adadelta,
      lion: Lion,
      lamb: Lamb,
      ftrl: Ftrl,
      adafactor: Adafactor,
      muon: Muon,
      radam: RAdam,
      rprop: Rprop,
      asgd: ASGD,
      yogi: Yogi,
      adabelief: AdaBelief,
      schedulefreeadamw: ScheduleFreeAdamW,
      schedulefreesgd: ScheduleFreeSGD,
      prodigy: Prodigy,
    };
    for (const name of OPTIMIZER_NAMES) {
      for (const spelled of [name, name.toUpperCase(), expected[name].name]) {
        const optimizer = getOptimizer(spelled);
        expect(optimizer).toBeInstanceOf(expected[name]);
        expect(optimizer.getConfig()).toEqual(new expected[name]().getConfig());
      }
    }
    // Keras's defaults, stated independently of the presets' code.
    expect(getOptimizer('sgd').learningRate).toBe(0.01);
    expect(getOptimizer('adam').learningRate).toBe(0.001);
    expect(getOptimizer('rmsprop').getConfig().config).toMatchObject({ rho: 0.9, epsilon: 1e-7 });
    expect(getOptimizer('adamw').getConfig().config).toMatchObject({ weightDecay: 0.004 });
    expect(getOptimizer('adadelta').getConfig().config).toMatchObject({
      learningRate: 0.001,
      rho: 0.95,
      epsilon: 1e-7,
    });
    // PyTorch 1.13's defaults (torch.optim), and optax's (no default learning rate there: the papers').
    expect(getOptimizer('radam').getConfig().config).toMatchObject({ learningRate: 1e-3, beta1: 0.9, epsilon: 1e-8 });
    expect(getOptimizer('rprop').getConfig().config).toMatchObject({
      learningRate: 0.01,
      etaminus: 0.5,
      etaplus: 1.2,
      stepSizes: [1e-6, 50],
    });
    expect(getOptimizer('asgd').getConfig().config).toMatchObject({
      learningRate: 0.01,
      lambd: 1e-4,
      alpha: 0.75,
      t0: 1e6,
    });
    expect(getOptimizer('yogi').getConfig().config).toMatchObject({ epsilon: 1e-3, initialAccumulatorValue: 1e-6 });
    expect(getOptimizer('adabelief').getConfig().config).toMatchObject({ epsilon: 1e-16, epsilonRoot: 1e-16 });
    // optax's contrib defaults (schedule_free_adamw, schedule_free_sgd, prodigy).
    expect(getOptimizer('schedulefreeadamw').getConfig().config).toMatchObject({
      learningRate: 0.0025,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0,
      weightLrPower: 2,
      warmupSteps: 0,
    });
    expect(getOptimizer('schedulefreesgd').getConfig().config).toMatchObject({
      learningRate: 1,
      beta1: 0.9,
      weightDecay: null,
      weightLrPower: 2,
      warmupSteps: 0,
    });
    expect(getOptimizer('prodigy').getConfig().config).toMatchObject({
      learningRate: 1,
      beta1: 0.9,
      beta2: 0.999,
      beta3: null,
      weightDecay: 0,
      epsilon: 1e-8,
      estimLr0: 1e-6,
      estimLrCoef: 1,
      safeguardWarmup: false,
    });
  });

  it('returns an optimizer instance as it is, and rebuilds { className, config }', () => {
    const adam = new Adam({ learningRate: 0.02 });
    expect(getOptimizer(adam)).toBe(adam);
    const rebuilt = getOptimizer({ className: 'sgd', config: { learningRate: 0.5, momentum: 0.9 } });
    expect(rebuilt).toBeInstanceOf(SGD);
    expect(rebuilt.getConfig().config).toMatchObject({ learningRate: 0.5, momentum: 0.9 });
    expect(getOptimizer(JSON.parse(JSON.stringify(adam.getConfig()))).getConfig()).toEqual(adam.getConfig());
  });

  it('an unknown name or identifier is an error naming the accepted ones', () => {
    expect(() => getOptimizer('adma')).toThrow(
      'getOptimizer: unknown optimizer "adma". Known names (any case): sgd, rmsprop, adam, adamw, adagrad, adamax, nadam, adadelta, lion, lamb, ftrl, adafactor, muon, radam, rprop, asgd, yogi, adabelief',
    );
    expect(() => getOptimizer({ className: 'Shampoo' })).toThrow(/unknown optimizer "Shampoo".*sgd, rmsprop/);
    expect(() => getOptimizer('toString')).toThrow(/unknown optimizer "toString"/);
    expect(() => getOptimizer(42 as never)).toThrow(/cannot interpret 42 as an optimizer/);
    expect(() => getOptimizer(null as never)).toThrow(/cannot interpret null/);
    expect(() => getOptimizer({ className: 'adam', config: 3 as never })).toThrow(/`config` must be an object/);
  });
});
