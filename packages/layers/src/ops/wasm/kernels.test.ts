/** wasm's kernels against the portable ops on wasm, and each kernel shown to run there (and nowhere else). */
import { Random, tf, useBackend } from '@opt/tensor';
import { describe, expect, it } from 'vitest';
import { matMulTransposeA, matMulTransposeB } from '../matmul.js';
import { gatherRows, sliceRows } from '../rows.js';

const matrix = (seed: number, rows: number, cols: number) =>
  tf.tensor2d(new Random(seed).normal(rows * cols), [rows, cols]);

describe("wasm's kernels", () => {
  it('the transposed products: an explicit Transpose on wasm, the portable op elsewhere, the same values', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await useBackend(backend);
      const x = matrix(1, 6, 5);
      const dz = matrix(2, 6, 3);
      const w = matrix(3, 5, 3);
      for (const [fast, a, b] of [
        [matMulTransposeA, x, dz],
        [matMulTransposeB, dz, w],
      ] as const) {
        const profile = await tf.profile(() => fast(a, b));
        expect(profile.kernelNames.includes('Transpose'), backend).toBe(backend === 'wasm');
        const expected = fast.portable(a, b);
        const got = profile.result as tf.Tensor;
        expect(got.shape).toEqual(expected.shape);
        const [g, e] = [got.dataSync(), expected.dataSync()];
        for (const [i, v] of e.entries()) expect(g[i]).toBeCloseTo(v, 5);
        tf.dispose([got, expected]);
      }
      tf.dispose([x, dz, w]);
    }
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`gatherRows equals the portable op (tf.gather) on ${backend}, float32 and int32, without copying the source`, async () => {
      tf.enableProdMode();
      await useBackend(backend);
      const x = tf.tensor3d(
        Float32Array.from({ length: 5 * 2 * 3 }, (_, i) => i * 0.5),
        [5, 2, 3],
      );
      const y = tf.tensor1d([4, 3, 2, 1, 0], 'int32');
      const idx = Int32Array.from([3, 0, 3, 4]);
      const before = tf.memory().numTensors;
      const profile = await tf.profile(() => gatherRows(x, idx));
      const gx = profile.result as tf.Tensor;
      const gy = gatherRows(y, idx);
      expect(tf.memory().numTensors).toBe(before + 2);
      // The heap copy runs no kernel at all on wasm.
      expect(profile.kernelNames.includes('GatherV2'), backend).toBe(backend !== 'wasm');
      expect(gx.shape).toEqual([4, 2, 3]);
      expect(gy.dtype).toBe('int32');
      expect(Array.from(gx.dataSync())).toEqual(Array.from(gatherRows.portable(x, idx).dataSync()));
      expect(Array.from(gy.dataSync())).toEqual([1, 4, 1, 0]);
      expect(Array.from(sliceRows(y, 1, 3).dataSync())).toEqual([3, 2, 1]);
      if (backend === 'wasm') expect(() => gatherRows(x, Int32Array.from([5]))).toThrow(/row 5 is outside \[0, 4\]/);
    });
  }
});
