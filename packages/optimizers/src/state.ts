/**
 * Save and restore: an optimizer's state as JSON-able fields plus its slot values as named float32 weights
 * (store them with @opt/tensor's `packWeights`). Reading the values from the device is async (`getState`);
 * writing plain numbers back is sync (`setState`), the convention of this package (see the README).
 */
import { type NamedWeight, tf } from '@opt/tensor';
import type { WeightAverages } from './ema.js';
import type { SlotStore } from './slots.js';
import { nonNegative, positive } from './validate.js';

export const STATE_FORMAT = 'opt.optimizer-state.v1';

/** An optimizer's exact state as plain data: config, iterations, rate and every slot, for checkpoints and resume. */
export interface OptimizerState {
  readonly format: 'opt.optimizer-state.v1';
  readonly className: string;
  readonly config: Record<string, unknown>;
  /** Calls to `applyGradients` (Keras's saved `iteration`): `optimizer.iterations`, or with `gradientAccumulationSteps` n, n times it plus the calls accumulated since. */
  readonly iterations: number;
  readonly learningRate: number;
  /** Names `<index>/<variableName>/<slotName>`, in build order; with `useEma` each variable's `average` follows its slots. */
  readonly slots: ReadonlyArray<NamedWeight>;
  readonly extra?: Record<string, unknown>;
}

/** One saved tensor: its name in the state and the variable it comes from and goes back to. */
export interface StateEntry {
  readonly name: string;
  readonly variable: tf.Variable;
}

/** Checks the fields of `state` that do not depend on the built variables. */
export function checkState(where: string, state: OptimizerState, className: string): void {
  if (state === null || typeof state !== 'object' || state.format !== STATE_FORMAT) {
    throw new Error(`${where}: not an optimizer state (expected format '${STATE_FORMAT}').`);
  }
  if (state.className !== className) {
    throw new Error(`${where}: the state belongs to a ${state.className}, not a ${className}.`);
  }
  if (!Number.isInteger(state.iterations) || state.iterations < 0) {
    throw new Error(`${where}: \`iterations\` must be a whole number >= 0, got ${String(state.iterations)}.`);
  }
  // A schedule may be at 0 (a warmup from 0, a cosine decay's end); a constant rate is > 0.
  if (state.extra?.learningRateIsSchedule === true) nonNegative(where, 'learningRate', state.learningRate, '0.001');
  else positive(where, 'learningRate', state.learningRate, '0.001');
  if (!Array.isArray(state.slots)) throw new Error(`${where}: \`slots\` must be an array of named weights.`);
}

/**
 * Checks that `state.slots` fit `entries` (same count, same shapes, in order). `perVariable` is the number of
 * entries of one variable, for the messages.
 */
export function checkEntries(
  where: string,
  entries: readonly StateEntry[],
  state: OptimizerState,
  variableCount: number,
  perVariable: number,
): void {
  if (state.slots.length !== entries.length) {
    throw new Error(
      `${where}: the state holds ${state.slots.length} slot tensors but this optimizer, built for ` +
        `${variableCount} variables with ${perVariable} slot(s) each, needs ${entries.length}. ` +
        'Restore onto an optimizer of the same kind built with the same variables.',
    );
  }
  entries.forEach((entry, k) => {
    const w = state.slots[k] as NamedWeight;
    if (!tf.util.arraysEqual(w.shape.slice(), entry.variable.shape)) {
      throw new Error(
        `${where}: slot "${w.name}" has shape [${w.shape.join(', ')}] but variable ${Math.floor(k / perVariable)} ` +
          `needs [${entry.variable.shape.join(', ')}]; the variables differ from those the state was saved with.`,
      );
    }
  });
}

/** Writes `state.slots` into `entries` (checked with {@link checkEntries}). */
export function writeEntries(entries: readonly StateEntry[], state: OptimizerState): void {
  entries.forEach((entry, k) => {
    const w = state.slots[k] as NamedWeight;
    tf.tidy(() => {
      entry.variable.assign(tf.tensor(w.values, w.shape.slice(), 'float32'));
    });
  });
}

/** The saved tensors in build order: per variable its slots, then its moving average (`useEma`). */
export function stateEntries(slots: SlotStore, averages: WeightAverages | null): StateEntry[] {
  return slots.variables.flatMap((v, i) => {
    const record = slots.record(i);
    const entries: StateEntry[] = slots.slotNames.map((s) => ({
      name: `${i}/${v.name}/${s}`,
      variable: record[s] as tf.Variable,
    }));
    if (averages !== null) entries.push({ name: `${i}/${v.name}/average`, variable: averages.at(i) });
    return entries;
  });
}
