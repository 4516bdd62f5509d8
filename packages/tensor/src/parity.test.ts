/**
 * One training step of a small MLP gives the same loss and gradients on the
 * cpu and wasm backends, from the same seeded weights and data.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { useBackend } from './backends.js';
import { tf } from './index.js';
import { glorotUniform, initialize, zeros } from './initializers.js';
import { tensorLeak } from './memory.js';
import { Random } from './random.js';

const SIZES = [784, 64, 32, 10];
const BATCH = 16;

interface StepResult {
  loss: number;
  grads: Record<string, Float32Array>;
}

function makeModel(seed: number) {
  const random = new Random(seed);
  const params: tf.Variable[] = [];
  for (let i = 0; i < SIZES.length - 1; i++) {
    const fanIn = SIZES[i] as number;
    const fanOut = SIZES[i + 1] as number;
    params.push(tf.variable(initialize(glorotUniform(), [fanIn, fanOut], random), true, `parity_${seed}_kernel_${i}`));
    params.push(tf.variable(initialize(zeros(), [fanOut], random), true, `parity_${seed}_bias_${i}`));
  }
  const data = new Random(seed + 1);
  const x = tf.tensor2d(data.uniform(BATCH * 784), [BATCH, 784]);
  const labels = tf.tensor1d(
    Array.from({ length: BATCH }, () => data.nextInt(10)),
    'int32',
  );
  const y = tf.oneHot(labels, 10);
  const lossFn = (): tf.Scalar => {
    let h: tf.Tensor = x;
    for (let i = 0; i < params.length; i += 2) {
      h = tf.add(tf.matMul(h, params[i] as tf.Variable), params[i + 1] as tf.Variable);
      if (i < params.length - 2) h = tf.relu(h);
    }
    return tf.losses.softmaxCrossEntropy(y, h) as tf.Scalar;
  };
  return { params, lossFn, dispose: () => tf.dispose([x, labels, y, ...params]) };
}

function trainStep(seed: number): StepResult {
  const model = makeModel(seed);
  const { value, grads } = tf.variableGrads(model.lossFn, model.params);
  const result: StepResult = { loss: value.dataSync()[0] as number, grads: {} };
  model.params.forEach((p, i) => {
    result.grads[`${i}`] = (grads[p.name] as tf.Tensor).dataSync() as Float32Array;
  });
  tf.dispose([value, ...Object.values(grads)]);
  model.dispose();
  return result;
}

afterAll(() => tf.disposeVariables());

describe('cpu / wasm parity', () => {
  it('gives the same loss and gradients for one training step of an MLP, to 1e-5', async () => {
    tf.enableProdMode();
    await useBackend('cpu');
    const cpu = trainStep(7);
    await useBackend('wasm');
    const wasm = trainStep(7);
    expect(tf.getBackend()).toBe('wasm');
    expect(Number.isFinite(cpu.loss) && cpu.loss > 1).toBe(true);
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-5);
    for (const [name, g] of Object.entries(cpu.grads)) {
      const w = wasm.grads[name] as Float32Array;
      expect(w.length).toBe(g.length);
      let maxDiff = 0;
      let maxAbs = 0;
      for (let i = 0; i < g.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs((g[i] as number) - (w[i] as number)));
        maxAbs = Math.max(maxAbs, Math.abs(g[i] as number));
      }
      expect(maxAbs).toBeGreaterThan(0);
      expect(maxDiff).toBeLessThan(1e-5);
    }
  });

  it.each(['cpu', 'wasm'] as const)('leaks no tensors over repeated training steps on %s', async (backend) => {
    await useBackend(backend);
    const model = makeModel(11);
    const learningRate = tf.scalar(0.01);
    const step = () =>
      tf
        .tidy(() => {
          const { value, grads } = tf.variableGrads(model.lossFn, model.params);
          for (const p of model.params) p.assign(tf.sub(p, tf.mul(learningRate, grads[p.name] as tf.Tensor)));
          return value;
        })
        .dispose();
    expect(await tensorLeak(step, 5)).toBe(0);
    learningRate.dispose();
    model.dispose();
  });
});
