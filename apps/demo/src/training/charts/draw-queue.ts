/**
 * Charts drawn one per task (a timer between them), so the page never stalls for the whole set. A draw queued
 * again before it ran runs once; `soon` batches the frequent step updates into one queueing per interval.
 */
export interface DrawQueue {
  /** Runs each draw in a task of its own, in order; one already waiting is not added twice. */
  queue(...draws: Array<() => void>): void;
  /** Queues the draws once `intervalMs` from the first call; the calls until then add nothing. */
  soon(...draws: Array<() => void>): void;
}

export function drawQueue(intervalMs: number): DrawQueue {
  const jobs = new Set<() => void>();
  let pumping = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  function pump(): void {
    const next = jobs.values().next();
    if (next.done === true) {
      pumping = false;
      return;
    }
    jobs.delete(next.value);
    next.value();
    setTimeout(pump, 0);
  }
  function queue(...draws: Array<() => void>): void {
    for (const d of draws) jobs.add(d);
    if (pumping) return;
    pumping = true;
    setTimeout(pump, 0);
  }
  function soon(...draws: Array<() => void>): void {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      queue(...draws);
    }, intervalMs);
  }
  return { queue, soon };
}
