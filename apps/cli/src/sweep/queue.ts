/**
 * The sweep's queue on Redis: one BullMQ queue of trials (`opt-trials`) shared by every sweep, whose job id is
 * the trial's config id, so that the same trial is queued once however often a sweep (or another sweep with the
 * same trial) is added; and one small record per sweep (`opt:sweep:<id>`: its name and its trials' labels, job
 * ids and configs) from which `opt sweep status` and `results` read the sweep's state on any machine.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { TrainConfig } from '../config/knobs.js';
import type { RunRecord } from '../run/run-dir.js';
import type { HistoryFile, RunResult } from '../run/run-types.js';
import { checkReachable, connectionOptions, watchConnection } from './connection.js';
import type { QueueUrl } from './redis-url.js';
import { SWEEP_FORMAT, type Sweep } from './spec.js';

export const QUEUE_NAME = 'opt-trials';
const SWEEPS = 'opt:sweeps';
const sweepKey = (id: string) => `opt:sweep:${id}`;

/** What a trial's job carries. */
export interface TrialJobData {
  format: 'opt.sweep.trial-job.v1';
  label: string;
  config: TrainConfig;
  warnings: string[];
}

/** Where a running trial is, as its worker reports it (the job's progress). */
export interface TrialProgress {
  worker: string;
  epoch: number;
  epochs: number;
}

/** What a worker returns for a trial (the job's return value): the run, where and how it was trained. */
export interface TrialReturn {
  format: 'opt.sweep.trial-result.v1';
  label: string;
  jobId: string;
  worker: { id: string; host: string; pid: number };
  backend: string;
  status: RunResult['status'];
  /** The trial was already complete in the worker's trial directory: its result was returned as it was. */
  reused: boolean;
  /** Where this attempt started: a checkpoint (epoch, step) or null for the initial weights. */
  resumedFrom: { epoch: number; step: number } | null;
  /** sha256 of the final checkpoint's weights file (weights and optimizer state). */
  weightsSha256: string | null;
  /** Seconds from the worker taking the job to returning it (process start, data, training, test). */
  seconds: number;
  record: RunRecord;
  history: HistoryFile;
  result: RunResult;
}

/** How a trial's job is retried when it fails for a reason that another attempt may not have. */
export interface Attempts {
  attempts: number;
  backoffSeconds: number;
}

/** The sweep as stored in Redis. */
export interface SweepRecord {
  format: typeof SWEEP_FORMAT;
  id: string;
  name: string;
  file: string;
  createdAt: string;
  attempts: Attempts;
  trials: Array<{ label: string; jobId: string; config: TrainConfig }>;
}

export type TrialStateName = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed' | 'missing';

export interface TrialState {
  label: string;
  jobId: string;
  state: TrialStateName;
  /** The worker holding it (active), or that returned it (completed). */
  worker: string | null;
  attemptsMade: number;
  /** Times its worker stopped answering (killed, cut off) and another took it over. */
  stalled: number;
  progress: TrialProgress | null;
  /** The last attempt's error (failed, or delayed before a retry). */
  error: string | null;
  /** When a worker last took it and when it ended (ms since the epoch), or null. */
  processedOn: number | null;
  finishedOn: number | null;
  value: TrialReturn | null;
}

export function recordOf(sweep: Sweep, attempts: Attempts): SweepRecord {
  return {
    format: SWEEP_FORMAT,
    id: sweep.id,
    name: sweep.name,
    file: sweep.file,
    createdAt: new Date().toISOString(),
    attempts,
    trials: sweep.trials.map((t) => ({ label: t.label, jobId: t.jobId, config: t.config })),
  };
}

const isFinalState = (state: TrialStateName) => state === 'completed' || state === 'failed';

function bullState(state: string): TrialStateName {
  if (state === 'active' || state === 'delayed' || state === 'completed' || state === 'failed') return state;
  if (state === 'unknown') return 'missing';
  return 'waiting'; // waiting, prioritized, waiting-children
}

/** A connection to the sweep queue, for the coordinator and for `opt sweep status` / `results`. */
export class SweepQueue {
  private constructor(
    readonly url: QueueUrl,
    private readonly redis: Redis,
    readonly queue: Queue<TrialJobData, TrialReturn>,
  ) {}

  /** Connects (one clear error when Redis cannot be reached), then keeps reconnecting through restarts. */
  static async open(url: QueueUrl, say: (line: string) => void): Promise<SweepQueue> {
    await checkReachable(url);
    const redis = new Redis(connectionOptions(url));
    const queue = new Queue<TrialJobData, TrialReturn>(QUEUE_NAME, { connection: redis });
    watchConnection(redis, Promise.resolve(redis), url, say);
    queue.on('error', () => {}); // the same outages, said once by watchConnection
    await queue.waitUntilReady();
    return new SweepQueue(url, redis, queue);
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.redis.disconnect();
  }

  /** Stores the sweep's record (the same sweep again rewrites the same record). */
  async register(record: SweepRecord): Promise<void> {
    const existing = await this.sweep(record.id);
    const kept = existing !== null ? { ...record, createdAt: existing.createdAt } : record;
    await this.redis.set(sweepKey(record.id), JSON.stringify(kept));
    await this.redis.zadd(SWEEPS, Date.parse(kept.createdAt), record.id);
  }

  async sweep(id: string): Promise<SweepRecord | null> {
    const text = await this.redis.get(sweepKey(id));
    return text === null ? null : (JSON.parse(text) as SweepRecord);
  }

  /** Every sweep stored, newest first. */
  async sweeps(): Promise<SweepRecord[]> {
    const ids = await this.redis.zrevrange(SWEEPS, 0, -1);
    const records = await Promise.all(ids.map((id) => this.sweep(id)));
    return records.filter((r): r is SweepRecord => r !== null);
  }

  /**
   * Adds each trial that is not in the queue yet (by its job id); one already there, in whatever state, is left
   * as it is. Returns the labels added and those already there.
   */
  async enqueue(
    record: SweepRecord,
    trials: ReadonlyArray<{ label: string; jobId: string; config: TrainConfig; warnings?: readonly string[] }>,
  ): Promise<{ added: string[]; existing: string[] }> {
    const added: string[] = [];
    const existing: string[] = [];
    for (const trial of trials) {
      if ((await this.queue.getJobState(trial.jobId)) !== 'unknown') {
        existing.push(trial.label);
        continue;
      }
      await this.queue.add(
        'trial',
        {
          format: 'opt.sweep.trial-job.v1',
          label: trial.label,
          config: trial.config,
          warnings: [...(trial.warnings ?? [])],
        },
        {
          jobId: trial.jobId,
          attempts: record.attempts.attempts,
          backoff: { type: 'exponential', delay: record.attempts.backoffSeconds * 1000 },
          // Results stay in Redis: they are what `opt sweep results` reads.
          removeOnComplete: false,
          removeOnFail: false,
        },
      );
      added.push(trial.label);
    }
    return { added, existing };
  }

  /** Puts the sweep's failed trials back in the queue, with their attempts counted afresh. */
  async retryFailed(record: SweepRecord): Promise<string[]> {
    const retried: string[] = [];
    for (const trial of record.trials) {
      const job = await this.queue.getJob(trial.jobId);
      if (job !== undefined && (await job.getState()) === 'failed') {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        retried.push(trial.label);
      }
    }
    return retried;
  }

  /** The state of every trial of the sweep, read from the queue. */
  async states(record: SweepRecord): Promise<TrialState[]> {
    return Promise.all(
      record.trials.map(async (trial): Promise<TrialState> => {
        // The state first, then the job: a job read before it finished and a state read after would pair
        // "completed" with no return value (BullMQ writes both in one step, so a final state's job is final too).
        const read = await this.queue.getJobState(trial.jobId);
        const job = await this.queue.getJob(trial.jobId);
        const base = { label: trial.label, jobId: trial.jobId };
        if (job === undefined || read === 'unknown')
          return {
            ...base,
            state: 'missing',
            worker: null,
            attemptsMade: 0,
            stalled: 0,
            progress: null,
            error: null,
            processedOn: null,
            finishedOn: null,
            value: null,
          };
        const state = bullState(read);
        const value = state === 'completed' ? (job.returnvalue as TrialReturn | null) : null;
        const progress =
          typeof job.progress === 'object' && job.progress !== null ? (job.progress as unknown as TrialProgress) : null;
        return {
          ...base,
          state,
          worker: value?.worker.id ?? (state === 'active' ? (job.processedBy ?? progress?.worker ?? null) : null),
          attemptsMade: job.attemptsMade,
          stalled: job.stalledCounter ?? 0,
          progress: state === 'active' ? progress : null,
          error: state === 'failed' || state === 'delayed' ? (job.failedReason ?? null) : null,
          processedOn: job.processedOn ?? null,
          finishedOn: isFinalState(state) ? (job.finishedOn ?? null) : null,
          value,
        };
      }),
    );
  }
}
