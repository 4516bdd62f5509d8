import { IMAGE_SIZE } from '@opt/data-fashion-mnist';
import { describe, expect, it } from 'vitest';
import { splitData, validationCut } from './data.js';

/** 120 examples, label `i % 10`, every pixel of example i equal to i: an image names its example. */
function synthetic(count = 120) {
  const images = new Uint8Array(count * IMAGE_SIZE);
  for (let i = 0; i < count; i++) images.fill(i, i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return {
    train: { images, labels, count },
    test: { images: images.slice(0, IMAGE_SIZE), labels: labels.slice(0, 1), count: 1 },
  };
}

describe('validationCut', () => {
  it("cuts where Keras's train_validation_split does: floor(n (1 - v))", () => {
    // 60000 * (1 - 1/12) = 55000 and 60000 * 0.9 = 54000 exactly; 120 * 0.75 = 90.
    expect(validationCut(60000, 1 / 12)).toBe(55000);
    expect(validationCut(60000, 0.1)).toBe(54000);
    expect(validationCut(120, 0.25)).toBe(90);
  });

  it('refuses a fraction that leaves either side empty, naming the knob and the range', () => {
    // 1 - 1e-17 rounds to 1 in float64, so nothing is held out; 60000 * 0.00001 = 0.6 floors to 0 for training.
    expect(() => validationCut(60000, 1e-17)).toThrow(
      'validationSplit 1e-17 of 60000 training images holds out 0 for validation, leaving no validation set',
    );
    expect(() => validationCut(60000, 0.99999)).toThrow(
      'holds out 60000 for validation, leaving nothing to train on: use a fraction between 1/60000 and 59999/60000.',
    );
    expect(() => validationCut(60000, 1)).toThrow('validationSplit must be a number in (0, 1), got 1.');
  });
});

describe('splitData', () => {
  it('holds out the last fraction, then takes perClass of every class from the rest', () => {
    const data = splitData(synthetic(), { perClass: 3, validationSplit: 0.25, normalize: 'rescale', seed: 7 });
    expect(data.indices.validation).toEqual(Array.from({ length: 30 }, (_, i) => 90 + i));
    expect(data.indices.train).toHaveLength(30);
    expect(data.indices.train.every((i) => i < 90)).toBe(true);
    expect(new Set(data.indices.train).size).toBe(30);
    const counts = new Array(10).fill(0);
    for (const label of data.train.labels) counts[label]++;
    expect(counts).toEqual(new Array(10).fill(3));
    // Each copied image is the example its index names.
    expect(data.indices.train.map((_, row) => data.train.images[row * IMAGE_SIZE])).toEqual(data.indices.train);
    expect(data.validation.images[0]).toBe(90);
    expect(data.normalization).toEqual({ normalize: 'rescale' });
  });

  it('keeps all of the rest in dataset order without perClass, and standardizes with its statistics only', () => {
    const data = splitData(synthetic(), { perClass: null, validationSplit: 0.25, normalize: 'standardize', seed: 7 });
    expect(data.indices.train).toEqual(Array.from({ length: 90 }, (_, i) => i));
    // Pixels of the training examples are 0..89 (each 784 times): mean 44.5 / 255, population std sqrt((90^2 - 1) / 12) / 255.
    expect(data.statistics.mean[0]).toBeCloseTo(44.5 / 255, 10);
    expect(data.statistics.std[0]).toBeCloseTo(Math.sqrt((90 * 90 - 1) / 12) / 255, 6);
    expect(data.normalization.statistics).toBe(data.statistics);
  });
});
