import { Random, tf } from '@opt/tensor';
import { countTensors, useTestBackend } from '@opt/tensor/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  balancedSubset,
  balancedSubsetIndices,
  batches,
  computeStatistics,
  type FashionMnistData,
  type FashionMnistSplit,
  loadFashionMnist,
  normalizeImages,
  oneHot,
  toTensors,
  trainValidationSplit,
} from './index.js';
import { realDataDir } from './testing/fixtures/fixtures.js';

let data: FashionMnistData;
beforeAll(async () => {
  await useTestBackend();
  data = await loadFashionMnist({ dataDir: realDataDir(), download: false });
});

/** `count` synthetic examples whose first three pixels encode their index and whose label is `labelOf(i)`. */
function indexed(count: number, labelOf: (i: number) => number = (i) => i % 10): FashionMnistSplit {
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    images[i * 784] = i & 255;
    images[i * 784 + 1] = (i >> 8) & 255;
    images[i * 784 + 2] = (i >> 16) & 255;
    images[i * 784 + 3] = (i * 37) % 256; // varied pixel for value checks
    labels[i] = labelOf(i);
  }
  return { images, labels, count };
}
const idOf = (split: FashionMnistSplit, k: number) =>
  (split.images[k * 784] as number) |
  ((split.images[k * 784 + 1] as number) << 8) |
  ((split.images[k * 784 + 2] as number) << 16);
const ids = (split: FashionMnistSplit) => Array.from({ length: split.count }, (_, k) => idOf(split, k));
const classCounts = (labels: Uint8Array) => {
  const c = new Array(10).fill(0);
  for (const l of labels) c[l]++;
  return c;
};

describe('trainValidationSplit', () => {
  it('is a seeded partition: disjoint, complete, labels kept with their images', () => {
    const d = indexed(1000);
    const a = trainValidationSplit(d, { validationFraction: 0.2, seed: 1 });
    expect(a.validation.count).toBe(200);
    expect(a.train.count).toBe(800);
    const all = [...ids(a.train), ...ids(a.validation)].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    for (let k = 0; k < a.train.count; k++) expect(a.train.labels[k]).toBe(idOf(a.train, k) % 10);
    const b = trainValidationSplit(d, { validationFraction: 0.2, seed: 1 });
    expect(ids(b.validation)).toEqual(ids(a.validation));
    const c = trainValidationSplit(d, { validationFraction: 0.2, seed: 2 });
    expect(ids(c.validation)).not.toEqual(ids(a.validation));
  });

  it('stratified: exactly 1,000 of each class held out of the real training set', () => {
    const { train, validation } = trainValidationSplit(data.train, {
      validationCount: 10000,
      seed: 7,
      stratified: true,
    });
    expect(classCounts(validation.labels)).toEqual(new Array(10).fill(1000));
    expect(classCounts(train.labels)).toEqual(new Array(10).fill(5000));
  });

  it('stratified on uneven classes: largest remainders, exact total', () => {
    // class c has 10 + c examples (145 in all); hold out 29 = 1/5 exactly.
    const labels: number[] = [];
    for (let c = 0; c < 10; c++) for (let k = 0; k < 10 + c; k++) labels.push(c);
    const d = indexed(labels.length, (i) => labels[i] as number);
    const { validation, train } = trainValidationSplit(d, { validationCount: 29, stratified: true, seed: 3 });
    // exact shares (10 + c) / 5 = 2, 2.2, 2.4, 2.6, 2.8, 3, 3.2, 3.4, 3.6, 3.8: floors sum to 25, +1 to c = 4, 9, 3, 8.
    expect(classCounts(validation.labels)).toEqual([2, 2, 2, 3, 3, 3, 3, 3, 4, 4]);
    expect(validation.count + train.count).toBe(145);
  });

  it('rejects bad arguments with the allowed range', () => {
    const d = indexed(10);
    expect(() => trainValidationSplit(d, { validationFraction: 1 })).toThrow(
      /validationFraction must be a number in \(0, 1\)/,
    );
    expect(() => trainValidationSplit(d, { validationCount: 10 })).toThrow(/\[1, 9\]/);
    expect(() => trainValidationSplit(d, {})).toThrow(/exactly one/);
    expect(() => trainValidationSplit(d, { validationCount: 2, seed: -1 })).toThrow(/seed/);
  });
});

describe('balancedSubset', () => {
  it('takes perClass of each class, seeded, shuffled', () => {
    const a = balancedSubset(data.train, 50, 11);
    expect(a.count).toBe(500);
    expect(classCounts(a.labels)).toEqual(new Array(10).fill(50));
    expect(Array.from(a.labels.subarray(0, 20))).not.toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    expect(Buffer.compare(balancedSubset(data.train, 50, 11).images, a.images)).toBe(0);
    expect(Buffer.compare(balancedSubset(data.train, 50, 12).images, a.images)).not.toBe(0);
    expect(() => balancedSubset(data.train, 6001)).toThrow(/perClass must be an integer in \[1, 6000\]/);
  });

  it('balancedSubsetIndices names the examples balancedSubset copies, each once, in its order', () => {
    const indices = balancedSubsetIndices(data.train.labels, 50, 11);
    expect(new Set(indices).size).toBe(500);
    expect(Uint8Array.from(indices, (i) => data.train.labels[i] as number)).toEqual(
      balancedSubset(data.train, 50, 11).labels,
    );
    const first = indices[0] as number;
    expect(
      Buffer.compare(
        data.train.images.subarray(first * 784, (first + 1) * 784),
        balancedSubset(data.train, 50, 11).images.subarray(0, 784),
      ),
    ).toBe(0);
  });
});

describe('computeStatistics and normalization', () => {
  it('global statistics of the real training split match an independent two-pass float64 computation', () => {
    const { images } = data.train;
    let sum = 0;
    for (let i = 0; i < images.length; i++) sum += (images[i] as number) / 255;
    const mean = sum / images.length;
    let sq = 0;
    for (let i = 0; i < images.length; i++) sq += ((images[i] as number) / 255 - mean) ** 2;
    const std = Math.sqrt(sq / images.length);
    const stats = computeStatistics(data.train);
    expect(stats.axis).toBe('global');
    expect(stats.mean[0]).toBeCloseTo(mean, 10);
    expect(stats.std[0]).toBeCloseTo(std, 10);
    // The values usually quoted for Fashion-MNIST's training images.
    expect(mean).toBeCloseTo(0.286, 3);
    expect(std).toBeCloseTo(0.353, 3);
  });

  it('per-pixel statistics match a two-pass computation at sampled pixels', () => {
    const stats = computeStatistics(data.train, { axis: 'pixel' });
    expect(stats.mean.length).toBe(784);
    for (const p of [0, 100, 406, 783]) {
      let s = 0;
      for (let i = 0; i < 60000; i++) s += (data.train.images[i * 784 + p] as number) / 255;
      const m = s / 60000;
      let q = 0;
      for (let i = 0; i < 60000; i++) q += ((data.train.images[i * 784 + p] as number) / 255 - m) ** 2;
      expect(stats.mean[p]).toBeCloseTo(m, 10);
      expect(stats.std[p]).toBeCloseTo(Math.sqrt(q / 60000), 10);
    }
  });

  it('standardization uses the statistics it is given: those of the training split, not of the held-out data', () => {
    const { train, validation } = trainValidationSplit(data.train, { validationCount: 10000, seed: 0 });
    const fromTrain = computeStatistics(train);
    const fromAll = computeStatistics(data.train);
    expect(fromTrain.mean[0]).not.toBe(fromAll.mean[0]);
    const x = normalizeImages(validation.images.subarray(0, 784 * 4), 'standardize', fromTrain);
    for (let i = 0; i < x.length; i += 97) {
      const want =
        ((validation.images[i] as number) / 255 - (fromTrain.mean[0] as number)) / (fromTrain.std[0] as number);
      expect(x[i]).toBeCloseTo(want, 5);
    }
    const perPixel = computeStatistics(train, { axis: 'pixel' });
    const y = normalizeImages(validation.images.subarray(0, 784), 'standardize', perPixel);
    for (const p of [0, 300, 500]) {
      const s = Math.max(perPixel.std[p] as number, 1e-7);
      expect(y[p]).toBeCloseTo(((validation.images[p] as number) / 255 - (perPixel.mean[p] as number)) / s, 4);
    }
  });

  it('rescale is x / 255; none keeps 0..255', () => {
    const bytes = Uint8Array.of(0, 1, 128, 255);
    expect(Array.from(normalizeImages(bytes, 'rescale'))).toEqual([0, 1 / 255, 128 / 255, 1].map(Math.fround));
    expect(Array.from(normalizeImages(bytes, 'none'))).toEqual([0, 1, 128, 255]);
    expect(() => normalizeImages(bytes, 'standardize')).toThrow(/needs statistics/);
  });
});

describe('oneHot and toTensors', () => {
  afterEach(() => tf.disposeVariables());
  it('oneHot is float32 [n, 10] with a single 1 at the label', () => {
    const t = oneHot([9, 0, 3]);
    expect(t.shape).toEqual([3, 10]);
    expect(t.dtype).toBe('float32');
    const v = t.dataSync();
    expect(Array.from(v.slice(0, 10))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(v[10]).toBe(1);
    expect(v[23]).toBe(1);
    expect(Array.from(v).reduce((a, b) => a + b, 0)).toBe(3);
    t.dispose();
    expect(() => oneHot([10])).toThrow(/label 10 at index 0 is not in \[0, 9\]/);
  });
  it('toTensors gives x [n, 784] rescaled and int32 labels', () => {
    const small = balancedSubset(data.test, 2, 0);
    const { x, y } = toTensors(small);
    expect(x.shape).toEqual([20, 784]);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.dataSync())).toEqual(Array.from(small.labels));
    expect(x.dataSync()[300]).toBeCloseTo((small.images[300] as number) / 255, 7);
    tf.dispose([x, y]);
  });
});

describe('batches', () => {
  it('yields [b, 784] float32 batches in a seeded order; the last batch is smaller unless dropped', () => {
    const d = indexed(1050);
    const it = batches(d, { batchSize: 100, seed: 5 });
    expect(it.batchesPerEpoch).toBe(11);
    expect(it.examplesPerEpoch).toBe(1050);
    const seen: number[] = [];
    const sizes: number[] = [];
    for (const b of it) {
      expect(b.x.shape).toEqual([b.size, 784]);
      expect(b.x.dtype).toBe('float32');
      expect(b.y.dtype).toBe('int32');
      const xs = b.x.dataSync();
      const ys = b.y.dataSync();
      for (let i = 0; i < b.size; i++) {
        const id = Math.round((xs[i * 784] as number) * 255) + Math.round((xs[i * 784 + 1] as number) * 255) * 256;
        seen.push(id);
        expect(ys[i]).toBe(id % 10);
        expect(xs[i * 784 + 3]).toBeCloseTo(((id * 37) % 256) / 255, 7);
      }
      sizes.push(b.size);
      tf.dispose([b.x, b.y]);
    }
    expect(sizes).toEqual([100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 50]);
    expect(seen).toEqual(Array.from(it.order(0)));
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 1050 }, (_, i) => i));
    expect(seen.slice(0, 20)).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    const dropped = batches(d, { batchSize: 100, seed: 5, dropRemainder: true });
    expect(dropped.batchesPerEpoch).toBe(10);
    let count = 0;
    for (const b of dropped) {
      count++;
      tf.dispose([b.x, b.y]);
    }
    expect(count).toBe(10);
  });

  it('the order is a function of seed and epoch only: a resumed run sees the same batches', async () => {
    const d = indexed(500);
    const a = batches(d, { batchSize: 64, seed: 42 });
    const b = batches(d, { batchSize: 64, seed: 42, epoch: 3 });
    expect(Array.from(a.order(3))).toEqual(Array.from(b.order(3)));
    // The one epoch order of @opt/tensor, which @opt/layers' fit shuffles tensors with too.
    expect(Array.from(a.order(3))).toEqual(Array.from(Random.epochPermutation(42, 3, 500)));
    expect(Array.from(a.order(0))).not.toEqual(Array.from(a.order(1)));
    expect(Array.from(batches(d, { batchSize: 64, seed: 43 }).order(0))).not.toEqual(Array.from(a.order(0)));
    // Iterating b itself yields epoch 3; a.batches(3) the same tensors' values.
    const fromA: number[][] = [];
    for await (const batch of a.batches(3)) {
      fromA.push(Array.from(batch.x.dataSync().slice(0, 784 * 2)));
      tf.dispose([batch.x, batch.y]);
    }
    let k = 0;
    for await (const batch of b) {
      expect(Array.from(batch.x.dataSync().slice(0, 784 * 2))).toEqual(fromA[k++]);
      tf.dispose([batch.x, batch.y]);
    }
    expect(k).toBe(a.batchesPerEpoch);
    const plain = batches(d, { batchSize: 64, shuffle: false });
    expect(Array.from(plain.order(2))).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('one-hot and standardized batches', () => {
    const stats = computeStatistics(data.train);
    const it = batches(data.test, {
      batchSize: 32,
      normalize: 'standardize',
      statistics: stats,
      oneHot: true,
      seed: 1,
    });
    const first = it.batches(0)[Symbol.iterator]().next().value;
    if (first === undefined) throw new Error('no batch');
    expect(first.y.shape).toEqual([32, 10]);
    const row = it.order(0)[0] as number;
    const label = data.test.labels[row] as number;
    expect(first.y.dataSync()[label]).toBe(1);
    const want =
      ((data.test.images[row * 784 + 400] as number) / 255 - (stats.mean[0] as number)) / (stats.std[0] as number);
    expect(first.x.dataSync()[400]).toBeCloseTo(want, 5);
    tf.dispose([first.x, first.y]);
  });

  it('leaks no tensor when the consumer disposes each batch', () => {
    const it = batches(indexed(300), { batchSize: 32, oneHot: true });
    const before = countTensors();
    for (let epoch = 0; epoch < 2; epoch++) {
      for (const b of it.batches(epoch)) tf.dispose([b.x, b.y]);
    }
    expect(countTensors()).toBe(before);
  });

  it('never allocates float32 data the size of the dataset (60,000 real images)', () => {
    const RealFloat32Array = globalThis.Float32Array;
    let largest = 0;
    class SpyFloat32Array extends RealFloat32Array {
      // biome-ignore lint/suspicious/noExplicitAny: the spy forwards every constructor form
      constructor(...args: any[]) {
        super(...(args as []));
        largest = Math.max(largest, this.length);
      }
    }
    const stats = computeStatistics(data.train);
    const before = tf.memory().numBytes;
    let peak = 0;
    let count = 0;
    globalThis.Float32Array = SpyFloat32Array as Float32ArrayConstructor;
    try {
      const it = batches(data.train, { batchSize: 1000, seed: 3, normalize: 'standardize', statistics: stats });
      for (const b of it) {
        peak = Math.max(peak, tf.memory().numBytes - before);
        count += b.size;
        tf.dispose([b.x, b.y]);
      }
    } finally {
      globalThis.Float32Array = RealFloat32Array;
    }
    expect(count).toBe(60000);
    expect(largest).toBeGreaterThan(0); // the spy saw the batch buffers
    expect(largest).toBeLessThanOrEqual(1000 * 784);
    expect(peak).toBeLessThanOrEqual(1000 * 784 * 4 + 1000 * 4);
  });

  it('matches the BatchSource shape @opt/layers fit takes, and rejects bad options', () => {
    const it = batches(indexed(10), { batchSize: 4 });
    expect(typeof it.batches).toBe('function');
    expect(it.batchesPerEpoch).toBe(3);
    expect(typeof it[Symbol.asyncIterator]).toBe('function');
    expect(() => batches(indexed(10), { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    expect(() => batches(indexed(10), { batchSize: 4, normalize: 'standardize' })).toThrow(/needs statistics/);
    expect(() => batches(indexed(3), { batchSize: 4, dropRemainder: true })).toThrow(/no batch/);
    expect(() => it.batches(-1)).toThrow(/epoch must be a non-negative integer/);
    expect(() => batches({ images: new Uint8Array(5), labels: new Uint8Array(1), count: 1 }, { batchSize: 1 })).toThrow(
      /Uint8Array of count \* 784 bytes/,
    );
  });
});
