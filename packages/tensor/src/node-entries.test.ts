import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as wasmEntry from '#tfjs-backend-wasm';
import * as coreEntry from '#tfjs-core';

const require = createRequire(import.meta.url);

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

describe('the Node entries of #tfjs-core and #tfjs-backend-wasm', () => {
  it('export every name of the CommonJS modules, as the same objects (one tfjs-core per process)', () => {
    for (const [entry, pkg] of [
      [coreEntry, '@tensorflow/tfjs-core'],
      [wasmEntry, '@tensorflow/tfjs-backend-wasm'],
    ] as const) {
      const module = require(pkg) as Record<string, unknown>;
      expect(Object.keys(entry).sort()).toEqual(Object.keys(module).sort());
      for (const name of Object.keys(module)) expect((entry as Record<string, unknown>)[name]).toBe(module[name]);
    }
    expect(coreEntry.engine()).toBe((require('@tensorflow/tfjs-core') as typeof coreEntry).engine());
  });

  it('are what Node itself resolves the imports to (the entries that skip the export scan)', () => {
    for (const name of ['tfjs-core', 'tfjs-backend-wasm']) {
      const url = execFileSync(
        process.execPath,
        ['--input-type=module', '-e', `console.log(import.meta.resolve('#${name}'))`],
        { cwd: PACKAGE, encoding: 'utf8' },
      ).trim();
      expect(url).toMatch(new RegExp(`/packages/tensor/dist/${name}-node\\.js$`));
    }
  });
});
