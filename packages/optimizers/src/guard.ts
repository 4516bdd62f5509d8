/**
 * The non-finite-gradient guard. Each step reads its verdict before writing anything: the sum of every gradient,
 * finite exactly when every element is (unless the sum overflows float32), one number per variable. A bad step
 * writes nothing, so no weight, slot or average ever takes a value computed from a bad gradient, and under
 * `'throw'` the next call throws.
 *
 * This read is the one a step makes, and it is necessary: the next call can only throw if the verdict has come
 * back, and keeping the check on the device (writing `where(ok, new, old)`) costs more than the read on every
 * backend measured (README, "Non-finite gradients"): on cpu and wasm a read is a copy, while wasm runs a
 * `Select` about ten times slower than an addition; on WebGL (SwiftShader) the read added about 7 ms to a 40 ms
 * Adam step and the device check's `isFinite` and `Select` kernels about 40 ms.
 *
 * The sums are matrix products with a row of ones, `ones(1, r) x g(r, c)`, then a sum of c numbers: every backend
 * runs a matrix product fast, where a sum over a large tensor is a slow reduction on wasm and WebGL.
 */
import { tf } from '@opt/tensor';
import type { NonFiniteGradients } from './options.js';

/** A NaN or infinite gradient reached the optimizer (policy `'throw'`). */
export class NonFiniteGradientError extends Error {
  constructor(
    readonly step: number,
    readonly variableName: string,
  ) {
    super(
      `Non-finite gradient (NaN or Infinity) for variable "${variableName}" at step ${step} (0-based). ` +
        'That step changed nothing; the optimizer refuses further steps until a saved state is restored with ' +
        'setState, or use a new one. Lower the learning rate, clip gradients (clipnorm/globalClipnorm), check ' +
        "the data, or pass nonFiniteGradients: 'skip' to skip such steps.",
    );
    this.name = 'NonFiniteGradientError';
  }
}

export interface NonFiniteReport {
  skippedSteps: number;
  lastBadStep: number | null;
  variableName: string | null;
}

function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i] as number)) return i;
  return -1;
}

export class NonFiniteGuard {
  private error: NonFiniteGradientError | null = null;
  private skippedSteps = 0;
  private lastBad: { step: number; variableName: string } | null = null;
  /** Rows of ones by length, for the sums (kept across steps, freed by dispose). */
  private readonly ones = new Map<number, tf.Tensor>();

  constructor(readonly policy: NonFiniteGradients) {}

  /** Throws the error of an earlier bad step (`'throw'`): the first call after it, and every one until setState. */
  assertClean(): void {
    if (this.error !== null) throw this.error;
  }

  /**
   * The step's verdict (call inside the step's `tf.tidy`, before writing): true when every gradient is finite.
   * A bad step is recorded: the error for the next call (`'throw'`), or one more skipped step (`'skip'`).
   * `names` are the variables' names, to name the bad one.
   */
  passes(grads: readonly tf.Tensor[], step: number, names: readonly string[]): boolean {
    if (this.policy === 'unchecked') return true;
    const bad = firstNonFinite(tf.stack(grads.map((g) => this.total(g))).dataSync());
    if (bad < 0) return true;
    const variableName = names[bad] ?? `#${bad}`;
    if (this.policy === 'throw') this.error ??= new NonFiniteGradientError(step, variableName);
    else {
      this.skippedSteps += 1;
      this.lastBad = { step, variableName };
    }
    return false;
  }

  /** `sum(g)` as `ones(1, r) x g(r, c)` summed; `g` of rank > 2 is seen as `(size / c, c)`. */
  private total(g: tf.Tensor): tf.Tensor {
    if (g.rank < 2 || g.size === 0) return tf.sum(g);
    const columns = g.shape[g.rank - 1] as number;
    const rows = g.size / columns;
    const matrix = g.rank === 2 ? (g as tf.Tensor2D) : tf.reshape(g, [rows, columns]);
    let ones = this.ones.get(rows);
    if (ones === undefined) {
      ones = tf.keep(tf.ones([1, rows]));
      this.ones.set(rows, ones);
    }
    return tf.sum(tf.matMul(ones as tf.Tensor2D, matrix as tf.Tensor2D));
  }

  /** Throws a {@link NonFiniteGradientError} if a step had a non-finite gradient (`'throw'`). */
  async check(): Promise<void> {
    this.assertClean();
  }

  /** Steps skipped so far (`'skip'`), and the last bad step and its variable (either policy). */
  async report(): Promise<NonFiniteReport> {
    const last = this.error ?? this.lastBad;
    return {
      skippedSteps: this.skippedSteps,
      lastBadStep: last?.step ?? null,
      variableName: last?.variableName ?? null,
    };
  }

  /** Forgets any bad step (setState): training resumes from the restored state with `skippedSteps` counted. */
  reset(skippedSteps: number): void {
    this.error = null;
    this.skippedSteps = skippedSteps;
    this.lastBad = null;
  }

  dispose(): void {
    for (const t of this.ones.values()) t.dispose();
    this.ones.clear();
  }
}
