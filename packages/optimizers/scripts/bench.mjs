// One optimizer step over the variables of a 784-256-128-10 MLP: ms per step and kernels per step,
// ours (Keras arithmetic, non-finite guard on and off) vs TensorFlow.js's own tf.train.adam.
// Usage: pnpm --filter @opt/optimizers bench [cpu|wasm]   (after pnpm build)
import { Adam, SGD } from '@opt/optimizers';
import { tf, useBackend } from '@opt/tensor';

const backend = process.argv[2] ?? 'cpu';
tf.enableProdMode();
await useBackend(backend);
const shapes = [[784, 256], [256], [256, 128], [128], [128, 10], [10]];
const vars = shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 0.05, 'float32', i + 1)));
const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 0.01, 'float32', i + 101));
const pairs = grads.map((g, i) => [g, vars[i]]);
const steps = backend === 'cpu' ? 30 : 100;

function kernels(step) {
  const engine = tf.engine();
  const original = engine.runKernel;
  let n = 0;
  engine.runKernel = function (...a) {
    n++;
    return original.apply(this, a);
  };
  try {
    step();
  } finally {
    engine.runKernel = original;
  }
  return n;
}

async function measure(name, step) {
  step(); // build slots, warm up
  const k = kernels(step);
  await vars[0].data();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  await vars[0].data(); // wait for queued work before stopping the clock
  const ms = (performance.now() - t0) / steps;
  return { name, ms, kernels: k };
}

const tfjsAdam = tf.train.adam(0.001, 0.9, 0.999, 1e-7);
const named = grads.map((g, i) => ({ name: vars[i].name, tensor: g }));
const rows = [];
rows.push(await measure('tf.train.adam (tfjs)', () => tfjsAdam.applyGradients(named)));
const ours = new Adam();
rows.push(await measure("Adam (guard 'throw')", () => ours.applyGradients(pairs)));
const unchecked = new Adam({ nonFiniteGradients: 'unchecked' });
rows.push(await measure("Adam ('unchecked')", () => unchecked.applyGradients(pairs)));
const sgd = new SGD({ momentum: 0.9 });
rows.push(await measure("SGD momentum (guard 'throw')", () => sgd.applyGradients(pairs)));
const base = rows[0].ms;
console.log(`backend ${backend}, ${steps} steps, MLP 784-256-128-10 (6 variables, 235,146 weights)`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(30)} ${r.ms.toFixed(2).padStart(7)} ms/step  ${String(r.kernels).padStart(4)} kernels/step  ratio vs tfjs ${(r.ms / base).toFixed(2)}`,
  );
}
