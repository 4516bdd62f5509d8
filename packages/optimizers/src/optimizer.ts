/**
 * The Optimizer (CONTRACTS.md) around a gradient transformation, with Keras 3's
 * base-optimizer steps in Keras's order: clip the gradients, decay the weights,
 * update, then the weights' moving average; then `iterations += 1`.
 */
import { type NamedWeight, readWeights, tf } from '@opt/tensor';
import { chain as chainParts, type GradientTransformation, type SlotState } from './transform.js';
import { addDecayedWeights, clipByGlobalNorm, clipByNorm, clipByValue, type LearningRate } from './transforms.js';
import { nonNegative, positive, positiveInteger, unitClosed } from './validate.js';

export type { LearningRate } from './transforms.js';

/**
 * What a step does with a NaN or infinite gradient. In every checked mode the
 * check is part of the step's arithmetic (`tf.where`), so the weights and the
 * slots keep their values; nothing is read back during the step.
 * - `'throw'` (default): from the first bad step on, every step leaves weights
 *   and slots unchanged; the flag is read asynchronously after the step, and the
 *   next `applyGradients`/`minimize`/`getState` (or `await checkGradients()`)
 *   throws a {@link NonFiniteGradientError} naming the variable and the step.
 * - `'skip'`: a step with a non-finite gradient changes nothing and is counted
 *   (`await nonFiniteReport()`); training goes on. `iterations` counts it.
 * - `'unchecked'`: Keras's behaviour: no check (NaN propagates into the weights).
 */
export type NonFiniteGradients = 'throw' | 'skip' | 'unchecked';

/** Options every preset takes (Keras 3's base-optimizer arguments, camelCase). */
export interface OptimizerOptions {
  /** A number > 0, or a schedule `(step) => number` read at `iterations` (Keras). */
  learningRate?: LearningRate;
  /** Decoupled weight decay: `w -= w * weightDecay * lr` before each update (Keras). */
  weightDecay?: number | null;
  /**
   * Variables whose name matches one of these regular expressions are not decayed (Keras's
   * `exclude_from_weight_decay(var_names=...)`, which uses `re.search`), e.g. `['bias', 'gamma', 'beta']`
   * to decay only the kernels. Kept in the config, so a rebuilt optimizer excludes the same variables.
   */
  excludeFromWeightDecay?: readonly string[] | null;
  /** Clip each gradient to this L2 norm. At most one of `clipnorm`, `clipvalue`, `globalClipnorm`. */
  clipnorm?: number | null;
  /** Clip each gradient element to [-clipvalue, clipvalue]. */
  clipvalue?: number | null;
  /** Clip all gradients together to this global L2 norm. */
  globalClipnorm?: number | null;
  /** Keep a moving average of the weights: `avg = m * avg + (1 - m) * w` after each step (m = 0 on the first). */
  useEma?: boolean;
  emaMomentum?: number;
  /** Every this many steps, overwrite the weights with their moving average (Keras). */
  emaOverwriteFrequency?: number | null;
  nonFiniteGradients?: NonFiniteGradients;
}

/** A schedule with a JSON description (LearningRateSchedule of @opt/schedules). */
interface Described {
  readonly config?: { readonly className: string; readonly config: Record<string, unknown> };
}

export interface Optimizer {
  applyGradients(pairs: ReadonlyArray<readonly [grad: tf.Tensor, variable: tf.Variable]>): void;
  minimize(lossFn: () => tf.Scalar, varList?: tf.Variable[]): tf.Scalar;
  build(variables: readonly tf.Variable[]): void;
  readonly iterations: number;
  learningRate: number;
  getConfig(): { className: string; config: Record<string, unknown> };
  getState(): Promise<OptimizerState>;
  setState(state: OptimizerState): void;
  dispose(): void;
}

export interface OptimizerState {
  readonly format: 'opt.optimizer-state.v1';
  readonly className: string;
  readonly config: Record<string, unknown>;
  readonly iterations: number;
  readonly learningRate: number;
  /** Names `<index>/<variableName>/<slotName>`, in build order. */
  readonly slots: ReadonlyArray<NamedWeight>;
  readonly extra?: Record<string, unknown>;
}

/** A NaN or infinite gradient reached the optimizer (policy `'throw'`). */
export class NonFiniteGradientError extends Error {
  constructor(
    readonly step: number,
    readonly variableName: string,
  ) {
    super(
      `Non-finite gradient (NaN or Infinity) for variable "${variableName}" at step ${step} (0-based). ` +
        'The weights and optimizer slots were left as they were before that step. Lower the learning rate, ' +
        "clip gradients (clipnorm/globalClipnorm), check the data, or pass nonFiniteGradients: 'skip' to skip such steps.",
    );
    this.name = 'NonFiniteGradientError';
  }
}

function isVariable(v: unknown): v is tf.Variable {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as tf.Variable).assign === 'function' &&
    typeof (v as tf.Variable).trainable === 'boolean'
  );
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** In-graph record of non-finite gradients (scalars kept across steps). */
interface Guard {
  ok: tf.Variable; // bool: no bad step yet (throw) / last step was fine (skip)
  badStep: tf.Variable; // float32, -1 = none
  badIndex: tf.Variable; // float32: position in that step's pairs
  skipped: tf.Variable; // float32 count
}

/**
 * Wraps a gradient transformation into an {@link Optimizer}. The transformation
 * sees the optimizer's learning rate in its step context (`scaleByLearningRate()`
 * without an argument uses it), so `learningRate` can be read and set between
 * steps and a schedule drives every part of the chain.
 *
 * ```ts
 * const opt = new GradientTransformationOptimizer(
 *   chain(clipByGlobalNorm(1), addDecayedWeights(1e-4), scaleByAdam(), scaleByLearningRate()),
 *   { learningRate: cosineDecay({ initialLearningRate: 1e-3, decaySteps: 1000 }) },
 * );
 * ```
 */
export class GradientTransformationOptimizer implements Optimizer {
  /** The whole step: clipping, weight decay, then the preset's core. */
  readonly transform: GradientTransformation;
  protected readonly className: string;
  private rate: LearningRate;
  private readonly options: Required<Omit<OptimizerOptions, 'learningRate'>>;
  private readonly extraConfig: Record<string, unknown>;
  private readonly variables: tf.Variable[] = [];
  private readonly indexOf = new Map<tf.Variable, number>();
  private readonly slots: Array<Record<string, tf.Variable>> = [];
  private readonly averages: tf.Variable[] = [];
  private readonly decayExcludedVariables = new Set<tf.Variable>();
  private readonly decayExcludedPatterns: RegExp[] = [];
  private guard: Guard | null = null;
  private stepCount = 0;
  private pendingState: OptimizerState | null = null;
  /** Per step, the built-variable indices of its pairs (recorded when they change), to name a bad variable. */
  private readonly layouts: Array<{ fromStep: number; indices: number[] }> = [];
  private error: NonFiniteGradientError | null = null;
  private checkScheduled = false;
  private disposed = false;

  constructor(
    core: GradientTransformation,
    options: OptimizerOptions = {},
    className = 'GradientTransformationOptimizer',
    extraConfig: Record<string, unknown> = {},
  ) {
    const owner = className;
    this.className = className;
    this.extraConfig = extraConfig;
    const lr = options.learningRate ?? 0.001;
    if (typeof lr !== 'function') positive(owner, 'learningRate', lr, '0.001');
    this.rate = lr;
    const clips = (['clipnorm', 'clipvalue', 'globalClipnorm'] as const).filter(
      (k) => options[k] !== undefined && options[k] !== null,
    );
    if (clips.length > 1) {
      throw new RangeError(
        `${owner}: at most one of \`clipnorm\`, \`clipvalue\`, \`globalClipnorm\` may be set, got ${clips
          .map((k) => `${k}=${String(options[k])}`)
          .join(', ')}. Keep one.`,
      );
    }
    for (const k of clips) positive(owner, k, options[k], '1');
    const weightDecay = options.weightDecay ?? null;
    if (weightDecay !== null) nonNegative(owner, 'weightDecay', weightDecay, '0.004');
    const excluded = options.excludeFromWeightDecay ?? null;
    if (excluded !== null) this.excludePatterns(owner, 'excludeFromWeightDecay', excluded);
    const useEma = options.useEma ?? false;
    if (typeof useEma !== 'boolean')
      throw new RangeError(`${owner}: \`useEma\` must be true or false, got ${String(useEma)}.`);
    const emaMomentum = unitClosed(owner, 'emaMomentum', options.emaMomentum ?? 0.99, '0.99');
    const freq = options.emaOverwriteFrequency ?? null;
    if (freq !== null) positiveInteger(owner, 'emaOverwriteFrequency', freq, '100');
    const policy = options.nonFiniteGradients ?? 'throw';
    if (!['throw', 'skip', 'unchecked'].includes(policy)) {
      throw new RangeError(
        `${owner}: \`nonFiniteGradients\` must be 'throw', 'skip' or 'unchecked', got ${JSON.stringify(policy)}.`,
      );
    }
    this.options = {
      weightDecay,
      excludeFromWeightDecay: excluded === null ? null : [...excluded],
      clipnorm: options.clipnorm ?? null,
      clipvalue: options.clipvalue ?? null,
      globalClipnorm: options.globalClipnorm ?? null,
      useEma,
      emaMomentum,
      emaOverwriteFrequency: freq,
      nonFiniteGradients: policy,
    };
    const parts: GradientTransformation[] = [];
    if (this.options.clipnorm !== null) parts.push(clipByNorm(this.options.clipnorm));
    else if (this.options.globalClipnorm !== null) parts.push(clipByGlobalNorm(this.options.globalClipnorm));
    else if (this.options.clipvalue !== null) parts.push(clipByValue(this.options.clipvalue));
    if (weightDecay !== null && weightDecay > 0) {
      parts.push(addDecayedWeights(weightDecay, { mask: (param) => this.usesWeightDecay(param) }));
    }
    this.transform = parts.length === 0 ? core : chainParts(...parts, core);
  }

  /**
   * Keras's `exclude_from_weight_decay(var_list, var_names)`: these variables, and those whose name matches
   * one of the regular expressions `varNames`, are not decayed. Call it before the first step.
   */
  excludeFromWeightDecay(options: { variables?: readonly tf.Variable[]; varNames?: readonly string[] } = {}): void {
    const where = `${this.className}.excludeFromWeightDecay`;
    if (this.variables.length > 0) {
      throw new Error(`${where} must be called before the optimizer is built (before its first step), as in Keras.`);
    }
    for (const v of options.variables ?? []) {
      if (!(v instanceof tf.Variable)) throw new TypeError(`${where}: \`variables\` must hold tf.Variable objects.`);
      this.decayExcludedVariables.add(v);
    }
    if (options.varNames !== undefined) {
      this.excludePatterns(where, 'varNames', options.varNames);
      this.options.excludeFromWeightDecay = [...(this.options.excludeFromWeightDecay ?? []), ...options.varNames];
    }
  }

  /** Compiles `patterns` into the exclusion list, naming the one that is not a valid regular expression. */
  private excludePatterns(owner: string, argument: string, patterns: readonly string[]): void {
    if (!Array.isArray(patterns)) {
      throw new TypeError(
        `${owner}: \`${argument}\` must be an array of variable-name patterns such as ['bias', 'gamma'].`,
      );
    }
    for (const pattern of patterns) {
      if (typeof pattern !== 'string' || pattern === '') {
        throw new TypeError(`${owner}: \`${argument}\` must hold non-empty strings, got ${JSON.stringify(pattern)}.`);
      }
      try {
        this.decayExcludedPatterns.push(new RegExp(pattern));
      } catch (error) {
        throw new RangeError(
          `${owner}: \`${argument}\` pattern ${JSON.stringify(pattern)} is not a valid regular expression (${(error as Error).message}).`,
        );
      }
    }
  }

  /** Whether decoupled weight decay applies to `param` (a variable not excluded by object or name). */
  private usesWeightDecay(param: tf.Tensor): boolean {
    if (!(param instanceof tf.Variable)) return true;
    if (this.decayExcludedVariables.has(param)) return false;
    return !this.decayExcludedPatterns.some((pattern) => pattern.test(param.name));
  }

  /** Steps applied so far (Keras's `optimizer.iterations`). */
  get iterations(): number {
    return this.stepCount;
  }

  /** The constant, or the schedule's value at `iterations`. Setting replaces any schedule with the constant. */
  get learningRate(): number {
    return typeof this.rate === 'number' ? this.rate : this.rate(this.stepCount);
  }

  set learningRate(value: number) {
    this.rate = positive(this.className, 'learningRate', value, '0.001');
  }

  /** Variables built so far, in slot order. */
  get builtVariables(): readonly tf.Variable[] {
    return this.variables;
  }

  /** Creates the slots for variables not seen before, appending in this order (Keras `build`). */
  build(variables: readonly tf.Variable[]): void {
    this.assertAlive();
    const fresh = variables.filter((v, i) => {
      this.checkVariable(v, i);
      return !this.indexOf.has(v);
    });
    if (fresh.length === 0) return;
    tf.tidy(() => {
      const init = this.transform.init(fresh);
      fresh.forEach((v, k) => {
        this.indexOf.set(v, this.variables.length);
        this.variables.push(v);
        const record: Record<string, tf.Variable> = {};
        for (const name of this.transform.slotNames) {
          record[name] = tf.variable((init[k] as Record<string, tf.Tensor>)[name] as tf.Tensor, false);
        }
        this.slots.push(record);
        // Keras starts the average at zeros and sets it to w on the first step; a copy of w lets
        // swapEmaWeights work before any step too.
        if (this.options.useEma) this.averages.push(tf.variable(tf.clone(v), false));
      });
    });
    if (this.pendingState !== null) {
      const state = this.pendingState;
      this.pendingState = null;
      this.restoreSlots(state);
    }
  }

  /**
   * Keras `apply_gradients`: clips, decays, updates each variable in place and
   * increments `iterations`. Reads nothing back to JavaScript.
   */
  applyGradients(pairs: ReadonlyArray<readonly [grad: tf.Tensor, variable: tf.Variable]>): void {
    this.assertAlive();
    if (this.error !== null) throw this.error;
    if (!Array.isArray(pairs)) {
      throw new TypeError(`${this.className}.applyGradients: expected an array of [gradient, variable] pairs.`);
    }
    const seen = new Set<tf.Variable>();
    pairs.forEach((pair, i) => {
      const [g, v] = pair ?? [];
      this.checkVariable(v, i);
      if (seen.has(v))
        throw new Error(`${this.className}.applyGradients: variable "${v.name}" appears twice (pair ${i}).`);
      seen.add(v);
      if (g === null || g === undefined) {
        throw new Error(
          `${this.className}.applyGradients: the gradient of variable "${v.name}" (pair ${i}) is missing (${String(g)}). ` +
            'Leave the variable out, or check that the loss depends on it.',
        );
      }
      if (typeof (g as tf.Tensor).shape !== 'object' || (g as tf.Tensor).isDisposed) {
        throw new TypeError(
          `${this.className}.applyGradients: the gradient of variable "${v.name}" (pair ${i}) is not a live tensor.`,
        );
      }
      if (!sameShape(g.shape, v.shape)) {
        throw new Error(
          `${this.className}.applyGradients: the gradient of variable "${v.name}" has shape [${g.shape.join(', ')}] ` +
            `but the variable has shape [${v.shape.join(', ')}].`,
        );
      }
    });
    if (pairs.length === 0) return; // Keras: nothing to apply, iterations unchanged
    this.build(pairs.map((p) => p[1]));
    const indices = pairs.map((p) => this.indexOf.get(p[1]) as number);
    const last = this.layouts[this.layouts.length - 1];
    if (last === undefined || last.indices.length !== indices.length || last.indices.some((x, i) => x !== indices[i])) {
      this.layouts.push({ fromStep: this.stepCount, indices });
    }
    const policy = this.options.nonFiniteGradients;
    if (policy !== 'unchecked' && this.guard === null) this.guard = makeGuard();
    const step = this.stepCount;
    const ctx = { step, learningRate: this.learningRate };
    tf.tidy(() => {
      const grads = pairs.map((p) => p[0]);
      const params = pairs.map((p) => p[1] as tf.Tensor);
      const state: SlotState = indices.map((k) => this.slots[k] as Record<string, tf.Tensor>);
      const r = this.transform.update(grads, state, params, ctx);
      const base = r.params ?? params;
      const newParams = base.map((w, i) => tf.add(w, r.updates[i] as tf.Tensor));
      let newAverages: tf.Tensor[] = [];
      if (this.options.useEma) {
        const m = step === 0 ? 0 : this.options.emaMomentum;
        const mT = tf.scalar(m);
        const oneMinus = tf.scalar(1 - m);
        newAverages = indices.map((k, i) =>
          tf.add(tf.mul(mT, this.averages[k] as tf.Tensor), tf.mul(oneMinus, newParams[i] as tf.Tensor)),
        );
      }
      let gate: ((pair: number, fresh: tf.Tensor, old: tf.Tensor) => tf.Tensor) | null = null;
      if (policy !== 'unchecked') gate = this.guardStep(grads, step, policy === 'throw');
      const freq = this.options.emaOverwriteFrequency;
      const overwrite = this.options.useEma && freq !== null && (step + 1) % freq === 0;
      indices.forEach((k, i) => {
        const v = this.variables[k] as tf.Variable;
        const slotRecord = this.slots[k] as Record<string, tf.Variable>;
        const nextState = r.state[i] as Record<string, tf.Tensor>;
        for (const name of this.transform.slotNames) {
          const slot = slotRecord[name] as tf.Variable;
          assignValue(slot, gate ? gate(i, nextState[name] as tf.Tensor, slot) : (nextState[name] as tf.Tensor));
        }
        let w = newParams[i] as tf.Tensor;
        if (this.options.useEma) {
          const avg = this.averages[k] as tf.Variable;
          const a = gate ? gate(i, newAverages[i] as tf.Tensor, avg) : (newAverages[i] as tf.Tensor);
          assignValue(avg, a);
          if (overwrite) w = a;
        }
        assignValue(v, gate ? gate(i, w, v) : w);
      });
    });
    this.stepCount += 1;
    if (policy === 'throw') this.scheduleCheck();
  }

  /**
   * Computes the gradients of `lossFn` with `tf.variableGrads` and applies them.
   * Without `varList`, every trainable variable the loss depends on.
   */
  minimize(lossFn: () => tf.Scalar, varList?: tf.Variable[]): tf.Scalar {
    this.assertAlive();
    if (this.error !== null) throw this.error;
    if (varList !== undefined) {
      for (const [i, v] of varList.entries()) this.checkVariable(v, i);
    }
    const { value, grads } = tf.variableGrads(lossFn, varList);
    try {
      const list = varList ?? Object.values(tf.engine().registeredVariables).filter((v) => v.trainable);
      const pairs: Array<[tf.Tensor, tf.Variable]> = [];
      for (const v of list) {
        const g = grads[v.name];
        if (g !== undefined) pairs.push([g, v]);
        else if (varList !== undefined) {
          throw new Error(`${this.className}.minimize: the loss does not depend on variable "${v.name}".`);
        }
      }
      this.applyGradients(pairs);
    } catch (e) {
      value.dispose();
      throw e;
    } finally {
      tf.dispose(Object.values(grads));
    }
    return value;
  }

  getConfig(): { className: string; config: Record<string, unknown> } {
    const lr =
      typeof this.rate === 'number' ? this.rate : ((this.rate as Described).config ?? { className: 'function' });
    return {
      className: this.className,
      config: {
        ...this.extraConfig,
        learningRate: lr,
        weightDecay: this.options.weightDecay,
        excludeFromWeightDecay: this.options.excludeFromWeightDecay,
        clipnorm: this.options.clipnorm,
        clipvalue: this.options.clipvalue,
        globalClipnorm: this.options.globalClipnorm,
        useEma: this.options.useEma,
        emaMomentum: this.options.emaMomentum,
        emaOverwriteFrequency: this.options.emaOverwriteFrequency,
        nonFiniteGradients: this.options.nonFiniteGradients,
        ...(this.className === 'GradientTransformationOptimizer'
          ? { transform: { name: this.transform.name, config: this.transform.config } }
          : {}),
      },
    };
  }

  /** JSON-able fields plus every slot's float32 values, in build order. Throws a pending non-finite error. */
  async getState(): Promise<OptimizerState> {
    this.assertAlive();
    await this.checkGradients();
    const named: Array<{ name: string; tensor: tf.Tensor }> = [];
    this.variables.forEach((v, i) => {
      const record = this.slots[i] as Record<string, tf.Variable>;
      for (const s of this.transform.slotNames)
        named.push({ name: `${i}/${v.name}/${s}`, tensor: record[s] as tf.Tensor });
      if (this.options.useEma) named.push({ name: `${i}/${v.name}/average`, tensor: this.averages[i] as tf.Tensor });
    });
    const iterations = this.stepCount;
    const learningRate = this.learningRate;
    const [slots, report] = await Promise.all([readWeights(named), this.nonFiniteReport()]);
    return {
      format: 'opt.optimizer-state.v1',
      className: this.className,
      config: this.getConfig().config,
      iterations,
      learningRate,
      slots,
      extra: { learningRateIsSchedule: typeof this.rate === 'function', skippedSteps: report.skippedSteps },
    };
  }

  /**
   * Restores {@link getState}'s output: now if the optimizer is built, else at
   * `build` (or the first step). Same class, same slot count and shapes.
   */
  setState(state: OptimizerState): void {
    this.assertAlive();
    const where = `${this.className}.setState`;
    if (state === null || typeof state !== 'object' || state.format !== 'opt.optimizer-state.v1') {
      throw new Error(`${where}: not an optimizer state (expected format 'opt.optimizer-state.v1').`);
    }
    if (state.className !== this.className) {
      throw new Error(`${where}: the state belongs to a ${state.className}, not a ${this.className}.`);
    }
    if (!Number.isInteger(state.iterations) || state.iterations < 0) {
      throw new Error(`${where}: \`iterations\` must be a whole number >= 0, got ${String(state.iterations)}.`);
    }
    positive(where, 'learningRate', state.learningRate, '0.001');
    if (this.variables.length > 0) this.restoreSlots(state);
    else this.pendingState = state;
    this.stepCount = state.iterations;
    const wasSchedule = state.extra?.learningRateIsSchedule === true;
    if (!(wasSchedule && typeof this.rate === 'function')) this.rate = state.learningRate;
    const skipped = state.extra?.skippedSteps;
    this.error = null;
    if (this.guard !== null) {
      this.guard.ok.assign(tf.scalar(true, 'bool'));
      this.guard.badStep.assign(tf.scalar(-1));
      this.guard.badIndex.assign(tf.scalar(-1));
      this.guard.skipped.assign(tf.scalar(typeof skipped === 'number' ? skipped : 0));
    } else if (typeof skipped === 'number' && skipped > 0) {
      this.guard = makeGuard();
      this.guard.skipped.assign(tf.scalar(skipped));
    }
  }

  /**
   * Reads the non-finite-gradient record (one small read) and throws a
   * {@link NonFiniteGradientError} if a step had one under the `'throw'` policy.
   */
  async checkGradients(): Promise<void> {
    if (this.error !== null) throw this.error;
    if (this.options.nonFiniteGradients !== 'throw' || this.guard === null) return;
    const report = await this.readGuard();
    if (report !== null && !report.ok) this.raise(report.badStep, report.badIndex);
    if (this.error !== null) throw this.error;
  }

  /** Steps skipped for non-finite gradients so far, and the last bad step and variable. */
  async nonFiniteReport(): Promise<{ skippedSteps: number; lastBadStep: number | null; variableName: string | null }> {
    const r = await this.readGuard();
    if (r === null || r.badStep < 0) return { skippedSteps: r?.skipped ?? 0, lastBadStep: null, variableName: null };
    return { skippedSteps: r.skipped, lastBadStep: r.badStep, variableName: this.nameAt(r.badStep, r.badIndex) };
  }

  /**
   * Swaps each variable's value with its moving average (`useEma`): call before
   * evaluating with the averaged weights and again to go back to training.
   */
  swapEmaWeights(): void {
    this.assertAlive();
    if (!this.options.useEma)
      throw new Error(`${this.className}.swapEmaWeights: the optimizer was built without useEma: true.`);
    this.variables.forEach((v, i) => {
      const avg = this.averages[i] as tf.Variable;
      const w = tf.clone(v);
      v.assign(avg);
      avg.assign(w);
      w.dispose();
    });
  }

  /** Keras `finalize_variable_values`: with `useEma`, overwrites the weights with their moving averages. */
  finalizeVariableValues(): void {
    this.assertAlive();
    if (!this.options.useEma) return;
    this.variables.forEach((v, i) => {
      v.assign(this.averages[i] as tf.Variable);
    });
  }

  /** The moving average of `variable` (`useEma`), or null. */
  emaOf(variable: tf.Variable): tf.Variable | null {
    const i = this.indexOf.get(variable);
    return i === undefined ? null : (this.averages[i] ?? null);
  }

  /** The current value of slot `name` of `variable` (e.g. 'momentum', 'velocity'), or null. */
  slot(variable: tf.Variable, name: string): tf.Variable | null {
    const i = this.indexOf.get(variable);
    return i === undefined ? null : ((this.slots[i] as Record<string, tf.Variable>)[name] ?? null);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const record of this.slots) for (const s of Object.values(record)) s.dispose();
    for (const a of this.averages) a.dispose();
    if (this.guard !== null) for (const t of Object.values(this.guard)) (t as tf.Variable).dispose();
    this.guard = null;
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error(`${this.className}: the optimizer was disposed.`);
  }

  private checkVariable(v: unknown, i: number): asserts v is tf.Variable {
    if (!isVariable(v)) {
      throw new TypeError(
        `${this.className}: entry ${i} is not a tf.Variable (got ${v === null ? 'null' : typeof v}); ` +
          'optimizers update variables in place: create them with tf.variable(...).',
      );
    }
    if (!v.trainable) {
      throw new Error(
        `${this.className}: variable "${v.name}" is not trainable; leave it out or create it with tf.variable(value, true).`,
      );
    }
  }

  private restoreSlots(state: OptimizerState): void {
    const where = `${this.className}.setState`;
    const perVariable = this.transform.slotNames.length + (this.options.useEma ? 1 : 0);
    const expected = this.variables.length * perVariable;
    if (state.slots.length !== expected) {
      throw new Error(
        `${where}: the state holds ${state.slots.length} slot tensors but this optimizer, built for ` +
          `${this.variables.length} variables with ${perVariable} slot(s) each, needs ${expected}. ` +
          'Restore onto an optimizer of the same kind built with the same variables.',
      );
    }
    const targets: tf.Variable[] = [];
    this.variables.forEach((_, i) => {
      const record = this.slots[i] as Record<string, tf.Variable>;
      for (const s of this.transform.slotNames) targets.push(record[s] as tf.Variable);
      if (this.options.useEma) targets.push(this.averages[i] as tf.Variable);
    });
    targets.forEach((t, k) => {
      const w = state.slots[k] as NamedWeight;
      if (!sameShape(w.shape, t.shape)) {
        throw new Error(
          `${where}: slot "${w.name}" has shape [${w.shape.join(', ')}] but variable ${Math.floor(k / perVariable)} ` +
            `needs [${t.shape.join(', ')}]; the variables differ from those the state was saved with.`,
        );
      }
    });
    targets.forEach((t, k) => {
      const w = state.slots[k] as NamedWeight;
      const value = tf.tensor(w.values, w.shape.slice(), 'float32');
      t.assign(value);
      value.dispose();
    });
  }

  /**
   * Adds the finite check to the step: `ok = all_i all(isFinite(g_i))` (sticky
   * across steps under 'throw'), records the first bad step and pair, and
   * returns `gate(pair, fresh, old) = where(ok, fresh, old)`.
   */
  private guardStep(
    grads: readonly tf.Tensor[],
    step: number,
    sticky: boolean,
  ): (pair: number, fresh: tf.Tensor, old: tf.Tensor) => tf.Tensor {
    const guard = this.guard as Guard;
    const flags = tf.stack(grads.map((g) => tf.all(tf.isFinite(g))));
    const okNow = tf.all(flags);
    const badIdx = tf.cast(tf.argMin(tf.cast(flags, 'int32')), 'float32');
    const stepT = tf.scalar(step);
    let ok: tf.Tensor;
    let record: tf.Tensor;
    if (sticky) {
      record = tf.logicalAnd(guard.ok, tf.logicalNot(okNow));
      ok = tf.logicalAnd(guard.ok, okNow);
    } else {
      record = tf.logicalNot(okNow);
      ok = okNow;
      guard.skipped.assign(tf.add(guard.skipped, tf.cast(record, 'float32')));
    }
    guard.badStep.assign(select(record, stepT, guard.badStep));
    guard.badIndex.assign(select(record, badIdx, guard.badIndex));
    guard.ok.assign(ok);
    // A full-shaped condition per gradient without Tile or broadcast compares (slow on wasm):
    // isFinite(g + p) with p = 0 when ok and NaN otherwise; ok implies every g is finite.
    const poison = select(ok, tf.scalar(0), tf.scalar(Number.NaN));
    const conds = new Map<number, tf.Tensor>();
    return (i, fresh, old) => {
      let cond = conds.get(i);
      if (cond === undefined) {
        cond = tf.isFinite(tf.add(grads[i] as tf.Tensor, poison));
        conds.set(i, cond);
      }
      return select(cond, fresh, old);
    };
  }

  private async readGuard(): Promise<{ ok: boolean; badStep: number; badIndex: number; skipped: number } | null> {
    if (this.guard === null || this.disposed) return null;
    const g = this.guard;
    const packed = tf.tidy(() => tf.stack([tf.cast(g.ok, 'float32'), g.badStep, g.badIndex, g.skipped]));
    try {
      const [ok, badStep, badIndex, skipped] = Array.from(await packed.data());
      return { ok: ok === 1, badStep: badStep as number, badIndex: badIndex as number, skipped: skipped as number };
    } finally {
      packed.dispose();
    }
  }

  /** Reads the record after the step returns (never inside it); a bad step is thrown by the next call. */
  private scheduleCheck(): void {
    if (this.checkScheduled) return;
    this.checkScheduled = true;
    const timer = setTimeout(() => {
      this.readGuard()
        .then((r) => {
          if (r !== null && !r.ok) this.raise(r.badStep, r.badIndex);
        })
        .catch(() => {
          // a failed background read is retried by the next step or by checkGradients()
        })
        .finally(() => {
          this.checkScheduled = false;
        });
    }, 0);
    (timer as { unref?: () => void }).unref?.();
  }

  private raise(badStep: number, badIndex: number): void {
    if (this.error === null) this.error = new NonFiniteGradientError(badStep, this.nameAt(badStep, badIndex));
  }

  private nameAt(step: number, pairIndex: number): string {
    let layout = this.layouts[0];
    for (const l of this.layouts) if (l.fromStep <= step) layout = l;
    const k = layout?.indices[pairIndex];
    return k === undefined ? `#${pairIndex}` : (this.variables[k]?.name ?? `#${pairIndex}`);
  }
}

/** `where(condition, t, e)` for a condition already of the output's shape: one Select kernel (tf.where adds broadcasts). */
function select(condition: tf.Tensor, t: tf.Tensor, e: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel('Select', { condition, t, e }) as tf.Tensor;
}

function makeGuard(): Guard {
  return {
    ok: tf.variable(tf.scalar(true, 'bool'), false),
    badStep: tf.variable(tf.scalar(-1), false),
    badIndex: tf.variable(tf.scalar(-1), false),
    skipped: tf.variable(tf.scalar(0), false),
  };
}

/** `variable.assign(value)` unless it already holds that value (assigning a tensor to itself would free it). */
function assignValue(variable: tf.Variable, value: tf.Tensor): void {
  if (value.dataId !== variable.dataId) variable.assign(value);
}
