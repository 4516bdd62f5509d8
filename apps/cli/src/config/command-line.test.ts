import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addKnobOptions, knobInput } from '../cli/knob-options.js';
import { flagsFor, shellLine, trainCommand } from './command-line.js';
import type { TrainConfig } from './knobs.js';
import { inputFromObject, resolveConfig } from './resolve.js';

const config = (knobs: Record<string, unknown>): TrainConfig => resolveConfig(inputFromObject(knobs, 'test')).config;

/** What `opt train` makes of the flags: commander with the knob table, then the resolver. */
function parsed(flags: string[]): TrainConfig {
  const command = addKnobOptions(new Command('train').exitOverride()).action(() => {});
  command.parse(flags, { from: 'user' });
  return resolveConfig(knobInput(command)).config;
}

describe('flagsFor: a config back to the flags that train it', () => {
  it('gives nothing for the defaults and one flag per knob that differs', () => {
    expect(flagsFor(config({}))).toEqual([]);
    expect(flagsFor(config({ optimizer: 'sgd', learningRate: 1, seed: 3 }))).toEqual([
      '--optimizer',
      'sgd',
      '--learning-rate',
      '1',
      '--seed',
      '3',
    ]);
    expect(flagsFor(config({ optimizer: 'momentum', batchNorm: true, batchSize: 'full' }))).toEqual([
      '--optimizer',
      'sgd',
      '--momentum',
      '0.9',
      '--batch-size',
      'full',
      '--batch-norm',
    ]);
  });

  for (const knobs of [
    {},
    { optimizer: 'sgd', learningRate: 0.0001, epochs: 10 },
    { optimizer: 'momentum', nesterov: true, batchSize: 1, normalize: 'none' },
    { optimizer: 'rmsprop', rho: 0.95, centered: true, clipnorm: 1.5 },
    { optimizer: 'adamw', learningRate: 0.002, weightDecay: 0.05, batchNorm: true, ema: true, emaMomentum: 0.999 },
    { schedule: 'cosine', warmupSteps: 430, warmupFrom: 0.00001, alpha: 0.01, decaySteps: 'run' },
    { decayRate: 0.5, staircase: false },
    { schedule: 'piecewise-constant', boundaries: [1000, 2000], values: [0.01, 0.001, 0.0001] },
    { schedule: 'reduce-on-plateau', factor: 0.5, plateauPatience: 2, hidden: [512, 256, 128], perClass: 100 },
    { validationSplit: 0.2, seed: 7, patience: 3, onNan: 'skip', backend: 'wasm' },
  ]) {
    it(`trains the same config through commander and the resolver: ${JSON.stringify(knobs)}`, () => {
      const c = config(knobs);
      expect(parsed(flagsFor(c))).toEqual(c);
    });
  }

  it('writes the command as one shell line, quoting only what needs it', () => {
    const c = config({ optimizer: 'sgd', hidden: [256, 128, 64] });
    expect(shellLine(trainCommand(c, ['--out', 'runs/a b']))).toBe(
      "opt train --optimizer sgd --hidden 256,128,64 --out 'runs/a b'",
    );
  });
});
