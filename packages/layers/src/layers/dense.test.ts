import { Random, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dense } from '../index.js';
import { finiteDifferences, maxAbsDiff, randomMatrix, toTensor } from '../testing/layer-checks.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('Dense', () => {
  it('names weights Keras-style, has Keras defaults and seeded initial weights', () => {
    const a = new Dense({ units: 3 });
    const b = new Dense({ units: 3, useBias: false, name: 'head' });
    a.build([4], new Random(7));
    b.build([4], new Random(7));
    expect(a.weights.map((w) => w.name)).toEqual([`${a.name}/kernel`, `${a.name}/bias`]);
    expect(a.name).toMatch(/^dense(_\d+)?$/);
    expect(b.weights.map((w) => w.name)).toEqual(['head/kernel']);
    expect(Array.from(a.kernel?.dataSync() ?? [])).toEqual(Array.from(b.kernel?.dataSync() ?? []));
    // glorotUniform limit sqrt(6 / (4 + 3))
    const limit = Math.sqrt(6 / 7);
    expect(Math.max(...Array.from(a.kernel?.dataSync() ?? []).map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Array.from(a.bias?.dataSync() ?? [])).toEqual([0, 0, 0]);
    expect(a.kernel?.name).not.toBe(b.kernel?.name);
    expect(() => new Dense({ units: 0 })).toThrow('Dense: `units` must be an integer >= 1, got 0.');
    expect(() => new Dense({ units: 2, activation: 'gelu' as never })).toThrow(/unknown activation "gelu"/);
    a.dispose();
    b.dispose();
  });

  for (const activation of ['relu', 'sigmoid', 'softmax', 'tanh', 'linear'] as const) {
    it(`backward (${activation}) matches float64 finite differences and tf.grad`, () => {
      const x = randomMatrix(4, 3, 5);
      const w = randomMatrix(5, 5, 4, 0.5);
      const bias = [0.1, -0.2, 0.3, 0.05];
      const r = randomMatrix(6, 3, 4);
      const act = (z: number[]): number[] => {
        if (activation === 'relu') return z.map((v) => Math.max(v, 0));
        if (activation === 'sigmoid') return z.map((v) => 1 / (1 + Math.exp(-v)));
        if (activation === 'tanh') return z.map(Math.tanh);
        if (activation === 'linear') return z;
        const m = Math.max(...z);
        const e = z.map((v) => Math.exp(v - m));
        const s = e.reduce((a, b) => a + b, 0);
        return e.map((v) => v / s);
      };
      const loss = () =>
        x.reduce((total, row, i) => {
          const z = bias.map((bj, j) => row.reduce((s, v, k) => s + v * ((w[k] as number[])[j] as number), bj));
          return total + act(z).reduce((s, v, j) => s + v * ((r[i] as number[])[j] as number), 0);
        }, 0);
      const fdX = finiteDifferences(x, loss);
      const fdW = finiteDifferences(w, loss);
      const fdB = finiteDifferences([bias], loss);
      const layer = new Dense({ units: 4, activation });
      layer.build([5], new Random(0));
      layer.kernel?.assign(toTensor(w));
      layer.bias?.assign(tf.tensor1d(bias));
      const xt = toTensor(x);
      const rt = toTensor(r);
      const { cache } = layer.forward(xt, true);
      const { dx, grads } = layer.backward(rt, cache, true);
      expect(maxAbsDiff(dx?.dataSync() ?? [], fdX)).toBeLessThan(1e-4);
      expect(maxAbsDiff(grads[0]?.dataSync() ?? [], fdW)).toBeLessThan(1e-4);
      expect(maxAbsDiff(grads[1]?.dataSync() ?? [], fdB)).toBeLessThan(1e-4);
      const [gx, gw, gb] = tf.grads((a: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => {
        const z = tf.add(tf.matMul(a as tf.Tensor2D, k as tf.Tensor2D), b);
        const y =
          activation === 'relu'
            ? tf.relu(z)
            : activation === 'sigmoid'
              ? tf.div(1, tf.add(1, tf.exp(tf.neg(z))))
              : activation === 'tanh'
                ? tf.tanh(z)
                : activation === 'linear'
                  ? z
                  : tf.softmax(z);
        return tf.sum(tf.mul(y, rt));
      })([xt, toTensor(w), tf.tensor1d(bias)]);
      expect(maxAbsDiff(dx?.dataSync() ?? [], gx?.dataSync() ?? [])).toBeLessThan(1e-5);
      expect(maxAbsDiff(grads[0]?.dataSync() ?? [], gw?.dataSync() ?? [])).toBeLessThan(1e-5);
      expect(maxAbsDiff(grads[1]?.dataSync() ?? [], gb?.dataSync() ?? [])).toBeLessThan(1e-5);
      const viaApply = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a, { training: true }), rt)))(xt);
      expect(maxAbsDiff(viaApply.dataSync(), gx?.dataSync() ?? [])).toBeLessThan(1e-5);
      layer.dispose();
    });
  }

  it('rejects inputs of the wrong shape naming the expected one', () => {
    const layer = new Dense({ units: 2 });
    layer.build([3], new Random(0));
    expect(() => layer.apply(tf.zeros([2, 4]))).toThrow(/expects inputs of shape \[null, 3\].*\[2, 4\]/);
    layer.dispose();
  });
});
