// What Adam's non-finite guard costs inside fit: the same MLP (784-256-128-10, batch 128, 60 steps of random
// data) compiled with nonFiniteGradients 'throw' and 'unchecked', one epoch each in alternating order, round after
// round in one process, so that the machine's load falls on both alike; prints the medians and their ratio.
// Usage: node scripts/bench-guard.mjs [--backend wasm] [--threads auto|N] [--rounds 8]   (after pnpm build)
import { Adam } from '@opt/optimizers';
import { Random, tf, useBackend } from '@opt/tensor';
import { Dense, Sequential } from '../dist/index.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : args[i + 1];
};
const backend = flag('backend', 'wasm');
const threadsFlag = flag('threads', 'auto');
const rounds = Number(flag('rounds', '8'));
const STEPS = 60;
const BATCH = 128;

const report = await useBackend(
  backend,
  backend === 'wasm' ? { threads: threadsFlag === 'auto' ? 'auto' : Number(threadsFlag) } : {},
);
tf.enableProdMode();
const r = new Random(7);
const x = tf.tensor2d(r.uniform(STEPS * BATCH * 784), [STEPS * BATCH, 784]);
const labels = Int32Array.from({ length: STEPS * BATCH }, () => r.nextInt(10));
const y = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), 'float32');

function model(nonFiniteGradients) {
  const m = new Sequential(
    [
      new Dense({ units: 256, activation: 'relu' }),
      new Dense({ units: 128, activation: 'relu' }),
      new Dense({ units: 10, activation: 'softmax' }),
    ],
    { inputShape: [784], seed: 1 },
  );
  m.compile({ optimizer: new Adam({ learningRate: 0.001, nonFiniteGradients }), loss: 'categoricalCrossentropy' });
  return m;
}

const models = { throw: model('throw'), unchecked: model('unchecked') };
const epoch = (m) => m.fit(x, y, { batchSize: BATCH, epochs: 1, verbose: 0 });
for (const m of Object.values(models)) await epoch(m); // warm-up: kernels, slots
const rates = { throw: [], unchecked: [] };
for (let i = 0; i < rounds; i++) {
  for (const key of i % 2 === 0 ? ['unchecked', 'throw'] : ['throw', 'unchecked']) {
    const t0 = performance.now();
    await epoch(models[key]);
    rates[key].push((STEPS * 1000) / (performance.now() - t0));
  }
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const ratios = rates.throw.map((t, i) => t / rates.unchecked[i]);
console.log(
  `${backend} (${report.threads?.count ?? '-'} threads), 784-256-128-10, Adam, batch 128, ${rounds} rounds of ${STEPS} steps: ` +
    `guard 'throw' ${median(rates.throw).toFixed(1)} steps/s, 'unchecked' ${median(rates.unchecked).toFixed(1)} steps/s, ` +
    `ratio median ${median(ratios).toFixed(3)} (rounds ${ratios.map((q) => q.toFixed(2)).join(' ')})`,
);
