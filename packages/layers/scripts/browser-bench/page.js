// The browser side of scripts/bench-browser.mjs: one configuration per fresh page. window.runBench(config) trains the
// MLP 784-256-128-10 (Adam, batch 128, random data) with @opt/layers' fit or tfjs-layers' model.fit and returns the
// first step's time, kernels per step and steps per second.
import { Adam } from '@opt/optimizers';
import { describeBackend, tf, useBackend } from '@opt/tensor';
import { countKernels } from '@opt/tensor/testing';
// The guard module itself (not in the package's exports), to compare where the verdict goes.
import { forceVerdictMode } from '../../../optimizers/dist/guard.js';
import { BATCH, benchMlp, benchData as data, tfjsLayersMlp } from '../bench-models.mjs';

function oursModel(bn, guard) {
  const model = benchMlp(bn);
  model.compile({
    optimizer: new Adam({ learningRate: 0.001, nonFiniteGradients: guard }),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return { fit: (x, y) => model.fit(x, y, { batchSize: BATCH, epochs: 1, seed: 3 }), dispose: () => model.dispose() };
}

function theirModel(bn) {
  const m = tfjsLayersMlp(bn);
  return { fit: (x, y) => m.fit(x, y, { batchSize: BATCH, epochs: 1, verbose: 0 }), dispose: () => m.dispose() };
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/**
 * `lib`: 'ours' or 'tfjs-layers'; `guard`: Adam's nonFiniteGradients on our side. The first step is one batch's
 * fit on a page that has compiled nothing yet (shader compilation included), read back as fit does.
 */
window.runBench = async ({
  backend,
  threads,
  model,
  lib,
  guard = 'throw',
  steps = 20,
  rounds = 3,
  wasmPaths,
  flags = {},
  listPrograms = false,
  verdict = null,
}) => {
  forceVerdictMode(verdict);
  const report = await useBackend(backend, backend === 'wasm' ? { threads, wasmPaths } : {});
  tf.enableProdMode();
  for (const [name, value] of Object.entries(flags)) tf.env().set(name, value);
  const bn = model === 'bn';
  const { x, y } = data(steps * BATCH, 7);
  const [x1, y1] = [tf.slice(x, 0, BATCH), tf.slice(y, 0, BATCH)];
  await Promise.all([x.data(), y.data(), x1.data(), y1.data()]); // uploaded before any clock starts
  const m = lib === 'tfjs-layers' ? theirModel(bn) : oursModel(bn, guard);
  const t0 = performance.now();
  await m.fit(x1, y1);
  const firstStepMs = performance.now() - t0;
  // WebGL: the shader programs compiled so far (by the first step, and the data upload before it).
  const programKeys = Object.keys(tf.backend().binaryCache ?? {});
  const programs = programKeys.length;
  // WebGL: the programs run per step, with the packs and unpacks the backend inserts (no kernel counts those).
  const backendImpl = tf.backend();
  const runProgram = backendImpl.runWebGLProgram;
  const programRuns = {};
  // With --list-programs, each program is counted under the kernel that ran it (and that kernel's first input shape).
  const engine = tf.engine();
  const runKernel = engine.runKernel;
  const kernelStack = [];
  if (listPrograms) {
    engine.runKernel = function (name, inputs, attrs) {
      const first = Object.values(inputs ?? {})[0];
      kernelStack.push(`${name}${first?.shape ? `[${first.shape}]` : ''}`);
      try {
        return runKernel.call(this, name, inputs, attrs);
      } finally {
        kernelStack.pop();
      }
    };
  }
  if (typeof runProgram === 'function') {
    backendImpl.runWebGLProgram = function (program, ...rest) {
      const name = program.constructor?.name === 'Object' ? 'custom' : (program.constructor?.name ?? 'custom');
      const key = `${listPrograms ? `${kernelStack.at(-1) ?? '-'} > ` : ''}${name === 'custom' ? `custom:${program.variableNames?.join('+')}` : name}`;
      programRuns[key] = (programRuns[key] ?? 0) + 1;
      return runProgram.call(this, program, ...rest);
    };
  }
  let kernelsPerStep;
  try {
    kernelsPerStep = (await countKernels(() => m.fit(x, y))) / steps;
  } finally {
    if (typeof runProgram === 'function') backendImpl.runWebGLProgram = runProgram;
    engine.runKernel = runKernel;
  }
  const programsPerStep =
    typeof runProgram === 'function' ? Object.values(programRuns).reduce((a, b) => a + b, 0) / steps : null;
  const rates = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    await m.fit(x, y);
    rates.push((steps * 1000) / (performance.now() - start));
  }
  m.dispose();
  tf.dispose([x, y, x1, y1]);
  return {
    backend: describeBackend(report),
    threads: report.threads?.count ?? null,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    firstStepMs,
    programs,
    kernelsPerStep,
    programsPerStep,
    ...(listPrograms
      ? {
          programRuns: Object.entries(programRuns)
            .sort()
            .map(([k, v]) => `${k} ${(v / steps).toFixed(1)}`),
        }
      : {}),
    stepsPerSecond: median(rates),
    rates,
    numTensors: tf.memory().numTensors,
    ...(listPrograms ? { programKeys: programKeys.map((k) => k.replace(/\s+/g, ' ').slice(0, 160)) } : {}),
  };
};
/**
 * Steps per second of several trainers in one page, in alternating epochs (`rounds` each, the order turning each
 * round), so that the page's and the machine's changes of pace fall on all of them alike. Returns each trainer's
 * rates and, per round, its rate over the first trainer's.
 */
window.runInterleaved = async ({ backend, threads, model, trainers, steps = 20, rounds = 7, wasmPaths }) => {
  const report = await useBackend(backend, backend === 'wasm' ? { threads, wasmPaths } : {});
  tf.enableProdMode();
  const bn = model === 'bn';
  const { x, y } = data(steps * BATCH, 7);
  await Promise.all([x.data(), y.data()]);
  const models = trainers.map((t) => (t.lib === 'tfjs-layers' ? theirModel(bn) : oursModel(bn, t.guard)));
  for (const m of models) await m.fit(x, y); // compiled and warm
  const rates = trainers.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const order = trainers.map((_, i) => i);
    for (let k = 0; k < r % trainers.length; k++) order.push(order.shift());
    for (const i of order) {
      const start = performance.now();
      await models[i].fit(x, y);
      rates[i].push((steps * 1000) / (performance.now() - start));
    }
  }
  for (const m of models) m.dispose();
  tf.dispose([x, y]);
  return {
    backend: describeBackend(report),
    threads: report.threads?.count ?? null,
    rates,
    ratios: rates.map((own) => own.map((v, r) => v / rates[0][r])),
  };
};
window.benchReady = true;

/**
 * Where a step's time goes: every kernel of one epoch is followed by a wait for the device (WebGL: gl.finish), and
 * the wall time is added to its name (with the first input's shape). Slower than a real step; shares only.
 */
window.profileKernels = async ({ backend, threads, model, lib, guard = 'throw', steps = 10, wasmPaths }) => {
  await useBackend(backend, backend === 'wasm' ? { threads, wasmPaths } : {});
  tf.enableProdMode();
  const { x, y } = data(steps * BATCH, 7);
  const m = lib === 'tfjs-layers' ? theirModel(model === 'bn') : oursModel(model === 'bn', guard);
  await m.fit(x, y);
  // WebGL's finish() does not wait in Chromium; a read of the kernel's first output does (wasm: a no-op).
  const finish = (out) => {
    const info = Array.isArray(out) ? out[0] : out;
    if (backend === 'webgl' && info?.dataId !== undefined) tf.backend().readSync(info.dataId);
  };
  const engine = tf.engine();
  const original = engine.runKernel;
  const ms = {};
  engine.runKernel = function (name, inputs, attrs) {
    const t0 = performance.now();
    const out = original.call(this, name, inputs, attrs);
    finish(out);
    const first = Object.values(inputs ?? {})[0];
    const key = `${name}${first?.shape ? `[${first.shape}]` : ''}`;
    ms[key] = (ms[key] ?? 0) + performance.now() - t0;
    return out;
  };
  const t0 = performance.now();
  try {
    await m.fit(x, y);
  } finally {
    engine.runKernel = original;
  }
  const wall = performance.now() - t0;
  m.dispose();
  tf.dispose([x, y]);
  const perStep = Object.entries(ms)
    .map(([k, v]) => [k, v / steps])
    .sort((a, b) => b[1] - a[1]);
  return { msPerStep: wall / steps, kernelMsPerStep: perStep.reduce((a, [, v]) => a + v, 0), perStep };
};
