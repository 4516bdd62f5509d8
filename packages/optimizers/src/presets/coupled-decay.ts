/**
 * The `weightDecay` of the PyTorch presets (RAdam, ASGD): PyTorch's L2 penalty added to the gradient, not Keras's
 * decoupled decay of the weights that every other preset's `weightDecay` is.
 */
import type { tf } from '@opt/tensor';
import { GradientTransformationOptimizer, type OptimizerConfig } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import type { GradientTransformation } from '../transform.js';
import { coupledWeightDecay } from '../transforms/coupled-weight-decay.js';
import { nonNegative } from '../validate.js';
import { WeightDecayExclusion } from '../weight-decay.js';

/** PyTorch's `weight_decay` taken out of the base options: the transformation that adds it to the gradient. */
export class CoupledDecay {
  readonly weightDecay: number | null;
  /** The base options without `weightDecay` (the optimizer must not decay the weights a second time). */
  readonly base: OptimizerOptions;
  /** `[coupledWeightDecay(wd)]`, or nothing when there is no decay. */
  readonly parts: GradientTransformation[];
  private readonly exclusion: WeightDecayExclusion;

  constructor(owner: string, base: OptimizerOptions) {
    const { weightDecay, ...rest } = base;
    this.weightDecay = weightDecay ?? null;
    if (this.weightDecay !== null) nonNegative(owner, 'weightDecay', this.weightDecay, '0.01');
    this.base = rest;
    this.exclusion = new WeightDecayExclusion(owner, base.excludeFromWeightDecay ?? null);
    const decays = (param: tf.Tensor) => this.exclusion.applies(param);
    this.parts = this.weightDecay ? [coupledWeightDecay(this.weightDecay, { mask: decays })] : [];
  }

  /** Whether the decay applies to `param` (not excluded by object or name), for a block that decays by itself. */
  decays(param: tf.Tensor): boolean {
    return this.exclusion.applies(param);
  }

  exclude(options: { variables?: readonly tf.Variable[]; varNames?: readonly string[] }): void {
    this.exclusion.exclude(options, false);
  }
}

/**
 * A preset whose `weightDecay` is PyTorch's (`g = g + weightDecay * w` before the update): `getConfig` reports it
 * under the same key, and `excludeFromWeightDecay` applies to it as to Keras's decay.
 */
export class CoupledDecayOptimizer extends GradientTransformationOptimizer {
  private readonly coupled: CoupledDecay;

  constructor(
    core: GradientTransformation,
    decay: CoupledDecay,
    className: string,
    extraConfig: Record<string, unknown>,
    defaultLearningRate: number,
  ) {
    super(
      core,
      { ...decay.base, learningRate: decay.base.learningRate ?? defaultLearningRate },
      className,
      extraConfig,
    );
    this.coupled = decay;
  }

  override excludeFromWeightDecay(
    options: { variables?: readonly tf.Variable[]; varNames?: readonly string[] } = {},
  ): void {
    super.excludeFromWeightDecay(options); // refuses after the first step, and keeps the names for getConfig
    this.coupled.exclude(options);
  }

  override getConfig(): OptimizerConfig {
    const { className, config } = super.getConfig();
    return { className, config: { ...config, weightDecay: this.coupled.weightDecay } };
  }
}
