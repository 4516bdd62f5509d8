/**
 * `opt worker`'s loop: a BullMQ Worker that takes trials from the queue, trains each in its own child process
 * (compare's pool, so that a crash or a wasm out-of-memory abort ends that trial's process, not the worker) and
 * returns the trial's result as the job's return value.
 *
 * Faults, and what the queue does about them:
 * - This worker killed outright: its trials' children see their parent gone and stop at the end of the step with
 *   a checkpoint; the jobs' locks (`lockDuration`) are no longer renewed, and the next stalled-job check of any
 *   worker (`stalledInterval`) puts them back in the queue. Another worker then trains each from that checkpoint
 *   when it can reach the directory (the same machine), else from the start. A job that stalls more than
 *   `maxStalledCount` times fails.
 * - A trial that fails: a usage error (a config that cannot train on this data) fails at once, since every attempt
 *   would fail the same way; any other failure (a crashed process, a backend this machine lacks) is tried again
 *   after an exponential backoff, up to the sweep's attempts, perhaps on another worker.
 * - Redis restarting: the connections retry until it is back and the worker goes on; commands wait meanwhile, and
 *   a result that could not be stored is stored again every second. An outage longer than the lock loses the
 *   locks: the trials then go back to the queue, and a worker on the machine that trained one returns it from its
 *   directory without training it again.
 * - Ctrl-C or SIGTERM: the running trials stop at the end of their step with a checkpoint and go back to the queue
 *   (not counted as a failed attempt); the worker takes no more and exits.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { WasmThreads } from '@opt/tensor';
import { type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { runJobs } from '../engine/local-pool.js';
import { fixed } from '../ui/format.js';
import { epochLine } from '../ui/run-lines.js';
import { checkReachable, connectionOptions, watchConnection } from './connection.js';
import { QUEUE_NAME, type TrialJobData, type TrialProgress, type TrialReturn } from './queue.js';
import type { QueueUrl } from './redis-url.js';
import type { TrialOutcome } from './trial-worker.js';

const TRIAL_WORKER = new URL('./trial-worker.js', import.meta.url).href;

export interface SweepWorkerOptions {
  readonly url: QueueUrl;
  /** Trials trained at once, each in its own process. */
  readonly concurrency: number;
  /** The wasm backend's threads in each trial's process. */
  readonly threads: WasmThreads;
  /** Where the trials' run directories go: `<dir>/<job id>`. */
  readonly dir: string;
  /** This machine's copy of the data, used instead of the trials' own `dataDir`. */
  readonly dataDir: string | null;
  /** The worker's name in the queue and in results. */
  readonly name: string;
  readonly lockSeconds: number;
  readonly stalledSeconds: number;
  readonly maxStalledCount: number;
  /** The command line (redacted) stored in each run's config.json. */
  readonly command: readonly string[];
  /** Aborting stops the running trials at the end of their step, puts them back in the queue and ends the loop. */
  readonly signal: AbortSignal;
  /** Kept up to date with the trial processes' ids. */
  readonly pids: Set<number>;
  readonly say: (line: string) => void;
}

export async function runSweepWorker(options: SweepWorkerOptions): Promise<{ trained: number; failed: number }> {
  const { url, say, signal } = options;
  await checkReachable(url);
  const redis = new Redis(connectionOptions(url));
  watchConnection(redis, Promise.resolve(redis), url, say);
  let trained = 0;
  let failed = 0;

  const processor = async (job: Job<TrialJobData, TrialReturn>, token?: string): Promise<TrialReturn> => {
    const started = performance.now();
    const { label } = job.data;
    const jobId = job.id as string;
    const config = options.dataDir !== null ? { ...job.data.config, dataDir: options.dataDir } : job.data.config;
    const attempts = job.opts.attempts ?? 1;
    say(
      `[${label}] started: attempt ${job.attemptsMade + 1} of ${attempts}${job.stalledCounter > 0 ? ` (its worker stopped answering ${job.stalledCounter === 1 ? 'once' : `${job.stalledCounter} times`})` : ''}`,
    );
    const progress = (p: Omit<TrialProgress, 'worker'>) => {
      job.updateProgress({ worker: options.name, ...p }).catch(() => {}); // progress is best effort
    };
    let resumedFrom: TrialReturn['resumedFrom'] = null;
    const [outcome] = (await runJobs(
      [
        {
          label,
          config,
          runDir: join(options.dir, jobId),
          resume: false, // the trial worker decides from what the directory holds
          note: null,
          command: options.command,
          warnings: job.data.warnings,
        },
      ],
      {
        workers: 1,
        threads: options.threads,
        filename: TRIAL_WORKER,
        signal,
        pids: options.pids,
        onEvent: (_, event) => {
          if (event.type === 'start') {
            if (event.initialEpoch > 0 || event.resumedAtStep > 0) {
              resumedFrom = { epoch: event.initialEpoch, step: event.resumedAtStep };
              say(
                `[${label}] resuming from the checkpoint at epoch ${event.initialEpoch + 1}, step ${event.resumedAtStep + 1}`,
              );
            }
            progress({ epoch: event.initialEpoch, epochs: event.epochs });
          } else if (event.type === 'epochEnd') {
            const e = event.entry;
            say(epochLine(event, `[${label}]`));
            progress({ epoch: e.epoch, epochs: event.epochs });
          }
        },
      },
    )) as TrialOutcome[];
    if (
      outcome === undefined ||
      (!outcome.ok && outcome.error.kind === 'not started') ||
      (outcome.ok && outcome.result.status === 'interrupted')
    ) {
      // Stopped by Ctrl-C or SIGTERM here: back to the queue, not counted as a failed attempt.
      say(`[${label}] stopped; back in the queue`);
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (!outcome.ok) {
      failed++;
      const retry = outcome.error.kind !== 'usage' && job.attemptsMade + 1 < attempts;
      say(`[${label}] failed: ${outcome.error.message}${retry ? ' (to be tried again)' : ''}`);
      if (outcome.error.kind === 'usage') throw new UnrecoverableError(outcome.error.message);
      throw new Error(outcome.error.message);
    }
    trained++;
    const { result, trial } = outcome;
    say(
      `[${label}] ${result.status}${trial.reused ? ' (already trained in this worker directory)' : ''}: test accuracy ${fixed(result.test?.accuracy)}`,
    );
    return {
      format: 'opt.sweep.trial-result.v1',
      label,
      jobId,
      worker: { id: options.name, host: hostname(), pid: process.pid },
      backend: result.backend,
      status: result.status,
      reused: trial.reused,
      resumedFrom,
      weightsSha256: trial.weightsSha256,
      seconds: (performance.now() - started) / 1000,
      record: trial.record,
      history: trial.history,
      result,
    };
  };

  const worker = new Worker<TrialJobData, TrialReturn>(QUEUE_NAME, processor, {
    connection: redis,
    name: options.name,
    concurrency: options.concurrency,
    lockDuration: options.lockSeconds * 1000,
    stalledInterval: options.stalledSeconds * 1000,
    maxStalledCount: options.maxStalledCount,
    // A result that could not be stored (Redis restarting) is stored again every second, not after BullMQ's
    // default 15 s: the job's lock is no longer renewed once its processor returned, and must not expire first.
    runRetryDelay: Math.min(1000, (options.lockSeconds * 1000) / 4),
    autorun: false,
  });
  worker.on('error', () => {}); // connection errors are said once per outage by watchConnection
  worker.on('stalled', (jobId) => say(`trial ${jobId}: its worker stopped answering; back in the queue`));
  const running = worker.run();
  await worker.waitUntilReady();
  say(
    `worker ${options.name}: taking trials from ${url.redacted}, up to ${options.concurrency} at a time, into ${options.dir} (lock ${options.lockSeconds} s, stalled check every ${options.stalledSeconds} s)`,
  );
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  say(`worker ${options.name}: stopping (the running trials stop after their current step and go back to the queue)`);
  await worker.close();
  await running;
  redis.disconnect();
  return { trained, failed };
}
