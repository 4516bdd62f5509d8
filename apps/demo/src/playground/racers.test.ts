/** The racers' data: which are the chapter's five, their rates per surface, names, and what a vector gets. */
import { CATALOG } from '@opt/optimizers/catalog';
import { describe, expect, it } from 'vitest';
import {
  CLASSICS,
  classicOf,
  defaultRacers,
  entryOf,
  learningRateFor,
  MAX_RACERS,
  nextOptimizer,
  onAVector,
  RACER_COLORS,
  racerNames,
} from './racers.js';
import { ravine } from './racers.test.helpers.js';

describe('racers', () => {
  it("the chapter's five are recognized from their knobs, whatever else is set", () => {
    expect(CLASSICS.map((c) => classicOf(c))).toEqual(['sgd', 'momentum', 'nesterov', 'rmsprop', 'adam']);
    expect(classicOf({ optimizer: 'sgd', options: { momentum: 0, nesterov: true } })).toBe('sgd');
    expect(classicOf({ optimizer: 'adam', options: { amsgrad: true } })).toBe('adam');
    expect(classicOf({ optimizer: 'lion', options: {} })).toBeNull();
    expect(classicOf({ optimizer: 'adamw', options: {} })).toBeNull();
  });

  it("a classic keeps its surface preset; any other preset gets its catalog rate times Adam's scale there", () => {
    expect(learningRateFor({ optimizer: 'sgd', options: { momentum: 0.5 } }, ravine)).toBe(0.1);
    expect(learningRateFor({ optimizer: 'sgd', options: {} }, ravine, 'tooHigh')).toBe(0.55);
    // Lion's Keras default 0.001 x (0.3 / 0.001); Rprop's PyTorch default 0.01 x 300; too high: x (3 / 0.001).
    expect(learningRateFor({ optimizer: 'lion', options: {} }, ravine)).toBe(0.3);
    expect(learningRateFor({ optimizer: 'rprop', options: {} }, ravine)).toBe(3);
    expect(learningRateFor({ optimizer: 'lion', options: {} }, ravine, 'tooHigh')).toBe(3);
    expect(learningRateFor({ optimizer: 'prodigy', options: {} }, ravine, 'tooLow')).toBe(6);
    expect(defaultRacers(ravine).map((r) => r.learningRate)).toEqual([0.4, 0.1, 0.1, 0.3, 0.3]);
  });

  it('ids and labels: the classics by name, other presets by class, repeats numbered; one colour per slot', () => {
    const line = [...defaultRacers(ravine), { optimizer: 'lion', options: {}, learningRate: 1 } as const];
    expect(racerNames(line).map((n) => n.id)).toEqual(['sgd', 'momentum', 'nesterov', 'rmsprop', 'adam', 'lion']);
    expect(racerNames(line)[1]?.label).toBe('SGD + momentum');
    expect(racerNames([line[5], line[5], line[0]] as typeof line)).toEqual([
      { id: 'lion', label: 'Lion' },
      { id: 'lion-2', label: 'Lion (2)' },
      { id: 'sgd', label: 'SGD' },
    ]);
    expect(new Set(RACER_COLORS).size).toBe(MAX_RACERS);
    expect(nextOptimizer(defaultRacers(ravine))).toBe('adamw');
  });

  it("what the catalog says of a vector: Muon's AdamW fallback and Adafactor's unfactored velocity, nothing for the rest", () => {
    expect(onAVector(entryOf('muon'))).toBe(
      "Muon treats matrices apart: the race's point is one vector of 2 weights, so it takes the catalog's " +
        '"others: AdamW at lr adamLrRatio", not "2-D: m = μ m + g".',
    );
    expect(onAVector(entryOf('adafactor'))).toMatch(/takes the catalog's "vectors: 1 \(velocity\)", not "rank ≥ 2: /);
    const noted = CATALOG.filter((e) => onAVector(e) !== null).map((e) => e.name);
    expect(noted).toEqual(['adafactor', 'muon']);
  });
});
