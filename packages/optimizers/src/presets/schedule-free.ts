import { tf } from '@opt/tensor';
import type { OptimizerOptions } from '../options.js';
import type { OptimizerState } from '../state.js';
import { chain, type GradientTransformation } from '../transform.js';
import { scaleByDebiasedRms } from '../transforms/debiased-rms.js';
import { scaleByLearningRate } from '../transforms/learning-rate.js';
import { scheduleFree, scheduleFreeEvalParams } from '../transforms/schedule-free.js';
import { CoupledDecay, CoupledDecayOptimizer } from './coupled-decay.js';
import { split } from './split.js';

/** The arguments both schedule-free presets take (optax's `b1`, `warmup_steps`, `weight_lr_power`, camelCase). */
interface ScheduleFreeArguments {
  /** Interpolation between the average `x` and `z` for the gradient point `y`, in (0, 1] (optax's `b1`, 0.9). */
  beta1?: number;
  /**
   * Length of the linear warmup from 0, in steps (optax's `warmup_steps`); 0 (default): none, as Keras. Not in the
   * catalog: the CLI's `--warmup-steps` is the cosine schedule's.
   */
  warmupSteps?: number;
  /** The average weighs each step by `maxLr^weightLrPower` (optax's `weight_lr_power`, 2). */
  weightLrPower?: number;
  /** optax's decay of `z`: `weightDecay * y` added to the base's direction, inside the learning rate. */
  weightDecay?: number | null;
}

export interface ScheduleFreeAdamWOptions extends OptimizerOptions, ScheduleFreeArguments {
  beta2?: number;
  epsilon?: number;
}

export interface ScheduleFreeSGDOptions extends OptimizerOptions, ScheduleFreeArguments {}

/**
 * What both schedule-free presets share: the weights hold `y` (where gradients are taken), and evaluating at the
 * average `x` takes a step of its own: {@link evalParams} (optax's `schedule_free_eval_params`), or
 * {@link swapToEval} and {@link swapToTrain} (Keras's names on its `ScheduleFreeAdamW`).
 */
export class ScheduleFreeOptimizer extends CoupledDecayOptimizer {
  /** The interpolation `beta1`. */
  readonly beta1: number;
  /** The training weights `y`, kept while the variables hold `x` (between swapToEval and swapToTrain). */
  private trainWeights: tf.Tensor[] | null = null;

  constructor(
    core: GradientTransformation,
    decay: CoupledDecay,
    className: string,
    config: Record<string, unknown>,
    defaultLearningRate: number,
  ) {
    super(core, decay, className, config, defaultLearningRate);
    this.beta1 = config.beta1 as number;
  }

  /** The averaged point `x` of each built variable, in build order: new tensors (dispose them). */
  evalParams(): tf.Tensor[] {
    const variables = this.builtVariables;
    const z = variables.map((v) => this.slot(v, 'z') as tf.Variable);
    return scheduleFreeEvalParams(this.trainWeights ?? variables, z, this.beta1);
  }

  /** Writes `x` into the variables to evaluate there; `y` is kept aside, exactly, for {@link swapToTrain}. */
  swapToEval(): void {
    if (this.trainWeights !== null) return;
    const x = this.evalParams();
    this.trainWeights = this.builtVariables.map((v, i) => {
      const y = tf.clone(v);
      v.assign(x[i] as tf.Tensor);
      return y;
    });
    tf.dispose(x);
  }

  /** Writes the training weights `y` back after {@link swapToEval} (bit for bit; Keras recomputes them). */
  swapToTrain(): void {
    if (this.trainWeights === null) return;
    this.builtVariables.forEach((v, i) => {
      v.assign(this.trainWeights?.[i] as tf.Tensor);
    });
    tf.dispose(this.trainWeights);
    this.trainWeights = null;
  }

  override applyGradients(pairs: ReadonlyArray<readonly [grad: tf.Tensor, variable: tf.Variable]>): void {
    this.assertTraining('applyGradients', 'the next training step');
    super.applyGradients(pairs);
  }

  override setState(state: OptimizerState): void {
    this.assertTraining('setState', 'restoring a state (swapToTrain would write back the y of before)');
    super.setState(state);
  }

  private assertTraining(method: string, before: string): void {
    if (this.trainWeights === null) return;
    throw new Error(
      `${this.className}.${method}: the variables hold the averaged point x (swapToEval() was called); ` +
        `call swapToTrain() before ${before}.`,
    );
  }

  override dispose(): void {
    if (this.trainWeights !== null) tf.dispose(this.trainWeights);
    this.trainWeights = null;
    super.dispose();
  }
}

/** The config of the wrapper without its base (the preset's own arguments are the keys). */
function ownConfig(sf: GradientTransformation, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { base: _, ...config } = sf.config;
  return { ...extra, ...config };
}

/**
 * optax's `contrib.schedule_free_adamw` (Defazio et al. 2024; lr 0.0025, b1 0.9, b2 0.999, eps 1e-8,
 * weight_decay 0, weight_lr_power 2, no warmup): `z` steps by Adam without momentum,
 * `-lr * (g / (sqrt(nuHat) + eps) + weightDecay * y)`, and the weights are the interpolation `y` of `z` and the
 * average `x` (see {@link scheduleFree}). No schedule needed; evaluate at `x` (`evalParams`, `swapToEval`).
 * `weightDecay` is optax's: it decays `z` by `lr * weightDecay * y`, not Keras's `w -= w * wd * lr` on `y`.
 */
export class ScheduleFreeAdamW extends ScheduleFreeOptimizer {
  constructor(options: ScheduleFreeAdamWOptions = {}) {
    const { own, base } = split('ScheduleFreeAdamW', options, ['warmupSteps']);
    const decay = new CoupledDecay('ScheduleFreeAdamW', { ...base, weightDecay: base.weightDecay ?? 0 });
    const rms = scaleByDebiasedRms({ beta2: own.beta2, epsilon: own.epsilon }, 'ScheduleFreeAdamW');
    const { beta1, warmupSteps, weightLrPower } = own;
    const sf = scheduleFree(
      chain(rms, ...decay.parts, scaleByLearningRate()),
      { beta1, warmupSteps, weightLrPower },
      'ScheduleFreeAdamW',
    );
    super(sf, decay, 'ScheduleFreeAdamW', ownConfig(sf, rms.config), 0.0025);
  }
}

/**
 * optax's `contrib.schedule_free_sgd` (lr 1.0, b1 0.9, weight_lr_power 2, no warmup, no weight decay): `z` steps by
 * plain SGD, `-lr * (g + weightDecay * y)`, the weights are the interpolation `y` (see {@link scheduleFree}).
 * Evaluate at `x` (`evalParams`, `swapToEval`).
 */
export class ScheduleFreeSGD extends ScheduleFreeOptimizer {
  constructor(options: ScheduleFreeSGDOptions = {}) {
    const { own, base } = split('ScheduleFreeSGD', options, ['warmupSteps']);
    const decay = new CoupledDecay('ScheduleFreeSGD', base);
    const { beta1, warmupSteps, weightLrPower } = own;
    const sf = scheduleFree(
      chain(...decay.parts, scaleByLearningRate()),
      { beta1, warmupSteps, weightLrPower },
      'ScheduleFreeSGD',
    );
    super(sf, decay, 'ScheduleFreeSGD', ownConfig(sf), 1);
  }
}
