/**
 * Keras's `use_ema`: a moving average of each weight, updated after every step, which can be swapped in for
 * evaluation or written over the weights every `emaOverwriteFrequency` steps.
 */
import { tf } from '@opt/tensor';

export class WeightAverages {
  /** One average per built variable, in build order. */
  private readonly averages: tf.Variable[] = [];

  constructor(
    private readonly momentum: number,
    private readonly overwriteFrequency: number | null,
  ) {}

  /**
   * Starts the averages of newly built variables. Keras starts them at zeros and sets them to `w` on the first
   * step; a copy of `w` gives the same first step and lets {@link swap} work before any step too.
   */
  add(variables: readonly tf.Variable[]): void {
    tf.tidy(() => {
      for (const v of variables) this.averages.push(tf.variable(tf.clone(v), false));
    });
  }

  /** The average of the variable at build index `k`. */
  at(k: number): tf.Variable {
    return this.averages[k] as tf.Variable;
  }

  /**
   * The averages after step `step` (0-based) of the variables at build indices `indices`, from their new values:
   * `avg = m * avg + (1 - m) * w`, with `m = 0` on the first step (Keras) and `emaMomentum` after.
   */
  next(indices: readonly number[], weights: readonly tf.Tensor[], step: number): tf.Tensor[] {
    const m = step === 0 ? 0 : this.momentum;
    const mT = tf.scalar(m);
    const oneMinus = tf.scalar(1 - m);
    return indices.map((k, i) => tf.add(tf.mul(mT, this.at(k)), tf.mul(oneMinus, weights[i] as tf.Tensor)));
  }

  /** Whether step `step` (0-based) ends by writing the averages over the weights: Keras's `(iterations + 1) % k == 0`. */
  overwritesAt(step: number): boolean {
    return this.overwriteFrequency !== null && (step + 1) % this.overwriteFrequency === 0;
  }

  /** Swaps each variable's value with its average (evaluate with the averages, then swap back). */
  swap(variables: readonly tf.Variable[]): void {
    variables.forEach((v, k) => {
      const avg = this.at(k);
      const w = tf.clone(v);
      v.assign(avg);
      avg.assign(w);
      w.dispose();
    });
  }

  /** Keras `finalize_variable_values`: writes the averages over the weights. */
  finalize(variables: readonly tf.Variable[]): void {
    variables.forEach((v, k) => {
      v.assign(this.at(k));
    });
  }

  dispose(): void {
    for (const a of this.averages) a.dispose();
  }
}
