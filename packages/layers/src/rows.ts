/**
 * Picking rows of a dataset tensor for a batch without copying the dataset.
 *
 * On the wasm backend the Gather kernel costs about 4 ms for 128 rows of 784
 * floats (an unvectorized per-element loop) and Slice reads the whole source
 * tensor back first, so there the rows are copied in JavaScript from a
 * zero-copy view of the tensor's wasm memory into one batch buffer, then
 * uploaded (about 0.5 ms), on the single-threaded and the threaded build alike.
 * On WebGL the model's inputs (`packed`) are gathered by a program of their own into a packed texture, the layout
 * the first matrix products read: tfjs's Gather writes an unpacked one, which the forward product and the weight
 * gradient's product then each packed again (three passes over the batch where one does).
 * Elsewhere it is `tf.gather`.
 */
import { tf, type WebGLKernel, type WebGLProgram, webglKernels } from '@opt/tensor';
import { wasmBackend } from './backend-traits.js';

const PACKED_ROWS = 'OptGatherPackedRows';

/**
 * Rows `indices` of a packed [R, C] `X` into a packed [B, C] output. A texel holds rows r, r + 1 and columns
 * c, c + 1: row i of the source is the .xy (even i) or .zw (odd i) half of its texel; index b of the packed
 * indices is the .x (even b) or .y (odd b) of its texel.
 */
function packedRowsProgram(b: number, c: number): WebGLProgram {
  return {
    variableNames: ['X', 'Indices'],
    outputShape: [b, c],
    packedInputs: true,
    packedOutput: true,
    userCode: `
      const int B = ${b};
      int indexAt(int k) {
        vec4 t = getIndices(k);
        return int(k - 2 * (k / 2) == 0 ? t.x : t.y);
      }
      vec2 rowAt(int i, int col) {
        vec4 t = getX(i, col);
        return i - 2 * (i / 2) == 0 ? t.xy : t.zw;
      }
      void main() {
        ivec2 rc = getOutputCoords();
        vec2 first = rowAt(indexAt(rc.x), rc.y);
        vec2 second = rc.x + 1 < B ? rowAt(indexAt(rc.x + 1), rc.y) : vec2(0.0);
        setOutput(vec4(first, second));
      }
    `,
  };
}

const KERNELS: Record<string, WebGLKernel> = {
  [PACKED_ROWS]: ({ x, indices }) => ({
    program: packedRowsProgram((indices as tf.TensorInfo).shape[0] as number, (x as tf.TensorInfo).shape[1] as number),
    inputs: [x, indices] as tf.TensorInfo[],
  }),
};

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

/**
 * The rows `indices` of `x` (axis 0), as a new tensor. `packed`: `x` is the model's input, which WebGL gathers
 * into a packed texture when it is a float32 matrix.
 */
export function gatherRows(x: tf.Tensor, indices: Int32Array, options: { packed?: boolean } = {}): tf.Tensor {
  const view = heapView(x);
  const shape = [indices.length, ...x.shape.slice(1)];
  if (options.packed === true && x.rank === 2 && x.dtype === 'float32' && indices.length > 0 && webglKernels(KERNELS)) {
    return tf.tidy(
      () => tf.engine().runKernel(PACKED_ROWS, { x, indices: tf.tensor1d(indices, 'int32') }) as tf.Tensor,
    );
  }
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

/** Rows [start, start + size) of `x` (`packed`: as {@link gatherRows}). */
export function sliceRows(x: tf.Tensor, start: number, size: number, options: { packed?: boolean } = {}): tf.Tensor {
  const indices = new Int32Array(size);
  for (let i = 0; i < size; i++) indices[i] = start + i;
  return gatherRows(x, indices, options);
}
