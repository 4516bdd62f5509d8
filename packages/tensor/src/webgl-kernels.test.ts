import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from './backends.js';
import { isWebGLBackend, webglKernels } from './webgl-kernels.js';

// On WebGL the kernels are run by @opt/optimizers' and @opt/layers' browser tests against the cpu backend.
describe('webglKernels off WebGL', () => {
  it('registers nothing on cpu and says so', async () => {
    await useBackend('cpu');
    expect(isWebGLBackend()).toBe(false);
    const kernel = () => {
      throw new Error('never built off WebGL');
    };
    expect(webglKernels({ OptNeverRegistered: kernel })).toBe(false);
    expect(tf.getKernel('OptNeverRegistered', 'cpu')).toBeUndefined();
  });
});
