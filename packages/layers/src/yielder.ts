/**
 * fit's turns of the event loop. Its loop awaits only promises that are already settled, which run as
 * microtasks: without a macrotask turn, timers, I/O and signal handlers (Ctrl-C, an AbortController's abort from
 * a UI event) wait for fit to end. tfjs-layers' `yieldEvery` knob, with its names.
 */
import { show } from './validate.js';

/** `'auto'`: every {@link AUTO_YIELD_MS} ms; `'batch'`, `'epoch'`: after each; `'never'`; a number: every that many ms. */
export type YieldEvery = 'auto' | 'batch' | 'epoch' | 'never' | number;

/**
 * The interval of `'auto'`. tfjs-layers' is 125 ms (its `nextFrame` is a requestAnimationFrame in browsers); a
 * turn here is a plain macrotask, so a shorter one costs nothing measurable (README, `yieldEvery`) and keeps
 * progress output and stop requests prompt.
 */
export const AUTO_YIELD_MS = 50;

export function parseYieldEvery(value: unknown): YieldEvery {
  if (value === 'auto' || value === 'batch' || value === 'epoch' || value === 'never') return value;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  throw new RangeError(
    `fit: \`yieldEvery\` must be 'auto', 'batch', 'epoch', 'never' or a number of milliseconds >= 0, got ${show(value)}.`,
  );
}

type Schedule = (callback: () => void) => void;

let schedule: Schedule | null = null;

/**
 * One macrotask: setImmediate in Node; elsewhere a MessageChannel message (a setTimeout(0) chain is clamped to
 * 4 ms in browsers, and requestAnimationFrame would wait for the next frame, up to 16 ms, at every turn).
 */
function scheduler(): Schedule {
  const g = globalThis as { setImmediate?: Schedule; MessageChannel?: typeof MessageChannel };
  const setImmediate = g.setImmediate;
  if (typeof setImmediate === 'function') return (callback) => setImmediate(callback);
  if (typeof g.MessageChannel === 'function') {
    const channel = new g.MessageChannel();
    const queue: Array<() => void> = [];
    channel.port1.onmessage = () => queue.shift()?.();
    return (callback) => {
      queue.push(callback);
      channel.port2.postMessage(null);
    };
  }
  return (callback) => setTimeout(callback, 0);
}

/** Resolves after one turn of the event loop (a macrotask), so that timers, I/O and handlers waiting run. */
export function nextTurn(): Promise<void> {
  schedule ??= scheduler();
  const run = schedule;
  return new Promise((resolve) => run(resolve));
}

/** Decides, after each batch and each epoch, whether fit gives the event loop a turn. */
export class Yielder {
  private readonly intervalMs: number | null;
  private last = performance.now();

  constructor(private readonly every: YieldEvery) {
    this.intervalMs = every === 'auto' ? AUTO_YIELD_MS : typeof every === 'number' ? every : null;
  }

  async afterBatch(): Promise<void> {
    if (this.every === 'batch') return nextTurn();
    if (this.intervalMs === null) return;
    const now = performance.now();
    if (now - this.last < this.intervalMs) return;
    await nextTurn();
    this.last = performance.now();
  }

  async afterEpoch(): Promise<void> {
    if (this.every === 'never') return;
    await nextTurn();
    this.last = performance.now();
  }
}
