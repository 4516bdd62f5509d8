/**
 * Keras 3's base options `gradientAccumulationSteps` and `lossScaleFactor` against Keras's `base_optimizer.py`
 * (`apply`, `_backend_apply_gradients`, `iterations`, `scale_loss`) transcribed here on float64 numbers around its
 * Adam (`adam.py`'s `update_step`): the oracle shares no code with the optimizer.
 */
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, optimizerFromConfig, SGD } from './index.js';
import { expectClose } from './presets/reference.test.helpers.js';

beforeAll(() => useTestBackend());

const W0 = [0.5, -1.25, 2, 0.03, -0.7, 1.5];
/** The gradient of call `c` (0-based): deterministic, mixed signs and sizes. */
const gradAt = (c: number): number[] => W0.map((_, i) => Math.sin(1.3 * (c + 1) * (i + 1)) * (1 + i) * 0.6);

/**
 * Keras's `_backend_apply_gradients` with `gradient_accumulation_steps = n` around Adam with decoupled weight decay
 * `wd`, on float64: returns the weights after each call. `lr(c)` is read at `_iterations` (the call count) and the
 * bias correction at `iterations + 1 = floor(c / n) + 1`.
 */
function kerasAccumulatedAdam(calls: number, n: number, lr: (c: number) => number, wd: number): number[][] {
  const [b1, b2, eps] = [0.9, 0.999, 1e-7];
  const w = W0.slice();
  const acc = W0.map(() => 0);
  const m = W0.map(() => 0);
  const v = W0.map(() => 0);
  const out: number[][] = [];
  for (let c = 0; c < calls; c++) {
    const g = gradAt(c).map((x) => Math.fround(x));
    if ((c + 1) % n === 0) {
      const t = Math.floor(c / n) + 1;
      const rate = lr(c);
      for (let i = 0; i < w.length; i++) {
        const gi = ((g[i] as number) + (acc[i] as number)) / n;
        w[i] = (w[i] as number) - (w[i] as number) * wd * rate;
        const alpha = (rate * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        m[i] = (m[i] as number) + (gi - (m[i] as number)) * (1 - b1);
        v[i] = (v[i] as number) + (gi * gi - (v[i] as number)) * (1 - b2);
        w[i] = (w[i] as number) - ((m[i] as number) * alpha) / (Math.sqrt(v[i] as number) + eps);
        acc[i] = 0;
      }
    } else {
      for (let i = 0; i < w.length; i++) acc[i] = (acc[i] as number) + (g[i] as number);
    }
    out.push(w.slice());
  }
  return out;
}

function run(opt: Adam | SGD, w: tf.Variable, from: number, to: number): number[][] {
  const out: number[][] = [];
  for (let c = from; c < to; c++) {
    const g = tf.tensor2d(gradAt(c), [2, 3]);
    opt.applyGradients([[g, w]]);
    g.dispose();
    out.push(Array.from(w.dataSync()));
  }
  return out;
}

describe('gradientAccumulationSteps (Keras 3)', () => {
  it("applies the average every n-th call and leaves the weights bit for bit alone in between, with Keras's iterations, schedule and decay", () => {
    const lr = (c: number) => 0.1 / (1 + 0.5 * c);
    const want = kerasAccumulatedAdam(9, 3, lr, 0.01);
    const opt = new Adam({ learningRate: lr, weightDecay: 0.01, gradientAccumulationSteps: 3 });
    const w = tf.variable(tf.tensor2d(W0, [2, 3]));
    const seen: number[] = [];
    let previous = Array.from(w.dataSync());
    for (let c = 0; c < 9; c++) {
      const [got] = run(opt, w, c, c + 1) as [number[]];
      if ((c + 1) % 3 !== 0) expect(got, `call ${c}`).toEqual(previous);
      else expect(got, `call ${c}`).not.toEqual(previous);
      expectClose(got, want[c] as number[], 2e-6, `call ${c}`);
      previous = got;
      seen.push(opt.iterations);
    }
    expect(seen).toEqual([0, 0, 1, 1, 1, 2, 2, 2, 3]);
    expect(opt.learningRate).toBe(lr(9));
    const accumulator = opt.slot(w, 'gradientAccumulator');
    expect(Array.from(accumulator?.dataSync() ?? [])).toEqual([0, 0, 0, 0, 0, 0]);
    opt.dispose();
    w.dispose();
  });

  it('resumes from getState between applied steps: 4 calls, save, 5 more equal 9 uninterrupted bit for bit', async () => {
    const make = () => new Adam({ learningRate: 0.05, gradientAccumulationSteps: 3, useEma: true });
    const straight = make();
    const w1 = tf.variable(tf.tensor2d(W0, [2, 3]));
    const want = run(straight, w1, 0, 9);
    const first = make();
    const w2 = tf.variable(tf.tensor2d(W0, [2, 3]));
    run(first, w2, 0, 4);
    const state = JSON.parse(
      JSON.stringify(await first.getState(), (_k, x) => (x instanceof Float32Array ? Array.from(x) : x)),
    );
    expect(state.iterations).toBe(4); // the calls, Keras's saved `iteration`
    expect(first.iterations).toBe(1);
    state.slots = state.slots.map((s: { values: number[] }) => ({ ...s, values: Float32Array.from(s.values) }));
    const second = make();
    second.setState(state);
    expect(second.iterations).toBe(1);
    const got = run(second, w2, 4, 9);
    expect(got).toEqual(want.slice(4));
    expect(Array.from(second.emaOf(w2)?.dataSync() ?? [])).toEqual(Array.from(straight.emaOf(w1)?.dataSync() ?? []));
    for (const o of [straight, first, second]) o.dispose();
    tf.dispose([w1, w2]);
  });

  it('is refused unless a whole number >= 2, as Keras refuses it, and kept in the config', () => {
    for (const bad of [1, 2.5, 0, -3]) {
      expect(() => new Adam({ gradientAccumulationSteps: bad })).toThrow(
        `Adam: \`gradientAccumulationSteps\` must be a whole number >= 2, got ${bad}.`,
      );
    }
    const opt = new SGD({ gradientAccumulationSteps: 4, lossScaleFactor: 8 });
    expect(opt.getConfig().config).toMatchObject({ gradientAccumulationSteps: 4, lossScaleFactor: 8 });
    const back = optimizerFromConfig(opt.getConfig());
    expect(back.getConfig()).toEqual(opt.getConfig());
    for (const o of [opt, back]) o.dispose();
  });
});

describe('lossScaleFactor (Keras 3)', () => {
  it('applyGradients divides the gradients by it first: SGD steps w - lr g / factor', () => {
    const opt = new SGD({ learningRate: 0.5, lossScaleFactor: 3 });
    const w = tf.variable(tf.tensor2d(W0, [2, 3]));
    const [got] = run(opt, w, 0, 1) as [number[]];
    const g = gradAt(0).map(Math.fround);
    expectClose(
      got,
      W0.map((wi, i) => Math.fround(wi) - (0.5 * (g[i] as number)) / 3),
      1e-6,
      'step',
    );
    opt.dispose();
    w.dispose();
  });

  it('minimize takes gradients of loss * factor and returns the loss itself: with a power of two, Adam without it bit for bit', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 10], [3, 3]);
    const y = tf.tensor2d([1, 2, 3], [3, 1]);
    const runs = [undefined, 1024].map((lossScaleFactor) => {
      const w = tf.variable(tf.tensor2d([0.1, -0.2, 0.05], [3, 1]));
      const opt = new Adam({ learningRate: 0.01, ...(lossScaleFactor === undefined ? {} : { lossScaleFactor }) });
      const losses: number[] = [];
      for (let s = 0; s < 5; s++) {
        const loss = opt.minimize(() => tf.mean(tf.square(tf.sub(tf.matMul(x, w), y))) as tf.Scalar);
        losses.push(loss.dataSync()[0] as number);
        loss.dispose();
      }
      const weights = Array.from(w.dataSync());
      opt.dispose();
      w.dispose();
      return { losses, weights };
    });
    expect(runs[1]).toEqual(runs[0]);
    tf.dispose([x, y]);
  });

  it('is refused unless a finite number > 0', () => {
    expect(() => new Adam({ lossScaleFactor: 0 })).toThrow(
      'Adam: `lossScaleFactor` must be a finite number > 0, got 0.',
    );
  });
});
