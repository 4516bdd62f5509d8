/**
 * The training loss through the first epoch, step by step: what the chapter's claims about normalization and
 * optimizers are about ("the loss falls faster"), which the per-epoch history cannot show.
 *
 * Each point is the sample-weighted mean batch loss of a window of consecutive steps (one step when the epoch
 * has at most {@link MAX_POINTS} steps), so the curve has at most that many points whatever the batch size, and
 * the points' weighted mean is the epoch's training loss as fit reports it. Reading a batch's loss back is one
 * small copy per step, in the first epoch only.
 */
import type { FitCallback } from '@opt/layers';
import type { FirstEpochLoss, HistoryFile } from './run-types.js';

/** Points of the curve at most. */
export const MAX_POINTS = 200;

/** Steps per point for an epoch of `stepsPerEpoch` steps. */
export function windowFor(stepsPerEpoch: number): number {
  return Math.max(1, Math.ceil(stepsPerEpoch / MAX_POINTS));
}

export interface FirstEpochRecorder {
  /** Where the curve goes (the run's history); created on the first step. */
  readonly target: { firstEpoch?: FirstEpochLoss };
  readonly stepsPerEpoch: number;
}

/** A fit callback that records the first epoch's loss curve into `target.firstEpoch`. */
export function firstEpochLoss({ target, stepsPerEpoch }: FirstEpochRecorder): FitCallback {
  const window = windowFor(stepsPerEpoch);
  let recording = false;
  let started = 0;
  let sum = 0;
  let samples = 0;
  let steps = 0;
  return {
    onEpochBegin(epoch, logs) {
      recording = epoch === 0;
      if (!recording) return;
      started = performance.now();
      // fit's initialStep: the steps of this epoch done before a resume.
      const offset = logs?.initialStep ?? 0;
      // A resumed first epoch keeps the points of the steps done before the stop (none of them is redone).
      const kept = (target.firstEpoch?.points ?? []).filter((p) => p.step <= offset);
      target.firstEpoch = { window, points: kept, ...(offset > 0 ? { resumedAtStep: offset } : {}) };
      steps = offset;
    },
    async onBatchEnd(_batch, logs) {
      if (!recording) return;
      const loss = await logs.readLoss();
      sum += loss * logs.size;
      samples += logs.size;
      steps++;
      if (steps % window === 0 || steps === stepsPerEpoch) {
        target.firstEpoch?.points.push({
          step: steps,
          loss: samples > 0 ? sum / samples : Number.NaN,
          samples,
          seconds: (performance.now() - started) / 1000,
        });
        sum = 0;
        samples = 0;
      }
    },
    onEpochEnd() {
      recording = false;
    },
  };
}

/**
 * A fit callback that appends every step's batch loss to `target.stepLosses` (`--step-losses`): index i is the
 * (i + 1)-th call of the run. A resumed run keeps the losses before its checkpoint, cut or padded with null (the
 * steps of an interrupted epoch after the last history.json write) to the steps the checkpoint had done.
 */
export function stepLosses({ target, stepsPerEpoch }: { target: HistoryFile; stepsPerEpoch: number }): FitCallback {
  let started = false;
  return {
    onEpochBegin(epoch, logs) {
      if (started) return;
      started = true;
      const done = epoch * stepsPerEpoch + (logs?.initialStep ?? 0);
      const kept = (target.stepLosses ?? []).slice(0, done);
      target.stepLosses = [...kept, ...Array.from({ length: done - kept.length }, () => null)];
    },
    async onBatchEnd(_batch, logs) {
      target.stepLosses?.push(await logs.readLoss());
    },
  };
}
