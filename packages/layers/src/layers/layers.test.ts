import { Random, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Activation, Dense, Dropout, Flatten, type Layer, Normalization, ReLU, Rescaling, Softmax } from '../index.js';
import { checkBackward, maxAbsDiff, randomMatrix, toTensor } from '../testing/layer-checks.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('other layers', () => {
  it('ReLU, Softmax, Flatten, Rescaling compute their formulas', () => {
    const x = tf.tensor2d([
      [-1, 2, 0.5],
      [3, -4, 1],
    ]);
    expect(Array.from(new ReLU().apply(x).dataSync())).toEqual([0, 2, 0.5, 3, 0, 1]);
    const s = new Softmax().apply(x).dataSync();
    const e = [Math.exp(-1), Math.exp(2), Math.exp(0.5)];
    const z = e[0]! + e[1]! + e[2]!;
    expect(
      maxAbsDiff(
        Array.from(s).slice(0, 3),
        e.map((v) => v / z),
      ),
    ).toBeLessThan(1e-6);
    expect(new Flatten().apply(tf.zeros([2, 3, 4])).shape).toEqual([2, 12]);
    expect(Array.from(new Rescaling({ scale: 1 / 255, offset: -1 }).apply(tf.tensor2d([[0, 255]])).dataSync())).toEqual(
      [-1, 0],
    );
  });

  it('Dropout is inverted, training-only, and seeded', () => {
    const x = tf.ones([4, 50]);
    const d1 = new Dropout({ rate: 0.4, seed: 3 });
    const d2 = new Dropout({ rate: 0.4, seed: 3 });
    expect(Array.from(d1.apply(x).dataSync()).every((v) => v === 1)).toBe(true);
    const a = Array.from(d1.apply(x, { training: true }).dataSync());
    const b = Array.from(d2.apply(x, { training: true }).dataSync());
    expect(a).toEqual(b);
    expect(new Set(a.map((v) => v.toFixed(5)))).toEqual(new Set(['0.00000', (1 / 0.6).toFixed(5)]));
    const kept = a.filter((v) => v > 0).length / a.length;
    expect(kept).toBeGreaterThan(0.45);
    expect(kept).toBeLessThan(0.75);
    expect(() => new Dropout({ rate: 1 })).toThrow(/rate.*\[0, 1\)/);
  });

  it('Normalization.adapt computes the population mean and variance (float64 oracle)', () => {
    const data = randomMatrix(9, 40, 3, 3).map((r) => r.map((v, j) => v * (j + 1) + 10 * j));
    const norm = new Normalization();
    norm.adapt(toTensor(data));
    const n = data.length;
    const mean = [0, 1, 2].map((j) => data.reduce((s, r) => s + (r[j] as number), 0) / n);
    const variance = [0, 1, 2].map(
      (j) => data.reduce((s, r) => s + ((r[j] as number) - (mean[j] as number)) ** 2, 0) / n,
    );
    expect(maxAbsDiff(norm.mean?.dataSync() ?? [], mean)).toBeLessThan(1e-5);
    expect(maxAbsDiff(norm.variance?.dataSync() ?? [], variance)).toBeLessThan(1e-4);
    const y = norm.apply(tf.tensor2d([data[0] as number[]])).dataSync();
    const expected = (data[0] as number[]).map((v, j) => (v - (mean[j] as number)) / Math.sqrt(variance[j] as number));
    expect(maxAbsDiff(y, expected)).toBeLessThan(1e-5);
    expect(norm.nonTrainableWeights.map((w) => w.name)).toEqual([`${norm.name}/mean`, `${norm.name}/variance`]);
    expect(() => norm.adapt(tf.tensor2d([[Number.NaN, 1, 2]]))).toThrow(/NaN/);
  });
});
describe('backward passes against tf.grad of the plain formula', () => {
  const x = () => toTensor(randomMatrix(21, 4, 5, 2));
  const plainActivation = {
    linear: (a: tf.Tensor) => tf.mul(a, 1),
    relu: (a: tf.Tensor) => tf.maximum(a, 0),
    sigmoid: (a: tf.Tensor) => tf.div(1, tf.add(1, tf.exp(tf.neg(a)))),
    tanh: (a: tf.Tensor) => {
      const e = tf.exp(tf.mul(a, 2));
      return tf.div(tf.sub(e, 1), tf.add(e, 1));
    },
    softmax: (a: tf.Tensor) => {
      const e = tf.exp(tf.sub(a, tf.max(a, -1, true)));
      return tf.div(e, tf.sum(e, -1, true));
    },
  };

  for (const name of ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const) {
    it(`Activation('${name}')`, () => checkBackward(new Activation(name), x(), plainActivation[name]));
  }

  it('ReLU, Softmax and Flatten', () => {
    checkBackward(new ReLU(), x(), plainActivation.relu);
    checkBackward(new Softmax(), x(), plainActivation.softmax);
    const images = tf.reshape(x(), [4, 5, 1]);
    checkBackward(new Flatten(), images, (a) => tf.reshape(a, [4, 5]));
  });

  it('a softmax output started at the logits (backwardFromLogits) is the chain through the softmax', () => {
    const logits = x();
    const r = tf.tensor(new Random(5).normal(20), [4, 5]);
    for (const layer of [new Softmax(), new Activation('softmax')] as Layer[]) {
      expect(layer.outputsSoftmax).toBe(true);
      const { cache } = layer.forward(logits, true);
      const chained = layer.backward(r, cache, true).dx as tf.Tensor;
      // dL/dz handed in directly must come out unchanged: the layer adds nothing after the logits.
      expect(Array.from(layer.backwardFromLogits(chained, cache, true).dx?.dataSync() ?? [])).toEqual(
        Array.from(chained.dataSync()),
      );
    }
    expect(new ReLU().outputsSoftmax).toBe(false);
    expect(new Dense({ units: 2, activation: 'softmax' }).outputsSoftmax).toBe(true);
    expect(new Dense({ units: 2, activation: 'relu' }).outputsSoftmax).toBe(false);
    expect(() => new ReLU().backwardFromLogits(r, null, true)).toThrow(/does not output a softmax/);
  });

  it('Rescaling', () => {
    checkBackward(new Rescaling({ scale: 1 / 255, offset: -0.5 }), x(), (a) => tf.add(tf.mul(a, 1 / 255), -0.5));
    checkBackward(new Rescaling({ scale: -3 }), x(), (a) => tf.mul(a, -3));
  });

  it('Normalization, including a constant feature where the 1e-7 floor applies', () => {
    const data = randomMatrix(22, 30, 5, 3).map((row) => row.map((v, j) => (j === 4 ? 2 : v * (j + 1) + j)));
    const norm = new Normalization();
    norm.adapt(toTensor(data));
    const mean = [0, 1, 2, 3, 4].map((j) => data.reduce((s, row) => s + (row[j] as number), 0) / data.length);
    const variance = mean.map((m, j) => data.reduce((s, row) => s + ((row[j] as number) - m) ** 2, 0) / data.length);
    const plain = (a: tf.Tensor) =>
      tf.div(tf.sub(a, tf.tensor1d(mean)), tf.maximum(tf.sqrt(tf.tensor1d(variance)), 1e-7));
    // The constant feature divides by 1e-7: gradients near 1e7, compared relative to their size.
    const input = toTensor(randomMatrix(23, 4, 5));
    const r = tf.tensor(new Random(77).normal(20), [4, 5]);
    const auto = tf
      .grad((a: tf.Tensor) => tf.sum(tf.mul(plain(a), r)))(input)
      .dataSync();
    const { cache } = (norm as Layer).forward(input, true);
    const dx = norm.backward(r, cache, true).dx?.dataSync() ?? [];
    for (let i = 0; i < auto.length; i++) {
      expect(Math.abs((dx[i] as number) - (auto[i] as number))).toBeLessThanOrEqual(
        1e-6 * Math.max(1, Math.abs(auto[i] as number)),
      );
    }
    expect(Math.abs(auto[4] as number)).toBeGreaterThan(1e5);
    checkBackward(norm, toTensor(randomMatrix(24, 4, 4).map((row) => [...row, 2])), plain, 1e-4);
  });

  it('Dropout with its mask: the kept inputs pass dy / (1 - rate), the dropped ones 0', () => {
    const rate = 0.4;
    const dropout = new Dropout({ rate, seed: 9 });
    const input = x();
    // The mask drawn independently from a copy of the layer's stream: keep when u >= rate, scale 1 / (1 - rate).
    let mask: tf.Tensor = tf.zeros([4, 5]);
    const drawMask = () => {
      const u = Random.fromState(dropout.getRandomState() as never);
      mask = tf.tensor(
        Array.from({ length: 20 }, () => (u.nextFloat() >= rate ? 1 / (1 - rate) : 0)),
        [4, 5],
      );
    };
    drawMask();
    const plain = (a: tf.Tensor) => tf.mul(a, mask);
    checkBackward(dropout, input, (a) => plain(a), 1e-6, drawMask);
    const m = Array.from(mask.dataSync());
    expect(m.some((v) => v === 0) && m.some((v) => v > 1)).toBe(true);
    // rate 0 trains as the identity: the gradient passes once (not twice through apply).
    checkBackward(new Dropout({ rate: 0 }), input, (a) => tf.mul(a, 1));
    // Inference: the identity, gradient dy.
    const { cache } = dropout.forward(input, false);
    const r = tf.ones([4, 5]);
    expect(Array.from(dropout.backward(r, cache, true).dx?.dataSync() ?? [])).toEqual(Array(20).fill(1));
  });
});
