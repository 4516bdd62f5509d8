/**
 * Backends as plugins: tfjs-core computes, a backend package supplies the
 * kernels, and the application chooses which one. A backend's package is
 * imported only when it is chosen.
 */
import * as tf from '#tfjs-core';
import { BackendUnavailableError } from './backend-error.js';
import { probeWebGL, probeWebGPU } from './gpu-probe.js';
import { softwareSkipReason, type WebGLRendererReport, type WebGPUAdapterReport } from './software-gpu.js';
import { checkThreads, prepareWasm, type WasmThreads, type WasmThreadsReport } from './wasm-backend.js';

export { BackendUnavailableError } from './backend-error.js';
export type { WebGLRendererReport, WebGPUAdapterReport } from './software-gpu.js';
export { MAX_WASM_THREADS, type WasmThreads, type WasmThreadsReport } from './wasm-backend.js';

/** A backend that can run kernels. */
export type BackendName = 'cpu' | 'wasm' | 'webgl' | 'webgpu' | 'tensorflow';
/** What an application may ask for: a backend, or `auto` for the fastest that loads. */
export type BackendRequest = BackendName | 'auto';

/** Every backend {@link useBackend} knows, in no particular order; `auto` is not one of them. */
export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'wasm', 'webgl', 'webgpu', 'tensorflow'];

/** Where code runs, which decides which backends can load and in what order `auto` tries them. */
export type Platform = 'node' | 'browser';

/**
 * Fastest first: the order in which `auto` tries backends. A GPU backend on a software renderer is tried after
 * wasm instead (see {@link useBackend}).
 */
export const AUTO_ORDER: Readonly<Record<Platform, readonly BackendName[]>> = {
  node: ['tensorflow', 'wasm', 'cpu'],
  browser: ['webgpu', 'webgl', 'wasm', 'cpu'],
};

/** Options of {@link useBackend}. */
export interface UseBackendOptions {
  /**
   * Where the wasm backend finds its `.wasm` files: a URL prefix ending in `/`.
   * Needed in the browser when a bundler does not serve them next to the script.
   */
  wasmPaths?: string;
  /** For `auto`: the backends to try, in order (default {@link AUTO_ORDER} for this platform). */
  candidates?: readonly BackendName[];
  /**
   * wasm: the threads XNNPACK splits matrix products over. `'auto'` (the default) is one per core the process may
   * use, at most {@link MAX_WASM_THREADS}; 1 is tfjs's single-threaded build. In Node.js more than one starts
   * tfjs-backend-wasm's threaded build on worker threads, and falls back to the single-threaded build, with the
   * reason in the report, when they cannot start. In the browser tfjs starts threads only on a cross-origin
   * isolated page. Fixed once the wasm backend has started.
   */
  threads?: WasmThreads;
  /**
   * wasm in Node.js: the path of the worker script its threads start from (default: `dist/wasm-pthread-worker.cjs`
   * in this package). For bundles that move this package's files.
   */
  wasmThreadWorker?: string;
}

/** A backend `auto` did not choose, and why. */
export interface SkippedBackend {
  readonly backend: BackendName;
  readonly reason: string;
  /** Set when it loads but runs on a software GPU (`'SwiftShader'`), so that `auto` preferred wasm. */
  readonly software?: string;
}

/** What {@link useBackend} chose, and why each faster backend was skipped. */
export interface BackendReport {
  /** The active backend. */
  readonly backend: BackendName;
  readonly requested: BackendRequest;
  readonly platform: Platform;
  /** Backends `auto` tried before the chosen one, each with the reason it could not load or was passed over. */
  readonly skipped: readonly SkippedBackend[];
  /** wasm only: the threads it computes on and why. */
  readonly threads?: WasmThreadsReport;
  /** webgpu only: the adapter it computes on, and whether (and why) it is a software one. */
  readonly adapter?: WebGPUAdapterReport;
  /** webgl only: the renderer of its context, and whether (and why) it is a software one. */
  readonly renderer?: WebGLRendererReport;
}

/** What a backend's start tells the report besides its name. */
type Details = Pick<BackendReport, 'threads' | 'adapter' | 'renderer'>;

/** Thrown inside `auto` for a GPU backend on a software renderer while wasm is still to be tried. */
class SoftwareGpu extends Error {
  constructor(
    readonly reason: string,
    readonly software: string,
  ) {
    super(reason);
  }
}

/**
 * `node` in Node.js without a DOM, else `browser` (a page, a worker, or a DOM emulated in Node.js by a test
 * runner), which decides the order `auto` tries backends in ({@link AUTO_ORDER}).
 */
export function detectPlatform(): Platform {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  const isNode = proc?.versions?.node != null;
  const hasDom = typeof (globalThis as { document?: unknown }).document !== 'undefined';
  return isNode && !hasDom ? 'node' : 'browser';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isModuleNotFound(error: unknown, specifier: string): boolean {
  const code = (error as { code?: string } | null)?.code;
  const message = messageOf(error);
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(message)) &&
    message.includes(specifier)
  );
}

/** The other backends worth trying here, quoted, fastest first. */
function otherChoices(platform: Platform, not: BackendName): string {
  return AUTO_ORDER[platform]
    .filter((b) => b !== not)
    .map((b) => `'${b}'`)
    .join(', ');
}

/**
 * Turns a failed import of the native backend's package into an error that
 * says whether it is missing or installed without its native addon.
 */
export function explainNativeLoadFailure(error: unknown, specifier: string): BackendUnavailableError {
  const otherwise = `or choose ${otherChoices('node', 'tensorflow')}.`;
  if (isModuleNotFound(error, specifier)) {
    return new BackendUnavailableError(
      'tensorflow',
      `${specifier} is not installed.`,
      `Install it with \`npm install ${specifier}@${tf.version_core}\` (its install script downloads libtensorflow, so it needs internet), ${otherwise}`,
      { cause: error },
    );
  }
  return new BackendUnavailableError(
    'tensorflow',
    (messageOf(error).split('\n')[0] ?? '').trim(),
    `${specifier} is installed but its native addon did not load; its install script downloads libtensorflow and fails without internet. ` +
      `On a machine with internet run \`npm rebuild ${specifier}\` (or reinstall it), ${otherwise}`,
    { cause: error },
  );
}

function passOver(kind: 'adapter' | 'renderer', software: string): never {
  throw new SoftwareGpu(softwareSkipReason(kind, software), software);
}

/**
 * tfjs-backend-webgpu's WEBGPU_USE_LOW_POWER_GPU, the power preference it requests its adapter with; a user can only
 * have set it once the package registered it, so an unregistered flag is its default, false.
 */
function webgpuLowPower(): boolean {
  const registry = (tf.env() as unknown as { flagRegistry?: Record<string, unknown> }).flagRegistry;
  return registry?.WEBGPU_USE_LOW_POWER_GPU !== undefined && tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU');
}

/** What a backend tells before it starts: wasm, how to report its threads; a GPU backend, its adapter or renderer. */
interface Loaded {
  threads?: () => WasmThreadsReport;
  adapter?: WebGPUAdapterReport;
  renderer?: WebGLRendererReport;
}

/**
 * Imports a backend's package (registering it) and explains a failure. A GPU backend first asks the browser which GPU
 * it would get; with `passOverSoftware` a software one throws {@link SoftwareGpu} before its package is fetched.
 */
async function loadBackend(
  name: BackendName,
  platform: Platform,
  options: UseBackendOptions,
  passOverSoftware: boolean,
): Promise<Loaded> {
  switch (name) {
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return {};
    case 'wasm':
      return { threads: await prepareWasm(platform, options) };
    case 'webgl': {
      if (platform === 'node') {
        throw new BackendUnavailableError(
          'webgl',
          'WebGL needs a browser; Node.js has no WebGL context.',
          `In Node.js choose ${otherChoices(platform, 'webgl')} (or 'auto').`,
        );
      }
      const renderer = probeWebGL();
      if (passOverSoftware && renderer?.software) passOver('renderer', renderer.software);
      await import('@tensorflow/tfjs-backend-webgl');
      return renderer === null ? {} : { renderer };
    }
    case 'webgpu': {
      if (platform === 'node') {
        throw new BackendUnavailableError(
          'webgpu',
          'WebGPU needs a browser; Node.js has no navigator.gpu.',
          `In Node.js choose ${otherChoices(platform, 'webgpu')} (or 'auto').`,
        );
      }
      const adapter = await probeWebGPU(webgpuLowPower() ? 'low-power' : 'high-performance');
      if (passOverSoftware && adapter.software !== null) passOver('adapter', adapter.software);
      await import('@tensorflow/tfjs-backend-webgpu');
      return { adapter };
    }
    case 'tensorflow': {
      if (platform === 'browser') {
        throw new BackendUnavailableError(
          'tensorflow',
          'the native TensorFlow backend (@tensorflow/tfjs-node) runs only in Node.js.',
          `In the browser choose ${otherChoices(platform, 'tensorflow')} (or 'auto').`,
        );
      }
      // A variable specifier keeps browser bundlers from pulling in the native package.
      const specifier = '@tensorflow/tfjs-node';
      try {
        await import(/* @vite-ignore */ specifier);
      } catch (error) {
        throw explainNativeLoadFailure(error, specifier);
      }
      return {};
    }
  }
}

/**
 * Activates `name` and resolves to what its report adds. With `passOverSoftware` (`auto` with wasm still to try),
 * a GPU backend on a software renderer throws {@link SoftwareGpu} before its package is even imported.
 */
async function activate(
  name: BackendName,
  platform: Platform,
  options: UseBackendOptions,
  passOverSoftware = false,
): Promise<Details> {
  let loaded: Loaded;
  try {
    loaded = await loadBackend(name, platform, options, passOverSoftware);
  } catch (error) {
    if (error instanceof BackendUnavailableError || error instanceof SoftwareGpu) throw error;
    throw new BackendUnavailableError(
      name,
      `importing its package failed: ${messageOf(error)}`,
      `Check that @tensorflow/tfjs-backend-${name} ${tf.version_core} is installed, or choose another backend.`,
      { cause: error },
    );
  }
  if (tf.findBackendFactory(name) == null) {
    throw new BackendUnavailableError(
      name,
      'its package loaded but registered no backend of that name.',
      `Check that its version matches @tensorflow/tfjs-core ${tf.version_core}.`,
    );
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    throw new BackendUnavailableError(name, `it failed to initialize: ${messageOf(error)}`, 'Choose another backend.', {
      cause: error,
    });
  }
  if (!ok) {
    const hint =
      name === 'webgl'
        ? "This browser gave no usable WebGL context (hardware acceleration off, or blocked). Choose 'wasm' or 'cpu'."
        : name === 'wasm'
          ? "Its .wasm file could not be fetched or compiled; in the browser pass `wasmPaths` pointing at the folder that serves tfjs-backend-wasm's .wasm files."
          : 'Choose another backend.';
    throw new BackendUnavailableError(name, 'it failed to initialize.', hint);
  }
  await tf.ready();
  const threads = loaded.threads?.();
  return {
    ...(threads && { threads }),
    ...(loaded.adapter && { adapter: loaded.adapter }),
    ...(loaded.renderer && { renderer: loaded.renderer }),
  };
}

/**
 * Makes `request` the active backend and reports what was chosen.
 *
 * `auto` tries, fastest first, the native `tensorflow` backend, then `wasm`, then `cpu` in Node.js, and `webgpu`,
 * `webgl`, `wasm`, `cpu` in the browser; the report says why each faster one was skipped. A GPU backend whose
 * adapter or renderer is a software one (SwiftShader, llvmpipe, a WebGPU fallback adapter: see
 * `software-gpu.ts`) is moved behind `wasm`, which trains faster there, and the report says so
 * ("software renderer SwiftShader, wasm is faster here"); it is still tried before `cpu`. Asking for a specific
 * backend uses it as asked, software or not, and one that cannot load throws a {@link BackendUnavailableError}.
 */
export async function useBackend(
  request: BackendRequest = 'auto',
  options: UseBackendOptions = {},
): Promise<BackendReport> {
  const platform = detectPlatform();
  if (request !== 'auto' && !BACKEND_NAMES.includes(request)) {
    throw new BackendUnavailableError(
      String(request),
      'there is no backend of that name.',
      `Choose one of ${[...BACKEND_NAMES, 'auto'].map((b) => `'${b}'`).join(', ')}.`,
    );
  }
  checkThreads(options.threads);
  if (request !== 'auto') {
    const details = await activate(request, platform, options);
    return { backend: request, requested: request, platform, skipped: [], ...details };
  }
  const order = [...(options.candidates ?? AUTO_ORDER[platform])];
  // Insertion order is the order the report lists them in; a later reason replaces an earlier one.
  const skipped = new Map<BackendName, SkippedBackend>();
  const passedOver = new Set<BackendName>();
  for (let i = 0; i < order.length; i++) {
    const name = order[i] as BackendName;
    const wasmLater = order.indexOf('wasm', i + 1);
    try {
      const details = await activate(name, platform, options, wasmLater >= 0 && !passedOver.has(name));
      skipped.delete(name);
      return { backend: name, requested: 'auto', platform, skipped: [...skipped.values()], ...details };
    } catch (error) {
      if (error instanceof SoftwareGpu) {
        // Tried again right behind wasm, should wasm not load (a software GPU still beats cpu); each goes right
        // behind it, so webgl comes back before webgpu, which trains slower on SwiftShader (figures: layers README).
        passedOver.add(name);
        order.splice(wasmLater + 1, 0, name);
        skipped.set(name, { backend: name, reason: error.reason, software: error.software });
      } else {
        const reason = error instanceof BackendUnavailableError ? error.reason : messageOf(error);
        skipped.set(name, { backend: name, reason });
      }
    }
  }
  throw new BackendUnavailableError(
    'auto',
    `no backend could load: ${[...skipped.values()].map((s) => `${s.backend} (${s.reason})`).join('; ')}`,
    'Install @tensorflow/tfjs-backend-cpu, which runs everywhere.',
  );
}

/**
 * One line for logs and UIs: "wasm (auto; 2 threads: one per core (2 cores); skipped tensorflow: ...)", or for a
 * GPU "webgpu (requested; adapter google swiftshader, software: SwiftShader (fallback adapter))".
 */
export function describeBackend(report: BackendReport): string {
  const parts = [report.requested === 'auto' ? 'auto' : 'requested'];
  if (report.threads) {
    const { count, reason } = report.threads;
    parts.push(`${count} thread${count === 1 ? '' : 's'}: ${reason}`);
  }
  const gpu = report.adapter
    ? `adapter ${[report.adapter.vendor, report.adapter.architecture, report.adapter.description].filter((s) => s !== '').join(' ') || 'without a name'}`
    : report.renderer
      ? `renderer ${report.renderer.renderer}`
      : null;
  const software = report.adapter?.software ?? report.renderer?.software ?? null;
  if (gpu !== null) parts.push(software === null ? gpu : `${gpu}, software: ${software}`);
  if (report.skipped.length > 0) {
    parts.push(`skipped ${report.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
  }
  return `${report.backend} (${parts.join('; ')})`;
}
