import { describe, expect, it } from 'vitest';
import { Random } from './random.js';

describe('Random (xoshiro128**)', () => {
  it('matches the reference xoshiro128** stream from state [1, 2, 3, 4]', () => {
    // Reference values of Blackman and Vigna's xoshiro128starstar.c from that state.
    const r = Random.fromState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 4] });
    expect(Array.from({ length: 6 }, () => r.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492,
    ]);
  });

  it('gives the same stream for the same seed and different streams for different seeds', () => {
    const a = new Random(42).uniform(100);
    expect(new Random(42).uniform(100)).toEqual(a);
    expect(new Random(43).uniform(100)).not.toEqual(a);
    expect(new Random(2 ** 40 + 42).uniform(100)).not.toEqual(a);
  });

  it('resumes exactly from a state that went through JSON', () => {
    const r = new Random(7);
    r.uniform(13);
    const saved = JSON.parse(JSON.stringify(r.getState()));
    const expected = r.uniform(50);
    expect(Random.fromState(saved).uniform(50)).toEqual(expected);
  });

  it('forks independent child streams without disturbing determinism', () => {
    const parent = new Random(1);
    const childA = parent.fork();
    const childB = parent.fork();
    expect(childA.uniform(20)).not.toEqual(childB.uniform(20));
    const again = new Random(1);
    expect(again.fork().uniform(20)).toEqual(new Random(1).fork().uniform(20));
  });

  it('draws floats in [0, 1) and uniform values in [min, max)', () => {
    const r = new Random(3);
    const u = r.uniform(10_000, -2, 5);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(5);
    const mean = u.reduce((a, b) => a + b, 0) / u.length;
    expect(mean).toBeCloseTo(1.5, 1);
  });

  it('draws normals with the requested mean and standard deviation', () => {
    const x = new Random(5).normal(20_000, 3, 2);
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    expect(mean).toBeCloseTo(3, 1);
    expect(Math.sqrt(variance)).toBeCloseTo(2, 1);
  });

  it('truncates normals at two standard deviations', () => {
    const x = new Random(9).truncatedNormal(20_000, 0, 0.5);
    expect(Math.max(...x.map(Math.abs))).toBeLessThanOrEqual(1);
    // Variance of N(0,1) truncated to [-2, 2] is 0.7737413; here scaled by 0.25.
    const variance = x.reduce((a, b) => a + b * b, 0) / x.length;
    expect(variance / 0.25).toBeCloseTo(0.7737, 1);
  });

  it('permutes 0..n-1 and picks integers without bias', () => {
    const p = new Random(11).permutation(1000);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(p)).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const counts = [0, 0, 0];
    const r = new Random(12);
    for (let i = 0; i < 30_000; i++) {
      const k = r.nextInt(3);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    for (const c of counts) expect(c).toBeGreaterThan(9_000);
  });

  it('rejects seeds and states that are not what it needs', () => {
    expect(() => new Random(-1)).toThrow('seed must be a non-negative safe integer');
    expect(() => new Random(1.5)).toThrow('got 1.5');
    expect(() => new Random(Number.NaN)).toThrow('Pass a whole number');
    expect(() => Random.fromState({ algorithm: 'xoshiro128**', s: [0, 0, 0, 0] })).toThrow('not all zero');
    expect(() => Random.fromState({ algorithm: 'mt' } as never)).toThrow('Random state must be');
    expect(() => new Random(1).nextInt(0)).toThrow('nextInt(n) needs an integer n');
  });

  it('epochPermutation: the same orders as the checkpoints written before it moved here (bit-exact resume)', () => {
    // Recorded from @opt/layers' epochPermutation and @opt/data-fashion-mnist's order(epoch) before they
    // shared this one implementation: a change here would shuffle resumed runs differently from their start.
    const recorded: Array<[number, number, number, number[]]> = [
      [11, 0, 10, [7, 2, 3, 0, 1, 6, 8, 5, 9, 4]],
      [11, 1, 10, [8, 3, 9, 1, 4, 2, 6, 7, 0, 5]],
      [11, 2, 10, [0, 2, 3, 5, 8, 1, 9, 7, 4, 6]],
      [0, 3, 20, [6, 3, 9, 1, 14, 12, 10, 2, 13, 7, 19, 16, 17, 4, 0, 18, 8, 5, 15, 11]],
      [42, 4, 12, [6, 9, 3, 1, 7, 8, 0, 10, 11, 2, 5, 4]],
    ];
    for (const [seed, epoch, n, order] of recorded)
      expect(Array.from(Random.epochPermutation(seed, epoch, n))).toEqual(order);
    const big = Random.epochPermutation(42, 4, 60000);
    expect(Array.from(big.subarray(0, 8))).toEqual([10483, 8883, 18545, 41717, 59076, 26025, 24393, 40724]);
    let hash = 0x811c9dc5; // FNV-1a over the whole order
    for (const v of big) hash = Math.imul(hash ^ v, 0x01000193);
    expect(hash >>> 0).toBe(1024858641);
    // Epoch e's order does not depend on which epochs were drawn before it.
    expect(Array.from(Random.epochPermutation(11, 1, 10))).toEqual([8, 3, 9, 1, 4, 2, 6, 7, 0, 5]);
    expect(() => Random.epochPermutation(1, -1, 5)).toThrow('epoch must be an integer >= 0, got -1');
    expect(() => Random.epochPermutation(1, 0, Number.NaN)).toThrow('got NaN');
  });
});
