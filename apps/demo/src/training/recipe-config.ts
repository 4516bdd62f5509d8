/**
 * The demo's knobs as the recipe reads them (@opt/recipe): the one config `opt train` also becomes, so the same
 * knobs train the same run here and in the CLI. No DOM here: the training worker and Node tests use it.
 */
import type { OptimizerName as CatalogName } from '@opt/optimizers/catalog';
import type { RecipeConfig } from '@opt/recipe';
import { scheduleSpecOf } from '../schedule-choice.js';
import { type OptimizerName, type TrainingSettings, VALIDATION_SPLIT } from './protocol.js';

/** The chapter's hidden layers (the CLI's default `--hidden 256,128`). */
export const HIDDEN_UNITS = [256, 128] as const;

const CATALOG_NAMES: Readonly<Record<OptimizerName, CatalogName>> = { SGD: 'sgd', RMSprop: 'rmsprop', Adam: 'adam' };

/** Each preset's own knobs of the demo, by their Keras names. */
function optimizerOptions(s: TrainingSettings): Record<string, unknown> {
  switch (s.optimizer) {
    case 'SGD':
      return { momentum: s.momentum, nesterov: s.nesterov };
    case 'RMSprop':
      return { rho: s.rho, momentum: s.momentum, epsilon: s.epsilon };
    case 'Adam':
      return { beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon };
  }
}

/** The run's config for @opt/recipe: the validation split is fixed at the CLI's default, the rest are the knobs. */
export function recipeConfigOf(s: TrainingSettings): RecipeConfig {
  return {
    perClass: s.perClass,
    validationSplit: VALIDATION_SPLIT,
    normalize: s.normalize,
    seed: s.seed,
    hidden: HIDDEN_UNITS,
    batchNorm: s.batchNorm,
    optimizer: CATALOG_NAMES[s.optimizer],
    optimizerOptions: optimizerOptions(s),
    learningRate: s.learningRate,
    schedule: scheduleSpecOf(s.schedule),
    batchSize: s.batchSize,
    epochs: s.epochs,
  };
}
