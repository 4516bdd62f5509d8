/**
 * PyTorch's and optax's optimizers that Keras lacks, in the catalog: names, defaults and ranges as PyTorch 1.13's
 * `torch.optim` and optax's `optax/_src/transform.py` and `optax/contrib` have them (optax has no default rate for
 * Yogi and AdaBelief: the papers').
 */
import type { CatalogEntry } from '../option-spec.js';
import { beta1, beta2, nonNegative, positive } from './shared.js';

/**
 * The schedule-free presets' own options: optax's `b1` and `weight_lr_power`. Their `warmupSteps` is an argument of
 * the classes but not here: the CLI's knob `warmupSteps` is the cosine schedule's.
 */
const scheduleFree = [
  {
    key: 'beta1',
    kind: 'number',
    default: 0.9,
    range: { min: 0, max: 1, minExclusive: true },
    help: 'where the gradient is taken: y = beta1 x + (1 - beta1) z, between the average x and z',
  },
  {
    key: 'weightLrPower',
    kind: 'number',
    default: 2,
    range: nonNegative,
    help: 'the average weighs each step by maxLr^weightLrPower',
  },
] as const;

export const PYTORCH_OPTAX_CATALOG = [
  {
    name: 'radam',
    className: 'RAdam',
    learningRate: 0.001,
    options: [
      beta1,
      beta2,
      { key: 'epsilon', kind: 'number', default: 1e-8, range: positive, help: 'added to sqrt(v)' },
    ],
    reference: 'Liu et al. 2020, "On the Variance of the Adaptive Learning Rate and Beyond" (torch.optim.RAdam)',
    formula: 'Adam rectified by r(rho_t) once rho_t > 5, momentum SGD before; weightDecay is coupled (g += wd w)',
    slotsPerParameter: 2,
    slots: '2 (expAvg, expAvgSq)',
    whenToUse: 'Adam without a warmup: the first steps are momentum SGD while the variance estimate is young',
  },
  {
    name: 'rprop',
    className: 'Rprop',
    learningRate: 0.01,
    options: [
      {
        key: 'etaminus',
        kind: 'number',
        default: 0.5,
        range: { min: 0, max: 1, minExclusive: true, maxExclusive: true },
        help: 'step-size factor where the gradient changes sign',
      },
      {
        key: 'etaplus',
        kind: 'number',
        default: 1.2,
        range: { min: 1, minExclusive: true },
        help: 'step-size factor where the gradient keeps its sign',
      },
      {
        key: 'stepSizes',
        kind: 'numberPair',
        default: [1e-6, 50],
        range: positive,
        help: 'the smallest and largest step size (min,max)',
      },
    ],
    reference: 'Riedmiller & Braun 1993 (torch.optim.Rprop, without backtracking)',
    formula: 'step *= etaplus or etaminus as sign(g prev) holds or flips, clipped to stepSizes; w -= sign(g) step',
    slotsPerParameter: 2,
    slots: '2 (prev, stepSize)',
    whenToUse: "full-batch gradients (the chapter's batch gradient descent) on small problems: it uses signs only",
  },
  {
    name: 'asgd',
    className: 'ASGD',
    learningRate: 0.01,
    options: [
      { key: 'lambd', kind: 'number', default: 1e-4, range: nonNegative, help: 'decay term of the rate' },
      { key: 'alpha', kind: 'number', default: 0.75, range: nonNegative, help: 'power of the rate decay' },
      { key: 't0', kind: 'number', default: 1e6, range: nonNegative, help: 'the step where averaging starts' },
    ],
    reference: 'Polyak & Juditsky 1992; Bottou 2012 (torch.optim.ASGD)',
    formula: 'eta = lr / (1 + lambd lr t)^alpha; w = w (1 - lambd eta) - eta g; ax averages w after t0',
    slotsPerParameter: 1,
    slots: '1 (ax, the averaged weights)',
    whenToUse: 'SGD whose average of the iterates settles where the last one jitters; evaluate at ax',
  },
  {
    name: 'yogi',
    className: 'Yogi',
    learningRate: 0.01,
    options: [
      beta1,
      beta2,
      { key: 'epsilon', kind: 'number', default: 1e-3, range: positive, help: 'added to the root of nuHat' },
      {
        key: 'initialAccumulatorValue',
        kind: 'number',
        default: 1e-6,
        range: positive,
        help: 'the starting value of both moments',
      },
    ],
    reference: 'Zaheer et al. 2018, "Adaptive Methods for Nonconvex Optimization" (optax.yogi)',
    formula: 'Adam with nu = nu - (1 - b2) sign(nu - g²) g²: the second moment moves by at most (1 - b2) g²',
    slotsPerParameter: 2,
    slots: '2 (mu, nu)',
    whenToUse: "Adam where bursts of large gradients make Adam's second moment forget too fast",
  },
  {
    name: 'adabelief',
    className: 'AdaBelief',
    learningRate: 0.001,
    options: [
      beta1,
      beta2,
      { key: 'epsilon', kind: 'number', default: 1e-16, range: positive, help: 'added to the root of nuHat' },
      {
        key: 'epsilonRoot',
        kind: 'number',
        default: 1e-16,
        range: nonNegative,
        help: 'added to nu at every step',
      },
    ],
    reference: 'Zhuang et al. 2020, "AdaBelief Optimizer" (optax.adabelief)',
    formula: 'Adam with nu = b2 nu + (1 - b2)(g - mu)² + epsRoot: the belief in the gradient, not its size',
    slotsPerParameter: 2,
    slots: '2 (mu, nu)',
    whenToUse: "Adam's speed with steps that grow where the gradient is as predicted and shrink where it is noisy",
  },
  {
    name: 'schedulefreeadamw',
    className: 'ScheduleFreeAdamW',
    learningRate: 0.0025,
    baseDefaults: { weightDecay: 0 },
    options: [
      scheduleFree[0],
      beta2,
      { key: 'epsilon', kind: 'number', default: 1e-8, range: positive, help: 'added to the root of nuHat' },
      scheduleFree[1],
    ],
    reference: 'Defazio et al. 2024, "The Road Less Scheduled" (optax.contrib.schedule_free_adamw)',
    formula: 'z -= lr (g / (√nuHat + eps) + wd y); x = (1 - c) x + c z, c = maxLr^p / Σ maxLr^p; y = b1 x + (1 - b1) z',
    slotsPerParameter: 2,
    slots: '2 (nu, z; and the scalars weightSum, maxLr)',
    whenToUse: 'AdamW with no schedule and no run length fixed in advance; evaluate at the average x (swapToEval)',
  },
  {
    name: 'schedulefreesgd',
    className: 'ScheduleFreeSGD',
    learningRate: 1,
    options: [...scheduleFree],
    reference: 'Defazio et al. 2024, "The Road Less Scheduled" (optax.contrib.schedule_free_sgd)',
    formula: 'z -= lr (g + wd y); x = (1 - c) x + c z, c = maxLr^p / Σ maxLr^p; y = b1 x + (1 - b1) z',
    slotsPerParameter: 1,
    slots: '1 (z; and the scalars weightSum, maxLr)',
    whenToUse: "SGD with momentum's memory and no schedule; evaluate at the average x (swapToEval)",
  },
  {
    name: 'prodigy',
    className: 'Prodigy',
    learningRate: 1,
    baseDefaults: { weightDecay: 0 },
    options: [
      beta1,
      beta2,
      { key: 'epsilon', kind: 'number', default: 1e-8, range: positive, help: 'added to sqrt(expAvgSq), times d' },
      {
        key: 'estimLr0',
        kind: 'number',
        default: 1e-6,
        range: positive,
        help: 'the first estimate of the step size d',
      },
      {
        key: 'estimLrCoef',
        kind: 'number',
        default: 1,
        range: positive,
        help: 'each new estimate of d is multiplied by this',
      },
      {
        key: 'safeguardWarmup',
        kind: 'boolean',
        default: false,
        help: "leave the learning rate out of d's denominator, for warmups",
      },
    ],
    reference:
      'Mishchenko & Defazio 2023, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner" (optax.contrib.prodigy)',
    formula:
      'Adam on d g with step d lr; d = max(d, Σ-weighted g·(w0 - w) / Σ |weighted d g|): learns its own step size',
    slotsPerParameter: 4,
    slots: '4 (expAvg, expAvgSq, gradSum, params0; and the scalars estimLr, numeratorWeighted)',
    whenToUse: 'Adam without tuning the learning rate: keep learningRate 1 (a multiplier of d), or a decay from 1',
  },
] as const satisfies readonly CatalogEntry[];
