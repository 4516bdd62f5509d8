import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../cli/errors.js';
import { configId, inputFromFlags, resolveConfig } from '../config/resolve.js';
import { scratch } from '../testing/fixtures/opt.js';
import { readSweep } from './spec.js';

const work = scratch('opt-sweep-spec-');
afterAll(() => work.remove());
let n = 0;
/** Writes `text` to a fresh file with the given extension and returns its path. */
function file(text: string, ext = 'yaml'): string {
  const path = join(work.dir, `spec${++n}.${ext}`);
  writeFileSync(path, text);
  return path;
}
const usage = (fn: () => unknown): UsageError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
};
/** The config `opt train` would resolve from these flags: the oracle for a trial's config. */
const trained = (flags: Record<string, string>) => resolveConfig(inputFromFlags(flags)).config;

describe('sweep files', () => {
  it('expands variations x grid x seeds in that order over the base, each trial the config opt train would get', () => {
    const path = file(
      [
        'name: lr-grid',
        'base: { perClass: 50, epochs: 2 }',
        'variations:',
        '  - { name: plain, optimizer: sgd }',
        '  - { optimizer: adam, amsgrad: true }',
        'grid:',
        '  learningRate: [0.1, 0.01]',
        '  batchSize: [32, 64]',
        'seeds: [1, 2]',
      ].join('\n'),
    );
    const sweep = readSweep(path);
    expect(sweep.name).toBe('lr-grid');
    expect(sweep.trials).toHaveLength(2 * 4 * 2);
    expect(sweep.trials.slice(0, 5).map((t) => t.label)).toEqual([
      'plain learningRate=0.1 batchSize=32 seed=1',
      'plain learningRate=0.1 batchSize=32 seed=2',
      'plain learningRate=0.1 batchSize=64 seed=1',
      'plain learningRate=0.1 batchSize=64 seed=2',
      'plain learningRate=0.01 batchSize=32 seed=1',
    ]);
    expect(sweep.trials[8]?.label).toBe('optimizer=adam amsgrad=true learningRate=0.1 batchSize=32 seed=1');
    const last = sweep.trials.at(-1);
    expect(last?.config).toEqual(
      trained({
        perClass: '50',
        epochs: '2',
        optimizer: 'adam',
        amsgrad: true as unknown as string,
        learningRate: '0.01',
        batchSize: '64',
        seed: '2',
      }),
    );
    expect(last?.jobId).toBe(`trial-${configId(last?.config as never)}`);
    expect(new Set(sweep.trials.map((t) => t.jobId)).size).toBe(sweep.trials.length);
  });

  it('gives the same sweep the same id (and job ids) from JSON or YAML, and another sweep another id', () => {
    const yaml = readSweep(file('name: s\nbase: { epochs: 1 }\ngrid: { learningRate: [0.1, 0.01] }'));
    const json = readSweep(
      file(JSON.stringify({ name: 's', base: { epochs: 1 }, grid: { learningRate: [0.1, 0.01] } }), 'json'),
    );
    expect(json.id).toBe(yaml.id);
    expect(json.trials.map((t) => t.jobId)).toEqual(yaml.trials.map((t) => t.jobId));
    const more = readSweep(file('name: s\nbase: { epochs: 1 }\ngrid: { learningRate: [0.1, 0.01, 0.001] }'));
    expect(more.id).not.toBe(yaml.id);
    // A trial shared by two sweeps is one job.
    expect(more.trials.slice(0, 2).map((t) => t.jobId)).toEqual(yaml.trials.map((t) => t.jobId));
  });

  it('names the sweep after its file by default, and seeds alone make a sweep', () => {
    const path = file('seeds: [3, 4, 5]');
    const sweep = readSweep(path);
    expect(sweep.name).toBe(`spec${n}`);
    expect(sweep.trials.map((t) => [t.label, t.config.seed])).toEqual([
      ['seed=3', 3],
      ['seed=4', 4],
      ['seed=5', 5],
    ]);
  });

  it('refuses a bad file before anything else, naming the field and the value', () => {
    const cases: Array<[string, RegExp]> = [
      ['grid: { learningRate: [0.1, -1] }', /: grid\.learningRate value 2 must be a positive number, got -1\.$/],
      ['grid: { lr: [0.1] }', /: grid: unknown field "lr" \(did you mean "learningRate"\?\)/],
      [
        'grid: { learningRate: 0.1 }',
        /: grid\.learningRate must be a non-empty list such as \[0\.1, 0\.01\], got 0\.1\./,
      ],
      [
        'grid: [0.1]',
        /: grid must be an object of lists such as \{ "learningRate": \[0\.1, 0\.01\] \}, got \[0\.1\]\./,
      ],
      ['variations: [{ optimizer: adamm }]', /: variation 1: optimizer must be one of sgd, .*, got "adamm"\./],
      [
        'variations: [{ name: a }, { momentun: 0.9 }]',
        /: variation 2: unknown field "momentun" \(did you mean "momentum"\?\)/,
      ],
      ['seeds: [1, 2.5]', /: seeds value 2 must be an integer .*, got 2\.5\./],
      ['seeds: []', /: seeds must be a non-empty list such as \[1, 2, 3\], got \[\]\./],
      ['base: { epochs: 0 }\nseeds: [1]', /: base: epochs must be a positive integer, got 0\./],
      [
        'seeds: [1]\nrepeats: 3',
        /: unknown field "repeats"; a sweep file has name, base, grid, variations and seeds\./,
      ],
      ['base: { epochs: 1 }', /: nothing to sweep: give grid, variations or seeds/],
      ['name: "a b"\nseeds: [1]', /: name must be up to 64 letters, digits and \. _ = , - .*, got "a b"\./],
      [
        'variations: [{ learningRate: 0.1 }]\ngrid: { learningRate: [0.2] }',
        /: learningRate is set by variation 1 and by grid; set it in one place/,
      ],
      ['variations: [{ seed: 3 }]\nseeds: [1]', /: seed is set by variation 1 and by seeds; set it in one place/],
      [
        'variations: [{ optimizer: adam }]\ngrid: { momentum: [0.9] }',
        /^trial "optimizer=adam momentum=0\.9": .*grid\.momentum applies to sgd, rmsprop and muon, not adam\./,
      ],
      [
        'grid: { perClass: [10, 20] }',
        /perClass differs from .*; a compare trains every config on the same data and split/,
      ],
      [
        'variations: [{ name: a, optimizer: sgd }, { name: b, optimizer: sgd }]',
        /trials "a" and "b" train the same config; remove one/,
      ],
      ['variations: [{ name: a }, { name: a, seed: 2 }]', /two configs have the label "a"/],
      ['[1, 2]', /a sweep file is an object with base, grid, variations and seeds .*, got \[1,2\]\./],
    ];
    for (const [text, message] of cases) {
      const error = usage(() => readSweep(file(text)));
      expect([text, error.message]).toEqual([text, expect.stringMatching(message)]);
    }
    expect(usage(() => readSweep(join(work.dir, 'missing.yaml'))).message).toMatch(
      /SPEC .*missing\.yaml: cannot read it \(no such file\)/,
    );
    expect(usage(() => readSweep(file('grid: {', 'yaml'))).message).toMatch(/: not valid JSON or YAML/);
    // The value is carried for --json's error object.
    expect(usage(() => readSweep(file('grid: { learningRate: [0.1, -1] }')))).toMatchObject({
      option: 'grid.learningRate value 2',
      value: -1,
    });
  });
});
