/**
 * WebGL's kernel for the rows of the model's input: one program that gathers them into a packed texture, the
 * layout the first matrix products read (tfjs's Gather writes an unpacked one, which each product packs again).
 */
import { tf, type WebGLKernel, type WebGLProgram, webglKernels } from '@opt/tensor';

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

/** Rows of a float32 matrix that feeds a matrix product, into a packed texture. */
export function gatherRows(x: tf.Tensor, indices: Int32Array, options: { forMatMul?: boolean } = {}): tf.Tensor | null {
  if (options.forMatMul !== true || x.rank !== 2 || x.dtype !== 'float32' || indices.length === 0) return null;
  if (!webglKernels(KERNELS)) return null;
  return tf.tidy(() => tf.engine().runKernel(PACKED_ROWS, { x, indices: tf.tensor1d(indices, 'int32') }) as tf.Tensor);
}
