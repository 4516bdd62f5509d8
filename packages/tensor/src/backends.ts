/**
 * Backends as plugins: tfjs-core computes, a backend package supplies the
 * kernels, and the application chooses which one. A backend's package is
 * imported only when it is chosen.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from './backend-error.js';
import { checkThreads, prepareWasm, type WasmThreads, type WasmThreadsReport } from './wasm-backend.js';

export { BackendUnavailableError } from './backend-error.js';
export { MAX_WASM_THREADS, type WasmThreads, type WasmThreadsReport } from './wasm-backend.js';

/** A backend that can run kernels. */
export type BackendName = 'cpu' | 'wasm' | 'webgl' | 'tensorflow';
/** What an application may ask for: a backend, or `auto` for the fastest that loads. */
export type BackendRequest = BackendName | 'auto';

export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'wasm', 'webgl', 'tensorflow'];

/** Where code runs, which decides which backends can load and in what order `auto` tries them. */
export type Platform = 'node' | 'browser';

/** Fastest first: the order in which `auto` tries backends. */
export const AUTO_ORDER: Readonly<Record<Platform, readonly BackendName[]>> = {
  node: ['tensorflow', 'wasm', 'cpu'],
  browser: ['webgl', 'wasm', 'cpu'],
};

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

/** What {@link useBackend} chose, and why each faster backend was skipped. */
export interface BackendReport {
  /** The active backend. */
  readonly backend: BackendName;
  readonly requested: BackendRequest;
  readonly platform: Platform;
  /** Backends `auto` tried before the chosen one, each with the reason it could not load. */
  readonly skipped: ReadonlyArray<{ readonly backend: BackendName; readonly reason: string }>;
  /** wasm only: the threads it computes on and why. */
  readonly threads?: WasmThreadsReport;
}

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

/**
 * Imports a backend's package (registering it) and explains a failure. For wasm, resolves to what reports its
 * threads once it is initialized.
 */
async function loadBackend(
  name: BackendName,
  platform: Platform,
  options: UseBackendOptions,
): Promise<(() => WasmThreadsReport) | undefined> {
  switch (name) {
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return;
    case 'wasm':
      return prepareWasm(platform, options);
    case 'webgl':
      if (platform === 'node') {
        throw new BackendUnavailableError(
          'webgl',
          'WebGL needs a browser; Node.js has no WebGL context.',
          `In Node.js choose ${otherChoices(platform, 'webgl')} (or 'auto').`,
        );
      }
      await import('@tensorflow/tfjs-backend-webgl');
      return;
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
      return;
    }
  }
}

/** Activates `name`; for wasm, resolves to its threads. */
async function activate(
  name: BackendName,
  platform: Platform,
  options: UseBackendOptions,
): Promise<WasmThreadsReport | undefined> {
  let threads: (() => WasmThreadsReport) | undefined;
  try {
    threads = await loadBackend(name, platform, options);
  } catch (error) {
    if (error instanceof BackendUnavailableError) throw error;
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
  return threads?.();
}

/**
 * Makes `request` the active backend and reports what was chosen.
 *
 * `auto` tries, fastest first, the native `tensorflow` backend, then `wasm`,
 * then `cpu` in Node.js, and `webgl`, `wasm`, `cpu` in the browser; the report
 * says why each faster one was skipped. Asking for a specific backend that
 * cannot load throws a {@link BackendUnavailableError}.
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
    const threads = await activate(request, platform, options);
    return { backend: request, requested: request, platform, skipped: [], ...(threads && { threads }) };
  }
  const candidates = options.candidates ?? AUTO_ORDER[platform];
  const skipped: Array<{ backend: BackendName; reason: string }> = [];
  for (const name of candidates) {
    try {
      const threads = await activate(name, platform, options);
      return { backend: name, requested: 'auto', platform, skipped, ...(threads && { threads }) };
    } catch (error) {
      skipped.push({
        backend: name,
        reason: error instanceof BackendUnavailableError ? error.reason : messageOf(error),
      });
    }
  }
  throw new BackendUnavailableError(
    'auto',
    `no backend could load: ${skipped.map((s) => `${s.backend} (${s.reason})`).join('; ')}`,
    'Install @tensorflow/tfjs-backend-cpu, which runs everywhere.',
  );
}

/** One line for logs and UIs: "wasm (auto; 2 threads: one per core (2 cores); skipped tensorflow: ...)". */
export function describeBackend(report: BackendReport): string {
  const parts = [report.requested === 'auto' ? 'auto' : 'requested'];
  if (report.threads) {
    const { count, reason } = report.threads;
    parts.push(`${count} thread${count === 1 ? '' : 's'}: ${reason}`);
  }
  if (report.skipped.length > 0) {
    parts.push(`skipped ${report.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
  }
  return `${report.backend} (${parts.join('; ')})`;
}
