/**
 * Lion against Keras 3's own test goldens (keras/src/optimizers/lion_test.py) and its update rule
 * (keras/src/optimizers/lion.py) transcribed on float64 numbers here.
 */
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { chain, fromTransformation, Lion, optimizerFromConfig, scaleByLearningRate, scaleByLion } from '../index.js';
import {
  expectKerasGolden,
  expectKerasSingleStep,
  expectKerasWeightDecay,
  expectReference,
  type RefStep,
  zerosLike,
} from '../presets/reference.test.helpers.js';

beforeAll(() => useTestBackend());

/** Keras's update_step: `w -= lr * sign(m * b1 + g * (1 - b1))`; `m = m * b2 + g * (1 - b2)`. */
function kerasLion(b1: number, b2: number, wd = 0): RefStep {
  let m: number[][] | null = null;
  return (vars, grads, _t, lr) => {
    m ??= zerosLike(vars);
    vars.forEach((v, k) => {
      const mk = m?.[k] as number[];
      v.values = v.values.map((w0, i) => {
        const w = w0 - w0 * wd * lr;
        const g = grads[k]?.[i] as number;
        const update = Math.sign((mk[i] as number) * b1 + g * (1 - b1));
        mk[i] = (mk[i] as number) * b2 + g * (1 - b2);
        return w - lr * update;
      });
    });
  };
}

describe('Lion (Keras 3)', () => {
  it("Keras's goldens: single step, the five-step golden, weight decay with exclusions", () => {
    expectKerasSingleStep(new Lion({ learningRate: 0.5 }), [1, 2, 3, 4], [1, 6, 7, 2], [0.5, 1.5, 2.5, 3.5]);
    expectKerasGolden(new Lion(), [[0.999], [0.998], [0.997], [0.996], [0.995]]);
    expectKerasWeightDecay((o) => new Lion(o));
  });

  it('matches the float64 transcription over 6 steps (defaults, other betas, weight decay, a schedule)', () => {
    expectReference(new Lion(), kerasLion(0.9, 0.99));
    expectReference(new Lion({ learningRate: 0.01, beta1: 0.5, beta2: 0.7 }), kerasLion(0.5, 0.7), {
      learningRate: () => 0.01,
    });
    expectReference(new Lion({ learningRate: 0.01, weightDecay: 0.1 }), kerasLion(0.9, 0.99, 0.1), {
      learningRate: () => 0.01,
    });
    const schedule = (step: number) => 0.02 / (1 + step);
    expectReference(new Lion({ learningRate: schedule }), kerasLion(0.9, 0.99), { learningRate: schedule });
  });

  it("Keras's defaults; is chain(scaleByLion(), scaleByLearningRate()); rebuilds from its config", () => {
    const opt = new Lion();
    expect(opt.getConfig().config).toMatchObject({ learningRate: 0.001, beta1: 0.9, beta2: 0.99 });
    opt.dispose();
    const custom = fromTransformation(chain(scaleByLion({ beta1: 0.5 }), scaleByLearningRate()), {
      learningRate: 0.01,
    });
    expectReference(custom, kerasLion(0.5, 0.99), { learningRate: () => 0.01 });
    const rebuilt = optimizerFromConfig(new Lion({ beta1: 0.8, beta2: 0.9 }).getConfig());
    expect(rebuilt).toBeInstanceOf(Lion);
    expect(rebuilt.getConfig().config).toMatchObject({ beta1: 0.8, beta2: 0.9 });
    rebuilt.dispose();
  });

  it('refuses what Keras refuses (beta1 <= 0 or > 1: signSGD) and unknown options, naming them', () => {
    for (const beta1 of [-0.1, 0, 1.1]) {
      expect(() => new Lion({ beta1 })).toThrow(`Lion: \`beta1\` must be a number in (0, 1], got ${beta1}`);
    }
    expect(() => scaleByLion({ beta1: 0 })).toThrow(/^scaleByLion: `beta1`/);
    expect(() => new Lion({ beta1: 1 })).not.toThrow();
    expect(() => new Lion({ beta2: 1.5 })).toThrow('`beta2` must be a number in [0, 1], got 1.5');
    expect(() => new Lion({ epsilon: 1e-7 } as never)).toThrow(
      /Lion: unknown option `epsilon` \(an option of RMSprop, Adam, .*, not of Lion\)/,
    );
    expect(() => new Lion({ beta_1: 0.9 } as never)).toThrow('did you mean `beta1`?');
  });
});
