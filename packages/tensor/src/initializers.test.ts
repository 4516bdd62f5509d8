import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from './backends.js';
import { tf } from './index.js';
import {
  computeFans,
  getInitializer,
  glorotNormal,
  glorotUniform,
  heNormal,
  heUniform,
  initialize,
  ones,
  zeros,
} from './initializers.js';
import { Random } from './random.js';

function stats(x: Float32Array): { mean: number; variance: number; maxAbs: number } {
  let sum = 0;
  for (const v of x) sum += v;
  const mean = sum / x.length;
  let sq = 0;
  let maxAbs = 0;
  for (const v of x) {
    sq += (v - mean) ** 2;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  return { mean, variance: sq / x.length, maxAbs };
}

afterAll(() => tf.disposeVariables());

describe('computeFans (Keras compute_fans)', () => {
  it('reads fan-in and fan-out from kernel shapes', () => {
    expect(computeFans([])).toEqual({ fanIn: 1, fanOut: 1 });
    expect(computeFans([7])).toEqual({ fanIn: 7, fanOut: 7 });
    expect(computeFans([784, 256])).toEqual({ fanIn: 784, fanOut: 256 });
    expect(computeFans([3, 3, 16, 32])).toEqual({ fanIn: 144, fanOut: 288 });
  });
});

describe('initializers (Keras 3 variance scaling)', () => {
  const shape = [400, 300];
  it('glorotUniform draws U(-sqrt(6/(in+out)), +sqrt(6/(in+out)))', () => {
    const limit = Math.sqrt(6 / 700);
    const s = stats(glorotUniform().sample(shape, new Random(1)));
    expect(s.maxAbs).toBeLessThanOrEqual(limit);
    expect(s.maxAbs).toBeGreaterThan(limit * 0.999);
    expect(s.variance).toBeCloseTo(limit ** 2 / 3, 4);
  });

  it('heUniform draws U(-sqrt(6/in), +sqrt(6/in))', () => {
    const limit = Math.sqrt(6 / 400);
    const s = stats(heUniform().sample(shape, new Random(2)));
    expect(s.maxAbs).toBeLessThanOrEqual(limit);
    expect(s.variance).toBeCloseTo(limit ** 2 / 3, 4);
  });

  it('glorotNormal and heNormal keep variance 2/(in+out) and 2/in after truncation at 2 stddev', () => {
    // Keras divides the stddev by 0.8796..., the stddev of N(0,1) truncated to [-2, 2].
    const g = stats(glorotNormal().sample(shape, new Random(3)));
    expect(g.variance / (2 / 700)).toBeCloseTo(1, 1);
    expect(g.maxAbs).toBeLessThanOrEqual((2 * Math.sqrt(2 / 700)) / 0.87962566103423978 + 1e-7);
    const h = stats(heNormal().sample(shape, new Random(4)));
    expect(h.variance / (2 / 400)).toBeCloseTo(1, 1);
    expect(Math.abs(h.mean)).toBeLessThan(0.001);
  });

  it('zeros and ones fill', () => {
    expect(Array.from(zeros().sample([2, 2], new Random(0)))).toEqual([0, 0, 0, 0]);
    expect(Array.from(ones().sample([3], new Random(0)))).toEqual([1, 1, 1]);
  });

  it('looks initializers up by name and rejects unknown names', () => {
    expect(getInitializer('heNormal').name).toBe('heNormal');
    expect(() => getInitializer('he_normal' as never)).toThrow('Unknown initializer "he_normal". Choose one of:');
    expect(() => glorotUniform().sample([2, -1], new Random(0))).toThrow('non-negative integers');
  });

  it('gives the same initial weights for the same seed on the cpu and wasm backends', async () => {
    tf.enableProdMode();
    await useBackend('cpu');
    const onCpu = initialize('glorotUniform', [784, 32], new Random(123));
    const cpuValues = onCpu.dataSync().slice();
    await useBackend('wasm');
    const onWasm = initialize('glorotUniform', [784, 32], new Random(123));
    expect(tf.getBackend()).toBe('wasm');
    expect(onWasm.dataSync()).toEqual(cpuValues);
    tf.dispose([onCpu, onWasm]);
  });
});
