import { describe, expect, it } from 'vitest';
import { centeredMean, emaOf, meanDelay, noiseAutocorrelation, smoothing, whiteNoiseVariance } from './ema-stream.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("the EMA arithmetic of claim 7's stream, against closed forms", () => {
  it('a constant input: the bias-corrected EMA is the constant from the first step; the plain one c (1 - beta^t)', () => {
    for (const beta of [0.9, 0.99, 0.999]) {
      const corrected = emaOf(Array(500).fill(0.37), beta, true);
      for (const m of corrected) expect(Math.abs(m - 0.37)).toBeLessThan(1e-12);
      const plain = emaOf(Array(500).fill(0.37), beta, false);
      plain.forEach((m, i) => {
        expect(Math.abs(m - 0.37 * (1 - beta ** (i + 1)))).toBeLessThan(1e-12);
      });
    }
  });

  it('a unit step from 0: the plain EMA is 1 - beta^t', () => {
    const ema = emaOf(Array(1000).fill(1), 0.99, false);
    for (const t of [1, 2, 10, 100, 1000]) expect(ema[t - 1]).toBeCloseTo(1 - 0.99 ** t, 12);
  });

  it("the mean delay and white noise's variance equal their sums term by term", () => {
    for (const [beta, t] of [
      [0.9, 5],
      [0.99, 300],
      [0.999, 1500],
    ] as const) {
      const w = range(t).map((j) => beta ** j);
      const sum = w.reduce((s, x) => s + x, 0);
      expect(meanDelay(beta, t)).toBeCloseTo(w.reduce((s, x, j) => s + j * x, 0) / sum, 6);
      const plain = (1 - beta) ** 2 * w.reduce((s, x) => s + x * x, 0);
      expect(whiteNoiseVariance(beta, t, false)).toBeCloseTo(plain, 12);
      expect(whiteNoiseVariance(beta, t, true)).toBeCloseTo(plain / (1 - beta ** t) ** 2, 12);
    }
    expect(meanDelay(0.99, 1e6)).toBeCloseTo(99, 9);
  });

  it('a ramp: the centered mean is the ramp itself, and the EMA lags it by beta / (1 - beta) steps', () => {
    const ramp = range(3000).map((t) => 2 - 0.0005 * t);
    const trend = centeredMean(ramp, 20);
    for (const t of [20, 1500, 2979]) expect(trend[t]).toBeCloseTo(ramp[t] as number, 12);
    // the ends are cut: the mean of [0, 20] is the ramp at 10
    expect(trend[0]).toBeCloseTo(ramp[10] as number, 12);
    const window = { trendHalfWidth: 20, maxLag: 1200 };
    expect(smoothing(ramp, 0.9, false, window).lag).toBe(9);
    expect(smoothing(ramp, 0.99, false, window).lag).toBe(99);
    expect(smoothing(ramp, 0.99, true, window).lag).toBe(99);
  });

  it('white noise (a seeded LCG): the variance left is (1 - beta) / (1 + beta), and the lag-1 autocorrelation near 0', () => {
    let seed = 12345;
    // Numerical Recipes' LCG, uniform in [-0.5, 0.5): independent of anything measured here
    const noise = range(100_000).map(() => {
      seed = (1664525 * seed + 1013904223) % 2 ** 32;
      return seed / 2 ** 32 - 0.5;
    });
    const window = { trendHalfWidth: 2000, maxLag: 500 };
    for (const beta of [0.9, 0.99]) {
      const s = smoothing(noise, beta, false, window);
      expect(s.whiteNoiseRatio).toBeCloseTo((1 - beta) / (1 + beta), 5);
      expect(Math.abs(s.varianceRatio / s.whiteNoiseRatio - 1)).toBeLessThan(0.15);
    }
    expect(Math.abs(noiseAutocorrelation(noise, window))).toBeLessThan(0.02);
  });
});
