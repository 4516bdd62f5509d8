/**
 * Ctrl-C and SIGTERM during a run: the first asks the run to stop at the end of its current step (it then
 * writes a checkpoint and says how to resume); a second one exits at once: it gives the terminal back as it
 * was, lets a file write already in progress land (atomic writes take milliseconds), starts no other, and
 * removes this process's half-written files.
 */
import { closeWrites } from '../run/run-dir.js';

export type StopSignal = 'SIGINT' | 'SIGTERM';

export const EXIT_FOR: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

export interface StopControl {
  readonly signal: AbortSignal;
  /** The signal that asked for the stop, or null. */
  received(): StopSignal | null;
  /** Directories where half-written files of this process may be (removed on a forced exit). */
  watch(dirs: readonly string[]): void;
  /** Also done on a forced exit, e.g. stop a progress bar. */
  onForcedExit(fn: () => void): void;
  /** Asks for the stop as a first signal would (e.g. a compare worker told to stop by its parent). */
  request(signal: StopSignal): void;
  dispose(): void;
}

export function stopOnSignals(say: (line: string) => void): StopControl {
  const controller = new AbortController();
  let first: StopSignal | null = null;
  let quitting = false;
  const dirs = new Set<string>();
  const cleanups: Array<() => void> = [];
  const handler = (signal: StopSignal) => {
    if (first === null) {
      first = signal;
      say(
        `\n${signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'}: stopping after the current step and writing a checkpoint (${signal === 'SIGINT' ? 'Ctrl-C again' : 'a second signal'} quits at once).`,
      );
      controller.abort(signal);
      return;
    }
    if (quitting) return;
    quitting = true;
    for (const fn of cleanups) fn();
    const code = EXIT_FOR[first];
    process.exitCode = code;
    void closeWrites(dirs).finally(() => {
      say('stopped at once; the last complete checkpoint is kept.');
      process.exit(code);
    });
  };
  const onInt = () => handler('SIGINT');
  const onTerm = () => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    received: () => first,
    watch: (list) => {
      for (const d of list) dirs.add(d);
    },
    onForcedExit: (fn) => cleanups.push(fn),
    request: (signal) => {
      if (first !== null) return;
      first = signal;
      controller.abort(signal);
    },
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
