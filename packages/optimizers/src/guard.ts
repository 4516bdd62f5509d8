/**
 * The non-finite-gradient guard: Keras's LossScaleOptimizer check, `all(isfinite(g))` and a conditional, as the
 * verdict op (`ops/finite-verdict.ts`) plus a gate. This module is the policy: `'throw'`, `'skip'` or `'unchecked'`,
 * and when the device's record is read back.
 *
 * - Where a read does not stall the backend (cpu, wasm, the native backend) the step reads its verdict before it
 *   writes; a bad step writes nothing and, under `'throw'`, the next call throws, even in a loop that never yields.
 * - Where it does (WebGL, WebGPU) the verdict stays on the device: its gate goes to `applyUpdates`, and a record of
 *   bad steps is read back asynchronously, one read in flight, once 16 steps or a second have passed. The error comes
 *   up at the first call after that read, with `iterations` set back to the bad step's; the gate kept the calls
 *   between from writing.
 */
import { tf } from '@opt/tensor';
import {
  finiteRows,
  finiteSum,
  finiteVerdict,
  initialRecord,
  KeptZeros,
  NO_BAD_STEP,
  type RecordPolicy,
  type RowRange,
  readsStall,
} from './ops/index.js';
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

/** What the non-finite-gradient guard saw: steps skipped and the last bad step. */
export interface NonFiniteReport {
  skippedSteps: number;
  lastBadStep: number | null;
  variableName: string | null;
}

/** Where the verdict goes: read back each step, or kept on the device to gate the writes. */
export type VerdictMode = 'read' | 'device';

let forcedMode: VerdictMode | null = null;

/** For tests: use `mode` on every backend (null: as the backend's reads require). */
export function forceVerdictMode(mode: VerdictMode | null): void {
  forcedMode = mode;
}

/** 'device' where a read would stall the backend (WebGL, WebGPU), 'read' elsewhere. */
export function verdictMode(): VerdictMode {
  return forcedMode ?? (readsStall() ? 'device' : 'read');
}

/** `pass` false: a bad step found by a read, write nothing. `gate`: the device's verdict for `applyUpdates`. */
export interface Verdict {
  readonly pass: boolean;
  readonly gate: tf.Tensor | null;
}

const OPEN: Verdict = { pass: true, gate: null };
const READ_EVERY_STEPS = 16;
const READ_EVERY_MS = 1000;

/** The device's record (a kept tensor, replaced each step) and the variables its row numbers refer to. */
interface DeviceRecord {
  state: tf.Tensor;
  rows: Array<{ name: string; end: number }>;
  rowsSince: number;
  signature: string;
}

function nameAt(rows: ReadonlyArray<{ name: string; end: number }>, row: number): string {
  return rows.find((r) => row < r.end)?.name ?? `#${row}`;
}

function named(ranges: readonly RowRange[], names: readonly string[]): Array<{ name: string; end: number }> {
  return ranges.map((r) => ({ name: names[r.index] ?? `#${r.index}`, end: r.end }));
}

export class NonFiniteGuard {
  private error: NonFiniteGradientError | null = null;
  private skippedSteps = 0;
  private lastBad: { step: number; variableName: string } | null = null;
  /** Skipped steps counted before the device's record started (setState's count). */
  private skippedBase = 0;
  private readonly zeros = new KeptZeros();
  private record: DeviceRecord | null = null;
  /** The read in flight, and a count that makes a read started before `reset` stale. */
  private reading: Promise<void> | null = null;
  private generation = 0;
  private stepsSinceRead = 0;
  private lastReadAt = Number.NEGATIVE_INFINITY;
  /** Records a read in flight still needs: freed when it ends, not when the record moves on. */
  private readonly held = new Set<tf.Tensor>();

  constructor(readonly policy: NonFiniteGradients) {}

  /** The error of an earlier bad step (`'throw'`), if one is known. */
  get pendingError(): NonFiniteGradientError | null {
    return this.error;
  }

  /** Throws the error of an earlier bad step (`'throw'`): the first call after it is known, and every one until setState. */
  assertClean(): void {
    if (this.error !== null) throw this.error;
  }

  /** The step's verdict; call inside the step's `tf.tidy`, before computing the update. */
  verdict(grads: readonly tf.Tensor[], step: number, names: readonly string[]): Verdict {
    if (this.policy === 'unchecked') return OPEN;
    if (verdictMode() === 'device') return { pass: true, gate: this.onDevice(grads, step, names) };
    if (Number.isFinite(finiteSum(grads, this.zeros).dataSync()[0] as number)) return OPEN;
    // A bad step (rare): its rows and one read more, to name the variable.
    const { rows, ranges } = finiteRows(grads, this.zeros);
    const values = rows.dataSync();
    const first = values.findIndex((x) => !Number.isFinite(x));
    this.takeBad(step, nameAt(named(ranges, names), first));
    return { pass: false, gate: null };
  }

  private takeBad(step: number, variableName: string, skipped?: number): void {
    if (this.policy === 'throw') this.error ??= new NonFiniteGradientError(step, variableName);
    else {
      this.skippedSteps = skipped === undefined ? this.skippedSteps + 1 : this.skippedBase + skipped;
      this.lastBad = { step, variableName };
    }
  }

  /** Updates the device's record with this step; returns the gate. */
  private onDevice(grads: readonly tf.Tensor[], step: number, names: readonly string[]): tf.Tensor {
    const policy = this.policy as RecordPolicy;
    this.record ??= { state: tf.keep(initialRecord(policy)), rows: [], rowsSince: step, signature: '' };
    const record = this.record;
    const next = finiteVerdict(grads, record.state, step, policy, this.zeros);
    const signature = names.join('\n');
    if (signature !== record.signature) {
      // Another set of variables: a bad step recorded before this one is named no more.
      Object.assign(record, { rows: named(next.ranges, names), rowsSince: step, signature });
    }
    const old = record.state;
    record.state = tf.keep(next.record);
    this.release(old);
    this.maybeRead();
    return next.gate;
  }

  /** Starts a read when none is in flight and 16 steps or a second have passed since the last one started. */
  private maybeRead(): void {
    this.stepsSinceRead += 1;
    if (this.reading !== null) return;
    const now = performance.now();
    if (this.stepsSinceRead < READ_EVERY_STEPS && now - this.lastReadAt < READ_EVERY_MS) return;
    this.stepsSinceRead = 0;
    this.lastReadAt = now;
    // A read that fails in the background (the backend went away) is retried by the next check or report.
    this.reading = this.readRecord().catch(() => undefined);
  }

  private release(t: tf.Tensor): void {
    if (!this.held.has(t)) t.dispose();
  }

  /** Reads `[badStep, skipped, badRow, open]` back and takes in what it says. */
  private readRecord(): Promise<void> {
    const record = this.record;
    if (record === null) return Promise.resolve();
    const { state, rows, rowsSince } = record;
    const generation = this.generation;
    this.held.add(state);
    return state
      .data()
      .then((values) => {
        if (generation !== this.generation) return;
        const [step, skipped, badRow] = Array.from(values as Float32Array);
        if (step === undefined || step === NO_BAD_STEP || step < 0) return;
        const variableName =
          (badRow as number) < 0 || step < rowsSince
            ? '(not known: the variables changed after that step)'
            : nameAt(rows, badRow as number);
        this.takeBad(step, variableName, skipped);
      })
      .finally(() => {
        this.held.delete(state);
        if (this.record?.state !== state) state.dispose();
        if (generation === this.generation) this.reading = null;
      });
  }

  /** Waits for the device's record as it is now (a read in flight first, then a fresh one). */
  async settle(): Promise<void> {
    if (this.record === null) return;
    await this.reading;
    const fresh = this.readRecord();
    this.reading = fresh.catch(() => undefined);
    await fresh;
  }

  /** Steps skipped so far (`'skip'`), and the last bad step and its variable (either policy). */
  async report(): Promise<NonFiniteReport> {
    await this.settle();
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
    this.skippedBase = skippedSteps;
    this.lastBad = null;
    this.disposeRecord();
  }

  private disposeRecord(): void {
    this.generation += 1;
    this.reading = null;
    const record = this.record;
    this.record = null;
    if (record !== null) this.release(record.state);
  }

  dispose(): void {
    this.zeros.dispose();
    this.disposeRecord();
  }
}
