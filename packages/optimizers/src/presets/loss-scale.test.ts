/**
 * `LossScaleOptimizer` against Keras 3's `loss_scale_optimizer.py` (`_common_apply`, `_stateful_handle_finite_grads`,
 * `_stateful_handle_non_finite_grads`, `scale_loss`) transcribed here on float64 numbers around SGD's `w -= lr g`;
 * exact resume; tfjs-layers' fit, save and load.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, getOptimizer, LossScaleOptimizer, SGD } from '../index.js';
import { expectClose } from './reference.test.helpers.js';

beforeAll(() => useTestBackend());

const W0 = [0.5, -1.25, 2, 0.03];
/** Call `c`'s gradient (of the scaled loss): calls 2 and 5 hold a NaN and an infinity. */
const gradAt = (c: number): number[] =>
  W0.map((_, i) => {
    if (c === 2 && i === 1) return Number.NaN;
    if (c === 5 && i === 3) return Number.POSITIVE_INFINITY;
    return Math.sin(1.3 * (c + 1) * (i + 1)) * (1 + i) * 40;
  });

/** Keras's LossScaleOptimizer around SGD(lr) on float64: weights, scale, counter and inner iterations per call. */
function keras(calls: number, lr: number, initialScale: number, growth: number) {
  const w = W0.map((x) => Math.fround(x));
  let scale = initialScale;
  let counter = 0;
  let iterations = 0;
  const out: Array<{ w: number[]; scale: number; counter: number; iterations: number }> = [];
  for (let c = 0; c < calls; c++) {
    const g = gradAt(c).map((x) => Math.fround(x));
    if (g.every(Number.isFinite)) {
      for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) - lr * ((g[i] as number) / scale);
      iterations += 1;
      if (counter === growth - 1) {
        counter = 0;
        scale *= 2;
      } else counter += 1;
    } else {
      counter = 0;
      scale /= 2;
    }
    out.push({ w: w.slice(), scale, counter, iterations });
  }
  return out;
}

function step(opt: LossScaleOptimizer, w: tf.Variable, c: number): void {
  const g = tf.tensor1d(gradAt(c));
  opt.applyGradients([[g, w]]);
  g.dispose();
}

describe('LossScaleOptimizer (Keras 3)', () => {
  it("unscales finite steps, skips non-finite ones (halving the scale) and doubles it after dynamicGrowthSteps: Keras's arithmetic", () => {
    const want = keras(9, 0.01, 8, 2);
    const opt = new LossScaleOptimizer(new SGD({ learningRate: 0.01 }), { initialScale: 8, dynamicGrowthSteps: 2 });
    const w = tf.variable(tf.tensor1d(W0));
    for (let c = 0; c < 9; c++) {
      const before = Array.from(w.dataSync());
      step(opt, w, c);
      const k = want[c] as (typeof want)[number];
      const got = Array.from(w.dataSync());
      if (c === 2 || c === 5) expect(got, `call ${c} writes nothing`).toEqual(before);
      expectClose(got, k.w, 1e-6, `call ${c}`);
      expect([c, opt.dynamicScale, opt.stepCounter, opt.iterations]).toEqual([c, k.scale, k.counter, k.iterations]);
    }
    opt.dispose();
    w.dispose();
  });

  it('minimize takes gradients of loss * scale and returns the loss: with power-of-two scales, Adam alone bit for bit', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 10], [3, 3]);
    const y = tf.tensor2d([1, 2, 3], [3, 1]);
    const runs = [false, true].map((wrapped) => {
      const w = tf.variable(tf.tensor2d([0.1, -0.2, 0.05], [3, 1]));
      const adam = new Adam({ learningRate: 0.01 });
      const opt = wrapped ? new LossScaleOptimizer(adam, { dynamicGrowthSteps: 2 }) : adam;
      const losses: number[] = [];
      for (let s = 0; s < 5; s++) {
        const loss = opt.minimize(() => tf.mean(tf.square(tf.sub(tf.matMul(x, w), y))) as tf.Scalar);
        losses.push(loss.dataSync()[0] as number);
        loss.dispose();
      }
      const result = { losses, weights: Array.from(w.dataSync()), iterations: opt.iterations };
      // tf.Optimizer's Symbol.hasInstance takes any optimizer, so ask the flag, not instanceof
      if (wrapped)
        expect([(opt as LossScaleOptimizer).dynamicScale, (opt as LossScaleOptimizer).stepCounter]).toEqual([
          2 ** 17,
          1,
        ]);
      opt.dispose();
      w.dispose();
      return result;
    });
    expect(runs[1]).toEqual(runs[0]);
    tf.dispose([x, y]);
  });

  it('minimize frees the kept loss when the gradients cannot be taken: scaled, it leaves what unscaled leaves', () => {
    // tfjs's variableGrads leaves its value and gradients behind when it refuses a loss that is not a scalar: the
    // unscaled minimize is the baseline, and the scaled ones must add nothing (their unscaled copy of the loss).
    const w = tf.variable(tf.tensor1d([1, 2]));
    const left = (opt: SGD | LossScaleOptimizer): number => {
      const before = tf.memory().numTensors;
      expect(() => opt.minimize(() => tf.mul(w, 2) as unknown as tf.Scalar, [w])).toThrow(/scalar/);
      expect(opt.iterations).toBe(0);
      const after = tf.memory().numTensors;
      opt.dispose();
      return after - before;
    };
    const unscaled = left(new SGD());
    expect(left(new SGD({ lossScaleFactor: 8 }))).toBe(unscaled);
    expect(left(new LossScaleOptimizer(new SGD()))).toBe(unscaled);
    w.dispose();
  });

  it('resumes exactly: 4 calls (one skipped), getState, 5 more equal 9 uninterrupted bit for bit', async () => {
    const make = () =>
      new LossScaleOptimizer(new Adam({ learningRate: 0.05 }), { initialScale: 4, dynamicGrowthSteps: 3 });
    const straight = make();
    const w1 = tf.variable(tf.tensor1d(W0));
    for (let c = 0; c < 9; c++) step(straight, w1, c);
    const first = make();
    const w2 = tf.variable(tf.tensor1d(W0));
    for (let c = 0; c < 4; c++) step(first, w2, c);
    const state = await first.getState();
    expect(state.extra).toMatchObject({ dynamicScale: first.dynamicScale, stepCounter: first.stepCounter });
    const second = make();
    second.setState(state);
    expect(second.iterations).toBe(3);
    for (let c = 4; c < 9; c++) step(second, w2, c);
    expect(Array.from(w2.dataSync())).toEqual(Array.from(w1.dataSync()));
    expect([second.dynamicScale, second.stepCounter, second.iterations]).toEqual([
      straight.dynamicScale,
      straight.stepCounter,
      straight.iterations,
    ]);
    const rebuilt = getOptimizer(JSON.parse(JSON.stringify(straight.getConfig())));
    expect(rebuilt.getConfig()).toEqual(straight.getConfig());
    rebuilt.dispose();
    expect(straight.getConfig()).toEqual({
      className: 'LossScaleOptimizer',
      config: { innerOptimizer: new Adam({ learningRate: 0.05 }).getConfig(), initialScale: 4, dynamicGrowthSteps: 3 },
    });
    for (const o of [straight, first, second]) o.dispose();
    tf.dispose([w1, w2]);
  });

  it("has Keras's defaults and refuses bad arguments by name", () => {
    const opt = new LossScaleOptimizer(new SGD());
    expect([opt.initialScale, opt.dynamicGrowthSteps, opt.dynamicScale]).toEqual([2 ** 15, 2000, 2 ** 15]);
    expect(() => new LossScaleOptimizer(new SGD(), { initialScale: 0 })).toThrow(
      'LossScaleOptimizer: `initialScale` must be a finite number > 0, got 0.',
    );
    expect(() => new LossScaleOptimizer(new SGD(), { dynamicGrowthSteps: 1.5 })).toThrow(
      'LossScaleOptimizer: `dynamicGrowthSteps` must be a whole number >= 1, got 1.5.',
    );
    expect(() => new LossScaleOptimizer(new SGD(), { dynamic: false } as never)).toThrow(
      /LossScaleOptimizer: unknown option `dynamic`/,
    );
    expect(() => new LossScaleOptimizer(new SGD({ lossScaleFactor: 4 }))).toThrow(/has its own lossScaleFactor/);
    for (const bad of [{}, tf.train.adam(0.1), null]) {
      expect(() => new LossScaleOptimizer(bad as never)).toThrow(/`innerOptimizer` must be an optimizer of @opt/);
    }
  });

  it('trains in tfjs-layers: fit, save with the optimizer, load, and continue to the weights of an uninterrupted run', async () => {
    const x = tf.tensor2d([0.5, -1.2, 1.5, 0.3, -0.7, 2.1, 0.2, 0.9], [4, 2]);
    const y = tf.tensor1d([0, 1, 1, 0]);
    const model = () => {
      const m = tfl.sequential({
        layers: [
          tfl.layers.dense({ units: 4, inputShape: [2], activation: 'relu' }),
          tfl.layers.dense({ units: 2, activation: 'softmax' }),
        ],
      });
      m.setWeights(m.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, 'float32', 40 + i)));
      m.compile({
        optimizer: new LossScaleOptimizer(new Adam({ learningRate: 0.01 }), { dynamicGrowthSteps: 3 }),
        loss: 'sparseCategoricalCrossentropy',
      });
      return m;
    };
    const train = (m: tfl.LayersModel, epochs: number) =>
      m.fit(x, y, { epochs, batchSize: 2, shuffle: false, verbose: 0 });
    const whole = model();
    await train(whole, 5);
    const first = model();
    await train(first, 2);
    let saved: tf.io.ModelArtifacts | undefined;
    await first.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { includeOptimizer: true },
    );
    const resumed = await tfl.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
    const optimizer = resumed.optimizer as unknown as LossScaleOptimizer;
    expect(optimizer.constructor.name).toBe('LossScaleOptimizer'); // by name: the test files share tfjs's registry
    expect([optimizer.iterations, optimizer.dynamicScale, optimizer.stepCounter]).toEqual([4, 2 ** 16, 1]);
    expect(optimizer.getConfig()).toEqual((first.optimizer as unknown as LossScaleOptimizer).getConfig());
    await train(resumed, 3);
    const weights = (m: tfl.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
    expect(weights(resumed)).toEqual(weights(whole));
    expect((resumed.optimizer as unknown as LossScaleOptimizer).dynamicScale).toBe(
      (whole.optimizer as unknown as LossScaleOptimizer).dynamicScale,
    );
  });
});
