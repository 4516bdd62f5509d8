/**
 * Keras 3's optimizers as recipes of gradient transformations. Each class takes Keras's arguments in camelCase
 * with Keras's defaults, plus {@link OptimizerOptions}; any other key is an error that names it.
 */
import type { LearningRate } from './learning-rate.js';
import { GradientTransformationOptimizer } from './optimizer.js';
import { OPTIMIZER_OPTION_KEYS, type OptimizerOptions } from './options.js';
import { chain } from './transform.js';
import { scaleByAdadelta } from './transforms/adadelta.js';
import { scaleByAdagrad } from './transforms/adagrad.js';
import { scaleByAdam } from './transforms/adam.js';
import { scaleByAdamax } from './transforms/adamax.js';
import { scaleByLearningRate } from './transforms/learning-rate.js';
import { momentum as momentumTransform } from './transforms/momentum.js';
import { scaleByNadam } from './transforms/nadam.js';
import { scaleByRms } from './transforms/rms.js';
import { boolean, checkOptions, unitClosed } from './validate.js';

/** Each preset's own arguments (besides {@link OptimizerOptions}). */
const OWN_KEYS = {
  SGD: ['momentum', 'nesterov'],
  RMSprop: ['rho', 'momentum', 'epsilon', 'centered'],
  Adam: ['beta1', 'beta2', 'epsilon', 'amsgrad'],
  AdamW: ['beta1', 'beta2', 'epsilon', 'amsgrad'],
  Adagrad: ['initialAccumulatorValue', 'epsilon'],
  Adamax: ['beta1', 'beta2', 'epsilon'],
  Nadam: ['beta1', 'beta2', 'epsilon'],
  Adadelta: ['rho', 'epsilon'],
} as const satisfies Record<string, readonly string[]>;

type PresetName = keyof typeof OWN_KEYS;

/** For an unknown key: which presets do take it (`nesterov` on Adam: "an option of SGD"). */
function takenBy(owner: PresetName): (key: string) => string | undefined {
  return (key) => {
    const others = (Object.keys(OWN_KEYS) as PresetName[]).filter(
      (name) => name !== owner && (OWN_KEYS[name] as readonly string[]).includes(key),
    );
    return others.length === 0 ? undefined : `an option of ${others.join(', ')}, not of ${owner}`;
  };
}

/**
 * Checks the keys of a preset's options, then returns the preset's own arguments and the base options apart
 * (the base options go to {@link GradientTransformationOptimizer}).
 */
function split<T extends object>(owner: PresetName, options: T | undefined): { own: T; base: OptimizerOptions } {
  const all = checkOptions(owner, options, [...OWN_KEYS[owner], ...OPTIMIZER_OPTION_KEYS], takenBy(owner));
  const base: Record<string, unknown> = {};
  for (const key of OPTIMIZER_OPTION_KEYS) if (key in all) base[key] = (all as Record<string, unknown>)[key];
  return { own: all, base: base as OptimizerOptions };
}

export interface SGDOptions extends OptimizerOptions {
  momentum?: number;
  nesterov?: boolean;
}

/**
 * Keras SGD: without momentum `w -= lr * g`; with momentum the velocity
 * `v = momentum * v - lr * g`, `w += v` (Nesterov: `w += momentum * v - lr * g`).
 */
export class SGD extends GradientTransformationOptimizer {
  constructor(options: SGDOptions = {}) {
    const { own, base } = split('SGD', options);
    const momentum = unitClosed('SGD', 'momentum', own.momentum ?? 0, '0.9');
    const nesterov = boolean('SGD', 'nesterov', own.nesterov ?? false);
    const core = momentum === 0 ? scaleByLearningRate() : momentumTransform(momentum, { nesterov });
    super(core, { ...base, learningRate: base.learningRate ?? 0.01 }, 'SGD', { momentum, nesterov });
  }
}

export interface RMSpropOptions extends OptimizerOptions {
  rho?: number;
  momentum?: number;
  epsilon?: number;
  centered?: boolean;
}

/**
 * Keras RMSprop: `v = rho * v + (1 - rho) * g^2`; `den = v + eps` (centered:
 * `a = rho * a + (1 - rho) * g`, `den = v - a^2 + eps`); `inc = lr * g / sqrt(den)`;
 * `w -= inc`, or with momentum `mom = momentum * mom + inc`, `w -= mom`.
 */
export class RMSprop extends GradientTransformationOptimizer {
  constructor(options: RMSpropOptions = {}) {
    const { own, base } = split('RMSprop', options);
    const rho = unitClosed('RMSprop', 'rho', own.rho ?? 0.9, '0.9');
    const momentum = unitClosed('RMSprop', 'momentum', own.momentum ?? 0, '0.9');
    const centered = boolean('RMSprop', 'centered', own.centered ?? false);
    const epsilon = own.epsilon ?? 1e-7;
    const rms = (learningRate?: 'optimizer') => scaleByRms({ rho, epsilon, centered, learningRate });
    // Keras multiplies the rate into the increment; momentumTransform keeps v = momentum * v - lr * d, Keras's -mom.
    const core = momentum > 0 ? chain(rms(), momentumTransform(momentum)) : rms('optimizer');
    super(core, base, 'RMSprop', { rho, momentum, epsilon, centered });
  }
}

export interface AdamOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  amsgrad?: boolean;
}

/**
 * Keras Adam: `m += (g - m) * (1 - beta1)`; `v += (g^2 - v) * (1 - beta2)`;
 * `alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)`; `w -= alpha * m / (sqrt(v) + eps)`
 * (amsgrad: `vHat = max(vHat, v)` in place of v).
 */
export class Adam extends GradientTransformationOptimizer {
  constructor(options: AdamOptions = {}, className: 'Adam' | 'AdamW' = 'Adam') {
    const { own, base } = split(className, options);
    const { beta1, beta2, epsilon, amsgrad } = own;
    const adam = scaleByAdam({ beta1, beta2, epsilon, amsgrad, learningRate: 'optimizer' });
    const weightDecay = className === 'AdamW' ? (base.weightDecay ?? 0.004) : base.weightDecay;
    super(adam, { ...base, weightDecay }, className, { ...adam.config });
  }
}

/** Keras AdamW: Adam with decoupled weight decay `w -= w * weightDecay * lr` before each update (default 0.004). */
export class AdamW extends Adam {
  constructor(options: AdamOptions = {}) {
    super(options, 'AdamW');
  }
}

export interface AdagradOptions extends OptimizerOptions {
  initialAccumulatorValue?: number;
  epsilon?: number;
}

/** Keras Adagrad: `acc += g^2` (from `initialAccumulatorValue`); `w -= lr * g / sqrt(acc + eps)`. */
export class Adagrad extends GradientTransformationOptimizer {
  constructor(options: AdagradOptions = {}) {
    const { own, base } = split('Adagrad', options);
    const { initialAccumulatorValue, epsilon } = own;
    const core = scaleByAdagrad({ initialAccumulatorValue, epsilon, learningRate: 'optimizer' });
    super(core, base, 'Adagrad', { ...core.config });
  }
}

export interface AdamaxOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Keras Adamax: `m += (g - m) * (1 - beta1)`; `u = max(beta2 * u, |g|)`;
 * `w -= lr * m / ((1 - beta1^t) * (u + eps))`.
 */
export class Adamax extends GradientTransformationOptimizer {
  constructor(options: AdamaxOptions = {}) {
    const { own, base } = split('Adamax', options);
    const core = scaleByAdamax({ beta1: own.beta1, beta2: own.beta2, epsilon: own.epsilon, learningRate: 'optimizer' });
    super(core, base, 'Adamax', { ...core.config });
  }
}

export type NadamOptions = AdamaxOptions;

/**
 * Keras Nadam (momentum cache `u_t = beta1 * (1 - 0.5 * 0.96^t)`, product `P_t`):
 * `mHat = u_{t+1} m / (1 - P_{t+1}) + (1 - u_t) g / (1 - P_t)`; `vHat = v / (1 - beta2^t)`;
 * `w -= lr * mHat / (sqrt(vHat) + eps)`.
 */
export class Nadam extends GradientTransformationOptimizer {
  constructor(options: NadamOptions = {}) {
    const { own, base } = split('Nadam', options);
    const core = scaleByNadam({ beta1: own.beta1, beta2: own.beta2, epsilon: own.epsilon, learningRate: 'optimizer' });
    super(core, base, 'Nadam', { ...core.config });
  }
}

export interface AdadeltaOptions extends OptimizerOptions {
  rho?: number;
  epsilon?: number;
}

/**
 * Keras Adadelta (learning rate 0.001, as Keras 3; the paper's form is 1.0): `ag = rho * ag + (1 - rho) * g^2`;
 * `delta = sqrt(ad + eps) / sqrt(ag + eps) * g`; `ad = rho * ad + (1 - rho) * delta^2`; `w -= lr * delta`.
 */
export class Adadelta extends GradientTransformationOptimizer {
  constructor(options: AdadeltaOptions = {}) {
    const { own, base } = split('Adadelta', options);
    const core = scaleByAdadelta({ rho: own.rho, epsilon: own.epsilon });
    super(chain(core, scaleByLearningRate()), base, 'Adadelta', { ...core.config });
  }
}

const PRESETS = { SGD, RMSprop, Adam, AdamW, Adagrad, Adamax, Nadam, Adadelta } as const;

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
