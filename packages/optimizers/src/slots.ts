/**
 * Slot storage: the variables an optimizer updates, in build order, and for each its slot variables
 * (Keras's optimizer variables: `momentum`, `velocity`, ...), created once by the transformation's `init`.
 */
import { tf } from '@opt/tensor';
import type { WeightAverages } from './ema.js';
import type { GradientTransformation, SlotState } from './transform.js';

export class SlotStore {
  /** The variables built so far, in slot order. */
  readonly variables: tf.Variable[] = [];
  private readonly indexOf = new Map<tf.Variable, number>();
  private readonly records: Array<Record<string, tf.Variable>> = [];

  constructor(private readonly transform: GradientTransformation) {}

  get slotNames(): readonly string[] {
    return this.transform.slotNames;
  }

  /** The build index of `variable`, or undefined. */
  index(variable: tf.Variable): number | undefined {
    return this.indexOf.get(variable);
  }

  /** Creates the slots of the variables not seen before, appending them in this order; returns those variables. */
  add(variables: readonly tf.Variable[]): tf.Variable[] {
    const fresh = variables.filter((v, i) => !this.indexOf.has(v) && variables.indexOf(v) === i);
    if (fresh.length === 0) return fresh;
    tf.tidy(() => {
      const init = this.transform.init(fresh);
      fresh.forEach((v, k) => {
        this.indexOf.set(v, this.variables.length);
        this.variables.push(v);
        const record: Record<string, tf.Variable> = {};
        for (const name of this.transform.slotNames) {
          record[name] = tf.variable((init[k] as Record<string, tf.Tensor>)[name] as tf.Tensor, false);
        }
        this.records.push(record);
      });
    });
    return fresh;
  }

  /** The slot records of the variables at these build indices, as the transformation's state. */
  state(indices: readonly number[]): SlotState {
    return indices.map((k) => this.records[k] as Record<string, tf.Tensor>);
  }

  /** The slot variables of the variable at build index `k`. */
  record(k: number): Readonly<Record<string, tf.Variable>> {
    return this.records[k] as Record<string, tf.Variable>;
  }

  /** Slot `name` of `variable` (e.g. 'momentum', 'velocity'), or null. */
  get(variable: tf.Variable, name: string): tf.Variable | null {
    const k = this.indexOf.get(variable);
    return k === undefined ? null : (this.records[k]?.[name] ?? null);
  }

  dispose(): void {
    for (const record of this.records) for (const s of Object.values(record)) s.dispose();
  }
}

/** `variable.assign(value)` unless it already holds that value (assigning a tensor to itself would free it). */
function assignValue(variable: tf.Variable, value: tf.Tensor): void {
  if (value.dataId !== variable.dataId) variable.assign(value);
}

/** Writes a step's results: slots, moving averages (and their overwrite every `emaOverwriteFrequency` steps), weights. */
export function writeStep(
  slots: SlotStore,
  averageStore: WeightAverages | null,
  step: {
    indices: readonly number[];
    weights: readonly tf.Tensor[];
    state: SlotState;
    averages: readonly tf.Tensor[] | null;
    step: number;
  },
): void {
  const { indices, weights, state, averages } = step;
  const overwrite = averageStore?.overwritesAt(step.step) ?? false;
  indices.forEach((k, i) => {
    const record = slots.record(k);
    for (const name of slots.slotNames) {
      assignValue(record[name] as tf.Variable, (state[i] as Record<string, tf.Tensor>)[name] as tf.Tensor);
    }
    let w = weights[i] as tf.Tensor;
    if (averages !== null && averageStore !== null) {
      const average = averageStore.at(k);
      assignValue(average, averages[i] as tf.Tensor);
      if (overwrite) w = average;
    }
    assignValue(slots.variables[k] as tf.Variable, w);
  });
}
