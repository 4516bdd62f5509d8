/** The moving-averages view's numbers against the chapter's ema_update, computed in float64 here. */
import { tf, useBackend } from '@opt/tensor';
import { beforeAll, expect, it } from 'vitest';
import { emaOfSignal } from './ema.js';

beforeAll(async () => {
  tf.enableProdMode();
  await useBackend('cpu');
});

it.each([0.5, 0.9, 0.99])(
  'beta %s: v = beta v + (1 - beta) x from 0, and v / (1 - beta^t) with bias correction',
  (beta) => {
    const signal = Float32Array.from({ length: 60 }, (_, t) => 5 + Math.sin(t) + ((t * 7919) % 13) / 13);
    const biased = emaOfSignal(signal, beta, false);
    const corrected = emaOfSignal(signal, beta, true);
    let v = 0;
    signal.forEach((x, i) => {
      v = beta * v + (1 - beta) * x;
      expect(biased[i]).toBeCloseTo(v, 4);
      expect(corrected[i]).toBeCloseTo(v / (1 - beta ** (i + 1)), 3);
    });
  },
);
