/**
 * Keras's Adam step in three WebGL programs per variable instead of eleven kernels:
 * `m' = m + (g - m) * (1 - beta1)`, `v' = v + (g^2 - v) * (1 - beta2)`, and `w' = w + (m' * stepSize) / (sqrt(v') +
 * eps)` (or the update alone, when something follows Adam), the same operations in the same order, computed in
 * float32 in the shader. On WebGL (SwiftShader in particular)
 * each elementwise kernel over a weight matrix is a pass over its texels, so the ten passes were as slow as the
 * layer's matrix products. Each program also takes the non-finite guard's gate: when it is 0 the slots keep their
 * old values and the update is 0, so a bad step writes nothing without a `where` per tensor.
 *
 * The programs are tfjs kernels registered for the active WebGL backend on first use; other backends run the
 * plain ops (on cpu and wasm each op is one pass over memory already, and a kernel in JavaScript was slower).
 */
import { tf, type WebGLKernel, type WebGLProgram, webglKernels } from '@opt/tensor';

const MOMENTUM = 'OptAdamMomentum';
const VELOCITY = 'OptAdamVelocity';
const UPDATE = 'OptAdamUpdate';
const APPLY = 'OptAdamApply';

/** An elementwise program over packed textures: `body` sets `result` from vec4s named after the inputs. */
function program(shape: number[], inputs: string[], uniforms: string[], body: string): WebGLProgram {
  const samples = inputs.map((name) => `vec4 ${name.toLowerCase()} = get${name}AtOutCoords();`).join('\n');
  return {
    variableNames: [...inputs, 'Gate'],
    outputShape: shape,
    packedInputs: true,
    packedOutput: true,
    // Shapes as uniforms: one compiled program per rank serves every variable (fewer shaders to compile).
    enableShapeUniforms: shape.length <= 4,
    customUniforms: uniforms.map((name) => ({ name, type: 'float' })),
    userCode: `
      void main() {
        ${samples}
        bool open = getGateAtOutCoords().x > 0.5;
        vec4 result;
        ${body}
        setOutput(result);
      }
    `,
  };
}

/** The three programs: the inputs they sample (besides the gate), their uniforms (attrs of the same names), the body. */
const PROGRAMS: ReadonlyArray<{ kernelName: string; inputs: string[]; uniforms: string[]; body: string }> = [
  {
    kernelName: MOMENTUM,
    inputs: ['G', 'M'],
    uniforms: ['oneMinusBeta'],
    body: 'result = open ? m + (g - m) * oneMinusBeta : m;',
  },
  {
    kernelName: VELOCITY,
    inputs: ['G', 'V'],
    uniforms: ['oneMinusBeta'],
    body: 'result = open ? v + (g * g - v) * oneMinusBeta : v;',
  },
  {
    kernelName: UPDATE,
    inputs: ['M', 'V'],
    uniforms: ['stepSize', 'epsilon'],
    body: 'result = open ? (m * stepSize) / (sqrt(v) + epsilon) : vec4(0.0);',
  },
  {
    // The weight with the update added, in the same pass: w + update, as the optimizer's addition computes it.
    kernelName: APPLY,
    inputs: ['M', 'V', 'W'],
    uniforms: ['stepSize', 'epsilon'],
    body: 'result = open ? w + (m * stepSize) / (sqrt(v) + epsilon) : w;',
  },
];

/** The programs as kernels: their inputs by lowercase name, then the gate; their uniforms from the attributes. */
const KERNELS: Record<string, WebGLKernel> = Object.fromEntries(
  PROGRAMS.map(({ kernelName, inputs, uniforms, body }) => [
    kernelName,
    (given, attrs) => {
      const tensors = [...inputs.map((name) => given[name.toLowerCase()]), given.gate] as tf.TensorInfo[];
      return {
        program: program((tensors[0] as tf.TensorInfo).shape, inputs, uniforms, body),
        inputs: tensors,
        uniforms: uniforms.map((name) => [attrs[name] as number]),
      };
    },
  ]),
);

/** Whether the active backend runs the fused programs (WebGL); registers them on first use. */
export function fusedAdamAvailable(): boolean {
  return webglKernels(KERNELS);
}

export interface AdamStepConstants {
  readonly oneMinusBeta1: number;
  readonly oneMinusBeta2: number;
  /** Keras's `alpha` (negated when the learning rate is folded in), or the bias correction alone. */
  readonly stepSize: number;
  readonly epsilon: number;
}

/**
 * One variable's Adam step through the fused programs; a shut `gate` (a scalar, false or 0) keeps the old values.
 * Returns the new slots, and `update()` (the update, a third program) or `apply(w)` (`w + update`, the third program
 * instead: the optimizer's addition folded in).
 */
export function fusedAdamStep(
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  gate: tf.Tensor,
  c: AdamStepConstants,
): { momentum: tf.Tensor; velocity: tf.Tensor; update: () => tf.Tensor; apply: (w: tf.Tensor) => tf.Tensor } {
  const engine = tf.engine();
  const momentum = engine.runKernel(MOMENTUM, { g, m, gate }, { oneMinusBeta: c.oneMinusBeta1 }) as tf.Tensor;
  const velocity = engine.runKernel(VELOCITY, { g, v, gate }, { oneMinusBeta: c.oneMinusBeta2 }) as tf.Tensor;
  const attrs = { stepSize: c.stepSize, epsilon: c.epsilon };
  return {
    momentum,
    velocity,
    update: () => engine.runKernel(UPDATE, { m: momentum, v: velocity, gate }, attrs) as tf.Tensor,
    apply: (w) => engine.runKernel(APPLY, { m: momentum, v: velocity, w, gate }, attrs) as tf.Tensor,
  };
}
