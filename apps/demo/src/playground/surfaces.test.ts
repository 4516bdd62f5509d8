/** The surfaces against closed forms, and the race's claims on the cpu backend (the page runs them on WebGL). */
import { tf, useBackend } from '@opt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { Race, type RaceSettings } from './race.js';
import { makeSurfaces, SURFACE_IDS, type Surface } from './surfaces.js';

beforeAll(async () => {
  tf.enableProdMode();
  await useBackend('cpu');
});

const surfaces = makeSurfaces();

/** Central differences of the surface's loss at (x, y), in float64 around float32 evaluations. */
function finiteDifference(surface: Surface, x: number, y: number): [number, number] {
  const f = (a: number, b: number) => tf.tidy(() => surface.loss(tf.scalar(a), tf.scalar(b)).dataSync()[0] as number);
  const h = 1e-2;
  return [(f(x + h, y) - f(x - h, y)) / (2 * h), (f(x, y + h) - f(x, y - h)) / (2 * h)];
}

describe('loss surfaces', () => {
  it.each(SURFACE_IDS)('%s: tf.grad agrees with finite differences', (id) => {
    const surface = surfaces[id];
    for (const [x, y] of [surface.start, [0.3, -0.4], [-0.7, 0.6]] as const) {
      const [gx, gy] = tf.tidy(() =>
        tf
          .grads((a: tf.Tensor, b: tf.Tensor) => surface.loss(a, b))([tf.scalar(x), tf.scalar(y)])
          .map((g) => g.dataSync()[0] as number),
      );
      const [fx, fy] = finiteDifference(surface, x, y);
      const scale = Math.max(1, Math.abs(fx), Math.abs(fy));
      expect(Math.abs((gx as number) - fx) / scale, `${id} d/dx at ${x}, ${y}`).toBeLessThan(2e-3);
      expect(Math.abs((gy as number) - fy) / scale, `${id} d/dy at ${x}, ${y}`).toBeLessThan(2e-3);
    }
  });

  it('closed forms: Rosenbrock (1 - x)^2 + 100 (y - x^2)^2 and the saddle 0.5 x^2 + 0.25 y^4 - 0.5 y^2', () => {
    const at = (s: Surface, x: number, y: number) =>
      tf.tidy(() => s.loss(tf.scalar(x), tf.scalar(y)).dataSync()[0] as number);
    expect(at(surfaces.rosenbrock, -1.2, 1)).toBeCloseTo(2.2 ** 2 + 100 * (1 - 1.44) ** 2, 3);
    expect(at(surfaces.rosenbrock, 1, 1)).toBe(0);
    expect(at(surfaces.saddle, 0, 1)).toBeCloseTo(-0.25, 6);
    expect(at(surfaces.saddle, 0, 0)).toBe(0);
  });

  it('the bowl is the mean of its examples: its minimum is their mean, where the gradient vanishes', () => {
    const [mx, my] = surfaces.bowl.minima()[0] as readonly [number, number];
    const g = tf.tidy(() =>
      tf
        .grads((a: tf.Tensor, b: tf.Tensor) => surfaces.bowl.loss(a, b))([tf.scalar(mx), tf.scalar(my)])
        .map((t) => t.dataSync()[0] as number),
    );
    expect(Math.abs(g[0] as number)).toBeLessThan(1e-5);
    expect(Math.abs(g[1] as number)).toBeLessThan(1e-5);
  });
});

function settings(surface: Surface, preset: 'tuned' | 'tooHigh'): RaceSettings {
  return {
    surface,
    start: surface.start,
    learningRates: surface.learningRates[preset],
    momentum: 0.9,
    rho: 0.9,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
    schedule: { kind: 'constant', decaySteps: 50, decayRate: 0.5, alpha: 0 },
    batchSize: 8,
  };
}

async function runRace(s: RaceSettings, steps: number): Promise<Race> {
  const race = new Race(s);
  for (let i = 0; i < steps; i++) await race.advance();
  return race;
}

describe('the race (cpu backend)', () => {
  it('ravine: after 100 steps momentum is much closer to the minimum than SGD', async () => {
    const race = await runRace(settings(surfaces.ravine, 'tuned'), 100);
    const d = Object.fromEntries(race.runners.map((r) => [r.id, race.distanceToMinimum(r)]));
    expect(d.momentum).toBeLessThan((d.sgd as number) / 5);
    race.dispose();
  });

  it('SGD follows w -= lr g exactly: one step on the ravine from (-7, 2)', async () => {
    const race = await runRace(settings(surfaces.ravine, 'tuned'), 1);
    const sgd = race.runners.find((r) => r.id === 'sgd');
    // gradient of 0.02 x^2 + 2 y^2 at (-7, 2) is (-0.28, 8); lr 0.4
    expect(sgd?.path[1]?.[0]).toBeCloseTo(-7 + 0.4 * 0.28, 5);
    expect(sgd?.path[1]?.[1]).toBeCloseTo(2 - 0.4 * 8, 5);
    race.dispose();
  });

  it("a bad knob is refused with the optimizer's own message, before any tensor is made", () => {
    const before = tf.memory().numTensors;
    expect(() => new Race({ ...settings(surfaces.bowl, 'tuned'), beta1: 1 })).toThrow(/beta1/);
    expect(() => new Race({ ...settings(surfaces.bowl, 'tuned'), batchSize: 0 })).toThrow(/Mini-batch size/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('too high a learning rate: the SGD family diverges on the bowl, and a race frees its tensors', async () => {
    const before = tf.memory().numTensors;
    const race = await runRace(settings(surfaces.bowl, 'tooHigh'), 100);
    const status = Object.fromEntries(race.runners.map((r) => [r.id, r.status]));
    expect(status.sgd).toBe('diverged');
    expect(status.momentum).toBe('diverged');
    race.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
