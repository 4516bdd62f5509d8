/**
 * Slot storage: the variables an optimizer updates, in build order, and for each its slot variables
 * (Keras's optimizer variables: `momentum`, `velocity`, ...), created once by the transformation's `init`.
 */
import { tf } from '@opt/tensor';
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
