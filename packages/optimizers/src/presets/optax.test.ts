/**
 * Yogi and AdaBelief against optax's update rules (optax/_src/transform.py: `scale_by_yogi`, `scale_by_belief`;
 * alias.py: each chained with `scale_by_learning_rate`) transcribed here on float64 numbers, 12 steps on two
 * parameters with fixed gradients. Tolerance 2e-6 of the largest element of the tensor compared (float32's unit
 * roundoff is 6e-8; about a dozen rounded operations a step), which a wrong factor (a bias correction left out, the
 * new `mu` for the old one in AdaBelief's spread, Adam's `nu` update in Yogi's place) exceeds by orders of magnitude.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdaBelief, type GradientTransformationOptimizer, Yogi } from '../index.js';

beforeAll(() => useTestBackend());

const SHAPES = [[2, 3], [4]];
const W0 = [
  [0.5, -1.25, 2, 0.03, -0.7, 1.5],
  [0.25, -0.5, 1, -2],
].map((w) => Array.from(Float32Array.from(w))); // the same float32 start on both sides
/** The gradient of step s (0-based) for parameter k: float32 numbers, mixed signs and sizes. */
const grad = (s: number, k: number): number[] =>
  Array.from(
    Float32Array.from((W0[k] as number[]).map((_, i) => Math.sin(1.7 * (s + 1) * (i + 1) + k) * (1 + i) * 0.6)),
  );

/** One parameter's optax arithmetic: returns the update `u` (the optimizer adds `-lr * u`), state in closures. */
type Rule = (g: number[], t: number) => number[];

const optax = {
  /** scale_by_yogi: mu, nu start at initial_accumulator_value; nu = nu - (1 - b2) sign(nu - g^2) g^2. */
  yogi(b1: number, b2: number, eps: number, init: number, n: number): Rule {
    const mu = new Array<number>(n).fill(init);
    const nu = new Array<number>(n).fill(init);
    return (g, t) =>
      g.map((gi, i) => {
        mu[i] = (1 - b1) * gi + b1 * (mu[i] as number);
        const g2 = gi * gi;
        nu[i] = (nu[i] as number) - (1 - b2) * Math.sign((nu[i] as number) - g2) * g2;
        const muHat = (mu[i] as number) / (1 - b1 ** t);
        const nuHat = (nu[i] as number) / (1 - b2 ** t);
        return muHat / (Math.sqrt(nuHat + 0) + eps); // eps_root 0, optax.yogi's
      });
  },
  /** scale_by_belief: nu = b2 nu + (1 - b2) (g - mu)^2 + eps_root, with the new mu. */
  belief(b1: number, b2: number, eps: number, epsRoot: number, n: number): Rule {
    const mu = new Array<number>(n).fill(0);
    const nu = new Array<number>(n).fill(0);
    return (g, t) =>
      g.map((gi, i) => {
        mu[i] = (1 - b1) * gi + b1 * (mu[i] as number);
        const e = gi - (mu[i] as number);
        nu[i] = (1 - b2) * e * e + b2 * (nu[i] as number) + epsRoot;
        const muHat = (mu[i] as number) / (1 - b1 ** t);
        const nuHat = (nu[i] as number) / (1 - b2 ** t);
        return muHat / (Math.sqrt(nuHat) + eps);
      });
  },
};

let worst = 0;

function compare(got: ArrayLike<number>, want: number[], what: string, tolerance = 2e-6): void {
  const scale = Math.max(1e-30, ...want.map(Math.abs));
  want.forEach((y, i) => {
    const error = Math.abs((got[i] as number) - y) / scale;
    worst = Math.max(worst, error);
    if (!(error <= tolerance)) {
      throw new Error(`${what}[${i}]: got ${got[i]}, optax's arithmetic ${y} (error ${error.toExponential(2)})`);
    }
  });
}

/** 12 steps of `opt` and of the transcription (one rule per parameter) side by side; compares weights and `mu`. */
function replay(opt: GradientTransformationOptimizer, rules: Rule[], lr: number, what: string): void {
  const params = W0.map((w, k) => tf.variable(tf.tensor(w, SHAPES[k])));
  const w = W0.map((x) => x.slice());
  try {
    for (let s = 0; s < 12; s++) {
      const grads = W0.map((_, k) => tf.tensor(grad(s, k), SHAPES[k]));
      opt.applyGradients(grads.map((g, k) => [g, params[k] as tf.Variable] as const));
      tf.dispose(grads);
      rules.forEach((rule, k) => {
        const u = rule(grad(s, k), s + 1);
        w[k] = (w[k] as number[]).map((x, i) => x - lr * (u[i] as number));
        compare((params[k] as tf.Variable).dataSync(), w[k] as number[], `${what}, step ${s + 1}, parameter ${k}`);
      });
    }
  } finally {
    opt.dispose();
    tf.dispose(params);
  }
}

describe("optax's Yogi (scale_by_yogi + scale_by_learning_rate), transcribed in float64", () => {
  it('defaults: b1 0.9, b2 0.999, eps 1e-3, moments from 1e-6; learning rate 0.01', () => {
    const opt = new Yogi();
    expect(opt.getConfig().config).toMatchObject({
      learningRate: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-3,
      initialAccumulatorValue: 1e-6,
    });
    replay(
      opt,
      [6, 4].map((n) => optax.yogi(0.9, 0.999, 1e-3, 1e-6, n)),
      0.01,
      'Yogi defaults',
    );
  });

  it('other arguments: b1 0.5, b2 0.9, eps 0.1, moments from 0.5 (nu passes g^2 both ways)', () => {
    const options = { learningRate: 0.2, beta1: 0.5, beta2: 0.9, epsilon: 0.1, initialAccumulatorValue: 0.5 };
    replay(
      new Yogi(options),
      [6, 4].map((n) => optax.yogi(0.5, 0.9, 0.1, 0.5, n)),
      0.2,
      'Yogi',
    );
  });

  it("the slots are optax's mu and nu", () => {
    const opt = new Yogi({ learningRate: 0.1 });
    const v = tf.variable(tf.tensor1d([1, -1]));
    const g = tf.tensor1d([2, -0.5]);
    opt.applyGradients([[g, v]]);
    compare((opt.slot(v, 'mu') as tf.Variable).dataSync(), [0.1 * 2 + 0.9e-6, 0.1 * -0.5 + 0.9e-6], 'mu');
    compare((opt.slot(v, 'nu') as tf.Variable).dataSync(), [1e-6 + 0.001 * 4, 1e-6 + 0.001 * 0.25], 'nu');
    opt.dispose();
    tf.dispose([v, g]);
  });
});

describe("optax's AdaBelief (scale_by_belief + scale_by_learning_rate), transcribed in float64", () => {
  it('defaults: b1 0.9, b2 0.999, eps 1e-16, eps_root 1e-16; learning rate 0.001', () => {
    const opt = new AdaBelief();
    expect(opt.getConfig().config).toMatchObject({
      learningRate: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-16,
      epsilonRoot: 1e-16,
    });
    replay(
      opt,
      [6, 4].map((n) => optax.belief(0.9, 0.999, 1e-16, 1e-16, n)),
      0.001,
      'AdaBelief defaults',
    );
  });

  it('other arguments: b1 0.6, b2 0.95, eps 1e-3, eps_root 1e-4, learning rate 0.1', () => {
    const options = { learningRate: 0.1, beta1: 0.6, beta2: 0.95, epsilon: 1e-3, epsilonRoot: 1e-4 };
    replay(
      new AdaBelief(options),
      [6, 4].map((n) => optax.belief(0.6, 0.95, 1e-3, 1e-4, n)),
      0.1,
      'AdaBelief',
    );
  });

  it('reports the worst error seen', () => {
    console.log(`optax transcriptions: worst error ${worst.toExponential(2)} of the tensor's scale (bar 2e-6)`);
    expect(worst).toBeLessThan(2e-6);
  });
});
