// Two builds of @opt/layers in one process: another build's dist (--base, e.g. main's) against this one's, in
// alternating rounds of one epoch (so that load on the machine falls on both alike), each also against
// @tensorflow/tfjs-layers' model.fit. wasm, MLP 784-256-128-10, Adam (default guard), batch 128.
// Usage: node scripts/bench-builds.mjs --base ../../../main/packages/layers/dist [--rounds 10]
// The base is copied into this package for the run (removed after), so that both builds share one TensorFlow.js.
import { cpSync, existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Adam } from '@opt/optimizers';
import { Random, tf, useBackend } from '@opt/tensor';
import * as tfl from '@tensorflow/tfjs-layers';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : args[i + 1];
};
const base = flag('base', undefined);
if (base === undefined || !existsSync(join(base, 'index.js'))) {
  console.error('bench-builds: pass --base <dist directory of another build of @opt/layers> (with its index.js).');
  process.exit(2);
}
const rounds = Number(flag('rounds', '10'));
const here = fileURLToPath(new URL('..', import.meta.url));
const copy = join(here, `.bench-base-${process.pid}`);
cpSync(resolve(base), copy, { recursive: true });
try {
  const builds = { base: await import(join(copy, 'index.js')), branch: await import(join(here, 'dist', 'index.js')) };
  await useBackend('wasm');
  tf.enableProdMode();
  const BATCH = 128;
  const steps = 60;
  const r = new Random(7);
  const x = tf.tensor2d(r.uniform(steps * BATCH * 784), [steps * BATCH, 784]);
  const labels = tf.tensor1d(
    Int32Array.from({ length: steps * BATCH }, () => r.nextInt(10)),
    'int32',
  );
  const y = tf.cast(tf.oneHot(labels, 10), 'float32');
  // Each build counts layer names from 1, and tfjs's variable names are global: name the layers apart.
  let serial = 0;
  const name = () => `bench_${serial++}`;
  const make = (L, bn) => {
    const hidden = (units) =>
      bn
        ? [
            new L.Dense({ units, useBias: false, name: name() }),
            new L.BatchNormalization({ name: name() }),
            new L.ReLU(),
          ]
        : [new L.Dense({ units, activation: 'relu', name: name() })];
    const m = new L.Sequential(
      [...hidden(256), ...hidden(128), new L.Dense({ units: 10, activation: 'softmax', name: name() })],
      { inputShape: [784], seed: 1 },
    );
    m.compile({ optimizer: new Adam({ learningRate: 0.001 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    return m;
  };
  const theirSteps = 20;
  const xt = tf.slice(x, 0, theirSteps * BATCH);
  const yt = tf.slice(y, 0, theirSteps * BATCH);
  const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
  console.log(
    `load average before: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const bn of [false, true]) {
    const theirs = tfl.sequential();
    const input = { inputShape: [784] };
    for (const units of [256, 128]) {
      if (bn) {
        theirs.add(tfl.layers.dense({ units, useBias: false, ...(units === 256 ? input : {}) }));
        theirs.add(tfl.layers.batchNormalization());
        theirs.add(tfl.layers.activation({ activation: 'relu' }));
      } else theirs.add(tfl.layers.dense({ units, activation: 'relu', ...(units === 256 ? input : {}) }));
    }
    theirs.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
    theirs.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
    const models = { base: make(builds.base, bn), branch: make(builds.branch, bn) };
    const rate = async (who) => {
      const t0 = performance.now();
      if (who === 'tfjs') await theirs.fit(xt, yt, { batchSize: BATCH, epochs: 1, verbose: 0 });
      else await models[who].fit(x, y, { batchSize: BATCH, epochs: 1, seed: 3 });
      return ((who === 'tfjs' ? theirSteps : steps) * 1000) / (performance.now() - t0);
    };
    for (const who of ['base', 'branch', 'tfjs']) await rate(who); // warm-up: kernels, slots
    const rates = { base: [], branch: [], tfjs: [] };
    for (let i = 0; i < rounds; i++) {
      for (const who of i % 2 ? ['branch', 'tfjs', 'base'] : ['base', 'tfjs', 'branch'])
        rates[who].push(await rate(who));
    }
    const toTfjs = (who) => median(rates[who].map((v, i) => v / rates.tfjs[i]));
    const ab = rates.branch.map((v, i) => v / rates.base[i]);
    console.log(
      `${bn ? 'Dense(noBias)->BN->ReLU' : 'Dense(relu)'}: base ${median(rates.base).toFixed(1)}, this build ${median(rates.branch).toFixed(1)}, tfjs-layers ${median(rates.tfjs).toFixed(1)} steps/s (medians); ` +
        `ratio to tfjs-layers base ${toTfjs('base').toFixed(2)}x, this build ${toTfjs('branch').toFixed(2)}x; ` +
        `this build / base median ${median(ab).toFixed(3)} (rounds ${ab.map((v) => v.toFixed(2)).join(' ')})`,
    );
    models.base.dispose();
    models.branch.dispose();
    theirs.dispose();
  }
  console.log(
    `load average after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  rmSync(copy, { recursive: true, force: true });
}
