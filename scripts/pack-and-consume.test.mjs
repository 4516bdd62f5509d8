// The publish test: packs every publishable package with `pnpm pack`, installs
// each tarball (with the tarballs of its @opt dependencies, as if published)
// into a scratch project outside the workspace with npm, then imports it from
// plain Node ESM and compiles a TypeScript file against its types.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = resolve(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'opt-pack-'));
const tarballs = join(scratch, 'tarballs');

/** name -> { dir, manifest } for every package under packages/ that is not private. */
const publishable = new Map(
  readdirSync(join(root, 'packages')).flatMap((name) => {
    const dir = join(root, 'packages', name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return manifest.private ? [] : [[manifest.name, { dir, manifest }]];
  }),
);

/** What a user would write first with each package: run in Node ESM, then type-checked. */
const smoke = {
  '@opt/tensor': `
import { tf, useBackend, Random, initialize } from '@opt/tensor';
tf.enableProdMode();
const report = await useBackend('cpu');
const w = tf.variable(initialize('glorotUniform', [3, 2], new Random(1)));
const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, x)))(w);
console.log(JSON.stringify({ backend: report.backend, grad: Array.from(g.dataSync()).length }));
`,
};

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
}

/** The @opt packages `name` needs, itself included. */
function closure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const { manifest } = publishable.get(name);
  for (const dep of Object.keys(manifest.dependencies ?? {})) if (publishable.has(dep)) closure(dep, seen);
  return seen;
}

function tarballOf(name) {
  const { manifest } = publishable.get(name);
  const file = `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`;
  return join(tarballs, file);
}

before(() => {
  mkdirSync(tarballs, { recursive: true });
  for (const { dir } of publishable.values()) run('pnpm', ['pack', '--pack-destination', tarballs], dir);
});

after(() => rmSync(scratch, { recursive: true, force: true }));

describe('pack and consume', () => {
  it('packs only dist, src, README and LICENSE, with workspace ranges rewritten', () => {
    for (const name of publishable.keys()) {
      const listing = run('tar', ['-tzf', tarballOf(name)], scratch)
        .split('\n')
        .filter(Boolean);
      for (const entry of listing) {
        assert.match(entry, /^package\/(dist\/|src\/|README\.md$|LICENSE$|package\.json$)/, `${name} ships ${entry}`);
        assert.doesNotMatch(entry, /\.test\./, `${name} ships a test file: ${entry}`);
      }
      assert.ok(listing.includes('package/dist/index.js'), `${name} has no dist/index.js`);
      assert.ok(
        listing.includes('package/README.md') && listing.includes('package/LICENSE'),
        `${name} lacks README or LICENSE`,
      );
      const manifest = JSON.parse(run('tar', ['-xzOf', tarballOf(name), 'package/package.json'], scratch));
      for (const range of Object.values(manifest.dependencies ?? {})) {
        assert.doesNotMatch(range, /^workspace:/, `${name} publishes a workspace: range`);
      }
    }
  });

  for (const name of publishable.keys()) {
    it(`installs ${name} alone with npm and imports it from plain Node ESM`, () => {
      const project = join(scratch, name.replace('/', '__'));
      mkdirSync(project, { recursive: true });
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
      const needed = [...closure(name)].map(tarballOf);
      run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...needed], project);

      const installed = readdirSync(join(project, 'node_modules', '@opt'));
      assert.deepEqual(installed.sort(), [...closure(name)].map((n) => n.slice(5)).sort());

      const code =
        smoke[name] ??
        `import * as m from '${name}';\nconsole.log(JSON.stringify({ exports: Object.keys(m).length }));\n`;
      // Node runs the JavaScript; tsc checks the same code against the published types.
      writeFileSync(join(project, 'smoke.ts'), code);
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2022',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: [],
          },
          files: ['smoke.ts'],
        }),
      );
      run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], project);
      run(
        process.execPath,
        [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.', '--noEmit', 'false', '--outDir', 'out'],
        project,
      );
      const out = run(process.execPath, [join(project, 'out', 'smoke.js')], project);
      assert.ok(out.trim().length > 0, `${name}'s smoke script printed nothing`);
      if (name === '@opt/tensor')
        assert.deepEqual(JSON.parse(out.trim().split('\n').pop()), { backend: 'cpu', grad: 6 });
    });
  }
});
