import { CATALOG, PRESETS } from '@opt/optimizers';
import { BACKEND_NAMES } from '@opt/tensor';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../cli/errors.js';
import { BACKEND_CHOICES, KNOBS, OPTIMIZER_DEFAULTS, OPTIMIZER_NAMES } from './knobs.js';
import {
  configDiff,
  configId,
  inputFromFlags,
  inputFromObject,
  knobsDiffering,
  resolveConfig,
  suggestKnob,
} from './resolve.js';

const flags = (given: Record<string, unknown>) => resolveConfig(inputFromFlags(given));
const usage = (fn: () => unknown): UsageError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
};

describe('the knob table', () => {
  it("holds Keras's defaults for every preset: the presets' own getConfig is the oracle", () => {
    expect([...OPTIMIZER_NAMES]).toEqual(CATALOG.map((e) => e.name));
    for (const name of OPTIMIZER_NAMES) {
      const className = CATALOG.find((e) => e.name === name)?.className as keyof typeof PRESETS;
      const optimizer = new PRESETS[className]();
      const config = optimizer.getConfig().config;
      for (const [key, value] of Object.entries(OPTIMIZER_DEFAULTS[name])) {
        const option = key === 'asgdAlpha' ? 'alpha' : key; // the knob's name beside the cosine schedule's alpha
        expect([name, key, config[option]]).toEqual([name, key, value]);
      }
      optimizer.dispose();
    }
  });

  it('lists the backends @opt/tensor knows, plus auto', () => {
    expect([...BACKEND_CHOICES]).toEqual([...BACKEND_NAMES, 'auto']);
  });

  it('gives every knob a distinct flag and key', () => {
    expect(new Set(KNOBS.map((k) => k.flag)).size).toBe(KNOBS.length);
    expect(new Set(KNOBS.map((k) => k.key)).size).toBe(KNOBS.length);
  });
});

describe('resolveConfig', () => {
  it("fills the chapter's defaults: Adam 0.001, batches of 128, 5 epochs, 256-128, standardized, seed 42", () => {
    const { config, warnings } = resolveConfig();
    expect(config).toMatchObject({
      optimizer: 'adam',
      learningRate: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      amsgrad: false,
      momentum: null,
      schedule: 'constant',
      decayRate: null,
      batchSize: 128,
      epochs: 5,
      hidden: [256, 128],
      normalize: 'standardize',
      seed: 42,
      validationSplit: 1 / 12,
      onNan: 'stop',
      backend: 'auto',
    });
    expect(warnings).toEqual([]);
    expect(knobsDiffering(config)).toEqual([]);
  });

  it('takes the learning rate default from the chosen preset, and knows momentum as SGD with 0.9', () => {
    expect(flags({ optimizer: 'sgd' }).config).toMatchObject({
      learningRate: 0.01,
      momentum: 0,
      nesterov: false,
      beta1: null,
    });
    expect(flags({ optimizer: 'momentum' }).config).toMatchObject({ optimizer: 'sgd', momentum: 0.9, nesterov: false });
    expect(flags({ optimizer: 'nesterov', momentum: '0.95' }).config).toMatchObject({
      optimizer: 'sgd',
      momentum: 0.95,
      nesterov: true,
    });
    expect(knobsDiffering(flags({ optimizer: 'sgd' }).config)).toEqual([
      { key: 'optimizer', value: 'sgd', default: 'adam' },
    ]);
  });

  it('lists a piecewise-constant schedule by its boundaries, and its values only where they are not the default', () => {
    expect(knobsDiffering(flags({ schedule: 'piecewise-constant', boundaries: '100,200' }).config)).toEqual([
      { key: 'schedule', value: 'piecewise-constant', default: 'constant' },
      { key: 'boundaries', value: [100, 200], default: null },
    ]);
    expect(
      knobsDiffering(flags({ schedule: 'piecewise-constant', boundaries: '100', values: '0.1,0.05' }).config).map(
        (k) => k.key,
      ),
    ).toEqual(['schedule', 'boundaries', 'values']);
  });

  it('reads --decay-rate alone as the chapter decay: inverse time, one epoch per period, staircase', () => {
    expect(flags({ decayRate: '0.5' }).config).toMatchObject({
      schedule: 'inverse-time',
      decayRate: 0.5,
      decaySteps: 'epoch',
      staircase: true,
    });
    expect(flags({ schedule: 'inverse-time', decaySteps: '1', staircase: false }).config).toMatchObject({
      decayRate: 1,
      decaySteps: 1,
      staircase: false,
    });
  });

  it('fills each schedule with its parameters and leaves the others null', () => {
    expect(flags({ schedule: 'cosine', warmupSteps: '100' }).config).toMatchObject({
      decaySteps: 'run',
      alpha: 0,
      warmupSteps: 100,
      warmupFrom: 0,
      decayRate: null,
      factor: null,
    });
    expect(flags({ schedule: 'reduce-on-plateau' }).config).toMatchObject({
      factor: 0.1,
      plateauPatience: 10,
      minDelta: 0.0001,
      cooldown: 0,
      minLr: 0,
    });
    expect(flags({ schedule: 'piecewise-constant', boundaries: '100,200', learningRate: '0.1' }).config.values).toEqual(
      [0.1, 0.1 * 10 ** -1, 0.1 * 10 ** -2],
    );
  });

  it("fills Muon's switches with its own defaults (nesterov on), and --no-nesterov turns it off", () => {
    expect(flags({ optimizer: 'muon' }).config).toMatchObject({
      nesterov: true,
      momentum: 0.95,
      excludeEmbeddings: true,
    });
    expect(flags({ optimizer: 'muon', nesterov: false }).config).toMatchObject({ nesterov: false });
    expect(flags({ optimizer: 'sgd' }).config).toMatchObject({ nesterov: false, momentum: 0 });
  });

  it('refuses a knob the optimizer or schedule does not have, naming both', () => {
    expect(usage(() => flags({ momentum: '0.9' })).message).toBe(
      '--momentum applies to sgd, rmsprop and muon, not adam.',
    );
    expect(usage(() => flags({ optimizer: 'sgd', beta1: '0.8' })).message).toBe(
      '--beta1 applies to adam, adamw, adamax, nadam, lion, lamb, radam, yogi, adabelief, schedulefreeadamw, schedulefreesgd and prodigy, not sgd.',
    );
    expect(usage(() => flags({ schedule: 'cosine', decayRate: '2' })).message).toContain(
      '--decay-rate applies to the inverse-time and exponential schedules, not cosine',
    );
    expect(usage(() => flags({ emaMomentum: '0.9' })).message).toContain('add --ema');
    expect(usage(() => flags({ clipnorm: '1', globalClipnorm: '2' })).message).toContain('choose one');
    expect(usage(() => flags({ schedule: 'piecewise-constant' })).message).toContain('needs --boundaries');
    expect(usage(() => flags({ schedule: 'piecewise-constant', boundaries: '5,3' })).message).toContain(
      'must increase strictly',
    );
    expect(usage(() => flags({ schedule: 'piecewise-constant', boundaries: '5', values: '1,2,3' })).message).toContain(
      '2 for 1 boundaries',
    );
  });

  it('names the flag and the value when a value is out of range', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ learningRate: '-1' }, '--learning-rate must be a positive number, got "-1".'],
      [{ learningRate: 'fast' }, '--learning-rate must be a positive number, got "fast".'],
      [{ optimizer: 'sgd', momentum: '1.5' }, '--momentum must be a number in [0, 1], got "1.5".'],
      [{ beta2: '1' }, '--beta2 must be a number in [0, 1) for adam, got 1.'],
      [{ optimizer: 'lion', beta1: '0' }, '--beta1 must be a number in (0, 1] for lion, got 0.'],
      [{ optimizer: 'ftrl', learningRatePower: '0.5' }, '--learning-rate-power must be a number <= 0, got "0.5".'],
      [{ seed: '1e20' }, '--seed must be an integer >= 0, got "1e20".'],
      [{ seed: '9007199254740992' }, '--seed must be an integer >= 0, got "9007199254740992".'],
      [{ batchSize: '0' }, '--batch-size must be a positive integer or full, got "0".'],
      [{ hidden: '256,,128' }, '--hidden must be comma-separated positive integers such as 256,128, got "256,,128".'],
      [{ validationSplit: '1' }, '--validation-split must be a number in (0, 1), got "1".'],
      [
        { optimizer: 'adamm' },
        '--optimizer must be one of sgd, rmsprop, adam, adamw, adagrad, adamax, nadam, adadelta, lion, lamb, ftrl, adafactor, muon, radam, rprop, asgd, yogi, adabelief, schedulefreeadamw, schedulefreesgd, prodigy, momentum, nesterov, got "adamm".',
      ],
    ];
    for (const [given, message] of cases) expect(usage(() => flags(given)).message).toBe(message);
    expect(flags({ batchSize: 'full' }).config.batchSize).toBe('full');
  });

  it('warns about legal values that are almost surely a mistake, and refuses batch normalization on batches of one', () => {
    expect(flags({ learningRate: '20' }).warnings[0]).toContain('--learning-rate 20 is above 10');
    expect(flags({ optimizer: 'sgd', nesterov: true }).warnings[0]).toContain('--nesterov without momentum');
    expect(usage(() => flags({ batchNorm: true, batchSize: '1' })).message).toContain(
      '--batch-norm with --batch-size 1: a batch of one sample has no variance',
    );
  });

  it('reads config files: camelCase fields, null as unset, unknown fields refused with the nearest name', () => {
    const { config } = resolveConfig(
      inputFromObject({ optimizer: 'rmsprop', learningRate: 0.01, rho: 0.95, patience: null }, 'run.yaml'),
    );
    expect(config).toMatchObject({ optimizer: 'rmsprop', learningRate: 0.01, rho: 0.95, patience: null });
    expect(usage(() => inputFromObject({ learning_rate: 0.1 }, 'run.yaml')).message).toContain(
      'run.yaml: unknown field "learning_rate" (did you mean "learningRate"?)',
    );
    expect(usage(() => resolveConfig(inputFromObject({ learningRate: '0.1' }, 'run.yaml'))).message).toBe(
      'run.yaml: learningRate must be a positive number, got "0.1".',
    );
    expect(usage(() => inputFromObject([1], 'run.yaml')).message).toContain('must be an object');
  });

  it('reads a resolved config back to the same config (run directories and sweeps store them)', () => {
    for (const given of [
      {},
      { optimizer: 'momentum', schedule: 'cosine', warmupSteps: '10' },
      { optimizer: 'adamw', ema: true, batchSize: 'full' },
    ]) {
      const { config } = flags(given);
      expect(resolveConfig(inputFromObject(JSON.parse(JSON.stringify(config)), 'config.json')).config).toEqual(config);
    }
  });

  it('names exactly the knobs that differ between two configs', () => {
    const a = flags({ optimizer: 'sgd' }).config;
    const b = flags({ optimizer: 'sgd', learningRate: '0.1', epochs: '3' }).config;
    expect(configDiff(a, b)).toEqual([
      { key: 'learningRate', a: 0.01, b: 0.1 },
      { key: 'epochs', a: 5, b: 3 },
    ]);
  });

  it('gives a config a stable id that ignores where the data is read from', () => {
    const a = flags({ optimizer: 'sgd' }).config;
    expect(configId(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(configId(flags({ optimizer: 'sgd' }).config)).toBe(configId(a));
    expect(configId({ ...a, dataDir: '/elsewhere' })).toBe(configId(a));
    expect(configId({ ...a, seed: 7 })).not.toBe(configId(a));
  });

  it('suggests the flag meant by a misspelt or borrowed name', () => {
    expect(suggestKnob('--lr')?.flag).toBe('learning-rate');
    expect(suggestKnob('--learning_rate')?.flag).toBe('learning-rate');
    expect(suggestKnob('--epoch')?.flag).toBe('epochs');
    expect(suggestKnob('--zzzzzzzz')).toBeUndefined();
  });
});

describe('the README', () => {
  it('documents every knob by its flag and its config field', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const knob of KNOBS) {
      expect([knob.key, readme.includes(`\`--${knob.negatable ? 'no-' : ''}${knob.flag}\``)]).toEqual([knob.key, true]);
      expect([knob.key, new RegExp(`\`${knob.key}\``).test(readme)]).toEqual([knob.key, true]);
    }
  });
});
