import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from './index.js';
import { useTestBackend } from './testing.js';
import { packWeights, readWeights, unpackWeights } from './weights.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('packWeights / unpackWeights', () => {
  it('round-trips named tensors through JSON and one buffer, bit for bit', async () => {
    const a = tf.tensor2d([
      [1.5, -2],
      [Math.PI, 1e-30],
    ]);
    const b = tf.tensor1d([Number.MAX_VALUE, -0, 7]);
    const weights = await readWeights([
      { name: 'dense/kernel', tensor: a },
      { name: 'dense/bias', tensor: b },
    ]);
    const { manifest, data } = packWeights(weights);
    const back = unpackWeights(JSON.parse(JSON.stringify(manifest)), data.slice());
    expect(back.map((w) => w.name)).toEqual(['dense/kernel', 'dense/bias']);
    expect(back[0]?.shape).toEqual([2, 2]);
    expect(Array.from(back[0]?.values ?? [])).toEqual(Array.from(a.dataSync()));
    expect(Object.is(back[1]?.values[1], -0)).toBe(true);
    tf.dispose([a, b]);
  });

  it('rejects duplicate names, wrong value counts and truncated buffers', () => {
    const w = { name: 'w', shape: [2], values: new Float32Array([1, 2]) };
    expect(() => packWeights([w, w])).toThrow('Two weights are both named "w"');
    expect(() => packWeights([{ ...w, shape: [3] }])).toThrow('has 2 values but shape [3] needs 3');
    const { manifest, data } = packWeights([w]);
    expect(() => unpackWeights(manifest, data.subarray(0, 4))).toThrow('truncated');
  });

  it('refuses to save non-float32 tensors', async () => {
    const i = tf.tensor1d([1, 2], 'int32');
    await expect(readWeights([{ name: 'i', tensor: i }])).rejects.toThrow('only float32 weights can be saved');
    i.dispose();
  });
});
