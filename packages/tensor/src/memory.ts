import * as tf from '#tfjs-core';

/** Tensors alive in the engine now. */
export function countTensors(): number {
  return tf.memory().numTensors;
}

/**
 * Runs `step` `repeats` times after one warm-up call and returns how many
 * tensors were left alive per call on average: 0 for code that frees what it
 * makes. The warm-up absorbs tensors a step keeps on purpose (optimizer slots).
 */
export async function tensorLeak(step: () => unknown, repeats = 5): Promise<number> {
  await step();
  const before = countTensors();
  for (let i = 0; i < repeats; i++) await step();
  return (countTensors() - before) / repeats;
}

/**
 * Kernels the engine runs while `f` runs: every op goes through the engine's `runKernel`, which is counted for the
 * call and restored after it, even when `f` throws. For a function that returns a promise, the count covers
 * everything until it settles.
 */
export function countKernels(f: () => void): number;
export function countKernels(f: () => Promise<unknown>): Promise<number>;
export function countKernels(f: () => unknown): number | Promise<number> {
  const engine = tf.engine() as unknown as { runKernel: (...args: unknown[]) => unknown };
  const original = engine.runKernel;
  let n = 0;
  engine.runKernel = function (this: unknown, ...args: unknown[]) {
    n++;
    return original.apply(this, args);
  };
  let result: unknown;
  try {
    result = f();
  } catch (error) {
    engine.runKernel = original;
    throw error;
  }
  if (result instanceof Promise) {
    return result
      .finally(() => {
        engine.runKernel = original;
      })
      .then(() => n);
  }
  engine.runKernel = original;
  return n;
}
