/**
 * @opt/tensor: the tensor layer every opt package computes through.
 *
 * - `tf`: TensorFlow.js core's own API, with gradients registered.
 * - {@link useBackend}: the application picks cpu, wasm, webgl, webgpu, the
 *   native `tensorflow` backend, or `auto` (which passes over software GPUs).
 * - {@link Random} and the initializers: seeded, backend-independent values.
 * - {@link webglKernels}: kernels of the packages' own as WebGL programs, registered on first use.
 */
import './register-gradients.js';
import * as tf from '#tfjs-core';

export type { DataType, Rank, Scalar, Tensor, Tensor1D, Tensor2D, TensorLike, Variable } from '@tensorflow/tfjs-core';
export {
  AUTO_ORDER,
  BACKEND_NAMES,
  type BackendName,
  type BackendReport,
  type BackendRequest,
  BackendUnavailableError,
  describeBackend,
  detectPlatform,
  MAX_WASM_THREADS,
  type Platform,
  type SkippedBackend,
  type UseBackendOptions,
  useBackend,
  type WasmThreads,
  type WasmThreadsReport,
  type WebGLRendererReport,
  type WebGPUAdapterReport,
} from './backends.js';
export {
  computeFans,
  getInitializer,
  glorotNormal,
  glorotUniform,
  heNormal,
  heUniform,
  type Initializer,
  type InitializerName,
  initialize,
  ones,
  zeros,
} from './initializers.js';
export { countTensors, tensorLeak } from './memory.js';
export { Random, type RandomState } from './random.js';
export { assertShape, formatShape, type ShapeSpec, shapeMatches } from './shapes.js';
export { softwareAdapter, softwareRenderer } from './software-gpu.js';
export {
  isWebGLBackend,
  type TextureRecord,
  textureRecord,
  type WebGLKernel,
  type WebGLProgram,
  type WebGLProgramRun,
  webglKernels,
} from './webgl-kernels.js';
export {
  type NamedWeight,
  packWeights,
  readWeights,
  unpackWeights,
  type WeightsManifestEntry,
} from './weights.js';
export { tf };
