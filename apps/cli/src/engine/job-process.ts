/**
 * A compare worker: a child process (Tinypool, one fresh process per config) that trains one config with
 * trainRun and returns its result. Progress goes to the parent as messages; the parent can ask for a stop,
 * and a Ctrl-C on the terminal (which reaches this process too) stops it the same way, as does the parent's death.
 */

import type { WasmThreads } from '@opt/tensor';
import { RunError, UsageError } from '../cli/errors.js';
import { stopOnSignals } from '../cli/signals.js';
import type { TrainConfig } from '../config/knobs.js';
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

export type JobOutcome =
  | { ok: true; result: RunResult }
  | { ok: false; error: { kind: 'usage' | 'failure' | 'not started'; message: string } };

/** A message between the parent and a worker (not Tinypool's own). */
export type WorkerMessage =
  | { opt: 'event'; pid: number; event: RunEvent }
  | { opt: 'stop'; signal: 'SIGINT' | 'SIGTERM' };

const FORWARDED = new Set<RunEvent['type']>(['start', 'epochEnd', 'advice', 'note', 'test']);

export default async function train(job: Job): Promise<JobOutcome> {
  const stop = stopOnSignals((line) => process.stderr.write(`[${job.label}] ${line.trim()}\n`));
  stop.watch(new RunDir(job.runDir).writableDirs);
  const onMessage = (message: unknown) => {
    const m = message as Partial<WorkerMessage> | null;
    if (m?.opt === 'stop' && m.signal !== undefined) stop.request(m.signal);
  };
  process.on('message', onMessage);
  // The parent is gone (killed outright): stop at the end of the step with a checkpoint, not train on for no one.
  const onDisconnect = () => stop.request('SIGTERM');
  process.once('disconnect', onDisconnect);
  try {
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
        if (FORWARDED.has(event.type))
          process.send?.({ opt: 'event', pid: process.pid, event } satisfies WorkerMessage);
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
