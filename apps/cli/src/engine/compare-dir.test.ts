import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inputFromObject } from '../config/resolve.js';
import { prepareCompare } from './compare-dir.js';
import { planFromContent } from './plan.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const plan = (rates: number[]) =>
  planFromContent(
    inputFromObject({}, 'test'),
    rates.map((learningRate) => ({ optimizer: 'sgd', learningRate })),
    { where: 'test', source: 'test' },
  );

const prepare = (dir: string, rates: number[], grows?: boolean) =>
  prepareCompare({
    dir,
    plan: plan(rates),
    target: 0.88,
    note: null,
    command: ['opt', 'compare'],
    ...(grows === undefined ? {} : { grows }),
  });

describe('prepareCompare', () => {
  it('refuses a directory that holds another plan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opt-compare-dir-'));
    dirs.push(dir);
    await prepare(dir, [0.1, 0.01]);
    await expect(prepare(dir, [0.1, 0.01, 0.001])).rejects.toThrow(/holds another compare/);
    await expect(prepare(dir, [0.1, 0.02])).rejects.toThrow(/holds another compare/);
  });

  it('lets a growing plan add configs after the recorded ones, never change or drop one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opt-compare-dir-'));
    dirs.push(dir);
    await prepare(dir, [0.1, 0.01], true);
    const grown = await prepare(dir, [0.1, 0.01, 0.001], true);
    expect(grown.jobs.map((j) => j.index)).toEqual([0, 1, 2]);
    const recorded = JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8')) as { entries: unknown[] };
    expect(recorded.entries).toHaveLength(3);
    await expect(prepare(dir, [0.2, 0.01, 0.001, 0.0001], true)).rejects.toThrow(/holds another compare/);
    await expect(prepare(dir, [0.1, 0.01], true)).rejects.toThrow(/holds another compare/);
  });
});
