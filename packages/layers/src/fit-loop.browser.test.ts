/**
 * fit's stop and resume in a real Chromium page: the event-loop turn there is a MessageChannel message (no
 * setImmediate), and the checkpoint inside an epoch goes to IndexedDB. The oracle is the run without the stop.
 */
import { Adam } from '@opt/optimizers';
import { Random, tf, useBackend } from '@opt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dense, type FitCallback, IndexedDbStore, ReLU, Sequential } from './index.js';

let x: tf.Tensor2D;
let y: tf.Tensor1D;
beforeAll(async () => {
  tf.enableProdMode();
  await useBackend('cpu');
  const r = new Random(4);
  x = tf.tensor2d(r.normal(48 * 5), [48, 5]);
  y = tf.tensor1d(
    Int32Array.from({ length: 48 }, () => r.nextInt(3)),
    'int32',
  );
});

function build(): Sequential {
  const m = new Sequential([new Dense({ units: 8 }), new ReLU(), new Dense({ units: 3, activation: 'softmax' })], {
    inputShape: [5],
    seed: 3,
  });
  m.compile({
    optimizer: new Adam({ learningRate: 0.05 }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return m;
}

const options = { epochs: 3, batchSize: 8, seed: 2 };

async function weights(m: Sequential): Promise<number[][]> {
  return Promise.all(m.weights.map(async (w) => Array.from(await w.variable.data())));
}

describe('fit stopped and resumed in a browser page', () => {
  it("an abort waiting in the page's task queue reaches fit at its next turn ('batch': after the first step)", async () => {
    const controller = new AbortController();
    const channel = new MessageChannel();
    channel.port1.onmessage = () => controller.abort();
    channel.port2.postMessage(null);
    const h = await build().fit(x, y, { ...options, signal: controller.signal, yieldEvery: 'batch' });
    expect(h.stopped).toEqual({ epoch: 0, step: 1 });
  });

  it("'auto' lets a timer's abort in while steps hold the page", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0);
    const busy: FitCallback = {
      onBatchEnd: () => {
        const until = performance.now() + 10;
        while (performance.now() < until) {}
      },
    };
    const h = await build().fit(x, y, { ...options, callbacks: [busy], signal: controller.signal });
    expect(h.stopped).not.toBeNull();
    expect(h.epoch.length).toBeLessThan(options.epochs);
  });

  it('a stop inside an epoch, saved to IndexedDB and resumed in a new model, ends where the uninterrupted run does', async () => {
    const straight = build();
    const reference = await straight.fit(x, y, options);
    const controller = new AbortController();
    let epoch = 0;
    const stopper: FitCallback = {
      onEpochBegin: (e) => {
        epoch = e;
      },
      onBatchEnd: (batch) => {
        if (epoch === 1 && batch === 2) controller.abort();
      },
    };
    const stopped = build();
    const first = await stopped.fit(x, y, { ...options, callbacks: [stopper], signal: controller.signal });
    expect(first.stopped).toEqual({ epoch: 1, step: 3 });
    const store = new IndexedDbStore(`stop-${Date.now()}`);
    await stopped.save(store);
    const resumed = build();
    const info = await resumed.loadWeights(store);
    const rest = await resumed.fit(x, y, { ...options, initialEpoch: info.epoch, initialStep: info.step });
    expect(await weights(resumed)).toEqual(await weights(straight));
    expect([...(first.history.loss ?? []), ...(rest.history.loss ?? [])]).toEqual(reference.history.loss);
    expect([...(first.history.accuracy ?? []), ...(rest.history.accuracy ?? [])]).toEqual(reference.history.accuracy);
  });
});
