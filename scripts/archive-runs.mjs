#!/usr/bin/env node
// Packs the finished runs of one experiments section (complete or diverged) without their weights or charts into
// docs/experiments/<section>-runs.tar.gz, so that `pnpm experiments --only <section>` continues on another
// machine after `tar xzf docs/experiments/<section>-runs.tar.gz -C runs/experiments`.
// Usage: node scripts/archive-runs.mjs <section directory under runs/experiments, e.g. beyond> [--out runs/experiments]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string', default: 'runs/experiments' } },
});
const [section] = positionals;
const root = resolve(values.out);
if (section === undefined || !existsSync(join(root, section))) {
  console.error(`archive-runs: name a section directory under ${root} (e.g. beyond), got "${section ?? ''}".`);
  process.exit(2);
}
const finished = readdirSync(join(root, section)).filter((run) => {
  try {
    const { state } = JSON.parse(readFileSync(join(root, section, run, 'status.json'), 'utf8'));
    return (state === 'complete' || state === 'diverged') && existsSync(join(root, section, run, 'result.json'));
  } catch {
    return false;
  }
});
const file = resolve('docs', 'experiments', `${section}-runs.tar.gz`);
const sessions = existsSync(join(root, 'experiments.json')) ? ['experiments.json'] : [];
const tar = spawnSync(
  'tar',
  [
    ...['czf', `${file}.tmp`, '--sort=name', '--owner=0', '--group=0', '--mtime=2026-01-01'],
    ...['--exclude=weights.bin', '--exclude=charts', '-C', root],
    ...sessions,
    ...finished.map((run) => join(section, run)),
  ],
  { stdio: 'inherit' },
);
if (tar.status !== 0) process.exit(1);
spawnSync('mv', [`${file}.tmp`, file]);
console.log(`archive-runs: ${finished.length} finished runs of ${section} in ${file}`);
