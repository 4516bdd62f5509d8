import { describe, expect, it } from 'vitest';
import { batchAdvice, CHANCE_LOSS, epochAdvice, inputAdvice } from './diagnostics.js';
import { suggest } from './lr-find.js';

describe('the advice rules', () => {
  it('flags raw pixels but not rescaled or standardized inputs', () => {
    expect(inputAdvice('none', { mean: 72.9, std: 90 })?.id).toBe('input-not-normalized');
    expect(inputAdvice('rescale', { mean: 0.286, std: 0.353 })).toBeNull();
    expect(inputAdvice('standardize', { mean: 0, std: 1 })).toBeNull();
  });

  it('speaks of batch gradient descent and of batches of one', () => {
    expect(batchAdvice(1000, 1000)?.id).toBe('full-batch');
    expect(batchAdvice(1, 1000)?.id).toBe('batch-of-one');
    expect(batchAdvice(128, 1000)).toBeNull();
  });

  it('calls a loss far above chance and its best so far a divergence, and a NaN too', () => {
    const given = new Set<never>();
    expect(epochAdvice([{ loss: 14, val_loss: 14 }], 2.4, 1, null, given)[0]?.id).toBe('diverged');
    expect(epochAdvice([{ loss: Number.NaN, val_loss: 1 }], 2.4, 1, null, given)[0]?.id).toBe('diverged');
    // Three times the start but below chance: still learning from a bad start, not diverging.
    expect(
      epochAdvice(
        [
          { loss: 0.5, val_loss: 0.5 },
          { loss: 1.6, val_loss: 1.6 },
        ],
        0.4,
        1,
        null,
        given,
      ),
    ).toEqual([]);
    expect(
      epochAdvice(
        [
          { loss: 0.5, val_loss: 0.5 },
          { loss: CHANCE_LOSS + 1, val_loss: 3 },
        ],
        2.3,
        1,
        null,
        given,
      )[0]?.id,
    ).toBe('diverged');
  });

  it('says once that the loss barely moves, and not when the training set is already learnt', () => {
    expect(
      epochAdvice(
        [
          { loss: 2.3, val_loss: 2.3 },
          { loss: 2.295, val_loss: 2.3 },
        ],
        2.31,
        1e-5,
        null,
        new Set(),
      )[0]?.id,
    ).toBe('loss-flat');
    expect(
      epochAdvice(
        [
          { loss: 2.3, val_loss: 2.3 },
          { loss: 2.295, val_loss: 2.3 },
        ],
        2.31,
        1e-5,
        null,
        new Set(['loss-flat']),
      ),
    ).toEqual([]);
    expect(
      epochAdvice(
        [
          { loss: 0.04, val_loss: 1 },
          { loss: 0.0399, val_loss: 1 },
        ],
        2.3,
        1e-3,
        null,
        new Set(),
      ),
    ).toEqual([]);
  });

  it('sees overfitting in two epochs of rising validation loss and falling training loss', () => {
    const history = [
      { loss: 0.8, val_loss: 1.2 },
      { loss: 0.4, val_loss: 1.3 },
      { loss: 0.2, val_loss: 1.4 },
    ];
    const [advice] = epochAdvice(history, 2.3, 1e-3, null, new Set());
    expect(advice?.id).toBe('overfitting');
    expect(advice?.message).toContain('--patience 2');
    expect(epochAdvice([...history.slice(0, 2), { loss: 0.2, val_loss: 1.25 }], 2.3, 1e-3, null, new Set())).toEqual(
      [],
    );
  });
});

describe('the learning-rate range test rule', () => {
  it('suggests a decade below the minimum of the smoothed loss, and finds the steepest descent before it', () => {
    // Loss against log10(rate) from -6 to 1: flat, a fall from -4 to -2, the minimum at -1.5, then a blow-up.
    const points = Array.from({ length: 141 }, (_, i) => {
      const logRate = -6 + i * 0.05;
      const smoothed = logRate < -4 ? 2.3 : logRate < -1.5 ? 2.3 - 0.8 * (logRate + 4) : 0.3 + 3 * (logRate + 1.5) ** 2;
      return { step: i, learningRate: 10 ** logRate, loss: smoothed, smoothed };
    });
    const { minimum, steepest, suggestion } = suggest(points);
    expect(Math.log10(minimum?.learningRate ?? 0)).toBeCloseTo(-1.5, 6);
    expect(suggestion?.learningRate).toBe(Number((10 ** -2.5).toPrecision(2)));
    expect(Math.log10(steepest?.learningRate ?? 0)).toBeGreaterThan(-4.01);
    expect(Math.log10(steepest?.learningRate ?? 0)).toBeLessThan(-1.5);
  });
});
