/**
 * Keras 3's optimizers as recipes of gradient transformations. Each class takes
 * Keras's arguments in camelCase with Keras's defaults, plus {@link OptimizerOptions}.
 */
import { GradientTransformationOptimizer, type LearningRate, type OptimizerOptions } from './optimizer.js';
import { chain } from './transform.js';
import {
  momentum as momentumTransform,
  scaleByAdagrad,
  scaleByAdam,
  scaleByAdamax,
  scaleByLearningRate,
  scaleByNadam,
  scaleByRms,
} from './transforms.js';
import { boolean, unitClosed } from './validate.js';

/**
 * Keras SGD: without momentum `w -= lr * g`; with momentum the velocity
 * `v = momentum * v - lr * g`, `w += v` (Nesterov: `w += momentum * v - lr * g`).
 */
export class SGD extends GradientTransformationOptimizer {
  constructor(options: OptimizerOptions & { momentum?: number; nesterov?: boolean } = {}) {
    const momentum = unitClosed('SGD', 'momentum', options.momentum ?? 0, '0.9');
    const nesterov = boolean('SGD', 'nesterov', options.nesterov ?? false);
    const core = momentum === 0 ? scaleByLearningRate() : momentumTransform(momentum, { nesterov });
    super(core, { ...options, learningRate: options.learningRate ?? 0.01 }, 'SGD', { momentum, nesterov });
  }
}

/**
 * Keras RMSprop: `v = rho * v + (1 - rho) * g^2`; `den = v + eps` (centered:
 * `a = rho * a + (1 - rho) * g`, `den = v - a^2 + eps`); `inc = lr * g / sqrt(den)`;
 * `w -= inc`, or with momentum `mom = momentum * mom + inc`, `w -= mom`.
 */
export class RMSprop extends GradientTransformationOptimizer {
  constructor(
    options: OptimizerOptions & { rho?: number; momentum?: number; epsilon?: number; centered?: boolean } = {},
  ) {
    const rho = unitClosed('RMSprop', 'rho', options.rho ?? 0.9, '0.9');
    const momentum = unitClosed('RMSprop', 'momentum', options.momentum ?? 0, '0.9');
    const centered = boolean('RMSprop', 'centered', options.centered ?? false);
    const rms = scaleByRms({ rho, epsilon: options.epsilon ?? 1e-7, centered });
    // momentumTransform keeps v = momentum * v - lr * d, which is Keras's -mom.
    const core = chain(rms, momentum > 0 ? momentumTransform(momentum) : scaleByLearningRate());
    super(core, options, 'RMSprop', { rho, momentum, epsilon: rms.config.epsilon, centered });
  }
}

/**
 * Keras Adam: `m += (g - m) * (1 - beta1)`; `v += (g^2 - v) * (1 - beta2)`;
 * `alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)`; `w -= alpha * m / (sqrt(v) + eps)`
 * (amsgrad: `vHat = max(vHat, v)` in place of v).
 */
export class Adam extends GradientTransformationOptimizer {
  constructor(
    options: OptimizerOptions & { beta1?: number; beta2?: number; epsilon?: number; amsgrad?: boolean } = {},
    className = 'Adam',
  ) {
    const amsgrad = boolean(className, 'amsgrad', options.amsgrad ?? false);
    const adam = scaleByAdam({ beta1: options.beta1, beta2: options.beta2, epsilon: options.epsilon, amsgrad });
    super(chain(adam, scaleByLearningRate()), options, className, { ...adam.config });
  }
}

/** Keras AdamW: Adam with decoupled weight decay `w -= w * weightDecay * lr` before each update (default 0.004). */
export class AdamW extends Adam {
  constructor(
    options: OptimizerOptions & { beta1?: number; beta2?: number; epsilon?: number; amsgrad?: boolean } = {},
  ) {
    super({ ...options, weightDecay: options.weightDecay ?? 0.004 }, 'AdamW');
  }
}

/** Keras Adagrad: `acc += g^2` (from `initialAccumulatorValue`); `w -= lr * g / sqrt(acc + eps)`. */
export class Adagrad extends GradientTransformationOptimizer {
  constructor(options: OptimizerOptions & { initialAccumulatorValue?: number; epsilon?: number } = {}) {
    const core = scaleByAdagrad(options);
    super(chain(core, scaleByLearningRate()), options, 'Adagrad', { ...core.config });
  }
}

/**
 * Keras Adamax: `m += (g - m) * (1 - beta1)`; `u = max(beta2 * u, |g|)`;
 * `w -= lr * m / ((1 - beta1^t) * (u + eps))`.
 */
export class Adamax extends GradientTransformationOptimizer {
  constructor(options: OptimizerOptions & { beta1?: number; beta2?: number; epsilon?: number } = {}) {
    const core = scaleByAdamax(options);
    super(chain(core, scaleByLearningRate()), options, 'Adamax', { ...core.config });
  }
}

/**
 * Keras Nadam (momentum cache `u_t = beta1 * (1 - 0.5 * 0.96^t)`, product `P_t`):
 * `mHat = u_{t+1} m / (1 - P_{t+1}) + (1 - u_t) g / (1 - P_t)`; `vHat = v / (1 - beta2^t)`;
 * `w -= lr * mHat / (sqrt(vHat) + eps)`.
 */
export class Nadam extends GradientTransformationOptimizer {
  constructor(options: OptimizerOptions & { beta1?: number; beta2?: number; epsilon?: number } = {}) {
    const core = scaleByNadam(options);
    super(chain(core, scaleByLearningRate()), options, 'Nadam', { ...core.config });
  }
}

const PRESETS = { SGD, RMSprop, Adam, AdamW, Adagrad, Adamax, Nadam } as const;

/**
 * Rebuilds a preset from `getConfig()`'s output. A learning-rate schedule is
 * stored as its `{ className, config }`; pass `schedule` to turn it back into a function.
 */
export function optimizerFromConfig(
  spec: { className: string; config: Record<string, unknown> },
  options: { schedule?: (config: { className: string; config: Record<string, unknown> }) => LearningRate } = {},
): GradientTransformationOptimizer {
  const Ctor = PRESETS[spec.className as keyof typeof PRESETS];
  if (Ctor === undefined) {
    throw new Error(
      `optimizerFromConfig: unknown className "${spec.className}"; expected one of ${Object.keys(PRESETS).join(', ')}.`,
    );
  }
  const config: Record<string, unknown> = { ...spec.config };
  const lr = config.learningRate;
  if (lr !== undefined && typeof lr !== 'number') {
    if (options.schedule === undefined) {
      throw new Error(
        `optimizerFromConfig: the learning rate is a schedule (${JSON.stringify(lr)}); pass { schedule: (config) => fn } to rebuild it.`,
      );
    }
    config.learningRate = options.schedule(lr as { className: string; config: Record<string, unknown> });
  }
  for (const k of Object.keys(config)) if (config[k] === null) delete config[k];
  return new Ctor(config as ConstructorParameters<typeof Ctor>[0]);
}
