/**
 * The Optimizer around the transformations: state round trip, validation
 * messages, the non-finite policy, chains, EMA, memory and read-back.
 */
import { countTensors, packWeights, tf, unpackWeights } from '@opt/tensor';
import { countKernels, useTestBackend } from '@opt/tensor/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AdaBelief,
  Adadelta,
  Adafactor,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  ASGD,
  ema,
  Ftrl,
  fromTransformation,
  type GradientTransformationOptimizer,
  Lamb,
  Lion,
  lookahead,
  momentum,
  Nadam,
  NonFiniteGradientError,
  type Optimizer,
  type OptimizerState,
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

const made: tf.Tensor[] = [];
afterEach(() => {
  tf.dispose(made.splice(0));
});

/** Variables of a 784-256-128-10 MLP (kernels and biases), seeded values. */
function mlpVariables(scale = 0.05): tf.Variable[] {
  const shapes = [[784, 256], [256], [256, 128], [128], [128, 10], [10]];
  const vars = shapes.map((s, i) => tf.variable(tf.mul(tf.randomNormal(s, 0, 1, 'float32', 11 + i), scale)));
  made.push(...vars);
  return vars;
}

function gradsFor(vars: tf.Variable[], seed: number): tf.Tensor[] {
  return vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, 'float32', 1 + seed * 100 + i));
}

function stepOnce(opt: Optimizer, vars: tf.Variable[], seed: number): void {
  const grads = gradsFor(vars, seed);
  opt.applyGradients(grads.map((g, i) => [g, vars[i] as tf.Variable] as const));
  tf.dispose(grads);
}

async function values(vars: tf.Variable[]): Promise<Float32Array[]> {
  return Promise.all(vars.map((v) => v.data() as Promise<Float32Array>));
}

const presets: Array<[string, () => Optimizer]> = [
  ['SGD', () => new SGD({ momentum: 0.9, nesterov: true })],
  ['RMSprop', () => new RMSprop({ centered: true, momentum: 0.3 })],
  ['Adam', () => new Adam({ amsgrad: true, useEma: true, emaOverwriteFrequency: 3 })],
  ['AdamW', () => new AdamW({ globalClipnorm: 1 })],
  ['Adagrad', () => new Adagrad({ clipnorm: 1 })],
  ['Adamax', () => new Adamax({ clipvalue: 0.5 })],
  ['Nadam', () => new Nadam()],
  ['Adadelta', () => new Adadelta({ useEma: true })],
  ['Lion', () => new Lion({ weightDecay: 0.1 })],
  ['Lamb', () => new Lamb({ weightDecay: 0.01, clipnorm: 1 })],
  ['Ftrl', () => new Ftrl({ l1RegularizationStrength: 0.01, beta: 0.1 })],
  ['Adafactor', () => new Adafactor({ useEma: true })],
  ['RAdam', () => new RAdam({ weightDecay: 0.01, useEma: true })], // rectified from step 6: inside the 6 steps
  ['Rprop', () => new Rprop()],
  ['ASGD', () => new ASGD({ t0: 1, weightDecay: 0.1 })], // averaging from step 3
  ['Yogi', () => new Yogi({ clipnorm: 1 })],
  ['AdaBelief', () => new AdaBelief({ globalClipnorm: 1 })],
  ['ScheduleFreeAdamW', () => new ScheduleFreeAdamW({ warmupSteps: 4, weightDecay: 0.01 })], // resumed inside the warmup
  ['ScheduleFreeSGD', () => new ScheduleFreeSGD({ learningRate: 0.1, useEma: true })],
  ['Prodigy', () => new Prodigy({ weightDecay: 0.01 })], // d and the numerator's sum are saved
  ['lookahead(Adam)', () => fromTransformation(lookahead(new Adam().transform, { syncPeriod: 2, resetState: true }))],
];

describe('getState / setState resume bit-exact', () => {
  for (const [name, make] of presets) {
    it(`${name}: JSON + packWeights round trip, then continues as the uninterrupted run`, async () => {
      const a = mlpVariables().slice(4); // the last layer keeps the test fast
      const b = a.map((v) => tf.variable(v.clone()));
      made.push(...b);
      const straight = make();
      const first = make();
      for (let s = 0; s < 3; s++) {
        stepOnce(straight, a, s);
        stepOnce(first, b, s);
      }
      const state = await first.getState();
      const { manifest, data } = packWeights(state.slots);
      const json = JSON.stringify({ ...state, slots: manifest });
      first.dispose();
      const parsed = JSON.parse(json) as Omit<OptimizerState, 'slots'> & { slots: Parameters<typeof unpackWeights>[0] };
      const resumed = make();
      resumed.setState({ ...parsed, slots: unpackWeights(parsed.slots, data) });
      expect(resumed.iterations).toBe(3);
      for (let s = 3; s < 6; s++) {
        stepOnce(straight, a, s);
        stepOnce(resumed, b, s);
      }
      const [va, vb] = [await values(a), await values(b)];
      va.forEach((x, i) => {
        expect(Buffer.from(x.buffer).equals(Buffer.from((vb[i] as Float32Array).buffer))).toBe(true);
      });
      straight.dispose();
      resumed.dispose();
    });
  }

  it('setState rejects another class and other shapes, with the reason', async () => {
    const [v] = mlpVariables().slice(5);
    const opt = new Adam();
    stepOnce(opt, [v as tf.Variable], 1);
    const state = await opt.getState();
    expect(() => new SGD().setState(state)).toThrow('the state belongs to a Adam, not a SGD');
    const other = new Adam();
    other.build([tf.variable(tf.zeros([3]))]);
    expect(() => other.setState(state)).toThrow(/slot "0\/.*\/momentum" has shape \[10\] but variable 0 needs \[3\]/);
    const two = new Adam();
    two.build([tf.variable(tf.zeros([10])), tf.variable(tf.zeros([10]))]);
    expect(() => two.setState(state)).toThrow(
      'the state holds 2 slot tensors but this optimizer, built for 2 variables',
    );
    opt.dispose();
  });
});

describe('validation', () => {
  const bad: Array<[() => unknown, string]> = [
    [() => new SGD({ learningRate: 0 }), 'SGD: `learningRate` must be a finite number > 0, got 0'],
    [() => new Adam({ learningRate: Number.NaN }), 'Adam: `learningRate` must be a finite number > 0, got NaN'],
    [() => new Adam({ learningRate: Infinity }), 'got Infinity'],
    [() => new Adam({ beta1: 1 }), '`beta1` must be in [0, 1), got 1'],
    [() => new Adam({ beta2: -0.1 }), '`beta2` must be in [0, 1), got -0.1'],
    [() => new Nadam({ beta1: 1.5 }), '`beta1` must be in [0, 1), got 1.5'],
    [() => new Adamax({ beta2: 1 }), '`beta2` must be in [0, 1), got 1'],
    [() => new RMSprop({ rho: 1.1 }), 'RMSprop: `rho` must be in [0, 1], got 1.1'],
    [() => new RMSprop({ momentum: -1 }), 'RMSprop: `momentum` must be in [0, 1], got -1'],
    [() => new SGD({ momentum: 2 }), 'SGD: `momentum` must be in [0, 1], got 2'],
    [() => new Adam({ epsilon: 0 }), '`epsilon` must be a finite number > 0, got 0'],
    [() => new Adagrad({ epsilon: -1 }), '`epsilon` must be a finite number > 0, got -1'],
    [() => new AdamW({ weightDecay: -0.1 }), 'AdamW: `weightDecay` must be a finite number >= 0, got -0.1'],
    [() => new Adam({ clipnorm: 1, clipvalue: 1 }), 'at most one of `clipnorm`, `clipvalue`, `globalClipnorm`'],
    [() => new Adam({ clipnorm: 0 }), 'Adam: `clipnorm` must be a finite number > 0, got 0'],
    [() => new Adam({ emaMomentum: 2 }), '`emaMomentum` must be in [0, 1], got 2'],
    [() => new Adam({ emaOverwriteFrequency: 0.5 }), '`emaOverwriteFrequency` must be a whole number >= 1, got 0.5'],
    [() => new Adagrad({ initialAccumulatorValue: -1 }), '`initialAccumulatorValue` must be a finite number >= 0'],
    [() => new SGD({ nesterov: 'yes' as unknown as boolean }), 'SGD: `nesterov` must be true or false, got "yes"'],
    [() => new Adam({ nonFiniteGradients: 'ignore' as 'skip' }), "`nonFiniteGradients` must be 'throw', 'skip'"],
    [() => ema(1), 'ema: `beta` must be in [0, 1), got 1'],
    [() => momentum(1.5), 'momentum: `momentum` must be in [0, 1], got 1.5'],
  ];
  for (const [fn, message] of bad) {
    it(`throws: ${message}`, () => {
      expect(fn).toThrow(message);
    });
  }

  it('setting learningRate checks the value', () => {
    const opt = new Adam();
    expect(() => {
      opt.learningRate = -1;
    }).toThrow('Adam: `learningRate` must be a finite number > 0, got -1');
  });

  it('applyGradients names the variable for a wrong shape, a missing gradient, a non-variable, a frozen variable', () => {
    const v = tf.variable(tf.zeros([2, 3]), true, 'opt-test-kernel');
    const frozen = tf.variable(tf.zeros([2]), false, 'opt-test-frozen');
    made.push(v, frozen);
    const opt = new SGD();
    expect(() => opt.applyGradients([[tf.zeros([3, 2]), v]])).toThrow(
      'the gradient of variable "opt-test-kernel" has shape [3, 2] but the variable has shape [2, 3]',
    );
    expect(() => opt.applyGradients([[null as unknown as tf.Tensor, v]])).toThrow(
      'the gradient of variable "opt-test-kernel" (pair 0) is missing (null)',
    );
    expect(() => opt.applyGradients([[tf.zeros([2]), tf.zeros([2]) as unknown as tf.Variable]])).toThrow(
      'entry 0 is not a tf.Variable',
    );
    expect(() => opt.applyGradients([[tf.zeros([2]), frozen]])).toThrow('variable "opt-test-frozen" is not trainable');
    expect(opt.iterations).toBe(0);
  });
});

describe('non-finite gradients', () => {
  it("'throw' (default): the bad step keeps the weights, the very next call throws naming the variable and step", async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, 'opt-nf-a');
    const b = tf.variable(tf.tensor1d([3, 4]), true, 'opt-nf-b');
    made.push(a, b);
    const opt = new Adam({ learningRate: 0.1 });
    opt.applyGradients([
      [tf.tensor1d([1, 1]), a],
      [tf.tensor1d([1, 1]), b],
    ]);
    const before = [Array.from(a.dataSync()), Array.from(b.dataSync())];
    opt.applyGradients([
      [tf.tensor1d([1, 1]), a],
      [tf.tensor1d([Number.NaN, 1]), b],
    ]); // step 1: bad
    expect([Array.from(a.dataSync()), Array.from(b.dataSync())]).toEqual(before);
    // no await in between: the next call reads the verdict itself
    expect(() =>
      opt.applyGradients([
        [tf.tensor1d([1, 1]), a],
        [tf.tensor1d([1, 1]), b],
      ]),
    ).toThrow('Non-finite gradient (NaN or Infinity) for variable "opt-nf-b" at step 1');
    expect([Array.from(a.dataSync()), Array.from(b.dataSync())]).toEqual(before);
    await expect(opt.checkGradients()).rejects.toThrow(NonFiniteGradientError);
    expect(() => opt.applyGradients([[tf.tensor1d([1, 1]), a]])).toThrow(NonFiniteGradientError);
    await expect(opt.getState()).rejects.toThrow('opt-nf-b');
    opt.dispose();
  });

  it('the background check raises the error on a later call without being asked', async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, 'opt-nf-c');
    made.push(a);
    const opt = new SGD();
    opt.applyGradients([[tf.tensor1d([Number.POSITIVE_INFINITY, 0]), a]]);
    await new Promise((r) => setTimeout(r, 20));
    expect(() => opt.applyGradients([[tf.tensor1d([1, 1]), a]])).toThrow('variable "opt-nf-c" at step 0');
    expect(Array.from(a.dataSync())).toEqual([1, 2]);
    opt.dispose();
  });

  it("'skip': a bad step changes nothing, later steps train, the count is reported", async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, 'opt-nf-d');
    made.push(a);
    const opt = new SGD({ learningRate: 0.5, momentum: 0.5, nonFiniteGradients: 'skip' });
    opt.applyGradients([[tf.tensor1d([Number.NaN, 0]), a]]);
    expect(Array.from(a.dataSync())).toEqual([1, 2]);
    expect(Array.from((opt.slot(a, 'momentum') as tf.Variable).dataSync())).toEqual([0, 0]);
    opt.applyGradients([[tf.tensor1d([1, 1]), a]]);
    expect(Array.from(a.dataSync())).toEqual([0.5, 1.5]);
    await opt.checkGradients(); // does not throw under 'skip'
    expect(await opt.nonFiniteReport()).toEqual({ skippedSteps: 1, lastBadStep: 0, variableName: 'opt-nf-d' });
    opt.dispose();
  });

  it("'unchecked' is Keras's behaviour: NaN reaches the weights", () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    made.push(a);
    const opt = new SGD({ nonFiniteGradients: 'unchecked' });
    opt.applyGradients([[tf.tensor1d([Number.NaN, 0]), a]]);
    expect(Number.isNaN(a.dataSync()[0])).toBe(true);
    opt.dispose();
  });
});

describe('performance contract on a 784-256-128-10 MLP', () => {
  it('leaks no tensors over repeated steps', () => {
    const vars = mlpVariables();
    for (const [, make] of presets) {
      const opt = make();
      const grads = gradsFor(vars, 3);
      const pairs = grads.map((g, i) => [g, vars[i] as tf.Variable] as const);
      opt.applyGradients(pairs); // builds the slots
      const before = countTensors();
      for (let s = 0; s < 3; s++) opt.applyGradients(pairs);
      expect(countTensors()).toBe(before);
      opt.dispose();
      tf.dispose(grads);
    }
  });

  it('dispatches few kernels per variable (Adam: counted)', () => {
    const vars = mlpVariables();
    const grads = gradsFor(vars, 5);
    made.push(...grads);
    const pairs = grads.map((g, i) => [g, vars[i] as tf.Variable] as const);
    const count = (opt: Optimizer) => {
      opt.applyGradients(pairs);
      const n = countKernels(() => opt.applyGradients(pairs));
      opt.dispose();
      return n / vars.length;
    };
    const unchecked = count(new Adam({ nonFiniteGradients: 'unchecked' }));
    const checked = count(new Adam());
    // Keras's Adam is 12 ops per variable; ours adds the learning-rate multiply and the `w + update`.
    expect(unchecked).toBeLessThanOrEqual(14);
    // The finite check: isFinite + all, one broadcast (reshape + tile) of the flag and one Select per written
    // tensor (3 for Adam) per variable, plus about a dozen scalar kernels per step.
    expect(checked * vars.length).toBeLessThanOrEqual((unchecked + 7) * vars.length + 12);
  });
});

describe('dispose frees everything the optimizer made', () => {
  it('100 optimizers of every preset and policy, each stepped (good and bad steps), leave tf.memory() as it was', async () => {
    const w = tf.tidy(() => tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2])));
    const b = tf.tidy(() => tf.variable(tf.tensor1d([1, 2])));
    const good = [tf.ones([2, 2]), tf.ones([2])];
    const bad = [tf.fill([2, 2], Number.NaN), tf.ones([2])];
    made.push(w, b, ...good, ...bad);
    const before = tf.memory().numTensors;
    const policies = ['throw', 'skip', 'unchecked'] as const;
    for (let k = 0; k < 100; k++) {
      const [, make] = presets[k % presets.length] as [string, () => Optimizer];
      const nonFiniteGradients = policies[k % policies.length];
      const opt = k % 2 === 0 ? make() : new Adam({ nonFiniteGradients, useEma: true, clipnorm: 1, weightDecay: 0.1 });
      const pairs = (g: tf.Tensor[]) =>
        [
          [g[0] as tf.Tensor, w],
          [g[1] as tf.Tensor, b],
        ] as const;
      opt.applyGradients(pairs(good));
      if (nonFiniteGradients !== 'unchecked') {
        opt.applyGradients(pairs(bad));
        await (opt as GradientTransformationOptimizer).checkGradients().catch(() => undefined);
      }
      opt.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("minimize, in our form and in TensorFlow.js's", () => {
  it('minimize(f, varList) and minimize(f, true, varList) return the loss; minimize(f, false, varList) returns null', () => {
    const w = tf.variable(tf.scalar(3));
    made.push(w);
    const opt = new SGD({ learningRate: 0.25 });
    const loss = () => tf.square(w) as tf.Scalar;
    const l1 = opt.minimize(loss, [w]);
    expect(l1.dataSync()[0]).toBe(9);
    const l2 = opt.minimize(loss, true, [w]);
    expect(l2.dataSync()[0]).toBeCloseTo(2.25, 6);
    const before = tf.memory().numTensors;
    expect(opt.minimize(loss, false, [w])).toBeNull();
    expect(tf.memory().numTensors).toBe(before); // the loss was freed
    expect(w.dataSync()[0]).toBeCloseTo(3 * 0.5 ** 3, 6);
    expect(opt.iterations).toBe(3);
    tf.dispose([l1, l2]);
    opt.dispose();
  });

  it('names a varList that is not a list of variables', () => {
    const opt = new SGD();
    const loss = () => tf.scalar(1);
    expect(() => opt.minimize(loss, 'w' as never)).toThrow(
      'SGD.minimize: `varList` must be an array of tf.Variable, got string w',
    );
    expect(() => opt.minimize(loss, true, {} as never)).toThrow(
      'SGD.minimize: `varList` must be an array of tf.Variable, got Object',
    );
    expect(() => opt.minimize(loss, [tf.scalar(1) as tf.Variable])).toThrow(
      'SGD.minimize: entry 0 is not a tf.Variable',
    );
    expect(() => opt.minimize('loss' as never)).toThrow('SGD.minimize: `lossFn` must be a function');
  });
});

describe('kernels per step (issue 14)', () => {
  function count(opt: Optimizer, pairs: ReadonlyArray<readonly [tf.Tensor, tf.Variable]>): number {
    opt.applyGradients(pairs);
    const n = countKernels(() => opt.applyGradients(pairs));
    opt.dispose();
    return n;
  }

  it("Adam is Keras's 12 operations per variable, SGD with momentum 4 (the guard's are counted in guard.test.ts)", () => {
    const vars = mlpVariables();
    const grads = gradsFor(vars, 6);
    made.push(...grads);
    const pairs = grads.map((g, i) => [g, vars[i] as tf.Variable] as const);
    const n = vars.length;
    expect(count(new Adam({ nonFiniteGradients: 'unchecked' }), pairs)).toBe(12 * n);
    expect(count(new SGD({ momentum: 0.9, nonFiniteGradients: 'unchecked' }), pairs)).toBe(4 * n);
  });
});
