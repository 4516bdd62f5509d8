/**
 * WebGL's kernels for the softmax output and its crossentropy: the softmax, the loss's value, its gradient with
 * respect to the logits, and the correct count, one program each, where tfjs's kernels take dozens (README: how
 * many). The arithmetic is the portable ops' (`../softmax.ts`), in float32 in the shader.
 *
 * Each output element of the softmax and the gradient loops over its row (O(N C^2) in all), and the value and the
 * count are single-fragment loops over the batch: they take up to {@link MAX_CLASSES} classes and
 * {@link MAX_ELEMENTS} elements; wider or larger outputs take the portable ops.
 */
import { tf, type WebGLKernel, type WebGLProgram, webglKernels } from '@opt/tensor';

export const MAX_ELEMENTS = 65536;
export const MAX_CLASSES = 64;

const SOFTMAX = 'OptSoftmax';
const VALUE = 'OptCrossentropyValue';
const LOGIT_GRAD = 'OptCrossentropyLogitGrad';
const CORRECT = 'OptCorrectCount';

/** The probabilities' normalization and clip, as the ops compute them: `q = p / total` (tfjs's division gives 1 for a == b), `clip(q, eps, 1 - eps)`. */
const ROW = `
  float normalized(float p, float total) { return p == total ? 1.0 : p / total; }
  float clipped(float q) { return clamp(q, clipMin, clipMax); }
  float rowTotal(int r) {
    float total = 0.0;
    for (int k = 0; k < C; k++) total += getP(r, k);
    return total;
  }
`;

function program(spec: {
  inputs: string[];
  shape: number[];
  packedInputs: boolean;
  packedOutput: boolean;
  uniforms?: string[];
  code: string;
}): WebGLProgram {
  return {
    variableNames: spec.inputs,
    outputShape: spec.shape,
    packedInputs: spec.packedInputs,
    packedOutput: spec.packedOutput,
    customUniforms: (spec.uniforms ?? []).map((name) => ({ name, type: 'float' })),
    userCode: spec.code,
  };
}

/** `softmax(z)` over the last axis of a packed [N, C] `z`: `exp(z - max) / sum(exp(z - max))`, unpacked out. */
function softmaxProgram([n, c]: number[]): WebGLProgram {
  return program({
    inputs: ['Z'],
    shape: [n as number, c as number],
    packedInputs: true,
    packedOutput: false,
    code: `
      const int C = ${c};
      float at(int r, int k) {
        vec4 t = getZ(r, k);
        int i = 2 * (r - 2 * (r / 2)) + (k - 2 * (k / 2));
        return i == 0 ? t.x : i == 1 ? t.y : i == 2 ? t.z : t.w;
      }
      void main() {
        ivec2 rc = getOutputCoords();
        float m = at(rc.x, 0);
        for (int k = 1; k < C; k++) m = max(m, at(rc.x, k));
        float s = 0.0;
        for (int k = 0; k < C; k++) s += exp(at(rc.x, k) - m);
        setOutput(exp(at(rc.x, rc.y) - m) / s);
      }
    `,
  });
}

/**
 * A program over unpacked P and Y [N, C] with the clip's and the scale's uniforms and the row helpers (`ROW`);
 * `body` defines `main`.
 */
function crossentropyProgram([n, c]: number[], shape: number[], packedOutput: boolean, body: string): WebGLProgram {
  return program({
    inputs: ['P', 'Y'],
    shape,
    packedInputs: false,
    packedOutput,
    uniforms: ['clipMin', 'clipMax', 'scale'],
    code: `
      const int N = ${n};
      const int C = ${c};
      ${ROW}
      ${body}
    `,
  });
}

/** `sum(y * log(clip(q))) * (-1 / N)`: one number. */
function valueProgram(shape: number[]): WebGLProgram {
  return crossentropyProgram(
    shape,
    [],
    false,
    `
      void main() {
        float sum = 0.0;
        for (int r = 0; r < N; r++) {
          float total = rowTotal(r);
          for (int k = 0; k < C; k++) sum += getY(r, k) * log(clipped(normalized(getP(r, k), total)));
        }
        setOutput(sum * scale);
      }
    `,
  );
}

/**
 * `(p * sum_k(y_k m_k) - y * m) / N` with `m_k = [clip(q_k) == q_k]`, packed out: a texel holds rows r, r + 1 and
 * columns c, c + 1.
 */
function logitGradProgram(shape: number[]): WebGLProgram {
  return crossentropyProgram(
    shape,
    shape,
    true,
    `
      float ym(int r, int k, float total) {
        float q = normalized(getP(r, k), total);
        return getY(r, k) * (clipped(q) == q ? 1.0 : 0.0);
      }
      vec2 rowStats(int r) {
        float total = rowTotal(r);
        float s = 0.0;
        for (int k = 0; k < C; k++) s += ym(r, k, total);
        return vec2(total, s);
      }
      float grad(int r, int k, vec2 stats) {
        if (r >= N || k >= C) return 0.0;
        return (getP(r, k) * stats.y - ym(r, k, stats.x)) * scale;
      }
      void main() {
        ivec2 rc = getOutputCoords();
        vec2 first = rowStats(rc.x);
        vec2 second = rc.x + 1 < N ? rowStats(rc.x + 1) : vec2(1.0, 0.0);
        setOutput(vec4(
          grad(rc.x, rc.y, first), grad(rc.x, rc.y + 1, first),
          grad(rc.x + 1, rc.y, second), grad(rc.x + 1, rc.y + 1, second)));
      }
    `,
  );
}

/**
 * The rows whose first largest probability is at the label: `argmax(p) == argmax(y)` (one-hot Y [N, C]), or
 * `argmax(p) == label` (labels [N]). One number.
 */
function correctProgram([n, c]: number[], sparse: boolean): WebGLProgram {
  const truth = sparse ? 'int(getLabels(r))' : `argmaxOf(r, true)`;
  return program({
    inputs: sparse ? ['P', 'Labels'] : ['P', 'Y'],
    shape: [],
    packedInputs: false,
    packedOutput: false,
    code: `
      const int N = ${n};
      const int C = ${c};
      int argmaxOf(int r, bool ofY) {
        int best = 0;
        float top = ofY ? ${sparse ? '0.0' : 'getY(r, 0)'} : getP(r, 0);
        for (int k = 1; k < C; k++) {
          float v = ofY ? ${sparse ? '0.0' : 'getY(r, k)'} : getP(r, k);
          if (v > top) { top = v; best = k; }
        }
        return best;
      }
      void main() {
        float hits = 0.0;
        for (int r = 0; r < N; r++) hits += argmaxOf(r, false) == ${truth} ? 1.0 : 0.0;
        setOutput(hits);
      }
    `,
  });
}

const clipUniforms = (attrs: Readonly<Record<string, unknown>>): number[][] => [
  [attrs.clipMin as number],
  [attrs.clipMax as number],
  [attrs.scale as number],
];

const KERNELS: Record<string, WebGLKernel> = {
  [SOFTMAX]: ({ z }) => ({ program: softmaxProgram((z as tf.TensorInfo).shape), inputs: [z as tf.TensorInfo] }),
  [VALUE]: ({ p, y }, attrs) => ({
    program: valueProgram((p as tf.TensorInfo).shape),
    inputs: [p, y] as tf.TensorInfo[],
    uniforms: clipUniforms(attrs),
  }),
  [LOGIT_GRAD]: ({ p, y }, attrs) => ({
    program: logitGradProgram((p as tf.TensorInfo).shape),
    inputs: [p, y] as tf.TensorInfo[],
    uniforms: clipUniforms(attrs),
  }),
  [CORRECT]: ({ p, y }) => ({
    program: correctProgram((p as tf.TensorInfo).shape, (y as tf.TensorInfo).shape.length === 1),
    inputs: [p, y] as tf.TensorInfo[],
  }),
};

/** Whether `p` ([N, C], within MAX_CLASSES and MAX_ELEMENTS) is for the programs on the active backend (WebGL); registers them. */
function programsFor(p: tf.Tensor): boolean {
  if (p.rank !== 2 || p.size === 0 || p.size > MAX_ELEMENTS || (p.shape[1] as number) > MAX_CLASSES) return false;
  return webglKernels(KERNELS);
}

export function softmax(z: tf.Tensor): tf.Tensor | null {
  if (!programsFor(z)) return null;
  return tf.engine().runKernel(SOFTMAX, { z }) as tf.Tensor;
}

/** The crossentropy's value and logit gradient for `p = softmax(z)` and one-hot `y`. */
export function softmaxCrossentropy(
  y: tf.Tensor,
  p: tf.Tensor,
  clip: { readonly clipMin: number; readonly clipMax: number },
): { value: tf.Scalar; grad: tf.Tensor } | null {
  if (!programsFor(p) || y.rank !== 2) return null;
  const n = p.shape[0] as number;
  const engine = tf.engine();
  const attrs = { clipMin: clip.clipMin, clipMax: clip.clipMax };
  const value = engine.runKernel(VALUE, { p, y }, { ...attrs, scale: -1 / n }) as tf.Scalar;
  const grad = engine.runKernel(LOGIT_GRAD, { p, y }, { ...attrs, scale: 1 / n }) as tf.Tensor;
  return { value, grad };
}

/** The rows where `argmax(p)` is the label's class (one-hot `y` [N, C], or labels [N] or [N, 1]). */
export function correctCount(y: tf.Tensor, p: tf.Tensor, sparse: boolean): tf.Scalar | null {
  if (!programsFor(p)) return null;
  const n = p.shape[0] as number;
  const labels = sparse ? (y.size === n ? tf.reshape(y, [n]) : null) : y.rank === 2 ? y : null;
  if (labels === null) return null;
  return tf.engine().runKernel(CORRECT, { p, y: labels }) as tf.Scalar;
}
