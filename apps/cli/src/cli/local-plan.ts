/**
 * A plan of runs trained in local worker processes, with its progress on stderr and the compare's table on
 * stdout: `opt compare` and a local `opt sweep` are this after reading their own flags.
 */
import type { Output } from '../cli/output.js';
import { childProcesses } from '../engine/children.js';
import type { CompareReport } from '../engine/compare-dir.js';
import { defaultWorkers } from '../engine/local-pool.js';
import type { PlannedEntry } from '../engine/plan.js';
import { runPlan } from '../engine/run-plan.js';
import { compareProgress, printCompareTable } from '../ui/compare-report.js';
import { seconds } from '../ui/format.js';
import { EXIT } from './errors.js';
import { positiveInteger } from './numbers.js';
import { EXIT_FOR, stopOnSignals } from './signals.js';
import { threadsFor } from './threads.js';

/** `--workers`: parallel worker processes, one per core when not given. */
export const workersOf = (text: string | undefined): number =>
  text !== undefined ? positiveInteger('--workers', text) : defaultWorkers();

export interface LocalPlan {
  readonly out: Output;
  readonly plan: readonly PlannedEntry[];
  /** The compare directory. */
  readonly dir: string;
  readonly workers: number;
  /** `--threads` as typed. */
  readonly threads: string | undefined;
  readonly target: number;
  readonly note: string | null;
  readonly command: readonly string[];
  /** The first line: what is trained (`processes` is the number of worker processes that will run). */
  readonly intro: (processes: number) => string;
  /** How to continue after a stop, e.g. `the same command and --out DIR`. */
  readonly continueWith: string;
  /** Called once the flags are checked and before anything trains (stop handling is on). */
  readonly before?: () => Promise<void>;
  /** Added to the report of --json. */
  readonly extra?: Record<string, unknown>;
}

/** Trains the plan and prints it; returns the exit code (0, 1 when a run failed or did not run, 130 after Ctrl-C). */
export async function runLocalPlan(p: LocalPlan): Promise<number> {
  const { out, plan, dir, workers, target } = p;
  const threads = threadsFor(
    p.threads,
    plan.map((e) => e.config.backend),
  );
  const stop = stopOnSignals((line) => out.note(line));
  stop.watch([dir]);
  const pids = childProcesses(stop);
  out.note(p.intro(Math.min(workers, plan.length)));
  let report: CompareReport;
  try {
    await p.before?.();
    report = await runPlan({
      dir,
      plan,
      workers,
      ...(threads !== undefined ? { threads } : {}),
      target,
      note: p.note,
      command: p.command,
      signal: stop.signal,
      pids,
      ...compareProgress(
        out,
        plan.map((e) => e.label),
      ),
    });
  } finally {
    stop.dispose();
  }
  printCompareTable(out, report.rows, target);
  out.line(
    `wall time ${seconds(report.wallSeconds)} with ${Math.min(workers, Math.max(1, report.trained))} worker process(es); runs and charts in ${dir}`,
  );
  out.result({ ...report, ...p.extra });
  const interrupted = stop.received();
  if (interrupted !== null) {
    out.note(`interrupted; continue with ${p.continueWith}`);
    return EXIT_FOR[interrupted];
  }
  return report.rows.some((r) => r.status === 'failed' || r.status === 'not run') ? EXIT.failure : EXIT.ok;
}
