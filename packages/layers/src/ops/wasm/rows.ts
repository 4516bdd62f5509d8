/**
 * wasm's kernel for gathering rows: a copy in JavaScript from a zero-copy view of the source in the module's heap,
 * then one upload, where tfjs's Gather and Slice are slow there (README: the figures).
 */
import { tf } from '@opt/tensor';
import { wasmBackend } from './backend.js';

/**
 * A zero-copy view of `x` in the wasm heap (a SharedArrayBuffer on the threaded build), or null off wasm. Made
 * afresh at each call: the heap grows, and a view made before a growth would not reach tensors placed after it.
 */
function heapView(x: tf.Tensor): Float32Array | Int32Array | null {
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return null;
  const backend = wasmBackend();
  if (backend === null || backend.dataIdMap?.has(x.dataId) !== true) return null;
  const view = backend.typedArrayFromHeap({ shape: x.shape, dtype: x.dtype, dataId: x.dataId });
  return view instanceof Float32Array || view instanceof Int32Array ? view : null;
}

export function gatherRows(x: tf.Tensor, indices: Int32Array): tf.Tensor | null {
  const view = heapView(x);
  if (view === null) return null;
  const rowSize = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const out =
    view instanceof Float32Array
      ? new Float32Array(indices.length * rowSize)
      : new Int32Array(indices.length * rowSize);
  const rows = x.shape[0] as number;
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i] as number;
    if (!(r >= 0 && r < rows)) throw new RangeError(`gatherRows: row ${r} is outside [0, ${rows - 1}].`);
    out.set(view.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  }
  return tf.tensor(out, [indices.length, ...x.shape.slice(1)], x.dtype);
}
