/**
 * What each state of a training run allows, as pure functions of the state (no DOM): which controls are
 * enabled, and the progress line. The worker drives the state: idle -> preparing -> running <-> paused ->
 * finished / failed, with stopping while a reset waits for the run to end.
 */
import { formatNumber } from '../ui.js';
import type { RunRecord, RunState } from './protocol.js';

export interface Controls {
  readonly start: boolean;
  readonly pause: boolean;
  /** The pause button's label: Resume while paused. */
  readonly pauseLabel: 'Pause' | 'Resume';
  readonly reset: boolean;
  readonly parity: boolean;
  readonly knobs: boolean;
}

/** A run is active from preparing until it ended or was stopped: the knobs and the data are in use. */
export const isActive = (state: RunState): boolean =>
  state === 'running' || state === 'paused' || state === 'preparing' || state === 'stopping';

/** Which controls are enabled in `state`, given whether the data loaded and whether a run's record is shown. */
export function controls(state: RunState, hasData: boolean, hasRecord: boolean): Controls {
  const active = isActive(state);
  return {
    start: !active && hasData,
    pause: state === 'running' || state === 'paused',
    pauseLabel: state === 'paused' ? 'Resume' : 'Pause',
    reset: active || hasRecord,
    parity: !active && hasData,
    knobs: !active,
  };
}

/** "running: step 12 (0 of 5 epochs, 430 steps each), learning rate 0.001, validation accuracy 81.2%". */
export function progressText(state: RunState, record: RunRecord | null): string {
  if (record === null) return state === 'preparing' ? 'Preparing the data and the model…' : 'No run yet.';
  const step = record.steps.step.at(-1) ?? 0;
  const last = record.epochs.at(-1)?.logs;
  const lr = record.steps.learningRate.at(-1);
  return (
    `${state}: step ${step} (${record.epochs.length} of ${record.settings.epochs} epochs, ${record.stepsPerEpoch} steps each)` +
    (lr === undefined ? '' : `, learning rate ${formatNumber(lr)}`) +
    (last?.val_accuracy === undefined ? '' : `, validation accuracy ${(last.val_accuracy * 100).toFixed(1)}%`)
  );
}
