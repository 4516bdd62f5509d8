/** Keras 3's `LossScaleOptimizer` (`keras/src/optimizers/loss_scale_optimizer.py`): dynamic loss scaling. */
import { tf } from '@opt/tensor';
import { minimizeScaled, scaleLoss } from '../minimize.js';
import type { GradientTransformationOptimizer, Optimizer, OptimizerConfig } from '../optimizer.js';
import { minimizeArguments } from '../pairs.js';
import type { OptimizerState } from '../state.js';
import { type Gradients, optionsFromTfjsConfig, toPairs } from '../tfjs.js';
import { checkOptions, positive, positiveInteger } from '../validate.js';

/** {@link LossScaleOptimizer}'s own arguments (Keras's `initial_scale`, `dynamic_growth_steps`). */
export interface LossScaleOptimizerOptions {
  /** The loss scale to start from (Keras: 2 ** 15). */
  initialScale?: number;
  /** After this many steps in a row with finite gradients, the scale doubles (Keras: 2000). */
  dynamicGrowthSteps?: number;
}

const OWNER = 'LossScaleOptimizer';
/** Names of the scale and its counter among tfjs's weights (`getWeights`), before the inner optimizer's. */
const SCALE_WEIGHT = 'lossScale/dynamicScale';
const COUNTER_WEIGHT = 'lossScale/stepCounter';

/**
 * Keras 3's `LossScaleOptimizer(innerOptimizer, { initialScale = 2 ** 15, dynamicGrowthSteps = 2000 })`: `minimize`
 * takes the gradients of `loss * scale`; a step whose gradients are all finite divides them by the scale (the one
 * from before the step), applies them with the inner optimizer, then `stepCounter += 1`, or on the
 * `dynamicGrowthSteps`-th such step in a row `scale *= 2` and `stepCounter = 0`. A step with a NaN or an infinity
 * writes nothing, does not advance the inner optimizer's `iterations`, and sets `scale /= 2`, `stepCounter = 0`.
 * `iterations`, `learningRate` and the weights' moving average are the inner optimizer's. The finite check reads
 * one boolean back from the device per step. Unlike Keras, which switches off the inner optimizer's own
 * `loss_scale_factor`, an inner optimizer given `lossScaleFactor` is refused (both would scale the gradients).
 */
export class LossScaleOptimizer extends tf.Optimizer implements Optimizer {
  /** The name tfjs's serialization registry knows this class by (`opt.LossScaleOptimizer`, set by the registry). */
  static className = 'opt.LossScaleOptimizer';
  /** The optimizer that applies the unscaled gradients. */
  readonly innerOptimizer: GradientTransformationOptimizer;
  /** Keras's `initial_scale`. */
  readonly initialScale: number;
  /** Keras's `dynamic_growth_steps`. */
  readonly dynamicGrowthSteps: number;
  private scale: number;
  private counter = 0;

  constructor(innerOptimizer: GradientTransformationOptimizer, options: LossScaleOptimizerOptions = {}) {
    super();
    // not instanceof: tf.Optimizer's Symbol.hasInstance takes any object with minimize and applyGradients
    const ours = innerOptimizer as Partial<GradientTransformationOptimizer> | null;
    if (ours === null || typeof ours !== 'object' || typeof ours.getState !== 'function' || !ours.transform) {
      throw new TypeError(
        `${OWNER}: \`innerOptimizer\` must be an optimizer of @opt/optimizers such as new Adam(), got ${
          innerOptimizer === null ? 'null' : typeof innerOptimizer
        }.`,
      );
    }
    if (innerOptimizer.getConfig().config.lossScaleFactor != null) {
      throw new Error(
        `${OWNER}: the inner ${innerOptimizer.getConfig().className} has its own lossScaleFactor, so the gradients ` +
          'would be unscaled twice. Leave lossScaleFactor out of the inner optimizer (the dynamic scale replaces it).',
      );
    }
    const o = checkOptions(OWNER, options, ['initialScale', 'dynamicGrowthSteps']);
    this.innerOptimizer = innerOptimizer;
    this.initialScale = positive(OWNER, 'initialScale', o.initialScale ?? 2 ** 15, '32768');
    this.dynamicGrowthSteps = positiveInteger(OWNER, 'dynamicGrowthSteps', o.dynamicGrowthSteps ?? 2000, '2000');
    this.scale = Math.fround(this.initialScale); // Keras keeps it in a float32 variable
  }

  /** The current loss scale (Keras's `dynamic_scale`). */
  get dynamicScale(): number {
    return this.scale;
  }

  /** Finite steps since the scale last changed (Keras's `step_counter`). */
  get stepCounter(): number {
    return this.counter;
  }

  /** The inner optimizer's steps (a skipped step is not one). */
  override get iterations(): number {
    return this.innerOptimizer.iterations;
  }

  /** The inner optimizer's learning rate. */
  get learningRate(): number {
    return this.innerOptimizer.learningRate;
  }

  set learningRate(value: number) {
    this.innerOptimizer.learningRate = value;
  }

  /** Keras's `scale_loss`: `loss * dynamicScale`, what to take gradients of before {@link applyGradients}. */
  scaleLoss(loss: tf.Scalar): tf.Scalar {
    return scaleLoss(loss, this.scale);
  }

  /** Creates the inner optimizer's slots for these variables. */
  build(variables: readonly tf.Variable[]): void {
    this.innerOptimizer.build(variables);
  }

  /**
   * Keras's `apply`: takes the gradients of the scaled loss. All finite: divided by the scale and applied by the
   * inner optimizer, then the counter or the scale grows; otherwise nothing is written and the scale halves.
   */
  override applyGradients(gradients: Gradients): void {
    const pairs = toPairs(OWNER, gradients);
    if (pairs.length === 0) return;
    const finite = tf.tidy(() => {
      const each = pairs.map(([g]) => tf.all(tf.isFinite(g)));
      return tf.all(tf.stack(each)).dataSync()[0] === 1;
    });
    if (!finite) {
      this.counter = 0;
      this.scale = Math.fround(this.scale / 2);
      return;
    }
    const scale = tf.scalar(this.scale);
    const unscaled = pairs.map(([g, v]) => [tf.div(g, scale), v] as const);
    try {
      this.innerOptimizer.applyGradients(unscaled);
    } finally {
      tf.dispose([scale, ...unscaled.map(([g]) => g)]);
    }
    if (this.counter === this.dynamicGrowthSteps - 1) {
      this.counter = 0;
      this.scale = Math.fround(this.scale * 2);
    } else {
      this.counter += 1;
    }
  }

  /**
   * Gradients of `lossFn() * dynamicScale` with `tf.variableGrads`, applied by {@link applyGradients}; returns the
   * loss `lossFn` gave (unscaled). TensorFlow.js's form `minimize(f, returnCost, varList)` works too.
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
    const where = `${OWNER}.minimize`;
    const { returnCost, varList } = minimizeArguments(where, lossFn, second, third);
    return minimizeScaled(where, lossFn, { returnCost, varList }, this.scale, (pairs) => this.applyGradients(pairs));
  }

  /** Keras's config: the inner optimizer's `{ className, config }`, `initialScale`, `dynamicGrowthSteps`. */
  override getConfig(): OptimizerConfig {
    return {
      className: 'LossScaleOptimizer',
      config: {
        innerOptimizer: this.innerOptimizer.getConfig() as unknown as tf.serialization.ConfigDict,
        initialScale: this.initialScale,
        dynamicGrowthSteps: this.dynamicGrowthSteps,
      },
    };
  }

  /** The inner optimizer's state, with the scale and its counter in `extra`. */
  async getState(): Promise<OptimizerState> {
    const inner = await this.innerOptimizer.getState();
    return {
      ...inner,
      className: 'LossScaleOptimizer',
      config: this.getConfig().config,
      extra: { ...inner.extra, dynamicScale: this.scale, stepCounter: this.counter },
    };
  }

  /** Restores {@link getState}'s output: the scale, its counter and the inner optimizer. */
  setState(state: OptimizerState): void {
    const where = `${OWNER}.setState`;
    if (state === null || typeof state !== 'object' || state.className !== 'LossScaleOptimizer') {
      throw new Error(`${where}: the state belongs to a ${String(state?.className)}, not a LossScaleOptimizer.`);
    }
    const { dynamicScale, stepCounter, ...extra } = state.extra ?? {};
    positive(where, 'extra.dynamicScale', dynamicScale, '32768');
    if (!Number.isInteger(stepCounter) || (stepCounter as number) < 0) {
      throw new Error(`${where}: \`extra.stepCounter\` must be a whole number >= 0, got ${String(stepCounter)}.`);
    }
    const inner = this.innerOptimizer.getConfig();
    this.innerOptimizer.setState({ ...state, className: inner.className, config: inner.config, extra });
    this.scale = dynamicScale as number;
    this.counter = stepCounter as number;
  }

  /** The inner optimizer's `checkGradients` (a skipped step is not an error here). */
  checkGradients(): Promise<void> {
    return this.innerOptimizer.checkGradients();
  }

  /** Keras's `finalize_variable_values`: the inner optimizer's. */
  finalizeVariableValues(): void {
    this.innerOptimizer.finalizeVariableValues();
  }

  /** tfjs's `getWeights`: the scale and its counter, then the inner optimizer's weights. */
  override async getWeights(): Promise<Array<{ name: string; tensor: tf.Tensor }>> {
    return [
      { name: SCALE_WEIGHT, tensor: tf.scalar(this.scale) },
      { name: COUNTER_WEIGHT, tensor: tf.scalar(this.counter, 'int32') },
      ...(await this.innerOptimizer.getWeights()),
    ];
  }

  /** tfjs's `setWeights` (`tf.loadLayersModel` calls it): restores {@link getWeights}' output. */
  override async setWeights(weights: Array<{ name: string; tensor: tf.Tensor }>): Promise<void> {
    const find = (name: string) => weights.find((w) => w.name === name);
    const [scale, counter] = [find(SCALE_WEIGHT), find(COUNTER_WEIGHT)];
    if (scale === undefined || counter === undefined) {
      throw new Error(
        `${OWNER}.setWeights: the weights hold no "${SCALE_WEIGHT}" and "${COUNTER_WEIGHT}"; pass what getWeights() returned.`,
      );
    }
    await this.innerOptimizer.setWeights(weights.filter((w) => w !== scale && w !== counter));
    this.scale = (await scale.tensor.data())[0] as number;
    this.counter = (await counter.tensor.data())[0] as number;
  }

  /** tfjs's deserialization (`tf.loadLayersModel`): the inner optimizer rebuilt by its class name, then this. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    _cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const options = optionsFromTfjsConfig(OWNER, config);
    const { innerOptimizer, ...own } = options;
    return new LossScaleOptimizer(innerFromConfig(innerOptimizer), own) as unknown as T;
  }

  /** Frees the inner optimizer's tensors. */
  override dispose(): void {
    this.innerOptimizer.dispose();
  }
}

/**
 * A wrapped optimizer from its saved `{ className, config }` (tfjs's registry finds the class: `opt.Adam`, ...).
 * Exported for the other wrappers.
 */
export function innerFromConfig(saved: unknown, owner = OWNER): GradientTransformationOptimizer {
  const spec = saved as { className?: unknown; config?: unknown } | null;
  if (spec === null || typeof spec !== 'object' || typeof spec.className !== 'string') {
    throw new Error(
      `${owner}.fromConfig: \`innerOptimizer\` must be { className, config } as getConfig() writes it, got ${JSON.stringify(saved)}.`,
    );
  }
  const name = spec.className.startsWith('opt.') ? spec.className : `opt.${spec.className}`;
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[name];
  if (entry === undefined) {
    throw new Error(`${owner}.fromConfig: unknown inner optimizer "${spec.className}"; import @opt/optimizers first.`);
  }
  const [cls, fromConfig] = entry;
  return fromConfig(cls, spec as unknown as tf.serialization.ConfigDict) as unknown as GradientTransformationOptimizer;
}
