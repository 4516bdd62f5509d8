/** The running job processes of a parent (compare, sweep, worker, experiments), and the one loop that stops them. */
import type { StopControl } from '../cli/signals.js';

/**
 * A set the pool keeps up to date with its children's process ids. On a forced exit (a second Ctrl-C) each
 * child gets the signal too: it already has the stop request, so the second one makes it quit at once, cleaning
 * up after itself.
 */
export function childProcesses(stop: StopControl): Set<number> {
  const pids = new Set<number>();
  stop.onForcedExit(() => {
    for (const pid of pids) {
      try {
        process.kill(pid, stop.received() ?? 'SIGINT');
      } catch {
        // gone already
      }
    }
  });
  return pids;
}
