// What the layers benches train, in one place so that every bench measures the same thing: random data and the
// MLP 784-256-128-10, plain or Dense(useBias: false) -> BatchNormalization -> ReLU, with @opt/layers and with
// tfjs-layers. Runs in Node and in the browser page of bench-browser.mjs.
import { Random, tf } from '@opt/tensor';
import * as tfl from '@tensorflow/tfjs-layers';
import { BatchNormalization, Dense, ReLU, Sequential } from '../dist/index.js';

export const BATCH = 128;

/** `n` images of 784 uniform pixels and one-hot labels of 10 classes, from `seed`. */
export function benchData(n, seed) {
  const r = new Random(seed);
  const x = tf.tensor2d(r.uniform(n * 784), [n, 784]);
  const labels = Int32Array.from({ length: n }, () => r.nextInt(10));
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), 'float32'));
  return { x, y };
}

/** @opt/layers' MLP, not compiled (each bench chooses the optimizer). */
export function benchMlp(bn) {
  const hidden = (units) =>
    bn
      ? [new Dense({ units, useBias: false }), new BatchNormalization(), new ReLU()]
      : [new Dense({ units, activation: 'relu' })];
  return new Sequential([...hidden(256), ...hidden(128), new Dense({ units: 10, activation: 'softmax' })], {
    inputShape: [784],
    seed: 1,
  });
}

/** tfjs-layers' MLP, compiled with tf.train.adam(0.001) and crossentropy (and `metrics`). */
export function tfjsLayersMlp(bn, metrics = ['accuracy']) {
  const m = tfl.sequential();
  const hidden = (units, first) => {
    const input = first ? { inputShape: [784] } : {};
    if (bn) {
      m.add(tfl.layers.dense({ units, useBias: false, ...input }));
      m.add(tfl.layers.batchNormalization());
      m.add(tfl.layers.activation({ activation: 'relu' }));
    } else m.add(tfl.layers.dense({ units, activation: 'relu', ...input }));
  };
  hidden(256, true);
  hidden(128, false);
  m.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy', metrics });
  return m;
}
