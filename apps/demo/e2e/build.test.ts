/** The production build is quiet: no warning (e.g. a node: module a package lets into the browser bundle). */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_DIR } from './harness.js';

const scratch = mkdtempSync(join(tmpdir(), 'opt-demo-build-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('vite build', () => {
  it('prints no warning: the browser bundle reaches no node: module of the packages', async () => {
    const vite = join(APP_DIR, 'node_modules', 'vite', 'bin', 'vite.js');
    // Into a scratch folder: dist/, which the other tests serve, stays as it is.
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [vite, 'build', '--outDir', join(scratch, 'dist'), '--emptyOutDir', '--logLevel', 'warn'],
      // vitest sets NODE_ENV=test, under which Vite builds as for development and keeps some warnings to itself.
      { cwd: APP_DIR, env: { ...process.env, NODE_ENV: 'production' } },
    );
    expect(`${stdout}${stderr}`.trim()).toBe('');
  });
});
