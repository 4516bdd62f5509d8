/** The ravine's learning-rate presets as surfaces.ts has them, without its tensors, for the racers' data tests. */
import type { LearningRates, SurfaceId } from './surfaces.js';

const rates = (sgd: number, momentum: number, adaptive: number): LearningRates => ({
  sgd,
  momentum,
  nesterov: momentum,
  rmsprop: adaptive,
  adam: adaptive,
});

/** The ravine's rate presets (no tensors). */
export const ravine = {
  learningRates: { tuned: rates(0.4, 0.1, 0.3), tooHigh: rates(0.55, 1, 3), tooLow: rates(0.008, 0.002, 0.006) },
};

/** Every surface standing in with the ravine's presets. */
export const surfaces = Object.fromEntries(
  (['bowl', 'ravine', 'saddle', 'plateau', 'rosenbrock'] as const).map((id) => [id, ravine]),
) as Record<SurfaceId, typeof ravine>;
