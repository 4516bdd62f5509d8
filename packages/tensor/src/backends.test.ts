import { beforeAll, describe, expect, it } from 'vitest';
import {
  AUTO_ORDER,
  BackendUnavailableError,
  describeBackend,
  detectPlatform,
  explainNativeLoadFailure,
  useBackend,
} from './backends.js';
import { tf } from './index.js';

beforeAll(() => tf.enableProdMode());

/** Whether tfjs-node with its native addon loads on this machine (it cannot without internet at install). */
async function nativeLoads(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-node' as string);
    return true;
  } catch {
    return false;
  }
}

describe('useBackend', () => {
  it('runs in Node here and orders auto fastest first', () => {
    expect(detectPlatform()).toBe('node');
    expect(AUTO_ORDER.node).toEqual(['tensorflow', 'wasm', 'cpu']);
    expect(AUTO_ORDER.browser).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
  });

  it('auto picks the native backend where it loads, else wasm, and says why it skipped native', async () => {
    const report = await useBackend('auto');
    expect(report.requested).toBe('auto');
    expect(tf.getBackend()).toBe(report.backend);
    if (await nativeLoads()) {
      expect(report.backend).toBe('tensorflow');
      expect(report.skipped).toEqual([]);
    } else {
      expect(report.backend).toBe('wasm');
      expect(report.skipped).toHaveLength(1);
      expect(report.skipped[0]?.backend).toBe('tensorflow');
      expect(report.skipped[0]?.reason).toMatch(/native addon|not installed/);
      expect(describeBackend(report)).toMatch(/^wasm \(auto; \d threads?: [^;]+; skipped tensorflow: /);
    }
  });

  it('auto falls through every candidate that cannot load, in order', async () => {
    const report = await useBackend('auto', { candidates: ['webgl', 'cpu', 'wasm'] });
    expect(report.backend).toBe('cpu');
    expect(report.skipped).toEqual([
      { backend: 'webgl', reason: 'WebGL needs a browser; Node.js has no WebGL context.' },
    ]);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('auto with nothing loadable fails and lists each reason', async () => {
    const error = await useBackend('auto', { candidates: ['webgl'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toContain('no backend could load: webgl (WebGL needs a browser');
  });

  it('activates a backend asked for by name', async () => {
    const cpu = await useBackend('cpu');
    expect(cpu).toEqual({ backend: 'cpu', requested: 'cpu', platform: 'node', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect(describeBackend(cpu)).toBe('cpu (requested)');
    const wasm = await useBackend('wasm');
    expect(wasm).toEqual({
      backend: 'wasm',
      requested: 'wasm',
      platform: 'node',
      skipped: [],
      threads: { count: expect.any(Number), requested: 'auto', reason: expect.any(String) },
    });
    expect(tf.getBackend()).toBe('wasm');
    expect(describeBackend(wasm)).toMatch(/^wasm \(requested; \d threads?: .+\)$/);
  });

  it('explains why webgl cannot load in Node and what to choose instead', async () => {
    const error = (await useBackend('webgl').catch((e: unknown) => e)) as BackendUnavailableError;
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error.backend).toBe('webgl');
    expect(error.message).toBe(
      'Backend "webgl" is not available: WebGL needs a browser; Node.js has no WebGL context.\n' +
        "In Node.js choose 'tensorflow', 'wasm', 'cpu' (or 'auto').",
    );
  });

  it('explains why webgpu cannot load in Node and what to choose instead', async () => {
    const error = (await useBackend('webgpu').catch((e: unknown) => e)) as BackendUnavailableError;
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error.message).toBe(
      'Backend "webgpu" is not available: WebGPU needs a browser; Node.js has no navigator.gpu.\n' +
        "In Node.js choose 'tensorflow', 'wasm', 'cpu' (or 'auto').",
    );
  });

  it('explains why the native backend cannot load, with the underlying message', async () => {
    if (await nativeLoads()) return; // a machine with libtensorflow: nothing to explain
    const error = (await useBackend('tensorflow').catch((e: unknown) => e)) as BackendUnavailableError;
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error.backend).toBe('tensorflow');
    // tfjs-node is an optional dependency of this workspace: installed, but its addon is missing offline.
    expect(error.reason).toContain('tfjs_binding.node');
    expect(error.hint).toContain('npm rebuild @tensorflow/tfjs-node');
    expect(error.hint).toContain("or choose 'wasm', 'cpu'.");
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('tells a user without tfjs-node how to install it', async () => {
    const missing = await import('@tensorflow/tfjs-node-missing-for-this-test' as string).catch((e: unknown) => e);
    const error = explainNativeLoadFailure(missing, '@tensorflow/tfjs-node-missing-for-this-test');
    expect(error.reason).toBe('@tensorflow/tfjs-node-missing-for-this-test is not installed.');
    expect(error.hint).toContain(`npm install @tensorflow/tfjs-node-missing-for-this-test@${tf.version_core}`);
  });

  it('rejects a backend name it does not know, listing the choices', async () => {
    await expect(useBackend('gpu' as never)).rejects.toThrow(
      `Backend "gpu" is not available: there is no backend of that name.\nChoose one of 'cpu', 'wasm', 'webgl', 'webgpu', 'tensorflow', 'auto'.`,
    );
  });
});
