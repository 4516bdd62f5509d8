// The publishable packages and their tarballs, shared by the tests that install them as a user would
// (pack-and-consume.test.mjs, vite-app.test.mjs).

import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..');

/** name -> { dir, manifest } for every package under packages/ that is not private. */
export const publishable = new Map(
  readdirSync(join(root, 'packages')).flatMap((name) => {
    const dir = join(root, 'packages', name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return manifest.private ? [] : [[manifest.name, { dir, manifest }]];
  }),
);

/** The @opt packages `name` needs, itself included. */
export function closure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const { manifest } = publishable.get(name);
  for (const dep of Object.keys(manifest.dependencies ?? {})) if (publishable.has(dep)) closure(dep, seen);
  return seen;
}

/** The file `pnpm pack` writes for `name` into `dir`. */
export function tarballOf(name, dir) {
  const { manifest } = publishable.get(name);
  return join(dir, `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`);
}

/** Packs `names` (default: every publishable package) into `dir` with `pnpm pack`, as publishing would. */
export function pack(dir, names = [...publishable.keys()]) {
  mkdirSync(dir, { recursive: true });
  for (const name of names) {
    execFileSync('pnpm', ['pack', '--pack-destination', dir], {
      cwd: publishable.get(name).dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    });
  }
}
