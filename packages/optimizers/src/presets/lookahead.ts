/** optax's Lookahead (Zhang et al. 2019) as a class wrapping another optimizer. */
import type { tf } from '@opt/tensor';
import { GradientTransformationOptimizer, type OptimizerConfig } from '../optimizer.js';
import { optionsFromTfjsConfig } from '../tfjs.js';
import { lookahead } from '../transforms/lookahead.js';
import { checkOptions } from '../validate.js';
import { innerFromConfig } from './loss-scale.js';

/** {@link Lookahead}'s own arguments (optax's `sync_period`, `slow_step_size`, `reset_state`). */
export interface LookaheadOptions {
  /** Synchronize every this many steps (the paper's k; default 6). */
  syncPeriod?: number;
  /** How far the slow weights move towards the fast ones at a synchronization (the paper's alpha; default 0.5). */
  slowStepSize?: number;
  /** Restart the inner optimizer's slots after each synchronization (default false). */
  resetState?: boolean;
}

const OWNER = 'Lookahead';

/**
 * optax's `lookahead(fast_optimizer, sync_period, slow_step_size, reset_state)` around a whole optimizer:
 * `new Lookahead(new Adam({ clipnorm: 1 }), { syncPeriod: 6, slowStepSize: 0.5 })`. The inner optimizer's step
 * (clipping and weight decay included) proposes `u`; every `syncPeriod`-th step `d = w + u - slow`,
 * `slow += slowStepSize d` and the weights jump to the new `slow`; other steps `w += u`. The slot `slow` holds the slow
 * weights (evaluate there). The learning rate, moving average, non-finite policy and `lossScaleFactor` are the inner
 * optimizer's, adopted when this is built; the inner optimizer's own slots stay empty (this one keeps them). An inner
 * `gradientAccumulationSteps` is refused: the synchronization would count calls, not applied steps.
 */
export class Lookahead extends GradientTransformationOptimizer {
  /** The optimizer whose step the slow weights follow. */
  readonly innerOptimizer: GradientTransformationOptimizer;
  private readonly lookaheadConfig: Required<LookaheadOptions>;

  constructor(innerOptimizer: GradientTransformationOptimizer, options: LookaheadOptions = {}) {
    const inner = innerOptimizer as Partial<GradientTransformationOptimizer> | null;
    // not instanceof: tf.Optimizer's Symbol.hasInstance takes any object with minimize and applyGradients
    if (inner === null || typeof inner !== 'object' || typeof inner.getState !== 'function' || !inner.transform) {
      throw new TypeError(
        `${OWNER}: \`innerOptimizer\` must be an optimizer of @opt/optimizers such as new Adam(), got ${
          innerOptimizer === null ? 'null' : typeof innerOptimizer
        }.`,
      );
    }
    const base = innerOptimizer.baseOptions;
    if (base.gradientAccumulationSteps !== null) {
      throw new Error(
        `${OWNER}: the inner optimizer accumulates gradients (gradientAccumulationSteps ${base.gradientAccumulationSteps}), ` +
          'so the synchronization would count calls instead of applied steps. Leave gradientAccumulationSteps out.',
      );
    }
    const o = checkOptions(OWNER, options, ['syncPeriod', 'slowStepSize', 'resetState']);
    const core = lookahead(innerOptimizer.transform, o, OWNER);
    super(
      core,
      {
        learningRate: innerOptimizer.learningRateSetting,
        useEma: base.useEma,
        emaMomentum: base.emaMomentum,
        emaOverwriteFrequency: base.emaOverwriteFrequency,
        nonFiniteGradients: base.nonFiniteGradients,
        lossScaleFactor: base.lossScaleFactor,
      },
      OWNER,
    );
    this.innerOptimizer = innerOptimizer;
    const { syncPeriod, slowStepSize, resetState } = core.config as Required<LookaheadOptions>;
    this.lookaheadConfig = { syncPeriod, slowStepSize, resetState };
  }

  /** `{ innerOptimizer, syncPeriod, slowStepSize, resetState }`, the inner optimizer as its own `getConfig()`. */
  override getConfig(): OptimizerConfig {
    return {
      className: OWNER,
      config: {
        innerOptimizer: this.innerOptimizer.getConfig() as unknown as tf.serialization.ConfigDict,
        ...this.lookaheadConfig,
      },
    };
  }

  /** tfjs's deserialization (`tf.loadLayersModel`): the inner optimizer rebuilt by its class name, then this. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    _cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const { innerOptimizer, ...own } = optionsFromTfjsConfig(OWNER, config);
    return new Lookahead(innerFromConfig(innerOptimizer, OWNER), own) as unknown as T;
  }

  /** Frees this optimizer's tensors and the inner optimizer's. */
  override dispose(): void {
    super.dispose();
    this.innerOptimizer.dispose();
  }
}
