/**
 * Picking rows of a dataset tensor for a batch without copying the dataset.
 *
 * On the wasm backend the Gather kernel costs about 4 ms for 128 rows of 784
 * floats (an unvectorized per-element loop) and Slice reads the whole source
 * tensor back first, so there the rows are copied in JavaScript from a
 * zero-copy view of the tensor's wasm memory into one batch buffer, then
 * uploaded (about 0.5 ms), on the single-threaded and the threaded build alike.
 * Elsewhere it is `tf.gather`.
 */
import { tf } from '@opt/tensor';
import { wasmBackend } from './backend-traits.js';

/**
 * A zero-copy view of `x` in the wasm heap (single-threaded or threaded build, where the heap is a
 * SharedArrayBuffer), or null off wasm. Made afresh at each call, from the module's heap as it is now: the heap
 * grows, and a view made before a growth would not reach tensors placed after it.
 */
function heapView(x: tf.Tensor): Float32Array | Int32Array | null {
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return null;
  const backend = wasmBackend();
  if (backend === null || backend.dataIdMap?.has(x.dataId) !== true) return null;
  const view = backend.typedArrayFromHeap({ shape: x.shape, dtype: x.dtype, dataId: x.dataId });
  return view instanceof Float32Array || view instanceof Int32Array ? view : null;
}

/** The rows `indices` of `x` (axis 0), as a new tensor. */
export function gatherRows(x: tf.Tensor, indices: Int32Array): tf.Tensor {
  const view = heapView(x);
  const shape = [indices.length, ...x.shape.slice(1)];
  if (view === null) return tf.tidy(() => tf.gather(x, tf.tensor1d(indices, 'int32')));
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
  return tf.tensor(out, shape, x.dtype);
}

/** Rows [start, start + size) of `x`. */
export function sliceRows(x: tf.Tensor, start: number, size: number): tf.Tensor {
  const indices = new Int32Array(size);
  for (let i = 0; i < size; i++) indices[i] = start + i;
  return gatherRows(x, indices);
}
