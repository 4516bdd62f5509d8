/**
 * The child process that trains one queued trial (Tinypool, a fresh process per trial, as a compare's):
 * engine/job-process.ts around three things a queue needs. The trial's directory is `<worker dir>/<job id>`, so that
 * every worker on a machine finds what an earlier attempt left there: a complete run is returned as it is, an
 * interrupted one (its worker killed, its checkpoint written at the end of a step) is resumed to the same
 * weights. A lock file beside the directory keeps two processes on one machine from training it at once (the
 * queue's own lock should already; this holds even when a worker's lock was lost in a Redis outage). And the
 * result comes back with the run's config.json and history.json and a hash of the final weights.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { configId } from '../config/resolve.js';
import { existingRun } from '../engine/existing-run.js';
import train, { type Job, type JobOutcome } from '../engine/job-process.js';
import { RunDir, type RunRecord } from '../run/run-dir.js';
import type { HistoryFile, RunResult } from '../run/run-types.js';

export interface TrialOutcomeExtra {
  reused: boolean;
  record: RunRecord;
  history: HistoryFile;
  weightsSha256: string | null;
}

export type TrialOutcome =
  | { ok: true; result: RunResult; trial: TrialOutcomeExtra }
  | Extract<JobOutcome, { ok: false }>;

/** How long to wait for another live process on this machine to let go of the trial. */
const LOCK_WAIT_MS = 120_000;

interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): LockHolder | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
  } catch {
    return null; // gone, or a write cut short: stale either way
  }
}

/** Takes `<runDir>.lock` (O_EXCL), waiting while a live process holds it; a dead holder's lock is taken over. */
async function lock(runDir: string): Promise<() => void> {
  const path = `${runDir}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  mkdirSync(dirname(path), { recursive: true });
  for (;;) {
    try {
      const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
      writeFileSync(path, JSON.stringify(me), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(path);
    if (holder === null || (holder.host === hostname() && !alive(holder.pid))) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(
        `${runDir} is being trained by process ${holder.pid} on ${holder.host} (since ${holder.since}); a worker directory must not be shared between machines.`,
      );
    await sleep(250);
  }
}

function weightsHash(dir: RunDir): string | null {
  try {
    return createHash('sha256')
      .update(readFileSync(join(dir.lastCheckpoint, 'weights.bin')))
      .digest('hex');
  } catch {
    return null;
  }
}

function extra(dir: RunDir, reused: boolean): TrialOutcomeExtra {
  return {
    reused,
    record: dir.record() as RunRecord,
    history: dir.readJson<HistoryFile>('history.json') as HistoryFile,
    weightsSha256: weightsHash(dir),
  };
}

export default async function trial(job: Job): Promise<TrialOutcome> {
  let release: () => void;
  try {
    release = await lock(job.runDir);
  } catch (error) {
    return { ok: false, error: { kind: 'failure', message: (error as Error).message } };
  }
  try {
    const dir = new RunDir(job.runDir);
    const existing = existingRun(job.runDir);
    if (existing.action !== 'start' && configId(existing.record.config) !== configId(job.config)) {
      return {
        ok: false,
        error: {
          kind: 'failure',
          message: `${dir.path} holds a run of another config; move it away (a trial's directory is named by its config id).`,
        },
      };
    }
    if (existing.action === 'keep') return { ok: true, result: existing.result, trial: extra(dir, true) };
    // The environment (where the data is) may differ between attempts; what is trained does not.
    const config =
      existing.action === 'resume'
        ? { ...job.config, dataDir: existing.record.config.dataDir, download: existing.record.config.download }
        : job.config;
    const outcome = await train({ ...job, config, resume: existing.action === 'resume' });
    if (!outcome.ok) return outcome;
    return { ok: true, result: outcome.result, trial: extra(dir, false) };
  } finally {
    release();
  }
}
