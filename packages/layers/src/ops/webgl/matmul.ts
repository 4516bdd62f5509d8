/**
 * WebGL's kernels for Dense's matrix products (`x W + b` with its activation, `x^T dz`, `dz W^T`): tfjs's packed
 * product, the same sums in the same order, with each input texel sampled at coordinates that step along the shared
 * dimension by a constant instead of through tfjs's samplers, which turn a flat index into texture coordinates with
 * integer divisions at every fetch, and with the loop unrolled (README: the figures). They take float32 matrices in
 * packed textures of the plain 2-D layout (texel (c / 2, r / 2) holds rows r, r + 1 and columns c, c + 1); any
 * other texture, or WebGL 1, takes tfjs's product.
 */
import { textureRecord, tf, type WebGLKernel, type WebGLProgram, webglKernels } from '@opt/tensor';

const PRODUCT = 'OptMatMulTexels';

/** Which operand is transposed: `a b`, `a^T b`, `a b^T`. */
export type Form = 'ab' | 'aTb' | 'abT';

/** The activations the forward product applies to its output. */
export type Epilogue = 'linear' | 'relu';

/** tfjs-backend-webgl's packed relu (`unaryop_packed_gpu`'s RELU): NaN stays NaN, so the non-finite guard sees it. */
const RELU = `
  vec4 activation(vec4 x) {
    vec4 result = x * vec4(greaterThanEqual(x, vec4(0.0)));
    bvec4 isNaN = isnan(x);
    result.r = isNaN.r ? x.r : result.r;
    result.g = isNaN.g ? x.g : result.g;
    result.b = isNaN.b ? x.b : result.b;
    result.a = isNaN.a ? x.a : result.a;
    return result;
  }
`;

/** A GLSL float literal. */
const float = (v: number) => (Number.isInteger(v) ? `${v}.0` : String(v));

/** Steps of the shared dimension per loop iteration: SwiftShader's JIT (Subzero) does not unroll loops itself. */
const UNROLL = 8;

/**
 * For each form, whether A and B run along the shared dimension horizontally (a texel row) or vertically, and the
 * swizzles that pair their elements (tfjs's `MatMulPackedProgram`'s, in its order of additions).
 */
const FORMS: Record<Form, { aAlongX: boolean; bAlongX: boolean; sa: [string, string]; sb: [string, string] }> = {
  ab: { aAlongX: true, bAlongX: false, sa: ['xxzz', 'yyww'], sb: ['xyxy', 'zwzw'] },
  aTb: { aAlongX: false, bAlongX: false, sa: ['xxyy', 'zzww'], sb: ['xyxy', 'zwzw'] },
  abT: { aAlongX: true, bAlongX: true, sa: ['xxzz', 'yyww'], sb: ['xzxz', 'ywyw'] },
};

/**
 * The packed product of `form` with output [m, n] and shared dimension k. A packed [rows, cols] matrix is a texture
 * ceil(cols / 2) texels wide and ceil(rows / 2) high, and both operands are ceil(k / 2) texels long along the shared
 * dimension: step s samples both at the coordinate `(s + 0.5) / ceil(k / 2)` along it, and at the output texel's
 * row (A) or column (B) across it.
 */
function productProgram(form: Form, [m, n]: [number, number], k: number, bias: boolean, epilogue: Epilogue) {
  const { aAlongX, bAlongX, sa, sb } = FORMS[form];
  const steps = Math.ceil(k / 2);
  const du = 1 / steps;
  const at = (alongX: boolean, u: string, across: string) =>
    alongX ? `vec2(${u}, ${across})` : `vec2(${across}, ${u})`;
  const step = (u: string) => `
          a = texture(matrixA, ${at(aAlongX, u, 'fa')});
          b = texture(matrixB, ${at(bAlongX, u, 'fb')});
          result += a.${sa[0]} * b.${sb[0]};
          result += a.${sa[1]} * b.${sb[1]};`;
  const offset = (j: number) => (j === 0 ? 'u' : `u + ${float(j * du)}`);
  const looped = Math.floor(steps / UNROLL) * UNROLL;
  const body = Array.from({ length: UNROLL }, (_, j) => step(offset(j))).join('');
  const tail = Array.from({ length: steps - looped }, (_, j) => step(offset(j))).join('');
  const program: WebGLProgram = {
    variableNames: bias ? ['matrixA', 'matrixB', 'bias'] : ['matrixA', 'matrixB'],
    outputShape: [m, n],
    packedInputs: true,
    packedOutput: true,
    userCode: `
      ${epilogue === 'relu' ? RELU : ''}
      void main() {
        ivec2 rc = getOutputCoords();
        float fa = (float(rc.x / 2) + 0.5) * ${float(1 / Math.ceil(m / 2))};
        float fb = (float(rc.y / 2) + 0.5) * ${float(1 / Math.ceil(n / 2))};
        vec4 result = vec4(0.0);
        vec4 a;
        vec4 b;
        float u;
        float t = 0.5;
        for (int i = 0; i < ${looped}; i += ${UNROLL}) {
          u = t * ${float(du)};
          ${body}
          t += ${float(UNROLL)};
        }
        u = t * ${float(du)};
        ${tail}
        ${bias ? 'result += getBiasAtOutCoords();' : ''}
        ${epilogue === 'relu' ? 'result = activation(result);' : ''}
        setOutput(result);
      }
    `,
  };
  return program;
}

const KERNELS: Record<string, WebGLKernel> = {
  [PRODUCT]: ({ a, b, bias }, attrs) => {
    const form = attrs.form as Form;
    const [ra, ca] = (a as tf.TensorInfo).shape as [number, number];
    const [rb, cb] = (b as tf.TensorInfo).shape as [number, number];
    const shape: [number, number] = [form === 'aTb' ? ca : ra, form === 'abT' ? rb : cb];
    const shared = form === 'aTb' ? ra : ca;
    return {
      program: productProgram(form, shape, shared, bias !== undefined, attrs.epilogue as Epilogue),
      inputs: (bias === undefined ? [a, b] : [a, b, bias]) as tf.TensorInfo[],
    };
  },
};

const even = (d: number) => d + (d % 2);

/**
 * Whether tfjs lays a packed [rows, cols] matrix out plainly: `webgl_util.getTextureShapeFromLogicalShape`'s rule for
 * rank 2 (each side within the packed limit, and not a long narrow texture that it squarifies).
 */
function laidOutPlainly(rows: number, cols: number): boolean {
  const env = tf.env();
  const side = 2 * env.getNumber('WEBGL_MAX_TEXTURE_SIZE');
  let narrow = env.getNumber('WEBGL_MAX_SIZE_FOR_NARROW_TEXTURE');
  if (narrow === Number.POSITIVE_INFINITY && env.getBool('WEBGL_AUTO_SQUARIFY_NARROW_TEXTURE_SHAPE')) narrow = side / 4;
  const [r, c] = [even(rows), even(cols)];
  return r <= side && c <= side && !(Math.max(r, c) > 2 * narrow && Math.min(r, c) <= 2);
}

/**
 * Whether `t`, a float32 matrix, is or will be in a packed texture of the plain 2-D layout: a packed texture of
 * that shape, or values the backend packs (uploads, unpacked textures) into one.
 */
function plainTexels(t: tf.Tensor): boolean {
  if (t.rank !== 2 || t.dtype !== 'float32' || t.size === 0) return false;
  const [rows, cols] = t.shape as [number, number];
  if (!laidOutPlainly(rows, cols)) return false;
  const record = textureRecord(t);
  if (record === undefined) return false;
  if (record.texture == null || record.isPacked !== true) return true;
  return (
    record.slice == null &&
    record.texShape?.[0] === even(rows) &&
    record.texShape[1] === even(cols) &&
    record.shape[record.shape.length - 1] === cols
  );
}

/** Whether this backend runs the programs (WebGL 2's GLSL) and `operands` are in plain packed textures. */
function runsOn(...operands: tf.Tensor[]): boolean {
  return webglKernels(KERNELS) && tf.env().getNumber('WEBGL_VERSION') === 2 && operands.every((t) => plainTexels(t));
}

function product(form: Form, a: tf.Tensor2D, b: tf.Tensor2D, bias?: tf.Tensor, epilogue: Epilogue = 'linear') {
  const inputs: tf.NamedTensorMap = bias === undefined ? { a, b } : { a, b, bias };
  return tf.engine().runKernel(PRODUCT, inputs, { form, epilogue }) as tf.Tensor2D;
}

/** `a b`. */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D | null {
  return runsOn(a, b) ? product('ab', a, b) : null;
}

/** `a^T b`. */
export function matMulTransposeA(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D | null {
  return runsOn(a, b) ? product('aTb', a, b) : null;
}

/** `a b^T`. */
export function matMulTransposeB(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D | null {
  return runsOn(a, b) ? product('abT', a, b) : null;
}

/** `activation(x W + bias)` for a linear or relu activation and a float32 bias of shape [units] or none. */
export function denseForward(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor | null,
  activation: 'linear' | 'relu' | 'sigmoid',
): tf.Tensor2D | null {
  if (activation === 'sigmoid' || (bias !== null && (bias.rank !== 1 || bias.dtype !== 'float32'))) return null;
  return runsOn(x, kernel) ? product('ab', x, kernel, bias ?? undefined, activation) : null;
}
