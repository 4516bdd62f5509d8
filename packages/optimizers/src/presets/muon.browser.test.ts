/**
 * Muon, gradient accumulation and the Lookahead class on WebGL (SwiftShader in headless Chromium): the same steps as on
 * cpu (whose arithmetic muon.test.ts, base-steps.test.ts and lookahead.test.ts check against Keras and optax), with
 * the guard's verdict on the device, a bad step in the middle that must write nothing, and Muon's empty slots.
 */
import { useBackend } from '@opt/tensor';
import { afterAll, describe, it } from 'vitest';
import { Adam, type GradientTransformationOptimizer, Lookahead, Muon } from '../index.js';
import { expectWebglStepsOfCpu } from '../webgl.test.helpers.js';

const PRESETS: Array<[string, () => GradientTransformationOptimizer, number]> = [
  ['Muon', () => new Muon({ learningRate: 0.01, weightDecay: 0.1, nonFiniteGradients: 'skip' }), 1e-4],
  [
    'Adam, gradientAccumulationSteps 3',
    () => new Adam({ gradientAccumulationSteps: 3, nonFiniteGradients: 'skip' }),
    1e-5,
  ],
  ['Lookahead(Adam)', () => new Lookahead(new Adam({ nonFiniteGradients: 'skip' }), { syncPeriod: 3 }), 1e-5],
];

describe('Muon, accumulation and Lookahead on WebGL', () => {
  afterAll(() => useBackend('cpu'));

  for (const [name, make, tolerance] of PRESETS) {
    it(`${name}: the cpu backend's steps, the bad step writing nothing`, async () => {
      await expectWebglStepsOfCpu(name, make, tolerance);
    });
  }
});
