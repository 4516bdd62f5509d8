/**
 * Options are checked at construction: an unknown key is an error that names it and the right name (Keras 3
 * rejects unknown arguments too; ignoring `lr` would silently train at the default rate).
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Adafactor,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  chain,
  Ftrl,
  fromTransformation,
  GradientTransformationOptimizer,
  Lamb,
  Lion,
  momentum,
  Nadam,
  optimizerFromConfig,
  RMSprop,
  SGD,
  scaleByAdam,
  scaleByLearningRate,
} from './index.js';

beforeAll(() => useTestBackend());

describe('unknown option keys are refused, with the right name', () => {
  const cases: Array<[string, () => unknown, string]> = [
    ['tfjs `lr`', () => new Adam({ lr: 0.1 } as never), 'Adam: unknown option `lr` (did you mean `learningRate`?)'],
    [
      "Keras's snake_case",
      () => new Adam({ learning_rate: 0.1, beta_1: 0.8 } as never),
      'Adam: unknown options `learning_rate` (did you mean `learningRate`?), `beta_1` (did you mean `beta1`?)',
    ],
    [
      "Keras's global_clipnorm",
      () => new SGD({ global_clipnorm: 1 } as never),
      '`global_clipnorm` (did you mean `globalClipnorm`?)',
    ],
    ['clipNorm', () => new RMSprop({ clipNorm: 1 } as never), '`clipNorm` (did you mean `clipnorm`?)'],
    ['PyTorch `eps`', () => new Adagrad({ eps: 1e-8 } as never), '`eps` (did you mean `epsilon`?)'],
    ['PyTorch `betas`', () => new Nadam({ betas: [0.9, 0.99] } as never), '`beta1` and `beta2`'],
    ["Keras 2's `decay`", () => new SGD({ decay: 1e-4 } as never), 'inverseTimeDecay'],
    [
      "another preset's option",
      () => new Adam({ momentum: 0.9 } as never),
      'Adam: unknown option `momentum` (an option of SGD, RMSprop, Muon, not of Adam)',
    ],
    ['AdamW too', () => new AdamW({ nesterov: true } as never), '`nesterov` (an option of SGD, Muon, not of AdamW)'],
    ['a typo', () => new Adamax({ beta4: 0.5 } as never), 'Adamax: unknown option `beta4`. Adamax takes: beta1'],
    [
      'GradientTransformationOptimizer',
      () => fromTransformation(chain(scaleByAdam(), scaleByLearningRate()), { lr: 0.01 } as never),
      'GradientTransformationOptimizer: unknown option `lr` (did you mean `learningRate`?)',
    ],
    ['a transformation', () => scaleByAdam({ beta_2: 0.9 } as never), 'scaleByAdam: unknown option `beta_2`'],
    ['momentum()', () => momentum(0.9, { nesterof: true } as never), 'momentum: unknown option `nesterof`'],
    ['not an object', () => new Adam(0.1 as never), 'Adam: options must be an object such as { learningRate: 0.001 }'],
  ];
  for (const [what, make, message] of cases) {
    it(what, () => {
      expect(make).toThrow(message);
      expect(make).toThrow(TypeError);
    });
  }

  it("every preset accepts its own arguments and the base options, and getConfig's output round-trips", () => {
    const made = [
      new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true, clipnorm: 1 }),
      new RMSprop({ rho: 0.8, momentum: 0.1, epsilon: 1e-6, centered: true, globalClipnorm: 2 }),
      new Adam({ beta1: 0.8, beta2: 0.99, epsilon: 1e-6, amsgrad: true, useEma: true, emaMomentum: 0.9 }),
      new AdamW({ weightDecay: 0.01, excludeFromWeightDecay: ['bias'], emaOverwriteFrequency: 5, useEma: true }),
      new Adagrad({ initialAccumulatorValue: 0.2, epsilon: 1e-6, clipvalue: 1 }),
      new Adamax({ beta1: 0.8, beta2: 0.99, epsilon: 1e-6, nonFiniteGradients: 'skip' }),
      new Nadam({ beta1: 0.8, beta2: 0.99, epsilon: 1e-6, nonFiniteGradients: 'unchecked' }),
      new Lion({ beta1: 0.8, beta2: 0.9, weightDecay: 0.1, clipnorm: 1 }),
      new Lamb({ beta1: 0.8, beta2: 0.99, epsilon: 1e-6, useEma: true }),
      new Ftrl({ learningRatePower: -0.3, l1RegularizationStrength: 0.1, beta: 0.5, clipvalue: 1 }),
      new Adafactor({ beta2Decay: -0.5, epsilon1: 1e-20, relativeStep: false, globalClipnorm: 1 }),
    ];
    for (const opt of made) {
      const rebuilt = optimizerFromConfig(JSON.parse(JSON.stringify(opt.getConfig())));
      expect(rebuilt.getConfig()).toEqual(opt.getConfig());
      expect(rebuilt).toBeInstanceOf(GradientTransformationOptimizer);
    }
  });
});

describe("Keras's names, camelCased", () => {
  it('clipnorm and clipvalue stay one word (Keras), global_clipnorm is globalClipnorm', () => {
    const config = new SGD({ globalClipnorm: 1 }).getConfig().config;
    expect(Object.keys(config)).toEqual(expect.arrayContaining(['clipnorm', 'clipvalue', 'globalClipnorm']));
    const w = tf.variable(tf.tensor1d([0, 0]));
    const opt = new SGD({ learningRate: 1, clipnorm: 1 });
    opt.applyGradients([[tf.tensor1d([3, 4]), w]]);
    expect(Array.from(w.dataSync()).map((x) => Number(x.toFixed(6)))).toEqual([-0.6, -0.8]);
    opt.dispose();
    w.dispose();
  });
});
