import { describe, expect, it } from 'vitest';
import { opt } from './testing/fixtures/opt.js';

// A quick run on the real dataset: 30 images per class, of which 1/12 are held out for validation.
const quick = ['train', '--backend', 'wasm', '--per-class', '30', '--epochs', '3', '--batch-size', '16', '--json'];

describe('opt train (a real process on the real dataset)', () => {
  it('trains, validates and tests, printing the history as JSON', async () => {
    const { code, stdout, stderr } = await opt(...quick);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.backend).toBe('wasm');
    expect(result.trainCount).toBe(275);
    expect(result.validationCount).toBe(25);
    expect(result.stepsPerEpoch).toBe(Math.ceil(275 / 16));
    expect(result.optimizer.className).toBe('Adam');
    expect(result.history.loss).toHaveLength(3);
    expect(result.history.val_accuracy).toHaveLength(3);
    // Three epochs of Adam on standardized inputs: the loss falls and the test set is far above chance (0.1).
    expect(result.history.loss[2]).toBeLessThan(result.history.loss[0]);
    expect(result.test.accuracy).toBeGreaterThan(0.45);
    expect(result.test.accuracy).toBeLessThanOrEqual(1);
  }, 60_000);

  it('gives the same run for the same seed, and another for another seed', async () => {
    const [a, b, c] = await Promise.all([opt(...quick), opt(...quick), opt(...quick, '--seed', '7')]);
    const [ha, hb, hc] = [a, b, c].map((r) => JSON.parse(r.stdout).history);
    expect(ha).toEqual(hb);
    expect(hc.loss).not.toEqual(ha.loss);
  }, 90_000);

  // 110 training images in one batch: batch gradient descent, one step per epoch.
  it('prints readable epochs and applies the chapter decay lr0 / (1 + r * epoch) per epoch', async () => {
    const { code, stdout } = await opt(
      'train',
      '--backend',
      'wasm',
      '--per-class',
      '12',
      '--epochs',
      '3',
      '--optimizer',
      'sgd',
      '--momentum',
      '0.9',
      '--learning-rate',
      '0.1',
      '--decay-rate',
      '1',
      '--batch-size',
      '110',
    );
    expect(code).toBe(0);
    expect(stdout).toContain('backend: wasm');
    expect(stdout).toMatch(
      /sgd\(.*momentum: 0\.9.*InverseTimeDecay\(initialLearningRate: 0\.1, decaySteps: 1, decayRate: 1/,
    );
    const rates = [...stdout.matchAll(/^epoch \d\/3: .* lr (\S+) /gm)].map((m) => Number(m[1]));
    expect(rates).toEqual([0.1, 0.05, 0.1 / 3].map((r) => Number(r.toPrecision(4))));
    expect(stdout).toMatch(/^test: loss \d+\.\d{4} accuracy \d\.\d{4}$/m);
  }, 60_000);

  it('rejects a learning rate that is not positive, naming the option and the value', async () => {
    const { code, stderr } = await opt('train', '--learning-rate', '-1');
    expect(code).not.toBe(0);
    expect(stderr).toContain('--learning-rate must be a positive number, got "-1"');
  });

  it("passes the optimizer's own range check through: momentum 1.5 for sgd", async () => {
    const { code, stderr } = await opt('train', '--backend', 'wasm', '--optimizer', 'sgd', '--momentum', '1.5');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^opt train: .*momentum.*1\.5/m);
    expect(stderr).not.toContain('    at ');
  });

  it('refuses knobs the chosen optimizer does not have, before reading the data', async () => {
    const { code, stdout, stderr } = await opt(
      'train',
      '--backend',
      'wasm',
      '--optimizer',
      'adam',
      '--momentum',
      '0.9',
    );
    expect(code).toBe(2);
    expect(stderr).toContain('--momentum applies to sgd and rmsprop, not adam');
    expect(stdout).not.toContain('data:'); // refused before the dataset is read
  });

  it('refuses a batch larger than the training set, saying how large it is', async () => {
    const { code, stderr } = await opt('train', '--backend', 'wasm', '--per-class', '10', '--batch-size', '1000');
    expect(code).toBe(2);
    expect(stderr).toContain('--batch-size 1000 is larger than the 92 training images');
  });

  it('refuses a subset larger than the smallest class, saying how large that is', async () => {
    const { code, stderr } = await opt('train', '--backend', 'wasm', '--per-class', '6001');
    expect(code).toBe(2);
    expect(stderr).toContain('--per-class 6001: balancedSubset: perClass must be an integer in [1, 6000]');
  });

  it('lists the optimizers when one is unknown', async () => {
    const { code, stderr } = await opt('train', '--optimizer', 'adamm');
    expect(code).not.toBe(0);
    expect(stderr).toContain('Allowed choices are sgd, rmsprop, adam, adamw, adagrad, adamax, nadam');
  });
});
