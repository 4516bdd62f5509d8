import { Random, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Activation,
  BatchNormalization,
  Dense,
  Dropout,
  Flatten,
  type Layer,
  Normalization,
  ReLU,
  Rescaling,
  Sequential,
  Softmax,
} from './index.js';

beforeAll(async () => {
  await useTestBackend();
});

/** Rows x cols float64 values from a seeded stream. */
function randomMatrix(seed: number, rows: number, cols: number, scale = 1): number[][] {
  const r = new Random(seed);
  return Array.from({ length: rows }, () => Array.from(r.normal(cols, 0, scale), Number));
}

function toTensor(m: number[][]): tf.Tensor2D {
  return tf.tensor2d(m);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

/** Central differences of f at each entry of `params` (float64, in place). */
function finiteDifferences(params: number[][], f: () => number, h = 1e-6): number[] {
  const out: number[] = [];
  for (const row of params) {
    for (let j = 0; j < row.length; j++) {
      const keep = row[j] as number;
      row[j] = keep + h;
      const up = f();
      row[j] = keep - h;
      const down = f();
      row[j] = keep;
      out.push((up - down) / (2 * h));
    }
  }
  return out;
}

/** Float64 batch norm in training mode (Keras formula). */
function bnReference(x: number[][], gamma: number[], beta: number[], eps: number) {
  const n = x.length;
  const c = gamma.length;
  const mean = Array.from({ length: c }, (_, j) => x.reduce((s, r) => s + (r[j] as number), 0) / n);
  const variance = Array.from(
    { length: c },
    (_, j) => x.reduce((s, r) => s + ((r[j] as number) - (mean[j] as number)) ** 2, 0) / n,
  );
  const y = x.map((r) =>
    r.map(
      (v, j) =>
        ((gamma[j] as number) * (v - (mean[j] as number))) / Math.sqrt((variance[j] as number) + eps) +
        (beta[j] as number),
    ),
  );
  return { mean, variance, y };
}

describe('BatchNormalization', () => {
  it('normalizes with batch statistics in training, updates moving stats with Keras momentum, uses them in inference', () => {
    const x = randomMatrix(1, 6, 3, 2).map((r) => r.map((v, j) => v + j));
    const bn = new BatchNormalization({ momentum: 0.9 });
    bn.build([3], new Random(0));
    const gamma = [1.5, -0.5, 2];
    const beta = [0.1, 0.2, -0.3];
    bn.gamma?.assign(tf.tensor1d(gamma));
    bn.beta?.assign(tf.tensor1d(beta));
    expect(bn.weights.map((w) => w.name)).toEqual([
      `${bn.name}/gamma`,
      `${bn.name}/beta`,
      `${bn.name}/moving_mean`,
      `${bn.name}/moving_variance`,
    ]);
    expect(bn.trainableWeights).toHaveLength(2);
    expect(bn.nonTrainableWeights).toHaveLength(2);
    const ref = bnReference(x, gamma, beta, 1e-3);
    const y = bn.apply(toTensor(x), { training: true });
    expect(maxAbsDiff(y.dataSync(), ref.y.flat())).toBeLessThan(1e-5);
    // moving = moving * 0.9 + batch * 0.1 from (0, 1), with the BIASED variance
    const mm = ref.mean.map((m) => 0 * 0.9 + m * 0.1);
    const mv = ref.variance.map((v) => 1 * 0.9 + v * 0.1);
    expect(maxAbsDiff(bn.movingMean?.dataSync() ?? [], mm)).toBeLessThan(1e-6);
    expect(maxAbsDiff(bn.movingVariance?.dataSync() ?? [], mv)).toBeLessThan(1e-6);
    // Inference: moving statistics, no update.
    const yi = bn.apply(toTensor(x), { training: false });
    const expected = x.flatMap((r) =>
      r.map(
        (v, j) =>
          ((gamma[j] as number) * (v - (mm[j] as number))) / Math.sqrt((mv[j] as number) + 1e-3) + (beta[j] as number),
      ),
    );
    expect(maxAbsDiff(yi.dataSync(), expected)).toBeLessThan(1e-5);
    expect(maxAbsDiff(bn.movingMean?.dataSync() ?? [], mm)).toBeLessThan(1e-6);
    bn.dispose();
  });

  it('has Keras defaults', () => {
    const bn = new BatchNormalization();
    expect(bn.getConfig()).toMatchObject({ momentum: 0.99, epsilon: 1e-3, center: true, scale: true });
    expect(() => new BatchNormalization({ momentum: 1.5 })).toThrow(/momentum.*\[0, 1\]/);
  });

  it('backward matches float64 finite differences and tf.grad of the plain formula', () => {
    const x = randomMatrix(2, 5, 4);
    const gamma = [1.2, 0.7, -1.1, 0.4];
    const beta = [0.3, -0.2, 0.1, 0.5];
    const r = randomMatrix(3, 5, 4); // L = sum(y * r)
    const loss = () =>
      bnReference(x, gamma, beta, 1e-3).y.reduce(
        (s, row, i) => s + row.reduce((t, v, j) => t + v * ((r[i] as number[])[j] as number), 0),
        0,
      );
    const fdX = finiteDifferences(x, loss);
    const fdGamma = finiteDifferences([gamma], loss);
    const fdBeta = finiteDifferences([beta], loss);

    const bn = new BatchNormalization();
    bn.build([4], new Random(0));
    bn.gamma?.assign(tf.tensor1d(gamma));
    bn.beta?.assign(tf.tensor1d(beta));
    const xt = toTensor(x);
    const rt = toTensor(r);
    const { y, cache } = bn.forward(xt, true);
    const { dx, grads } = bn.backward(rt, cache, true);
    expect(maxAbsDiff(dx?.dataSync() ?? [], fdX)).toBeLessThan(2e-4);
    expect(maxAbsDiff(grads[0]?.dataSync() ?? [], fdGamma)).toBeLessThan(2e-4);
    expect(maxAbsDiff(grads[1]?.dataSync() ?? [], fdBeta)).toBeLessThan(2e-4);

    // tf.grad of the plain formula, and the customGrad path of apply()
    const g = tf.tensor1d(gamma);
    const b = tf.tensor1d(beta);
    const plain = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => {
      const m = tf.mean(xi, 0);
      const v = tf.mean(tf.square(tf.sub(xi, m)), 0);
      return tf.sum(tf.mul(tf.add(tf.mul(tf.div(tf.sub(xi, m), tf.sqrt(tf.add(v, 1e-3))), gi), bi), rt));
    };
    const [px, pg, pb] = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => plain(a, c, d))([xt, g, b]);
    expect(maxAbsDiff(dx?.dataSync() ?? [], px?.dataSync() ?? [])).toBeLessThan(1e-5);
    expect(maxAbsDiff(grads[0]?.dataSync() ?? [], pg?.dataSync() ?? [])).toBeLessThan(1e-5);
    expect(maxAbsDiff(grads[1]?.dataSync() ?? [], pb?.dataSync() ?? [])).toBeLessThan(1e-5);
    const viaApply = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(bn.apply(a, { training: true }), rt)))(xt);
    expect(maxAbsDiff(viaApply.dataSync(), px?.dataSync() ?? [])).toBeLessThan(1e-5);
    const { grads: varGrads } = tf.variableGrads(
      () => tf.sum(tf.mul(bn.apply(xt, { training: true }), rt)) as tf.Scalar,
      [bn.gamma as tf.Variable],
    );
    expect(maxAbsDiff(varGrads[bn.gamma?.name ?? '']?.dataSync() ?? [], pg?.dataSync() ?? [])).toBeLessThan(1e-5);
    expect(y.shape).toEqual([5, 4]);
    bn.dispose();
  });
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

/**
 * The hand-written backward pass of a layer without trainable weights against tf.grad of `plain`, the same
 * function written in plain tfjs ops, for L = sum(y * r): forward values, dL/dx from backward(), and dL/dx
 * through apply() (the customGrad path).
 */
function checkBackward(
  layer: Layer,
  x: tf.Tensor,
  plain: (x: tf.Tensor) => tf.Tensor,
  tolerance = 1e-5,
  beforeEach: () => void = () => {},
): void {
  const r = tf.tensor(new Random(77).normal(plain(x).size), plain(x).shape);
  const auto = () =>
    tf
      .grad((a: tf.Tensor) => tf.sum(tf.mul(plain(a), r)))(x)
      .dataSync();
  beforeEach();
  const { y, cache } = layer.forward(x, true);
  expect(maxAbsDiff(y.dataSync(), plain(x).dataSync())).toBeLessThan(tolerance);
  const { dx, grads } = layer.backward(r, cache, true);
  expect(grads).toEqual([]);
  expect(maxAbsDiff(dx?.dataSync() ?? [], auto())).toBeLessThan(tolerance);
  beforeEach();
  const viaApply = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a, { training: true }), r)))(x);
  expect(maxAbsDiff(viaApply.dataSync(), auto())).toBeLessThan(tolerance);
}

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

describe('BatchNormalization in training on a batch of one', () => {
  it('refuses with the reason (the batch variance is 0, every output would be beta)', () => {
    const bn = new BatchNormalization();
    bn.build([3], new Random(0));
    expect(() => bn.forward(tf.tensor2d([[1, 2, 3]]), true)).toThrow(
      /training batch of 1 sample: the batch variance of one sample is 0, so every output would be beta/,
    );
    // Inference on one sample uses the moving statistics: fine.
    expect(bn.forward(tf.tensor2d([[1, 2, 3]]), false).y.shape).toEqual([1, 3]);
    // A 1-sample batch of several positions per feature has a variance.
    const spatial = new BatchNormalization();
    spatial.build([4, 3], new Random(0));
    expect(spatial.minTrainingBatchSize).toBe(1);
    expect(bn.minTrainingBatchSize).toBe(2);
    expect(spatial.forward(tf.ones([1, 4, 3]), true).y.shape).toEqual([1, 4, 3]);
  });

  it('fit refuses before the first step: batchSize 1, or a last batch of 1', async () => {
    const model = () => {
      const m = new Sequential(
        [new Dense({ units: 4, useBias: false }), new BatchNormalization(), new Dense({ units: 2 })],
        {
          inputShape: [3],
          seed: 1,
        },
      );
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      return m;
    };
    const x = tf.ones([9, 3]);
    const y = tf.zeros([9, 2]);
    await expect(model().fit(x, y, { batchSize: 1 })).rejects.toThrow(
      /batchSize 1 is too small: BatchNormalization "batch_normalization(_\d+)?" needs at least 2 samples .*the batch variance of one sample is 0.*Use batchSize >= 2/,
    );
    await expect(model().fit(x, y, { batchSize: 4 })).rejects.toThrow(
      /the last batch of each epoch would hold 1 sample\(s\) \(9 training samples in batches of 4\).*e\.g\. 5/,
    );
    const ok = model();
    await ok.fit(x, y, { batchSize: 3 });
    expect(ok.optimizer.iterations).toBe(3);
  });
});
