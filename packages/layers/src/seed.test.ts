import { tf, useBackend } from '@opt/tensor';
import { describe, expect, it } from 'vitest';
import { BatchNormalization, Dense, Dropout, ReLU, Sequential } from './index.js';

async function initialWeightsAndMask(backend: 'cpu' | 'wasm'): Promise<{ weights: number[][]; mask: number[] }> {
  tf.enableProdMode();
  await useBackend(backend);
  const dropout = new Dropout({ rate: 0.5 });
  const model = new Sequential(
    [new Dense({ units: 5, useBias: false }), new BatchNormalization(), new ReLU(), dropout, new Dense({ units: 3 })],
    {
      inputShape: [4],
      seed: 123,
    },
  );
  const weights = model.weights.map((w) => Array.from(w.variable.dataSync()));
  const mask = Array.from(dropout.apply(tf.ones([2, 5]), { training: true }).dataSync());
  model.dispose();
  return { weights, mask };
}

describe('seeds', () => {
  it('give the same initial weights and dropout masks on cpu and wasm', async () => {
    const cpu = await initialWeightsAndMask('cpu');
    const wasm = await initialWeightsAndMask('wasm');
    expect(wasm).toEqual(cpu);
    expect(cpu.mask.some((v) => v === 0) && cpu.mask.some((v) => v === 2)).toBe(true);
    const other = new Sequential([new Dense({ units: 5 })], { inputShape: [4], seed: 124 });
    expect(Array.from(other.weights[0]?.variable.dataSync() ?? [])).not.toEqual(cpu.weights[0]);
  });
});
