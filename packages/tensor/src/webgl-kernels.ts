/**
 * Kernels of the opt packages' own on TensorFlow.js's WebGL backend (fused Adam, the non-finite guard's record,
 * the softmax crossentropy, packed row gathers). A kernel here is a function from its inputs and attributes to
 * one run of a GPGPU program: the program, its input tensors, the output's dtype and the custom uniforms' values.
 * They are registered for the active backend when it is WebGL, once per backend name, on first use; elsewhere
 * nothing is registered and the callers compute with plain ops.
 */
import * as tf from '#tfjs-core';

/** tfjs-backend-webgl's GPGPU program, the fields used here (no import: the application chooses the backend). */
export interface WebGLProgram {
  readonly variableNames: string[];
  readonly outputShape: number[];
  readonly userCode: string;
  readonly packedInputs?: boolean;
  readonly packedOutput?: boolean;
  /** Shapes as uniforms: one compiled program serves every shape of a rank. */
  readonly enableShapeUniforms?: boolean;
  readonly customUniforms?: ReadonlyArray<{ readonly name: string; readonly type: 'float' }>;
}

/** One run of a program: its inputs in `variableNames` order, the output's dtype, the `customUniforms` values. */
export interface WebGLProgramRun {
  readonly program: WebGLProgram;
  readonly inputs: tf.TensorInfo[];
  /** Default float32. */
  readonly dtype?: 'float32' | 'bool';
  readonly uniforms?: number[][];
}

/** A kernel as a program run, from the kernel's named inputs and its attributes. */
export type WebGLKernel = (
  inputs: Readonly<Record<string, tf.TensorInfo>>,
  attrs: Readonly<Record<string, unknown>>,
) => WebGLProgramRun;

/** The part of tfjs-backend-webgl's backend used here. */
interface WebGLBackend {
  runWebGLProgram(program: WebGLProgram, inputs: tf.TensorInfo[], dtype: string, uniforms?: number[][]): tf.TensorInfo;
}

/**
 * Whether the active backend is tfjs's WebGL backend, asked of the backend object (it may be registered under
 * another name).
 */
export function isWebGLBackend(): boolean {
  return typeof (tf.backend() as unknown as Partial<WebGLBackend>).runWebGLProgram === 'function';
}

/** tfjs-backend-webgl's record of a tensor's texture, the fields the packages' kernels read to choose a layout. */
export interface TextureRecord {
  readonly shape: number[];
  readonly isPacked?: boolean;
  readonly texture?: unknown;
  readonly texShape?: number[] | null;
  readonly slice?: unknown;
}

/** The active backend's texture record of `t` (undefined off WebGL, or for a tensor it does not hold). */
export function textureRecord(t: tf.TensorInfo): TextureRecord | undefined {
  return (tf.backend() as unknown as { texData?: { get(id: object): TextureRecord | undefined } }).texData?.get(
    t.dataId,
  );
}

/** The backend names each set of kernels is registered for (they are asked for at every step). */
const registered = new WeakMap<object, Set<string>>();

/**
 * Registers `kernels` (kernel name to program run) for the active backend when it is WebGL, and says whether it
 * is: callers run them with `tf.engine().runKernel(name, inputs, attrs)` when true, plain ops otherwise.
 */
export function webglKernels(kernels: Readonly<Record<string, WebGLKernel>>): boolean {
  if (!isWebGLBackend()) return false;
  const backendName = tf.getBackend();
  let names = registered.get(kernels);
  if (names === undefined) {
    names = new Set();
    registered.set(kernels, names);
  }
  if (names.has(backendName)) return true;
  for (const [kernelName, kernel] of Object.entries(kernels)) {
    if (tf.getKernel(kernelName, backendName) !== undefined) continue;
    const kernelFunc = ({ inputs, backend, attrs }: { inputs: object; backend: unknown; attrs?: object }) => {
      const run = kernel(inputs as Record<string, tf.TensorInfo>, (attrs ?? {}) as Record<string, unknown>);
      return (backend as WebGLBackend).runWebGLProgram(run.program, run.inputs, run.dtype ?? 'float32', run.uniforms);
    };
    tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  names.add(backendName);
  return true;
}
