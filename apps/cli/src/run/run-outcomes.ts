/**
 * How a run ends, as one of four outcomes, and the one function that writes each. A run that completed or
 * diverged gets its charts, history.csv, result.json and then its status (last, so that a run is never taken
 * for finished before its files are there); a stopped run has its checkpoint and `interrupted` status already
 * (written where it stopped) and writes nothing more; a failed one records why in status.json and rethrows.
 */
import { RunError, UsageError } from '../cli/errors.js';
import type { TrainConfig } from '../config/knobs.js';
import type { RunDir } from './run-dir.js';
import { writeCsv } from './run-files.js';
import type { HistoryFile, RunResult } from './run-types.js';

export type Outcome =
  | {
      readonly kind: 'complete';
      /** Why it ended before its last epoch (early stopping), or null. */
      readonly message: string | null;
      readonly test: NonNullable<RunResult['test']>;
      readonly testSeconds: number;
      readonly skippedSteps: number;
    }
  | { readonly kind: 'stopped'; readonly message: string }
  | { readonly kind: 'diverged'; readonly message: string }
  | { readonly kind: 'failed'; readonly error: unknown };

/** The result's fields that depend on how the run ended. */
export interface EndFields {
  readonly status: RunResult['status'];
  readonly message: string | null;
  readonly test: RunResult['test'];
  readonly testSeconds: number;
  readonly skippedSteps: number;
}

/** What the writers need besides the outcome: the directory, the history and the rest of the result. */
export interface Ending {
  readonly dir: RunDir;
  readonly history: HistoryFile;
  readonly result: (fields: EndFields) => RunResult;
  /** Writes the run's charts, or null when the caller asked for none. */
  readonly charts: (() => Promise<void>) | null;
}

async function finish(ending: Ending, result: RunResult): Promise<RunResult> {
  await ending.charts?.();
  await ending.dir.writeJson('result.json', result);
  await writeCsv(ending.dir, ending.history.epochs);
  await ending.dir.setStatus(result.status, ending.history.epochs.length, result.message);
  return result;
}

export function writeComplete(ending: Ending, outcome: Extract<Outcome, { kind: 'complete' }>): Promise<RunResult> {
  const { message, test, testSeconds, skippedSteps } = outcome;
  return finish(ending, ending.result({ status: 'complete', message, test, testSeconds, skippedSteps }));
}

export function writeDiverged(ending: Ending, outcome: Extract<Outcome, { kind: 'diverged' }>): Promise<RunResult> {
  return finish(
    ending,
    ending.result({ status: 'diverged', message: outcome.message, test: null, testSeconds: 0, skippedSteps: 0 }),
  );
}

/** The checkpoint and status of a stop are written where it stopped: the result only says so. */
export function stoppedResult(ending: Ending, outcome: Extract<Outcome, { kind: 'stopped' }>): RunResult {
  return ending.result({
    status: 'interrupted',
    message: outcome.message,
    test: null,
    testSeconds: 0,
    skippedSteps: 0,
  });
}

/** A failure said in words where it is the wasm module's own (it aborts on out-of-memory). */
export function explain(error: unknown, config: TrainConfig): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (
    /Aborted\(\)|out of memory|Cannot enlarge memory|Array buffer allocation failed|Invalid typed array length/i.test(
      message,
    )
  ) {
    return new RunError(
      `the backend ran out of memory training --hidden ${config.hidden.join(',')} with --batch-size ${config.batchSize} (${message.split('\n')[0]}); use narrower layers or smaller batches.`,
      undefined,
      { cause: error },
    );
  }
  return error;
}

/** Records a failure in status.json (a usage error leaves the directory as it was) and throws it, explained. */
export async function writeFailed(
  dir: RunDir,
  outcome: Extract<Outcome, { kind: 'failed' }>,
  config: TrainConfig,
): Promise<never> {
  const failure = explain(outcome.error, config);
  if (!(failure instanceof UsageError)) {
    await dir.setStatus('failed', 0, failure instanceof Error ? failure.message : String(failure)).catch(() => {});
  }
  throw failure;
}
