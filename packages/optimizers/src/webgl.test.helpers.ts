/**
 * What the browser tests that run an optimizer on cpu and on WebGL share: the run with a bad step in the middle, and
 * the comparison of WebGL's tensors with cpu's.
 */
import { tf, useBackend } from '@opt/tensor';
import { expect } from 'vitest';
import type { GradientTransformationOptimizer } from './optimizer.js';

/** Largest `|value - expected| / max(1e-3, |expected|)`: relative, with an absolute floor near zero. */
export function worstRelativeError(values: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let j = 0; j < values.length; j++) {
    const scale = Math.max(1e-3, Math.abs(expected[j] as number));
    worst = Math.max(worst, Math.abs((values[j] as number) - (expected[j] as number)) / scale);
  }
  return worst;
}

/** Each of WebGL's tensors within `tolerance` ({@link worstRelativeError}) of the cpu backend's. */
export function expectCloseToCpu(webgl: Float32Array[], cpu: Float32Array[], tolerance: number, name = ''): void {
  expect(webgl.length).toBe(cpu.length);
  webgl.forEach((values, i) => {
    expect(worstRelativeError(values, cpu[i] as Float32Array), `${name}, tensor ${i}`).toBeLessThan(tolerance);
  });
}

const SHAPES = [[16, 8], [8], [3, 5, 2]];

/** Weights and slots, read back. */
function snapshot(opt: GradientTransformationOptimizer, vars: tf.Variable[]): Float32Array[] {
  return [
    ...vars.map((v) => v.dataSync() as Float32Array),
    ...vars.flatMap((v) => opt.transform.slotNames.map((s) => opt.slot(v, s)?.dataSync() as Float32Array)),
  ];
}

/**
 * 8 steps of `make()` (made with `nonFiniteGradients: 'skip'`) on `backend` from seeded weights and gradients, the
 * fourth with an infinite gradient, which must write nothing; the weights and slots at the end.
 */
export async function stepsWithBadStep(
  backend: 'cpu' | 'webgl',
  make: () => GradientTransformationOptimizer,
): Promise<Float32Array[]> {
  await useBackend(backend);
  const vars = SHAPES.map((s, i) => tf.variable(tf.randomNormal(s, 0, 0.5, 'float32', 7 + i)));
  const opt = make();
  for (let step = 0; step < 8; step++) {
    const grads = SHAPES.map((s, i) =>
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

/** {@link stepsWithBadStep} on cpu, then on WebGL: WebGL's weights and slots within `tolerance` of cpu's. */
export async function expectWebglStepsOfCpu(
  name: string,
  make: () => GradientTransformationOptimizer,
  tolerance: number,
): Promise<void> {
  const cpu = await stepsWithBadStep('cpu', make);
  const webgl = await stepsWithBadStep('webgl', make);
  expectCloseToCpu(webgl, cpu, tolerance, name);
}
