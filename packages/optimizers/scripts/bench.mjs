// One optimizer step over the variables of a 784-256-128-10 MLP: ms per step and kernels per step, ours
// (Keras arithmetic; non-finite guard 'throw' (default), 'skip', 'unchecked') against TensorFlow.js's own
// tf.train.adam, all in the same process. The configurations take turns, round after round, and the table shows
// each one's median, so that a machine shared with other jobs slows them alike; the ratios are what to compare.
// Usage: pnpm --filter @opt/optimizers bench [cpu|wasm] [--rounds 7]   (after pnpm build)
import { Adam, Muon, SGD } from '@opt/optimizers';
import { tf, useBackend } from '@opt/tensor';
import { countKernels } from '@opt/tensor/testing';

const args = process.argv.slice(2);
const backend = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'cpu';
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt < 0 ? 7 : Number(args[roundsAt + 1]);
tf.enableProdMode();
await useBackend(backend);
const shapes = [[784, 256], [256], [256, 128], [128], [128, 10], [10]];
const vars = shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 0.05, 'float32', i + 1)));
const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 0.01, 'float32', i + 101));
const pairs = grads.map((g, i) => [g, vars[i]]);
const named = grads.map((g, i) => ({ name: vars[i].name, tensor: g }));
const stepsPerRound = backend === 'cpu' ? 5 : 25;

const tfjsAdam = tf.train.adam(0.001, 0.9, 0.999, 1e-7);
const configs = [
  { name: 'tf.train.adam (tfjs)', step: () => tfjsAdam.applyGradients(named) },
  { name: "Adam (guard 'throw', default)", optimizer: new Adam() },
  { name: "Adam (guard 'skip')", optimizer: new Adam({ nonFiniteGradients: 'skip' }) },
  { name: "Adam ('unchecked')", optimizer: new Adam({ nonFiniteGradients: 'unchecked' }) },
  { name: "SGD momentum 0.9 (guard 'throw')", optimizer: new SGD({ momentum: 0.9 }) },
  { name: "SGD momentum 0.9 ('unchecked')", optimizer: new SGD({ momentum: 0.9, nonFiniteGradients: 'unchecked' }) },
  // the output layer excluded, as Keras advises: Newton-Schulz on the two hidden kernels, AdamW on the rest
  { name: "Muon (guard 'throw')", optimizer: new Muon({ excludeLayers: [vars[4].name] }) },
];
for (const c of configs) {
  c.step ??= () => c.optimizer.applyGradients(pairs);
  c.step(); // builds the slots, warms up
  c.kernels = countKernels(c.step);
  c.times = [];
}
for (let r = 0; r < rounds; r++) {
  for (const c of configs) {
    await vars[0].data();
    const t0 = performance.now();
    for (let i = 0; i < stepsPerRound; i++) c.step();
    await vars[0].data(); // wait for queued work before stopping the clock
    c.times.push((performance.now() - t0) / stepsPerRound);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const c of configs) c.ms = median(c.times);
const byName = (prefix) => configs.find((c) => c.name.startsWith(prefix));
console.log(
  `backend ${backend}, MLP 784-256-128-10 (6 variables, 235,146 weights), median of ${rounds} rounds of ${stepsPerRound} steps`,
);
for (const c of configs) {
  console.log(
    `${c.name.padEnd(34)} ${c.ms.toFixed(2).padStart(7)} ms/step  ${String(c.kernels).padStart(4)} kernels/step  ratio vs tfjs ${(c.ms / configs[0].ms).toFixed(2)}`,
  );
}
const guarded = byName("Adam (guard 'throw'");
const unchecked = byName("Adam ('unchecked')");
console.log(
  `Adam guard cost: 'throw' / 'unchecked' = ${(guarded.ms / unchecked.ms).toFixed(2)}x time, +${guarded.kernels - unchecked.kernels} kernels per step`,
);
