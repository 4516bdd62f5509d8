import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { optIn, scratch } from '../testing/fixtures/opt.js';
import { MAX_POINTS, windowFor } from './first-epoch-loss.js';
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
    });
  }
});
