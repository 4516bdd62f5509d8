/**
 * The non-finite-gradient guard. A step's verdict is one number: the sum of `0 * g` over every element of every
 * gradient, taken as a matrix product with a column of zeros per gradient (`g(r, c) x zeros(c, 1)`, every backend
 * runs a matrix product fast) and one sum over the concatenated rows. It is 0 exactly when every element is
 * finite and NaN otherwise (`0 * Infinity` and `0 * NaN` are NaN), whatever the magnitudes: nothing can overflow.
 * A bad step writes nothing, so no weight, slot or average ever takes a value computed from a bad gradient.
 *
 * Where the verdict goes depends on the backend:
 * - cpu, wasm, the native backend ('read'): the step reads the number back before it writes. The kernels have
 *   run when they return, so the read is a copy; a bad step writes nothing and, under `'throw'`, the next call
 *   throws, even in a loop that never yields.
 * - WebGL, WebGPU ('device'): a read waits for the GPU to finish the step and stalls the pipeline, so the verdict
 *   stays on the device. It gates the step's writes there (a fused Adam kernel keeps the old values when the gate
 *   is shut, other transformations go through `where(ok, new, old)`), and, under `'throw'`, shuts every later step
 *   too. On WebGL the record is kept by two programs of its own (`guard-webgl.ts`); elsewhere by tfjs ops. The
 *   guard reads the record back asynchronously, one read in flight at most, started once 16 steps or a second
 *   have passed since the last one (each read makes the GPU finish its queue: a read per step cost WebGL a tenth
 *   of its steps). The error comes up at the first call after that read has come back (a loop that never yields
 *   sees it when it next awaits), and `iterations` is set back to the bad step's, as if the calls between had
 *   thrown; the gate kept them from writing.
 */
import { isWebGLBackend, tf } from '@opt/tensor';
import { initialRecord, MAX_COLUMNS, NO_BAD_STEP, nextRecord, recordProgramsAvailable } from './guard-webgl.js';
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

/** Where the verdict goes: read back each step, or kept on the device to gate the writes. */
export type VerdictMode = 'read' | 'device';

let forcedMode: VerdictMode | null = null;

/** For tests: use `mode` on every backend (null: by backend). */
export function forceVerdictMode(mode: VerdictMode | null): void {
  forcedMode = mode;
}

/** 'device' on backends whose reads wait for a GPU (WebGL, WebGPU), 'read' elsewhere. */
export function verdictMode(): VerdictMode {
  if (forcedMode !== null) return forcedMode;
  const webgpu = typeof (tf.backend() as unknown as Record<string, unknown>).runWebGPUProgram === 'function';
  return isWebGLBackend() || webgpu ? 'device' : 'read';
}

/**
 * A step's verdict as the optimizer uses it. `pass` false: a bad step found by a read, write nothing. `gate`: the
 * device's verdict, a bool scalar (true: open) that the writes must go through.
 */
export interface Verdict {
  readonly pass: boolean;
  readonly gate: tf.Tensor | null;
}

const OPEN: Verdict = { pass: true, gate: null };
/** Larger than any step index a float32 holds exactly (2^24): "no bad step" in the device's record. */
const NONE = NO_BAD_STEP;
/** How often the device's record is read back during training: every 16 steps, or every second if that is sooner. */
const READ_EVERY_STEPS = 16;
const READ_EVERY_MS = 1000;

/** The device's record of bad steps (kept tensors, replaced each step), by tfjs ops or by WebGL programs. */
type DeviceRecord = OpsRecord | ProgramRecord;

/** The variables whose rows the record's row numbers refer to, since which step. */
interface RecordColumns {
  columns: Column[];
  columnsSince: number;
  signature: string;
}

/** The record kept by the WebGL programs: one vector `[badStep, skipped, badRow, open]`. */
interface ProgramRecord extends RecordColumns {
  kind: 'programs';
  state: tf.Tensor;
}

/** The record kept by tfjs ops. */
interface OpsRecord extends RecordColumns {
  kind: 'ops';
  /** 'throw': the first bad step (NONE if none), 'skip': the last one (-1 if none). */
  badStep: tf.Tensor;
  /** 'skip': bad steps counted since the record started. */
  skipped: tf.Tensor;
  /** Per column of the finiteness row, whether it was non-finite at the recorded bad step, to name its variable. */
  badRow: tf.Tensor | null;
}

/** The kept tensors that hold a record. */
function recordTensors(record: DeviceRecord): tf.Tensor[] {
  if (record.kind === 'programs') return [record.state];
  return [record.badStep, record.skipped, ...(record.badRow === null ? [] : [record.badRow])];
}

/** The variable whose columns of the finiteness row end before `end` (exclusive), after the previous one's. */
interface Column {
  readonly name: string;
  readonly end: number;
}

/** The name of the variable that column `index` belongs to. */
function nameAt(columns: readonly Column[], index: number): string {
  return columns.find((c) => index < c.end)?.name ?? `#${index}`;
}

/** `where(condition, a, b)` for tensors of one shape, without the broadcasts `tf.where` adds (a kernel each). */
function select(condition: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel('Select', { condition, t: a, e: b }) as tf.Tensor;
}

function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i] as number)) return i;
  return -1;
}

export class NonFiniteGuard {
  private error: NonFiniteGradientError | null = null;
  private skippedSteps = 0;
  private lastBad: { step: number; variableName: string } | null = null;
  /** Skipped steps counted before the device's record started (setState's count). */
  private skippedBase = 0;
  /** Columns of zeros by length, and a zero scalar, for the verdict (kept across steps, freed by dispose). */
  private readonly zeros = new Map<number, tf.Tensor>();
  private record: DeviceRecord | null = null;
  /** The read of the device's record in flight, and a count that makes a read started before `reset` stale. */
  private reading: Promise<void> | null = null;
  private generation = 0;
  /** Steps since the last read of the device's record started, and when it started (ms). */
  private stepsSinceRead = 0;
  private lastReadAt = Number.NEGATIVE_INFINITY;

  constructor(readonly policy: NonFiniteGradients) {}

  /** The error of an earlier bad step (`'throw'`), if one is known. */
  get pendingError(): NonFiniteGradientError | null {
    return this.error;
  }

  /** Throws the error of an earlier bad step (`'throw'`): the first call after it is known, and every one until setState. */
  assertClean(): void {
    if (this.error !== null) throw this.error;
  }

  /**
   * The step's verdict (call inside the step's `tf.tidy`, before computing the update). 'read' mode reads it
   * back and records a bad step: the error for the next call (`'throw'`), or one more skipped step (`'skip'`).
   * 'device' mode returns the gate and updates the device's record. `names` name the variables.
   */
  verdict(grads: readonly tf.Tensor[], step: number, names: readonly string[]): Verdict {
    if (this.policy === 'unchecked') return OPEN;
    const device = verdictMode() === 'device';
    if (device && recordProgramsAvailable()) return { pass: true, gate: this.gateByPrograms(grads, names, step) };
    const { row, columns } = this.finitenessRow(grads, names);
    const sum = tf.sum(row) as tf.Scalar;
    if (device) return { pass: true, gate: this.gateOnDevice(row, columns, sum, names, step) };
    if (Number.isFinite(sum.dataSync()[0] as number)) return OPEN;
    // A bad step (rare): which variable, one read more.
    this.recordBad(step, nameAt(columns, firstNonFinite(row.dataSync())));
    return { pass: false, gate: null };
  }

  private recordBad(step: number, variableName: string): void {
    if (this.policy === 'throw') this.error ??= new NonFiniteGradientError(step, variableName);
    else {
      this.skippedSteps += 1;
      this.lastBad = { step, variableName };
    }
  }

  /**
   * `0 * g` summed along the last axis of each gradient, as one row of zeros and NaNs: a matrix product
   * `g(r, c) x zeros(c, 1)` per gradient of rank 2 or more (seen as `(size / c, c)`), and the vectors and scalars
   * concatenated and multiplied by 0 together, joined into one column (called the row: its layout does not
   * matter). `columns` says which variable each range of it belongs to.
   */
  private finitenessRow(grads: readonly tf.Tensor[], names: readonly string[]): { row: tf.Tensor; columns: Column[] } {
    const pieces: tf.Tensor[] = [];
    const columns: Column[] = [];
    let end = 0;
    const vectors: tf.Tensor[] = [];
    const vectorColumns: Array<{ name: string; size: number }> = [];
    grads.forEach((g, i) => {
      const name = names[i] ?? `#${i}`;
      if (g.size === 0) return;
      if (g.rank < 2) {
        vectors.push(g.rank === 1 ? g : tf.reshape(g, [1]));
        vectorColumns.push({ name, size: g.size });
        return;
      }
      const { column, rows } = this.verdictColumn(g);
      pieces.push(column);
      end += rows;
      columns.push({ name, end });
    });
    if (vectors.length > 0) {
      const joined = vectors.length === 1 ? (vectors[0] as tf.Tensor) : tf.concat(vectors);
      pieces.push(tf.reshape(tf.mul(joined, this.zerosOf(0)), [joined.size, 1]));
      for (const v of vectorColumns) {
        end += v.size;
        columns.push({ name: v.name, end });
      }
    }
    if (pieces.length === 0) return { row: tf.zeros([1, 1]), columns };
    return { row: pieces.length === 1 ? (pieces[0] as tf.Tensor) : tf.concat(pieces, 0), columns };
  }

  /**
   * `0 * g` summed along the last axis, `g(size / c, c) x zeros(c, 1)` (a vector is one row, a scalar one element):
   * its column and rows. The gradient is on the left: wasm's matMul packs its right operand once per tensor, so the
   * kept zeros are packed once, not a new gradient every step (which cost more than the rest of the guard).
   */
  private verdictColumn(g: tf.Tensor): { column: tf.Tensor; rows: number } {
    const c = g.rank === 0 ? 1 : (g.shape[g.rank - 1] as number);
    const rows = g.size / c;
    const matrix = g.rank === 2 ? (g as tf.Tensor2D) : (tf.reshape(g, [rows, c]) as tf.Tensor2D);
    return { column: tf.matMul(matrix, this.zerosOf(c) as tf.Tensor2D), rows };
  }

  /** A kept column of `length` zeros (0: a zero scalar). */
  private zerosOf(length: number): tf.Tensor {
    let z = this.zeros.get(length);
    if (z === undefined) {
      z = tf.keep(length === 0 ? tf.scalar(0) : tf.zeros([length, 1]));
      this.zeros.set(length, z);
    }
    return z;
  }

  /** The device's record of `kind`, made by `make` when there is none, or one of the other kind (the backend changed). */
  private recordOf<R extends DeviceRecord>(kind: R['kind'], make: () => R): R {
    if (this.record !== null && this.record.kind !== kind) this.disposeRecord();
    this.record ??= make();
    return this.record as R;
  }

  /**
   * The WebGL record: one matrix product per gradient (`g(size / c, c) x zeros(c, 1)`, vectors and scalars as one
   * row), the record program and the gate program. Returns the gate.
   */
  private gateByPrograms(grads: readonly tf.Tensor[], names: readonly string[], step: number): tf.Tensor {
    const policy = this.policy as 'throw' | 'skip';
    let pieces: tf.Tensor[] = [];
    const columns: Column[] = [];
    let end = 0;
    grads.forEach((g, i) => {
      if (g.size === 0) return;
      const { column, rows } = this.verdictColumn(g);
      pieces.push(column);
      end += rows;
      columns.push({ name: names[i] ?? `#${i}`, end });
    });
    if (pieces.length === 0) pieces = [tf.zeros([1, 1])];
    if (pieces.length > MAX_COLUMNS) pieces = [tf.concat(pieces, 0)];
    const record = this.recordOf<ProgramRecord>('programs', () => ({
      kind: 'programs',
      state: tf.keep(initialRecord(policy)),
      columns,
      columnsSince: step,
      signature: '',
    }));
    const signature = names.join('\n');
    if (signature !== record.signature) {
      // Another set of variables: a bad step recorded before this one is named no more.
      Object.assign(record, { columns, columnsSince: step, signature });
    }
    const next = nextRecord(record.state, pieces, step, policy);
    const old = record.state;
    record.state = tf.keep(next.record);
    this.release(old);
    this.maybeRead();
    return next.gate;
  }

  /**
   * Updates the device's record with this step and returns its gate (a bool scalar): 'throw' keeps the first bad
   * step, and its gate stays shut from then on; 'skip' keeps the last bad step and a count, and shuts bad steps only.
   */
  private gateOnDevice(
    row: tf.Tensor,
    columns: Column[],
    sum: tf.Scalar,
    names: readonly string[],
    step: number,
  ): tf.Tensor {
    const record = this.recordOf<OpsRecord>('ops', () => ({
      kind: 'ops',
      badStep: tf.keep(tf.scalar(this.policy === 'throw' ? NONE : -1)),
      skipped: tf.keep(tf.scalar(0)),
      badRow: null,
      columns: [],
      columnsSince: step,
      signature: '',
    }));
    const okStep = tf.equal(sum, 0);
    const stepT = tf.scalar(step);
    let badStep: tf.Tensor;
    let recordNow: tf.Tensor;
    let gate: tf.Tensor;
    let skipped = record.skipped;
    if (this.policy === 'throw') {
      badStep = select(okStep, record.badStep, tf.minimum(record.badStep, stepT));
      gate = tf.equal(badStep, NONE);
      recordNow = tf.equal(badStep, stepT);
    } else {
      badStep = select(okStep, record.badStep, stepT);
      gate = okStep;
      recordNow = tf.logicalNot(okStep);
      skipped = select(okStep, record.skipped, tf.add(record.skipped, 1));
    }
    const signature = names.join('\n');
    if (record.badRow !== null && signature !== record.signature) {
      // Another set of variables: the row starts over with theirs (a bad step recorded before is named no more).
      this.release(record.badRow);
      record.badRow = null;
    }
    if (record.badRow === null) {
      record.columns = columns;
      record.columnsSince = step;
      record.signature = signature;
    }
    // The record keeps, per column, whether it was non-finite at the recorded step (`row != row` is true for NaN).
    const nonFinite = tf.notEqual(row, row);
    const badRow =
      record.badRow === null
        ? tf.logicalAnd(nonFinite, recordNow)
        : this.policy === 'throw'
          ? tf.logicalOr(record.badRow, tf.logicalAnd(nonFinite, recordNow)) // set once: the first bad step's
          : tf.where(recordNow, nonFinite, record.badRow);
    for (const [old, next] of [
      [record.badStep, badStep],
      [record.skipped, skipped],
      [record.badRow, badRow],
    ] as const) {
      if (old === next) continue;
      tf.keep(next);
      if (old !== null) this.release(old);
    }
    Object.assign(record, { badStep, skipped, badRow });
    this.maybeRead();
    return gate;
  }

  /**
   * Starts a read of the device's record when none is in flight and 16 steps or a second have passed since the
   * last one started. A read that fails in the background (the backend went away) is retried by the next check or
   * report.
   */
  private maybeRead(): void {
    this.stepsSinceRead += 1;
    if (this.reading !== null) return;
    const now = performance.now();
    if (this.stepsSinceRead < READ_EVERY_STEPS && now - this.lastReadAt < READ_EVERY_MS) return;
    this.stepsSinceRead = 0;
    this.lastReadAt = now;
    this.reading = this.readRecord().catch(() => undefined);
  }

  /** Tensors of the record that a read in flight still needs: freed when it ends, not when the record moves on. */
  private readonly held = new Set<tf.Tensor>();

  /** Frees a tensor the record no longer holds, unless a read still needs it. */
  private release(t: tf.Tensor): void {
    if (!this.held.has(t)) t.dispose();
  }

  /** Reads the device's record back and takes in what it says. */
  private readRecord(): Promise<void> {
    const record = this.record;
    if (record === null) return Promise.resolve();
    const generation = this.generation;
    const tensors = recordTensors(record);
    for (const t of tensors) this.held.add(t);
    const { kind, columns, columnsSince } = record;
    return Promise.all(tensors.map((t) => t.data()))
      .then((values) => {
        if (generation !== this.generation) return;
        // Programs: [badStep, skipped, badRow, open]; ops: badStep, skipped, and per row whether it was bad.
        const [first, second, third] = values as Array<Float32Array | Int32Array | Uint8Array>;
        const step = (first as Float32Array)[0] as number;
        const skipped =
          kind === 'programs' ? ((first as Float32Array)[1] as number) : ((second as Float32Array)[0] as number);
        const badRow = kind === 'programs' ? ((first as Float32Array)[2] as number) : (third?.indexOf(1) ?? -1);
        if (step === NONE || step < 0) return;
        const variableName =
          badRow < 0 || step < columnsSince
            ? '(not known: the variables changed after that step)'
            : nameAt(columns, badRow);
        if (this.policy === 'throw') this.error ??= new NonFiniteGradientError(step, variableName);
        else {
          this.skippedSteps = this.skippedBase + skipped;
          this.lastBad = { step, variableName };
        }
      })
      .finally(() => {
        const current = this.record === null ? [] : recordTensors(this.record);
        for (const t of tensors) {
          this.held.delete(t);
          if (!current.includes(t) && !this.held.has(t)) t.dispose();
        }
        if (generation === this.generation) this.reading = null;
      });
  }

  /** Waits for the device's record as it is now (a read in flight first, then a fresh one); nothing to wait for in 'read' mode. */
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
    if (record !== null) for (const t of recordTensors(record)) this.release(t);
  }

  dispose(): void {
    for (const t of this.zeros.values()) t.dispose();
    this.zeros.clear();
    this.disposeRecord();
  }
}
