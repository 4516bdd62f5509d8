/**
 * The engine of `opt compare`, a local `opt sweep` and `pnpm experiments`: a plan of runs (plan.ts) goes to an
 * executor, here the local process pool (local-pool.ts, one `opt` job process per run: job-process.ts), and ends
 * as a compare directory (compare-dir.ts). The queue is the other executor: `opt sweep --queue` hands the same
 * plan to `opt worker` processes and writes the same directory from their results (sweep/results.ts).
 */
import { performance } from 'node:perf_hooks';
import type { WasmThreads } from '@opt/tensor';
import type { RunEvent } from '../run/train-run.js';
import { type CompareReport, finishCompare, type PrepareOptions, prepareCompare } from './compare-dir.js';
import type { JobOutcome } from './job-process.js';
import { runJobs } from './local-pool.js';

export interface RunPlanOptions extends PrepareOptions {
  readonly workers: number;
  /** The wasm backend's threads per worker process (default: the cores shared among the workers). */
  readonly threads?: WasmThreads;
  /** Aborting stops every running config at the end of its current step (with a checkpoint) and starts no more. */
  readonly signal?: AbortSignal;
  /** Kept up to date with the running workers' process ids (engine/children.ts). */
  readonly pids?: Set<number>;
  readonly onEvent?: (label: string, event: RunEvent) => void;
  readonly onEnd?: (label: string, outcome: JobOutcome) => void;
}

/** Trains what the compare directory still lacks of the plan in the local pool, then writes its rows and charts. */
export async function runPlan(options: RunPlanOptions): Promise<CompareReport> {
  const prepared = await prepareCompare(options);
  const { jobs } = prepared;
  const started = performance.now();
  const ran = await runJobs(
    jobs.map((j) => j.job),
    {
      workers: options.workers,
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.pids !== undefined ? { pids: options.pids } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      onEvent: (i, event) => options.onEvent?.(jobs[i]?.job.label ?? '?', event),
      onEnd: (i, outcome) => options.onEnd?.(jobs[i]?.job.label ?? '?', outcome),
    },
  );
  return finishCompare(prepared, ran, {
    target: options.target,
    workers: options.workers,
    wallSeconds: (performance.now() - started) / 1000,
    stopped: options.signal?.aborted === true,
  });
}
