/**
 * A compare worker: a child process (Tinypool, one fresh process per job) that trains one config with
 * trainRun and returns its result, or (a job of kind 'lr-find') runs `opt lr-find`'s range test into a directory.
 * Progress goes to the parent as messages; the parent can ask for a stop, and a Ctrl-C on the terminal (which
 * reaches this process too) stops it the same way, as does the parent's death.
 */

import type { WasmThreads } from '@opt/tensor';
import { RunError, UsageError } from '../cli/errors.js';
import { stopOnSignals } from '../cli/signals.js';
import type { TrainConfig } from '../config/knobs.js';
import { findLearningRate, LR_FIND_DEFAULTS, type LrFindResult, writeLrFind } from '../run/lr-find.js';
import { RunDir } from '../run/run-dir.js';
import { type RunEvent, type RunResult, trainRun } from '../run/train-run.js';

// stdout belongs to the parent's report (its --json document): anything said here goes to stderr.
console.log = console.error;

export interface Job {
  readonly label: string;
  readonly config: TrainConfig;
  readonly runDir: string;
  readonly resume: boolean;
  readonly note: string | null;
  readonly command: readonly string[];
  readonly warnings: readonly string[];
  /** The wasm backend's threads in this process (runJobs sets it: the cores shared among the workers). */
  readonly threads?: WasmThreads;
}

/** `opt lr-find` as a job: the range test of `config` over `steps` steps, written to `dir` (lr-find.json, chart). */
export interface LrRangeTestJob {
  readonly kind: 'lr-find';
  readonly label: string;
  readonly config: TrainConfig;
  readonly dir: string;
  readonly steps: number;
  /** The wasm backend's threads in this process (runJobs sets it). */
  readonly threads?: WasmThreads;
}

/** A job that failed, or did not start. */
export type JobFailure = { ok: false; error: { kind: 'usage' | 'failure' | 'not started'; message: string } };
/** How a job ended: its result, or why it has none. */
export type Outcome<R> = { ok: true; result: R } | JobFailure;
export type JobOutcome = Outcome<RunResult>;
/** A range test's result; null when stopped (nothing written, so the next call runs it again). */
export type LrRangeTestOutcome = Outcome<LrFindResult | null>;

/** A message between the parent and a worker (not Tinypool's own). */
export type WorkerMessage =
  | { opt: 'event'; pid: number; event: RunEvent }
  | { opt: 'stop'; signal: 'SIGINT' | 'SIGTERM' };

const FORWARDED = new Set<RunEvent['type']>(['start', 'epochEnd', 'advice', 'note', 'test']);

/** Runs one job (Tinypool calls this export in the job's own process). */
export default function runJob(job: Job): Promise<JobOutcome>;
export default function runJob(job: LrRangeTestJob): Promise<LrRangeTestOutcome>;
export default async function runJob(job: Job | LrRangeTestJob): Promise<JobOutcome | LrRangeTestOutcome> {
  const stop = stopOnSignals((line) => process.stderr.write(`[${job.label}] ${line.trim()}\n`));
  const dir = new RunDir('kind' in job ? job.dir : job.runDir);
  stop.watch(dir.writableDirs);
  const onMessage = (message: unknown) => {
    const m = message as Partial<WorkerMessage> | null;
    if (m?.opt === 'stop' && m.signal !== undefined) stop.request(m.signal);
  };
  process.on('message', onMessage);
  // The parent is gone (killed outright): stop at the end of the step with a checkpoint, not train on for no one.
  const onDisconnect = () => stop.request('SIGTERM');
  process.once('disconnect', onDisconnect);
  const send = (event: RunEvent) => process.send?.({ opt: 'event', pid: process.pid, event } satisfies WorkerMessage);
  try {
    if ('kind' in job) {
      // The pool learns this process's id (to stop it) from its first message.
      send({ type: 'note', message: `lr-find: ${job.steps} steps` });
      const result = await findLearningRate(job.config, {
        ...LR_FIND_DEFAULTS,
        steps: job.steps,
        threads: job.threads ?? 'auto',
        signal: stop.signal,
      });
      if (stop.signal.aborted) return { ok: true, result: null };
      await writeLrFind(dir, result);
      return { ok: true, result };
    }
    const result = await trainRun({
      config: job.config,
      runDir: job.runDir,
      resume: job.resume,
      note: job.note,
      command: job.command,
      warnings: job.warnings,
      ...(job.threads !== undefined ? { threads: job.threads } : {}),
      signal: stop.signal,
      onEvent: (event) => {
        if (FORWARDED.has(event.type)) send(event);
      },
    });
    return { ok: true, result };
  } catch (error) {
    const kind = error instanceof UsageError ? 'usage' : 'failure';
    const message =
      error instanceof UsageError || error instanceof RunError
        ? error.message
        : error instanceof Error
          ? error.message
          : String(error);
    return { ok: false, error: { kind, message } };
  } finally {
    process.off('message', onMessage);
    process.off('disconnect', onDisconnect);
    stop.dispose();
  }
}
