/** What a run shows, read from its directory's view, and whether a claim's runs are all there. */
import { type ClaimRuns, finished, type RunView } from '../runs.js';
import { pct } from './format.js';
import type { Verdict } from './types.js';

export const testAccuracy = (r: RunView): number | null => r.result?.test?.accuracy ?? null;
export const diverged = (r: RunView): boolean => r.state === 'diverged';
/** The training loss of the first epoch (fit's mean over its steps). */
export const firstEpochLoss = (r: RunView): number => r.epochs[0]?.loss ?? Number.NaN;
export const finalLoss = (r: RunView): number => r.epochs.at(-1)?.loss ?? Number.NaN;
export const secondsPerEpoch = (r: RunView): number | null =>
  r.epochs.length === 0 ? null : r.epochs.reduce((s, e) => s + e.seconds, 0) / r.epochs.length;
export const trainSeconds = (r: RunView): number => r.epochs.reduce((s, e) => s + e.seconds, 0);
export const learningRate = (r: RunView): number | null => r.summary?.config.learningRate ?? null;

/** A comparable "how badly": a diverged run or a NaN counts as infinitely bad. */
export const orInfinity = (x: number, r: RunView): number =>
  diverged(r) || !Number.isFinite(x) ? Number.POSITIVE_INFINITY : x;

/** The first epoch whose validation accuracy reached `target`, from the run's summary; null if none did. */
export const epochReaching = (r: RunView, target: number): number | null =>
  r.summary?.history?.epochs.find((e) => e.val_accuracy >= target)?.epoch ?? null;

/** "diverged in epoch 1" or "88.52%". */
export function outcome(r: RunView): string {
  if (diverged(r)) return `diverged in epoch ${r.epochs.length}`;
  return pct(testAccuracy(r));
}

/** Validation accuracy after `seconds` of training: the best reached by an epoch that ended by then. */
export function accuracyAt(r: RunView, seconds: number): number {
  let elapsed = 0;
  let best = r.history?.initial.val_accuracy ?? Number.NaN;
  for (const e of r.epochs) {
    elapsed += e.seconds;
    if (elapsed > seconds) break;
    if (Number.isFinite(e.val_accuracy) && e.val_accuracy > best) best = e.val_accuracy;
  }
  return best;
}

/** The claim's runs that are missing, as a verdict; null when every run finished. */
export function missing(c: ClaimRuns): Verdict | null {
  const absent = c.runs.filter((r) => !finished(r));
  const noLrFind = c.lrFinds.filter((f) => f.result === null);
  if (absent.length === 0 && noLrFind.length === 0) return null;
  const states = [...new Set(absent.map((r) => r.state))].join(', ');
  return {
    status: 'not measured',
    sentence: `Not measured yet: ${absent.length} of ${c.runs.length} runs have not finished (${states}); \`pnpm experiments --only ${c.claim.id}\` trains them.`,
  };
}
