/**
 * @opt/recipe (private to this workspace): one config of knobs becomes a run's data split, model, optimizer and
 * schedule, for the CLI and the demo alike, so that the same knobs train the same experiment in both. Browser-safe:
 * it imports only the packages' platform-neutral entries.
 */
export type {
  DataConfig,
  DecaySteps,
  ModelConfig,
  OptimizerConfig,
  RecipeConfig,
  ScheduleSpec,
} from './config.js';
export {
  type DatasetSplits,
  type RunData,
  resolveBatchSize,
  splitData,
  trainingBatches,
  validationCut,
} from './data.js';
export { buildModel, buildOptimizer, buildSchedule, type RunOptimizer, type RunSteps } from './model.js';
export { buildRecipe, type Recipe } from './recipe.js';
