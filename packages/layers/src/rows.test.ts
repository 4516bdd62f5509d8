import { tf, useBackend } from '@opt/tensor';
import { describe, expect, it } from 'vitest';
import { gatherRows, sliceRows } from './rows.js';

describe('gatherRows', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`equals tf.gather on ${backend}, float32 and int32, without copying the source`, async () => {
      tf.enableProdMode();
      await useBackend(backend);
      const x = tf.tensor3d(
        Float32Array.from({ length: 5 * 2 * 3 }, (_, i) => i * 0.5),
        [5, 2, 3],
      );
      const y = tf.tensor1d([4, 3, 2, 1, 0], 'int32');
      const idx = Int32Array.from([3, 0, 3, 4]);
      const before = tf.memory().numTensors;
      const gx = gatherRows(x, idx);
      const gy = gatherRows(y, idx);
      expect(tf.memory().numTensors).toBe(before + 2);
      expect(gx.shape).toEqual([4, 2, 3]);
      expect(gy.dtype).toBe('int32');
      expect(Array.from(gx.dataSync())).toEqual(Array.from(tf.gather(x, Array.from(idx)).dataSync()));
      expect(Array.from(gy.dataSync())).toEqual([1, 4, 1, 0]);
      expect(Array.from(sliceRows(y, 1, 3).dataSync())).toEqual([3, 2, 1]);
      if (backend === 'wasm') expect(() => gatherRows(x, Int32Array.from([5]))).toThrow(/row 5 is outside \[0, 4\]/);
    });
  }
});
