/**
 * PyTorch's and optax's presets on WebGL (SwiftShader in headless Chromium): the same steps as on cpu (whose
 * arithmetic torch.test.ts and optax.test.ts check against the references), with the guard's verdict on the device
 * and a bad step in the middle that must write nothing (`'skip'`: training goes on after it).
 */
import { useBackend } from '@opt/tensor';
import { afterAll, describe, it } from 'vitest';
import {
  AdaBelief,
  ASGD,
  type GradientTransformationOptimizer,
  Prodigy,
  RAdam,
  Rprop,
  ScheduleFreeAdamW,
  ScheduleFreeSGD,
  Yogi,
} from '../index.js';
import { expectWebglStepsOfCpu } from '../webgl.test.helpers.js';

const PRESETS: Array<[string, () => GradientTransformationOptimizer]> = [
  ['RAdam', () => new RAdam({ learningRate: 0.01, weightDecay: 0.1, nonFiniteGradients: 'skip' })],
  ['Rprop', () => new Rprop({ nonFiniteGradients: 'skip' })],
  ['ASGD', () => new ASGD({ t0: 1, weightDecay: 0.1, nonFiniteGradients: 'skip' })],
  ['Yogi', () => new Yogi({ nonFiniteGradients: 'skip' })],
  ['AdaBelief', () => new AdaBelief({ learningRate: 0.01, nonFiniteGradients: 'skip' })],
  ['ScheduleFreeAdamW', () => new ScheduleFreeAdamW({ warmupSteps: 3, weightDecay: 0.1, nonFiniteGradients: 'skip' })],
  ['ScheduleFreeSGD', () => new ScheduleFreeSGD({ learningRate: 0.1, nonFiniteGradients: 'skip' })],
  ['Prodigy', () => new Prodigy({ weightDecay: 0.1, nonFiniteGradients: 'skip' })],
];

describe('PyTorch and optax presets on WebGL', () => {
  afterAll(() => useBackend('cpu'));

  for (const [name, make] of PRESETS) {
    it(`${name}: the cpu backend's steps, the bad step writing nothing`, async () => {
      await expectWebglStepsOfCpu(name, make, 1e-5);
    });
  }
});
