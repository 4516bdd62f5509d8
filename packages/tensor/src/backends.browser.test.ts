/**
 * In a real browser whose GPUs are software (SwiftShader for WebGL and WebGPU, as on a machine without a GPU):
 * auto passes over both for wasm and says why; a backend asked by name is used anyway, names its adapter or
 * renderer, and trains like cpu; wasm loads from a URL; native is refused.
 */
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, describeBackend, detectPlatform, tf, useBackend } from './index.js';
import { glorotUniform, initialize } from './initializers.js';
import { Random } from './random.js';

declare const __TFJS_WASM_DIST__: string;

/** Reads with `data()`: tfjs-backend-webgpu's `dataSync()` returns zeros on this headless SwiftShader adapter. */
async function trainStepValues(): Promise<{ loss: number; grads: Float32Array[] }> {
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
    loss: (await value.data())[0] as number,
    grads: await Promise.all([w1, w2].map(async (w) => (await (grads[w.name] as tf.Tensor).data()) as Float32Array)),
  };
  tf.dispose([w1, w2, x, y, value, ...Object.values(grads)]);
  return out;
}

/** The largest absolute difference between the loss and gradients of `backend` and those of cpu. */
async function worstAgainstCpu(backend: 'webgl' | 'webgpu'): Promise<number> {
  await useBackend('cpu');
  const cpu = await trainStepValues();
  await useBackend(backend);
  const other = await trainStepValues();
  let worst = Math.abs(other.loss - cpu.loss);
  cpu.grads.forEach((g, i) => {
    const got = other.grads[i] as Float32Array;
    for (let j = 0; j < g.length; j++) worst = Math.max(worst, Math.abs((g[j] as number) - (got[j] as number)));
  });
  return worst;
}

describe('backends in a browser', () => {
  it('auto passes over the software GPUs for wasm, saying why', async () => {
    tf.enableProdMode();
    expect(detectPlatform()).toBe('browser');
    const report = await useBackend('auto', { wasmPaths: __TFJS_WASM_DIST__ });
    expect(report.backend).toBe('wasm');
    expect(report.skipped).toEqual([
      {
        backend: 'webgpu',
        reason: 'software adapter SwiftShader (fallback adapter), wasm is faster here',
        software: 'SwiftShader (fallback adapter)',
      },
      { backend: 'webgl', reason: 'software renderer SwiftShader, wasm is faster here', software: 'SwiftShader' },
    ]);
    expect(describeBackend(report)).toContain('skipped webgpu: software adapter SwiftShader');
  });

  it('auto still prefers a software GPU to cpu when wasm is not a candidate', async () => {
    const report = await useBackend('auto', { candidates: ['webgl', 'cpu'] });
    expect(report.backend).toBe('webgl');
    expect(report.skipped).toEqual([]);
    expect(report.renderer?.software).toBe('SwiftShader');
  });

  it('uses webgl when asked by name, software or not, with float32 textures and its renderer', async () => {
    const report = await useBackend('webgl');
    expect(report.backend).toBe('webgl');
    expect(report.renderer?.renderer).toMatch(/SwiftShader/);
    expect(report.renderer?.software).toBe('SwiftShader');
    expect(tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')).toBe(true);
  });

  it('uses webgpu when asked by name, and its report names the adapter', async () => {
    const report = await useBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(report.adapter).toEqual({
      vendor: 'google',
      architecture: 'swiftshader',
      device: expect.any(String),
      description: expect.any(String),
      isFallbackAdapter: true,
      software: 'SwiftShader (fallback adapter)',
    });
    expect(describeBackend(report)).toMatch(
      /^webgpu \(requested; adapter google swiftshader.*, software: SwiftShader \(fallback adapter\)\)$/,
    );
  });

  for (const backend of ['webgl', 'webgpu'] as const) {
    it(`computes the same loss and gradients on ${backend} as on cpu, to 1e-5`, async () => {
      expect(await worstAgainstCpu(backend)).toBeLessThan(1e-5);
    });
  }

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
    expect(error.hint).toBe("In the browser choose 'webgpu', 'webgl', 'wasm', 'cpu' (or 'auto').");
  });
});
