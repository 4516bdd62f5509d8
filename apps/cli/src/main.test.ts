import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { opt, realDataDir } from './testing/fixtures/opt.js';

const COMMANDS = [
  ['train'],
  ['compare'],
  ['lr-find'],
  ['evaluate'],
  ['predict'],
  ['runs'],
  ['runs', 'list'],
  ['runs', 'show'],
  ['runs', 'diff'],
  ['backend'],
  ['data', 'get'],
];

describe('opt (a real process)', () => {
  it('prints its version and those of the packages and TensorFlow.js', async () => {
    const { code, stdout } = await opt('--version');
    expect(code).toBe(0);
    const own = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
    expect(stdout).toMatch(
      new RegExp(
        `^opt ${own.replace(/\./g, '\\.')} \\(@opt/tensor \\S+, @opt/optimizers \\S+, .*@tensorflow/tfjs-core 4\\.22\\.0, Node\\.js v\\d+`,
      ),
    );
  });

  it('has --help on every command, with examples', async () => {
    const helps = await Promise.all(COMMANDS.map((c) => opt(...c, '--help')));
    helps.forEach((h, i) => {
      expect([COMMANDS[i], h.code]).toEqual([COMMANDS[i], 0]);
      expect(h.stdout).toContain(`Usage: opt ${(COMMANDS[i] as string[]).join(' ')}`);
      expect(h.stdout).toContain('Examples:');
    });
    const top = await opt('--help');
    for (const c of ['data', 'train', 'compare', 'lr-find', 'evaluate', 'predict', 'runs', 'backend'])
      expect(top.stdout).toContain(`  ${c}`);
  });
});

describe('opt backend (a real process)', () => {
  it('reports the backend auto chose and why faster ones were skipped', async () => {
    const { code, stdout } = await opt('backend', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.requested).toBe('auto');
    expect(['tensorflow', 'wasm', 'cpu']).toContain(report.backend);
    if (report.backend !== 'tensorflow') {
      expect(report.skipped[0].backend).toBe('tensorflow');
      expect(report.skipped[0].reason.length).toBeGreaterThan(10);
    }
  });

  it('exits 2 with the reason and a fix when a backend cannot load', async () => {
    const { code, stderr } = await opt('backend', '--backend', 'webgl');
    expect(code).toBe(2);
    expect(stderr).toContain('Backend "webgl" is not available');
    expect(stderr).toContain('WebGL needs a browser');
  });

  it('rejects an unknown backend name, listing the choices', async () => {
    const { code, stderr } = await opt('backend', '--backend', 'gpu');
    expect(code).toBe(2);
    expect(stderr).toBe(
      'opt backend: --backend must be one of cpu, wasm, webgl, webgpu, tensorflow, auto, got "gpu".\n',
    );
  });
});

describe('opt data get (a real process)', () => {
  it('finds the local copy, verifies it and prints where it is (JSON for scripts)', async () => {
    const text = await opt('data', 'get', '--data-dir', realDataDir());
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      `data: Fashion-MNIST in ${realDataDir()} (the --data-dir given); the four files' sha256 verified\n`,
    );
    const { code, stdout } = await opt('data', 'get', '--json', '--no-install');
    expect(code).toBe(0);
    const got = JSON.parse(stdout);
    expect(Object.keys(got.files).sort()).toEqual(['testImages', 'testLabels', 'trainImages', 'trainLabels']);
    expect(got.files.trainImages.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(['FASHION_MNIST_DIR', 'cache', 'debian']).toContain(got.source);
  });

  it('names a damaged file and the fix in one line, as opt train does (exit 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opt-data-get-'));
    try {
      for (const name of ['train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'])
        copyFileSync(join(realDataDir(), `${name}.gz`), join(dir, `${name}.gz`));
      writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), 'x');
      const { code, stdout, stderr } = await opt('data', 'get', '--data-dir', dir);
      expect([code, stdout]).toEqual([1, '']);
      expect(stderr).toBe(
        `opt data get: ${join(dir, 'train-images-idx3-ubyte.gz')}: is 1 bytes long, too short for an IDX images file. Replace it with the official file (e.g. from /usr/share/datasets/fashion-mnist/) or point --data-dir at a good copy.\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a --data-dir that lacks the files, in one line naming them (exit 2)', async () => {
    const { code, stdout, stderr } = await opt('data', 'get', '--data-dir', '/nonexistent/fashion');
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toBe(
      'opt data get: --data-dir /nonexistent/fashion: no such directory. Give the directory that holds the four Fashion-MNIST files, or leave --data-dir out to use the usual places.\n',
    );
  });
});
