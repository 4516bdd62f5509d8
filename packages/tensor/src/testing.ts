/**
 * Test helpers for packages built on @opt/tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type BackendReport, type BackendRequest, useBackend } from './backends.js';

/**
 * Activates the backend tests run on: `OPT_BACKEND` from the environment, or
 * `cpu` (exact and everywhere). Silences tfjs's console banner.
 */
export async function useTestBackend(fallback: BackendRequest = 'cpu'): Promise<BackendReport> {
  tf.enableProdMode();
  const fromEnv = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.OPT_BACKEND;
  return useBackend((fromEnv as BackendRequest | undefined) ?? fallback);
}

export { countKernels, countTensors, tensorLeak } from './memory.js';
