// Training throughput of @opt/layers' fit against @tensorflow/tfjs-layers' model.fit, same process, same data:
// MLP 784-256-128-10, Adam, batch 128, with and without Dense(useBias: false) -> BatchNormalization -> ReLU.
// Usage: node --expose-gc scripts/bench.mjs [--backends wasm,cpu] [--steps 60] [--threads auto|N] [--memory | --no-memory]
// --threads: wasm's threads (useBackend's `threads`; 1 is the single-threaded build).
//        node scripts/bench.mjs --yield-every [--backends wasm] [--rounds 6]: fit's event-loop turns, each setting
//        against 'never' in alternating rounds of one epoch, same process.
//        node scripts/bench.mjs --guard [--backends wasm] [--threads auto|N] [--rounds 8]: Adam's non-finite guard
//        against 'unchecked', the same way.
import { Adam } from '@opt/optimizers';
import { Random, tf, useBackend } from '@opt/tensor';
import { BATCH, benchData as data, benchMlp as oursModel, tfjsLayersMlp as tflModel } from './bench-models.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : args[i + 1];
};
const backends = flag('backends', 'wasm,cpu').split(',');
const memoryRun = args.includes('--memory');
const threads = flag('threads', 'auto') === 'auto' ? 'auto' : Number(flag('threads'));
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
/** Steps per second of `runEpoch(x, y)` for one epoch, after a warm-up epoch on the same data (kernels, slots). */
async function timeFit(runEpoch, x, y, steps) {
  await runEpoch(x, y);
  const t0 = performance.now();
  await runEpoch(x, y);
  return (steps * 1000) / (performance.now() - t0);
}

async function compare(backend, steps, makeOptimizer) {
  const threadCount = (await useBackend(backend, { threads })).threads?.count ?? 1;
  tf.enableProdMode();
  const { x, y } = data(steps * BATCH, 7);
  const theirSteps = Math.max(8, Math.round(steps / 3));
  const xt = tf.slice(x, 0, theirSteps * BATCH);
  const yt = tf.slice(y, 0, theirSteps * BATCH);
  const rows = [];
  for (const bn of [false, true]) {
    const theirs = tflModel(bn);
    const tflRate = await timeFit(
      (a, b) => theirs.fit(a, b, { batchSize: BATCH, epochs: 1, verbose: 0 }),
      xt,
      yt,
      theirSteps,
    );
    theirs.dispose();
    // 'throw' is @opt/optimizers' default (an on-device NaN guard); 'unchecked' is Keras's and tfjs's behaviour.
    for (const guard of ['throw', 'unchecked']) {
      const ours = oursModel(bn);
      ours.compile({ optimizer: makeOptimizer(guard), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      const oursFit = (a, b) => ours.fit(a, b, { batchSize: BATCH, epochs: 1, seed: 3 });
      const oursRate = await timeFit(oursFit, x, y, steps);
      const before = tf.memory().numTensors;
      await ours.fit(x, y, { batchSize: BATCH, epochs: 2, seed: 3 });
      const tensorDrift = tf.memory().numTensors - before;
      ours.dispose();
      rows.push({
        backend,
        threads: threadCount,
        model: bn ? 'Dense(noBias)->BN->ReLU' : 'Dense(relu)',
        guard,
        ours: oursRate,
        tfjsLayers: tflRate,
        tensorDrift,
      });
    }
  }
  for (const t of [x, y, xt, yt]) t.dispose();
  return rows;
}

async function memory(makeOptimizer) {
  const threadCount = (await useBackend('wasm', { threads })).threads?.count;
  tf.enableProdMode();
  const n = 60000;
  const r = new Random(11);
  const x = tf.tensor2d(r.uniform(n * 784), [n, 784]);
  const y = tf.tensor1d(
    Int32Array.from({ length: n }, () => r.nextInt(10)),
    'int32',
  );
  const model = oursModel(true);
  model.compile({ optimizer: makeOptimizer(), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  globalThis.gc?.();
  const baseRss = process.memoryUsage().rss;
  let peakRss = baseRss;
  let peakTfBytes = tf.memory().numBytes;
  const sample = {
    onBatchEnd(batch) {
      if (batch % 20 !== 0) return;
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      peakTfBytes = Math.max(peakTfBytes, tf.memory().numBytes);
    },
  };
  const t0 = performance.now();
  await model.fit(x, y, { batchSize: BATCH, epochs: 2, validationSplit: 1 / 6, seed: 1, callbacks: [sample] });
  const seconds = (performance.now() - t0) / 1000;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const mib = (b) => (b / 2 ** 20).toFixed(0);
  console.log(
    `memory: 60000 x 784 float32 (${mib(n * 784 * 4)} MiB data), 2 epochs, wasm (${threadCount} threads): RSS before fit ${mib(baseRss)} MiB, peak RSS during fit ${mib(peakRss)} MiB, peak tf.memory ${mib(peakTfBytes)} MiB, ${seconds.toFixed(1)} s (budget 768 MiB RSS)`,
  );
}

/**
 * Steps/s of fit with each `yieldEvery` setting, in alternating rounds of one epoch on the same model (so that
 * load on the machine falls on all of them alike), and each one's median ratio to 'never' (no turns: fit before
 * the knob existed).
 */
async function yieldEvery(backend, steps, rounds, makeOptimizer) {
  await useBackend(backend, { threads });
  tf.enableProdMode();
  const { x, y } = data(steps * BATCH, 7);
  const settings = ['never', 'auto', 'batch', 'epoch'];
  const model = oursModel(false);
  model.compile({ optimizer: makeOptimizer('unchecked'), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const epoch = (setting) => model.fit(x, y, { batchSize: BATCH, epochs: 1, seed: 3, yieldEvery: setting });
  for (const setting of settings) await epoch(setting); // warm-up: kernels, slots
  const rates = Object.fromEntries(settings.map((s) => [s, []]));
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round, so no setting always follows the same one.
    for (let i = 0; i < settings.length; i++) {
      const setting = settings[(i + round) % settings.length];
      const t0 = performance.now();
      await epoch(setting);
      rates[setting].push((steps * 1000) / (performance.now() - t0));
    }
  }
  model.dispose();
  x.dispose();
  y.dispose();
  const ratios = (setting) => rates[setting].map((r, i) => r / rates.never[i]);
  // What one turn costs when nothing else waits (fit's turn in Node is a setImmediate), against a step's time.
  const turns = [];
  for (let i = 0; i < 2000; i++) {
    const t0 = performance.now();
    await new Promise((resolve) => setImmediate(resolve));
    turns.push(performance.now() - t0);
  }
  const turnMs = median(turns);
  const stepMs = 1000 / median(rates.never);
  console.log(
    `${backend.padEnd(5)} one turn of the event loop: median ${(turnMs * 1000).toFixed(1)} us, ${((100 * turnMs) / stepMs).toFixed(3)}% of a step (${stepMs.toFixed(1)} ms): the cost of 'batch' when nothing else waits`,
  );
  for (const setting of settings) {
    console.log(
      `${backend.padEnd(5)} yieldEvery ${setting.padEnd(6)} median ${median(rates[setting]).toFixed(1).padStart(6)} steps/s   ratio to 'never' median ${median(ratios(setting)).toFixed(3)} (rounds ${ratios(
        setting,
      )
        .map((r) => r.toFixed(2))
        .join(' ')})`,
    );
  }
}

/**
 * What Adam's non-finite guard costs inside fit: the plain MLP compiled with the guard ('throw') and with
 * 'unchecked', one epoch each in alternating order, round after round, so that load falls on both alike.
 */
async function guardCost(backend, steps, rounds, makeOptimizer) {
  const report = await useBackend(backend, { threads });
  tf.enableProdMode();
  const { x, y } = data(steps * BATCH, 7);
  const models = {};
  for (const guard of ['throw', 'unchecked']) {
    models[guard] = oursModel(false);
    models[guard].compile({ optimizer: makeOptimizer(guard), loss: 'categoricalCrossentropy' });
  }
  const epoch = (guard) => models[guard].fit(x, y, { batchSize: BATCH, epochs: 1, seed: 3 });
  for (const guard of ['throw', 'unchecked']) await epoch(guard); // warm-up: kernels, slots
  const rates = { throw: [], unchecked: [] };
  for (let round = 0; round < rounds; round++) {
    for (const guard of round % 2 === 0 ? ['unchecked', 'throw'] : ['throw', 'unchecked']) {
      const t0 = performance.now();
      await epoch(guard);
      rates[guard].push((steps * 1000) / (performance.now() - t0));
    }
  }
  for (const m of Object.values(models)) m.dispose();
  x.dispose();
  y.dispose();
  const ratios = rates.throw.map((r, i) => r / rates.unchecked[i]);
  console.log(
    `${backend.padEnd(5)} ${String(report.threads?.count ?? '-').padStart(2)} threads Dense(relu) Adam guard 'throw' ${median(rates.throw).toFixed(1)} steps/s, 'unchecked' ${median(rates.unchecked).toFixed(1)} steps/s, ratio median ${median(ratios).toFixed(3)} (rounds ${ratios.map((r) => r.toFixed(2)).join(' ')})`,
  );
}

const adam = (nonFiniteGradients = 'throw') => new Adam({ learningRate: 0.001, nonFiniteGradients });
console.log('optimizer: @opt/optimizers Adam(learningRate 0.001) vs tfjs-layers tf.train.adam(0.001)');
if (args.includes('--yield-every')) {
  const os = await import('node:os');
  console.log(
    `load average before: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const backend of flag('backends', 'wasm').split(',')) {
    const steps = Number(flag('steps', backend === 'cpu' ? '12' : '60'));
    await yieldEvery(backend, steps, Number(flag('rounds', '6')), adam);
  }
  console.log(
    `load average after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} else if (args.includes('--guard')) {
  for (const backend of flag('backends', 'wasm').split(',')) {
    await guardCost(backend, Number(flag('steps', backend === 'cpu' ? '12' : '60')), Number(flag('rounds', '8')), adam);
  }
} else if (memoryRun) {
  await memory(adam);
} else {
  const onlyCompare = args.includes('--no-memory');
  const all = [];
  for (const backend of backends) {
    const steps = Number(flag('steps', backend === 'cpu' ? '12' : '60'));
    all.push(...(await compare(backend, steps, adam)));
  }
  for (const r of all) {
    console.log(
      `${r.backend.padEnd(5)} ${String(r.threads).padStart(2)} threads ${r.model.padEnd(24)} Adam nonFiniteGradients ${r.guard.padEnd(9)} ours ${r.ours.toFixed(1).padStart(6)} steps/s   tfjs-layers ${r.tfjsLayers.toFixed(1).padStart(6)} steps/s   ratio ${(r.ours / r.tfjsLayers).toFixed(2)}x   tensor drift ${r.tensorDrift}`,
    );
  }
  if (!onlyCompare) await memory(adam);
}
