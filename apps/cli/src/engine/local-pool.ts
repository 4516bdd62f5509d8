/**
 * Runs jobs in parallel worker processes: Tinypool with the child_process runtime and a fresh process per job.
 *
 * Why processes, and a fresh one each time: a TensorFlow.js backend is a process-wide singleton (the engine,
 * its kernel registry, the wasm module and the process-wide exception handlers the wasm backend installs), so
 * threads would share one backend, and a wasm abort (out of memory) would poison every later run in that
 * process. One process per config isolates them exactly as separate `opt train` commands would, and its
 * cost (about a second to start) is small beside a training run. Tinypool gives that (`isolateWorkers`), a
 * message channel for progress and stop requests, and `cancelPendingTasks` for the queue.
 */
import { availableParallelism } from 'node:os';
import type { WasmThreads } from '@opt/tensor';
import { Tinypool } from 'tinypool';
import { threadsPerProcess } from '../cli/threads.js';
import type { LrFindResult } from '../run/lr-find.js';
import type { RunEvent, RunResult } from '../run/train-run.js';
import type { Job, JobFailure, LrRangeTestJob, Outcome, WorkerMessage } from './job-process.js';

/** `R`: what a job's result is (a training run's RunResult, or a range test's). */
export interface PoolOptions<R = RunResult> {
  readonly workers: number;
  /** Progress of each job, by its index in `jobs`. */
  readonly onEvent?: (index: number, event: RunEvent) => void;
  /** Called when a job has ended. */
  readonly onEnd?: (index: number, outcome: Outcome<R>) => void;
  /** Kept up to date with the process ids of the running jobs (to stop them at once on a forced exit). */
  readonly pids?: Set<number>;
  /** Aborting stops the running jobs at the end of their current step and starts no more. */
  readonly signal?: AbortSignal;
  /** The worker module (default `./job-process.js`, one `trainRun` per job); another must answer like it. */
  readonly filename?: string;
  /** The wasm backend's threads in each job (default: the cores shared among the jobs running at once). */
  readonly threads?: WasmThreads;
}

export const defaultWorkers = (): number => availableParallelism();

const NOT_STARTED: JobFailure = {
  ok: false,
  error: { kind: 'not started', message: 'the compare was stopped before this config started' },
};

/** Runs `jobs` (trainings, or lr-find range tests: the same processes, stops and ids) and returns their outcomes. */
export function runJobs(jobs: readonly Job[], options: PoolOptions): Promise<Outcome<RunResult>[]>;
export function runJobs(
  jobs: readonly LrRangeTestJob[],
  options: PoolOptions<LrFindResult | null>,
): Promise<Outcome<LrFindResult | null>[]>;
export async function runJobs<R>(
  jobs: readonly (Job | LrRangeTestJob)[],
  options: PoolOptions<R>,
): Promise<Outcome<R>[]> {
  const processes = Math.max(1, Math.min(options.workers, jobs.length));
  const threads = threadsPerProcess(processes, options.threads);
  const pool = new Tinypool({
    runtime: 'child_process',
    filename: options.filename ?? new URL('./job-process.js', import.meta.url).href,
    isolateWorkers: true,
    minThreads: 0,
    maxThreads: processes,
    // Tinypool gives a child process only the env passed here (else only its worker id).
    env: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
  });
  const senders = new Map<number, (message: WorkerMessage) => void>();
  const aborted = (): boolean => options.signal?.aborted === true;
  const stopReason = () => (options.signal?.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  const onAbort = () => {
    pool.cancelPendingTasks();
    for (const send of senders.values()) send({ opt: 'stop', signal: stopReason() });
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.all(
      jobs.map(async (job, index): Promise<Outcome<R>> => {
        const listeners: Array<(message: unknown) => void> = [];
        let started = false;
        let pid: number | null = null;
        const channel = {
          onMessage: (listener: (message: unknown) => void) => {
            listeners.push(listener);
          },
          postMessage: (message: unknown) => {
            const m = message as Partial<WorkerMessage> | null;
            if (m?.opt !== 'event' || m.event === undefined) return;
            if (!started) {
              started = true;
              pid = m.pid ?? null;
              if (pid !== null) options.pids?.add(pid);
              senders.set(index, (out) => {
                for (const l of listeners) l(out);
              });
              // A stop asked for while this job was starting.
              if (aborted()) senders.get(index)?.({ opt: 'stop', signal: stopReason() });
            }
            options.onEvent?.(index, m.event);
          },
        };
        if (aborted()) return NOT_STARTED;
        let outcome: Outcome<R>;
        try {
          outcome = (await pool.run({ threads, ...job }, { channel })) as Outcome<R>;
        } catch (error) {
          outcome =
            aborted() && !started
              ? NOT_STARTED
              : {
                  ok: false,
                  error: { kind: 'failure', message: `the worker process failed: ${(error as Error).message}` },
                };
        } finally {
          senders.delete(index);
          if (pid !== null) options.pids?.delete(pid);
        }
        options.onEnd?.(index, outcome);
        return outcome;
      }),
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await pool.destroy();
  }
}
