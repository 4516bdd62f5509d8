/** Whether a read back from the active backend stalls it: true where it waits for a GPU to finish its queue. */
import { isWebGLBackend, tf } from '@opt/tensor';

/** True on WebGL and WebGPU (asked of the backend's methods, not of its name). */
export function readsStall(): boolean {
  const webgpu = typeof (tf.backend() as unknown as Record<string, unknown>).runWebGPUProgram === 'function';
  return isWebGLBackend() || webgpu;
}
