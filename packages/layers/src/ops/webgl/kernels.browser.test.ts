/**
 * WebGL's kernels (SwiftShader in headless Chromium) against the portable ops on the same backend: each kernel is
 * shown to run (its program, or the absence of tfjs's kernel it replaces) and to give the portable op's values.
 */
import { Random, tf, useBackend } from '@opt/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchMean, batchSum, reluMask } from '../batch.js';
import { gatherRows } from '../rows.js';
import { correctCount, softmax, softmaxCrossentropy } from '../softmax.js';

/** A packed [rows, cols] tensor of normal values with standard deviation `scale`, as a layer's output is. */
const packed = (seed: number, rows: number, cols: number, scale = 1) =>
  tf.mul(tf.tensor2d(new Random(seed).normal(rows * cols, 0, scale), [rows, cols]), 1);

async function expectClose(got: tf.Tensor, expected: tf.Tensor, digits: number): Promise<void> {
  expect(got.shape).toEqual(expected.shape);
  const [a, b] = [await got.data(), await expected.data()];
  a.forEach((v, i) => {
    expect(v).toBeCloseTo(b[i] as number, digits);
  });
}

describe("WebGL's kernels against the portable ops", () => {
  beforeAll(() => useBackend('webgl'));
  afterAll(() => useBackend('cpu'));

  it("softmax: its program up to 64 classes, tfjs's kernel beyond; both give the portable op's values", async () => {
    for (const [rows, classes, kernel] of [
      [5, 3, 'OptSoftmax'],
      [4, 64, 'OptSoftmax'],
      [3, 100, 'Softmax'],
    ] as Array<[number, number, string]>) {
      const z = packed(7, rows, classes, 3);
      const profile = await tf.profile(() => softmax(z));
      expect(profile.kernelNames).toContain(kernel);
      const expected = softmax.portable(z);
      await expectClose(profile.result as tf.Tensor, expected, 6);
      tf.dispose([z, expected, profile.result as tf.Tensor]);
    }
  });

  it('the crossentropy of a softmax: value and logit gradient in two programs, a clipped row included', async () => {
    const clip = { clipMin: 1e-7, clipMax: 1 - 1e-7 };
    // Row 0's logits put all the mass on one class: q clips there, and the gradient's mask matters.
    const z = tf.concat([tf.tensor2d([[40, -40, -40, -40, -40]]), packed(3, 8, 5, 2)]);
    const p = softmax(z);
    const y = tf.cast(tf.oneHot(tf.tensor1d([1, 0, 4, 2, 2, 3, 1, 0, 4], 'int32'), 5), 'float32');
    const profile = await tf.profile(() => softmaxCrossentropy(y, p, clip));
    expect(profile.kernelNames).toEqual(['OptCrossentropyValue', 'OptCrossentropyLogitGrad']);
    const got = profile.result as { value: tf.Scalar; grad: tf.Tensor };
    const expected = softmaxCrossentropy.portable(y, p, clip);
    await expectClose(got.value, expected.value, 4);
    await expectClose(got.grad, expected.grad, 6);
    tf.dispose([z, p, y, got.value, got.grad, expected.value, expected.grad]);
  });

  it('the correct count: one program, for one-hot and sparse labels', async () => {
    const p = softmax(packed(4, 9, 4));
    const labels = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3, 0], 'int32');
    const oneHot = tf.cast(tf.oneHot(labels, 4), 'float32');
    for (const [y, sparse] of [
      [oneHot, false],
      [labels, true],
      [tf.reshape(labels, [9, 1]), true],
    ] as Array<[tf.Tensor, boolean]>) {
      const profile = await tf.profile(() => correctCount(y, p, sparse));
      expect(profile.kernelNames).toContain('OptCorrectCount');
      const expected = correctCount.portable(y, p, sparse);
      expect(await (profile.result as tf.Tensor).data()).toEqual(await expected.data());
    }
  });

  it('the batch sums and means as products with a row of ones, the relu mask as a comparison', async () => {
    const t = packed(5, 7, 6);
    for (const [fast, tfjsKernel] of [
      [batchSum, 'Sum'],
      [batchMean, 'Mean'],
      [reluMask, 'Step'],
    ] as const) {
      const profile = await tf.profile(() => fast(t));
      expect(profile.kernelNames).not.toContain(tfjsKernel);
      const reference = await tf.profile(() => fast.portable(t));
      expect(reference.kernelNames).toContain(tfjsKernel);
      await expectClose(profile.result as tf.Tensor, reference.result as tf.Tensor, 5);
      tf.dispose([profile.result as tf.Tensor, reference.result as tf.Tensor]);
    }
    t.dispose();
  });

  it("gathers the model's inputs into a packed texture: the portable op's rows, odd sizes and repeats included", async () => {
    for (const [rows, cols, picks] of [
      [7, 5, [6, 0, 3, 3, 1]],
      [9, 4, [8, 7, 2, 0]],
      [2, 1, [1]],
    ] as Array<[number, number, number[]]>) {
      const x = tf.tensor2d(
        Float32Array.from({ length: rows * cols }, (_, i) => i * 0.25 - 3),
        [rows, cols],
      );
      const indices = Int32Array.from(picks);
      const got = gatherRows(x, indices, { forMatMul: true });
      const backend = tf.backend() as unknown as { texData: { get(id: object): { isPacked?: boolean } } };
      expect(backend.texData.get(got.dataId).isPacked).toBe(true);
      expect(got.shape).toEqual([picks.length, cols]);
      expect(Array.from(await got.data())).toEqual(Array.from(await gatherRows.portable(x, indices).data()));
      tf.dispose([x, got]);
    }
  });
});
