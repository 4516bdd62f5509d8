/**
 * The threaded SIMD build of tfjs-backend-wasm in Node.js, which TensorFlow.js leaves off there (tfjs issue 3830):
 * its bundle hands Emscripten's pthread workers a `blob:` URL, which Node's `Worker` cannot open, and a copy of the
 * module that refers to the bundle's own variables. The package also ships the module as Emscripten built it
 * (`wasm-out/`), which supports Node; here its workers start from a real file (`wasm-pthread-worker.cjs`) and load
 * the module by its path, and the backend object is tfjs's own `BackendWasm` around it, with tfjs's kernels.
 *
 * Node.js only: imported by `useBackend` when a Node process asks for more than one thread.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
const BUILD = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd';

/** The pthread worker this package ships. */
export const PTHREAD_WORKER = fileURLToPath(new URL('./wasm-pthread-worker.cjs', import.meta.url));

/** How long the pool's workers may take to load the module before threads count as failed. */
const START_TIMEOUT_MS = 30_000;

/** Emscripten's worker bookkeeping, the part used here. */
interface PThreads {
  unusedWorkers: Worker[];
  runningWorkers: Worker[];
  loadWasmModuleToWorker(worker: Worker & { onerror?: (error: unknown) => void }, onLoaded?: unknown): void;
  terminateAllThreads(): void;
}

/** The Emscripten module of the threaded build, the part used here. */
export interface ThreadedWasmModule {
  PThread: PThreads;
  cwrap(name: string, returns: string | null, args: string[]): (...args: number[]) => unknown;
}

/** The cores this process may use, the most threads that can compute at once. */
export const cores = (): number => availableParallelism();

type WasmImports = Record<string, Record<string, unknown>>;
type Factory = (config: Record<string, unknown>) => Promise<ThreadedWasmModule>;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Loads the threaded build with a pool able to run `threads` threads, and resolves once every pool worker has the
 * module. Rejects, with every worker it started terminated, when a worker fails or exits first, or after
 * `timeoutMs`; Emscripten would otherwise rethrow a worker's error as an uncaught exception, or wait forever.
 */
export function startThreadedWasm(
  threads: number,
  { worker = PTHREAD_WORKER, timeoutMs = START_TIMEOUT_MS }: { worker?: string; timeoutMs?: number } = {},
): Promise<ThreadedWasmModule> {
  const factory = require(`${BUILD}.js`) as Factory;
  const wasmFile = require.resolve(`${BUILD}.wasm`);
  // The factory adds process-wide uncaughtException and unhandledRejection handlers, which rethrow.
  const handlers = () => [
    ...process.listeners('uncaughtException').map((listener) => ['uncaughtException', listener] as const),
    ...process.listeners('unhandledRejection').map((listener) => ['unhandledRejection', listener] as const),
  ];
  const handlersBefore = new Set(handlers().map(([, listener]) => listener));
  let factoryHandlers: ReturnType<typeof handlers> = [];
  const removeFactoryHandlers = () => {
    for (const [event, listener] of factoryHandlers) process.removeListener(event, listener);
  };

  return new Promise((resolve, reject) => {
    let state: 'starting' | 'started' | 'failed' = 'starting';
    let pthread: PThreads | undefined;
    const fail = (reason: string) => {
      if (state !== 'starting') return;
      state = 'failed';
      clearTimeout(timer);
      for (const w of [...(pthread?.unusedWorkers ?? []), ...(pthread?.runningWorkers ?? [])]) void w.terminate();
      removeFactoryHandlers();
      reject(new Error(reason));
    };
    const timer = setTimeout(() => fail(`its worker threads did not start within ${timeoutMs / 1000} s`), timeoutMs);

    const config: Record<string, unknown> = {
      locateFile: (path: string) => (path.endsWith('.worker.js') ? worker : path),
      instantiateWasm(
        imports: WasmImports,
        receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
      ) {
        // tfjs's C++ caps its pool at half the logical cores (for hyper-threading), so it is told twice the count.
        const env = { ...imports.env, emscripten_num_logical_cores: () => 2 * threads };
        readFile(wasmFile)
          .then((bytes) => WebAssembly.instantiate(bytes, { ...imports, env, wasi_snapshot_preview1: env }))
          .then(
            ({ instance, module }) => receive(instance, module),
            (error: unknown) => fail(`${wasmFile} did not load: ${messageOf(error)}`),
          );
        return {};
      },
      onAbort: (what: unknown) => fail(`it aborted: ${String(what)}`),
    };

    let ready: Promise<ThreadedWasmModule> | undefined;
    let loadError: unknown;
    try {
      ready = factory(config);
    } catch (error) {
      loadError = error;
    }
    factoryHandlers = handlers().filter(([, listener]) => !handlersBefore.has(listener));
    if (ready === undefined) {
      fail(`it did not load: ${messageOf(loadError)}`);
      return;
    }
    // The factory has created its pool of 8 workers synchronously; none has loaded anything yet. XNNPACK takes
    // threads - 1 of them (the calling thread computes too), once: the others end before they load the module.
    pthread = config.PThread as PThreads;
    for (const w of pthread.unusedWorkers.splice(threads - 1)) void w.terminate();
    const watch = (w: Worker) => {
      w.on('error', (error) => fail(`a worker thread failed: ${messageOf(error)}`));
      w.on('exit', (code) => fail(`a worker thread exited (code ${code}) before it started`));
    };
    for (const w of pthread.unusedWorkers) watch(w);
    const load = pthread.loadWasmModuleToWorker.bind(pthread);
    pthread.loadWasmModuleToWorker = (w, onLoaded) => {
      load(w, onLoaded);
      // Emscripten rethrows a worker's error; until the pool has started, `fail` has it instead.
      const rethrow = w.onerror;
      w.onerror = (error) => {
        if (state === 'started') rethrow?.(error);
      };
    };
    ready.then(
      (module) => {
        if (state !== 'starting') return;
        state = 'started';
        clearTimeout(timer);
        // Its handlers only rethrow, as Node does with none, but print a line of minified code and override the
        // application's own handlers.
        removeFactoryHandlers();
        resolve(module);
      },
      (error: unknown) => fail(`it did not start: ${messageOf(error)}`),
    );
  });
}

/**
 * tfjs's `BackendWasm` on the started module, computing on `threads` threads. Makes the pool's threads never keep
 * the process alive (Emscripten refs a worker while its thread runs, and XNNPACK's threads run until the end),
 * ends any spare worker, and turns a worker thread that exits while the backend is in use into an uncaught error:
 * the next parallel kernel would otherwise wait for it forever.
 */
export function threadedBackend(
  tfjsWasm: typeof import('#tfjs-backend-wasm'),
  module: ThreadedWasmModule,
  threads: number,
): BackendWasm {
  // tfjs's own loader adds this bridge to the module it loads.
  const withBridge = Object.assign(module, {
    tfjs: {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    },
  }) as unknown as ConstructorParameters<typeof BackendWasm>[0];
  tfjsWasm.setThreadsCount(threads);
  const backend = new tfjsWasm.BackendWasm(withBridge);

  const pthread = module.PThread;
  let stopping = false;
  const terminateAll = pthread.terminateAllThreads.bind(pthread);
  pthread.terminateAllThreads = () => {
    stopping = true;
    terminateAll();
  };
  for (const w of pthread.unusedWorkers.splice(0)) void w.terminate();
  for (const w of pthread.runningWorkers) {
    w.unref();
    w.on('exit', (code) => {
      if (!stopping) {
        throw new Error(
          `A worker thread of the wasm backend exited (code ${code}) while the backend was in use; ` +
            'the backend cannot compute without it. Restart the process.',
        );
      }
    });
  }
  return backend;
}
