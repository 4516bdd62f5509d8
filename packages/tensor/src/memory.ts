import * as tf from '@tensorflow/tfjs-core';

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
