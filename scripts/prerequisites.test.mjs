// The prerequisites step of `pnpm test`: silent when the machine has everything, one clear message and exit 1
// when something is missing and cannot be installed here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { cannotInstall, prerequisites, report } from './prerequisites.mjs';

const script = resolve(import.meta.dirname, 'prerequisites.mjs');
const empty = mkdtempSync(join(tmpdir(), 'opt-prerequisites-'));
after(() => rmSync(empty, { recursive: true, force: true }));

function runScript(env) {
  return spawnSync(process.execPath, [script], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('prerequisites', () => {
  it('says nothing and exits 0 on a machine that has everything (this one: pnpm test checked it first)', () => {
    const result = runScript({});
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout + result.stderr, '');
  });

  it('reports a missing Chromium once, with how to get it, and exits 1 without installing', () => {
    const result = runScript({ CHROMIUM_PATH: join(empty, 'chromium'), OPT_INSTALL_PREREQUISITES: '0' });
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '', 'nothing was installed');
    assert.equal(result.stderr.match(/The tests need what this machine lacks/g)?.length, 1);
    assert.match(result.stderr, new RegExp(`Chromium at ${join(empty, 'chromium')}: the browser tests`));
    assert.match(result.stderr, /CHROMIUM_PATH=.* does not exist: point it at a Chromium or Chrome binary/);
    assert.doesNotMatch(result.stderr, /Fashion-MNIST|at .*\.mjs:\d+/, 'only what is missing, and no stack trace');
  });

  it('names the Debian package and the files for a missing dataset', () => {
    const missing = prerequisites({ env: {}, datasetDir: empty }).filter((p) => !p.present);
    assert.deepEqual(
      missing.map((p) => p.what),
      [`the Fashion-MNIST files in ${empty}`],
    );
    const message = report(missing, 'apt-get is not on PATH');
    assert.match(message, /not installed automatically: apt-get is not on PATH/);
    assert.match(message, /apt-get install dataset-fashion-mnist/);
    assert.match(message, /train-images-idx3-ubyte\.gz, .*t10k-labels-idx1-ubyte\.gz into /);
  });

  it('installs only as root with apt-get on PATH, and never with OPT_INSTALL_PREREQUISITES=0', () => {
    assert.equal(
      cannotInstall({ PATH: process.env.PATH, OPT_INSTALL_PREREQUISITES: '0' }),
      'OPT_INSTALL_PREREQUISITES=0 is set',
    );
    const withoutApt = cannotInstall({ PATH: empty });
    assert.equal(withoutApt, process.getuid() === 0 ? 'apt-get is not on PATH' : 'this is not running as root');
  });
});
