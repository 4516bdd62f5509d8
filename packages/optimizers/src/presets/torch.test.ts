/**
 * RAdam, Rprop and ASGD against trajectories made by real PyTorch (torch.optim 1.13 in float64, fixtures/*.json,
 * written by scripts/torch-fixtures.py): the weights and every slot after each of 12 steps with fixed gradients.
 *
 * Tolerance: 1e-5 of the largest element of the tensor compared (weights: at least 1). Our run is float32, whose
 * unit roundoff is 6e-8; a step is about ten rounded operations per element and the fixed gradients keep errors
 * from feeding back into the path, so 12 steps stay near 1e-6 (the worst seen is printed by the last test). A
 * formula wrong by one factor (a missing bias correction, eps inside the root, a step size one step late) is off
 * by 1e-3 or more.
 */
import { readFileSync } from 'node:fs';
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASGD, type GradientTransformationOptimizer, RAdam, Rprop } from '../index.js';

beforeAll(() => useTestBackend());

interface Fixture {
  torch: string;
  shapes: number[][];
  initial: number[][];
  gradients: number[][][];
  cases: Array<{
    name: string;
    options: Record<string, unknown>;
    trajectory: Array<{ params: number[][]; state: Array<Record<string, number[]>> }>;
  }>;
}

const load = (file: string): Fixture =>
  JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')) as Fixture;

const TOLERANCE = 1e-5;
let worst = 0;

/** Largest |got - want| over the tensor's largest |want| (at least `floor`); throws past the tolerance. */
function compare(got: ArrayLike<number>, want: number[], floor: number, what: string): void {
  const scale = Math.max(floor, ...want.map(Math.abs));
  want.forEach((y, i) => {
    const error = Math.abs((got[i] as number) - y) / scale;
    worst = Math.max(worst, error);
    if (!(error <= TOLERANCE)) {
      throw new Error(`${what}[${i}]: got ${got[i]}, PyTorch ${y} (error ${error.toExponential(2)} of ${scale})`);
    }
  });
}

function replay(fixture: Fixture, make: (options: Record<string, unknown>) => GradientTransformationOptimizer): void {
  for (const c of fixture.cases) {
    const params = fixture.initial.map((values, k) => tf.variable(tf.tensor(values, fixture.shapes[k] as number[])));
    const opt = make(c.options);
    try {
      c.trajectory.forEach((want, step) => {
        const grads = (fixture.gradients[step] as number[][]).map((g, k) => tf.tensor(g, fixture.shapes[k]));
        opt.applyGradients(grads.map((g, k) => [g, params[k] as tf.Variable] as const));
        tf.dispose(grads);
        params.forEach((p, k) => {
          const where = `${c.name}, step ${step + 1}, parameter ${k}`;
          compare(p.dataSync(), want.params[k] as number[], 1, `${where}: weights`);
          for (const [slot, values] of Object.entries(want.state[k] as Record<string, number[]>)) {
            const mine = opt.slot(p, slot);
            expect(mine, `${where}: slot ${slot}`).not.toBeNull();
            compare((mine as tf.Variable).dataSync(), values, 1e-12, `${where}: ${slot}`);
          }
        });
      });
    } finally {
      opt.dispose();
      tf.dispose(params);
    }
  }
}

describe('PyTorch 1.13 trajectories (float64) against our float32 run', () => {
  it('RAdam: defaults, other betas, weight decay (coupled, in the gradient), a large eps; both sides of rho_t = 5', () => {
    const fixture = load('radam.json');
    expect(fixture.cases).toHaveLength(4);
    replay(fixture, (o) => new RAdam(o));
  });

  it('Rprop: defaults; other etas and step sizes, both clamps reached; sign flips and a zero gradient', () => {
    replay(load('rprop.json'), (o) => new Rprop(o as never));
  });

  it('ASGD: defaults (ax is the weights); averaging from step t0 + 2 with weight decay', () => {
    replay(load('asgd.json'), (o) => new ASGD(o));
  });

  afterAll(() => {
    console.log(`PyTorch fixtures: worst error ${worst.toExponential(2)} of the tensor's scale (bar ${TOLERANCE})`);
  });
});
