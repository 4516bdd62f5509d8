/** The surfaces against closed forms, and the race's claims on the cpu backend (the page runs them on WebGL). */
import { CATALOG, type OptimizerName } from '@opt/optimizers/catalog';
import { tf, useBackend } from '@opt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { Race, type RaceSettings } from './race.js';
import { CLASSICS, MAX_RACERS, newRacer, type RacerSpec } from './racers.js';
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

/** The chapter's five with the surface's preset rates (today's default line-up, written out here). */
function settings(surface: Surface, preset: 'tuned' | 'tooHigh', racers?: RacerSpec[]): RaceSettings {
  return {
    surface,
    start: surface.start,
    racers:
      racers ??
      CLASSICS.map((c) => ({
        optimizer: c.optimizer,
        options: c.options,
        learningRate: surface.learningRates[preset][c.id],
      })),
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

  it('Lion picked for a racer follows w -= lr sign(g) on its first step (m = 0): ravine from (-7, 2), lr 0.3', async () => {
    const lion = { optimizer: 'lion', options: {}, learningRate: 0.3 } as const;
    const race = await runRace(settings(surfaces.ravine, 'tuned', [lion]), 1);
    // gradient (-0.28, 8): signs (-1, +1), so the point moves by (+0.3, -0.3) whatever the gradient's size.
    expect(race.runners[0]?.id).toBe('lion');
    expect(race.runners[0]?.path[1]?.[0]).toBeCloseTo(-6.7, 5);
    expect(race.runners[0]?.path[1]?.[1]).toBeCloseTo(1.7, 5);
    race.dispose();
  });

  it("every preset of the catalog races on the 2D point with its surface's rate (or is stopped, diverged), and frees its tensors", async () => {
    const before = tf.memory().numTensors;
    const racers = CATALOG.map((e) => newRacer(e.name as OptimizerName, surfaces.saddle));
    for (let k = 0; k < racers.length; k += MAX_RACERS) {
      const race = await runRace(settings(surfaces.saddle, 'tuned', racers.slice(k, k + MAX_RACERS)), 3);
      for (const r of race.runners) {
        // Its first step moves it; after that it runs on, or stops with the step where its loss blew up.
        expect(r.path[1]?.every(Number.isFinite), r.id).toBe(true);
        expect(r.path[1], r.id).not.toEqual(r.path[0]);
        if (r.status === 'running') expect(r.path.length, r.id).toBe(4);
        else expect(r.reason, r.id).toMatch(/^the loss reached .* at step [123]$/);
      }
      race.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a bad knob is refused with the optimizer's own message, before any tensor is made", () => {
    const before = tf.memory().numTensors;
    const adam = { optimizer: 'adam', options: { beta1: 1 }, learningRate: 0.1 } as const;
    expect(() => new Race(settings(surfaces.bowl, 'tuned', [adam]))).toThrow(
      /^Racer 1: \w+: `beta1` must be in \[0, 1\), got 1\./,
    );
    const lion = { optimizer: 'lion', options: { beta1: 0 }, learningRate: 0.1 } as const;
    const sgd = { optimizer: 'sgd', options: {}, learningRate: 0.1 } as const;
    expect(() => new Race(settings(surfaces.bowl, 'tuned', [sgd, lion]))).toThrow(
      /^Racer 2: \w+: `beta1` must be a number in \(0, 1\], got 0\./,
    );
    const rprop = { optimizer: 'rprop', options: { stepSizes: [1, 0.5] }, learningRate: 0.1 } as const;
    expect(() => new Race(settings(surfaces.bowl, 'tuned', [rprop]))).toThrow(/^Racer 1: \w+: `stepSizes`/);
    expect(() => new Race(settings(surfaces.bowl, 'tuned', []))).toThrow(/1 to 6 racers, got 0/);
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
