/**
 * The conventions every preset keeps, for PyTorch's RAdam, Rprop, ASGD and optax's Yogi, AdaBelief, ScheduleFreeAdamW,
 * ScheduleFreeSGD, Prodigy (their arithmetic is tested against the references in torch.test.ts, optax.test.ts,
 * schedule-free.test.ts and prodigy.test.ts): unknown options and bad values
 * refused with the argument named, the config rebuilt, the non-finite guard, clipping, the weights' moving average,
 * schedules, and PyTorch's weight decay with its exclusions. The state round trip, leaks and dispose are in
 * optimizer.test.ts's table of presets.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AdaBelief,
  ASGD,
  type GradientTransformationOptimizer,
  NonFiniteGradientError,
  type OptimizerOptions,
  optimizerFromConfig,
  Prodigy,
  RAdam,
  Rprop,
  ScheduleFreeAdamW,
  ScheduleFreeSGD,
  Yogi,
} from '../index.js';

beforeAll(() => useTestBackend());

const made: tf.Tensor[] = [];
afterEach(() => {
  tf.dispose(made.splice(0));
});

type Make = (options?: OptimizerOptions & Record<string, unknown>) => GradientTransformationOptimizer;
const PRESETS: Array<[string, Make]> = [
  ['RAdam', (o) => new RAdam(o)],
  ['Rprop', (o) => new Rprop(o as never)],
  ['ASGD', (o) => new ASGD({ t0: 1, ...o })],
  ['Yogi', (o) => new Yogi(o)],
  ['AdaBelief', (o) => new AdaBelief(o)],
  ['ScheduleFreeAdamW', (o) => new ScheduleFreeAdamW({ warmupSteps: 2, weightDecay: 0.1, ...o })],
  ['ScheduleFreeSGD', (o) => new ScheduleFreeSGD({ weightDecay: 0.1, ...o })],
  ['Prodigy', (o) => new Prodigy({ estimLr0: 1e-2, weightDecay: 0.1, ...o })],
];

const variable = (values: number[], name?: string) => {
  const v = tf.variable(tf.tensor1d(values), true, name);
  made.push(v);
  return v;
};
const read = (t: tf.Tensor | null) => Array.from((t as tf.Tensor).dataSync());
/** Gradient of step s: fixed, mixed signs, sign changes between steps. */
const gradient = (s: number, n = 3) => Array.from({ length: n }, (_, i) => Math.sin(1.3 * (s + 1) * (i + 2)) * (i + 1));

function steps(opt: GradientTransformationOptimizer, v: tf.Variable, from: number, to: number, scale = 1): void {
  for (let s = from; s < to; s++) {
    const g = tf.tensor1d(gradient(s, v.size).map((x) => x * scale));
    opt.applyGradients([[g, v]]);
    g.dispose();
  }
}

describe('options', () => {
  const unknown: Array<[() => unknown, string]> = [
    [() => new RAdam({ lr: 0.1 } as never), 'RAdam: unknown option `lr` (did you mean `learningRate`?)'],
    [() => new RAdam({ betas: [0.9, 0.99] } as never), '`betas` (did you mean `beta1` and `beta2`'],
    [() => new RAdam({ eps: 1e-8 } as never), '`eps` (did you mean `epsilon`?)'],
    [() => new Rprop({ etas: [0.5, 1.2] } as never), '`etas` (did you mean `etaminus` and `etaplus`'],
    [() => new Rprop({ step_sizes: [0, 1] } as never), '`step_sizes` (did you mean `stepSizes`?)'],
    [() => new ASGD({ lambda: 1e-4 } as never), 'ASGD: unknown option `lambda`'],
    [() => new ASGD({ weight_decay: 0.1 } as never), '`weight_decay` (did you mean `weightDecay`?)'],
    [() => new Yogi({ initial_accumulator_value: 0.1 } as never), 'did you mean `initialAccumulatorValue`?'],
    [() => new AdaBelief({ epsRoot: 1e-8 } as never), '`epsRoot` (did you mean `epsilonRoot`?)'],
    [() => new AdaBelief({ momentum: 0.9 } as never), '`momentum` (an option of SGD, RMSprop, Muon, not of AdaBelief)'],
    [
      () => new ScheduleFreeAdamW({ b1: 0.9 } as never),
      'ScheduleFreeAdamW: unknown option `b1` (did you mean `beta1`?)',
    ],
    [() => new ScheduleFreeAdamW({ warmup_steps: 10 } as never), '`warmup_steps` (did you mean `warmupSteps`?)'],
    [() => new ScheduleFreeSGD({ beta2: 0.9 } as never), '`beta2` (an option of'],
    [() => new ScheduleFreeSGD({ weight_lr_power: 1 } as never), '(did you mean `weightLrPower`?)'],
    [() => new Prodigy({ estim_lr_coef: 2 } as never), '`estim_lr_coef` (did you mean `estimLrCoef`?)'],
    [() => new Prodigy({ d0: 1e-6 } as never), 'Prodigy: unknown option `d0`'],
  ];
  for (const [make, message] of unknown) {
    it(`refuses: ${message}`, () => {
      expect(make).toThrow(message);
    });
  }

  const bad: Array<[() => unknown, string]> = [
    [() => new RAdam({ beta1: 1 }), 'RAdam: `beta1` must be in [0, 1), got 1'],
    [() => new AdaBelief({ beta1: -1 }), 'AdaBelief: `beta1` must be in [0, 1), got -1'],
    [() => new Yogi({ epsilon: 0 }), 'Yogi: `epsilon` must be a finite number > 0, got 0'],
    [() => new RAdam({ epsilon: 0 }), 'RAdam: `epsilon` must be a finite number > 0, got 0'],
    [() => new RAdam({ weightDecay: -0.1 }), 'RAdam: `weightDecay` must be a finite number >= 0, got -0.1'],
    [() => new RAdam({ learningRate: 0 }), 'RAdam: `learningRate` must be a finite number > 0, got 0'],
    [() => new Rprop({ etaminus: 1 }), 'Rprop: `etaminus` must be in (0, 1), got 1'],
    [() => new Rprop({ etaplus: 1 }), 'Rprop: `etaplus` must be a finite number > 1, got 1'],
    [
      () => new Rprop({ stepSizes: [1, 0.5] }),
      'Rprop: `stepSizes` must be [min, max] with 0 <= min <= max, got [1,0.5]',
    ],
    [() => new Rprop({ stepSizes: 50 as never }), 'Rprop: `stepSizes` must be [min, max]'],
    [() => new Rprop({ learningRate: -1 }), 'Rprop: `learningRate` must be a finite number > 0, got -1'],
    [() => new Rprop({ learningRate: () => 0.01 }), 'Rprop: `learningRate` is the initial step size'],
    [() => new ASGD({ lambd: -1 }), 'ASGD: `lambd` must be a finite number >= 0, got -1'],
    [() => new ASGD({ t0: Number.NaN }), 'ASGD: `t0` must be a finite number >= 0, got NaN'],
    [() => new ASGD({ weightDecay: -1 }), 'ASGD: `weightDecay` must be a finite number >= 0'],
    [() => new Yogi({ initialAccumulatorValue: 0 }), 'Yogi: `initialAccumulatorValue` must be a finite number > 0'],
    [() => new Yogi({ beta2: 1 }), 'Yogi: `beta2` must be in [0, 1), got 1'],
    [() => new AdaBelief({ epsilonRoot: -1 }), 'AdaBelief: `epsilonRoot` must be a finite number >= 0, got -1'],
    [() => new ScheduleFreeAdamW({ beta1: 0 }), 'ScheduleFreeAdamW: `beta1` must be in (0, 1], got 0'],
    [() => new ScheduleFreeAdamW({ beta2: 1 }), 'ScheduleFreeAdamW: `beta2` must be in [0, 1), got 1'],
    [() => new ScheduleFreeAdamW({ warmupSteps: -1 }), 'ScheduleFreeAdamW: `warmupSteps` must be a whole number >= 0'],
    [() => new ScheduleFreeAdamW({ weightDecay: -1 }), 'ScheduleFreeAdamW: `weightDecay` must be a finite number >= 0'],
    [() => new ScheduleFreeSGD({ weightLrPower: -2 }), 'ScheduleFreeSGD: `weightLrPower` must be a finite number >= 0'],
    [() => new ScheduleFreeSGD({ warmupSteps: 2.5 }), 'ScheduleFreeSGD: `warmupSteps` must be a whole number >= 0'],
    [() => new ScheduleFreeSGD({ learningRate: 0 }), 'ScheduleFreeSGD: `learningRate` must be a finite number > 0'],
    [() => new Prodigy({ beta3: 1 }), 'Prodigy: `beta3` must be in [0, 1), got 1'],
    [() => new Prodigy({ estimLr0: 0 }), 'Prodigy: `estimLr0` must be a finite number > 0, got 0'],
    [() => new Prodigy({ estimLrCoef: Number.NaN }), 'Prodigy: `estimLrCoef` must be a finite number > 0, got NaN'],
    [() => new Prodigy({ safeguardWarmup: 1 as never }), 'Prodigy: `safeguardWarmup` must be true or false, got 1'],
    [() => new Prodigy({ weightDecay: -0.5 }), 'Prodigy: `weightDecay` must be a finite number >= 0, got -0.5'],
  ];
  for (const [make, message] of bad) {
    it(`refuses: ${message}`, () => {
      // the message starts with the preset's name (not its building block's)
      expect(make).toThrow(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    });
  }

  it('getConfig rebuilds each preset, its own arguments and PyTorch weight decay included', () => {
    const configs: Array<[Make, Record<string, unknown>]> = [
      [PRESETS[0]?.[1] as Make, { beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.1 }],
      [PRESETS[1]?.[1] as Make, { learningRate: 0.1, etaminus: 0.3, etaplus: 1.5, stepSizes: [0.01, 1] }],
      [PRESETS[2]?.[1] as Make, { lambd: 0.01, alpha: 0.5, t0: 10, weightDecay: 0.2, learningRate: 0.05 }],
      [PRESETS[3]?.[1] as Make, { beta1: 0.5, epsilon: 0.01, initialAccumulatorValue: 0.1 }],
      [PRESETS[4]?.[1] as Make, { beta2: 0.9, epsilon: 1e-8, epsilonRoot: 0 }],
      [
        PRESETS[5]?.[1] as Make,
        { beta1: 0.8, beta2: 0.99, epsilon: 1e-6, warmupSteps: 10, weightLrPower: 1, weightDecay: 0.01 },
      ],
      [PRESETS[6]?.[1] as Make, { learningRate: 0.5, beta1: 0.95, warmupSteps: 5, weightLrPower: 0, weightDecay: 0 }],
      [
        PRESETS[7]?.[1] as Make,
        { beta3: 0.99, epsilon: 1e-6, estimLr0: 1e-5, estimLrCoef: 0.5, safeguardWarmup: true, weightDecay: 0.01 },
      ],
    ];
    for (const [make, options] of configs) {
      const config = make(options).getConfig();
      expect(config.config).toMatchObject(options);
      const rebuilt = optimizerFromConfig(JSON.parse(JSON.stringify(config)));
      expect(rebuilt.getConfig()).toEqual(config);
    }
  });
});

describe.each(PRESETS)('%s', (name, make) => {
  it("the guard: 'throw' keeps weights and slots on a bad step and throws next; 'skip' counts it and goes on", async () => {
    const v = variable([0.5, -1, 2]);
    const opt = make({ learningRate: 0.1 });
    steps(opt, v, 0, 2);
    const slots = Object.fromEntries(opt.transform.slotNames.map((s) => [s, read(opt.slot(v, s))]));
    const before = read(v);
    opt.applyGradients([[tf.tensor1d([1, Number.NaN, 1]), v]]);
    expect(read(v)).toEqual(before);
    for (const [s, values] of Object.entries(slots)) expect(read(opt.slot(v, s)), s).toEqual(values);
    expect(() => steps(opt, v, 2, 3)).toThrow(NonFiniteGradientError);
    opt.dispose();

    const skip = make({ learningRate: 0.1, nonFiniteGradients: 'skip' });
    const w = variable([0.5, -1, 2]);
    steps(skip, w, 0, 1);
    const kept = read(w);
    skip.applyGradients([[tf.tensor1d([Number.POSITIVE_INFINITY, 0, 0]), w]]);
    expect(read(w)).toEqual(kept);
    steps(skip, w, 1, 2);
    expect(read(w)).not.toEqual(kept);
    expect(await skip.nonFiniteReport()).toMatchObject({ skippedSteps: 1, lastBadStep: 1 });
    skip.dispose();
  });

  it('clipnorm: the same steps as the gradients clipped by hand', () => {
    const [a, b] = [variable([0.5, -1, 2]), variable([0.5, -1, 2])];
    const clipped = make({ learningRate: 0.1, clipnorm: 0.5 });
    const plain = make({ learningRate: 0.1 });
    for (let s = 0; s < 4; s++) {
      const g = gradient(s);
      const norm = Math.hypot(...g);
      const [ga, gb] = [tf.tensor1d(g), tf.tensor1d(g.map((x) => (x * 0.5) / Math.max(norm, 0.5)))];
      clipped.applyGradients([[ga, a]]);
      plain.applyGradients([[gb, b]]);
      tf.dispose([ga, gb]);
    }
    read(a).forEach((x, i) => {
      expect(x).toBeCloseTo(read(b)[i] as number, 6);
    });
    expect(read(a)).not.toEqual([0.5, -1, 2]);
    clipped.dispose();
    plain.dispose();
  });

  it("useEma: the weights' average follows Keras (the weights after step 1, then 0.9 avg + 0.1 w)", () => {
    const v = variable([0.5, -1, 2]);
    const opt = make({ learningRate: 0.1, useEma: true, emaMomentum: 0.9 });
    steps(opt, v, 0, 1);
    const w1 = read(v);
    expect(read(opt.emaOf(v))).toEqual(w1);
    steps(opt, v, 1, 2);
    const w2 = read(v);
    read(opt.emaOf(v)).forEach((x, i) => {
      expect(x).toBeCloseTo(0.9 * (w1[i] as number) + 0.1 * (w2[i] as number), 6);
    });
    opt.dispose();
  });

  it('a schedule is read at each step: the same run as setting the rate between steps', () => {
    if (name === 'Rprop') return; // its rate is the initial step size: a schedule is refused (above)
    const rates = [0.1, 0.05, 0.2, 0.01];
    const [a, b] = [variable([0.5, -1, 2]), variable([0.5, -1, 2])];
    const scheduled = make({ learningRate: (step: number) => rates[step] as number });
    const set = make({ learningRate: 0.1 });
    for (let s = 0; s < rates.length; s++) {
      set.learningRate = rates[s] as number;
      steps(scheduled, a, s, s + 1);
      steps(set, b, s, s + 1);
    }
    expect(read(a)).toEqual(read(b));
    const constant = make({ learningRate: 0.1 });
    const c = variable([0.5, -1, 2]);
    steps(constant, c, 0, rates.length);
    expect(read(a)).not.toEqual(read(c));
    for (const opt of [scheduled, set, constant]) opt.dispose();
  });
});

describe("PyTorch's weightDecay (RAdam, ASGD): added to the gradient, and excludeFromWeightDecay applies to it", () => {
  it.each([
    ['RAdam', (o: Record<string, unknown>) => new RAdam(o)],
    ['ASGD', (o: Record<string, unknown>) => new ASGD(o)],
  ])('%s: decay 0.1 is the gradient g + 0.1 w; an excluded variable keeps g', (_, make) => {
    const decayed = make({ learningRate: 0.1, weightDecay: 0.1 });
    const plain = make({ learningRate: 0.1 });
    const kernel = variable([0.5, -1, 2], `kernel-${_}`);
    const bias = variable([0.5, -1, 2], `bias-${_}`);
    decayed.excludeFromWeightDecay({ varNames: ['bias'] });
    const [byHand, plainBias] = [variable([0.5, -1, 2]), variable([0.5, -1, 2])];
    for (let s = 0; s < 3; s++) {
      const g = gradient(s);
      const withL2 = tf.tidy(() => tf.add(tf.tensor1d(g), tf.mul(byHand, 0.1)));
      const [gk, gb, gp] = [tf.tensor1d(g), tf.tensor1d(g), tf.tensor1d(g)];
      decayed.applyGradients([
        [gk, kernel],
        [gb, bias],
      ]);
      plain.applyGradients([
        [withL2, byHand],
        [gp, plainBias],
      ]);
      tf.dispose([withL2, gk, gb, gp]);
    }
    read(kernel).forEach((x, i) => {
      expect(x).toBeCloseTo(read(byHand)[i] as number, 6);
    });
    expect(read(bias)).toEqual(read(plainBias));
    expect(decayed.getConfig().config).toMatchObject({ weightDecay: 0.1, excludeFromWeightDecay: ['bias'] });
    expect(() => decayed.excludeFromWeightDecay({ varNames: ['kernel'] })).toThrow('before the optimizer is built');
    decayed.dispose();
    plain.dispose();
  });
});

describe("optax's weight decay inside the step (ScheduleFreeAdamW, ScheduleFreeSGD, Prodigy): excludeFromWeightDecay applies", () => {
  it.each([
    ['ScheduleFreeAdamW', (o: Record<string, unknown>) => new ScheduleFreeAdamW(o)],
    ['ScheduleFreeSGD', (o: Record<string, unknown>) => new ScheduleFreeSGD(o)],
    ['Prodigy', (o: Record<string, unknown>) => new Prodigy({ estimLr0: 1e-2, ...o })],
  ])('%s: an excluded variable takes the steps of no decay; a decayed one does not', (name, make) => {
    const excluded = make({ learningRate: 0.1, weightDecay: 0.5, excludeFromWeightDecay: ['bias'] });
    const plain = make({ learningRate: 0.1 });
    const decayed = make({ learningRate: 0.1, weightDecay: 0.5 });
    const [a, b, c] = [variable([0.5, -1, 2], `bias-${name}`), variable([0.5, -1, 2]), variable([0.5, -1, 2])];
    steps(excluded, a, 0, 4);
    steps(plain, b, 0, 4);
    steps(decayed, c, 0, 4);
    expect(read(a)).toEqual(read(b));
    expect(read(c)).not.toEqual(read(b));
    expect(excluded.getConfig().config).toMatchObject({ weightDecay: 0.5, excludeFromWeightDecay: ['bias'] });
    for (const opt of [excluded, plain, decayed]) opt.dispose();
  });
});
