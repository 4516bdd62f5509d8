import { describe, expect, it } from 'vitest';
import { tf } from './index.js';
import { countKernels, countTensors, useTestBackend } from './testing.js';

describe('countKernels', () => {
  it('counts the kernels a function runs, synchronous or not, and restores the engine afterwards', async () => {
    await useTestBackend();
    const engine = tf.engine();
    const runKernel = engine.runKernel;
    const before = countTensors();
    // add, then mul: two kernels, whatever tfjs does around them
    expect(countKernels(() => tf.tidy(() => tf.mul(tf.add(tf.scalar(1), tf.scalar(2)), tf.scalar(3))).dispose())).toBe(
      2,
    );
    expect(engine.runKernel).toBe(runKernel);
    expect(
      await countKernels(async () => {
        const two = tf.scalar(2);
        const t = tf.square(two);
        await t.data();
        tf.dispose([two, t]);
      }),
    ).toBe(1);
    expect(engine.runKernel).toBe(runKernel);
    expect(() =>
      countKernels(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(engine.runKernel).toBe(runKernel);
    await expect(countKernels(() => Promise.reject(new Error('late')))).rejects.toThrow('late');
    expect(engine.runKernel).toBe(runKernel);
    expect(countTensors()).toBe(before);
  });
});
