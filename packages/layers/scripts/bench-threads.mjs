// wasm on N threads against the single-threaded build, in the same process, taking turns: tf.matMul 1024x1024x1024
// and fit of the MLP 784-256-128-10 (Adam, batch 128), @opt/layers' and tfjs-layers', plain and
// Dense(useBias: false) -> BatchNormalization -> ReLU. Prints each pair with the cores the process got (CPU time
// over wall time: 2 means both cores worked throughout) and the load average, then the median ratios.
// Usage: node scripts/bench-threads.mjs [--threads 2] [--rounds 5] [--steps 40] [--only mm,plain,bn,tfl-plain,tfl-bn]
//   [--guard throw|unchecked] (Adam's nonFiniteGradients on our side; 'throw' is the default)
//   [--kernels] (instead: the share of a step of our fit that each kernel takes on the single-threaded build)
import { loadavg } from 'node:os';
import { Adam } from '@opt/optimizers';
import { describeBackend, tf, useBackend } from '@opt/tensor';
import { BATCH, benchMlp, benchData as data, tfjsLayersMlp } from './bench-models.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : args[i + 1];
};
const threads = Number(flag('threads', '2'));
const rounds = Number(flag('rounds', '5'));
const STEPS = Number(flag('steps', '40'));
const only = flag('only', 'mm,plain,bn,tfl-plain,tfl-bn').split(',');
const guard = flag('guard', 'throw');
tf.enableProdMode();

// The single-threaded build stays registered as 'wasm-1', with wasm's kernels, beside the threaded 'wasm'.
await useBackend('wasm', { threads: 1 });
const singleThreaded = tf.findBackendFactory('wasm');
// With --kernels each of them is timed.
const kernelMs = {};
const timed = (name, kernelFunc) => (inputs) => {
  const t0 = performance.now();
  const out = kernelFunc(inputs);
  kernelMs[name] = (kernelMs[name] ?? 0) + performance.now() - t0;
  return out;
};
for (const kernel of tf.getKernelsForBackend('wasm')) {
  const kernelFunc = args.includes('--kernels') ? timed(kernel.kernelName, kernel.kernelFunc) : kernel.kernelFunc;
  tf.registerKernel({ ...kernel, kernelFunc, backendName: 'wasm-1' });
}
tf.registerBackend('wasm-1', singleThreaded);
tf.removeBackend('wasm');
const report = await useBackend('wasm', { threads });
console.log(`wasm-1: tfjs's single-threaded build; wasm: ${describeBackend(report)}; Adam nonFiniteGradients ${guard}`);
if (report.threads?.count !== threads) process.exit(1);

function oursModel(bn) {
  const model = benchMlp(bn);
  model.compile({
    optimizer: new Adam({ learningRate: 0.001, nonFiniteGradients: guard }),
    loss: 'categoricalCrossentropy',
  });
  return model;
}

const tflModel = (bn) => tfjsLayersMlp(bn, []);

/** Rate of `units` per second of `run`, after one warm-up run, and the cores the process used meanwhile. */
async function rate(run, units) {
  await run();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { rate: (units * 1000) / wall, cores: (cpu.user + cpu.system) / 1000 / wall };
}

/** One measurement of `what` on `backend`; everything it makes is made and freed there. */
async function measure(backend, what) {
  await tf.setBackend(backend);
  if (what === 'mm') {
    const n = 1024;
    const [a, b] = [tf.randomUniform([n, n], 0, 1, 'float32', 1), tf.randomUniform([n, n], 0, 1, 'float32', 2)];
    const reps = 6;
    const r = await rate(
      () => {
        for (let i = 0; i < reps; i++) tf.matMul(a, b).dispose();
      },
      (reps * 2 * n ** 3) / 1e9,
    );
    tf.dispose([a, b]);
    return r;
  }
  const bn = what.endsWith('bn');
  const { x, y } = data(STEPS * BATCH, 7);
  let r;
  if (what.startsWith('tfl')) {
    // tfjs-layers is slower: a third of the steps.
    const steps = Math.max(8, Math.round(STEPS / 3));
    const [xt, yt] = [tf.slice(x, 0, steps * BATCH), tf.slice(y, 0, steps * BATCH)];
    const model = tflModel(bn);
    r = await rate(() => model.fit(xt, yt, { batchSize: BATCH, epochs: 1, verbose: 0 }), steps);
    model.dispose();
    tf.dispose([xt, yt]);
  } else {
    const model = oursModel(bn);
    r = await rate(() => model.fit(x, y, { batchSize: BATCH, epochs: 1, seed: 3 }), STEPS);
    model.dispose();
  }
  tf.dispose([x, y]);
  return r;
}

if (args.includes('--kernels')) {
  await tf.setBackend('wasm-1');
  for (const bn of [false, true]) {
    const { x, y } = data(STEPS * BATCH, 7);
    const model = oursModel(bn);
    const trainEpoch = () => model.fit(x, y, { batchSize: BATCH, epochs: 1, seed: 3 });
    await trainEpoch();
    for (const name of Object.keys(kernelMs)) delete kernelMs[name];
    const t0 = performance.now();
    await trainEpoch();
    const wall = performance.now() - t0;
    const share = (ms) => `${((100 * ms) / wall).toFixed(0)}%`;
    const matMul = (kernelMs.BatchMatMul ?? 0) + (kernelMs._FusedMatMul ?? 0);
    const top = Object.entries(kernelMs).sort((a, b) => b[1] - a[1]);
    console.log(`our fit, ${bn ? 'BN' : 'plain'}, 1 thread: matrix products ${share(matMul)} of the time; by kernel:`);
    console.log(
      `  ${top
        .slice(0, 8)
        .map(([name, ms]) => `${name} ${share(ms)}`)
        .join(', ')}`,
    );
    model.dispose();
    tf.dispose([x, y]);
  }
  process.exit(0);
}

const label = { mm: 'matMul 1024^3 GFLOP/s', plain: 'ours plain steps/s', bn: 'ours BN steps/s' };
label['tfl-plain'] = 'tfjs-layers plain steps/s';
label['tfl-bn'] = 'tfjs-layers BN steps/s';
const ratios = Object.fromEntries(only.map((what) => [what, []]));
for (let round = 1; round <= rounds; round++) {
  for (const what of only) {
    // Turns alternate which goes first, so that a change of load between the two does not favour one.
    const [one, many] =
      round % 2 === 1
        ? [await measure('wasm-1', what), await measure('wasm', what)]
        : [await measure('wasm', what), await measure('wasm-1', what)].reverse();
    ratios[what].push(many.rate / one.rate);
    console.log(
      `round ${round} ${label[what].padEnd(26)} 1 thread ${one.rate.toFixed(1).padStart(6)} (${one.cores.toFixed(2)} cores)   ` +
        `${threads} threads ${many.rate.toFixed(1).padStart(6)} (${many.cores.toFixed(2)} cores)   ` +
        `ratio ${(many.rate / one.rate).toFixed(2)}   load ${loadavg()[0].toFixed(1)}`,
    );
  }
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
for (const what of only) {
  console.log(
    `${label[what].padEnd(26)} ${threads} threads / 1 thread, median of ${rounds}: ${median(ratios[what]).toFixed(2)}x`,
  );
}
