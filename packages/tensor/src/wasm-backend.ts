/**
 * The wasm backend and how many threads it computes on. XNNPACK, which runs the wasm backend's matrix products,
 * splits them over a pool of threads in tfjs-backend-wasm's threaded SIMD build. In the browser tfjs starts that
 * build itself on a cross-origin isolated page; in Node.js it never does, and `./wasm-threads-node.ts` does.
 */
import * as tf from '#tfjs-core';
import { BackendUnavailableError } from './backend-error.js';

/** Threads for the wasm backend: `'auto'` for one per core (at most {@link MAX_WASM_THREADS}), or a count. */
export type WasmThreads = 'auto' | number;

/** The most threads: the pool of workers tfjs-backend-wasm's threaded build starts with. */
export const MAX_WASM_THREADS = 8;

/** tfjs-backend-wasm's own priority for 'wasm'. */
const WASM_PRIORITY = 2;
/** Node.js only; a variable specifier keeps browser bundlers from pulling it in. */
const nodeThreadsModule = './wasm-threads-node.js';

/** How many threads the wasm backend got, and why. */
export interface WasmThreadsReport {
  /** Threads XNNPACK computes on, the calling thread included; 1 is the single-threaded build. */
  readonly count: number;
  readonly requested: WasmThreads;
  /** Why `count`: the cores seen, or why threads could not start. */
  readonly reason: string;
}

export interface WasmOptions {
  /** See {@link UseBackendOptions}. */
  wasmPaths?: string;
  threads?: WasmThreads;
  wasmThreadWorker?: string;
}

type Platform = 'node' | 'browser';
type Factory = () => tf.KernelBackend | Promise<tf.KernelBackend>;
type TfjsWasm = typeof import('#tfjs-backend-wasm');
type NodeThreads = typeof import('./wasm-threads-node.js');

/** Throws a TypeError that says what `threads` may be, unless it is one of those. */
export function checkThreads(threads: unknown): asserts threads is WasmThreads | undefined {
  if (threads === undefined || threads === 'auto') return;
  if (typeof threads === 'number' && Number.isInteger(threads) && threads >= 1 && threads <= MAX_WASM_THREADS) return;
  throw new TypeError(
    `useBackend: \`threads\` must be 'auto' or an integer from 1 to ${MAX_WASM_THREADS}, got ${JSON.stringify(threads) ?? String(threads)}.`,
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** tfjs's own factory for 'wasm' (the single-threaded build in Node), kept to register again after a removal. */
let tfjsFactory: Factory | null = null;
/** The report of the wasm backend `useBackend` started last, and which backend object it describes. */
let started: { backend: tf.KernelBackend; report: WasmThreadsReport } | undefined;

/** How many threads to ask for, and why, before anything starts. */
function plan(requested: WasmThreads, cores: number): { count: number; reason: string } {
  if (requested !== 'auto') {
    const more = requested > cores ? `, more than the ${plural(cores, 'core')} here` : '';
    return { count: requested, reason: `${requested} requested${more}` };
  }
  const count = Math.min(cores, MAX_WASM_THREADS);
  if (count === 1) return { count, reason: '1 core here' };
  return {
    count,
    reason: cores > count ? `one per core, at most ${count} (${cores} cores)` : `one per core (${cores} cores)`,
  };
}

/**
 * Imports tfjs-backend-wasm and registers as 'wasm' the build that computes on the threads asked for: in Node.js
 * with more than one thread, the threaded build started by `./wasm-threads-node.ts`, or tfjs's single-threaded build
 * with the reason when it cannot start. Resolves to what reports the threads once `tf.setBackend('wasm')` is done.
 * A wasm backend already running keeps its threads: asking for another count throws.
 */
export async function prepareWasm(platform: Platform, options: WasmOptions): Promise<() => WasmThreadsReport> {
  const requested = options.threads ?? 'auto';
  const tfjsWasm: TfjsWasm = await import('#tfjs-backend-wasm');
  if (options.wasmPaths !== undefined) tfjsWasm.setWasmPaths(options.wasmPaths);
  // Importing the package registers tfjs's factory once; it is gone after tf.removeBackend('wasm').
  tfjsFactory ??= tf.findBackendFactory('wasm');

  const running = tf.findBackend('wasm');
  if (running != null) {
    const count = tfjsWasm.getThreadsCount();
    if (typeof requested === 'number' && requested !== count) {
      throw new BackendUnavailableError(
        'wasm',
        `it is already running on ${plural(count, 'thread')}, and its thread count is fixed once it starts.`,
        `Ask for { threads: ${count} } or 'auto', or call tf.removeBackend('wasm') first (it frees every tensor on it).`,
      );
    }
    const report =
      started?.backend === running ? started.report : { count, requested, reason: 'already started by tf.setBackend' };
    return () => report;
  }

  const node: NodeThreads | undefined =
    platform === 'node' ? await import(/* @vite-ignore */ nodeThreadsModule) : undefined;
  const cores =
    node?.cores() ??
    (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ??
    1;
  let { count, reason } = plan(requested, cores);
  let factory = tfjsFactory;
  if (node !== undefined && count > 1) {
    try {
      const module = await node.startThreadedWasm(
        count,
        options.wasmThreadWorker !== undefined ? { worker: options.wasmThreadWorker } : {},
      );
      const threads = count;
      factory = () => node.threadedBackend(tfjsWasm, module, threads);
    } catch (error) {
      reason = `${reason}, but threads could not start (${messageOf(error)}), so it runs the single-threaded build`;
      count = 1;
    }
  }
  tfjsWasm.setThreadsCount(count);
  if (factory != null) {
    if (tf.findBackendFactory('wasm') != null) tf.removeBackend('wasm');
    tf.registerBackend('wasm', factory, WASM_PRIORITY);
  }

  return () => {
    const got = tfjsWasm.getThreadsCount();
    const why =
      got === count ? reason : platform === 'browser' ? browserShortfall(count) : `${count} asked, but ${got} started`;
    const report = { count: got, requested, reason: why };
    const backend = tf.findBackend('wasm');
    if (backend != null) started = { backend, report };
    return report;
  };
}

/** Why tfjs gave the page fewer threads than it was asked for. */
function browserShortfall(asked: number): string {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return isolated
    ? `${asked} asked, but tfjs-backend-wasm uses at most half the logical cores in the browser`
    : `${asked} asked, but the page is not cross-origin isolated (no SharedArrayBuffer), so tfjs runs its single-threaded build`;
}
