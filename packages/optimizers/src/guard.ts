/**
 * The non-finite-gradient guard. Inside a step nothing is read back from the device: on a GPU that would stall
 * the pipeline every step, so the check is part of the step's arithmetic. One reduction per gradient gives the
 * step's verdict (`sum(g_i)`, finite exactly when every element is, unless the sum overflows float32), and each
 * weight is written as `where(ok, new, old)`. Under `'throw'` the verdict is read after the step, in the
 * background, and at the latest by the next call, which then throws: the one read the guard makes inside a
 * call, and only when the background read has not answered yet, so that the first call after a bad step
 * throws even in a loop that never yields.
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
        'That step left the weights as they were, but not the optimizer slots: the optimizer refuses further ' +
        'steps until a saved state is restored with setState (or use a new optimizer). Lower the learning rate, ' +
        "clip gradients (clipnorm/globalClipnorm), check the data, or pass nonFiniteGradients: 'skip' to skip such steps.",
    );
    this.name = 'NonFiniteGradientError';
  }
}

/** How a step writes its results: `where(ok, fresh, old)` in the checked modes. */
export interface Gate {
  /** For a weight and its moving average (pair `i`). */
  weight(i: number, fresh: tf.Tensor, old: tf.Tensor): tf.Tensor;
  /** For a slot: gated under `'skip'`; under `'throw'` a bad step's slots are not kept (the next call throws). */
  slot(i: number, fresh: tf.Tensor, old: tf.Tensor): tf.Tensor;
}

const OPEN: Gate = { weight: (_i, fresh) => fresh, slot: (_i, fresh) => fresh };

/** A step's per-variable gradient sums, kept until read (`'throw'`). */
interface Verdict {
  readonly step: number;
  readonly names: readonly string[];
  readonly sums: tf.Tensor;
}

/** Device-side record of skipped steps (`'skip'`). */
interface SkipRecord {
  readonly skipped: tf.Variable;
  readonly lastBadStep: tf.Variable;
  readonly lastBadIndex: tf.Variable;
}

export interface NonFiniteReport {
  skippedSteps: number;
  lastBadStep: number | null;
  variableName: string | null;
}

/** `where(condition, t, e)` for a condition already of the output's shape: one Select kernel (tf.where adds broadcasts). */
function select(condition: tf.Tensor, t: tf.Tensor, e: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel('Select', { condition, t, e }) as tf.Tensor;
}

/** A scalar variable (its initial tensor freed, so nothing but the variable is left). */
function scalarVariable(value: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.scalar(value), false));
}

export class NonFiniteGuard {
  private error: NonFiniteGradientError | null = null;
  private pending: Verdict | null = null;
  private record: SkipRecord | null = null;
  /** `'skip'`: the variable names of each step from `fromStep` on (recorded when they change), to name a bad one. */
  private readonly layouts: Array<{ fromStep: number; names: readonly string[] }> = [];

  constructor(readonly policy: NonFiniteGradients) {}

  /**
   * Throws the error of an earlier bad step (`'throw'`). The last step's verdict is read here if the background
   * read has not answered yet (a loop that never yields): one small read, so that this call, the first after a
   * bad step, throws instead of building on it.
   */
  assertClean(): void {
    if (this.error === null && this.pending !== null) {
      const verdict = this.pending;
      this.judge(verdict, verdict.sums.dataSync());
    }
    if (this.error !== null) throw this.error;
  }

  /**
   * Adds the check to step `step` (call inside the step's `tf.tidy`): `ok = all_i isFinite(sum(g_i))`, and returns
   * the gate that writes `where(ok, new, old)`. `names` are the variables' names, to name a bad one later.
   */
  gate(grads: readonly tf.Tensor[], step: number, names: readonly string[]): Gate {
    if (this.policy === 'unchecked') return OPEN;
    const sums = tf.stack(grads.map((g) => tf.sum(g)));
    // 0 when every sum is finite, NaN otherwise; sum(x * 0) cannot overflow
    const poison = tf.sum(tf.mul(sums, tf.scalar(0)));
    if (this.policy === 'throw') {
      this.pending?.sums.dispose();
      this.pending = { step, names, sums: tf.keep(sums) };
    } else this.recordSkip(sums, poison, step, names);
    // A full-shaped condition per gradient without Tile or broadcast compares (slow on wasm): isFinite(g + poison).
    const conditions = new Map<number, tf.Tensor>();
    const weight = (i: number, fresh: tf.Tensor, old: tf.Tensor) => {
      let condition = conditions.get(i);
      if (condition === undefined) {
        condition = tf.isFinite(tf.add(grads[i] as tf.Tensor, poison));
        conditions.set(i, condition);
      }
      return select(condition, fresh, old);
    };
    return { weight, slot: this.policy === 'skip' ? weight : OPEN.slot };
  }

  /** After the step has returned: reads its verdict in the background (`'throw'`). */
  afterStep(): void {
    const verdict = this.pending;
    if (verdict === null) return;
    queueMicrotask(() => {
      if (this.pending !== verdict) return;
      verdict.sums
        .data()
        .then((values) => {
          if (this.pending === verdict) this.judge(verdict, values);
        })
        .catch(() => {
          // read again by the next call or by check()
        });
    });
  }

  /** Waits for the last step's verdict; throws a {@link NonFiniteGradientError} if a step had a bad gradient (`'throw'`). */
  async check(): Promise<void> {
    const verdict = this.pending;
    if (this.error === null && verdict !== null) {
      const values = await verdict.sums.data();
      if (this.pending === verdict) this.judge(verdict, values);
    }
    if (this.error !== null) throw this.error;
  }

  /** Steps skipped so far (`'skip'`), and the last bad step and variable (either policy). */
  async report(): Promise<NonFiniteReport> {
    if (this.policy === 'throw') {
      await this.check().catch(() => undefined);
      return this.error === null
        ? { skippedSteps: 0, lastBadStep: null, variableName: null }
        : { skippedSteps: 0, lastBadStep: this.error.step, variableName: this.error.variableName };
    }
    const r = this.record;
    if (r === null) return { skippedSteps: 0, lastBadStep: null, variableName: null };
    const packed = tf.tidy(() => tf.stack([r.skipped, r.lastBadStep, r.lastBadIndex]));
    const [skipped, badStep, badIndex] = Array.from(await packed.data().finally(() => packed.dispose())) as number[];
    if ((badStep as number) < 0) return { skippedSteps: skipped as number, lastBadStep: null, variableName: null };
    return {
      skippedSteps: skipped as number,
      lastBadStep: badStep as number,
      variableName: this.nameAt(badStep as number, badIndex as number),
    };
  }

  /** Forgets any bad step (setState): training resumes from the restored state with `skippedSteps` counted. */
  reset(skippedSteps: number): void {
    this.error = null;
    this.pending?.sums.dispose();
    this.pending = null;
    if (this.policy === 'skip' && (this.record !== null || skippedSteps > 0)) {
      const r = this.ensureRecord();
      tf.tidy(() => {
        r.skipped.assign(tf.scalar(skippedSteps));
        r.lastBadStep.assign(tf.scalar(-1));
        r.lastBadIndex.assign(tf.scalar(-1));
      });
    }
  }

  dispose(): void {
    this.pending?.sums.dispose();
    this.pending = null;
    if (this.record !== null) for (const v of Object.values(this.record)) (v as tf.Variable).dispose();
    this.record = null;
  }

  private judge(verdict: Verdict, values: ArrayLike<number>): void {
    this.pending = null;
    verdict.sums.dispose();
    const bad = Array.from(values).findIndex((x) => !Number.isFinite(x));
    if (bad >= 0 && this.error === null) {
      this.error = new NonFiniteGradientError(verdict.step, verdict.names[bad] ?? `#${bad}`);
    }
  }

  /** `'skip'`: counts the step if it is bad and records it and its first bad variable, on the device. */
  private recordSkip(sums: tf.Tensor, poison: tf.Tensor, step: number, names: readonly string[]): void {
    const last = this.layouts[this.layouts.length - 1];
    if (last === undefined || last.names.length !== names.length || last.names.some((n, i) => n !== names[i])) {
      this.layouts.push({ fromStep: step, names });
    }
    const r = this.ensureRecord();
    const bad = tf.isNaN(poison);
    const index = tf.cast(tf.argMin(tf.cast(tf.isFinite(sums), 'int32')), 'float32');
    r.skipped.assign(tf.add(r.skipped, tf.cast(bad, 'float32')));
    r.lastBadStep.assign(select(bad, tf.scalar(step), r.lastBadStep));
    r.lastBadIndex.assign(select(bad, index, r.lastBadIndex));
  }

  private ensureRecord(): SkipRecord {
    this.record ??= { skipped: scalarVariable(0), lastBadStep: scalarVariable(-1), lastBadIndex: scalarVariable(-1) };
    return this.record;
  }

  private nameAt(step: number, index: number): string {
    let layout = this.layouts[0];
    for (const l of this.layouts) if (l.fromStep <= step) layout = l;
    return layout?.names[index] ?? `#${index}`;
  }
}
