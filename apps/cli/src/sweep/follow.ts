/**
 * The coordinator's wait: reads the sweep's trials from the queue every `pollMs` until each has completed or
 * failed for good, saying what changed (a trial taken, finished, failed, retried) and, when the counts change, one
 * progress line: done, failed, running and waiting, and per worker what it has done and is training.
 *
 * Reading the states (rather than listening to queue events) survives a Redis restart without missing anything:
 * the next read after the reconnection sees every change made meanwhile. A trial whose job is missing (a Redis that
 * restarted without its data) is added again; the worker that had it returns its directory's result at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fixed } from '../ui/format.js';
import type { SweepQueue, SweepRecord, TrialState } from './queue.js';

export interface FollowOptions {
  readonly signal?: AbortSignal;
  readonly pollMs?: number;
  readonly say: (line: string) => void;
}

export const isFinal = (s: TrialState): boolean => s.state === 'completed' || s.state === 'failed';

/** Epochs alone changing the progress line print it at most this often. */
const EPOCH_LINE_MS = 30_000;

/** `3/8 done (1 failed), 2 running, 2 waiting; host:12 2 done, training "sgd" (epoch 2/3); ...`. */
export function progressLine(states: readonly TrialState[], epochs = true): string {
  const count = (name: TrialState['state']) => states.filter((s) => s.state === name).length;
  const done = count('completed') + count('failed');
  const workers = new Map<string, { done: number; running: string[] }>();
  const of = (w: string) => {
    const entry = workers.get(w) ?? { done: 0, running: [] };
    workers.set(w, entry);
    return entry;
  };
  for (const s of states) {
    if (s.worker === null) continue;
    if (s.state === 'completed') of(s.worker).done++;
    else if (s.state === 'active')
      of(s.worker).running.push(
        `"${s.label}"${epochs && s.progress !== null ? ` (epoch ${s.progress.epoch}/${s.progress.epochs})` : ''}`,
      );
  }
  const perWorker = [...workers.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([w, e]) => `${w} ${e.done} done${e.running.length > 0 ? `, training ${e.running.join(', ')}` : ''}`);
  const retrying = count('delayed');
  return `${done}/${states.length} done (${count('failed')} failed), ${count('active')} running, ${count('waiting') + count('missing')} waiting${retrying > 0 ? `, ${retrying} waiting to retry` : ''}${perWorker.length > 0 ? `; ${perWorker.join('; ')}` : ''}`;
}

/** One line for each trial whose state changed since `before`. */
function changes(
  before: ReadonlyMap<string, TrialState>,
  now: readonly TrialState[],
  say: (line: string) => void,
): void {
  for (const s of now) {
    const b = before.get(s.jobId);
    if (b !== undefined && b.state === s.state && b.worker === s.worker && b.attemptsMade === s.attemptsMade) continue;
    if (s.state === 'active' && s.worker !== null) say(`[${s.label}] training on ${s.worker}`);
    else if (s.state === 'completed' && s.value !== null)
      say(
        `[${s.label}] ${s.value.status} on ${s.value.worker.id}: test accuracy ${fixed(s.value.result.test?.accuracy)}${s.value.resumedFrom !== null ? ` (resumed at epoch ${s.value.resumedFrom.epoch + 1}, step ${s.value.resumedFrom.step + 1})` : ''}`,
      );
    else if (s.state === 'failed')
      say(`[${s.label}] failed after ${s.attemptsMade} attempt${s.attemptsMade === 1 ? '' : 's'}: ${s.error}`);
    else if (s.state === 'delayed')
      say(`[${s.label}] attempt ${s.attemptsMade} failed (${s.error}); retrying after a backoff`);
    else if (s.state === 'waiting' && b?.state === 'active') say(`[${s.label}] back in the queue`);
  }
}

/** Waits until every trial of the sweep is final (or the signal aborts); returns the last states read. */
export async function followSweep(
  queue: SweepQueue,
  record: SweepRecord,
  options: FollowOptions,
): Promise<TrialState[]> {
  const { say, signal } = options;
  const pollMs = options.pollMs ?? 1000;
  let before = new Map<string, TrialState>();
  let lastLine = '';
  let lastKey = '';
  let lastAt = 0;
  for (;;) {
    const states = await queue.states(record);
    const missing = states.filter((s) => s.state === 'missing');
    if (missing.length > 0) {
      const { added } = await queue.enqueue(
        record,
        record.trials.filter((t) => missing.some((m) => m.jobId === t.jobId)),
      );
      if (added.length > 0 && before.size > 0)
        say(
          `${added.length} trial${added.length === 1 ? ' was' : 's were'} missing from the queue (did Redis lose its data?); added again: ${added.join(', ')}`,
        );
    }
    changes(before, states, say);
    before = new Map(states.map((s) => [s.jobId, s]));
    // A new line when a trial starts or ends; one that differs only in epochs, at most every 30 s.
    const line = progressLine(states);
    const key = progressLine(states, false);
    if (key !== lastKey || (line !== lastLine && Date.now() - lastAt >= EPOCH_LINE_MS)) {
      say(line);
      [lastLine, lastKey, lastAt] = [line, key, Date.now()];
    }
    if (states.every(isFinal) || signal?.aborted === true) return states;
    try {
      await sleep(pollMs, undefined, signal !== undefined ? { signal } : {});
    } catch {
      // aborted: one last read above, then return
    }
  }
}
