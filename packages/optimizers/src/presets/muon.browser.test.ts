/**
 * Muon, gradient accumulation and the Lookahead class on WebGL (SwiftShader in headless Chromium): the same steps as on
 * cpu (whose arithmetic muon.test.ts, base-steps.test.ts and lookahead.test.ts check against Keras and optax), with
 * the guard's verdict on the device, a bad step in the middle that must write nothing, and Muon's empty slots.
 */
import { tf, useBackend } from '@opt/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { Adam, type GradientTransformationOptimizer, Lookahead, Muon } from '../index.js';

const shapes = [[16, 8], [8], [3, 5, 2]];
const PRESETS: Array<[string, () => GradientTransformationOptimizer, number]> = [
  ['Muon', () => new Muon({ learningRate: 0.01, weightDecay: 0.1, nonFiniteGradients: 'skip' }), 1e-4],
  [
    'Adam, gradientAccumulationSteps 3',
    () => new Adam({ gradientAccumulationSteps: 3, nonFiniteGradients: 'skip' }),
    1e-5,
  ],
  ['Lookahead(Adam)', () => new Lookahead(new Adam({ nonFiniteGradients: 'skip' }), { syncPeriod: 3 }), 1e-5],
];

/** Weights and slots, read back. */
function snapshot(opt: GradientTransformationOptimizer, vars: tf.Variable[]): Float32Array[] {
  return [
    ...vars.map((v) => v.dataSync() as Float32Array),
    ...vars.flatMap((v) => opt.transform.slotNames.map((s) => opt.slot(v, s)?.dataSync() as Float32Array)),
  ];
}

/** 8 steps (RAdam rectified, ASGD averaging), the fourth with infinite gradients; weights and slots at the end. */
async function run(backend: 'cpu' | 'webgl', make: () => GradientTransformationOptimizer): Promise<Float32Array[]> {
  await useBackend(backend);
  const vars = shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 0.5, 'float32', 7 + i)));
  const opt = make();
  for (let step = 0; step < 8; step++) {
    const grads = shapes.map((s, i) =>
      tf.tidy(() =>
        tf.mul(tf.randomNormal(s, 0, 1, 'float32', 1 + 100 * step + i), step === 3 && i === 1 ? Infinity : 1),
      ),
    );
    const before = step === 3 ? snapshot(opt, vars) : null;
    opt.applyGradients(grads.map((g, i) => [g, vars[i] as tf.Variable] as const));
    tf.dispose(grads);
    if (before !== null) expect(snapshot(opt, vars)).toEqual(before); // the bad step wrote nothing
  }
  expect(await opt.nonFiniteReport()).toMatchObject({ skippedSteps: 1, lastBadStep: 3 });
  const out = snapshot(opt, vars);
  opt.dispose();
  tf.dispose(vars);
  return out;
}

describe('Muon, accumulation and Lookahead on WebGL', () => {
  afterAll(() => useBackend('cpu'));

  for (const [name, make, tolerance] of PRESETS) {
    it(`${name}: the cpu backend's steps, the bad step writing nothing`, async () => {
      const cpu = await run('cpu', make);
      const webgl = await run('webgl', make);
      webgl.forEach((values, i) => {
        const expected = cpu[i] as Float32Array;
        let worst = 0;
        for (let j = 0; j < values.length; j++) {
          const scale = Math.max(1e-3, Math.abs(expected[j] as number));
          worst = Math.max(worst, Math.abs((values[j] as number) - (expected[j] as number)) / scale);
        }
        expect(worst, `${name}, tensor ${i}`).toBeLessThan(tolerance);
      });
    });
  }
});
