/**
 * WebGL's kernels (SwiftShader in headless Chromium) against the portable ops on the same backend: each kernel is
 * shown to run (its program, or the absence of tfjs's kernel it replaces) and to give the portable op's values.
 */
import { Random, tf, useBackend } from '@opt/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchMean, batchSum, reluMask } from '../batch.js';
import { denseForward, matMulTransposeA, matMulTransposeB } from '../matmul.js';
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

/** Each value within `relative` of the expected one, relative to its magnitude (at least 1); NaN where it is NaN. */
async function expectRelative(got: tf.Tensor, expected: tf.Tensor, relative = 1e-5): Promise<void> {
  expect(got.shape).toEqual(expected.shape);
  const [a, b] = [await got.data(), await expected.data()];
  a.forEach((v, i) => {
    const e = b[i] as number;
    if (Number.isNaN(e)) expect(v).toBeNaN();
    else expect(Math.abs(v - e)).toBeLessThanOrEqual(relative * Math.max(1, Math.abs(e)));
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
    for (const [fast, tfjsKernel, ours] of [
      [batchSum, 'Sum', 'OptMatMulTexels'],
      [batchMean, 'Mean', 'OptMatMulTexels'],
      [reluMask, 'Step', 'Greater'],
    ] as const) {
      const profile = await tf.profile(() => fast(t));
      expect(profile.kernelNames).not.toContain(tfjsKernel);
      expect(profile.kernelNames).toContain(ours);
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

  it('the transposed products fetch texels: odd shapes, both transposes, the values of the portable op', async () => {
    // Operands under 128 elements stay on the CPU until the program uploads them packed; larger ones are packed textures.
    for (const [m, k, n] of [
      [7, 13, 5],
      [21, 13, 15],
      [8, 16, 6],
      [1, 3, 1],
      [128, 37, 10],
    ] as Array<[number, number, number]>) {
      for (const [fast, a, b] of [
        [matMulTransposeA, packed(1, k, m), packed(2, k, n)],
        [matMulTransposeB, packed(3, m, k), packed(4, n, k)],
      ] as const) {
        const profile = await tf.profile(() => fast(a as tf.Tensor2D, b as tf.Tensor2D));
        expect(profile.kernelNames).toEqual(['OptMatMulTexels']);
        const expected = fast.portable(a as tf.Tensor2D, b as tf.Tensor2D);
        expect(expected.shape).toEqual([m, n]);
        await expectRelative(profile.result as tf.Tensor, expected);
        tf.dispose([a, b, expected, profile.result as tf.Tensor]);
      }
    }
  });

  it("the forward product with its bias and relu in one program, NaN kept; tfjs's fused product where it declines", async () => {
    for (const [m, k, n, activation, withBias] of [
      [7, 13, 5, 'relu', true],
      [9, 6, 3, 'linear', true],
      [4, 11, 7, 'relu', false],
      [128, 20, 12, 'linear', false],
    ] as Array<[number, number, number, 'relu' | 'linear', boolean]>) {
      const values = new Random(m).normal(m * k, 0, 1);
      values[3] = Number.NaN;
      const x = tf.mul(tf.tensor2d(values, [m, k]), 1) as tf.Tensor2D;
      const w = packed(6, k, n) as tf.Tensor2D;
      const bias = withBias ? tf.tensor1d(new Random(8).normal(n, 0, 1)) : null;
      const profile = await tf.profile(() => denseForward(x, w, bias, activation));
      expect(profile.kernelNames).toEqual(['OptMatMulTexels']);
      const expected = denseForward.portable(x, w, bias, activation);
      await expectRelative(profile.result as tf.Tensor, expected);
      tf.dispose([x, w, expected, profile.result as tf.Tensor, ...(bias === null ? [] : [bias])]);
    }
  });

  it('declines what it does not take: a texture laid out otherwise, int32, a sigmoid', async () => {
    // Wider than a texture's side: tfjs lays the packed matrix out in a squarer texture.
    const wide = 2 * tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE') + 2;
    const cases: Array<[string, () => tf.Tensor]> = [
      ['BatchMatMul', () => matMulTransposeB(packed(1, 3, wide) as tf.Tensor2D, packed(2, 2, wide) as tf.Tensor2D)],
      [
        'BatchMatMul',
        () => matMulTransposeA(packed(3, 2, 3) as tf.Tensor2D, tf.cast(tf.ones([2, 4]), 'int32') as tf.Tensor2D),
      ],
      [
        '_FusedMatMul',
        () => denseForward(packed(4, 3, 5) as tf.Tensor2D, packed(5, 5, 2) as tf.Tensor2D, null, 'sigmoid'),
      ],
    ];
    for (const [kernel, run] of cases) {
      const profile = await tf.profile(run);
      expect(profile.kernelNames).toContain(kernel);
      expect(profile.kernelNames).not.toContain('OptMatMulTexels');
      tf.dispose(profile.result as tf.Tensor);
    }
  });
});
