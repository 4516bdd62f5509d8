/**
 * The non-finite-gradient guard. Each step gets a verdict from one reduction per gradient (`sum(g_i)`, finite
 * exactly when every element is, unless the sum overflows float32), and no weight takes a value computed from a
 * bad gradient. Under `'throw'` the first call after a bad step throws, even in a loop that never yields: that
 * call has to know the verdict, so it is read, and where it is read depends on what a read costs.
 * - cpu and wasm: the kernels have run when they return, so a read is a copy of one number per variable. The
 *   step reads its verdict before writing and writes nothing when it is bad. This is the one read a step makes;
 *   it replaces a `Select` per weight, which wasm runs about ten times slower than an addition.
 * - other backends (webgl, webgpu, the native one): a read would wait for the GPU, so nothing is read inside the
 *   step. Each weight is written as `where(ok, new, old)` and the verdict is read in the background after the
 *   step; the next call reads it only if that read has not answered yet (a loop that never yields).
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
        'That step left the weights as they were; the optimizer refuses further steps until a saved state is ' +
        'restored with setState, or use a new one. Lower the learning rate, clip gradients ' +
        "(clipnorm/globalClipnorm), check the data, or pass nonFiniteGradients: 'skip' to skip such steps.",
    );
    this.name = 'NonFiniteGradientError';
  }
}

/** How a step writes its results: `where(ok, fresh, old)` in the checked modes. */
export interface Gate {
  /** For a weight and its moving average (pair `i`). */
  weight(i: number, fresh: tf.Tensor, old: tf.Tensor): tf.Tensor;
  /** For a slot: gated under `'skip'`; under `'throw'` the next call throws, and setState restores the slots. */
  slot(i: number, fresh: tf.Tensor, old: tf.Tensor): tf.Tensor;
}

const OPEN: Gate = { weight: (_i, fresh) => fresh, slot: (_i, fresh) => fresh };

/** Backends whose kernels have run on the CPU when they return: reading the verdict is a copy. */
const READS_VERDICT = new Set(['cpu', 'wasm']);

function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i] as number)) return i;
  return -1;
}

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
  /** `'skip'`: steps skipped on cpu or wasm, which read their verdict (the device record counts the others). */
  private readonly skipped: { count: number; last: { step: number; variableName: string } | null } = {
    count: 0,
    last: null,
  };
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
   * Adds the check to step `step` (call inside the step's `tf.tidy`, before writing anything) and returns how the
   * step writes its results: open, `where(ok, new, old)`, or null when it must write nothing (a bad step seen on
   * cpu or wasm). `names` are the variables' names, to name a bad one.
   */
  gate(grads: readonly tf.Tensor[], step: number, names: readonly string[]): Gate | null {
    if (this.policy === 'unchecked') return OPEN;
    const sums = tf.stack(grads.map((g) => tf.sum(g)));
    if (READS_VERDICT.has(tf.getBackend())) {
      const bad = firstNonFinite(sums.dataSync());
      if (bad < 0) return OPEN;
      this.markBad(step, names[bad] ?? `#${bad}`);
      return null;
    }
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

  /** A bad step known in JavaScript: the error for the next call (`'throw'`), or one more skipped step (`'skip'`). */
  private markBad(step: number, variableName: string): void {
    if (this.policy === 'throw') this.error ??= new NonFiniteGradientError(step, variableName);
    else {
      this.skipped.count += 1;
      this.skipped.last = { step, variableName };
    }
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
    const fromDevice = await this.readRecord();
    const count = this.skipped.count + fromDevice.count;
    const last = [this.skipped.last, fromDevice.last]
      .filter((x) => x !== null)
      .sort((a, b) => (b as { step: number }).step - (a as { step: number }).step)[0];
    return {
      skippedSteps: count,
      lastBadStep: last?.step ?? null,
      variableName: last?.variableName ?? null,
    };
  }

  /** The device record of `'skip'`: steps skipped and the last bad one. */
  private async readRecord(): Promise<{ count: number; last: { step: number; variableName: string } | null }> {
    const r = this.record;
    if (r === null) return { count: 0, last: null };
    const packed = tf.tidy(() => tf.stack([r.skipped, r.lastBadStep, r.lastBadIndex]));
    const [count, step, index] = Array.from(await packed.data().finally(() => packed.dispose())) as number[];
    return {
      count: count as number,
      last:
        (step as number) < 0
          ? null
          : { step: step as number, variableName: this.nameAt(step as number, index as number) },
    };
  }

  /** Forgets any bad step (setState): training resumes from the restored state with `skippedSteps` counted. */
  reset(skippedSteps: number): void {
    this.error = null;
    this.pending?.sums.dispose();
    this.pending = null;
    this.skipped.count = skippedSteps;
    this.skipped.last = null;
    const r = this.record;
    if (r !== null) {
      tf.tidy(() => {
        r.skipped.assign(tf.scalar(0));
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
    const bad = firstNonFinite(values);
    if (bad >= 0) this.markBad(verdict.step, verdict.names[bad] ?? `#${bad}`);
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
