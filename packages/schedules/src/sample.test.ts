import { describe, expect, it } from 'vitest';
import { cosineDecay, piecewiseConstantDecay, sampleSchedule } from './index.js';

describe('sampleSchedule', () => {
  const schedule = cosineDecay({ initialLearningRate: 0.1, decaySteps: 1000 });

  it('samples every step when there are fewer steps than points', () => {
    const points = sampleSchedule(schedule, { steps: 10 });
    expect(points.map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const p of points) expect(p.learningRate).toBe(schedule(p.step));
  });

  it('spreads `points` integer steps evenly, first and last included', () => {
    const points = sampleSchedule(schedule, { steps: 1000, points: 5 });
    expect(points).toEqual([
      { step: 0, learningRate: 0.1 },
      { step: 250, learningRate: schedule(250) },
      { step: 500, learningRate: schedule(500) },
      { step: 750, learningRate: schedule(750) },
      { step: 1000, learningRate: schedule(1000) },
    ]);
    expect(points[2]?.learningRate).toBeCloseTo(0.05, 12);
    expect(sampleSchedule(schedule, { steps: 7, points: 3 }).map((p) => p.step)).toEqual([0, 4, 7]);
    expect(sampleSchedule(schedule, { steps: 100_000 })).toHaveLength(200);
  });

  it('takes any function of the step', () => {
    expect(sampleSchedule((s) => s * 2, { steps: 2 })).toEqual([
      { step: 0, learningRate: 0 },
      { step: 1, learningRate: 2 },
      { step: 2, learningRate: 4 },
    ]);
    const piecewise = piecewiseConstantDecay({ boundaries: [1], values: [1, 0.5] });
    expect(sampleSchedule(piecewise, { steps: 2 }).map((p) => p.learningRate)).toEqual([1, 1, 0.5]);
  });

  it('validates its arguments', () => {
    expect(() => sampleSchedule(schedule, { steps: -1 })).toThrow(
      /^sampleSchedule: `steps` must be an integer >= 0, got -1/,
    );
    expect(() => sampleSchedule(schedule, { steps: 1.5 })).toThrow(/`steps` must be an integer >= 0, got 1\.5/);
    expect(() => sampleSchedule(schedule, { steps: 10, points: 1 })).toThrow(
      /`points` must be an integer >= 2 .*got 1/,
    );
    expect(() => sampleSchedule(schedule, { steps: 10, points: 2.5 })).toThrow(
      /`points` must be an integer >= 2 .*got 2\.5/,
    );
    expect(() => sampleSchedule(3 as never, { steps: 10 })).toThrow(/`schedule` must be a function of the step, got 3/);
  });
});
