import { Adam, SGD } from '@opt/optimizers';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, buildOptimizer, buildSchedule } from './model.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('buildSchedule', () => {
  it('resolves epoch and run decay steps from the run', () => {
    const steps = { stepsPerEpoch: 10, totalSteps: 50 };
    const exponential = buildSchedule(
      {
        learningRate: 0.1,
        schedule: { kind: 'exponentialDecay', decaySteps: 'epoch', decayRate: 0.5, staircase: false },
      },
      steps,
    );
    // 0.1 * 0.5^(15 / 10)
    expect(exponential?.(15)).toBeCloseTo(0.1 * 0.5 ** 1.5, 12);
    const cosine = buildSchedule(
      {
        learningRate: 0.1,
        schedule: { kind: 'cosineDecay', decaySteps: 'run', alpha: 0, warmupSteps: 10, warmupFrom: 0 },
      },
      steps,
    );
    // Half-way through the warmup: 0.05; half-way through the 40 decay steps after it: 0.1 * (1 + cos(pi / 2)) / 2.
    expect(cosine?.(5)).toBeCloseTo(0.05, 12);
    expect(cosine?.(30)).toBeCloseTo(0.05, 12);
    expect(buildSchedule({ learningRate: 0.1, schedule: { kind: 'constant' } })).toBeNull();
  });

  it("asks for the run's steps where 'epoch' or 'run' needs them", () => {
    expect(() =>
      buildSchedule({
        learningRate: 0.1,
        schedule: { kind: 'inverseTimeDecay', decaySteps: 'epoch', decayRate: 1, staircase: false },
      }),
    ).toThrow("decaySteps 'epoch' needs the run's steps per epoch and total steps");
  });
});

describe('buildOptimizer and buildModel', () => {
  it("builds the catalog's preset with the options and the rate", () => {
    const adam = buildOptimizer({ optimizer: 'adam', optimizerOptions: { beta1: 0.8 }, learningRate: 0.01 }, null);
    expect(adam).toBeInstanceOf(Adam);
    const sgd = buildOptimizer({ optimizer: 'sgd', optimizerOptions: { momentum: 0.9 }, learningRate: 0.1 }, null);
    expect(sgd).toBeInstanceOf(SGD);
    expect(() =>
      buildOptimizer({ optimizer: 'adamm' as 'adam', optimizerOptions: {}, learningRate: 0.1 }, null),
    ).toThrow(/optimizer "adamm" is not in the catalog: use one of sgd, .*adam/);
    adam.dispose();
    sgd.dispose();
  });

  it("builds the chapter's MLP: 784*256 + 256 + 256*128 + 128 + 128*10 + 10 = 235,146 weights", () => {
    const model = buildModel({ hidden: [256, 128], batchNorm: false, seed: 1 });
    expect(model.weights.reduce((n, w) => n + w.variable.size, 0)).toBe(235_146);
    model.dispose();
  });
});
