import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { optIn, scratch } from '../testing/fixtures/opt.js';
import { MAX_POINTS, stepLosses, windowFor } from './first-epoch-loss.js';
import type { HistoryFile } from './run-types.js';

const work = scratch();
afterAll(() => work.remove());
const history = (dir: string): HistoryFile => JSON.parse(readFileSync(join(work.dir, dir, 'history.json'), 'utf8'));

describe("the first epoch's loss curve in history.json", () => {
  it('has at most 200 points, one per step when the epoch is short', () => {
    expect(windowFor(1)).toBe(1);
    expect(windowFor(MAX_POINTS)).toBe(1);
    expect(windowFor(MAX_POINTS + 1)).toBe(2);
    expect(windowFor(430)).toBe(3);
    expect(windowFor(55_000)).toBe(275);
  });

  it('--step-losses: a resumed run keeps the losses before its checkpoint, null for those lost, and appends', async () => {
    // 4 steps per epoch; history.json held 5 losses; the checkpoint says epoch 2, step 3: 11 steps done
    const target = { initial: { val_loss: 1, val_accuracy: 0 }, epochs: [], advice: [], stepLosses: [1, 2, 3, 4, 5] };
    const callback = stepLosses({ target, stepsPerEpoch: 4 });
    callback.onEpochBegin?.(2, { initialStep: 3 });
    expect(target.stepLosses).toEqual([1, 2, 3, 4, 5, null, null, null, null, null, null]);
    await callback.onBatchEnd?.(3, { batch: 3, size: 8, readLoss: async () => 0.5 } as never);
    expect(target.stepLosses).toHaveLength(12);
    expect(target.stepLosses.at(-1)).toBe(0.5);
  });

  for (const [batchSize, steps] of [
    ['8', 38],
    ['1', 300],
  ] as const) {
    it(`with batches of ${batchSize}: windows of steps whose weighted mean is the epoch's training loss`, async () => {
      // 300 training images (30 per class): ceil(300 / 8) = 38 and 300 steps per epoch.
      const out = `b${batchSize}`;
      const run = await optIn(
        work.dir,
        'train',
        '--backend',
        'wasm',
        '--per-class',
        '30',
        '--epochs',
        '2',
        '--batch-size',
        batchSize,
        '--optimizer',
        'sgd',
        '--out',
        out,
        ...(batchSize === '8' ? ['--step-losses'] : []),
      );
      expect(run.code, run.stderr).toBe(0);
      const h = history(out);
      const curve = h.firstEpoch;
      expect(curve?.window).toBe(windowFor(steps));
      const points = curve?.points ?? [];
      expect(points).toHaveLength(Math.ceil(steps / windowFor(steps)));
      expect(points.map((p) => p.step)).toEqual(points.map((_, i) => Math.min(steps, (i + 1) * windowFor(steps))));
      expect(points.reduce((s, p) => s + p.samples, 0)).toBe(300);
      for (let i = 1; i < points.length; i++)
        expect(points[i]?.seconds).toBeGreaterThanOrEqual(points[i - 1]?.seconds as number);
      // fit sums each batch's loss on the device (float32) and reports the mean as the epoch's loss.
      const weighted = points.reduce((s, p) => s + p.loss * p.samples, 0) / 300;
      expect(weighted).toBeCloseTo(h.epochs[0]?.loss as number, 4);
      // SGD on standardized inputs: the loss falls within the first epoch.
      expect(points.at(-1)?.loss).toBeLessThan(points[0]?.loss as number);
      if (batchSize !== '8') return;
      // --step-losses: one loss per call; each epoch's batch-size-weighted mean is that epoch's loss.
      const losses = h.stepLosses as number[];
      expect(losses).toHaveLength(2 * steps);
      const sizes = Array.from({ length: steps }, (_, i) => (i < steps - 1 ? 8 : 300 - 8 * (steps - 1)));
      for (const epoch of [0, 1]) {
        const mean = sizes.reduce((s, n, i) => s + n * (losses[epoch * steps + i] as number), 0) / 300;
        expect(mean).toBeCloseTo(h.epochs[epoch]?.loss as number, 4);
      }
      // One step per point here: the first epoch's points are its step losses.
      expect(Math.max(...points.map((p, i) => Math.abs(p.loss - (losses[i] as number))))).toBeLessThan(1e-6);
    });
  }
});
