/**
 * Telling a software GPU from a real one, from the strings a browser gives: WebGL's unmasked renderer
 * (`WEBGL_debug_renderer_info`) and WebGPU's adapter info. On a machine without a usable GPU (a VM, a remote
 * desktop, a blocklisted GPU) browsers rasterize on the CPU through SwiftShader, Mesa's llvmpipe/lavapipe/softpipe
 * or Windows' WARP, where tfjs's wasm backend trains several times faster than webgl or webgpu.
 * Pure functions, so that every verdict is tested without a browser.
 */

/** What the adapter that a `webgpu` backend computes on says about itself (`GPUAdapterInfo`). */
export interface WebGPUAdapterReport {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** The browser's own flag for an adapter that is a CPU implementation or otherwise degraded. */
  readonly isFallbackAdapter: boolean;
  /** Why this adapter counts as software (e.g. `'SwiftShader'`), or null for a hardware adapter. */
  readonly software: string | null;
}

/** What the WebGL context that a `webgl` backend renders through says about itself. */
export interface WebGLRendererReport {
  /** The unmasked vendor, or the masked one (`'WebKit'`) where the browser hides it. */
  readonly vendor: string;
  /** The unmasked renderer, e.g. `'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device ...), SwiftShader driver)'`. */
  readonly renderer: string;
  /** The software renderer it names (e.g. `'SwiftShader'`), or null for a hardware renderer. */
  readonly software: string | null;
}

/** Known CPU rasterizers, by the words their renderer strings contain; the first match names the renderer. */
const SOFTWARE_RENDERERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/swift\s*shader/i, 'SwiftShader'],
  [/llvmpipe/i, 'llvmpipe'],
  [/lavapipe/i, 'lavapipe'],
  [/softpipe/i, 'softpipe'],
  [/microsoft basic render driver/i, 'Microsoft Basic Render Driver'],
  [/gdi generic/i, 'GDI Generic'],
  [/software (rasterizer|renderer|adapter)/i, ''],
  [/\bsoftware\b/i, ''],
];

/**
 * The software renderer `renderer` names, or null when it names none (a hardware GPU, or a masked string such as
 * `'WebKit WebGL'`, which says nothing either way). Generic words return the matched text (`'Software Rasterizer'`).
 */
export function softwareRenderer(renderer: string): string | null {
  for (const [pattern, name] of SOFTWARE_RENDERERS) {
    const match = pattern.exec(renderer);
    if (match !== null) return name === '' ? match[0] : name;
  }
  return null;
}

/**
 * Why a WebGPU adapter counts as software, or null: a software renderer named in its architecture, description,
 * device or vendor (SwiftShader's adapter says `google` / `swiftshader`), else its `isFallbackAdapter` flag.
 */
export function softwareAdapter(info: Omit<WebGPUAdapterReport, 'software'>): string | null {
  for (const field of [info.architecture, info.description, info.device, info.vendor]) {
    const name = softwareRenderer(field);
    if (name !== null) return info.isFallbackAdapter ? `${name} (fallback adapter)` : name;
  }
  return info.isFallbackAdapter ? 'fallback adapter' : null;
}

/** The reason `auto` gives for passing over a software GPU: `"software renderer SwiftShader, wasm is faster here"`. */
export function softwareSkipReason(kind: 'adapter' | 'renderer', software: string): string {
  return `software ${kind} ${software}, wasm is faster here`;
}
