import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { optIn, type Result, scratch } from './testing/fixtures/opt.js';

const work = scratch();
afterAll(() => work.remove());
// 120 training images (12 per class) in one batch: one step per epoch, so the rate of epoch e is the schedule at step e.
// 600 validation images (--validation-split 0.01): the rates do not depend on how many images validate, and the
// default 5,000, evaluated before the first and after each epoch, was a fifth of each process's CPU time. No charts
// (--no-charts, checked below): these tests read the rates from the result, and three charts cost a third of a run.
const full = [
  ...['train', '--backend', 'wasm', '--per-class', '12', '--batch-size', 'full', '--epochs', '4'],
  ...['--validation-split', '0.01', '--no-charts', '--json'],
];
const train = (...args: string[]) => optIn(work.dir, ...full, ...args);
const rates = (r: Result) => {
  expect(r.stderr).not.toMatch(/^opt /m);
  return JSON.parse(r.stdout).history.learning_rate as number[];
};
const closeTo = (actual: number[], expected: number[]) => {
  expect(actual).toHaveLength(expected.length);
  for (const [i, e] of expected.entries()) expect(actual[i]).toBeCloseTo(e, 12);
};

describe('every schedule of the chapter, by name and parameters, against its formula', () => {
  it('constant, inverse time per step, exponential per epoch, piecewise constant, polynomial, cosine with warmup, reduce on plateau', async () => {
    const [constant, inverse, exponential, piecewise, polynomial, cosine, plateau] = await Promise.all([
      train('--optimizer', 'sgd', '--learning-rate', '0.1', '--out', 'constant'),
      train(
        '--optimizer',
        'sgd',
        '--learning-rate',
        '0.1',
        '--schedule',
        'inverse-time',
        '--decay-rate',
        '0.5',
        '--decay-steps',
        '1',
        '--no-staircase',
        '--out',
        'inverse',
      ),
      train(
        '--optimizer',
        'sgd',
        '--learning-rate',
        '0.1',
        '--schedule',
        'exponential',
        '--decay-rate',
        '0.5',
        '--out',
        'exponential',
      ),
      train(
        '--optimizer',
        'sgd',
        '--schedule',
        'piecewise-constant',
        '--boundaries',
        '0,2',
        '--values',
        '0.3,0.2,0.1',
        '--out',
        'piecewise',
      ),
      train(
        '--optimizer',
        'sgd',
        '--learning-rate',
        '0.1',
        '--schedule',
        'polynomial',
        '--end-learning-rate',
        '0.01',
        '--power',
        '2',
        '--out',
        'polynomial',
      ),
      train(
        '--optimizer',
        'sgd',
        '--learning-rate',
        '0.1',
        '--schedule',
        'cosine',
        '--warmup-steps',
        '2',
        '--warmup-from',
        '0.02',
        '--alpha',
        '0.1',
        '--out',
        'cosine',
      ),
      train(
        '--optimizer',
        'sgd',
        '--learning-rate',
        '100',
        '--schedule',
        'reduce-on-plateau',
        '--factor',
        '0.5',
        '--plateau-patience',
        '0',
        '--on-nan',
        'skip',
        '--out',
        'plateau',
      ),
    ]);
    closeTo(rates(constant), [0.1, 0.1, 0.1, 0.1]);
    // --no-charts: a complete run without its charts.
    expect(JSON.parse(constant.stdout).status).toBe('complete');
    expect(existsSync(join(work.dir, 'constant', 'charts'))).toBe(false);
    expect(existsSync(join(work.dir, 'constant', 'history.csv'))).toBe(true);
    // Keras InverseTimeDecay: lr / (1 + rate * step / decaySteps).
    closeTo(
      rates(inverse),
      [0, 1, 2, 3].map((s) => 0.1 / (1 + 0.5 * s)),
    );
    // ExponentialDecay, staircase over one epoch (1 step): lr * rate^floor(step / 1).
    closeTo(
      rates(exponential),
      [0, 1, 2, 3].map((s) => 0.1 * 0.5 ** s),
    );
    // PiecewiseConstantDecay: values[0] while step <= 0, values[1] while step <= 2, then values[2].
    closeTo(rates(piecewise), [0.3, 0.2, 0.2, 0.1]);
    // PolynomialDecay over the run (4 steps): (lr - end) * (1 - s / 4)^2 + end.
    closeTo(
      rates(polynomial),
      [0, 1, 2, 3].map((s) => (0.1 - 0.01) * (1 - s / 4) ** 2 + 0.01),
    );
    // CosineDecay with warmup: 0.02 -> 0.1 over 2 steps, then 0.1 * ((1 - 0.1) * 0.5 * (1 + cos(pi t / 2)) + 0.1), t = s - 2.
    closeTo(rates(cosine), [0.02, 0.06, 0.1, 0.1 * (0.9 * 0.5 * (1 + Math.cos(Math.PI / 2)) + 0.1)]);
    // ReduceLROnPlateau with patience 0 halves the rate after each epoch whose val_loss does not improve.
    const history = JSON.parse(plateau.stdout).history;
    let expected = 100;
    const plateauRates: number[] = [];
    let best = Number.POSITIVE_INFINITY;
    for (const valLoss of history.val_loss as number[]) {
      plateauRates.push(expected);
      if (valLoss < best - 1e-4) best = valLoss;
      else expected *= 0.5;
    }
    closeTo(rates(plateau), plateauRates);
    expect(plateau.stderr).toMatch(/ReduceLROnPlateau reducing learning rate to 50/);
  });

  it("cosine with a warmup from the default 0 to alpha 0 runs to the end (Keras's rates of 0 at the first and after the last step)", async () => {
    const cosine = await train(
      '--optimizer',
      'sgd',
      '--learning-rate',
      '0.1',
      '--schedule',
      'cosine',
      '--warmup-steps',
      '2',
    );
    expect(cosine.code, cosine.stderr).toBe(0);
    // 0 -> 0.1 over 2 steps, then 0.1 * 0.5 * (1 + cos(pi t / 2)), t = s - 2, over the run's 4 - 2 steps.
    closeTo(rates(cosine), [0, 0.05, 0.1, 0.05]);
    expect(JSON.parse(cosine.stdout).status).toBe('complete');
  });
});

describe('every optimizer knob reaches the preset', () => {
  it('rmsprop: rho, momentum, epsilon, centered, clipvalue; adam: betas, amsgrad, weight decay, global clipnorm, EMA', async () => {
    const [rms, adam] = await Promise.all([
      train(
        '--epochs',
        '1',
        '--optimizer',
        'rmsprop',
        '--rho',
        '0.8',
        '--momentum',
        '0.5',
        '--epsilon',
        '1e-6',
        '--centered',
        '--clipvalue',
        '0.5',
        '--out',
        'rms',
      ),
      train(
        '--epochs',
        '2',
        '--optimizer',
        'adam',
        '--beta1',
        '0.8',
        '--beta2',
        '0.99',
        '--amsgrad',
        '--weight-decay',
        '0.01',
        '--global-clipnorm',
        '1',
        '--ema',
        '--ema-momentum',
        '0.9',
        '--out',
        'adam',
      ),
    ]);
    expect(JSON.parse(rms.stdout).optimizer).toMatchObject({
      className: 'RMSprop',
      config: { rho: 0.8, momentum: 0.5, epsilon: 1e-6, centered: true, clipvalue: 0.5 },
    });
    const result = JSON.parse(adam.stdout);
    expect(result.optimizer).toMatchObject({
      className: 'Adam',
      config: {
        beta1: 0.8,
        beta2: 0.99,
        amsgrad: true,
        weightDecay: 0.01,
        globalClipnorm: 1,
        useEma: true,
        emaMomentum: 0.9,
      },
    });
    expect(result.status).toBe('complete');
  });
});
