/**
 * `opt data get`'s order on the real files: the named copy, a local copy, the download (from a loopback server
 * serving the real files), then Debian's package, and one message naming every way when none works. The install
 * step here copies the real files into the temporary "Debian" directory where apt-get would put them: running
 * apt-get itself would change the machine (it is run for real by the README's command on a bare machine).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FASHION_MNIST_FILES } from '@opt/data-fashion-mnist';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunError, UsageError } from '../cli/errors.js';
import { realDataDir } from '../testing/fixtures/opt.js';
import { cannotInstall, getData } from './get-data.js';

const names = FASHION_MNIST_FILES.map((f) => `${f.name}.gz`);
let server: Server;
let baseUrl: string;
let requests = 0;
let work: string;

function fill(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const name of names) copyFileSync(join(realDataDir(), name), join(dir, name));
  return dir;
}

beforeAll(async () => {
  server = createServer((request, response) => {
    requests++;
    const name = (request.url ?? '').slice(1);
    if (!names.includes(name)) {
      response.writeHead(404).end();
      return;
    }
    const body = readFileSync(join(realDataDir(), name));
    response.writeHead(200, { 'Content-Length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'opt-get-data-'));
  requests = 0;
  vi.stubEnv('XDG_CACHE_HOME', join(work, 'cache'));
  vi.stubEnv('FASHION_MNIST_DIR', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(work, { recursive: true, force: true });
});

const base = { download: true, install: true, retryDelayMs: 1 } as const;

describe('opt data get: where the data comes from, in order', () => {
  it('a --data-dir is used alone: its files, or a usage error naming what is missing, never another copy', async () => {
    const system = fill(join(work, 'debian'));
    const mine = fill(join(work, 'mine'));
    const got = await getData({ ...base, dataDir: mine, systemDir: system, baseUrl });
    expect(got).toMatchObject({ source: 'data-dir', directory: mine });
    expect(got.files.trainImages.path).toBe(join(mine, 'train-images-idx3-ubyte.gz'));
    mkdirSync(join(work, 'empty'));
    await expect(getData({ ...base, dataDir: join(work, 'empty'), systemDir: system, baseUrl })).rejects.toThrow(
      UsageError,
    );
    expect(requests).toBe(0);
  });

  it('$FASHION_MNIST_DIR before Debian’s directory, and Debian’s directory before any download', async () => {
    const system = fill(join(work, 'debian'));
    expect(await getData({ ...base, dataDir: null, systemDir: system, baseUrl })).toMatchObject({
      source: 'debian',
      directory: system,
    });
    const named = fill(join(work, 'named'));
    vi.stubEnv('FASHION_MNIST_DIR', named);
    expect(await getData({ ...base, dataDir: null, systemDir: system, baseUrl })).toMatchObject({
      source: 'FASHION_MNIST_DIR',
      directory: named,
    });
    expect(requests).toBe(0);
  });

  it('with no local copy, downloads into the cache (verified), and the next call finds it there', async () => {
    const install = vi.fn(async () => 0);
    const first = await getData({
      ...base,
      dataDir: null,
      systemDir: join(work, 'none'),
      baseUrl,
      installPackage: install,
    });
    const cache = join(work, 'cache', 'opt', 'fashion-mnist');
    expect(first).toMatchObject({ source: 'download', directory: cache });
    expect(requests).toBe(4);
    const second = await getData({ ...base, dataDir: null, systemDir: join(work, 'none'), baseUrl });
    expect(second).toMatchObject({ source: 'cache', directory: cache });
    expect(requests).toBe(4);
    expect(install).not.toHaveBeenCalled();
  });

  it("when the download fails too, installs Debian's package after saying what and why, then reads its copy", async () => {
    const system = join(work, 'debian');
    const env = { PATH: '/usr/bin:/bin' };
    const said: string[] = [];
    const got = await getData({
      ...base,
      dataDir: null,
      systemDir: system,
      baseUrl: `${baseUrl}missing/`,
      env,
      onInstall: (line) => said.push(line),
      installPackage: async () => {
        expect(said).toHaveLength(1); // said before installing, not after
        fill(system);
        return 0;
      },
    }).catch((error: unknown) => error);
    // Where this machine cannot install (not root, no apt-get), the message says why instead.
    const reason = cannotInstall(true, env);
    if (reason !== null) {
      expect((got as Error).message).toContain(`installing dataset-fashion-mnist: not tried (${reason})`);
      return;
    }
    expect(got).toMatchObject({ source: 'debian-installed', directory: system });
    expect(said).toEqual([
      expect.stringMatching(
        /^installing Debian's dataset-fashion-mnist with apt-get: no local copy of Fashion-MNIST and the download failed/,
      ),
    ]);
    const failed = await getData({
      ...base,
      dataDir: null,
      systemDir: join(work, 'none'),
      baseUrl: `${baseUrl}missing/`,
      env,
      installPackage: async () => 100,
    }).catch((e: unknown) => e);
    expect((failed as Error).message).toContain(
      'installing dataset-fashion-mnist: apt-get install dataset-fashion-mnist exited with 100',
    );
  });

  it('nothing anywhere and installing forbidden: one message with every place looked in and every way to get it', async () => {
    const install = vi.fn(async () => 0);
    const failing = { ...base, dataDir: null, systemDir: join(work, 'none'), baseUrl: `${baseUrl}missing/` };
    const error = await getData({
      ...failing,
      env: { PATH: '/usr/bin:/bin', OPT_INSTALL_PREREQUISITES: '0' },
      installPackage: install,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunError);
    const message = (error as Error).message;
    for (const part of [
      '--data-dir: (not set)',
      'FASHION_MNIST_DIR',
      join(work, 'none'),
      `download from ${baseUrl}missing/`,
      'HTTP 404',
      'installing dataset-fashion-mnist: not tried (OPT_INSTALL_PREREQUISITES=0 is set)',
      'sudo apt-get install dataset-fashion-mnist',
      '--data-dir DIR or set FASHION_MNIST_DIR=DIR',
      `download them into ${join(work, 'cache', 'opt', 'fashion-mnist')}`,
    ]) {
      expect(message).toContain(part);
    }
    expect(install).not.toHaveBeenCalled();
    const failed = await getData({ ...failing, install: false, installPackage: install }).catch((e: unknown) => e);
    expect((failed as Error).message).toContain('not tried (--no-install was given)');
    expect(existsSync(join(work, 'none'))).toBe(false);
  });
});

describe('cannotInstall', () => {
  it('names the reason: the flag, the environment variable, not root, no apt-get', () => {
    expect(cannotInstall(false, { PATH: '/usr/bin' }, 0)).toBe('--no-install was given');
    expect(cannotInstall(true, { PATH: '/usr/bin', OPT_INSTALL_PREREQUISITES: '0' }, 0)).toBe(
      'OPT_INSTALL_PREREQUISITES=0 is set',
    );
    expect(cannotInstall(true, { PATH: '/usr/bin' }, 1000)).toBe('this is not running as root');
    expect(cannotInstall(true, { PATH: join(tmpdir(), 'no-such-dir') }, 0)).toBe('apt-get is not on PATH');
  });
});
