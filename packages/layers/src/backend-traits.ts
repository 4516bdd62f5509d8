/**
 * What the active backend is good or bad at, asked of the backend object rather than of its registered name (a
 * backend may be registered under another name, as the threads bench does).
 */
import { isWebGLBackend, tf } from '@opt/tensor';

interface HeapBackend {
  typedArrayFromHeap(info: { shape: number[]; dtype: string; dataId: object }): Float32Array | Int32Array | Uint8Array;
  dataIdMap?: { has(dataId: object): boolean };
}

/** tfjs-backend-wasm's backend (single-threaded or threaded build): its tensors live in the module's heap. */
export function wasmBackend(): HeapBackend | null {
  const backend = tf.backend() as unknown as Partial<HeapBackend>;
  return typeof backend.typedArrayFromHeap === 'function' ? (backend as HeapBackend) : null;
}

/** wasm runs a matMul with a transposed operand about 10x slower than a plain one of the transposed copy. */
export function transposesAreSlow(): boolean {
  return wasmBackend() !== null;
}

/**
 * WebGL keeps tensors in packed textures, and tfjs's reductions and some elementwise kernels (Step) run on
 * unpacked ones: each costs an unpack before it and a pack after it, each a pass of its own.
 */
export function texturesArePacked(): boolean {
  return isWebGLBackend();
}
