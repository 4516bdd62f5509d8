/** In a real browser: auto picks WebGL, which trains like cpu; wasm loads from a URL; native is refused. */
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, detectPlatform, tf, useBackend } from './index.js';
import { glorotUniform, initialize } from './initializers.js';
import { Random } from './random.js';

declare const __TFJS_WASM_DIST__: string;

function trainStepValues(): { loss: number; grads: Float32Array[] } {
  const random = new Random(3);
  const w1 = tf.variable(initialize(glorotUniform(), [64, 32], random));
  const w2 = tf.variable(initialize(glorotUniform(), [32, 10], random));
  const x = tf.tensor2d(random.uniform(8 * 64), [8, 64]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.relu(tf.matMul(x, w1)), w2)) as tf.Scalar,
    [w1, w2],
  );
  const out = {
    loss: value.dataSync()[0] as number,
    grads: [w1, w2].map((w) => (grads[w.name] as tf.Tensor).dataSync() as Float32Array),
  };
  tf.dispose([w1, w2, x, y, value, ...Object.values(grads)]);
  return out;
}

describe('backends in a browser', () => {
  it('auto chooses webgl with float32 textures', async () => {
    tf.enableProdMode();
    expect(detectPlatform()).toBe('browser');
    const report = await useBackend('auto');
    expect(report).toEqual({ backend: 'webgl', requested: 'auto', platform: 'browser', skipped: [] });
    expect(tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')).toBe(true);
  });

  it('computes the same loss and gradients on webgl as on cpu, to 1e-5', async () => {
    await useBackend('cpu');
    const cpu = trainStepValues();
    await useBackend('webgl');
    const webgl = trainStepValues();
    expect(Math.abs(webgl.loss - cpu.loss)).toBeLessThan(1e-5);
    cpu.grads.forEach((g, i) => {
      const other = webgl.grads[i] as Float32Array;
      let maxDiff = 0;
      for (let j = 0; j < g.length; j++) maxDiff = Math.max(maxDiff, Math.abs((g[j] as number) - (other[j] as number)));
      expect(maxDiff).toBeLessThan(1e-5);
    });
  });

  it('loads wasm from the URL given as wasmPaths', async () => {
    const report = await useBackend('wasm', { wasmPaths: __TFJS_WASM_DIST__ });
    expect(report.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    // tfjs starts threads only on a cross-origin isolated page; the report says how many it got and why.
    expect(report.threads?.count).toBeGreaterThanOrEqual(1);
    if (!crossOriginIsolated) {
      expect(report.threads?.count).toBe(1);
      if (navigator.hardwareConcurrency > 1) expect(report.threads?.reason).toMatch(/not cross-origin isolated/);
    }
    const sum = tf.sum(tf.tensor1d([1, 2, 3]));
    expect(sum.dataSync()[0]).toBe(6);
    sum.dispose();
  });

  it('refuses the native backend in a browser, saying what to choose', async () => {
    const error = (await useBackend('tensorflow').catch((e: unknown) => e)) as BackendUnavailableError;
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error.message).toContain('runs only in Node.js');
    expect(error.hint).toBe("In the browser choose 'webgl', 'wasm', 'cpu' (or 'auto').");
  });
});
