/**
 * Asking the browser which GPU the webgpu and webgl backends would compute on, before they start: `auto` passes
 * over a software one without paying for its start-up (shader compilation), and a report names the one used.
 * Works on a page and in a worker (OffscreenCanvas, `WorkerNavigator.gpu`).
 */
import { BackendUnavailableError } from './backend-error.js';
import {
  softwareAdapter,
  softwareRenderer,
  type WebGLRendererReport,
  type WebGPUAdapterReport,
} from './software-gpu.js';

/** The part of WebGPU's API the probe reads (TypeScript's DOM library has no WebGPU types yet). */
interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  /** Before Chromium 131 the flag sat on the adapter itself. */
  isFallbackAdapter?: boolean;
  requestAdapterInfo?: () => Promise<GpuAdapterInfoLike>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<GpuAdapterLike | null>;
}

const WEBGPU_HINT =
  "Chrome and Edge 113+ offer WebGPU on https or localhost pages; without a GPU, Chromium's `--enable-unsafe-webgpu " +
  "--use-webgpu-adapter=swiftshader` flags give a software adapter. Or choose 'webgl', 'wasm' or 'cpu'.";

/**
 * The adapter tfjs-backend-webgpu will get: it asks `navigator.gpu` with the same power preference. Throws a
 * {@link BackendUnavailableError} saying why when the browser offers none.
 */
export async function probeWebGPU(powerPreference: 'low-power' | 'high-performance'): Promise<WebGPUAdapterReport> {
  const scope = globalThis as { navigator?: { gpu?: GpuLike }; isSecureContext?: boolean };
  const gpu = scope.navigator?.gpu;
  if (gpu === undefined) {
    const why =
      scope.isSecureContext === false
        ? 'WebGPU needs a secure context (https, or http://localhost or 127.0.0.1), and this page is not one.'
        : 'this browser has no WebGPU (navigator.gpu is missing).';
    throw new BackendUnavailableError('webgpu', why, WEBGPU_HINT);
  }
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference });
  } catch (error) {
    throw new BackendUnavailableError(
      'webgpu',
      `requesting an adapter failed: ${error instanceof Error ? error.message : String(error)}`,
      WEBGPU_HINT,
      { cause: error },
    );
  }
  if (adapter === null) {
    throw new BackendUnavailableError(
      'webgpu',
      'the browser offers no WebGPU adapter (no GPU it supports, or its GPU is blocklisted).',
      WEBGPU_HINT,
    );
  }
  const info = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {};
  const described = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false,
  };
  return { ...described, software: softwareAdapter(described) };
}

interface DebugRendererInfo {
  readonly UNMASKED_VENDOR_WEBGL: number;
  readonly UNMASKED_RENDERER_WEBGL: number;
}

/**
 * The renderer of a throwaway WebGL2 context (WebGL 1 where 2 is missing), then lost again; null when this
 * browser gives no WebGL context, which tfjs's webgl backend will report itself.
 */
export function probeWebGL(): WebGLRendererReport | null {
  const canvas =
    typeof OffscreenCanvas !== 'undefined'
      ? new OffscreenCanvas(1, 1)
      : typeof document !== 'undefined'
        ? document.createElement('canvas')
        : null;
  if (canvas === null) return null;
  const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
  if (gl === null) return null;
  // Firefox unmasks RENDERER itself and deprecates the extension; Chromium and Safari still need it.
  const debug = gl.getExtension('WEBGL_debug_renderer_info') as DebugRendererInfo | null;
  const vendor = String(gl.getParameter(debug?.UNMASKED_VENDOR_WEBGL ?? gl.VENDOR));
  const renderer = String(gl.getParameter(debug?.UNMASKED_RENDERER_WEBGL ?? gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return { vendor, renderer, software: softwareRenderer(renderer) };
}
