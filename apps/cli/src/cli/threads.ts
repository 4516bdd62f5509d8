/**
 * `--threads`: how many threads the wasm backend computes on in each training process. It changes where the
 * arithmetic runs, not what is trained, so it is not a knob of the run's config (nor of its id).
 *
 * Several training processes at once (compare's and sweep's workers) share the cores: unless told otherwise
 * each gets cores / processes threads, at least one, because wasm threads that outnumber the cores wait on
 * each other and train slower than one thread each. `$OPT_THREADS` sets the default for every command, as
 * OMP_NUM_THREADS does for OpenMP programs: for machines that run other work beside `opt` (a CI runner, a test suite).
 */
import { availableParallelism } from 'node:os';
import { MAX_WASM_THREADS, type WasmThreads } from '@opt/tensor';
import { UsageError } from './errors.js';

export const THREADS_HELP = `the wasm backend's threads per training process: auto or 1 to ${MAX_WASM_THREADS} (1: the single-threaded build; default $OPT_THREADS, else auto: one per core, shared among parallel processes)`;

/** The flag's text, checked; undefined when it was not given. */
export function parseThreads(text: string | undefined): WasmThreads | undefined {
  if (text === undefined || text === 'auto') return text;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS)
    throw new UsageError(
      `--threads must be auto or an integer from 1 to ${MAX_WASM_THREADS}, got "${text}".`,
      '--threads',
      text,
    );
  return n;
}

/** `$OPT_THREADS`, checked like the flag; undefined when unset or empty. */
export function threadsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): WasmThreads | undefined {
  const text = env.OPT_THREADS;
  if (text === undefined || text === '') return undefined;
  try {
    return parseThreads(text);
  } catch {
    throw new UsageError(
      `OPT_THREADS must be auto or an integer from 1 to ${MAX_WASM_THREADS}, got "${text}": fix it, or unset it for the default.`,
      'OPT_THREADS',
      text,
    );
  }
}

/** The threads of each of `processes` training processes running at once: `requested` if given. */
export function threadsPerProcess(processes: number, requested?: WasmThreads): WasmThreads {
  if (requested !== undefined) return requested;
  if (processes <= 1) return 'auto';
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(availableParallelism() / processes)));
}

/**
 * The flag's text, checked, for runs on `backends`: `--threads` with a backend that is not wasm would be ignored,
 * so it is refused instead.
 */
export function threadsFor(text: string | undefined, backends: readonly string[]): WasmThreads | undefined {
  const threads = parseThreads(text);
  const other = backends.find((b) => b !== 'wasm' && b !== 'auto');
  // $OPT_THREADS is a default: it applies where the runs are on wasm, and is not an error elsewhere.
  if (threads === undefined) return other === undefined ? threadsFromEnv() : undefined;
  if (other !== undefined)
    throw new UsageError(
      `--threads sets the wasm backend's threads, and --backend ${other} takes none: leave out --threads, or train on --backend wasm.`,
      '--threads',
    );
  return threads;
}
