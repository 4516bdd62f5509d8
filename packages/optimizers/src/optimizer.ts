/**
 * The Optimizer around a gradient transformation, with Keras 3's base-optimizer step in Keras's order: clip the
 * gradients, decay the weights, update, then the weights' moving average; then `iterations += 1`. Each concern
 * lives in a module of its own (options, slots, learning rate, guard, moving average, weight decay, gradient
 * accumulation, loss scaling, state); this file puts them together.
 */
import { readWeights, tf } from '@opt/tensor';
import { kerasIterations } from './accumulate.js';
import { withBaseSteps } from './base-steps.js';
import { Constants } from './constants.js';
import { WeightAverages } from './ema.js';
import { NonFiniteGuard, type NonFiniteReport } from './guard.js';
import { type LearningRate, LearningRateSetting } from './learning-rate.js';
import { minimizeScaled, scaleLoss } from './minimize.js';
import { applyUpdates, keepWhenShut } from './ops/index.js';
import type { Optimizer, OptimizerConfig } from './optimizer-interface.js';
import { type OptimizerOptions, optionsConfig, type ResolvedOptions, resolveOptions } from './options.js';
import { checkPairs, checkVariables, minimizeArguments } from './pairs.js';
import { SlotStore, writeStep } from './slots.js';
import {
  checkEntries,
  checkState,
  type OptimizerState,
  STATE_FORMAT,
  type StateEntry,
  stateEntries,
  writeEntries,
} from './state.js';
import { fromTfjsConfig, type Gradients, readOptimizerWeights, toPairs, weightsOf } from './tfjs.js';
import type { GradientTransformation, StepContext } from './transform.js';
import { WeightDecayExclusion } from './weight-decay.js';

/**
 * Wraps a gradient transformation into an {@link Optimizer}. The transformation must apply the learning rate
 * (end it with `scaleByLearningRate()`); it sees the optimizer's learning rate in its step context, so
 * `learningRate` can be read and set between steps and a schedule drives every part of the chain.
 *
 * It is a `tf.Optimizer` of tfjs-core, so tfjs-layers' `model.compile({ optimizer })` takes it, `fit` steps it
 * through `minimize`, and `model.save(handler, { includeOptimizer: true })` keeps its config and weights
 * (`getWeights`: `iter`, then the slots). Each preset registers itself with `tf.serialization.registerClass`
 * under `opt.<Preset>` (not tfjs's own `Adam`, `SGD`, ... which `tf.train` registers), and `tf.loadLayersModel`
 * rebuilds it with {@link GradientTransformationOptimizer.fromConfig} and `setWeights`.
 *
 * ```ts
 * const opt = new GradientTransformationOptimizer(
 *   chain(clipByGlobalNorm(1), addDecayedWeights(1e-4), scaleByAdam(), scaleByLearningRate()),
 *   { learningRate: cosineDecay({ initialLearningRate: 1e-3, decaySteps: 1000 }) },
 * );
 * ```
 */
export class GradientTransformationOptimizer extends tf.Optimizer implements Optimizer {
  /** The name tfjs's serialization registry knows this class by (`getClassName()`). */
  static className = 'opt.GradientTransformationOptimizer';
  /** The whole step: clipping, weight decay, then the preset's core. */
  readonly transform: GradientTransformation;
  protected readonly className: string;
  private readonly rate: LearningRateSetting;
  private readonly options: ResolvedOptions;
  private readonly extraConfig: Record<string, unknown>;
  private readonly slots: SlotStore;
  private readonly averages: WeightAverages | null;
  private readonly decayExclusion: WeightDecayExclusion;
  private readonly guard: NonFiniteGuard;
  private readonly constants = new Constants();
  private stepCount = 0;
  private pendingState: OptimizerState | null = null;
  private disposed = false;

  constructor(
    core: GradientTransformation,
    options: OptimizerOptions = {},
    className = 'GradientTransformationOptimizer',
    extraConfig: Record<string, unknown> = {},
    hooks: {
      /** A decoupled weight decay per variable in place of `weightDecay` (Muon's two rates); null: none. */
      weightDecayOf?: (param: tf.Tensor) => number | null;
    } = {},
  ) {
    super();
    this.className = className;
    this.extraConfig = extraConfig;
    this.options = resolveOptions(className, options);
    this.rate = new LearningRateSetting(className, options.learningRate ?? 0.001);
    this.decayExclusion = new WeightDecayExclusion(className, this.options.excludeFromWeightDecay);
    this.transform = withBaseSteps(
      className,
      core,
      this.options,
      (param) => this.decayExclusion.applies(param),
      hooks.weightDecayOf,
    );
    this.slots = new SlotStore(this.transform);
    this.averages = this.options.useEma
      ? new WeightAverages(this.options.emaMomentum, this.options.emaOverwriteFrequency)
      : null;
    this.guard = new NonFiniteGuard(this.options.nonFiniteGradients);
  }

  /**
   * Keras's `exclude_from_weight_decay(var_list, var_names)`: these variables, and those whose name matches
   * one of the regular expressions `varNames`, are not decayed. Call it before the first step.
   */
  excludeFromWeightDecay(options: { variables?: readonly tf.Variable[]; varNames?: readonly string[] } = {}): void {
    this.decayExclusion.exclude(options, this.slots.variables.length > 0);
  }

  /**
   * Steps applied so far (Keras's `optimizer.iterations`). With `gradientAccumulationSteps` n, Keras's
   * `floor(calls / n)`: the calls to `applyGradients` are what `getState()` saves as `iterations` (Keras's `iteration`
   * variable).
   */
  override get iterations(): number {
    return this.kerasIterations(this.stepCount);
  }

  /** Keras's `iterations` after `calls` calls (see accumulate.ts). */
  private kerasIterations(calls: number): number {
    return kerasIterations(calls, this.options.gradientAccumulationSteps);
  }

  /**
   * The constant, or the schedule's value at `iterations` (at the call count with `gradientAccumulationSteps`, as
   * Keras reads its schedule at `_iterations`). Setting it throws when a schedule drives it (as Keras).
   */
  get learningRate(): number {
    return this.rate.at(this.stepCount);
  }

  /** Sets a constant rate; throws when a schedule drives the rate (as Keras). */
  set learningRate(value: number) {
    this.rate.set(value);
  }

  /** The learning rate as given (the constant or the schedule), for a wrapper that takes this optimizer's rate. */
  get learningRateSetting(): LearningRate {
    return this.rate.value;
  }

  /** The base options as given, checked (for a wrapper that adopts them). */
  get baseOptions(): ResolvedOptions {
    return this.options;
  }

  /** Variables built so far, in slot order. */
  get builtVariables(): readonly tf.Variable[] {
    return this.slots.variables;
  }

  /** Creates the slots for variables not seen before, appending in this order (Keras `build`). */
  build(variables: readonly tf.Variable[]): void {
    this.assertAlive();
    const fresh = this.slots.add(checkVariables(this.className, 'variables', variables));
    this.averages?.add(fresh);
    if (fresh.length > 0 && this.pendingState !== null) {
      // A state set before the optimizer was built is written now that it is.
      const state = this.pendingState;
      this.pendingState = null;
      this.checkSlots(state);
      writeEntries(this.stateEntries(), state);
    }
  }

  /**
   * Keras `apply_gradients`: clips, decays, updates each variable in place and increments `iterations`.
   * Takes `[gradient, variable]` pairs, or tfjs's `{ [variableName]: gradient }` and `[{ name, tensor }]`.
   * Throws first if an earlier step had a non-finite gradient (`nonFiniteGradients: 'throw'`).
   */
  override applyGradients(gradients: Gradients): void {
    this.assertUsable();
    const pairs = toPairs(this.className, gradients);
    const variables = checkPairs(this.className, pairs);
    if (variables.length === 0) return; // Keras: nothing to apply, iterations unchanged
    this.build(variables);
    const step = this.stepCount;
    const ctx: StepContext = { step, learningRate: this.rate.at(step), constant: this.constants.get };
    const names = variables.map((v) => v.name);
    tf.tidy(() => {
      const factor = this.options.lossScaleFactor;
      // Keras's `apply` divides by `loss_scale_factor` before anything else sees the gradients.
      const grads = pairs.map((p) => (factor === null ? p[0] : tf.div(p[0], tf.scalar(factor))));
      const { pass, gate } = this.guard.verdict(grads, step, names);
      if (!pass) return; // a bad step, read back: it writes nothing
      const indices = variables.map((v) => this.slots.index(v) as number);
      const old = this.slots.state(indices);
      const r = this.transform.update(grads, old, variables, gate === null ? ctx : { ...ctx, gate });
      // Every result goes through the gate (null: nothing to gate).
      const weights = applyUpdates(variables, r.updates, gate);
      const keep = (next: tf.Tensor, previous: tf.Tensor) => keepWhenShut(gate, next, previous);
      const state = r.state.map((record, i) =>
        Object.fromEntries(Object.entries(record).map(([name, t]) => [name, keep(t, old[i]?.[name] as tf.Tensor)])),
      );
      const averages =
        this.averages
          ?.next(indices, weights, this.kerasIterations(step))
          .map((a, i) => keep(a, this.averages?.at(indices[i] as number) as tf.Variable)) ?? null;
      writeStep(this.slots, this.averages, { indices, weights, state, averages, step: this.kerasIterations(step) });
    });
    this.stepCount += 1;
  }

  /**
   * Keras's `scale_loss`: `loss * lossScaleFactor`, or `loss` itself (the same tensor) without a factor. A training
   * step that computes its own gradients takes them of this; {@link applyGradients} divides by the factor.
   */
  scaleLoss(loss: tf.Scalar): tf.Scalar {
    return scaleLoss(loss, this.options.lossScaleFactor);
  }

  /**
   * Computes the gradients of `lossFn` with `tf.variableGrads` and applies them; returns the loss. Without
   * `varList`, every trainable variable the loss depends on. TensorFlow.js's form `minimize(f, returnCost,
   * varList)` works too: with `returnCost` false the loss is freed and `null` returned.
   */
  override minimize(lossFn: () => tf.Scalar, varList?: tf.Variable[]): tf.Scalar;
  override minimize(lossFn: () => tf.Scalar, returnCost: true, varList?: tf.Variable[]): tf.Scalar;
  override minimize(lossFn: () => tf.Scalar, returnCost: false, varList?: tf.Variable[]): null;
  override minimize(lossFn: () => tf.Scalar, returnCost?: boolean, varList?: tf.Variable[]): tf.Scalar | null;
  override minimize(
    lossFn: () => tf.Scalar,
    second?: tf.Variable[] | boolean,
    third?: tf.Variable[],
  ): tf.Scalar | null {
    const where = `${this.className}.minimize`;
    const { returnCost, varList } = minimizeArguments(where, lossFn, second, third);
    this.assertUsable();
    return minimizeScaled(where, lossFn, { returnCost, varList }, this.options.lossScaleFactor, (pairs) =>
      this.applyGradients(pairs),
    );
  }

  /** The preset's name and arguments; `optimizerFromConfig` (or tfjs's `fromConfig`) rebuilds it. */
  override getConfig(): OptimizerConfig {
    return {
      className: this.className,
      config: {
        ...(this.extraConfig as tf.serialization.ConfigDict),
        learningRate: this.rate.describe() as tf.serialization.ConfigDictValue,
        ...optionsConfig(this.options, this.decayExclusion.config),
        ...(this.className === 'GradientTransformationOptimizer'
          ? { transform: { name: this.transform.name, config: this.transform.config as tf.serialization.ConfigDict } }
          : {}),
      },
    };
  }

  /**
   * JSON-able fields plus every slot's float32 values, in build order. Async because it reads from the device;
   * throws a pending non-finite-gradient error.
   */
  async getState(): Promise<OptimizerState> {
    this.assertAlive();
    await this.guard.settle();
    this.assertUsable();
    const iterations = this.stepCount;
    const learningRate = this.learningRate;
    const entries = this.stateEntries();
    const [slots, report] = await Promise.all([
      readWeights(entries.map((e) => ({ name: e.name, tensor: e.variable }))),
      this.guard.report(),
    ]);
    return {
      format: STATE_FORMAT,
      className: this.className,
      config: this.getConfig().config,
      iterations,
      learningRate,
      slots,
      extra: { learningRateIsSchedule: this.rate.isSchedule, skippedSteps: report.skippedSteps },
    };
  }

  /**
   * Restores {@link getState}'s output: now if the optimizer is built, else at `build` (or the first step).
   * Same class, same slot count and shapes. Sync: it writes plain numbers and reads nothing from the device.
   */
  setState(state: OptimizerState): void {
    this.assertAlive();
    const where = `${this.className}.setState`;
    checkState(where, state, this.className);
    const built = this.slots.variables.length > 0;
    if (built) this.checkSlots(state);
    this.rate.restore(where, state.learningRate, state.extra?.learningRateIsSchedule === true);
    if (built) writeEntries(this.stateEntries(), state);
    else this.pendingState = state;
    this.stepCount = state.iterations;
    const skipped = state.extra?.skippedSteps;
    this.guard.reset(typeof skipped === 'number' ? skipped : 0);
  }

  /**
   * tfjs's `getWeights`, what `model.save(..., { includeOptimizer: true })` stores (`iter`, then the slots: see
   * `weightsOf`); the learning rate is in `getConfig()`. Throws a pending non-finite-gradient error, as `getState`.
   */
  override async getWeights(): Promise<Array<{ name: string; tensor: tf.Tensor }>> {
    this.assertAlive();
    await this.guard.settle();
    this.assertUsable();
    const { skippedSteps } = await this.guard.report();
    return weightsOf(this.stepCount, skippedSteps, this.decayExclusion.config, this.stateEntries());
  }

  /** tfjs's `setWeights` (`tf.loadLayersModel` calls it): restores {@link getWeights}' output as `setState` does. */
  override async setWeights(weights: Array<{ name: string; tensor: tf.Tensor }>): Promise<void> {
    this.assertAlive();
    const { iterations, skipped, patterns, slots } = await readOptimizerWeights(this.className, weights);
    if (patterns !== null && JSON.stringify(patterns) !== JSON.stringify(this.decayExclusion.config)) {
      this.decayExclusion.restoreNames(patterns, this.slots.variables.length > 0);
    }
    const { className, rate } = this;
    const learningRate = rate.isSchedule ? rate.at(iterations) : this.learningRate;
    const extra = { learningRateIsSchedule: rate.isSchedule, skippedSteps: skipped };
    const config = this.getConfig().config;
    this.setState({ format: STATE_FORMAT, className, config, iterations, learningRate, slots, extra });
  }

  /** tfjs's deserialization (`tf.loadLayersModel`): the preset `cls` built from the config tfjs-layers saved. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return fromTfjsConfig(cls, config, (cls as unknown) === GradientTransformationOptimizer);
  }

  /** The saved tensors in order: per variable its slots, then its moving average. */
  private stateEntries(): StateEntry[] {
    return stateEntries(this.slots, this.averages);
  }

  /** Checks that the state's slots fit the built variables (count and shapes). */
  private checkSlots(state: OptimizerState): void {
    const perVariable = this.slots.slotNames.length + (this.averages !== null ? 1 : 0);
    checkEntries(`${this.className}.setState`, this.stateEntries(), state, this.slots.variables.length, perVariable);
  }

  /** Throws a {@link NonFiniteGradientError} if a step had a non-finite gradient under the `'throw'` policy. */
  async checkGradients(): Promise<void> {
    this.assertAlive();
    await this.guard.settle();
    this.assertUsable();
  }

  /** Steps skipped for non-finite gradients so far (`'skip'`), and the last bad step and variable. */
  async nonFiniteReport(): Promise<NonFiniteReport> {
    return this.guard.report();
  }

  /**
   * Swaps each variable's value with its moving average (`useEma`): call before
   * evaluating with the averaged weights and again to go back to training.
   */
  swapEmaWeights(): void {
    this.assertAlive();
    if (this.averages === null) {
      throw new Error(`${this.className}.swapEmaWeights: the optimizer was built without useEma: true.`);
    }
    this.averages.swap(this.slots.variables);
  }

  /** Keras `finalize_variable_values`: with `useEma`, overwrites the weights with their moving averages. */
  finalizeVariableValues(): void {
    this.assertAlive();
    this.averages?.finalize(this.slots.variables);
  }

  /** The moving average of `variable` (`useEma`), or null. */
  emaOf(variable: tf.Variable): tf.Variable | null {
    const k = this.slots.index(variable);
    return k === undefined || this.averages === null ? null : this.averages.at(k);
  }

  /** The current value of slot `name` of `variable` (e.g. 'momentum', 'velocity'), or null. */
  slot(variable: tf.Variable, name: string): tf.Variable | null {
    return this.slots.get(variable, name);
  }

  /** Frees every tensor the optimizer made: slots, moving averages, the guard's record and zeros, cached constants. */
  override dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.slots.dispose();
    this.averages?.dispose();
    this.guard.dispose();
    this.constants.dispose();
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error(`${this.className}: the optimizer was disposed.`);
  }

  /** Alive, and no earlier step had a non-finite gradient (`'throw'`). */
  private assertUsable(): void {
    this.assertAlive();
    // A bad step found on the device after later calls returned: those wrote nothing; count as if they had thrown.
    const error = this.guard.pendingError;
    if (error !== null) this.stepCount = Math.min(this.stepCount, error.step + 1);
    this.guard.assertClean();
  }
}

export type { LearningRate, Optimizer, OptimizerConfig };
