/**
 * The optimizer catalog: every preset's Keras name, class name, default learning rate and own options (kind,
 * Keras's default, valid range, one-line help), with what the README's table says of it. Everything that lists the
 * presets derives from it: `OWN_KEYS` (the presets' option checks), `OPTIMIZER_NAMES` and `getOptimizer`'s lookup,
 * the CLI's knob table and the demo's picker. Plain data, no TensorFlow.js: `@opt/optimizers/catalog` loads nothing
 * else, so a CLI can check a config without a backend.
 */

import type { CatalogEntry, CatalogOption } from './option-spec.js';

export * from './option-spec.js';

const unitOpen = { min: 0, max: 1, maxExclusive: true } as const;
const unitClosed = { min: 0, max: 1 } as const;
const positive = { min: 0, minExclusive: true } as const;
const nonNegative = { min: 0 } as const;

const beta1 = {
  key: 'beta1',
  kind: 'number',
  default: 0.9,
  range: unitOpen,
  help: 'decay of the moving average of the gradient (first moment)',
} as const;
const beta2 = {
  key: 'beta2',
  kind: 'number',
  default: 0.999,
  range: unitOpen,
  help: 'decay of the moving average of the squared gradient (second moment)',
} as const;
const epsilon = {
  key: 'epsilon',
  kind: 'number',
  default: 1e-7,
  range: positive,
  help: 'added to the denominator for stability',
} as const;
const amsgrad = {
  key: 'amsgrad',
  kind: 'boolean',
  default: false,
  help: 'AMSGrad: divide by the running maximum of the second moment',
} as const;

/** Every preset, in the order the README, the CLI and the demo list them. */
export const CATALOG = [
  {
    name: 'sgd',
    className: 'SGD',
    learningRate: 0.01,
    options: [
      {
        key: 'momentum',
        kind: 'number',
        default: 0,
        range: unitClosed,
        help: 'velocity decay: v = momentum v - lr g',
      },
      { key: 'nesterov', kind: 'boolean', default: false, help: 'Nesterov momentum: w += momentum v - lr g' },
    ],
    reference: 'Robbins & Monro 1951; momentum Polyak 1964; Nesterov 1983 (Keras form)',
    formula: 'v = momentum v - lr g; w += v (Nesterov: w += momentum v - lr g)',
    slotsPerParameter: 0,
    slots: '0 (1 with momentum: velocity)',
    whenToUse: 'the baseline; with momentum 0.9 and a schedule it often generalizes best',
  },
  {
    name: 'rmsprop',
    className: 'RMSprop',
    learningRate: 0.001,
    options: [
      {
        key: 'rho',
        kind: 'number',
        default: 0.9,
        range: unitClosed,
        help: 'decay of the moving average of g^2',
      },
      {
        key: 'momentum',
        kind: 'number',
        default: 0,
        range: unitClosed,
        help: 'velocity decay: v = momentum v - lr g',
      },
      epsilon,
      { key: 'centered', kind: 'boolean', default: false, help: 'divide by the variance estimate v - a^2' },
    ],
    reference: 'Hinton, Coursera lecture 6e (2012)',
    formula: 'v = rho v + (1 - rho) g²; w -= lr g / sqrt(v + eps)',
    slotsPerParameter: 1,
    slots: '1 (velocity; + average if centered, + momentum)',
    whenToUse: 'recurrent nets and non-stationary objectives; Adam without the first moment',
  },
  {
    name: 'adam',
    className: 'Adam',
    learningRate: 0.001,
    options: [beta1, beta2, epsilon, amsgrad],
    reference: 'Kingma & Ba 2015',
    formula: 'm, v moving averages of g, g²; w -= lr √(1 - b2^t)/(1 - b1^t) m / (√v + eps)',
    slotsPerParameter: 2,
    slots: '2 (momentum, velocity; + velocityHat with amsgrad)',
    whenToUse: 'the default: works out of the box on most problems',
  },
  {
    name: 'adamw',
    className: 'AdamW',
    learningRate: 0.001,
    baseDefaults: { weightDecay: 0.004 },
    options: [beta1, beta2, epsilon, amsgrad],
    reference: 'Loshchilov & Hutter 2019',
    formula: 'Adam after w -= lr wd w (decoupled weight decay, wd 0.004)',
    slotsPerParameter: 2,
    slots: '2 (momentum, velocity)',
    whenToUse: 'Adam with regularization that does not pass through the adaptive scaling; transformers',
  },
  {
    name: 'adagrad',
    className: 'Adagrad',
    learningRate: 0.001,
    options: [
      {
        key: 'initialAccumulatorValue',
        kind: 'number',
        default: 0.1,
        range: nonNegative,
        help: 'the starting value of the sum of g^2',
      },
      epsilon,
    ],
    reference: 'Duchi, Hazan & Singer 2011',
    formula: 'acc += g²; w -= lr g / sqrt(acc + eps)',
    slotsPerParameter: 1,
    slots: '1 (accumulator)',
    whenToUse: 'sparse features (embeddings): rare features keep large steps; the rate only falls',
  },
  {
    name: 'adamax',
    className: 'Adamax',
    learningRate: 0.001,
    options: [beta1, beta2, epsilon],
    reference: 'Kingma & Ba 2015, section 7.1',
    formula: 'm moving average of g; u = max(b2 u, |g|); w -= lr m / ((1 - b1^t)(u + eps))',
    slotsPerParameter: 2,
    slots: '2 (momentum, norm)',
    whenToUse: 'Adam with the infinity norm: steadier steps when gradients have outliers (embeddings)',
  },
  {
    name: 'nadam',
    className: 'Nadam',
    learningRate: 0.001,
    options: [beta1, beta2, epsilon],
    reference: 'Dozat 2016',
    formula: 'Adam with a Nesterov look-ahead of the first moment (momentum cache b1 (1 - 0.5 · 0.96^t))',
    slotsPerParameter: 2,
    slots: '2 (momentum, velocity)',
    whenToUse: 'where Adam works and a little faster early progress helps',
  },
  {
    name: 'adadelta',
    className: 'Adadelta',
    learningRate: 0.001,
    options: [
      {
        key: 'rho',
        kind: 'number',
        default: 0.95,
        range: unitClosed,
        help: 'decay of the moving averages of g^2 and of the squared steps',
      },
      epsilon,
    ],
    reference: 'Zeiler 2012',
    formula: 'ag = rho ag + (1 - rho) g²; d = √(ad + eps) g / √(ag + eps); ad = rho ad + (1 - rho) d²; w -= lr d',
    slotsPerParameter: 2,
    slots: '2 (accumulatedGrad, accumulatedDeltaVar)',
    whenToUse: 'Adagrad without its ever-shrinking rate; the paper used lr 1.0 (Keras: 0.001)',
  },
  {
    name: 'lion',
    className: 'Lion',
    learningRate: 0.001,
    options: [
      {
        key: 'beta1',
        kind: 'number',
        default: 0.9,
        range: { min: 0, max: 1, minExclusive: true },
        help: "weight of the momentum in the update's sign (0 would be signSGD)",
      },
      {
        key: 'beta2',
        kind: 'number',
        default: 0.99,
        range: unitClosed,
        help: 'decay of the momentum',
      },
    ],
    reference: 'Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"',
    formula: 'w -= lr sign(b1 m + (1 - b1) g); m = b2 m + (1 - b2) g',
    slotsPerParameter: 1,
    slots: '1 (momentum)',
    whenToUse: "memory-lean (one slot); use a rate 3-10x smaller than AdamW's and a weight decay 3-10x larger",
  },
  {
    name: 'lamb',
    className: 'Lamb',
    learningRate: 0.001,
    options: [beta1, beta2, epsilon],
    reference: 'You et al. 2020, "Large Batch Optimization for Deep Learning"',
    formula: 'u = mHat / (√vHat + eps); w -= lr (‖w‖ / ‖u‖) u per variable (ratio 1 if a norm is 0)',
    slotsPerParameter: 2,
    slots: '2 (momentum, velocity)',
    whenToUse: 'very large batches: the layer-wise trust ratio keeps each layer’s step in proportion to its weights',
  },
  {
    name: 'ftrl',
    className: 'Ftrl',
    learningRate: 0.001,
    options: [
      {
        key: 'learningRatePower',
        kind: 'number',
        default: -0.5,
        range: { max: 0 },
        help: 'how the per-weight rate falls with the sum of g^2 (0: a fixed rate)',
      },
      {
        key: 'initialAccumulatorValue',
        kind: 'number',
        default: 0.1,
        range: nonNegative,
        help: 'the starting value of the sum of g^2',
      },
      {
        key: 'l1RegularizationStrength',
        kind: 'number',
        default: 0,
        range: nonNegative,
        help: 'L1 strength: weights with |z| below it are set to exactly 0',
      },
      {
        key: 'l2RegularizationStrength',
        kind: 'number',
        default: 0,
        range: nonNegative,
        help: 'L2 stabilization strength (in the denominator)',
      },
      {
        key: 'l2ShrinkageRegularizationStrength',
        kind: 'number',
        default: 0,
        range: nonNegative,
        help: 'L2 shrinkage: adds 2 s w to the gradient',
      },
      {
        key: 'beta',
        kind: 'number',
        default: 0,
        range: nonNegative,
        help: "the paper's beta: adds beta / (2 lr) to the L2 strength",
      },
    ],
    reference: 'McMahan et al. 2013, "Ad Click Prediction: a View from the Trenches"',
    formula: 'n += g²; z += g - (n^-p - n₀^-p)/lr w; w = (clip(z, ±l1) - z) / (n^-p/lr + 2 l2)',
    slotsPerParameter: 2,
    slots: '2 (accumulator, linear)',
    whenToUse: 'wide, sparse linear models (click prediction): L1 gives exact zeros',
  },
  {
    name: 'adafactor',
    className: 'Adafactor',
    learningRate: 0.001,
    options: [
      {
        key: 'beta2Decay',
        kind: 'number',
        default: -0.8,
        range: { max: 0 },
        help: 'the second-moment decay is 1 - t^beta2Decay',
      },
      {
        key: 'epsilon1',
        kind: 'number',
        default: 1e-30,
        range: positive,
        help: 'added to g^2 so that the denominator is never 0',
      },
      {
        key: 'epsilon2',
        kind: 'number',
        default: 1e-3,
        range: nonNegative,
        help: 'the step is at least epsilon2 times the rate, whatever the weights’ RMS',
      },
      {
        key: 'clipThreshold',
        kind: 'number',
        default: 1,
        range: positive,
        help: 'clip the update to this RMS (part of Adafactor, not clipnorm)',
      },
      {
        key: 'relativeStep',
        kind: 'boolean',
        default: true,
        help: 'cap a constant rate at 1 / sqrt(t) (Keras applies the cap either way)',
      },
    ],
    reference: 'Shazeer & Stern 2018',
    formula:
      'v ≈ row mean × column mean of g² + eps1; u = g/√v clipped to RMS clipThreshold; w -= max(eps2, RMS(w)) min(lr, 1/√t) u',
    slotsPerParameter: 0,
    slots: 'rank ≥ 2: a row and a column per matrix (about 0 per weight); vectors: 1 (velocity)',
    whenToUse: 'large models short of memory: second moments in rows plus columns instead of a full matrix',
  },
] as const satisfies readonly CatalogEntry[];

/** A preset's Keras name: `'adam'`. */
export type OptimizerName = (typeof CATALOG)[number]['name'];
/** A preset's class name: `'Adam'`. */
export type PresetName = (typeof CATALOG)[number]['className'];
/** Every key of every preset's own options. */
export type CatalogOptionKey = (typeof CATALOG)[number]['options'][number]['key'];

/** Keras's names of the presets, in catalog order; matched case-insensitively, as Keras lower-cases them. */
export const OPTIMIZER_NAMES = CATALOG.map((e) => e.name) as readonly OptimizerName[] as readonly [
  OptimizerName,
  ...OptimizerName[],
];

/** The entry of a Keras name or a class name in any case ('ADAM', 'Adam', 'adam'), or undefined. */
export function catalogEntry(name: string): (typeof CATALOG)[number] | undefined {
  const lower = typeof name === 'string' ? name.toLowerCase() : '';
  return CATALOG.find((e) => e.name === lower);
}

/** Every option key in the catalog, each once, in order of first appearance. */
export const CATALOG_OPTION_KEYS: readonly CatalogOptionKey[] = [
  ...new Set(CATALOG.flatMap((e) => e.options.map((o) => o.key as CatalogOptionKey))),
];

/** The option `key` of the preset `name`; throws if the catalog has none (a programming error). */
export function optionOf(name: OptimizerName, key: string): CatalogOption {
  const option = (catalogEntry(name)?.options as readonly CatalogOption[] | undefined)?.find((o) => o.key === key);
  if (option === undefined) throw new Error(`catalog: ${name} has no option \`${key}\`.`);
  return option;
}
