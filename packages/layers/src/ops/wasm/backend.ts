/**
 * tfjs-backend-wasm's backend, asked of the backend object rather than of its registered name (a backend may be
 * registered under another name, as the threads bench does).
 */
import { tf } from '@opt/tensor';

export interface HeapBackend {
  typedArrayFromHeap(info: { shape: number[]; dtype: string; dataId: object }): Float32Array | Int32Array | Uint8Array;
  dataIdMap?: { has(dataId: object): boolean };
}

/** The active backend when it is tfjs-backend-wasm (single-threaded or threaded build), else null. */
export function wasmBackend(): HeapBackend | null {
  const backend = tf.backend() as unknown as Partial<HeapBackend>;
  return typeof backend.typedArrayFromHeap === 'function' ? (backend as HeapBackend) : null;
}
