/** The optimizer around composed transformations: chains against presets, EMA, schedules in configs, minimize. */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Adam,
  AdamW,
  addDecayedWeights,
  chain,
  clipByGlobalNorm,
  ema,
  fromTransformation,
  GradientTransformationOptimizer,
  type Optimizer,
  optimizerFromConfig,
  SGD,
  scaleByAdam,
  scaleByLearningRate,
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

function stepOnce(opt: Optimizer, vars: tf.Variable[], seed: number): void {
  const grads = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, 'float32', 1 + seed * 100 + i));
  opt.applyGradients(grads.map((g, i) => [g, vars[i] as tf.Variable] as const));
  tf.dispose(grads);
}

describe('composable core', () => {
  it('chain(clipByGlobalNorm, addDecayedWeights, scaleByAdam) = AdamW with globalClipnorm; with scaleByLearningRate last, to rounding', () => {
    const a = mlpVariables().slice(4);
    const b = a.map((v) => tf.variable(v.clone()));
    const c = a.map((v) => tf.variable(v.clone()));
    made.push(...b, ...c);
    // The preset's Adam multiplies the rate where Keras does (alpha = lr * c); optax's recipe multiplies it last.
    const keras = fromTransformation(
      chain(clipByGlobalNorm(1), addDecayedWeights(0.01), scaleByAdam({ learningRate: 'optimizer' })),
      { learningRate: 0.01 },
    );
    const optax = fromTransformation(
      chain(clipByGlobalNorm(1), addDecayedWeights(0.01), scaleByAdam(), scaleByLearningRate()),
      { learningRate: 0.01 },
    );
    const preset = new AdamW({ learningRate: 0.01, weightDecay: 0.01, globalClipnorm: 1 });
    for (let s = 0; s < 3; s++) {
      stepOnce(keras, a, s);
      stepOnce(preset, b, s);
      stepOnce(optax, c, s);
    }
    a.forEach((v, i) => {
      const want = Array.from((b[i] as tf.Variable).dataSync());
      expect(Array.from(v.dataSync())).toEqual(want);
      Array.from((c[i] as tf.Variable).dataSync()).forEach((x, j) => {
        expect(Math.abs(x - (want[j] as number))).toBeLessThan(1e-6 * Math.max(1, Math.abs(want[j] as number)));
      });
    });
    expect(keras.getConfig().config.transform).toMatchObject({ name: 'chain' });
    for (const o of [keras, optax, preset]) o.dispose();
  });

  it('ema alone is the handbook EMA with bias correction: v_t = b v + (1 - b) x, v_t / (1 - b^t)', () => {
    const t = ema(0.9);
    const xs = [2, 4, 3];
    let state = t.init([tf.zeros([1])]);
    let v = 0;
    xs.forEach((x, s) => {
      const r = tf.tidy(() => {
        const out = t.update([tf.tensor1d([x])], state, [], { step: s, learningRate: 1 });
        return {
          u: (out.updates[0] as tf.Tensor).dataSync()[0] as number,
          st: out.state.map((r0) => ({ ema: tf.keep(r0.ema as tf.Tensor) })),
        };
      });
      state = r.st;
      v = 0.9 * v + 0.1 * x;
      expect(r.u).toBeCloseTo(v / (1 - 0.9 ** (s + 1)), 6);
    });
    expect(chain(ema(0.9), ema(0.5)).slotNames).toEqual(['ema', 'ema_1']);
  });

  it('useEma: the average follows Keras (m = 0 on the first step), swapEmaWeights swaps both ways', () => {
    const a = tf.variable(tf.tensor1d([1]));
    made.push(a);
    const opt = new SGD({ learningRate: 1, useEma: true, emaMomentum: 0.5 });
    let w = 1;
    let avg = 0;
    for (let s = 0; s < 3; s++) {
      opt.applyGradients([[tf.tensor1d([0.25]), a]]);
      w -= 0.25;
      avg = s === 0 ? w : 0.5 * avg + 0.5 * w;
    }
    expect(a.dataSync()[0]).toBeCloseTo(w, 6);
    expect((opt.emaOf(a) as tf.Variable).dataSync()[0]).toBeCloseTo(avg, 6);
    opt.swapEmaWeights();
    expect(a.dataSync()[0]).toBeCloseTo(avg, 6);
    opt.swapEmaWeights();
    expect(a.dataSync()[0]).toBeCloseTo(w, 6);
    opt.dispose();
  });

  it('emaOverwriteFrequency: every k steps the weights become their average (Keras, (iterations + 1) % k == 0)', () => {
    const a = tf.variable(tf.tensor1d([1]));
    made.push(a);
    const opt = new SGD({ learningRate: 1, useEma: true, emaMomentum: 0.5, emaOverwriteFrequency: 2 });
    let w = 1;
    let avg = 0;
    for (let s = 0; s < 4; s++) {
      opt.applyGradients([[tf.tensor1d([0.25]), a]]);
      w -= 0.25;
      avg = s === 0 ? w : 0.5 * avg + 0.5 * w;
      if ((s + 1) % 2 === 0) w = avg;
      expect(a.dataSync()[0]).toBeCloseTo(w, 6);
    }
    opt.dispose();
  });

  it('a schedule with .config is recorded by getConfig and rebuilt by optimizerFromConfig with a resolver', () => {
    const decay = Object.assign((step: number) => 0.1 * 0.5 ** step, {
      config: { className: 'ExponentialDecay', config: { initialLearningRate: 0.1, decayRate: 0.5, decaySteps: 1 } },
    });
    const opt = new Adam({ learningRate: decay });
    const config = opt.getConfig();
    expect(config.config.learningRate).toEqual(decay.config);
    const seen: unknown[] = [];
    const rebuilt = optimizerFromConfig(JSON.parse(JSON.stringify(config)), {
      schedule: (c) => {
        seen.push(c);
        return decay;
      },
    });
    expect(seen).toEqual([decay.config]);
    expect(rebuilt.learningRate).toBe(0.1);
    expect(() => {
      rebuilt.learningRate = 0.3; // Keras raises too: a number would silently stop the schedule
    }).toThrow('the learning rate follows a schedule (ExponentialDecay), so it cannot be set to 0.3');
    expect(rebuilt.getConfig().config.learningRate).toEqual(decay.config);
  });

  it('minimize returns the loss and trains; optimizerFromConfig rebuilds a preset', () => {
    const w = tf.variable(tf.scalar(3));
    made.push(w);
    const opt = optimizerFromConfig(new SGD({ learningRate: 0.25, momentum: 0 }).getConfig());
    expect(opt).toBeInstanceOf(GradientTransformationOptimizer);
    const loss = opt.minimize(() => tf.square(w) as tf.Scalar, [w]);
    expect(loss.dataSync()[0]).toBe(9);
    loss.dispose();
    expect(w.dataSync()[0]).toBe(3 - 0.25 * 6);
    expect(() => optimizerFromConfig({ className: 'Shampoo', config: {} })).toThrow('unknown className "Shampoo"');
    expect(() =>
      optimizerFromConfig({
        className: 'Adam',
        config: { learningRate: { className: 'ExponentialDecay', config: {} } },
      }),
    ).toThrow('pass { schedule: (config) => fn }');
  });
});
