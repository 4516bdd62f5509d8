import { describe, expect, it } from 'vitest';
import {
  constant,
  cosineDecay,
  cosineDecayRestarts,
  exponentialDecay,
  inverseTimeDecay,
  joinSchedules,
  type LearningRateSchedule,
  linearWarmup,
  piecewiseConstantDecay,
  polynomialDecay,
  SCHEDULE_CLASS_NAMES,
  scheduleFromConfig,
  sequence,
} from './index.js';

/** Relative 1e-9 (+1e-15 absolute): well inside the "matches Keras 3 to 1e-6", since both sides are float64. */
function close(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.abs(expected) + 1e-15);
}

const STEPS = [0, 1, 2, 3, 7, 10, 99, 100, 101, 250, 999, 1000, 1001, 1500, 2000, 2500, 3333, 10_000, 123_457];

// Keras 3's __call__ bodies (keras/src/optimizers/schedules/learning_rate_schedule.py), transcribed in float64.
const keras = {
  exponential(lr0: number, decaySteps: number, decayRate: number, staircase: boolean, step: number) {
    let p = step / decaySteps;
    if (staircase) p = Math.floor(p);
    return lr0 * decayRate ** p;
  },
  inverseTime(lr0: number, decaySteps: number, decayRate: number, staircase: boolean, step: number) {
    let p = step / decaySteps;
    if (staircase) p = Math.floor(p);
    return lr0 / (1 + decayRate * p);
  },
  piecewise(boundaries: number[], values: number[], step: number) {
    // Sum of indicator * value, exactly as Keras builds it.
    let result = (step <= (boundaries[0] as number) ? 1 : 0) * (values[0] as number);
    result += (step > (boundaries[boundaries.length - 1] as number) ? 1 : 0) * (values[values.length - 1] as number);
    for (let i = 0; i + 1 < boundaries.length; i++) {
      const inRange = step > (boundaries[i] as number) && step <= (boundaries[i + 1] as number);
      result += (inRange ? 1 : 0) * (values[i + 1] as number);
    }
    return result;
  },
  polynomial(lr0: number, decaySteps: number, end: number, power: number, cycle: boolean, step: number) {
    let g = step;
    let d = decaySteps;
    if (cycle) {
      const multiplier = g === 0 ? 1 : Math.ceil(g / decaySteps);
      d = d * multiplier;
    } else {
      g = Math.min(g, d);
    }
    const p = g / d;
    return (lr0 - end) * (1 - p) ** power + end;
  },
  cosine(lr0: number, decaySteps: number, alpha: number, target: number | null, warmupSteps: number, step: number) {
    const decay = (s: number, from: number) => {
      const completed = s / decaySteps;
      const cosineDecayed = 0.5 * (1 + Math.cos(Math.PI * completed));
      return from * ((1 - alpha) * cosineDecayed + alpha);
    };
    if (target === null) return decay(Math.min(step, decaySteps), lr0);
    const g = Math.min(step, decaySteps + warmupSteps);
    if (g < warmupSteps) return (target - lr0) * (g / warmupSteps) + lr0;
    return decay(g - warmupSteps, target);
  },
};

/** SGDR by walking the periods one by one: an oracle that shares no arithmetic with Keras's log formula. */
function sgdrByWalking(lr0: number, first: number, tMul: number, mMul: number, alpha: number, step: number): number {
  let start = 0;
  let length = first;
  let i = 0;
  while (step >= start + length) {
    start += length;
    length *= tMul;
    i += 1;
  }
  const x = (step - start) / length;
  return lr0 * ((1 - alpha) * 0.5 * mMul ** i * (1 + Math.cos(Math.PI * x)) + alpha);
}

function matchesEverywhere(schedule: LearningRateSchedule, oracle: (step: number) => number, steps = STEPS): void {
  for (const step of steps) close(schedule(step), oracle(step));
}

describe('exponentialDecay', () => {
  it('matches Keras and the closed form at step 2500 (decaySteps 1000, rate 0.5)', () => {
    const smooth = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.5 });
    const stairs = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.5, staircase: true });
    close(smooth(2500), 0.1 * 0.5 ** 2 * Math.SQRT1_2); // 0.1 * 0.5^2.5
    close(smooth(2500), 0.01767766952966369);
    close(stairs(2500), 0.025);
    close(stairs(1999), 0.05);
    close(stairs(2000), 0.025);
    close(smooth(0), 0.1);
    matchesEverywhere(smooth, (s) => keras.exponential(0.1, 1000, 0.5, false, s));
    matchesEverywhere(stairs, (s) => keras.exponential(0.1, 1000, 0.5, true, s));
    const keras96 = exponentialDecay({
      initialLearningRate: 0.1,
      decaySteps: 100_000,
      decayRate: 0.96,
      staircase: true,
    });
    matchesEverywhere(keras96, (s) => keras.exponential(0.1, 100_000, 0.96, true, s), [...STEPS, 100_000, 250_000]);
  });
});

describe('inverseTimeDecay', () => {
  it('is the chapter formula initial_lr / (1 + decay_rate * epoch) with one-epoch decaySteps', () => {
    const stepsPerEpoch = 375; // 48000 / 128
    const s = inverseTimeDecay({ initialLearningRate: 1e-3, decaySteps: stepsPerEpoch, decayRate: 1, staircase: true });
    for (let epoch = 0; epoch < 20; epoch++) {
      close(s(epoch * stepsPerEpoch), 1e-3 / (1 + epoch));
      close(s(epoch * stepsPerEpoch + stepsPerEpoch - 1), 1e-3 / (1 + epoch));
    }
  });

  it('matches Keras, smooth and staircase, and hand values', () => {
    const smooth = inverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    const stairs = inverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    close(smooth(25), 0.1 / 2.25);
    close(stairs(25), 0.05);
    close(inverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5 })(3), 0.04);
    matchesEverywhere(smooth, (s) => keras.inverseTime(0.1, 10, 0.5, false, s));
    matchesEverywhere(stairs, (s) => keras.inverseTime(0.1, 10, 0.5, true, s));
  });
});

describe('piecewiseConstantDecay', () => {
  it('gives the earlier value at a boundary, as Keras (step <= boundary)', () => {
    const s = piecewiseConstantDecay({ boundaries: [100_000, 110_000], values: [1.0, 0.5, 0.1] });
    expect(s(0)).toBe(1.0);
    expect(s(99_999)).toBe(1.0);
    expect(s(100_000)).toBe(1.0);
    expect(s(100_001)).toBe(0.5);
    expect(s(110_000)).toBe(0.5);
    expect(s(110_001)).toBe(0.1);
    expect(s(10_000_000)).toBe(0.1);
    const steps = [...STEPS, 99_999, 100_000, 100_001, 109_999, 110_000, 110_001, 200_000];
    matchesEverywhere(s, (x) => keras.piecewise([100_000, 110_000], [1.0, 0.5, 0.1], x), steps);
  });

  it('handles a single boundary', () => {
    const s = piecewiseConstantDecay({ boundaries: [3], values: [0.2, 0.02] });
    expect([0, 3, 4].map(s)).toEqual([0.2, 0.2, 0.02]);
  });
});

describe('polynomialDecay', () => {
  it('matches Keras (sqrt decay from 0.1 to 0.01) and holds the end value after decaySteps', () => {
    const s = polynomialDecay({ initialLearningRate: 0.1, decaySteps: 10_000, endLearningRate: 0.01, power: 0.5 });
    close(s(2500), 0.09 * Math.sqrt(0.75) + 0.01);
    close(s(10_000), 0.01);
    close(s(20_000), 0.01);
    matchesEverywhere(s, (x) => keras.polynomial(0.1, 10_000, 0.01, 0.5, false, x));
  });

  it('defaults to a linear decay to 0.0001', () => {
    const s = polynomialDecay({ initialLearningRate: 0.1, decaySteps: 100 });
    close(s(50), 0.0999 * 0.5 + 0.0001);
    close(s(100), 0.0001);
    expect(s.config.config).toMatchObject({ endLearningRate: 0.0001, power: 1, cycle: false });
  });

  it('cycles with the first multiple of decaySteps >= step', () => {
    const s = polynomialDecay({ initialLearningRate: 1, decaySteps: 10, endLearningRate: 0, cycle: true });
    close(s(0), 1);
    close(s(5), 0.5);
    close(s(10), 0); // ceil(10/10) = 1: the end of the first cycle
    close(s(11), 1 - 11 / 20);
    close(s(25), 1 - 25 / 30);
    matchesEverywhere(s, (x) => keras.polynomial(1, 10, 0, 1, true, x));
    const s2 = polynomialDecay({
      initialLearningRate: 0.3,
      decaySteps: 77,
      endLearningRate: 0.02,
      power: 2,
      cycle: true,
    });
    matchesEverywhere(s2, (x) => keras.polynomial(0.3, 77, 0.02, 2, true, x));
  });
});

describe('cosineDecay', () => {
  it('goes from the initial rate to alpha * initial over decaySteps, then stays', () => {
    const s = cosineDecay({ initialLearningRate: 0.1, decaySteps: 1000 });
    close(s(0), 0.1);
    close(s(250), 0.05 * (1 + Math.SQRT1_2));
    close(s(500), 0.05);
    close(s(1000), 0);
    close(s(5000), 0);
    const floor = cosineDecay({ initialLearningRate: 0.1, decaySteps: 1000, alpha: 0.1 });
    close(floor(500), 0.1 * (0.9 * 0.5 + 0.1));
    close(floor(1000), 0.01);
    close(floor(2000), 0.01);
    matchesEverywhere(s, (x) => keras.cosine(0.1, 1000, 0, null, 0, x));
    matchesEverywhere(floor, (x) => keras.cosine(0.1, 1000, 0.1, null, 0, x));
  });

  it('warms up linearly to warmupTarget, then decays from it (Keras 3)', () => {
    const s = cosineDecay({ initialLearningRate: 0, decaySteps: 1000, warmupTarget: 0.1, warmupSteps: 100 });
    close(s(0), 0);
    close(s(50), 0.05);
    close(s(99), 0.099);
    close(s(100), 0.1);
    close(s(600), 0.05);
    close(s(1100), 0);
    close(s(5000), 0);
    matchesEverywhere(s, (x) => keras.cosine(0, 1000, 0, 0.1, 100, x));
    const s2 = cosineDecay({
      initialLearningRate: 0.01,
      decaySteps: 700,
      alpha: 0.2,
      warmupTarget: 0.3,
      warmupSteps: 250,
    });
    matchesEverywhere(s2, (x) => keras.cosine(0.01, 700, 0.2, 0.3, 250, x));
    // A target without warmup steps: the decay starts from the target at once, as in Keras.
    const s3 = cosineDecay({ initialLearningRate: 0.5, decaySteps: 10, warmupTarget: 0.1 });
    close(s3(0), 0.1);
  });
});

describe('cosineDecayRestarts', () => {
  it('restarts with doubled periods (tMul 2) at the full rate', () => {
    const s = cosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 10 });
    close(s(0), 1);
    close(s(5), 0.5);
    close(s(10), 1); // period 1: steps 10..29
    close(s(20), 0.5);
    close(s(30), 1); // period 2: steps 30..69
    close(s(50), 0.5);
    close(s(70), 1);
  });

  it('scales each restart by mMul and floors at alpha', () => {
    const s = cosineDecayRestarts({ initialLearningRate: 0.2, firstDecaySteps: 10, mMul: 0.5, alpha: 0.1 });
    close(s(10), 0.2 * (0.9 * 0.5 + 0.1));
    close(s(30), 0.2 * (0.9 * 0.25 + 0.1));
  });

  it('matches period-walking arithmetic for several tMul, mMul, including every restart step', () => {
    for (const [tMul, mMul, alpha, first] of [
      [2, 1, 0, 10],
      [3, 0.5, 0.1, 10],
      [1, 0.8, 0, 25],
      [1.5, 0.9, 0.05, 8],
      [0.5, 1, 0, 100],
    ] as const) {
      const s = cosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: first, tMul, mMul, alpha });
      const horizon = tMul < 1 ? (first / (1 - tMul)) * 0.999 : 3000;
      for (let step = 0; step < horizon; step++) {
        close(s(step), sgdrByWalking(0.1, first, tMul, mMul, alpha, step));
      }
    }
  });

  it("gives the full restart rate where the float log in Keras's formula lands in the previous period", () => {
    // log(1 + 111 * 9) / log(10) rounds to just under 3: Keras's raw floor says period 2, at its very end.
    expect(Math.floor(Math.log(1 - 111 * (1 - 10)) / Math.log(10))).toBe(2);
    const s = cosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 1, tMul: 10 });
    close(s(111), 0.1);
    close(s(61 * 1), sgdrByWalking(0.1, 1, 10, 1, 0, 61));
    const s2 = cosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 16, tMul: 1.25, mMul: 0.5 });
    close(s2(61), 0.1 * 0.5 ** 3);
  });

  it('with tMul < 1, refuses steps past the end of all periods', () => {
    const s = cosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 10, tMul: 0.5 });
    expect(() => s(25)).toThrow(/step 25 is past the end of all restarts.*tMul=0\.5.*= 20 steps/);
  });
});

describe('constant, linearWarmup, sequence', () => {
  it('constant is constant', () => {
    const s = constant(0.003);
    expect([0, 1, 1e6].map(s)).toEqual([0.003, 0.003, 0.003]);
  });

  it('linearWarmup in front of cosineDecay equals Keras cosineDecay with warmup', () => {
    const keras3 = cosineDecay({
      initialLearningRate: 0.001,
      decaySteps: 900,
      alpha: 0.1,
      warmupTarget: 0.1,
      warmupSteps: 100,
    });
    const ours = linearWarmup({
      warmupSteps: 100,
      initialLearningRate: 0.001,
      schedule: cosineDecay({ initialLearningRate: 0.1, decaySteps: 900, alpha: 0.1 }),
    });
    for (let step = 0; step <= 1200; step++) close(ours(step), keras3(step));
  });

  it('linearWarmup to a fixed rate, and with zero warmup steps', () => {
    const s = linearWarmup({ warmupSteps: 4, schedule: 0.1 });
    expect([0, 1, 2, 3, 4, 100].map(s)).toEqual(
      [0, 0.025, 0.05, 0.075000000000000011, 0.1, 0.1].map((v) => expect.closeTo(v, 12)),
    );
    const none = linearWarmup({
      warmupSteps: 0,
      schedule: exponentialDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 0.5 }),
    });
    close(none(3), 0.125);
  });

  it('sequence hands over at each boundary, offsetting the step (optax join_schedules)', () => {
    const later = exponentialDecay({ initialLearningRate: 0.05, decaySteps: 1000, decayRate: 0.1 });
    const s = sequence({ schedules: [constant(0.1), later, constant(0.001)], boundaries: [100, 2100] });
    expect(s(0)).toBe(0.1);
    expect(s(99)).toBe(0.1);
    close(s(100), 0.05); // the boundary step belongs to the next schedule, which sees step 0
    close(s(1100), 0.005);
    close(s(2099), 0.05 * 0.1 ** (1999 / 1000));
    expect(s(2100)).toBe(0.001);
    const joined = joinSchedules([constant(0.1), later, constant(0.001)], [100, 2100]);
    for (const step of STEPS) expect(joined(step)).toBe(s(step));
  });
});

describe('steps', () => {
  const all: LearningRateSchedule[] = [
    exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }),
    inverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }),
    piecewiseConstantDecay({ boundaries: [1], values: [1, 0.1] }),
    polynomialDecay({ initialLearningRate: 0.1, decaySteps: 10 }),
    cosineDecay({ initialLearningRate: 0.1, decaySteps: 10 }),
    cosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 10 }),
    constant(0.1),
    linearWarmup({ warmupSteps: 3, schedule: 0.1 }),
    sequence({ schedules: [constant(0.1)], boundaries: [] }),
  ];
  it.each(all.map((s) => [s.config.className, s] as const))('%s rejects negative and fractional steps', (name, s) => {
    expect(() => s(-1)).toThrow(
      new RegExp(`^${name}: \`step\` must be an integer >= 0, got -1\\. A schedule is called`),
    );
    expect(() => s(1.5)).toThrow(/`step` must be an integer >= 0, got 1\.5/);
    expect(() => s(Number.NaN)).toThrow(/got NaN/);
    expect(() => s('3' as unknown as number)).toThrow(TypeError);
  });
});

describe('configs', () => {
  const all: LearningRateSchedule[] = [
    exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true }),
    inverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, name: 'mine' }),
    piecewiseConstantDecay({ boundaries: [10, 20], values: [1, 0.1, 0.01] }),
    polynomialDecay({ initialLearningRate: 0.1, decaySteps: 10, power: 2, cycle: true }),
    cosineDecay({ initialLearningRate: 0, decaySteps: 10, alpha: 0.1, warmupTarget: 0.1, warmupSteps: 5 }),
    cosineDecay({ initialLearningRate: 0.1, decaySteps: 10 }),
    cosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 10, tMul: 1.5, mMul: 0.9, alpha: 0.01 }),
    constant(0.1),
    linearWarmup({ warmupSteps: 3, schedule: cosineDecay({ initialLearningRate: 0.1, decaySteps: 10 }) }),
    sequence({
      schedules: [
        constant(0.1),
        linearWarmup({ warmupSteps: 2, schedule: 0.2 }),
        polynomialDecay({ initialLearningRate: 0.2, decaySteps: 9 }),
      ],
      boundaries: [5, 15],
    }),
  ];

  it('covers every class name', () => {
    expect(new Set(all.map((s) => s.config.className))).toEqual(new Set(SCHEDULE_CLASS_NAMES));
  });

  it.each(all.map((s) => [s.config.className, s] as const))('%s round-trips through JSON', (_name, s) => {
    const json = JSON.stringify(s.config);
    const rebuilt = scheduleFromConfig(JSON.parse(json));
    expect(JSON.stringify(rebuilt.config)).toBe(json);
    for (let step = 0; step < 60; step++) expect(rebuilt(step)).toBe(s(step));
  });

  it('holds Keras argument names in camelCase with Keras default names', () => {
    expect(exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }).config).toEqual({
      className: 'ExponentialDecay',
      config: { initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: false, name: 'ExponentialDecay' },
    });
    expect(cosineDecay({ initialLearningRate: 0.1, decaySteps: 10 }).config.config).toEqual({
      initialLearningRate: 0.1,
      decaySteps: 10,
      alpha: 0,
      name: 'CosineDecay',
      warmupTarget: null,
      warmupSteps: 0,
    });
    expect(cosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 10 }).config.config).toMatchObject({
      tMul: 2,
      mMul: 1,
      alpha: 0,
      name: 'SGDRDecay',
    });
    expect(piecewiseConstantDecay({ boundaries: [1], values: [1, 2] }).config.config.name).toBe('PiecewiseConstant');
  });

  it('is frozen and does not alias the caller arrays', () => {
    const boundaries = [10];
    const s = piecewiseConstantDecay({ boundaries, values: [1, 0.1] });
    boundaries[0] = 1000;
    expect(s(11)).toBe(0.1);
    expect(Object.isFrozen(s.config.config)).toBe(true);
  });

  it('rejects unknown class names, unknown options and invalid values', () => {
    expect(() => scheduleFromConfig({ className: 'StepDecay', config: {} })).toThrow(
      /unknown className "StepDecay"\. Known: ExponentialDecay, InverseTimeDecay/,
    );
    expect(() => scheduleFromConfig(null as never)).toThrow(/expected \{ className, config \}/);
    expect(() => scheduleFromConfig({ className: 'toString', config: {} })).toThrow(/unknown className/);
    expect(() =>
      scheduleFromConfig({
        className: 'ExponentialDecay',
        config: { initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.5, decay_rate: 1 },
      }),
    ).toThrow(/exponentialDecay: unknown option `decay_rate`\. Known options: initialLearningRate, decaySteps/);
    expect(() => scheduleFromConfig({ className: 'Constant', config: { learningRate: -1 } })).toThrow(
      /constant: `learningRate` must be a finite number >= 0, got -1/,
    );
    expect(() => scheduleFromConfig({ className: 'Sequence', config: { schedules: 3, boundaries: [] } })).toThrow(
      /`schedules` must be an array of configs, got 3/,
    );
  });
});

describe('validation messages', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    [
      'decaySteps 0',
      () => exponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 }),
      /^exponentialDecay: `decaySteps` must be a finite number > 0, got 0\. It is the number of steps/,
    ],
    [
      'decaySteps -5',
      () => inverseTimeDecay({ initialLearningRate: 0.1, decaySteps: -5, decayRate: 0.5 }),
      /^inverseTimeDecay: `decaySteps` must be a finite number > 0, got -5/,
    ],
    [
      'decaySteps NaN',
      () => polynomialDecay({ initialLearningRate: 0.1, decaySteps: Number.NaN }),
      /^polynomialDecay: `decaySteps` must be a finite number > 0, got NaN/,
    ],
    [
      'cosine decaySteps',
      () => cosineDecay({ initialLearningRate: 0.1, decaySteps: 0 }),
      /^cosineDecay: `decaySteps` must be a finite number > 0, got 0/,
    ],
    [
      'firstDecaySteps',
      () => cosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: -1 }),
      /^cosineDecayRestarts: `firstDecaySteps` must be a finite number > 0, got -1/,
    ],
    [
      'negative lr',
      () => exponentialDecay({ initialLearningRate: -0.1, decaySteps: 1, decayRate: 0.5 }),
      /`initialLearningRate` must be a finite number >= 0, got -0\.1/,
    ],
    [
      'infinite lr',
      () => cosineDecay({ initialLearningRate: Number.POSITIVE_INFINITY, decaySteps: 1 }),
      /`initialLearningRate` must be a finite number >= 0, got Infinity/,
    ],
    [
      'string lr',
      () => constant('0.1' as unknown as number),
      /^constant: `learningRate` must be a finite number >= 0, got "0\.1"/,
    ],
    [
      'decayRate 0',
      () => exponentialDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: 0 }),
      /`decayRate` must be a finite number > 0, got 0/,
    ],
    [
      'inverse decayRate',
      () => inverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: -1 }),
      /`decayRate` must be a finite number >= 0, got -1/,
    ],
    [
      'staircase',
      () =>
        exponentialDecay({
          initialLearningRate: 0.1,
          decaySteps: 1,
          decayRate: 0.5,
          staircase: 1 as unknown as boolean,
        }),
      /`staircase` must be true or false, got 1/,
    ],
    [
      'end lr',
      () => polynomialDecay({ initialLearningRate: 0.1, decaySteps: 1, endLearningRate: -1 }),
      /`endLearningRate` must be a finite number >= 0, got -1/,
    ],
    [
      'power',
      () => polynomialDecay({ initialLearningRate: 0.1, decaySteps: 1, power: -1 }),
      /`power` must be a finite number >= 0, got -1/,
    ],
    [
      'alpha',
      () => cosineDecay({ initialLearningRate: 0.1, decaySteps: 1, alpha: 1.5 }),
      /^cosineDecay: `alpha` must be a number in \[0, 1\], got 1\.5/,
    ],
    [
      'warmupTarget',
      () => cosineDecay({ initialLearningRate: 0.1, decaySteps: 1, warmupTarget: -1, warmupSteps: 1 }),
      /`warmupTarget` must be a finite number >= 0, got -1/,
    ],
    [
      'warmup without target',
      () => cosineDecay({ initialLearningRate: 0.1, decaySteps: 1, warmupSteps: 10 }),
      /`warmupSteps` is 10 but `warmupTarget` is null.*Set warmupTarget/,
    ],
    [
      'tMul',
      () => cosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 1, tMul: 0 }),
      /`tMul` must be a finite number > 0, got 0/,
    ],
    [
      'mMul',
      () => cosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 1, mMul: -2 }),
      /`mMul` must be a finite number >= 0, got -2/,
    ],
    [
      'boundaries non-increasing',
      () => piecewiseConstantDecay({ boundaries: [10, 10], values: [1, 2, 3] }),
      /^piecewiseConstantDecay: `boundaries` must be strictly increasing, got \[10, 10\] \(boundaries\[1\] = 10 is not greater than boundaries\[0\] = 10\)/,
    ],
    [
      'boundaries decreasing',
      () => piecewiseConstantDecay({ boundaries: [10, 5], values: [1, 2, 3] }),
      /must be strictly increasing, got \[10, 5\]/,
    ],
    [
      'boundary fraction',
      () => piecewiseConstantDecay({ boundaries: [1.5], values: [1, 2] }),
      /`boundaries\[0\]` must be an integer >= 0, got 1\.5/,
    ],
    [
      'boundaries not array',
      () => piecewiseConstantDecay({ boundaries: 5 as unknown as number[], values: [1, 2] }),
      /`boundaries` must be an array of integers >= 0, got 5/,
    ],
    [
      'values length',
      () => piecewiseConstantDecay({ boundaries: [10, 20], values: [1, 2] }),
      /`values` must have one more element than `boundaries`, got boundaries=\[10, 20\] of length 2 and values=\[1, 2\] of length 2/,
    ],
    [
      'negative value',
      () => piecewiseConstantDecay({ boundaries: [10], values: [1, -2] }),
      /`values\[1\]` must be a finite number >= 0, got -2/,
    ],
    [
      'warmupSteps',
      () => linearWarmup({ warmupSteps: 2.5, schedule: 0.1 }),
      /^linearWarmup: `warmupSteps` must be an integer >= 0, got 2\.5/,
    ],
    [
      'warmup schedule',
      () => linearWarmup({ warmupSteps: 2, schedule: ((s: number) => s) as unknown as LearningRateSchedule }),
      /^linearWarmup: `schedule` must be a schedule made by this package/,
    ],
    [
      'sequence lengths',
      () => sequence({ schedules: [constant(1), constant(2)], boundaries: [] }),
      /^sequence: `boundaries` must have one fewer element than `schedules`, got 0 boundaries \(\[\]\) for 2 schedules/,
    ],
    ['sequence empty', () => sequence({ schedules: [], boundaries: [] }), /`schedules` must be a non-empty array/],
    [
      'sequence order',
      () => sequence({ schedules: [constant(1), constant(2), constant(3)], boundaries: [5, 2] }),
      /^sequence: `boundaries` must be strictly increasing/,
    ],
    [
      'unknown option',
      () => cosineDecay({ initialLearningRate: 0.1, decaySteps: 1, warmup_steps: 3 } as never),
      /^cosineDecay: unknown option `warmup_steps`/,
    ],
    [
      'no options',
      () => exponentialDecay(undefined as never),
      /^exponentialDecay: expected an options object, got undefined/,
    ],
  ];
  it.each(cases)('%s', (_name, make, message) => {
    expect(make).toThrow(message);
  });
});
